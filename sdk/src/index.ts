// The public surface of @sdgate/sdk. Wire types come from the contract (@sdgate/shared) and are
// re-exported so that callers need one import.
export type {
  AddTeamMemberBody,
  ApiKeyScope,
  AuditCheckpoint,
  AuditListQuery,
  AuditPage,
  AuditRow,
  AuditVerifyQuery,
  BackendBreaker,
  BackendLoad,
  BackendProbe,
  BreakerMode,
  BudgetAlert,
  BudgetUsage,
  ChainBreakReason,
  ChainHead,
  ChainReport,
  CreateKeyBody,
  CreateRoleMappingBody,
  DeletedTeam,
  DeprovisionedGroup,
  DeprovisionedPerson,
  DeprovisionPersonBody,
  ErrorCode,
  ErrorEnvelope,
  Estimate,
  Fleet,
  FleetBackend,
  GenerationResponse,
  Health,
  JobError,
  JobEventData,
  JobEventName,
  JobProgress,
  JobProgressData,
  JobQueue,
  JobStatus,
  JobView,
  JobWithResult,
  KeyDetail,
  KeyLimits,
  KeyList,
  KeyListQuery,
  KeyRemaining,
  KeyView,
  KeyWithSecret,
  MembershipView,
  Model,
  ModelList,
  Person,
  PersonList,
  PersonListQuery,
  RemovedMember,
  RevokedKey,
  Role,
  RoleMappingChangeView,
  RoleMappingList,
  RoleMappingView,
  RotateKeyBody,
  TeamBudgetBody,
  TeamBudgetStatus,
  TeamBudgetView,
  TeamList,
  TeamMember,
  TeamMemberList,
  TeamView,
  TerminalJobStatus,
  UpdateKeyBody,
  UpdateRoleMappingBody,
  UpdateTeamMemberBody,
  UrlGenerationResponse,
  UsageQuery,
  UsageReport,
  UsageRow,
  WebhookPayload,
  WebhookSecret,
} from "@sdgate/shared";
// The contract's lists of allowed values, for callers that check input before sending it.
export { API_KEY_SCOPES, OUTPUT_FORMATS, ROLES, TEAM_ROLES, TERMINAL_JOB_STATUSES } from "@sdgate/shared";
export { CLIENT_METHODS, DEFAULT_TIMEOUT_MS, Sdgate, type SdgateOptions } from "./client.ts";
export { type ApiErrorDetails, isSdgateApiError, SdgateApiError } from "./errors/api-error.ts";
export { isSdgateConnectionError, SdgateConnectionError } from "./errors/connection-error.ts";
export { isSdgateResponseError, SdgateResponseError } from "./errors/response-error.ts";
export { isSdgateTimeoutError, SdgateTimeoutError } from "./errors/timeout-error.ts";
export { isSdgateWebhookError, SdgateWebhookError, type WebhookFailure } from "./errors/webhook-error.ts";
export { DEFAULT_MAX_RETRIES, MAX_RETRY_AFTER_MS } from "./http/retry.ts";
export type { RequestOptions } from "./http/transport.ts";
export type { ChainWalk } from "./resources/audit.ts";
export type {
  AsyncGenerateOptions,
  CacheMode,
  CacheStatus,
  GenerateOptions,
  Generation,
  GenerationBody,
  GenerationResponseFor,
} from "./resources/images.ts";
export type { JobEvent, JobEventsOptions, TerminalJobEvent } from "./resources/job-events.ts";
export type { WaitOptions } from "./resources/jobs.ts";
export {
  DEFAULT_WEBHOOK_TOLERANCE_S,
  type VerifyWebhookInput,
  verifyWebhook,
  verifyWebhookSignature,
  type WebhookHeaders,
} from "./webhooks/verify.ts";
