import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TINY_FAMILIES, type TinyModelOptions } from "../../model-builder/index.ts";
import { ModelLoadError } from "../errors.ts";
import { encodeImage } from "../image/encode-image.ts";
import { loadTiny, maxAbsDiff, meanAbsDiff, spread, tinyModelDir } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";
import { loadPipeline } from "./load-pipeline.ts";

const request: GenerationRequest = {
  prompt: "a lighthouse on a cliff at dusk",
  negativePrompt: "blurry",
  width: 64,
  height: 64,
  steps: 3,
  guidanceScale: 5,
  seed: 1234,
};

async function withPipeline<T>(
  options: TinyModelOptions,
  use: (pipeline: Pipeline) => Promise<T>,
): Promise<T> {
  const pipeline = await loadTiny(options);
  try {
    return await use(pipeline);
  } finally {
    await pipeline.release();
  }
}

const rgbOf = async (options: TinyModelOptions, overrides: Partial<GenerationRequest> = {}) =>
  withPipeline(
    options,
    async (pipeline) => (await pipeline.generate({ ...request, ...overrides })).images[0]?.rgb as Uint8Array,
  );

describe("every tiny family end to end", () => {
  for (const family of TINY_FAMILIES) {
    it(`${family}: detects the family and gives the same PNG bytes for the same seed`, async () => {
      await withPipeline({ family }, async (pipeline) => {
        expect(pipeline.family).toBe(family);
        expect(pipeline.executionProvider).toBe("cpu");
        // only LCM's UNet takes the scale (and so never splits a prompt at AND)
        expect(pipeline.embedsGuidance).toBe(family === "lcm");
        const first = await pipeline.generate(request);
        const again = await pipeline.generate(request);
        expect(first).toMatchObject({ family, executionProvider: "cpu", modelHash: pipeline.modelHash });
        expect(first.modelHash).toMatch(/^[0-9a-f]{10}$/);
        const image = first.images[0];
        if (image === undefined) throw new Error("no image");
        expect(spread(image.rgb)).toBeGreaterThan(10);
        const png = Buffer.from(await encodeImage(image, "png"));
        expect(png.equals(Buffer.from(await encodeImage(again.images[0] ?? image, "png")))).toBe(true);
      });
    });
  }

  it("LCM: steers with the guidance scale (timestep_cond) without a second batch", async () => {
    await withPipeline({ family: "lcm" }, async (pipeline) => {
      const a = await pipeline.generate({ ...request, guidanceScale: 1.5 });
      const b = await pipeline.generate({ ...request, guidanceScale: 8 });
      expect(meanAbsDiff(a.images[0]?.rgb as Uint8Array, b.images[0]?.rgb as Uint8Array)).toBeGreaterThan(0);
    });
  });

  it("SDXL: an empty negative prompt (zero embeddings) differs from a blank one (encoded)", async () => {
    await withPipeline({ family: "sdxl" }, async (pipeline) => {
      const zeros = await pipeline.generate({ ...request, negativePrompt: "" });
      const blank = await pipeline.generate({ ...request, negativePrompt: " ," });
      expect(
        meanAbsDiff(zeros.images[0]?.rgb as Uint8Array, blank.images[0]?.rgb as Uint8Array),
      ).toBeGreaterThan(0);
    });
  });
});

describe("export variants of one model", () => {
  // Text to image only: an inpainting model encodes the masked image, which optimum's `latent_parameters`
  // encoder samples with the seed's generator and diffusers' `latent_sample` encoder samples in-graph.
  const pairs: TinyModelOptions[] = [
    { family: "sd2-v" },
    { family: "lcm" },
    { family: "sd15", dtype: "float16" },
  ];
  for (const options of pairs) {
    it(`${options.family} ${options.dtype ?? "float32"}: optimum's and diffusers' exports give the same image`, async () => {
      // 4 steps: integer timesteps, which a float (diffusers) and an int64 (optimum) timestep input
      // carry alike; linspace's 499.5 of 3 steps would reach optimum's UNet truncated, as in its pipeline.
      const diffusers = await rgbOf({ ...options, exporter: "diffusers" }, { steps: 4 });
      const optimum = await rgbOf({ ...options, exporter: "optimum" }, { steps: 4 });
      // Different graphs (extra outputs, int64 ids) may round differently in the last bit.
      expect(maxAbsDiff(diffusers, optimum)).toBeLessThanOrEqual(1);
      expect(meanAbsDiff(diffusers, optimum)).toBeLessThan(0.01);
    });
  }

  it("float16 exports give nearly the float32 image (sd15, sdxl)", async () => {
    for (const family of ["sd15", "sdxl"] as const) {
      const full = await rgbOf({ family, exporter: "optimum" });
      const half = await rgbOf({ family, exporter: "optimum", dtype: "float16" });
      expect([family, meanAbsDiff(full, half)]).toEqual([family, expect.any(Number)]);
      expect(meanAbsDiff(full, half)).toBeLessThan(3);
    }
  });

  it("external weights (model.onnx_data) give exactly the inline image", async () => {
    const inline = await rgbOf({ family: "sd15", exporter: "optimum" });
    const external = await rgbOf({ family: "sd15", exporter: "optimum", externalData: true });
    expect(maxAbsDiff(inline, external)).toBe(0);
  });

  it("names a missing external weights file", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sdgate-missing-data-"));
    try {
      await cp(await tinyModelDir({ family: "sd15", exporter: "optimum", externalData: true }), dir, {
        recursive: true,
      });
      await rm(join(dir, "unet/model.onnx_data"));
      const load = loadPipeline(dir, { executionProviders: ["cpu"] });
      await expect(load).rejects.toThrow(ModelLoadError);
      await expect(load).rejects.toThrow(/^unet\/model\.onnx_data: external weights file missing/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
