import type { z } from "zod";
import { auditListQuerySchema, auditPageSchema, auditVerifyQuerySchema, chainReportSchema } from "./audit.ts";
import { fleetSchema } from "./backends.ts";
import { teamBudgetBodySchema, teamBudgetStatusSchema } from "./budgets.ts";
import {
  addTeamMemberBodySchema,
  createRoleMappingBodySchema,
  deletedTeamSchema,
  deprovisionedGroupSchema,
  deprovisionedPersonSchema,
  deprovisionGroupBodySchema,
  deprovisionPersonBodySchema,
  membershipSchema,
  personListQuerySchema,
  personListSchema,
  personSchema,
  removedMemberSchema,
  roleMappingChangeSchema,
  roleMappingListSchema,
  teamBodySchema,
  teamListSchema,
  teamMemberListSchema,
  teamSchema,
  updateRoleMappingBodySchema,
  updateTeamMemberBodySchema,
} from "./directory.ts";
import { errorEnvelopeSchema } from "./errors.ts";
import { estimateSchema } from "./estimate.ts";
import { generationRequestSchema } from "./generation-request.ts";
import { generationResponseSchema, urlGenerationResponseSchema } from "./generation-response.ts";
import { healthSchema } from "./health.ts";
import { jobViewSchema, jobWithResultSchema, webhookPayloadSchema, webhookSecretSchema } from "./jobs.ts";
import {
  createKeyBodySchema,
  keyDetailSchema,
  keyListQuerySchema,
  keyListSchema,
  keyViewSchema,
  keyWithSecretSchema,
  revokedKeySchema,
  rotateKeyBodySchema,
  updateKeyBodySchema,
} from "./keys.ts";
import { modelListSchema, teamModelsBodySchema, teamModelsViewSchema } from "./models.ts";
import {
  ADMIN,
  type NamedSchema,
  named,
  type OperationSpec,
  PUBLIC,
  type QuerySpec,
  queryOf,
} from "./operation-spec.ts";
import { A1111_OPERATIONS, A1111_SCHEMAS } from "./operations-a1111.ts";
import { ADAPTER_OPERATIONS, ADAPTER_SCHEMAS } from "./operations-adapters.ts";
import { CANARY_OPERATIONS, CANARY_SCHEMAS } from "./operations-canary.ts";
import { EVALUATION_OPERATIONS, EVALUATION_SCHEMAS } from "./operations-evaluations.ts";
import { PROMPT_OPERATIONS, PROMPT_SCHEMAS } from "./operations-prompts.ts";
import { REGISTRY_OPERATIONS, REGISTRY_SCHEMAS } from "./operations-registry.ts";
import { RUN_OPERATIONS, RUN_SCHEMAS } from "./operations-runs.ts";
import { SHARE_OPERATIONS, SHARE_SCHEMAS } from "./operations-shares.ts";
import { SWEEP_OPERATIONS, SWEEP_SCHEMAS } from "./operations-sweeps.ts";
import { principalSchema } from "./permissions.ts";
import { teamPolicyBodySchema, teamPolicyViewSchema } from "./prompt-policy.ts";
import { localSignInQuerySchema, signedOutSchema, signInQuerySchema, signOutBodySchema } from "./sign-in.ts";
import { usageQuerySchema, usageReportSchema } from "./usage.ts";

/**
 * The schemas the document names, once each; an operation refers to them, and `components.schemas`
 * lists them (with the error envelope and the webhook payload, which no operation answers with).
 */
export const NAMED_SCHEMAS = {
  GenerationRequest: named("GenerationRequest", generationRequestSchema),
  GenerationResponse: named("GenerationResponse", generationResponseSchema),
  UrlGenerationResponse: named("UrlGenerationResponse", urlGenerationResponseSchema),
  Health: named("Health", healthSchema),
  Job: named("Job", jobWithResultSchema),
  JobView: named("JobView", jobViewSchema),
  WebhookSecret: named("WebhookSecret", webhookSecretSchema),
  WebhookPayload: named("WebhookPayload", webhookPayloadSchema),
  Error: named("Error", errorEnvelopeSchema),
  Estimate: named("Estimate", estimateSchema),
  ModelList: named("ModelList", modelListSchema),
  AuditPage: named("AuditPage", auditPageSchema),
  ChainReport: named("ChainReport", chainReportSchema),
  Fleet: named("Fleet", fleetSchema),
  CreateKey: named("CreateKey", createKeyBodySchema),
  UpdateKey: named("UpdateKey", updateKeyBodySchema),
  RotateKey: named("RotateKey", rotateKeyBodySchema),
  Key: named("Key", keyViewSchema),
  KeyWithSecret: named("KeyWithSecret", keyWithSecretSchema),
  KeyDetail: named("KeyDetail", keyDetailSchema),
  KeyList: named("KeyList", keyListSchema),
  RevokedKey: named("RevokedKey", revokedKeySchema),
  UsageReport: named("UsageReport", usageReportSchema),
  Principal: named("Principal", principalSchema),
  SignedOut: named("SignedOut", signedOutSchema),
  SignOut: named("SignOut", signOutBodySchema),
  TeamBudgetBody: named("TeamBudgetBody", teamBudgetBodySchema),
  TeamBudgetStatus: named("TeamBudgetStatus", teamBudgetStatusSchema),
  TeamPolicyBody: named("TeamPolicyBody", teamPolicyBodySchema),
  TeamPolicy: named("TeamPolicy", teamPolicyViewSchema),
  TeamModelsBody: named("TeamModelsBody", teamModelsBodySchema),
  TeamModels: named("TeamModels", teamModelsViewSchema),
  Person: named("Person", personSchema),
  PersonList: named("PersonList", personListSchema),
  DeprovisionPerson: named("DeprovisionPerson", deprovisionPersonBodySchema),
  DeprovisionedPerson: named("DeprovisionedPerson", deprovisionedPersonSchema),
  Team: named("Team", teamSchema),
  TeamList: named("TeamList", teamListSchema),
  TeamBody: named("TeamBody", teamBodySchema),
  DeletedTeam: named("DeletedTeam", deletedTeamSchema),
  Membership: named("Membership", membershipSchema),
  TeamMemberList: named("TeamMemberList", teamMemberListSchema),
  AddTeamMember: named("AddTeamMember", addTeamMemberBodySchema),
  UpdateTeamMember: named("UpdateTeamMember", updateTeamMemberBodySchema),
  RemovedMember: named("RemovedMember", removedMemberSchema),
  RoleMappingList: named("RoleMappingList", roleMappingListSchema),
  CreateRoleMapping: named("CreateRoleMapping", createRoleMappingBodySchema),
  UpdateRoleMapping: named("UpdateRoleMapping", updateRoleMappingBodySchema),
  RoleMappingChange: named("RoleMappingChange", roleMappingChangeSchema),
  DeprovisionGroup: named("DeprovisionGroup", deprovisionGroupBodySchema),
  DeprovisionedGroup: named("DeprovisionedGroup", deprovisionedGroupSchema),
  ...REGISTRY_SCHEMAS,
  ...ADAPTER_SCHEMAS,
  ...CANARY_SCHEMAS,
  ...EVALUATION_SCHEMAS,
  ...RUN_SCHEMAS,
  ...SWEEP_SCHEMAS,
  ...PROMPT_SCHEMAS,
  ...A1111_SCHEMAS,
  ...SHARE_SCHEMAS,
} as const;

const S = NAMED_SCHEMAS;
// `read`: what only looks (the models, a price, the key's own jobs and their progress). `generate`:
// what spends GPU time or acts on a job (generating, cancelling, and the secret that verifies the
// webhooks a generation asks for).
const READ = { kind: "api_key", scope: "read" } as const;
const GENERATE = { kind: "api_key", scope: "generate" } as const;

/**
 * The API, keyed by `operationId` (unique and stable: client generators, and the SDK's methods, are
 * named after it).
 */
export const OPERATIONS = {
  getHealth: {
    method: "GET",
    path: "/healthz",
    summary: "Liveness of the edge.",
    access: PUBLIC,
    permission: null,
    idempotent: true,
    success: { status: 200, schema: S.Health, description: "Up." },
  },
  getMe: {
    method: "GET",
    path: "/v1/me",
    summary:
      "Who the caller is: the kind of credential, its identity, teams, roles and the permissions in force.",
    access: { kind: "any_credential" },
    permission: null,
    idempotent: true,
    success: { status: 200, schema: S.Principal, description: "The caller." },
  },
  startOidcSignIn: {
    method: "GET",
    path: "/auth/oidc/login",
    summary:
      "Sign in through the OpenID Connect provider: redirects there (authorization code with PKCE), then back to `return_to`.",
    access: { kind: "browser" },
    permission: null,
    idempotent: true,
    query: queryOf(signInQuerySchema, {
      return_to: "Where to land after signing in: a path on this origin.",
    }),
    success: { status: 302, mediaType: "text/html", description: "To the provider's sign-in page." },
  },
  completeOidcSignIn: {
    method: "GET",
    path: "/auth/oidc/callback",
    summary: "Where the provider sends the browser back: starts a session and redirects to `return_to`.",
    access: { kind: "browser" },
    permission: null,
    // The provider's code works once: a second try is refused, and changes nothing.
    idempotent: true,
    success: { status: 302, mediaType: "text/html", description: "Signed in: the session cookie is set." },
  },
  useLocalSignInLink: {
    method: "GET",
    path: "/auth/local",
    summary: "A one-time sign-in link `npm start` prints for a local admin (only with SDGATE_LOCAL_SIGN_IN).",
    access: { kind: "browser" },
    permission: null,
    // A used link is refused the second time, and changes nothing.
    idempotent: true,
    query: queryOf(localSignInQuerySchema, { token: "The link's one-time token." }),
    success: { status: 302, mediaType: "text/html", description: "Signed in: the session cookie is set." },
  },
  signOut: {
    method: "POST",
    path: "/auth/logout",
    summary: "End this session (`everywhere: true`: every session of this person).",
    access: { kind: "session" },
    permission: null,
    idempotent: true,
    body: S.SignOut,
    success: { status: 200, schema: S.SignedOut, description: "Signed out." },
  },
  getOpenApiDocument: {
    method: "GET",
    path: "/openapi.json",
    summary: "This document.",
    access: PUBLIC,
    permission: null,
    idempotent: true,
    success: { status: 200, description: "OpenAPI 3.1." },
  },
  listModels: {
    method: "GET",
    path: "/v1/models",
    summary: "The models this key may use (OpenAI's list shape).",
    access: READ,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.ModelList, description: "The models." },
  },
  createImage: {
    method: "POST",
    path: "/v1/images/generations",
    summary:
      "Generate images (OpenAI Images compatible); a long one, or `Prefer: respond-async`, becomes a job (202).",
    access: GENERATE,
    permission: "images.generate",
    // Each try may be a new image and a new charge; the SDK knows when a retry is a replay.
    idempotent: false,
    body: S.GenerationRequest,
    success: {
      status: 200,
      // `b64_json`, or signed links for `response_format: "url"`.
      schema: [S.GenerationResponse, S.UrlGenerationResponse],
      description:
        "The images; `X-Cache` says HIT, MISS, BYPASS or COALESCED, and `Server-Timing` splits the time between the fleet (`fleet`, `engine`) and the edge (`edge`).",
    },
  },
  getImageFile: {
    method: "GET",
    path: "/v1/images/{id}",
    summary:
      "An image behind a signed, expiring link (`response_format: url`; a run's `images[].url`), its thumbnail (a run's `images[].thumb_url`), or a run's input image (a run's `inputs[].url`).",
    access: { kind: "signed_link" },
    permission: null,
    idempotent: true,
    success: { status: 200, mediaType: "image/*", description: "The image bytes." },
  },
  estimateGeneration: {
    method: "POST",
    path: "/v1/estimate",
    summary: "What a generation request would cost, without running it.",
    access: READ,
    permission: "models.read",
    // It only looks: nothing is charged, nothing runs.
    idempotent: true,
    body: S.GenerationRequest,
    success: {
      status: 200,
      schema: S.Estimate,
      description: "GPU-seconds, expected wait, cost and credits.",
    },
  },
  getJob: {
    method: "GET",
    path: "/v1/jobs/{id}",
    summary: "An async job's state and, once done, its result.",
    access: READ,
    permission: "jobs.read",
    idempotent: true,
    success: { status: 200, schema: S.Job, description: "The job." },
  },
  streamJobEvents: {
    method: "GET",
    path: "/v1/jobs/{id}/events",
    summary: "An async job's progress as server-sent events.",
    access: READ,
    permission: "jobs.read",
    idempotent: true,
    success: {
      status: 200,
      mediaType: "text/event-stream",
      description:
        "text/event-stream: `attempt`, `queued`, `started`, `progress`, then one of `succeeded`, `failed`, `cancelled` (each carrying the job as `JobView`); numbered, so `Last-Event-ID` resumes.",
    },
  },
  cancelJob: {
    method: "POST",
    path: "/v1/jobs/{id}/cancel",
    summary: "Cancel an async job; its credits are refunded.",
    access: GENERATE,
    permission: "jobs.cancel",
    // Cancelling a cancelled job answers the same.
    idempotent: true,
    success: { status: 200, schema: S.JobView, description: "The cancelled job." },
  },
  getWebhookSecret: {
    method: "GET",
    path: "/v1/webhooks/secret",
    summary: "The secret this key's webhooks are signed with (Standard Webhooks).",
    access: GENERATE,
    permission: "images.generate",
    idempotent: true,
    success: { status: 200, schema: S.WebhookSecret, description: "The secret." },
  },
  createKey: {
    method: "POST",
    path: "/admin/keys",
    summary:
      "Create an API key; its secret is shown this once. With `team_id` the team owns it, and a person with `keys.create` in that team may make it.",
    access: ADMIN,
    permission: "keys.create",
    teamScope: "body",
    // A second try would make a second key.
    idempotent: false,
    body: S.CreateKey,
    success: { status: 201, schema: S.KeyWithSecret, description: "The key and its secret." },
  },
  listKeys: {
    method: "GET",
    path: "/admin/keys",
    summary:
      "List keys, newest first (never their secrets), filtered by team, status, text and maker before paging: each page is full.",
    access: ADMIN,
    permission: "keys.read",
    idempotent: true,
    query: queryOf(keyListQuerySchema, {
      limit: "Keys in this page.",
      cursor: "Continue after the last page (its `next_cursor`), with the same filters.",
      team_id: "Only the keys of this team (`team_…`).",
      status:
        "Only the keys in this status: `active`, `revoked` or `expired` (past `expires_at`, not revoked).",
      q: "Only the keys whose name, id or prefix contains this text, whatever its case.",
      created_by: "Only the keys this person made (`usr_…`).",
    }),
    success: { status: 200, schema: S.KeyList, description: "A page of keys." },
  },
  getKey: {
    method: "GET",
    path: "/admin/keys/{id}",
    summary: "One key, with what is left of its limits now.",
    access: ADMIN,
    permission: "keys.read",
    idempotent: true,
    success: { status: 200, schema: S.KeyDetail, description: "The key." },
  },
  updateKey: {
    method: "PATCH",
    path: "/admin/keys/{id}",
    summary: "Change a key in place (name, scopes, limits, models, expiry, addresses, labels).",
    access: ADMIN,
    permission: "keys.manage",
    // It sets values rather than adding to them.
    idempotent: true,
    body: S.UpdateKey,
    success: { status: 200, schema: S.Key, description: "The key." },
  },
  revokeKey: {
    method: "DELETE",
    path: "/admin/keys/{id}",
    summary: "Revoke a key, everywhere at once.",
    access: ADMIN,
    permission: "keys.manage",
    idempotent: true,
    success: { status: 200, schema: S.RevokedKey, description: "The revoked key." },
  },
  rotateKey: {
    method: "POST",
    path: "/admin/keys/{id}/rotate",
    summary: "Give a key a new secret; the old one works for a grace period.",
    access: ADMIN,
    permission: "keys.manage",
    // A second rotation would replace the secret the first one made.
    idempotent: false,
    body: S.RotateKey,
    success: { status: 200, schema: S.KeyWithSecret, description: "The key and its new secret." },
  },
  listAudit: {
    method: "GET",
    path: "/admin/audit",
    summary:
      "The hash-chained audit log, newest first, filtered by key, action, actor, target and time before paging: each page is full.",
    access: ADMIN,
    permission: "audit.read",
    idempotent: true,
    query: queryOf(auditListQuerySchema, {
      key_id: "Only the entries about this key.",
      limit: "Entries in this page.",
      before: "Only entries older than this `seq` (the last page's `next_before`); pass the same filters.",
      action:
        "Only this action (`key.create`, `generation`), or, ending in a dot, every action of that kind (`key.`).",
      actor:
        "Only the entries of this actor, as entries name them (`user:usr_…`, `service:…`, `break_glass`, a key id), or of the person with this email.",
      target:
        "Only the entries about this: a key id, or the team, person, model, evaluation or promotion id the entry recorded.",
      from: "Only entries at or after this instant (RFC 3339, or a date for its UTC midnight).",
      to: "Only entries before this instant (RFC 3339, or a date); after `from`.",
    }),
    success: { status: 200, schema: S.AuditPage, description: "A page of entries." },
  },
  verifyAudit: {
    method: "GET",
    path: "/admin/audit/verify",
    summary: "Walk the audit chain a page at a time and report the first broken row.",
    access: ADMIN,
    permission: "audit.read",
    idempotent: true,
    query: queryOf(auditVerifyQuerySchema, {
      after_seq: "Continue after this row (the last page's `next_after_seq`).",
      limit: "Rows to check in this request.",
    }),
    success: { status: 200, schema: S.ChainReport, description: "The report." },
  },
  listBackends: {
    method: "GET",
    path: "/admin/backends",
    summary: "The backend fleet with each backend's breaker and probe state.",
    access: ADMIN,
    permission: "backends.read",
    idempotent: true,
    success: { status: 200, schema: S.Fleet, description: "The fleet." },
  },
  getUsage: {
    method: "GET",
    path: "/admin/usage",
    summary:
      "Generations, images, credits, GPU-seconds and cache savings per key, team, person, model, backend or key label, and day or hour.",
    access: ADMIN,
    permission: "usage.read",
    teamScope: "query",
    idempotent: true,
    query: queryOf(usageQuerySchema, {
      key_id: "Only this key's generations.",
      team_id: "Only this team's keys (a team member sees only their teams' keys either way).",
      from: "RFC 3339 or a date; default 30 days before `to`.",
      to: "RFC 3339 or a date; default now.",
      interval: "One row per group and day, or hour.",
      group_by:
        "`key`, `team`, `person` (who made the key), `model`, `backend`, or `metadata.<label>` for the keys' label. A money-only caller (the `billing` role) may not group by `person` or `backend`.",
    }),
    success: { status: 200, schema: S.UsageReport, description: "The report." },
  },
  listPeople: {
    method: "GET",
    path: "/admin/people",
    summary: "People who have signed in, newest first, with their memberships.",
    access: ADMIN,
    permission: "members.read",
    idempotent: true,
    query: queryOf(personListQuerySchema, {
      limit: "People in this page.",
      cursor: "Continue after the last page (its `next_cursor`).",
      email: "Only the people with this email (whatever its case).",
    }),
    success: { status: 200, schema: S.PersonList, description: "A page of people." },
  },
  getPerson: {
    method: "GET",
    path: "/admin/people/{id}",
    summary: "One person, with their groups and memberships.",
    access: ADMIN,
    permission: "members.read",
    idempotent: true,
    success: { status: 200, schema: S.Person, description: "The person." },
  },
  deprovisionPerson: {
    method: "POST",
    path: "/admin/people/{id}/deprovision",
    summary:
      "Remove a person: disable them, end their sessions at once, and revoke the keys they made unless `reassign_keys_to` takes them over.",
    access: ADMIN,
    permission: "members.manage",
    // A second run finds them disabled and signed out, and revokes only what is left.
    idempotent: true,
    body: S.DeprovisionPerson,
    success: { status: 200, schema: S.DeprovisionedPerson, description: "What deprovisioning did." },
  },
  enablePerson: {
    method: "POST",
    path: "/admin/people/{id}/enable",
    summary: "Let a deprovisioned person sign in again (their revoked keys stay revoked).",
    access: ADMIN,
    permission: "members.manage",
    idempotent: true,
    success: { status: 200, schema: S.Person, description: "The person." },
  },
  listTeams: {
    method: "GET",
    path: "/admin/teams",
    summary: "Every team, by name.",
    access: ADMIN,
    permission: "members.read",
    idempotent: true,
    success: { status: 200, schema: S.TeamList, description: "The teams." },
  },
  createTeam: {
    method: "POST",
    path: "/admin/teams",
    summary: "Create a team; names are unique whatever their case (409 otherwise).",
    access: ADMIN,
    permission: "teams.manage",
    // A second try answers 409: the name is taken.
    idempotent: false,
    body: S.TeamBody,
    success: { status: 201, schema: S.Team, description: "The team." },
  },
  getTeam: {
    method: "GET",
    path: "/admin/teams/{id}",
    summary: "One team.",
    access: ADMIN,
    permission: "members.read",
    teamScope: "path",
    idempotent: true,
    success: { status: 200, schema: S.Team, description: "The team." },
  },
  getTeamBudget: {
    method: "GET",
    path: "/admin/teams/{id}/budget",
    summary: "A team's monthly budget, if it has one, and what its keys have spent and hold this month.",
    access: ADMIN,
    permission: "usage.read",
    teamScope: "path",
    idempotent: true,
    success: { status: 200, schema: S.TeamBudgetStatus, description: "The budget and this month's usage." },
  },
  setTeamBudget: {
    method: "PUT",
    path: "/admin/teams/{id}/budget",
    summary:
      "Set a team's monthly credits, soft threshold (an alert) and alert receiver; past the limit its keys get 402 budget_exceeded.",
    access: ADMIN,
    permission: "budgets.manage",
    // It sets the budget to what it says, however often it is sent.
    idempotent: true,
    body: S.TeamBudgetBody,
    success: { status: 200, schema: S.TeamBudgetStatus, description: "The budget as now set." },
  },
  deleteTeamBudget: {
    method: "DELETE",
    path: "/admin/teams/{id}/budget",
    summary: "Remove a team's budget: its keys are limited by their own limits only.",
    access: ADMIN,
    permission: "budgets.manage",
    idempotent: true,
    success: { status: 200, schema: S.TeamBudgetStatus, description: "The team, now without a budget." },
  },
  getTeamBudgetAlertSecret: {
    method: "GET",
    path: "/admin/teams/{id}/budget/alert-secret",
    summary: "The secret a team's budget alerts are signed with (Standard Webhooks), for their receiver.",
    access: ADMIN,
    permission: "budgets.manage",
    idempotent: true,
    success: { status: 200, schema: S.WebhookSecret, description: "The secret." },
  },
  getTeamPolicy: {
    method: "GET",
    path: "/admin/teams/{id}/policy",
    summary:
      "A team's prompt policy: blocked terms and patterns, size, step and count limits, required negative terms.",
    access: ADMIN,
    permission: "members.read",
    teamScope: "path",
    idempotent: true,
    success: { status: 200, schema: S.TeamPolicy, description: "The policy (`null`: none)." },
  },
  setTeamPolicy: {
    method: "PUT",
    path: "/admin/teams/{id}/policy",
    summary:
      "Set a team's prompt policy; its keys' requests that break a rule answer 403 policy_violation or 400 policy_rejected naming the rule.",
    access: ADMIN,
    permission: "policies.manage",
    idempotent: true,
    body: S.TeamPolicyBody,
    success: { status: 200, schema: S.TeamPolicy, description: "The policy as now set." },
  },
  deleteTeamPolicy: {
    method: "DELETE",
    path: "/admin/teams/{id}/policy",
    summary: "Remove a team's prompt policy.",
    access: ADMIN,
    permission: "policies.manage",
    idempotent: true,
    success: { status: 200, schema: S.TeamPolicy, description: "The team, now without a policy." },
  },
  getTeamModels: {
    method: "GET",
    path: "/admin/teams/{id}/models",
    summary: "The models a team's keys may use (`null`: every model).",
    access: ADMIN,
    permission: "members.read",
    teamScope: "path",
    idempotent: true,
    success: { status: 200, schema: S.TeamModels, description: "The team's grants." },
  },
  setTeamModels: {
    method: "PUT",
    path: "/admin/teams/{id}/models",
    summary:
      "Grant a team models (`sd15`: all of it; `sd15@production`: an alias; `sd15@v3`: a version; `null`: every model); its keys' requests for others answer 403 model_not_granted.",
    access: ADMIN,
    permission: "policies.manage",
    idempotent: true,
    body: S.TeamModelsBody,
    success: { status: 200, schema: S.TeamModels, description: "The grants as now set." },
  },
  updateTeam: {
    method: "PATCH",
    path: "/admin/teams/{id}",
    summary: "Rename a team.",
    access: ADMIN,
    permission: "teams.manage",
    idempotent: true,
    body: S.TeamBody,
    success: { status: 200, schema: S.Team, description: "The team." },
  },
  deleteTeam: {
    method: "DELETE",
    path: "/admin/teams/{id}",
    summary:
      "Delete a team with its memberships and role mappings; refused (409) while it owns a key that works.",
    access: ADMIN,
    permission: "teams.manage",
    // A second try answers 404: it is gone.
    idempotent: true,
    success: { status: 200, schema: S.DeletedTeam, description: "The team, as it was." },
  },
  listTeamMembers: {
    method: "GET",
    path: "/admin/teams/{id}/members",
    summary: "A team's members and their roles.",
    access: ADMIN,
    permission: "members.read",
    teamScope: "path",
    idempotent: true,
    success: { status: 200, schema: S.TeamMemberList, description: "The members." },
  },
  addTeamMember: {
    method: "POST",
    path: "/admin/teams/{id}/members",
    summary:
      "Give a person a role in a team by hand (409 if they are a member already). Through a team role, only a role whose permissions the caller holds there.",
    access: ADMIN,
    permission: "members.manage",
    teamScope: "path",
    // A second try answers 409.
    idempotent: false,
    body: S.AddTeamMember,
    success: { status: 201, schema: S.Membership, description: "The membership." },
  },
  updateTeamMember: {
    method: "PATCH",
    path: "/admin/teams/{id}/members/{user_id}",
    summary:
      "Change a member's role; it becomes given by hand, so sign-in no longer recomputes it. Through a team role, only to a role whose permissions the caller holds there.",
    access: ADMIN,
    permission: "members.manage",
    teamScope: "path",
    idempotent: true,
    body: S.UpdateTeamMember,
    success: { status: 200, schema: S.Membership, description: "The membership." },
  },
  removeTeamMember: {
    method: "DELETE",
    path: "/admin/teams/{id}/members/{user_id}",
    summary:
      "Remove a person from a team. A membership a role mapping gave returns at their next sign-in while the rule and their group stand.",
    access: ADMIN,
    permission: "members.manage",
    teamScope: "path",
    idempotent: true,
    success: { status: 200, schema: S.RemovedMember, description: "The membership, as it was." },
  },
  listRoleMappings: {
    method: "GET",
    path: "/admin/role-mappings",
    summary: "The rules that give an identity provider's groups roles, by group.",
    access: ADMIN,
    permission: "members.read",
    idempotent: true,
    success: { status: 200, schema: S.RoleMappingList, description: "The rules." },
  },
  createRoleMapping: {
    method: "POST",
    path: "/admin/role-mappings",
    summary:
      "Add a rule: members of `idp_group` get `role` in `team_id` (`null`: everywhere). It applies at once to the people whose groups include it.",
    access: ADMIN,
    permission: "members.manage",
    // A second try answers 409: the group has a rule for that scope.
    idempotent: false,
    body: S.CreateRoleMapping,
    success: { status: 201, schema: S.RoleMappingChange, description: "The rule, and whom it changed." },
  },
  updateRoleMapping: {
    method: "PATCH",
    path: "/admin/role-mappings/{id}",
    summary: "Change the role a rule gives; the people in its group get it at once.",
    access: ADMIN,
    permission: "members.manage",
    idempotent: true,
    body: S.UpdateRoleMapping,
    success: { status: 200, schema: S.RoleMappingChange, description: "The rule, and whom it changed." },
  },
  deleteRoleMapping: {
    method: "DELETE",
    path: "/admin/role-mappings/{id}",
    summary: "Delete a rule; what it gave ends at once.",
    access: ADMIN,
    permission: "members.manage",
    idempotent: true,
    success: {
      status: 200,
      schema: S.RoleMappingChange,
      description: "The rule as it was, and whom it changed.",
    },
  },
  deprovisionGroup: {
    method: "POST",
    path: "/admin/groups/deprovision",
    summary:
      "Remove an identity provider's group: delete its rules and end what it gave at once; people left with no membership are signed out.",
    access: ADMIN,
    permission: "members.manage",
    idempotent: true,
    body: S.DeprovisionGroup,
    success: { status: 200, schema: S.DeprovisionedGroup, description: "What removing the group did." },
  },
  ...REGISTRY_OPERATIONS,
  ...ADAPTER_OPERATIONS,
  ...CANARY_OPERATIONS,
  ...EVALUATION_OPERATIONS,
  ...RUN_OPERATIONS,
  ...SWEEP_OPERATIONS,
  ...PROMPT_OPERATIONS,
  ...A1111_OPERATIONS,
  ...SHARE_OPERATIONS,
} as const satisfies Record<string, OperationSpec>;

export type { NamedSchema, OperationAccess, OperationSpec, QuerySpec } from "./operation-spec.ts";
export type { ApprovedPromotion } from "./operations-registry.ts";

export type Operations = typeof OPERATIONS;
export type OperationId = keyof Operations;

/** An operation as `METHOD /path` (`GET /v1/jobs/{id}`): how logs, guards and tests name a route. */
export type RouteId = {
  [K in OperationId]: `${Operations[K]["method"]} ${Operations[K]["path"]}`;
}[OperationId];

/** The operations an API key may call. */
export type KeyOperationId = {
  [K in OperationId]: Operations[K]["access"] extends { kind: "api_key" } ? K : never;
}[OperationId];

/** What a JSON operation answers with, parsed (its one success schema's output). */
export type AnswerOf<K extends OperationId> = Operations[K]["success"] extends {
  schema: NamedSchema<infer S>;
}
  ? z.output<S>
  : never;

/** What a JSON operation's body is, as a caller writes it (its schema's input). */
export type BodyOf<K extends OperationId> = Operations[K] extends { body: NamedSchema<infer S> }
  ? z.input<S>
  : never;

/** What an operation's query is, as a caller writes it. */
export type QueryOf<K extends OperationId> = Operations[K] extends { query: QuerySpec<infer S> }
  ? z.input<S>
  : never;

/** The names of a path template's parameters (`"id" | "user_id"`). */
export type PathParamOf<P extends string> = P extends `${string}{${infer N}}${infer Rest}`
  ? N | PathParamOf<Rest>
  : never;

/** An operation's path parameters besides `{id}` (a team member's `user_id`). */
export type ExtraPathParamsOf<K extends OperationId> = {
  readonly [N in Exclude<PathParamOf<Operations[K]["path"]>, "id">]: string;
};

/** The route id of an operation. */
export function routeIdOf(id: OperationId): RouteId {
  const op: OperationSpec = OPERATIONS[id];
  return `${op.method} ${op.path}` as RouteId;
}
