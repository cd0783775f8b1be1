import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTinyModelFiles, ensureTinyModel } from "../../model-builder/index.ts";
import { ModelLoadError } from "../errors.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";
import { loadPipeline } from "./load-pipeline.ts";

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
  cacheDir = await mkdtemp(join(tmpdir(), "sdgate-load-pipeline-"));
  modelDir = await ensureTinyModel(cacheDir);
  pipeline = await loadPipeline(modelDir, { executionProviders: ["cpu"] });
});
afterAll(async () => {
  await pipeline.release();
  await rm(cacheDir, { recursive: true, force: true });
});

describe("loading a model folder", () => {
  it("names a missing file", async () => {
    const broken = join(cacheDir, "no-unet");
    await cp(modelDir, broken, { recursive: true });
    await rm(join(broken, "unet/model.onnx"));
    await expect(loadPipeline(broken, { executionProviders: ["cpu"] })).rejects.toThrow(ModelLoadError);
    await expect(loadPipeline(broken, { executionProviders: ["cpu"] })).rejects.toThrow(
      /unet\/model\.onnx: file missing/,
    );
  });

  it("names a missing tensor", async () => {
    const swapped = join(cacheDir, "swapped");
    await cp(modelDir, swapped, { recursive: true });
    // A VAE decoder where the UNet should be: no `sample`/`timestep` inputs.
    await cp(join(modelDir, "vae_decoder/model.onnx"), join(swapped, "unet/model.onnx"));
    await expect(loadPipeline(swapped, { executionProviders: ["cpu"] })).rejects.toThrow(
      /unet\/model\.onnx: sample: input tensor missing/,
    );
  });

  it("falls back past an execution provider that fails, and says which one it uses", async () => {
    const warnings: string[] = [];
    const logger = {
      info() {},
      warn: (_message: string, fields?: Record<string, unknown>) =>
        warnings.push(String(fields?.executionProvider)),
    };
    const fallback = await loadPipeline(modelDir, { executionProviders: ["cuda", "cpu"], logger });
    try {
      expect(fallback.executionProvider).toBe("cpu");
      expect(warnings).toContain("cuda");
    } finally {
      await fallback.release();
    }
  });

  it("feeds exports that declare int64 ids, an int64 timestep of shape [1] and a batch fixed at 1, with the same result", async () => {
    const variantDir = join(cacheDir, "variant");
    await cp(modelDir, variantDir, { recursive: true });
    const files = buildTinyModelFiles({
      int64InputIds: true,
      int64TimestepOfOne: true,
      unetBatchOfOne: true,
    });
    for (const file of ["text_encoder/model.onnx", "unet/model.onnx"]) {
      await writeFile(join(variantDir, file), files.get(file) as Uint8Array);
    }
    const variant = await loadPipeline(variantDir, { executionProviders: ["cpu"] });
    try {
      const [expected, actual] = [await pipeline.generate(base), await variant.generate(base)];
      const a = expected.images[0]?.rgb as Uint8Array;
      const b = actual.images[0]?.rgb as Uint8Array;
      // Two batch-1 UNet calls instead of one batch-2 call may round differently in the last bit.
      expect(
        a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - (b[i] as number))), 0),
      ).toBeLessThanOrEqual(2);
    } finally {
      await variant.release();
    }
  });

  it("rejects a scheduler config it cannot follow, naming the key", async () => {
    const odd = join(cacheDir, "odd-scheduler");
    await cp(modelDir, odd, { recursive: true });
    await writeFile(
      join(odd, "scheduler/scheduler_config.json"),
      JSON.stringify({ timestep_spacing: "sideways" }),
    );
    const loaded = await loadPipeline(odd, { executionProviders: ["cpu"] });
    try {
      const progress: number[] = [];
      await expect(loaded.generate(base, { onProgress: ({ step }) => progress.push(step) })).rejects.toThrow(
        /timestep_spacing/,
      );
      expect(progress).toEqual([]);
    } finally {
      await loaded.release();
    }
  });
});
