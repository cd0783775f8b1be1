import { describe, expect, it } from "vitest";
import { generationMs } from "./fake-backend.ts";
import { load, openLoad } from "./harness.ts";

describe("generationMs", () => {
  it("stays within ±10 % of the asked time, the same for a seed every time, spread across seeds", () => {
    const times = Array.from({ length: 1000 }, (_, seed) => generationMs(450, seed));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(405);
    expect(Math.max(...times)).toBeLessThanOrEqual(495);
    expect(generationMs(450, 123)).toBe(generationMs(450, 123));
    // Evenly spread: each tenth of the range holds about a tenth of the seeds.
    const deciles = new Array<number>(10).fill(0);
    for (const ms of times) {
      const decile = Math.min(9, Math.floor((ms - 405) / 9));
      deciles[decile] = (deciles[decile] ?? 0) + 1;
    }
    for (const count of deciles) expect(count).toBeGreaterThan(80);
  });

  it("is 0 for an instant backend", () => {
    expect(generationMs(0, 77)).toBe(0);
  });
});

describe("load", () => {
  it("returns each call's latency at its index, without the callers' think time", async () => {
    const latencies = await load(
      2,
      6,
      (i) => new Promise((resolve) => setTimeout(resolve, i === 3 ? 40 : 1)),
      {
        thinkMs: 30,
      },
    );
    expect(latencies).toHaveLength(6);
    expect(latencies[3]).toBeGreaterThanOrEqual(35);
    for (const [i, ms] of latencies.entries()) if (i !== 3) expect(ms).toBeLessThan(25);
  });

  it("starts staggered callers spread over the stagger time", async () => {
    const startedAt: number[] = [];
    const begin = performance.now();
    await load(
      4,
      4,
      async (i) => {
        startedAt[i] = performance.now() - begin;
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
      { staggerMs: 80 },
    );
    // Caller k starts at k × 80 / 4 ms, while the callers before it are still busy.
    expect(startedAt[0]).toBeLessThan(15);
    expect(startedAt[3]).toBeGreaterThanOrEqual(55);
    expect(startedAt[3]).toBeLessThan(100);
  });
});

describe("openLoad", () => {
  it("starts calls at the asked rate without waiting for earlier ones, latencies from their arrival", async () => {
    const started: number[] = [];
    const begin = performance.now();
    // Each call takes 100 ms, far longer than the 5 ms between arrivals: a closed loop could not keep up.
    const latencies = await openLoad(
      200,
      40,
      async (i) => {
        started[i] = performance.now() - begin;
        await new Promise((resolve) => setTimeout(resolve, 100));
      },
      { seed: 7 },
    );
    expect(latencies).toHaveLength(40);
    // Node's timers are whole milliseconds: a call may start or end a millisecond or two early.
    for (const ms of latencies) expect(ms).toBeGreaterThanOrEqual(95);
    // 40 arrivals at 200/s take about 0.2 s (a Poisson process: well within 0.08–0.5 s).
    const last = Math.max(...started);
    expect(last).toBeGreaterThan(80);
    expect(last).toBeLessThan(500);
    expect(started).toEqual([...started].sort((a, b) => a - b));
  });
});
