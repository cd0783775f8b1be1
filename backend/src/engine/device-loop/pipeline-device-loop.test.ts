import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadPipeline } from "../loading/load-pipeline.ts";
import { maxAbsDiff, TINY_REQUEST, testPattern, tinyModelDir } from "../test-models.ts";
import type { EngineLogger, GenerationRequest, Pipeline } from "../types.ts";
import { DeviceLoop } from "./device-loop.ts";

const base: GenerationRequest = TINY_REQUEST;

/** Records what the pipeline logs, to see which loop ran. */
function recordingLogger(): EngineLogger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(message),
    warn: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`),
  };
}

describe("a pipeline with the device loop (cpu:device_loop=1)", () => {
  let host: Pipeline;
  let device: Pipeline;
  const logger = recordingLogger();

  beforeAll(async () => {
    const dir = await tinyModelDir();
    host = await loadPipeline(dir, { executionProviders: ["cpu"] });
    device = await loadPipeline(dir, { executionProviders: ["cpu:device_loop=1"], logger });
  });
  /** How many runs the device loop took (it returns undefined for one it leaves to the host). */
  let deviceRuns = 0;
  beforeEach(() => {
    deviceRuns = 0;
  });
  beforeAll(() => {
    const run = DeviceLoop.prototype.run;
    vi.spyOn(DeviceLoop.prototype, "run").mockImplementation(async function (this: DeviceLoop, ...args) {
      const result = await run.apply(this, args);
      if (result !== undefined) deviceRuns++;
      return result;
    });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await host?.release();
    await device?.release();
  });

  /** Each batched request's images equal what the host pipeline makes of it alone (within one level). */
  async function expectAsAlone(
    requests: readonly GenerationRequest[],
    outcomes: Awaited<ReturnType<Pipeline["generateBatch"]>>,
  ): Promise<void> {
    for (const [i, request] of requests.entries()) {
      const outcome = outcomes[i];
      if (!outcome?.ok) throw new Error(`request ${i} failed: ${String(outcome?.error)}`);
      const alone = await host.generate(request);
      for (const [k, image] of alone.images.entries()) {
        expect(maxAbsDiff(outcome.result.images[k]?.rgb as Uint8Array, image.rgb)).toBeLessThanOrEqual(1);
      }
    }
  }

  it("loads the loop and makes the host loop's images", async () => {
    expect(logger.lines).toContain("device loop ready");
    for (const request of [
      base,
      { ...base, scheduler: "euler_a", seed: 3 },
      { ...base, scheduler: "dpmpp_2m_karras", guidanceScale: 1, n: 2 },
      { ...base, prompt: "a fox AND a castle :0.6", scheduler: "dpmpp_2m" },
    ]) {
      const expected = await host.generate(request);
      const actual = await device.generate(request);
      expect(actual.images).toHaveLength(expected.images.length);
      for (const [i, image] of expected.images.entries()) {
        expect(maxAbsDiff(actual.images[i]?.rgb as Uint8Array, image.rgb)).toBeLessThanOrEqual(1);
      }
    }
    expect(deviceRuns).toBe(5);
  });

  it("runs a batch on the device, each image as it comes alone, with previews when asked", async () => {
    const requests = [
      { ...base, seed: 11 },
      { ...base, prompt: "a lighthouse at dusk", seed: 12, n: 2 },
    ];
    const previews: number[] = [];
    const outcomes = await device.generateBatch(
      requests.map((request) => ({
        request,
        previewEverySteps: 3,
        onProgress: (progress) => {
          if (progress.preview !== undefined) previews.push(progress.step);
        },
      })),
    );
    await expectAsAlone(requests, outcomes);
    expect(previews).toEqual([3, 3, 6, 6]);
    expect(deviceRuns).toBe(1);
  });

  it("with overlap=1, runs a batch as two half-batches and still gives each image as it comes alone", async () => {
    const overlapped = await loadPipeline(await tinyModelDir(), {
      executionProviders: ["cpu:device_loop=1,overlap=1"],
    });
    try {
      const requests = [
        { ...base, seed: 21, n: 2 },
        { ...base, seed: 23, scheduler: "euler" },
      ];
      const batches: number[] = [];
      const outcomes = await overlapped.generateBatch(
        requests.map((request) => ({ request, onProgress: (p) => batches.push(p.batch ?? 0) })),
      );
      await expectAsAlone(requests, outcomes);
      // three images: a half of two (the first request's) and a half of one (the second's)
      expect(deviceRuns).toBe(1);
      expect(batches.slice(0, 6)).toEqual([2, 2, 2, 2, 2, 2]);
      expect(batches.slice(6)).toEqual([1, 1, 1, 1, 1, 1]);
    } finally {
      await overlapped.release();
    }
  });

  it("leaves what it cannot express to the host loop", async () => {
    const request = { ...base, image: testPattern(64, 64), strength: 0.6 };
    const expected = await host.generate(request);
    const actual = await device.generate(request);
    expect(maxAbsDiff(actual.images[0]?.rgb as Uint8Array, expected.images[0]?.rgb as Uint8Array)).toBe(0);
    expect(deviceRuns).toBe(0);
    // DDIM's default clip_sample (the tiny model's config leaves it) is no affine step: declined, said once
    await device.generate({ ...base, scheduler: "ddim" });
    expect(deviceRuns).toBe(0);
    expect(logger.lines.filter((line) => line.includes("clip_sample"))).toHaveLength(1);
  });

  it("stops a cancelled generation between two steps", async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    await expect(
      device.generate(base, {
        signal: controller.signal,
        onProgress: ({ step }) => {
          steps.push(step);
          if (step === 2) controller.abort();
        },
      }),
    ).rejects.toThrow(/abort/i);
    expect(steps).toEqual([1, 2]);
  });
});
