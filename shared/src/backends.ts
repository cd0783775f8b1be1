import { z } from "zod";
import { backendAdapterSchema } from "./internal-api.ts";
import { MODEL_ARCHITECTURES } from "./models.ts";
import { backendSchema, breakerPolicySchema, retryPolicySchema } from "./registry.ts";

/**
 * The fleet as the admin API reports it (`GET /admin/backends`): the registry, and what the edge
 * knows of each backend's state. The registry's own schemas are in registry.ts.
 */

/** A backend's circuit breaker: `closed` lets traffic through, `open` refuses it, `half_open` lets one probe through. */
export const BREAKER_STATES = ["closed", "open", "half_open"] as const;
export type BreakerMode = (typeof BREAKER_STATES)[number];

/**
 * A backend's breaker as the fleet's shared health state holds it. A backend with no state yet (no
 * request or probe has reached it) shows a closed breaker without `window` and `updated_at`.
 *
 * @example
 * const { state, retry_at } = backendBreakerSchema.parse(backend.breaker);
 */
export const backendBreakerSchema = z.object({
  state: z.enum(BREAKER_STATES),
  consecutive_failures: z.number().int().min(0),
  /** The error-rate window: requests and failures since `started_at`. */
  window: z
    .object({
      requests: z.number().int().min(0),
      failures: z.number().int().min(0),
      started_at: z.string().nullable(),
    })
    .optional(),
  /** What the last failure was (`connect`, `status 503`…). */
  last_failure: z.string().nullable(),
  /** When an open breaker lets a probe through; `null` while closed. */
  retry_at: z.string().nullable(),
  /** The backend answered `Retry-After`: skipped until then, whatever the breaker says. */
  skip_until: z.string().nullable(),
  updated_at: z.string().nullable().optional(),
});
export type BackendBreaker = z.infer<typeof backendBreakerSchema>;

/** The last active probe of a backend's `/readyz`. */
export const backendProbeSchema = z.object({
  at: z.string().nullable(),
  ok: z.boolean(),
  status: z.number().int().nullable(),
  latency_ms: z.number().min(0),
  /** Why it failed (`status 503`, `timeout`, `connect`); `null` when it did not. */
  detail: z.string().nullable(),
});
export type BackendProbe = z.infer<typeof backendProbeSchema>;

/** The load a backend last reported in its response headers, and this isolate's requests to it. */
export const backendLoadSchema = z.object({
  /** `null` when the backend has not said (only this isolate's `in_flight_here` is known). */
  queue_depth: z.number().int().min(0).nullable(),
  estimated_wait_ms: z.number().min(0).nullable(),
  reported_at: z.string().nullable(),
  in_flight_here: z.number().int().min(0),
});
export type BackendLoad = z.infer<typeof backendLoadSchema>;

/**
 * One backend of the report: its registry entry (`weight` filled in) and its state.
 *
 * @example
 * const open = fleet.backends.filter((backend: FleetBackend) => backend.breaker.state !== "closed");
 */
export const fleetBackendSchema = backendSchema.extend({
  weight: z.number().int().min(0),
  breaker: backendBreakerSchema,
  /** `null` before the first probe. */
  last_probe: backendProbeSchema.nullable(),
  /** `null` when it reported none to this isolate and none of its requests is in flight here. */
  load: backendLoadSchema.nullable(),
  /**
   * The files digest of each model it holds, by model id, as its signed status last said (the edge
   * routes a registry version only to backends holding its digest); `null` before it was read.
   */
  versions: z.record(z.string(), z.string()).nullable(),
  /**
   * The LoRAs and ControlNet models it holds, with their digests, as its signed status last said (a
   * request naming adapters goes only to backends holding them all); `null` before it was read.
   */
  adapters: z.array(backendAdapterSchema).nullable(),
  /**
   * What each model it serves is built like, by model id, as its engine detected it (the edge takes
   * it for models the catalog does not declare); `null` before its signed status was read.
   */
  architectures: z.record(z.string(), z.enum(MODEL_ARCHITECTURES)).nullable(),
});
export type FleetBackend = z.infer<typeof fleetBackendSchema>;

/**
 * `GET /admin/backends`: the registry as the edge parsed it, and each backend's breaker, last probe
 * and load.
 *
 * @example
 * const { backends } = fleetSchema.parse(await response.json());
 */
export const fleetSchema = z.object({
  fleet: z.string(),
  engine_version: z.string(),
  /** The content hash of each model build the fleet serves. */
  models: z.record(z.string(), z.string()),
  /** The retry policy, and the retry budget's tokens left in the isolate that answered. */
  retry: retryPolicySchema.extend({ budget_tokens_here: z.number() }),
  breaker: breakerPolicySchema,
  next_probe_at: z.string().nullable(),
  backends: z.array(fleetBackendSchema),
  /**
   * Models whose catalog entry (`SDGATE_MODELS`) declares another architecture than backends report
   * for them: the declared one sizes and prices the model, so the entry is likely wrong. `reported`
   * is by backend name.
   */
  architecture_mismatches: z.array(
    z.object({
      model: z.string(),
      declared: z.enum(MODEL_ARCHITECTURES),
      reported: z.record(z.string(), z.enum(MODEL_ARCHITECTURES)),
    }),
  ),
});
/**
 * The fleet and its state.
 *
 * @example
 * const { backends }: Fleet = await admin.backends.list();
 */
export type Fleet = z.infer<typeof fleetSchema>;
