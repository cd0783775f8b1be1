import { generateWithFailover, type NotServed } from "../backends/failover.ts";
import { fleetRuntime } from "../backends/fleet.ts";
import type { BackendHealth } from "../backends/health-object.ts";
import type { Backend } from "../backends/registry.ts";
import { type GenerationRecord, recordOfResponse } from "../cache/record.ts";
import { getGeneration, putGeneration } from "../cache/store.ts";
import { type GenerationCoalescer, markStored } from "../gateway/coalescer.ts";
import type { JobSpec } from "./job-state.ts";
import { keyringFor } from "./keyring.ts";
import { type BackendProgress, streamingCall } from "./stream-call.ts";

export type RunOutcome =
  | { ok: true; record: GenerationRecord; attempts: number; cache: "HIT" | "MISS" | "BYPASS" }
  | { ok: false; error: NotServed };

export interface RunBindings {
  BACKEND_HEALTH: DurableObjectNamespace<BackendHealth>;
  IMAGES: R2Bucket;
  GENERATION_COALESCER: DurableObjectNamespace<GenerationCoalescer>;
  /** The edge's current keyring: a stored job carries no secret of its own (see `FleetRunBindings`). */
  SDGATE_HMAC_KEYS: string;
}

export interface RunHooks {
  signal: AbortSignal;
  /**
   * A later run of the same job (its object was interrupted mid-run): the images may already be in
   * R2, and the backend that had the job (`resumeOn`) is asked first, under the same job id, so it can
   * hand back the job it still runs or has just finished instead of making the images again.
   */
  resumeOn?: string | null;
  onAttempt(backend: Backend): void;
  onEvent(event: BackendProgress): void;
  waitUntil(promise: Promise<unknown>): void;
}

/** Where a job's images go in R2: the replay cache's entry, or (`no-store`) a key of the job's own. */
export function resultKey(spec: JobSpec): string {
  return spec.store === "job" ? `job-${spec.id}` : spec.fleet.cacheKey;
}

/**
 * Runs a job's generation the way the synchronous route does, but streamed: the replay cache first
 * (unless the client bypassed it), then the fleet through `generateWithFailover` (the same backend
 * selection, breakers, retry budget and backoff) with {@link streamingCall} as the call, so queue
 * positions and progress reach the job as they happen. The images are in R2 before it returns, so a
 * finished job can always be read back (and `url` links resolve).
 *
 * @example
 * const outcome = await runGeneration(spec, env, { signal, onAttempt, onEvent, waitUntil });
 */
export async function runGeneration(
  spec: JobSpec,
  bindings: RunBindings,
  hooks: RunHooks,
): Promise<RunOutcome> {
  const { fleet } = spec;
  const resumed = hooks.resumeOn !== undefined;
  if (spec.store === "cache" || resumed) {
    const stored = await getGeneration(bindings.IMAGES, fleet.tenantTag, resultKey(spec));
    // What an interrupted run stored is this job's own work, and is charged as such.
    if (stored !== null && resumed) return { ok: true, record: stored, attempts: 0, cache: ownCache(spec) };
    if (stored !== null) return { ok: true, record: stored, attempts: 0, cache: "HIT" };
  }
  const runtime = fleetRuntime(fleet.registry, bindings.BACKEND_HEALTH);
  const result = await generateWithFailover(fleet.registry, runtime, fleet.request, {
    keyring: keyringFor(bindings.SDGATE_HMAC_KEYS),
    timeoutMs: fleet.timeoutMs,
    requestId: fleet.requestId,
    location: fleet.location,
    waitUntil: hooks.waitUntil,
    ...(hooks.resumeOn ? { preferBackend: hooks.resumeOn } : {}),
    call: streamingCall({
      jobId: spec.id,
      tenant: spec.tenant,
      deadlineAtMs: spec.deadlineAtMs,
      previewEvery: spec.previewEvery,
      signal: hooks.signal,
      onAttempt: hooks.onAttempt,
      onEvent: hooks.onEvent,
    }),
  });
  if (!result.ok) return { ok: false, error: result.error };
  const { backend, response, attempts } = result.value;
  const record = recordOfResponse(response, fleet.request, backend);
  await putGeneration(bindings.IMAGES, fleet.tenantTag, resultKey(spec), record);
  // The replay route asks the cache key's shard first, so it must hear of this entry to replay it.
  if (spec.store !== "job") await markStored(bindings.GENERATION_COALESCER, fleet.cacheKey, fleet.requestId);
  return { ok: true, record, attempts, cache: ownCache(spec) };
}

/** How a job that made its own images reports the replay cache: filled (`MISS`) or passed by. */
function ownCache(spec: JobSpec): "MISS" | "BYPASS" {
  return spec.store === "cache" ? "MISS" : "BYPASS";
}
