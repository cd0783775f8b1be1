import { retryPolicySchema } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { retryAfterMs } from "./retry-after.ts";
import { fullJitterMs, RetryBudget } from "./retry-policy.ts";

describe("retry policy", () => {
  it("backs off with full jitter: uniform below an exponentially growing, capped ceiling", () => {
    const policy = retryPolicySchema.parse({ backoff_base_ms: 100, backoff_cap_ms: 1_000 });
    expect(fullJitterMs(policy, 1, () => 0.999)).toBe(99);
    expect(fullJitterMs(policy, 2, () => 0.999)).toBe(199);
    expect(fullJitterMs(policy, 3, () => 0.999)).toBe(399);
    expect(fullJitterMs(policy, 10, () => 0.999)).toBe(999);
    expect(fullJitterMs(policy, 3, () => 0)).toBe(0);
  });

  it("a retry budget allows a burst, then retries at most `ratio` of requests", () => {
    const budget = new RetryBudget({ budget_ratio: 0.2, budget_burst: 2 });
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(true);
    expect(budget.withdraw()).toBe(false);
    let retries = 0;
    for (let request = 0; request < 1_000; request++) {
      budget.deposit();
      if (budget.withdraw()) retries++;
    }
    expect(retries).toBe(200);
  });

  it("refills by time too, so a quiet edge can retry again after spending its burst", () => {
    let nowMs = 0;
    const budget = new RetryBudget(
      { budget_ratio: 0, budget_burst: 2, budget_min_per_second: 1 },
      () => nowMs,
    );
    expect([budget.withdraw(), budget.withdraw(), budget.withdraw()]).toEqual([true, true, false]);
    nowMs = 500;
    expect(budget.withdraw()).toBe(false);
    nowMs = 1_000;
    expect([budget.withdraw(), budget.withdraw()]).toEqual([true, false]);
    nowMs = 60_000;
    expect(budget.tokens).toBe(2); // never above the burst
  });

  it("reads Retry-After as seconds or an HTTP-date, capped, and ignores junk", () => {
    const now = Date.parse("2026-11-26T12:00:00Z");
    expect(retryAfterMs("2", now)).toBe(2_000);
    expect(retryAfterMs("Thu, 26 Nov 2026 12:00:30 GMT", now)).toBe(30_000);
    expect(retryAfterMs("Thu, 26 Nov 2026 11:00:00 GMT", now)).toBe(0);
    expect(retryAfterMs("99999999", now)).toBe(600_000);
    for (const junk of ["", "-1", "1.5", "soon", "2 ", "x".repeat(100)]) {
      expect(retryAfterMs(junk, now), junk).toBe(junk === "2 " ? 2_000 : null);
    }
  });
});
