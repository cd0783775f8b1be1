import type { ProbeResult } from "./health.ts";
import type { Backend } from "./registry.ts";

/** The readiness endpoint every backend serves (200 when its models are loaded and warm). */
export const READYZ_PATH = "/readyz";
export const PROBE_TIMEOUT_MS = 2_000;

/**
 * One active probe: `GET {url}/readyz` within {@link PROBE_TIMEOUT_MS}. Never throws.
 *
 * @example
 * const result = await probeBackend(backend, Date.now());
 */
export async function probeBackend(backend: Backend, nowMs: number): Promise<ProbeResult> {
  const startedMs = performance.now();
  const signal = AbortSignal.timeout(PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(`${backend.url}${READYZ_PATH}`, { signal });
    await response.body?.cancel();
    return {
      atMs: nowMs,
      ok: response.ok,
      status: response.status,
      latencyMs: Math.round(performance.now() - startedMs),
      detail: response.ok ? null : `status ${response.status}`,
    };
  } catch {
    return {
      atMs: nowMs,
      ok: false,
      status: null,
      latencyMs: Math.round(performance.now() - startedMs),
      detail: signal.aborted ? "timeout" : "connect",
    };
  }
}
