import { ENGINE_VERSION } from "@sdgate/shared";
import { z } from "zod";
import { type BreakerPolicy, breakerPolicySchema } from "./breaker.ts";
import { type RetryPolicy, retryPolicySchema } from "./retry-policy.ts";

/**
 * One GPU backend pool as the registry lists it (Portkey-style: a backend is plain data). `name`
 * is public (it is sent back in `X-Backend`), `url` is not.
 */
export const backendSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 letters, digits, '.', '_' or '-'"),
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

/** The order in which backends are tried: by `priority`, lowest first; ties keep their listed order. */
export function byPriority(backends: readonly Backend[]): Backend[] {
  return backends
    .map((backend, index) => ({ backend, index }))
    .sort((a, b) => a.backend.priority - b.backend.priority || a.index - b.index)
    .map(({ backend }) => backend);
}

/**
 * The whole registry, as infra writes it (issue 6): the pools and how to treat them. Everything but
 * `pools` has a default, and a bare array of pools is accepted as `{ pools }`.
 *
 * - `fleet`: names the shared health state (one `BackendHealth` object per fleet); derived from the
 *   pools when absent, so two different registries never share breakers.
 * - `models`: the content hash of each model build the fleet serves, part of every cache key, so a
 *   new build never answers from an old build's images.
 * - `engine_version`: likewise for the engine (schedulers, RNG, encoders).
 */
export const registrySchema = z
  .union([
    backendsSchema.transform((pools) => ({ pools })),
    z.strictObject({
      fleet: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/)
        .optional(),
      engine_version: z.string().min(1).max(64).optional(),
      models: z.record(z.string().max(64), z.string().min(1).max(128)).optional(),
      retry: retryPolicySchema.optional(),
      breaker: breakerPolicySchema.optional(),
      pools: backendsSchema,
    }),
  ])
  .transform((raw): Registry => {
    const pools = byPriority(raw.pools);
    return {
      fleet: ("fleet" in raw ? raw.fleet : undefined) ?? `fleet-${fnv1a64(JSON.stringify(pools))}`,
      engineVersion: ("engine_version" in raw ? raw.engine_version : undefined) ?? DEFAULT_ENGINE_VERSION,
      modelHashes: ("models" in raw ? raw.models : undefined) ?? {},
      retry: retryPolicySchema.parse(("retry" in raw ? raw.retry : undefined) ?? {}),
      breaker: breakerPolicySchema.parse(("breaker" in raw ? raw.breaker : undefined) ?? {}),
      pools,
    };
  });

/** What the edge knows of its backends: plain data, safe to pass to a Durable Object over RPC. */
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

/** A short, stable, non-cryptographic name for a text (FNV-1a, 64 bits as hex). */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}
