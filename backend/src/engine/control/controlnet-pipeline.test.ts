import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadPipeline } from "../loading/load-pipeline.ts";
import { loadTiny, meanAbsDiff, testPattern } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";
import type { ControlNetUnit } from "./control-unit.ts";
import type { ControlNetSession } from "./controlnet-session.ts";
import { loadControlNet } from "./load-controlnet.ts";
import { tinyControlModelDir, writeTestControlNet } from "./test-control-models.ts";

const SIZE = 32;
let pipeline: Pipeline;
let controlNet: ControlNetSession;

beforeAll(async () => {
  pipeline = await loadPipeline(await tinyControlModelDir(), {
    executionProviders: ["cpu"],
    modelName: "tiny",
  });
  const root = await mkdtemp(join(tmpdir(), "sdgate-controlnet-"));
  controlNet = await loadControlNet(await writeTestControlNet(root, "edges", "named", 4), ["cpu"], {
    info() {},
    warn() {},
  });
});
afterAll(async () => {
  await Promise.all([pipeline?.release(), controlNet?.release()]);
});

const base: GenerationRequest = {
  prompt: "a fox",
  width: SIZE,
  height: SIZE,
  steps: 4,
  guidanceScale: 5,
  seed: 3,
};

function unit(overrides: Partial<ControlNetUnit> = {}): ControlNetUnit {
  return {
    controlNet,
    map: testPattern(SIZE, SIZE),
    weight: 1,
    guidanceStart: 0,
    guidanceEnd: 1,
    controlMode: "balanced",
    record: {
      module: "canny",
      model: "edges",
      digest: "abcdef0123".padEnd(64, "0"),
      resizeMode: "crop_and_resize",
      thresholds: { low: 100, high: 200 },
      imageSha256: "f".repeat(64),
    },
    ...overrides,
  };
}

const pixels = async (request: GenerationRequest) => (await pipeline.generate(request)).images[0];

describe("ControlNet in the pipelines", () => {
  it("changes the image, and weight 0 gives exactly the image without it", async () => {
    const plain = await pixels(base);
    const controlled = await pixels({ ...base, controlNet: [unit()] });
    const weightZero = await pixels({ ...base, controlNet: [unit({ weight: 0 })] });
    expect(meanAbsDiff(plain?.rgb as Uint8Array, controlled?.rgb as Uint8Array)).toBeGreaterThan(1);
    expect(weightZero?.rgb).toEqual(plain?.rgb);
  });

  it("runs the ControlNet only on the steps of its window", async () => {
    const spy = vi.spyOn(controlNet, "residuals");
    const windowed = await pixels({ ...base, controlNet: [unit({ guidanceStart: 0.5 })] });
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockRestore();
    expect(windowed?.rgb).not.toEqual((await pixels({ ...base, controlNet: [unit()] }))?.rgb);
  });

  it("writes each unit into the A1111 infotext and the recipe, the image as its hash", async () => {
    const image = await pixels({
      ...base,
      controlNet: [unit(), unit({ controlMode: "prompt", weight: 0.5 })],
    });
    const parameters = image?.metadata?.parameters ?? "";
    expect(parameters).toContain(
      'ControlNet 0: "Module: canny, Model: edges [abcdef01], Weight: 1.0, Resize Mode: Crop and Resize, Processor Res: 32, Threshold A: 100.0, Threshold B: 200.0, Guidance Start: 0.0, Guidance End: 1.0, Pixel Perfect: True, Control Mode: Balanced"',
    );
    expect(parameters).toContain('ControlNet 1: "Module: canny, Model: edges [abcdef01], Weight: 0.5,');
    expect(parameters).toContain("Control Mode: My prompt is more important");
    const recipe = image?.metadata?.recipe.controlNet as Record<string, unknown>[];
    expect(recipe[0]).toMatchObject({ model: "edges", preprocessor: "canny", imageSha256: "f".repeat(64) });
    expect(JSON.stringify(recipe)).not.toContain("rgb");
  });

  it("applies to img2img, inpainting and both passes of hires fix", async () => {
    const img2img = { ...base, image: testPattern(SIZE, SIZE), strength: 0.75 };
    const effect = async (request: GenerationRequest) =>
      meanAbsDiff(
        (await pixels(request))?.rgb as Uint8Array,
        (await pixels({ ...request, controlNet: [unit()] }))?.rgb as Uint8Array,
      );
    // inpainting the right half
    const mask = testPattern(SIZE, SIZE);
    for (let i = 0; i < SIZE * SIZE; i++) mask.rgb.fill((i % SIZE) * 2 >= SIZE ? 255 : 0, i * 3, i * 3 + 3);
    expect(await effect({ ...img2img, mask })).toBeGreaterThan(0.5);
    expect(await effect(img2img)).toBeGreaterThan(1);
    const spy = vi.spyOn(controlNet, "residuals");
    const hires = await pixels({ ...base, hires: { scale: 2, strength: 0.5 }, controlNet: [unit()] });
    expect(hires?.width).toBe(SIZE * 2);
    // 4 first-pass steps and 2 of the second pass's
    expect(spy).toHaveBeenCalledTimes(6);
    expect(spy.mock.calls.at(-1)?.[0].condDims).toEqual([2, 3, SIZE * 2, SIZE * 2]);
    spy.mockRestore();
  });

  it("refuses a map of another size, naming the unit", async () => {
    await expect(
      pipeline.generate({ ...base, controlNet: [unit({ map: testPattern(16, 16) })] }),
    ).rejects.toThrow(/controlnet\.0\.image/);
  });

  it("names cnet/model.onnx when the model has no ControlNet UNet", async () => {
    const plain = await loadTiny();
    try {
      await expect(plain.generate({ ...base, controlNet: [unit()] })).rejects.toThrow(/cnet\/model\.onnx/);
    } finally {
      await plain.release();
    }
  });
});
