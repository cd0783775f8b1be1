import { rateImageSeconds } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { estimateGeneration, stepTime } from "./estimate.ts";
import { idempotencyKey, jobIdFor } from "./idempotency.ts";
import { prefersAsync } from "./prefer.ts";

describe("request headers of async jobs", () => {
  it("finds respond-async among other preferences (RFC 7240)", () => {
    expect(prefersAsync("respond-async")).toBe(true);
    expect(prefersAsync("return=minimal, Respond-Async; x=1, wait=10")).toBe(true);
    expect(prefersAsync("wait=10")).toBe(false);
    expect(prefersAsync(undefined)).toBe(false);
  });

  it("reads Idempotency-Key as an sf-string or a bare token, and refuses junk", () => {
    expect(idempotencyKey('"abc-1"')).toBe("abc-1");
    expect(idempotencyKey("abc-1")).toBe("abc-1");
    expect(idempotencyKey(undefined)).toBeNull();
    expect(() => idempotencyKey('""')).toThrow(/Idempotency-Key/);
    expect(() => idempotencyKey("é")).toThrow(/Idempotency-Key/);
  });

  it("derives job ids per API key from the idempotency key", async () => {
    expect(await jobIdFor("key_a", "k")).toBe(await jobIdFor("key_a", "k"));
    expect(await jobIdFor("key_a", "k")).not.toBe(await jobIdFor("key_b", "k"));
    expect(await jobIdFor("key_a", null)).not.toBe(await jobIdFor("key_a", null));
  });
});

describe("estimates", () => {
  const timings = {
    atMs: 0,
    backends: [
      { backend: "a", ready: true, estimatedWaitMs: 900, queueDepth: 3, stepMs: { m: { "512x512": 100 } } },
      { backend: "b", ready: true, estimatedWaitMs: 300, queueDepth: 1, stepMs: { m: { "512x512": 200 } } },
      { backend: "c", ready: false, estimatedWaitMs: 0, queueDepth: 0, stepMs: { m: { "512x512": 600 } } },
    ],
  };

  it("takes the median measured step time and the shortest wait of a ready backend", () => {
    expect(stepTime(timings, "m", 512, 512, "sd1")).toEqual({
      stepMs: 200,
      source: "measured",
      backendsReporting: 3,
    });
    const request = {
      model: "m",
      width: 512,
      height: 512,
      steps: 10,
      n: 1,
      image: null,
      strength: null,
    } as Parameters<typeof estimateGeneration>[0];
    const estimate = estimateGeneration(request, "sd1", timings, 3.6);
    // 10 steps at 200 ms, and the image's text encoder and VAE from the rate table
    expect(estimate.gpuSeconds).toBeCloseTo(2 + rateImageSeconds("sd1", 512, 512), 9);
    expect(estimate.expectedWaitMs).toBe(300);
    expect(estimate.cost).toBeCloseTo(0.002 + rateImageSeconds("sd1", 512, 512) / 1000, 9);
  });
});
