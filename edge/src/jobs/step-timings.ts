import { backendStatusSchema, type Keyring } from "@sdgate/shared";
import { type BackendStatus, fetchBackendStatus } from "../backends/client.ts";
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
const lenientReadyz = backendStatusSchema.partial();

/** `/readyz`, unsigned: current backends put only their load there; older ones also their step times. */
async function readReadyz(backend: Backend): Promise<BackendStatus | null> {
  try {
    const response = await fetch(`${backend.url}${READYZ_PATH}`, {
      signal: AbortSignal.timeout(TIMINGS_TIMEOUT_MS),
    });
    const parsed = lenientReadyz.safeParse(await response.json());
    return parsed.success ? { ready: response.ok, status: parsed.data } : null;
  } catch {
    return null;
  }
}

async function readBackend(backend: Backend, keyring: Keyring | undefined): Promise<BackendTimings | null> {
  // Step times are behind the signature (backend/src/server/app.ts); with no keyring, the load alone.
  const read =
    keyring === undefined
      ? await readReadyz(backend)
      : await fetchBackendStatus(backend, keyring, TIMINGS_TIMEOUT_MS);
  if (read === null) return null;
  return {
    backend: backend.name,
    ready: read.ready,
    estimatedWaitMs: read.status.estimated_wait_ms ?? null,
    queueDepth: read.status.queue_depth ?? null,
    stepMs: read.status.step_ms ?? {},
  };
}

interface Cached {
  atMs: number;
  /** The newest answer that arrived (kept while a refresh is in flight). */
  last: FleetTimings | null;
}

const cache = new Map<string, Cached>();

function refresh(registry: Registry, nowMs: number, keyring: Keyring | undefined): Promise<FleetTimings> {
  const pending = Promise.all(registry.pools.map((backend) => readBackend(backend, keyring))).then(
    (backends) => ({
      atMs: nowMs,
      backends: backends.filter((timing): timing is BackendTimings => timing !== null),
    }),
  );
  const entry: Cached = { atMs: nowMs, last: cache.get(registry.fleet)?.last ?? null };
  cache.set(registry.fleet, entry);
  void pending.then((timings) => {
    entry.last = timings;
  });
  return pending;
}

/**
 * The fleet's reported timings, at most {@link TIMINGS_TTL_MS} old: every backend's signed status
 * (`GET /internal/v1/status`, its step times included) in parallel, bounded by
 * {@link TIMINGS_TIMEOUT_MS}, shared by every request of the isolate. Without a keyring, `/readyz`,
 * which has the load but (from current backends) no step times.
 *
 * @example
 * const timings = await fleetTimings(config.registry, Date.now(), config.keyring);
 */
export async function fleetTimings(
  registry: Registry,
  nowMs = Date.now(),
  keyring?: Keyring,
): Promise<FleetTimings> {
  // Only settled data is shared between requests: a Worker must not wait on another request's I/O.
  const last = cache.get(registry.fleet)?.last;
  if (last && nowMs - last.atMs < TIMINGS_TTL_MS) return last;
  return await refresh(registry, nowMs, keyring);
}

/**
 * The timings already at hand, without waiting (the synchronous route's hot path must not): `null`
 * when the isolate has none yet; a stale entry starts a refresh through `waitUntil` and is used as is.
 *
 * @example
 * const timings = peekFleetTimings(config.registry, (work) => ctx.waitUntil(work), Date.now(), config.keyring);
 */
export function peekFleetTimings(
  registry: Registry,
  waitUntil: (work: Promise<unknown>) => void,
  nowMs = Date.now(),
  keyring?: Keyring,
): FleetTimings | null {
  const cached = cache.get(registry.fleet);
  if (!cached || nowMs - cached.atMs >= TIMINGS_TTL_MS) waitUntil(refresh(registry, nowMs, keyring));
  return cache.get(registry.fleet)?.last ?? null;
}
