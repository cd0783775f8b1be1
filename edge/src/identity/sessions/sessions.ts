import type { Result } from "@sdgate/shared";
import { membershipsFrom, sessionMembershipsStatement } from "../directory/memberships.ts";
import { type Membership, type User, type UserRow, userFromRow } from "../directory/records.ts";
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from "./policy.ts";
import { newSessionSecret, SESSION_SECRET_PATTERN, sessionHash } from "./secret.ts";

/** The longest user agent kept with a session, in UTF-16 code units. */
export const MAX_USER_AGENT_CHARS = 512;

/** A session as D1 records it; `id` is the SHA-256 of its secret (never the secret). */
export interface Session {
  id: string;
  user_id: string;
  created_at: string;
  last_seen_at: string;
  idle_expires_at: string;
  absolute_expires_at: string;
  revoked_at: string | null;
  user_agent: string | null;
  ip: string | null;
}

/** A session that works, with its person and their memberships as they are now. */
export interface ActiveSession {
  session: Session;
  user: User;
  memberships: Membership[];
}

const SESSION_COLUMNS =
  "id_hash AS id, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, user_agent, ip";

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Opens a session for a person who has just signed in. Answers the secret once (for the cookie);
 * D1 keeps only its hash. Refused for a person who is disabled or unknown.
 *
 * @example
 * const opened = await createSession(env.DB, user.id, { userAgent: c.req.header("User-Agent") ?? null, ip });
 * if (opened.ok) setCookie(c, "sdgate_session", opened.value.secret, { httpOnly: true, secure: true, sameSite: "Lax" });
 */
export async function createSession(
  db: D1Database,
  userId: string,
  context: { userAgent: string | null; ip: string | null; now?: Date },
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<Result<{ secret: string; session: Session }, "user_not_found" | "user_disabled">> {
  const nowMs = (context.now ?? new Date()).getTime();
  const secret = newSessionSecret();
  const absoluteMs = nowMs + policy.absoluteMs;
  const session = await db
    .prepare(
      `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, idle_expires_at, absolute_expires_at, user_agent, ip)
       SELECT ?, id, ?, ?, ?, ?, ?, ? FROM users WHERE id = ? AND disabled_at IS NULL
       RETURNING ${SESSION_COLUMNS}`,
    )
    .bind(
      await sessionHash(secret),
      iso(nowMs),
      iso(nowMs),
      iso(Math.min(nowMs + policy.idleMs, absoluteMs)),
      iso(absoluteMs),
      context.userAgent?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
      context.ip,
      userId,
    )
    .first<Session>();
  if (session) return { ok: true, value: { secret, session } };
  const user = await db.prepare("SELECT 1 AS found FROM users WHERE id = ?").bind(userId).first();
  return { ok: false, error: user ? "user_disabled" : "user_not_found" };
}

type SessionUserRow = Session & { [K in keyof UserRow as `u_${K}`]: UserRow[K] };

const USER_FIELDS = [
  "id",
  "issuer",
  "subject",
  "email",
  "name",
  "idp_groups",
  "created_at",
  "last_sign_in_at",
  "disabled_at",
] as const satisfies readonly (keyof UserRow)[];

function userOf(row: SessionUserRow): UserRow {
  return Object.fromEntries(USER_FIELDS.map((field) => [field, row[`u_${field}`]])) as unknown as UserRow;
}

/**
 * The session a secret opens, with its person and memberships read afresh (so a role or rule removed
 * takes effect at the next request); `null` when the secret is malformed or unknown, or the session
 * is revoked, idle too long, past its absolute expiry, or its person disabled. A use slides the idle
 * expiry, written at most once per `policy.lastSeenWriteIntervalMs`. Never log the secret.
 */
export async function readSession(
  db: D1Database,
  secret: string,
  now: Date = new Date(),
  policy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Promise<ActiveSession | null> {
  if (!SESSION_SECRET_PATTERN.test(secret)) return null;
  const hash = await sessionHash(secret);
  const [sessionRows, membershipRows] = await db.batch([
    db
      .prepare(
        `SELECT ${SESSION_COLUMNS.split(", ")
          .map((column) => `s.${column}`)
          .join(", ")}, ${USER_FIELDS.map((field) => `u.${field} AS u_${field}`).join(", ")}
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`,
      )
      .bind(hash),
    sessionMembershipsStatement(db, hash),
  ]);
  const row = sessionRows?.results[0] as SessionUserRow | undefined;
  if (!row || !membershipRows) return null;
  const nowMs = now.getTime();
  const ended =
    row.revoked_at !== null ||
    row.u_disabled_at !== null ||
    nowMs >= Date.parse(row.idle_expires_at) ||
    nowMs >= Date.parse(row.absolute_expires_at);
  if (ended) return null;
  const session: Session = {
    id: row.id,
    user_id: row.user_id,
    created_at: row.created_at,
    last_seen_at: row.last_seen_at,
    idle_expires_at: row.idle_expires_at,
    absolute_expires_at: row.absolute_expires_at,
    revoked_at: row.revoked_at,
    user_agent: row.user_agent,
    ip: row.ip,
  };
  if (nowMs - Date.parse(session.last_seen_at) >= policy.lastSeenWriteIntervalMs) {
    session.last_seen_at = iso(nowMs);
    session.idle_expires_at = iso(Math.min(nowMs + policy.idleMs, Date.parse(session.absolute_expires_at)));
    await db
      .prepare(
        "UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id_hash = ? AND revoked_at IS NULL",
      )
      .bind(session.last_seen_at, session.idle_expires_at, hash)
      .run();
  }
  return { session, user: userFromRow(userOf(row)), memberships: membershipsFrom(membershipRows) };
}

/** Ends the session a secret opens (signing out); answers it as it was, or `null` if none was live. */
export async function revokeSession(
  db: D1Database,
  secret: string,
  now: Date = new Date(),
): Promise<Session | null> {
  if (!SESSION_SECRET_PATTERN.test(secret)) return null;
  return db
    .prepare(
      `UPDATE sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL RETURNING ${SESSION_COLUMNS}`,
    )
    .bind(now.toISOString(), await sessionHash(secret))
    .first<Session>();
}

/** Ends every session of a person at once ("sign out everywhere"); answers how many were live. */
export async function revokeAllSessions(
  db: D1Database,
  userId: string,
  now: Date = new Date(),
): Promise<number> {
  const result = await db
    .prepare(
      "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND absolute_expires_at > ?",
    )
    .bind(now.toISOString(), userId, now.toISOString())
    .run();
  return result.meta.changes;
}

/** Deletes sessions that can no longer work (revoked or expired), for a scheduled clean-up; answers how many. */
export async function pruneSessions(db: D1Database, now: Date = new Date()): Promise<number> {
  const at = now.toISOString();
  const result = await db
    .prepare(
      "DELETE FROM sessions WHERE revoked_at IS NOT NULL OR idle_expires_at <= ? OR absolute_expires_at <= ?",
    )
    .bind(at, at)
    .run();
  return result.meta.changes;
}
