import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadTiny, maxAbsDiff, TINY_REQUEST } from "../test-models.ts";
import type { GenerationProgress, GenerationRequest, Pipeline } from "../types.ts";

const base: GenerationRequest = TINY_REQUEST;
let pipeline: Pipeline;

beforeAll(async () => {
  pipeline = await loadTiny();
});
afterAll(() => pipeline.release());

const rgbOf = (outcome: Awaited<ReturnType<Pipeline["generateBatch"]>>[number] | undefined) => {
  if (!outcome?.ok) throw new Error(`expected images, got ${String(outcome?.error)}`);
  return outcome.result.images.map((image) => image.rgb);
};

describe("batched generation", () => {
  it("gives each request the image it gets alone, for its own seed, prompt and guidance", async () => {
    const requests: GenerationRequest[] = [
      base,
      { ...base, prompt: "a lighthouse at dusk", seed: 7, guidanceScale: 4, n: 2 },
      { ...base, prompt: "", negativePrompt: "blurry", seed: 1234, scheduler: "euler" },
    ];
    const batched = await pipeline.generateBatch(
      requests.map((request) => ({ request })),
      { maxBatch: 3 },
    );
    for (const [i, request] of requests.entries()) {
      const alone = await pipeline.generate(request);
      const images = rgbOf(batched[i]);
      expect(images).toHaveLength(alone.images.length);
      for (const [k, image] of alone.images.entries()) {
        expect(maxAbsDiff(images[k] as Uint8Array, image.rgb)).toBeLessThanOrEqual(1);
      }
    }
  });

  it("works with a stochastic scheduler, whose noise each image draws from its own generator", async () => {
    const requests = [
      { ...base, scheduler: "euler_a", seed: 5 },
      { ...base, scheduler: "euler_a", seed: 6 },
    ];
    const batched = await pipeline.generateBatch(requests.map((request) => ({ request })));
    for (const [i, request] of requests.entries()) {
      const alone = await pipeline.generate(request);
      expect(
        maxAbsDiff(rgbOf(batched[i])[0] as Uint8Array, alone.images[0]?.rgb as Uint8Array),
      ).toBeLessThanOrEqual(1);
    }
  });

  it("drops a cancelled request within a step and finishes the others", async () => {
    const controller = new AbortController();
    const stepsSeen: number[] = [];
    const outcomes = await pipeline.generateBatch([
      { request: base },
      {
        request: { ...base, seed: 9 },
        signal: controller.signal,
        onProgress: ({ step }) => {
          stepsSeen.push(step);
          if (step === 2) controller.abort();
        },
      },
    ]);
    expect(stepsSeen).toEqual([1, 2]);
    expect(outcomes[0]?.ok).toBe(true);
    expect(outcomes[1]).toMatchObject({ ok: false, error: { name: "AbortError" } });
  });

  it("refuses a bad request on its own, and reports progress with previews when asked", async () => {
    const progress: GenerationProgress[] = [];
    const outcomes = await pipeline.generateBatch([
      { request: { ...base, steps: 0 } },
      { request: base, previewEverySteps: 4, onProgress: (p) => progress.push(p) },
    ]);
    expect(outcomes[0]).toMatchObject({ ok: false, error: { param: "steps" } });
    expect(outcomes[1]?.ok).toBe(true);
    expect(progress.map((p) => [p.step, p.preview !== undefined])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [5, false],
      [6, true],
    ]);
    expect(progress[3]?.preview?.dims).toEqual([1, 4, 8, 8]);
  });
});
