import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureTinyModel } from "../../model-builder/index.ts";
import { InvalidArgumentError } from "../errors.ts";
import { encodeImage } from "../image/encode-image.ts";
import { readImageMetadata } from "../image/read-metadata.ts";
import { loadPipeline } from "../loading/load-pipeline.ts";
import { SCHEDULER_NAMES } from "../schedulers/index.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";

const base: GenerationRequest = {
  prompt: "a red fox in a snowy forest",
  width: 64,
  height: 64,
  steps: 8,
  guidanceScale: 7.5,
  seed: 42,
};
let cacheDir: string;
let modelDir: string;
let pipeline: Pipeline;

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "sdgate-pipeline-"));
  modelDir = await ensureTinyModel(cacheDir);
  pipeline = await loadPipeline(modelDir, { executionProviders: ["cpu"] });
});
afterAll(async () => {
  await pipeline.release();
  await rm(cacheDir, { recursive: true, force: true });
});

const png = async (request: GenerationRequest) => {
  const { images } = await pipeline.generate(request);
  return Buffer.from(await encodeImage(images[0] as NonNullable<(typeof images)[0]>, "png"));
};
const differingBytes = (a: Uint8Array, b: Uint8Array) =>
  a.reduce((count, v, i) => count + (v === b[i] ? 0 : 1), 0);

describe("text to image on the tiny model", () => {
  it("gives identical PNG bytes for the same seed and prompt", async () => {
    expect((await png(base)).equals(await png(base))).toBe(true);
  });

  it("gives a different image for another seed and for another prompt", async () => {
    const [a, otherSeed, otherPrompt] = await Promise.all([
      pipeline.generate(base),
      pipeline.generate({ ...base, seed: 43 }),
      pipeline.generate({ ...base, prompt: "an astronaut riding a horse on the moon" }),
    ]);
    const rgb = a.images[0]?.rgb as Uint8Array;
    expect(differingBytes(rgb, otherSeed.images[0]?.rgb as Uint8Array)).toBeGreaterThan(rgb.length / 2);
    expect(differingBytes(rgb, otherPrompt.images[0]?.rgb as Uint8Array)).toBeGreaterThan(rgb.length / 2);
  });

  it("makes an image that is neither flat nor one saturated colour", async () => {
    const { images } = await pipeline.generate(base);
    const rgb = images[0]?.rgb as Uint8Array;
    expect(rgb).toHaveLength(64 * 64 * 3);
    const mean = rgb.reduce((s, v) => s + v, 0) / rgb.length;
    const spread = Math.sqrt(rgb.reduce((s, v) => s + (v - mean) ** 2, 0) / rgb.length);
    expect(spread).toBeGreaterThan(20);
    expect(rgb.filter((v) => v === 0 || v === 255).length / rgb.length).toBeLessThan(0.3);
  });

  it("makes n images with seeds seed, seed + 1, … and the same pixels as asking for each seed alone", async () => {
    const both = await pipeline.generate({ ...base, n: 2 });
    expect(both.images.map((image) => image.seed)).toEqual([42, 43]);
    const second = await pipeline.generate({ ...base, seed: 43 });
    expect(
      Buffer.from(both.images[1]?.rgb as Uint8Array).equals(Buffer.from(second.images[0]?.rgb as Uint8Array)),
    ).toBe(true);
  });

  it("runs without guidance when guidanceScale ≤ 1, and honours a negative prompt with it", async () => {
    const unguided = await pipeline.generate({ ...base, guidanceScale: 1 });
    const negative = await pipeline.generate({ ...base, negativePrompt: "blurry, low quality" });
    const plain = await pipeline.generate(base);
    const rgb = plain.images[0]?.rgb as Uint8Array;
    expect(differingBytes(rgb, unguided.images[0]?.rgb as Uint8Array)).toBeGreaterThan(0);
    expect(differingBytes(rgb, negative.images[0]?.rgb as Uint8Array)).toBeGreaterThan(0);
  });

  it("makes non-square images at the requested size", async () => {
    const { images, timingsMs } = await pipeline.generate({ ...base, width: 48, height: 80, steps: 2 });
    expect(images[0]).toMatchObject({ width: 48, height: 80 });
    expect(images[0]?.rgb).toHaveLength(48 * 80 * 3);
    expect(timingsMs.total).toBeGreaterThanOrEqual(timingsMs.denoise);
  });

  it("reports progress after every step", async () => {
    const seen: number[] = [];
    await pipeline.generate(base, { onProgress: ({ step, steps }) => seen.push(step / steps) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((s) => s / 8));
  });

  it("stops between steps with an AbortError when the signal aborts", async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = pipeline.generate(base, {
      signal: controller.signal,
      onProgress: ({ step }) => {
        steps.push(step);
        if (step === 3) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(steps).toEqual([1, 2, 3]);
  });

  it("reports the execution provider, family, model hash and each stage's time", async () => {
    const result = await pipeline.generate(base);
    expect(result).toMatchObject({ executionProvider: "cpu", family: "sd15", modelHash: pipeline.modelHash });
    expect(result.modelHash).toMatch(/^[0-9a-f]{10}$/);
    const { tokenize, textEncode, prepareLatents, denoise, decode, total } = result.timingsMs;
    for (const stage of [tokenize, textEncode, prepareLatents, denoise, decode])
      expect(stage).toBeGreaterThanOrEqual(0);
    expect(total).toBeGreaterThanOrEqual(textEncode + denoise + decode);
  });

  it("writes A1111's parameters and the recipe into the PNG", async () => {
    const { images } = await pipeline.generate({
      ...base,
      negativePrompt: "blurry, dark",
      scheduler: "Euler a",
    });
    const image = images[0];
    if (image === undefined) throw new Error("no image");
    const read = await readImageMetadata(await encodeImage(image, "png"));
    expect(read.parameters).toBe(
      `a red fox in a snowy forest\nNegative prompt: blurry, dark\nSteps: 8, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 64x64, Model hash: ${pipeline.modelHash}, Model: tiny, RNG: CPU`,
    );
    expect(read.recipe).toEqual({
      engine: "sdgate",
      recipeVersion: 2,
      task: "txt2img",
      model: { name: "tiny", hash: pipeline.modelHash, family: "sd15" },
      prompt: "a red fox in a snowy forest",
      negativePrompt: "blurry, dark",
      width: 64,
      height: 64,
      steps: 8,
      guidanceScale: 7.5,
      scheduler: "euler_a",
      seed: 42,
      rng: "torch_cpu",
    });
  });

  it("takes seeds up to 2^64 − 1 as bigints (torch seeds its mt19937 with the low 32 bits)", async () => {
    const big = await pipeline.generate({ ...base, steps: 2, seed: 2n ** 64n - 1n });
    const low = await pipeline.generate({ ...base, steps: 2, seed: 2 ** 32 - 1 });
    expect(big.images[0]?.seed).toBe(2n ** 64n - 1n);
    expect(big.images[0]?.metadata?.recipe.seed).toBe("18446744073709551615");
    expect(
      Buffer.from(big.images[0]?.rgb as Uint8Array).equals(Buffer.from(low.images[0]?.rgb as Uint8Array)),
    ).toBe(true);
  });

  it("runs every scheduler, stochastic ones drawing from the image's generator", async () => {
    for (const scheduler of SCHEDULER_NAMES) {
      const first = await pipeline.generate({ ...base, steps: 3, scheduler });
      const again = await pipeline.generate({ ...base, steps: 3, scheduler });
      const rgb = first.images[0]?.rgb as Uint8Array;
      expect([scheduler, differingBytes(rgb, again.images[0]?.rgb as Uint8Array)]).toEqual([scheduler, 0]);
    }
  });

  it("draws other noise with the philox generator", async () => {
    const torch = await pipeline.generate({ ...base, steps: 2 });
    const philox = await pipeline.generate({ ...base, steps: 2, rng: "philox" });
    expect(
      differingBytes(torch.images[0]?.rgb as Uint8Array, philox.images[0]?.rgb as Uint8Array),
    ).toBeGreaterThan(0);
    expect(philox.images[0]?.metadata?.parameters).not.toContain("RNG:");
  });

  it("names the bad argument and its value, as diffusers does", async () => {
    await expect(pipeline.generate({ ...base, width: 100 })).rejects.toThrow(InvalidArgumentError);
    await expect(pipeline.generate({ ...base, width: 100 })).rejects.toThrow(/`width` .*but is 100/);
    await expect(pipeline.generate({ ...base, height: 0 })).rejects.toMatchObject({
      param: "height",
      value: 0,
    });
    await expect(pipeline.generate({ ...base, steps: 0 })).rejects.toMatchObject({ param: "steps" });
    await expect(pipeline.generate({ ...base, scheduler: "nope" })).rejects.toMatchObject({
      param: "scheduler",
    });
    await expect(pipeline.generate({ ...base, seed: -1 })).rejects.toMatchObject({ param: "seed" });
  });
});
