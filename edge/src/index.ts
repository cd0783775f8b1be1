import { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { onSchedule } from "./backends/scheduled.ts";
import { configFor } from "./env.ts";
import type { AppEnv } from "./hono-env.ts";
import { errorHandler, methodNotAllowedHandler, notFoundHandler } from "./middleware/error-handler/index.ts";
import { requestId } from "./middleware/request-id/index.ts";
import { registerAdapters } from "./routes/adapters.ts";
import { registerAdminAdapters } from "./routes/admin-adapters/index.ts";
import { registerAdminAudit } from "./routes/admin-audit.ts";
import { registerAdminBackends } from "./routes/admin-backends.ts";
import { registerAdminCanary } from "./routes/admin-canary/index.ts";
import { registerAdminEvaluations } from "./routes/admin-evaluations/index.ts";
import { registerAdminKeys } from "./routes/admin-keys/index.ts";
import { registerAdminModels } from "./routes/admin-models/index.ts";
import { registerAdminPeople } from "./routes/admin-people/index.ts";
import { registerAdminRoleMappings } from "./routes/admin-role-mappings/index.ts";
import { registerAdminTeams } from "./routes/admin-teams/index.ts";
import { registerAdminUsage } from "./routes/admin-usage.ts";
import { registerAuth } from "./routes/auth/index.ts";
import { registerEstimate } from "./routes/estimate.ts";
import { registerGenerations } from "./routes/generations.ts";
import { registerHealthz } from "./routes/healthz.ts";
import { registerImages } from "./routes/images.ts";
import { registerJobs } from "./routes/jobs.ts";
import { registerJobsWebhookSecret } from "./routes/jobs-webhook-secret.ts";
import { registerMe } from "./routes/me.ts";
import { registerModels } from "./routes/models.ts";
import { registerOpenApi } from "./routes/openapi.ts";
import { registerPromptTokens } from "./routes/prompt-tokens.ts";
import { registerRuns } from "./routes/runs.ts";
import { registerShares } from "./routes/shares.ts";
import { registerSweeps } from "./routes/sweeps.ts";
import { registerSdapi } from "./sdapi/index.ts";

// Durable Object classes must be exported by the Worker's entry (wrangler.toml `[[durable_objects.bindings]]`).
export { AuditLog } from "./audit/audit-log.ts";
export { BackendHealth } from "./backends/health-object.ts";
export { TeamBudget } from "./budgets/team-budget.ts";
export { CanaryWatch } from "./canary/watch.ts";
export type { EdgeConfig, Env } from "./env.ts";
export { EvaluationRun } from "./evaluations/evaluation-run.ts";
export { GenerationCoalescer } from "./gateway/coalescer.ts";
export { GenerationJob } from "./jobs/generation-job.ts";
export { type ApiKeyRecord, apiKeyRecordKey } from "./keys/api-key.ts";
export { AuthFailures } from "./keys/auth-failures.ts";
export { KeyState } from "./limits/key-state.ts";
export { SweepDriver } from "./sweeps/sweep-driver.ts";

/** sdgate's edge: a Cloudflare Worker in front of the GPU backends. See shared/DESIGN.md, "Public API (edge)". */
const app = new Hono<AppEnv>();

app.use(requestId());
app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedHandler() }));
app.use(async (c, next) => {
  c.set("config", configFor(c.env));
  await next();
});

registerHealthz(app);
registerOpenApi(app);
registerModels(app);
registerAdapters(app);
registerGenerations(app);
registerRuns(app);
registerSweeps(app);
registerPromptTokens(app);
registerShares(app);
registerAdminKeys(app);
registerAdminAudit(app);
registerAdminUsage(app);
registerImages(app);
registerAdminBackends(app);
registerAdminCanary(app);
registerJobs(app);
registerEstimate(app);
registerJobsWebhookSecret(app);
registerMe(app);
registerAuth(app);
registerAdminPeople(app);
registerAdminTeams(app);
registerAdminRoleMappings(app);
registerAdminModels(app);
registerAdminAdapters(app);
registerAdminEvaluations(app);
registerSdapi(app);

app.notFound(notFoundHandler());
app.onError(errorHandler());

// The cron trigger probes the backends (a backstop for BackendHealth's alarm) and prunes the audit
// log past its retention; `fetch` is Hono's.
export default Object.assign(app, { scheduled: onSchedule });
