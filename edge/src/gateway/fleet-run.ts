import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { generateWithFailover, type NotServed } from "../backends/failover.ts";
import { fleetRuntime } from "../backends/fleet.ts";
import type { BackendHealth } from "../backends/health-object.ts";
import type { Registry } from "../backends/registry.ts";
import type { CallerLocation } from "../backends/select.ts";
import { type GenerationRecord, recordOfResponse } from "../cache/record.ts";
import { keyringFor } from "../jobs/keyring.ts";

/**
 * One generation to run on the fleet, as plain data: it may run in the request's isolate (a cache
 * bypass) or in the `GenerationCoalescer` object of its cache key, which only has its own env.
 */
export interface FleetRun {
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

export type FleetRunOutcome =
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
 * What a fleet run needs from wherever it runs. The signing keyring comes from the env of the code
 * that signs, never from the run: a run is plain data that may be stored, and secrets are not copied
 * into stored data (a rotated secret is then also used at once).
 */
export interface FleetRunBindings {
  BACKEND_HEALTH: DurableObjectNamespace<BackendHealth>;
  /** `id:secret[,…]`, as the edge's env has it. */
  SDGATE_HMAC_KEYS: string;
}

/**
 * Runs a generation on the fleet with failover and turns the answer into a {@link GenerationRecord}.
 *
 * @example
 * const outcome = await runOnFleet(run, env, (promise) => ctx.waitUntil(promise));
 */
export async function runOnFleet(
  run: FleetRun,
  bindings: FleetRunBindings,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<FleetRunOutcome> {
  const runtime = fleetRuntime(run.registry, bindings.BACKEND_HEALTH);
  const startedMs = Date.now();
  const result = await generateWithFailover(run.registry, runtime, run.request, {
    keyring: keyringFor(bindings.SDGATE_HMAC_KEYS),
    timeoutMs: run.timeoutMs,
    requestId: run.requestId,
    ...(run.tenant === undefined ? {} : { tenant: run.tenant }),
    location: run.location,
    waitUntil,
  });
  if (!result.ok) return { ok: false, error: result.error };
  const { backend, response, attempts } = result.value;
  return {
    ok: true,
    attempts,
    region: backend.region,
    fleetMs: Date.now() - startedMs,
    record: recordOfResponse(response, run.request, backend),
  };
}
