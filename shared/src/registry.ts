import { z } from "zod";
import { ENGINE_VERSION } from "./engine-version.ts";

/**
 * When and how a failed backend attempt is retried on another backend (Portkey's `retry` block, plus
 * a budget). The budget is a token bucket in the spirit of Finagle's `RetryBudget` and gRPC's retry
 * throttling: every request deposits `budget_ratio` of a token (up to `budget_burst`), every retry
 * spends one, so over time retries stay under that share of requests and a meltdown does not turn
 * into 3× load on whatever is left. Like Finagle's `minRetriesPerSec`, the bucket also refills by
 * time, `budget_min_per_second`, so a quiet edge that spent its burst on one outage can still retry
 * the next request that meets a dead backend instead of answering 503 with a healthy one beside it.
 */
export const retryPolicySchema = z.strictObject({
  /** Attempts per request, the first included. */
  attempts: z.number().int().min(1).max(10).default(3),
  /** Statuses worth another backend; connect errors and timeouts always are. 4xx other than 429 never. */
  on_status_codes: z
    .array(z.number().int().min(429).max(599))
    .default([429, 500, 502, 503, 504])
    .refine((codes) => codes.every((code) => code === 429 || code >= 500), "only 429 and 5xx can be retried"),
  /** Full-jitter backoff: attempt k waits uniform(0, min(cap, base × 2^(k−1))) ms. */
  backoff_base_ms: z.number().int().min(0).max(10_000).default(25),
  backoff_cap_ms: z.number().int().min(0).max(60_000).default(1_000),
  budget_ratio: z.number().min(0).max(1).default(0.2),
  budget_burst: z.number().min(0).max(1_000).default(10),
  budget_min_per_second: z.number().min(0).max(1_000).default(1),
});
export type RetryPolicy = z.output<typeof retryPolicySchema>;

/**
 * A circuit breaker per backend (Nygard, "Release It!", ch. 5; resilience4j's states): `closed` counts
 * failures, `open` refuses traffic for `cooldown_ms`, then one half-open probe decides.
 */
export const breakerPolicySchema = z.strictObject({
  /** Consecutive soft failures (5xx, 429, timeouts, broken answers) that open the breaker. */
  failure_threshold: z.number().int().min(1).max(1000).default(3),
  /** Share of failed requests within `window_ms` that opens the breaker, once `min_requests` were seen. */
  error_rate: z.number().gt(0).max(1).default(0.5),
  window_ms: z.number().int().min(100).max(3_600_000).default(10_000),
  min_requests: z.number().int().min(1).max(100_000).default(10),
  /** How long an open breaker refuses traffic before a half-open probe. */
  cooldown_ms: z.number().int().min(10).max(3_600_000).default(5_000),
});
export type BreakerPolicy = z.output<typeof breakerPolicySchema>;

const nameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'");

/**
 * One GPU backend pool as the registry lists it (Portkey-style: a backend is plain data). `name`
 * is public (the edge sends it back in `X-Backend`, backends sign for it), `url` is not.
 */
export const backendSchema = z.object({
  name: nameSchema,
  url: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .refine((url) => {
      const parsed = new URL(url);
      return parsed.search === "" && parsed.hash === "";
    }, "must not have a query or fragment")
    .transform((url) => url.replace(/\/+$/, "")),
  provider: z.string().min(1).max(64),
  /** A free label (`eu-west`, `local`); matched against the caller's location through {@link Backend.near}. */
  region: z.string().min(1).max(64),
  /** Lower is tried first. */
  priority: z.number().int().min(0),
  /** Share of traffic among pools that tie on everything else; 1 when absent, 0 takes none unless alone. */
  weight: z.number().int().min(0).max(10_000).optional(),
  /**
   * Where callers count as near this pool: Cloudflare colos (`FRA`), countries (`DE`) or continents
   * (`EU`), as `request.cf` names them. The region label itself also counts.
   */
  near: z.array(z.string().min(2).max(8)).max(300).optional(),
});
export type Backend = z.infer<typeof backendSchema>;

export const backendsSchema = z
  .array(backendSchema)
  .min(1, "must list at least one backend")
  .refine(
    (backends) => new Set(backends.map((b) => b.name)).size === backends.length,
    "names must be unique",
  );

/**
 * Everything in the registry but its pools; each field has a default, so a registry only writes
 * what it changes.
 *
 * - `fleet`: names the shared health state (one breaker set per fleet); derived from the pools when
 *   absent, so two different registries never share breakers.
 * - `engine_version`: part of every cache key, so images from another engine never replay.
 * - `models`: the content hash of each model build the fleet serves, likewise part of every cache key.
 */
export const registrySettingsSchema = z.strictObject({
  fleet: nameSchema.optional(),
  engine_version: z.string().min(1).max(64).optional(),
  models: z.record(z.string().max(64), z.string().min(1).max(128)).optional(),
  retry: retryPolicySchema.optional(),
  breaker: breakerPolicySchema.optional(),
});
/** The settings as a registry writes them (infra's `sdgate:registry`), before defaults. */
export type RegistrySettings = z.input<typeof registrySettingsSchema>;

/** The object form of `SDGATE_BACKENDS`, as infra writes it. */
export const registryDocumentSchema = registrySettingsSchema.extend({ pools: backendsSchema });
export type RegistryDocument = z.input<typeof registryDocumentSchema>;

/**
 * `SDGATE_BACKENDS` (issue 6): a registry document, or a bare array of pools taken as `{ pools }`,
 * read into the {@link Registry} with every default filled in and the pools in the order they are
 * tried.
 *
 * @example
 * const registry = registrySchema.parse(JSON.parse(env.SDGATE_BACKENDS));
 */
export const registrySchema = z
  .preprocess(
    // Read as `{ pools }` rather than as a union of two shapes: a union refuses a bad bare list with
    // "Invalid input" and no field.
    (value) => (Array.isArray(value) ? { pools: value } : value),
    registryDocumentSchema,
  )
  .transform((raw): Registry => {
    const pools = byPriority(raw.pools);
    return {
      fleet: raw.fleet ?? `fleet-${fnv1a64(JSON.stringify(pools))}`,
      engineVersion: raw.engine_version ?? DEFAULT_ENGINE_VERSION,
      modelHashes: raw.models ?? {},
      retry: raw.retry ?? retryPolicySchema.parse({}),
      breaker: raw.breaker ?? breakerPolicySchema.parse({}),
      pools,
    };
  });

/** The registry as the edge uses it: plain data, safe to pass to a Durable Object over RPC. */
export interface Registry {
  fleet: string;
  engineVersion: string;
  modelHashes: Readonly<Record<string, string>>;
  retry: RetryPolicy;
  breaker: BreakerPolicy;
  /** In priority order. */
  pools: readonly Backend[];
}

/** Used when the registry does not say which engine its backends run: the engine this build pairs with. */
export const DEFAULT_ENGINE_VERSION = ENGINE_VERSION;

/** The order in which backends are tried: by `priority`, lowest first; ties keep their listed order. */
export function byPriority(backends: readonly Backend[]): Backend[] {
  return backends
    .map((backend, index) => ({ backend, index }))
    .sort((a, b) => a.backend.priority - b.backend.priority || a.index - b.index)
    .map(({ backend }) => backend);
}

/** A short, stable, non-cryptographic name for a text (FNV-1a, 64 bits as hex). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}
