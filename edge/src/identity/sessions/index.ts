export { DEFAULT_SESSION_POLICY, type SessionPolicy } from "./policy.ts";
export { SESSION_SECRET_PATTERN } from "./secret.ts";
export {
  type ActiveSession,
  createSession,
  MAX_USER_AGENT_CHARS,
  pruneSessions,
  readSession,
  revokeAllSessions,
  revokeSession,
  type Session,
} from "./sessions.ts";
