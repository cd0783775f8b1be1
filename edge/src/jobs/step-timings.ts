import { readyzBodySchema } from "@sdgate/shared";
import { READYZ_PATH } from "../backends/probe.ts";
import type { Backend, Registry } from "../backends/registry.ts";

/** What one backend's `/readyz` says about its speed and its queue. */
export interface BackendTimings {
  backend: string;
  ready: boolean;
  estimatedWaitMs: number | null;
  queueDepth: number | null;
  /** Milliseconds per denoising step per image, by model and `WxH`. */
  stepMs: Record<string, Record<string, number>>;
}

export interface FleetTimings {
  atMs: number;
  backends: BackendTimings[];
}

/** How long an isolate trusts what the backends reported before it asks again. */
export const TIMINGS_TTL_MS = 10_000;
export const TIMINGS_TIMEOUT_MS = 1_500;

// Older backends (and the tests' plain fakes) send fewer fields: read what is there.
const lenientReadyz = readyzBodySchema.partial();

async function readBackend(backend: Backend): Promise<BackendTimings | null> {
  try {
    const response = await fetch(`${backend.url}${READYZ_PATH}`, {
      signal: AbortSignal.timeout(TIMINGS_TIMEOUT_MS),
    });
    const parsed = lenientReadyz.safeParse(await response.json());
    if (!parsed.success) return null;
    return {
      backend: backend.name,
      ready: response.ok,
      estimatedWaitMs: parsed.data.estimated_wait_ms ?? null,
      queueDepth: parsed.data.queue_depth ?? null,
      stepMs: parsed.data.step_ms ?? {},
    };
  } catch {
    return null;
  }
}

interface Cached {
  atMs: number;
  /** The newest answer that arrived (kept while a refresh is in flight). */
  last: FleetTimings | null;
}

const cache = new Map<string, Cached>();

function refresh(registry: Registry, nowMs: number): Promise<FleetTimings> {
  const pending = Promise.all(registry.pools.map(readBackend)).then((backends) => ({
    atMs: nowMs,
    backends: backends.filter((timing): timing is BackendTimings => timing !== null),
  }));
  const entry: Cached = { atMs: nowMs, last: cache.get(registry.fleet)?.last ?? null };
  cache.set(registry.fleet, entry);
  void pending.then((timings) => {
    entry.last = timings;
  });
  return pending;
}

/**
 * The fleet's reported timings, at most {@link TIMINGS_TTL_MS} old: `GET /readyz` of every backend in
 * parallel (bounded by {@link TIMINGS_TIMEOUT_MS}), shared by every request of the isolate.
 *
 * @example
 * const timings = await fleetTimings(config.registry);
 */
export async function fleetTimings(registry: Registry, nowMs = Date.now()): Promise<FleetTimings> {
  // Only settled data is shared between requests: a Worker must not wait on another request's I/O.
  const last = cache.get(registry.fleet)?.last;
  if (last && nowMs - last.atMs < TIMINGS_TTL_MS) return last;
  return await refresh(registry, nowMs);
}

/**
 * The timings already at hand, without waiting (the synchronous route's hot path must not): `null`
 * when the isolate has none yet; a stale entry starts a refresh through `waitUntil` and is used as is.
 *
 * @example
 * const timings = peekFleetTimings(config.registry, (work) => ctx.waitUntil(work));
 */
export function peekFleetTimings(
  registry: Registry,
  waitUntil: (work: Promise<unknown>) => void,
  nowMs = Date.now(),
): FleetTimings | null {
  const cached = cache.get(registry.fleet);
  if (!cached || nowMs - cached.atMs >= TIMINGS_TTL_MS) waitUntil(refresh(registry, nowMs));
  return cache.get(registry.fleet)?.last ?? null;
}
