import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../engine/index.ts";
import { buildSd15FullSize } from "../model-builder/sd15-full-size.ts";
import { type CheckpointModelOptions, checkpointSpec, resolveCheckpointModels } from "./checkpoint-models.ts";
import { diffusersTensors, writeSingleFileCheckpoint } from "./checkpoint-test-support.ts";
import { encodeSafetensors } from "./safetensors.ts";
import { randomSdxlRequests, writeSdxlSingleFile } from "./sdxl-checkpoint-test-support.ts";

const root = mkdtempSync(join(tmpdir(), "sdgate-checkpoint-models-"));
const checkpoint = join(root, "dream.safetensors");
// the random build's stand-in BPE: a tokenizer the engine can load (CLIP's own is not committed)
const tokenizerDir = join(root, "random", "tokenizer");
const cacheDir = join(root, "cache");
afterAll(() => rmSync(root, { recursive: true, force: true }));

beforeAll(async () => {
  const randomDir = join(root, "random");
  await buildSd15FullSize(randomDir, { dtype: "float32", widthDivisor: 8 });
  writeSingleFileCheckpoint(checkpoint, diffusersTensors(randomDir));
}, 60_000);

/** Options for a ÷8 build, counting the builds. */
function options(executionProviders: string[], builds: string[]): CheckpointModelOptions {
  return {
    cacheDir,
    tokenizerDir,
    executionProviders,
    widthDivisor: 8,
    onBuild: ({ id }) => builds.push(id),
  };
}

describe("single-file checkpoints as served models", () => {
  it("build once into the cache, pass export folders through, and serve images", async () => {
    const builds: string[] = [];
    const folders = { dream: checkpoint, sd15: "/models/sd15-onnx" };
    const first = await resolveCheckpointModels(folders, options(["cpu"], builds));
    expect(first.sd15).toBe("/models/sd15-onnx");
    expect(first.dream).toMatch(/[/\\]dream-[0-9a-f]{16}-standard-float32$/);
    expect(existsSync(join(first.dream as string, "model_index.json"))).toBe(true);
    expect(builds).toEqual(["dream"]);

    const again = await resolveCheckpointModels(folders, options(["cpu"], builds));
    expect(again).toEqual(first);
    expect(builds).toEqual(["dream"]); // found in the cache, not rebuilt

    const pipeline = await loadPipeline(first.dream as string, { executionProviders: ["cpu"] });
    try {
      const { images } = await pipeline.generate({
        prompt: "a lighthouse",
        width: 64,
        height: 64,
        steps: 2,
        guidanceScale: 7.5,
        seed: 1,
      });
      expect(images[0]?.rgb.length).toBe(64 * 64 * 3);
    } finally {
      await pipeline.release();
    }
  }, 60_000);

  it("build an SDXL file as SDXL (by its tensor names), which the engine loads and generates from", async () => {
    const xl = join(root, "xl.safetensors");
    writeSdxlSingleFile(xl, randomSdxlRequests(5, 16), { dtype: "F32" });
    const folders = await resolveCheckpointModels({ xl }, { ...options(["cpu"], []), widthDivisor: 16 });
    const pipeline = await loadPipeline(folders.xl as string, { executionProviders: ["cpu"] });
    try {
      expect(pipeline.traits.architecture).toBe("sdxl");
      const request = { prompt: "a lighthouse", width: 64, height: 64, steps: 2, guidanceScale: 5, seed: 1 };
      const { images } = await pipeline.generate(request);
      expect(images[0]?.rgb.length).toBe(64 * 64 * 3);
    } finally {
      await pipeline.release();
    }
  }, 60_000);

  it("rebuild a replaced file, and build fused float16 graphs for a CUDA backend", async () => {
    const builds: string[] = [];
    const before = await resolveCheckpointModels({ dream: checkpoint }, options(["cpu"], builds));
    const later = new Date(Date.now() + 60_000);
    utimesSync(checkpoint, later, later);
    const after = await resolveCheckpointModels({ dream: checkpoint }, options(["cpu"], builds));
    expect(after.dream).not.toBe(before.dream);
    const cuda = await resolveCheckpointModels(
      { dream: checkpoint },
      options(["cuda:device_id=0", "cpu"], builds),
    );
    expect(cuda.dream).toMatch(/-fused-float16$/);
    expect(builds).toEqual(["dream", "dream"]);
    expect(readdirSync(cacheDir).filter((name) => name.startsWith("dream-"))).toHaveLength(3);
  }, 60_000);

  it("merges LoRAs named after the checkpoint into a model of its own, cached by file and scale", async () => {
    const lora = join(root, "ink.safetensors");
    const module = "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q";
    writeFileSync(
      lora,
      encodeSafetensors(
        [
          {
            name: `${module}.lora_up.weight`,
            dtype: "F32",
            shape: [40, 2],
            values: new Float32Array(80).fill(0.5),
          },
          {
            name: `${module}.lora_down.weight`,
            dtype: "F32",
            shape: [2, 40],
            values: new Float32Array(80).fill(0.25),
          },
        ],
        { format: "pt" },
      ),
    );
    const builds: string[] = [];
    const plain = await resolveCheckpointModels({ dream: checkpoint }, options(["cpu"], builds));
    const inked = await resolveCheckpointModels(
      { dream: `${checkpoint}+${lora}:0.5` },
      options(["cpu"], builds),
    );
    const stronger = await resolveCheckpointModels(
      { dream: `${checkpoint}+${lora}` },
      options(["cpu"], builds),
    );
    const again = await resolveCheckpointModels(
      { dream: `${checkpoint}+${lora}:0.5` },
      options(["cpu"], builds),
    );
    expect(new Set([plain.dream, inked.dream, stronger.dream]).size).toBe(3);
    expect(again.dream).toBe(inked.dream);
    expect(builds.filter((id) => id === "dream").length).toBeGreaterThanOrEqual(2);
    const weight = (dir: string) =>
      diffusersTensors(dir).unet.find(
        (t) => t.name === "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight",
      )?.values;
    const base = weight(plain.dream as string) as Float32Array;
    const merged = weight(inked.dream as string) as Float32Array;
    // scale 0.5, alpha = rank: every value moves by 0.5 · Σ_r 0.5 · 0.25 = 0.125
    expect(merged[0]).toBeCloseTo((base[0] as number) + 0.125, 6);
    expect(checkpointSpec(`${checkpoint} + ${lora}:0.5`)).toEqual({
      checkpoint,
      loras: [{ path: lora, scale: 0.5 }],
    });
  }, 60_000);

  it("names the missing tokenizer setting", async () => {
    await expect(
      resolveCheckpointModels({ dream: checkpoint }, { ...options(["cpu"], []), tokenizerDir: undefined }),
    ).rejects.toThrow(
      /model dream: .*dream\.safetensors is a single-file checkpoint.*set SDGATE_TOKENIZER_DIR/,
    );
  });
});
