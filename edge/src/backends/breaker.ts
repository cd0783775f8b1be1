import type { BreakerMode, BreakerPolicy } from "@sdgate/shared";

// The policy is registry data and the states are what /admin/backends shows (both the contract's);
// re-exported for the health state.
export { type BreakerMode, type BreakerPolicy, breakerPolicySchema } from "@sdgate/shared";

/**
 * A circuit breaker per backend, as a pure state machine (Nygard, "Release It!", ch. 5; the states
 * and names follow resilience4j): `closed` lets traffic through and counts failures; `open` refuses
 * it until a cool-down has passed; then `half_open` lets one probe request through, which closes the
 * breaker on success and reopens it on failure. Every function returns a new state; the shared copy
 * lives in the `BackendHealth` Durable Object, each isolate keeps a local one.
 */
export interface BreakerState {
  mode: BreakerMode;
  consecutiveFailures: number;
  windowStartMs: number;
  windowRequests: number;
  windowFailures: number;
  /** When an open breaker may let a probe through; when a half-open probe's lease ends. */
  retryAtMs: number;
  /** A backend that answered `Retry-After` is skipped until then, whatever the breaker says. */
  skipUntilMs: number;
  /** What the last failure was (`connect`, `status 503`…), for `/admin/backends`. */
  lastFailure: string | null;
  /** Last change, so two copies of a state can be merged by keeping the newer. */
  updatedAtMs: number;
}

/** How a failure counts: `hard` (nothing listens: connection refused) opens the breaker at once. */
export interface FailureKind {
  hard: boolean;
  description: string;
  retryAfterMs: number | null;
}

export function closedBreaker(nowMs: number): BreakerState {
  return {
    mode: "closed",
    consecutiveFailures: 0,
    windowStartMs: nowMs,
    windowRequests: 0,
    windowFailures: 0,
    retryAtMs: 0,
    skipUntilMs: 0,
    lastFailure: null,
    updatedAtMs: nowMs,
  };
}

// A fixed (tumbling) window: simple, and exact enough for "more than half failed lately".
function rollWindow(state: BreakerState, policy: BreakerPolicy, nowMs: number): BreakerState {
  if (nowMs - state.windowStartMs < policy.window_ms) return state;
  return { ...state, windowStartMs: nowMs, windowRequests: 0, windowFailures: 0 };
}

export function recordSuccess(state: BreakerState, policy: BreakerPolicy, nowMs: number): BreakerState {
  const rolled = rollWindow(state, policy, nowMs);
  return {
    ...rolled,
    mode: "closed",
    consecutiveFailures: 0,
    windowRequests: rolled.windowRequests + 1,
    retryAtMs: 0,
    updatedAtMs: nowMs,
  };
}

export function recordFailure(
  state: BreakerState,
  policy: BreakerPolicy,
  nowMs: number,
  failure: FailureKind,
): BreakerState {
  const rolled = rollWindow(state, policy, nowMs);
  const next: BreakerState = {
    ...rolled,
    consecutiveFailures: rolled.consecutiveFailures + 1,
    windowRequests: rolled.windowRequests + 1,
    windowFailures: rolled.windowFailures + 1,
    skipUntilMs:
      failure.retryAfterMs === null
        ? rolled.skipUntilMs
        : Math.max(rolled.skipUntilMs, nowMs + failure.retryAfterMs),
    lastFailure: failure.description,
    updatedAtMs: nowMs,
  };
  const overRate =
    next.windowRequests >= policy.min_requests &&
    next.windowFailures / next.windowRequests >= policy.error_rate;
  const opens =
    failure.hard ||
    state.mode !== "closed" || // a failed half-open probe (or a straggler while open) reopens
    next.consecutiveFailures >= policy.failure_threshold ||
    overRate;
  return opens ? { ...next, mode: "open", retryAtMs: nowMs + policy.cooldown_ms } : next;
}

/**
 * Whether a request may go to this backend now: `yes`; `probe` (the breaker is half-open or its
 * cool-down has passed: one request may test it, after taking the probe lease); `no`, with when.
 */
export type Admission = { kind: "yes" } | { kind: "probe" } | { kind: "no"; untilMs: number };

export function admission(state: BreakerState, nowMs: number): Admission {
  if (nowMs < state.skipUntilMs) return { kind: "no", untilMs: Math.max(state.skipUntilMs, state.retryAtMs) };
  if (state.mode === "closed") return { kind: "yes" };
  if (nowMs < state.retryAtMs) return { kind: "no", untilMs: state.retryAtMs };
  return { kind: "probe" };
}

/**
 * Takes the single half-open probe: the breaker becomes `half_open` and refuses everyone else for
 * `leaseMs` (if the probe never reports back, another may try after that). `null` when not allowed.
 */
export function takeProbe(state: BreakerState, nowMs: number, leaseMs: number): BreakerState | null {
  if (admission(state, nowMs).kind !== "probe") return null;
  return { ...state, mode: "half_open", retryAtMs: nowMs + leaseMs, updatedAtMs: nowMs };
}

/** An active probe (`/readyz`) that failed: the backend is not ready, so it gets no traffic. */
export function probeFailed(
  state: BreakerState,
  policy: BreakerPolicy,
  nowMs: number,
  description: string,
): BreakerState {
  if (state.mode === "open" && nowMs < state.retryAtMs) return { ...state, lastFailure: description };
  return {
    ...state,
    mode: "open",
    retryAtMs: nowMs + policy.cooldown_ms,
    lastFailure: description,
    updatedAtMs: nowMs,
  };
}

/** The newer of two copies of one backend's state. */
export function newer(a: BreakerState, b: BreakerState): BreakerState {
  return b.updatedAtMs > a.updatedAtMs ? b : a;
}

/** An active probe that passed: an open breaker's cool-down ends now, so the next request probes it. */
export function probeSucceeded(state: BreakerState, nowMs: number): BreakerState {
  if (state.mode !== "open" || state.retryAtMs <= nowMs) return state;
  return { ...state, retryAtMs: nowMs, updatedAtMs: nowMs };
}
