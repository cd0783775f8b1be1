import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { generateWithFailover, type NotServed } from "../backends/failover.ts";
import { fleetRuntime } from "../backends/fleet.ts";
import type { BackendHealth } from "../backends/health-object.ts";
import type { Registry } from "../backends/registry.ts";
import type { CallerLocation } from "../backends/select.ts";
import { keyringFor } from "../jobs/keyring.ts";
import type { GenerationRecord } from "./record.ts";

/**
 * One generation to run on the fleet, as plain data: it may run in the request's isolate (a cache
 * bypass) or in the `GenerationCoalescer` object of its cache key, which only has its own env.
 */
export interface GenerationJob {
  tenantTag: string;
  cacheKey: string;
  request: ResolvedGenerationRequest;
  registry: Registry;
  timeoutMs: number;
  location: CallerLocation;
  requestId: string;
  /** Whose request it is (`tenantOf` the API key), for the backend's fair queue. */
  tenant?: string;
}

export type JobOutcome =
  | {
      ok: true;
      record: GenerationRecord;
      attempts: number;
      region: string;
      /** How long the fleet took, every attempt and failover included (ms, as Workers' clock advances). */
      fleetMs: number;
    }
  | { ok: false; error: NotServed };

/**
 * What running a job needs from wherever it runs. The signing keyring comes from the env of the code
 * that signs, never from the job: a job is plain data that may be stored, and secrets are not copied
 * into stored data (a rotated secret is then also used at once).
 */
export interface JobBindings {
  BACKEND_HEALTH: DurableObjectNamespace<BackendHealth>;
  /** `id:secret[,…]`, as the edge's env has it. */
  SDGATE_HMAC_KEYS: string;
}

/**
 * Runs a job on the fleet with failover and turns the answer into a {@link GenerationRecord}.
 *
 * @example
 * const outcome = await runJob(job, env, (promise) => ctx.waitUntil(promise));
 */
export async function runJob(
  job: GenerationJob,
  bindings: JobBindings,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<JobOutcome> {
  const runtime = fleetRuntime(job.registry, bindings.BACKEND_HEALTH);
  const startedMs = Date.now();
  const result = await generateWithFailover(job.registry, runtime, job.request, {
    keyring: keyringFor(bindings.SDGATE_HMAC_KEYS),
    timeoutMs: job.timeoutMs,
    requestId: job.requestId,
    ...(job.tenant === undefined ? {} : { tenant: job.tenant }),
    location: job.location,
    waitUntil,
  });
  if (!result.ok) return { ok: false, error: result.error };
  const { backend, response, attempts } = result.value;
  return {
    ok: true,
    attempts,
    region: backend.region,
    fleetMs: Date.now() - startedMs,
    record: {
      created: Math.floor(Date.now() / 1000),
      model: response.model,
      output_format: response.output_format,
      // the images' own size (hires makes them larger than the request's first pass)
      width: response.images[0]?.width ?? job.request.width,
      height: response.images[0]?.height ?? job.request.height,
      backend: backend.name,
      region: backend.region,
      timings_ms: response.timings_ms,
      images: response.images.map(({ seed, b64 }) => ({ seed, b64 })),
    },
  };
}
