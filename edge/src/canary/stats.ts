import { SPLIT_WINDOW, type VersionStats } from "@sdgate/shared";

/** One version's latest outcomes, oldest first: `[ok ? 1 : 0, latency ms]`. */
export type Outcomes = Array<[0 | 1, number]>;

/** Adds an outcome, keeping only the latest {@link SPLIT_WINDOW}. */
export function remember(outcomes: Outcomes, ok: boolean, latencyMs: number): Outcomes {
  const next: Outcomes = [...outcomes, [ok ? 1 : 0, Math.max(0, Math.round(latencyMs))]];
  return next.length > SPLIT_WINDOW ? next.slice(next.length - SPLIT_WINDOW) : next;
}

/** The nearest-rank percentile of sorted values; `null` for none. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? null;
}

/**
 * A version's numbers over its latest outcomes. Latency is of the requests that succeeded: a failure's
 * time says how long it took to fail, which the error rate already counts.
 *
 * @example
 * statsOf("v4", [[1, 900], [0, 30_000]]); // { requests: 2, errors: 1, error_rate: 0.5, p50_ms: 900, … }
 */
export function statsOf(version: string, outcomes: Outcomes): VersionStats {
  const errors = outcomes.filter(([ok]) => ok === 0).length;
  const latencies = outcomes
    .filter(([ok]) => ok === 1)
    .map(([, ms]) => ms)
    .sort((a, b) => a - b);
  return {
    version,
    requests: outcomes.length,
    errors,
    error_rate: outcomes.length === 0 ? 0 : errors / outcomes.length,
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
  };
}

/** The budget a canary's numbers break, or `null`: none yet (or too few requests to say). */
export function brokenBudget(
  stats: VersionStats,
  budgets: { max_error_rate: number; max_p95_ms: number; min_requests: number },
): { budget: "max_error_rate" | "max_p95_ms"; limit: number; value: number } | null {
  if (stats.requests < budgets.min_requests) return null;
  if (stats.error_rate > budgets.max_error_rate)
    return { budget: "max_error_rate", limit: budgets.max_error_rate, value: stats.error_rate };
  if (stats.p95_ms !== null && stats.p95_ms > budgets.max_p95_ms)
    return { budget: "max_p95_ms", limit: budgets.max_p95_ms, value: stats.p95_ms };
  return null;
}
