import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InferenceSession } from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { loadTiny, maxAbsDiff, spread, testPattern, tinyModelDir } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";

const REFINER = { family: "sdxl-refiner" } as const;
const request: GenerationRequest = {
  prompt: "a lighthouse on a cliff at dusk",
  negativePrompt: "blurry",
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 5,
  seed: 7,
};

describe("SDXL refiner folder", () => {
  let refiner: Pipeline;
  beforeAll(async () => {
    refiner = await loadTiny(REFINER);
  });
  afterAll(async () => refiner.release());

  it("is written as diffusers' refiner is: text_encoder_2 alone, requires_aesthetics_score, five time_ids", async () => {
    const dir = await tinyModelDir(REFINER);
    const index = JSON.parse(await readFile(join(dir, "model_index.json"), "utf8"));
    expect(index).toMatchObject({
      _class_name: "ORTStableDiffusionXLImg2ImgPipeline",
      requires_aesthetics_score: true,
      force_zeros_for_empty_prompt: false,
    });
    expect(index.text_encoder).toBeUndefined();
    const unet = await InferenceSession.create(join(dir, "unet/model.onnx"));
    try {
      const timeIds = unet.inputMetadata.find((m) => m.name === "time_ids");
      expect(timeIds?.isTensor && timeIds.shape).toEqual(["batch", 5]);
    } finally {
      await unet.release();
    }
  });

  it("loads and is detected as the refiner", () => {
    expect(refiner.family).toBe("sdxl-refiner");
    expect(refiner.traits).toMatchObject({
      architecture: "sdxl",
      refiner: true,
      forceZerosForEmptyPrompt: false,
    });
  });

  it("conditions on the aesthetic scores: other scores, another image; the defaults are 6 and 2.5", async () => {
    const rgb = async (extra: Partial<GenerationRequest>) =>
      (await refiner.generate({ ...request, ...extra })).images[0]?.rgb as Uint8Array;
    const byDefault = await rgb({});
    expect(spread(byDefault)).toBeGreaterThan(10);
    expect(maxAbsDiff(byDefault, await rgb({ aestheticScore: 6, negativeAestheticScore: 2.5 }))).toBe(0);
    expect(maxAbsDiff(byDefault, await rgb({ aestheticScore: 9 }))).toBeGreaterThan(0);
    expect(maxAbsDiff(byDefault, await rgb({ negativeAestheticScore: 0 }))).toBeGreaterThan(0);
  });

  it("refines an image as diffusers' refiner is used: img2img at a strength", async () => {
    const image = testPattern(64, 64);
    const result = await refiner.generate({ ...request, image, strength: 0.3 });
    const out = result.images[0]?.rgb as Uint8Array;
    expect(spread(out)).toBeGreaterThan(10);
    const stronger = await refiner.generate({ ...request, image, strength: 0.9 });
    expect(maxAbsDiff(out, stronger.images[0]?.rgb as Uint8Array)).toBeGreaterThan(0);
  });

  it("refuses a bad aesthetic score by name, and a base model refuses any", async () => {
    await expect(refiner.generate({ ...request, aestheticScore: Number.NaN })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(refiner.generate({ ...request, negativeAestheticScore: 11 })).rejects.toThrow(
      /negativeAestheticScore/,
    );
    const base = await loadTiny({ family: "sdxl" });
    try {
      await expect(base.generate({ ...request, aestheticScore: 6 })).rejects.toThrow(/aestheticScore/);
    } finally {
      await base.release();
    }
  });
});
