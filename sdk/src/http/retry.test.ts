import { describe, expect, it } from "vitest";
import { BASE_BACKOFF_MS, backoffMs, MAX_BACKOFF_MS, retryAfterMs, retryableStatus } from "./retry.ts";

describe("Retry-After", () => {
  it("reads delay-seconds", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(" 0 ")).toBe(0);
  });

  it("reads an HTTP-date as the time until it, and a past one as no wait", () => {
    const nowMs = Date.parse("Wed, 21 Oct 2026 07:27:58 GMT");
    expect(retryAfterMs("Wed, 21 Oct 2026 07:28:00 GMT", nowMs)).toBe(2000);
    expect(retryAfterMs("Wed, 21 Oct 2026 07:27:00 GMT", nowMs)).toBe(0);
  });

  it("ignores what is neither", () => {
    expect(retryAfterMs(null)).toBeNull();
    expect(retryAfterMs("soon")).toBeNull();
    expect(retryAfterMs("-1")).toBeNull();
    expect(retryAfterMs("1.5")).toBeNull();
  });
});

describe("full-jitter backoff", () => {
  it("waits anywhere from nothing to the doubling bound, capped", () => {
    expect(backoffMs(0, () => 0)).toBe(0);
    expect(backoffMs(0, () => 0.999)).toBe(Math.floor(0.999 * BASE_BACKOFF_MS));
    expect(backoffMs(2, () => 0.5)).toBe(BASE_BACKOFF_MS * 2);
    expect(backoffMs(20, () => 0.999)).toBeLessThan(MAX_BACKOFF_MS);
  });
});

describe("which statuses are retried", () => {
  it("retries 429 for any request, 503 only for an idempotent one, and no other 4xx", () => {
    expect(retryableStatus(429, false)).toBe(true);
    expect(retryableStatus(503, true)).toBe(true);
    expect(retryableStatus(503, false)).toBe(false);
    for (const status of [400, 401, 403, 404, 409, 422]) expect(retryableStatus(status, true)).toBe(false);
  });
});
