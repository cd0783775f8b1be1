import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipeline } from "../engine/index.ts";
import { type CheckpointModelOptions, resolveCheckpointModels } from "./checkpoint-models.ts";
import { diffusersTensors, writeSingleFileCheckpoint } from "./checkpoint-test-support.ts";
import { buildSd15FullSize } from "./sd15-full-size.ts";

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

  it("names the missing tokenizer setting", async () => {
    await expect(
      resolveCheckpointModels({ dream: checkpoint }, { ...options(["cpu"], []), tokenizerDir: undefined }),
    ).rejects.toThrow(
      /model dream: .*dream\.safetensors is a single-file checkpoint.*set SDGATE_TOKENIZER_DIR/,
    );
  });
});
