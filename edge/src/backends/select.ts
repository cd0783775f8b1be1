import type { Admission } from "./breaker.ts";
import type { Backend } from "./registry.ts";

/** Where the caller is, as Cloudflare tells the Worker (`request.cf`); every field may be missing. */
export interface CallerLocation {
  colo?: string | undefined;
  country?: string | undefined;
  continent?: string | undefined;
}

export interface SelectionInputs {
  admissionOf(backend: string): Admission;
  expectedWaitMs(backend: string): number;
  location: CallerLocation;
  /** Uniform in [0, 1); injectable so tests can pin the weighted draw. */
  random: () => number;
}

export interface Selection {
  /** Backends that may take the request, best first. `probe` ones need the half-open lease first. */
  candidates: Array<{ backend: Backend; probe: boolean }>;
  /** The earliest time a skipped backend takes traffic again, or `null` when none was skipped. */
  soonestMs: number | null;
}

/** Waits within one bucket count as equal, so a few ms of noise does not override weights. */
export const WAIT_BUCKET_MS = 50;

/** 3 for the caller's colo, 2 for its country, 1 for its continent, 0 otherwise. */
export function nearness(backend: Backend, location: CallerLocation): number {
  const labels = new Set([backend.region, ...(backend.near ?? [])].map((label) => label.toUpperCase()));
  const has = (value: string | undefined) => value !== undefined && labels.has(value.toUpperCase());
  if (has(location.colo)) return 3;
  if (has(location.country)) return 2;
  if (has(location.continent)) return 1;
  return 0;
}

/**
 * Orders the registry for one request: by priority, then nearness to the caller, then least
 * expected wait; ties are ordered by a weighted random draw (Efraimidis–Spirakis: key u^(1/w), so
 * each backend leads in proportion to its weight). Backends whose breaker is open, or that asked
 * to be left alone (`Retry-After`), are left out.
 *
 * @example
 * const { candidates } = selectBackends(registry.pools, { admissionOf, expectedWaitMs, location: {}, random: Math.random });
 */
export function selectBackends(pools: readonly Backend[], inputs: SelectionInputs): Selection {
  let soonestMs: number | null = null;
  const ranked: Array<{ backend: Backend; probe: boolean; near: number; waitBucket: number; draw: number }> =
    [];
  for (const backend of pools) {
    const admission = inputs.admissionOf(backend.name);
    if (admission.kind === "no") {
      soonestMs = soonestMs === null ? admission.untilMs : Math.min(soonestMs, admission.untilMs);
      continue;
    }
    const weight = backend.weight ?? 1;
    ranked.push({
      backend,
      probe: admission.kind === "probe",
      near: nearness(backend, inputs.location),
      waitBucket: Math.floor(inputs.expectedWaitMs(backend.name) / WAIT_BUCKET_MS),
      // Weight 0 sorts after every positive weight but still serves when it is all that is left.
      draw: weight > 0 ? inputs.random() ** (1 / weight) : -1,
    });
  }
  ranked.sort(
    (a, b) =>
      a.backend.priority - b.backend.priority ||
      b.near - a.near ||
      a.waitBucket - b.waitBucket ||
      b.draw - a.draw,
  );
  return { candidates: ranked.map(({ backend, probe }) => ({ backend, probe })), soonestMs };
}
