import { Keyring, type ModelInfo, parseKeyringSpec, SdgateError } from "@sdgate/shared";
import { z } from "zod";
import { type Backend, backendsSchema, byPriority } from "./backends/registry.ts";
import { log } from "./log.ts";
import { modelCatalogSchema } from "./models.ts";

/**
 * The Worker's env as the runtime hands it over:
 * - `API_KEYS`: KV binding (wrangler.toml `[[kv_namespaces]]`), API key records by hash, see `api-keys.ts`.
 * - `SDGATE_BACKENDS`: var, a JSON array of `{ name, url, provider, region, priority }`.
 * - `SDGATE_HMAC_KEYS`: secret, `id:secret[,id:secret]`; the first key signs backend requests.
 * - `SDGATE_BACKEND_TIMEOUT_MS`: optional var, per-attempt backend timeout (default 120000).
 * - `SDGATE_MODELS`: optional var, a JSON array of the operator's models (see `models.ts`).
 */
export interface Env {
  API_KEYS: KVNamespace;
  SDGATE_BACKENDS: string;
  SDGATE_HMAC_KEYS: string;
  SDGATE_BACKEND_TIMEOUT_MS?: string;
  SDGATE_MODELS?: string;
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
}

export const DEFAULT_BACKEND_TIMEOUT_MS = 120_000;

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
    z.number("must be a whole number of milliseconds").int().min(100).max(600_000),
  )
  .default(DEFAULT_BACKEND_TIMEOUT_MS);

export const envSchema = z
  .object({
    API_KEYS: kvNamespace,
    SDGATE_BACKENDS: jsonText(backendsSchema),
    SDGATE_HMAC_KEYS: keyringSpec,
    SDGATE_BACKEND_TIMEOUT_MS: timeoutMs,
    SDGATE_MODELS: jsonText(modelCatalogSchema),
  })
  .transform(
    (env): EdgeConfig => ({
      apiKeys: env.API_KEYS,
      backends: byPriority(env.SDGATE_BACKENDS),
      keyring: env.SDGATE_HMAC_KEYS,
      backendTimeoutMs: env.SDGATE_BACKEND_TIMEOUT_MS,
      models: env.SDGATE_MODELS,
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
