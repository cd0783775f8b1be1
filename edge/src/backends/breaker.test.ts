import { breakerPolicySchema } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import {
  admission,
  closedBreaker,
  type FailureKind,
  probeFailed,
  probeSucceeded,
  recordFailure,
  recordSuccess,
  takeProbe,
} from "./breaker.ts";

const policy = breakerPolicySchema.parse({
  failure_threshold: 3,
  cooldown_ms: 1_000,
  min_requests: 10,
  error_rate: 0.5,
});
const soft: FailureKind = { hard: false, description: "status 500", retryAfterMs: null };
const hard: FailureKind = { hard: true, description: "connect", retryAfterMs: null };

describe("circuit breaker", () => {
  it("stays closed below the threshold and opens on the Nth consecutive failure", () => {
    let state = closedBreaker(0);
    state = recordFailure(state, policy, 1, soft);
    state = recordFailure(state, policy, 2, soft);
    expect(state.mode).toBe("closed");
    expect(admission(state, 2)).toEqual({ kind: "yes" });
    state = recordFailure(state, policy, 3, soft);
    expect(state.mode).toBe("open");
    expect(admission(state, 4)).toEqual({ kind: "no", untilMs: 1_003 });
  });

  it("a success in between resets the count", () => {
    let state = closedBreaker(0);
    state = recordFailure(state, policy, 1, soft);
    state = recordFailure(state, policy, 2, soft);
    state = recordSuccess(state, policy, 3);
    state = recordFailure(state, policy, 4, soft);
    expect(state.mode).toBe("closed");
    expect(state.consecutiveFailures).toBe(1);
  });

  it("opens at once when nothing listens (a hard failure)", () => {
    const state = recordFailure(closedBreaker(0), policy, 5, hard);
    expect(state.mode).toBe("open");
    expect(state.lastFailure).toBe("connect");
  });

  it("opens on the error rate over the window, not only on streaks", () => {
    let state = closedBreaker(0);
    for (let i = 0; i < 10; i++) {
      // Every other request fails: never 3 in a row, but 50 % over 10 requests.
      state = i % 2 === 1 ? recordFailure(state, policy, i, soft) : recordSuccess(state, policy, i);
      if (i < 9) expect(state.mode, `after ${i + 1}`).toBe("closed");
    }
    expect(state.mode).toBe("open");
  });

  it("forgets old failures when the window rolls over", () => {
    let state = closedBreaker(0);
    for (let i = 0; i < 9; i++)
      state = i % 2 === 0 ? recordFailure(state, policy, i, soft) : recordSuccess(state, policy, i);
    state = recordFailure(state, policy, policy.window_ms + 1, soft);
    expect(state.windowRequests).toBe(1);
    expect(state.mode).toBe("closed");
  });

  it("goes open → half-open (one probe) → closed on the probe's success", () => {
    let state = recordFailure(closedBreaker(0), policy, 0, hard);
    expect(admission(state, 999).kind).toBe("no");
    expect(admission(state, 1_000)).toEqual({ kind: "probe" });
    const leased = takeProbe(state, 1_000, 30_000);
    expect(leased?.mode).toBe("half_open");
    state = leased ?? state;
    expect(takeProbe(state, 1_001, 30_000)).toBeNull(); // only one probe at a time
    expect(admission(state, 1_001).kind).toBe("no");
    state = recordSuccess(state, policy, 1_200);
    expect(state.mode).toBe("closed");
    expect(admission(state, 1_200)).toEqual({ kind: "yes" });
  });

  it("reopens when the half-open probe fails, with a fresh cool-down", () => {
    const open = recordFailure(closedBreaker(0), policy, 0, hard);
    const halfOpen = takeProbe(open, 1_000, 30_000) ?? open;
    const reopened = recordFailure(halfOpen, policy, 1_100, soft);
    expect(reopened.mode).toBe("open");
    expect(admission(reopened, 2_099).kind).toBe("no");
    expect(admission(reopened, 2_100).kind).toBe("probe");
  });

  it("skips a backend until its Retry-After, even with the breaker closed", () => {
    const state = recordFailure(closedBreaker(0), policy, 0, { ...soft, retryAfterMs: 2_000 });
    expect(state.mode).toBe("closed");
    expect(admission(state, 1_999)).toEqual({ kind: "no", untilMs: 2_000 });
    expect(admission(state, 2_000)).toEqual({ kind: "yes" });
  });

  it("active probes: a failed /readyz opens, a passed one ends the cool-down early", () => {
    const opened = probeFailed(closedBreaker(0), policy, 10, "probe connect");
    expect(opened.mode).toBe("open");
    expect(admission(opened, 20).kind).toBe("no");
    expect(admission(probeSucceeded(opened, 20), 20).kind).toBe("probe");
  });
});
