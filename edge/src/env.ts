import { Keyring, type ModelInfo, parseKeyringSpec, SdgateError } from "@sdgate/shared";
import { z } from "zod";
import type { AuditLog } from "./audit/audit-log.ts";
import type { BackendHealth } from "./backends/health-object.ts";
import { type Backend, type Registry, registrySchema } from "./backends/registry.ts";
import type { TeamBudget } from "./budgets/team-budget.ts";
import { r2Bucket, urlSigningKeySchema } from "./cache/config.ts";
import type { CanaryWatch } from "./canary/watch.ts";
import type { EvaluationRun } from "./evaluations/evaluation-run.ts";
import type { GenerationCoalescer } from "./gateway/coalescer.ts";
import {
  type IdentityConfig,
  type IdentityEnv,
  identityConfigOf,
  identityEnvShape,
} from "./identity/config.ts";
import {
  autoAsyncConflict,
  type JobsConfig,
  type JobsEnv,
  jobsConfigOf,
  jobsEnvShape,
} from "./jobs/config.ts";
import type { AuthFailures } from "./keys/auth-failures.ts";
import { adminTokenSchema, d1Database, durableObjectNamespace } from "./keys/config.ts";
import type { KeyState } from "./limits/key-state.ts";
import { log } from "./log.ts";
import { GOVERNANCE_MODES, type Governance } from "./model-registry/serving.ts";
import { modelCatalogSchema } from "./models.ts";
import { type RetentionConfig, retentionConflict, retentionEnvShape, retentionOf } from "./retention.ts";
import { type SweepsConfig, type SweepsEnv, sweepsConfigOf, sweepsEnvShape } from "./sweeps/config.ts";

/**
 * The Worker's env as the runtime hands it over:
 * - `API_KEYS`: KV binding (wrangler.toml `[[kv_namespaces]]`), API key records by hash, see `keys/api-key.ts`.
 * - `SDGATE_BACKENDS`: var, the backend registry: a JSON array of pools `{ name, url, provider, region,
 *   priority, weight?, near? }`, or `{ fleet?, models?, engine_version?, retry?, breaker?, pools }` (see
 *   `backends/registry.ts`).
 * - `SDGATE_HMAC_KEYS`: secret, `id:secret[,id:secret]`; the first key signs backend requests.
 * - `SDGATE_BACKEND_TIMEOUT_MS`: optional var, per-attempt timeout of a synchronous backend call
 *   (default {@link DEFAULT_BACKEND_TIMEOUT_MS}, at most {@link MAX_BACKEND_TIMEOUT_MS}).
 * - `SDGATE_MODELS`: optional var, a JSON array of the operator's models (see `models.ts`): their
 *   architecture (else the backends' report), defaults and limits.
 * - `SDGATE_MODEL_GOVERNANCE`: optional var, `registry` (the default: every request resolves through
 *   the model registry) or `catalog` (the static list, unversioned; see `model-registry/serving.ts`).
 * - `DB`: D1 binding, the record of API keys and the audit log (migrations in `edge/migrations/`).
 * - `KEY_STATE`, `AUDIT_LOG`: Durable Object bindings, one `KeyState` per key, one `AuditLog`.
 * - `AUTH_FAILURES`: Durable Object binding, one `AuthFailures` per client address (IPv6: per /64)
 *   counting unknown API keys (see `keys/auth-failures.ts`).
 * - `CANARY_WATCH`: Durable Object binding, one `CanaryWatch` per model alias with a canary split
 *   (see `canary/`).
 * - `TEAM_BUDGET`: Durable Object binding, one `TeamBudget` per team: its monthly credits and budget
 *   alerts (see `budgets/`).
 * - `SDGATE_ADMIN_TOKEN`: optional secret, the bearer token of `/admin/*` (≥ 32 characters).
 * - `IMAGES`: R2 binding, the replay cache's bodies and `url` images (see `cache/store.ts`).
 * - `GENERATION_COALESCER`, `BACKEND_HEALTH`: Durable Object bindings, 256 `GenerationCoalescer`
 *   shards (a cache key's first byte picks one), one `BackendHealth` per fleet.
 * - `EVALUATION_RUN`: Durable Object binding, one `EvaluationRun` per evaluation run (see `evaluations/`).
 * - `SDGATE_URL_SIGNING_KEY`: optional secret (≥ 32 characters) signing image URLs; without it
 *   `response_format: "url"` is refused.
 * - Retention, optional vars (see {@link RetentionConfig}): `SDGATE_CACHE_RETENTION_DAYS` (default
 *   30), `SDGATE_JOB_RETENTION_HOURS` (default 24, at most the cache's), `SDGATE_AUDIT_RETENTION_DAYS`
 *   (default 400; `0` keeps every row).
 * - Async jobs, estimates and webhooks: see {@link JobsEnv} (`jobs/config.ts`).
 * - Sign-in (Cloudflare Access, OIDC, sessions): see {@link IdentityEnv} (`identity/config.ts`).
 * - The sweep driver (`SWEEP_DRIVER`, its pace): see {@link SweepsEnv} (`sweeps/config.ts`).
 */
export interface Env extends JobsEnv, IdentityEnv, SweepsEnv {
  API_KEYS: KVNamespace;
  SDGATE_BACKENDS: string;
  SDGATE_HMAC_KEYS: string;
  SDGATE_BACKEND_TIMEOUT_MS?: string;
  SDGATE_MODELS?: string;
  SDGATE_MODEL_GOVERNANCE?: string;
  DB: D1Database;
  KEY_STATE: DurableObjectNamespace<KeyState>;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
  AUTH_FAILURES: DurableObjectNamespace<AuthFailures>;
  TEAM_BUDGET: DurableObjectNamespace<TeamBudget>;
  CANARY_WATCH: DurableObjectNamespace<CanaryWatch>;
  SDGATE_ADMIN_TOKEN?: string;
  IMAGES: R2Bucket;
  GENERATION_COALESCER: DurableObjectNamespace<GenerationCoalescer>;
  BACKEND_HEALTH: DurableObjectNamespace<BackendHealth>;
  EVALUATION_RUN: DurableObjectNamespace<EvaluationRun>;
  SDGATE_URL_SIGNING_KEY?: string;
  SDGATE_CACHE_RETENTION_DAYS?: string;
  SDGATE_JOB_RETENTION_HOURS?: string;
  SDGATE_AUDIT_RETENTION_DAYS?: string;
}

/** The typed config the rest of the edge reads; built from {@link Env} once per isolate. */
export interface EdgeConfig {
  apiKeys: KVNamespace;
  /** Already in the order they are tried. */
  backends: readonly Backend[];
  keyring: Keyring;
  backendTimeoutMs: number;
  /** `tiny` first, then the operator's models. */
  models: readonly ModelInfo[];
  /** Whether requests resolve through the model registry (`registry`) or the static catalog. */
  governance: Governance;
  db: D1Database;
  keyState: DurableObjectNamespace<KeyState>;
  auditLog: DurableObjectNamespace<AuditLog>;
  authFailures: DurableObjectNamespace<AuthFailures>;
  teamBudget: DurableObjectNamespace<TeamBudget>;
  /** One `CanaryWatch` per model alias with a canary split. */
  canaryWatch: DurableObjectNamespace<CanaryWatch>;
  /** `null` when unset: the admin API is then closed. */
  adminToken: string | null;
  /** The backend registry with its routing policy; `backends` is its `pools`. */
  registry: Registry;
  images: R2Bucket;
  coalescer: DurableObjectNamespace<GenerationCoalescer>;
  health: DurableObjectNamespace<BackendHealth>;
  evaluations: DurableObjectNamespace<EvaluationRun>;
  /** `null` when unset: `url` responses are then refused. */
  urlSigningKey: string | null;
  jobs: JobsConfig;
  retention: RetentionConfig;
  identity: IdentityConfig;
  sweeps: SweepsConfig;
}

/**
 * Cloudflare answers 524 when an origin behind its proxy (here, each cluster's tunnel hostname) sends
 * no response for 100 s, whatever the Worker's own timeout. A synchronous attempt must give up
 * before that so the edge can fail over or answer with its own error; longer work goes to a job,
 * whose event stream keeps the connection busy.
 */
export const CLOUDFLARE_ORIGIN_TIMEOUT_MS = 100_000;
export const MAX_BACKEND_TIMEOUT_MS = 95_000;
export const DEFAULT_BACKEND_TIMEOUT_MS = 90_000;
const kvNamespace = z.custom<KVNamespace>(
  (value) => typeof value === "object" && value !== null && typeof Reflect.get(value, "get") === "function",
  "must be a KV namespace binding",
);

// A [vars] value may arrive as a JSON string (`--var`, dashboard) or, from TOML, as a structured value.
function jsonText<T extends z.ZodType>(schema: T) {
  return z.preprocess((value, ctx) => {
    if (typeof value !== "string") return value;
    try {
      return JSON.parse(value);
    } catch {
      ctx.issues.push({ code: "custom", message: "must be valid JSON", input: "" });
      return z.NEVER;
    }
  }, schema);
}

const keyringSpec = z.string("must be set").transform((spec, ctx) => {
  const parsed = parseKeyringSpec(spec);
  if (!parsed.ok) {
    ctx.issues.push({ code: "custom", message: parsed.error, input: "" });
    return z.NEVER;
  }
  return new Keyring(parsed.value);
});

const timeoutMs = z
  .preprocess(
    (value) => (typeof value === "string" && /^\s*\d+\s*$/.test(value) ? Number(value) : value),
    z
      .number("must be a whole number of milliseconds")
      .int()
      .min(100)
      .max(
        MAX_BACKEND_TIMEOUT_MS,
        `must be at most ${MAX_BACKEND_TIMEOUT_MS}: Cloudflare answers 524 after ${CLOUDFLARE_ORIGIN_TIMEOUT_MS / 1000} s without a response (longer work runs as a job)`,
      ),
  )
  .default(DEFAULT_BACKEND_TIMEOUT_MS);

export const envSchema = z
  .object({
    API_KEYS: kvNamespace,
    SDGATE_BACKENDS: jsonText(registrySchema),
    SDGATE_HMAC_KEYS: keyringSpec,
    SDGATE_BACKEND_TIMEOUT_MS: timeoutMs,
    SDGATE_MODELS: jsonText(modelCatalogSchema),
    SDGATE_MODEL_GOVERNANCE: z
      .enum(GOVERNANCE_MODES, `must be one of ${GOVERNANCE_MODES.join(", ")}`)
      .default("registry"),
    DB: d1Database,
    KEY_STATE: durableObjectNamespace<KeyState>(),
    AUDIT_LOG: durableObjectNamespace<AuditLog>(),
    AUTH_FAILURES: durableObjectNamespace<AuthFailures>(),
    TEAM_BUDGET: durableObjectNamespace<TeamBudget>(),
    CANARY_WATCH: durableObjectNamespace<CanaryWatch>(),
    SDGATE_ADMIN_TOKEN: adminTokenSchema,
    IMAGES: r2Bucket,
    GENERATION_COALESCER: durableObjectNamespace<GenerationCoalescer>(),
    BACKEND_HEALTH: durableObjectNamespace<BackendHealth>(),
    EVALUATION_RUN: durableObjectNamespace<EvaluationRun>(),
    SDGATE_URL_SIGNING_KEY: urlSigningKeySchema,
    ...jobsEnvShape,
    ...retentionEnvShape,
    ...identityEnvShape,
    ...sweepsEnvShape,
  })
  .superRefine((env, ctx) => {
    const conflict = retentionConflict(env);
    if (conflict !== null)
      ctx.addIssue({ code: "custom", path: ["SDGATE_JOB_RETENTION_HOURS"], message: conflict });
    const autoAsync = autoAsyncConflict(env);
    if (autoAsync !== null)
      ctx.addIssue({ code: "custom", path: ["SDGATE_AUTO_ASYNC_MS"], message: autoAsync });
    const identity = identityConfigOf(env);
    if (!identity.ok) ctx.addIssue({ code: "custom", path: [identity.variable], message: identity.message });
  })
  .transform(
    (env): EdgeConfig => ({
      apiKeys: env.API_KEYS,
      backends: env.SDGATE_BACKENDS.pools,
      keyring: env.SDGATE_HMAC_KEYS,
      backendTimeoutMs: env.SDGATE_BACKEND_TIMEOUT_MS,
      models: env.SDGATE_MODELS,
      governance: env.SDGATE_MODEL_GOVERNANCE,
      db: env.DB,
      keyState: env.KEY_STATE,
      auditLog: env.AUDIT_LOG,
      authFailures: env.AUTH_FAILURES,
      teamBudget: env.TEAM_BUDGET,
      canaryWatch: env.CANARY_WATCH,
      adminToken: env.SDGATE_ADMIN_TOKEN,
      registry: env.SDGATE_BACKENDS,
      images: env.IMAGES,
      coalescer: env.GENERATION_COALESCER,
      health: env.BACKEND_HEALTH,
      evaluations: env.EVALUATION_RUN,
      urlSigningKey: env.SDGATE_URL_SIGNING_KEY,
      jobs: jobsConfigOf(env),
      retention: retentionOf(env),
      // Checked in superRefine above: here it parses.
      identity: (identityConfigOf(env) as { ok: true; config: IdentityConfig }).config,
      sweeps: sweepsConfigOf(env),
    }),
  );

type Parsed = { ok: true; config: EdgeConfig } | { ok: false; error: SdgateError };

// The runtime hands every request of an isolate the same env object, so this parses once per isolate
// (and once per distinct env in tests, which pass their own).
const parsedByEnv = new WeakMap<object, Parsed>();

function parse(env: unknown): Parsed {
  const result = envSchema.safeParse(env);
  if (result.success) return { ok: true, config: result.data };
  // Name the variables and what is wrong with them; never their values (one of them is a secret).
  const variables = [...new Set(result.error.issues.map((issue) => String(issue.path[0] ?? "env")))];
  for (const issue of result.error.issues) {
    log.error("invalid worker environment", {
      variable: String(issue.path[0] ?? "env"),
      field: issue.path.slice(1).join(".") || null,
      problem: issue.message,
    });
  }
  const message = `The server is misconfigured: ${variables.join(", ")} ${variables.length === 1 ? "is" : "are"} missing or invalid.`;
  return { ok: false, error: new SdgateError("internal_error", message) };
}

/**
 * The edge's config for this env, parsed and checked once; throws a 500 {@link SdgateError} naming the
 * bad variables when the env is invalid.
 *
 * @example
 * app.use(async (c, next) => {
 *   c.set("config", configFor(c.env));
 *   await next();
 * });
 */
export function configFor(env: Env): EdgeConfig {
  let parsed = parsedByEnv.get(env);
  if (!parsed) {
    parsed = parse(env);
    parsedByEnv.set(env, parsed);
  }
  if (!parsed.ok) throw parsed.error;
  return parsed.config;
}
