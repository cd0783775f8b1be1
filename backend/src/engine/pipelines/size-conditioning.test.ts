import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isInvalidArgumentError } from "../errors.ts";
import { loadTiny, meanAbsDiff, TINY_REQUEST } from "../test-models.ts";
import type { GenerationRequest, Pipeline } from "../types.ts";

let sdxl: Pipeline;
beforeAll(async () => {
  sdxl = await loadTiny({ family: "sdxl" });
});
afterAll(async () => {
  await sdxl?.release();
});

const request: GenerationRequest = { ...TINY_REQUEST, negativePrompt: "blurry", steps: 3 };

async function generate(sizeConditioning?: GenerationRequest["sizeConditioning"]) {
  const result = await sdxl.generate({ ...request, ...(sizeConditioning ? { sizeConditioning } : {}) });
  const image = result.images[0];
  if (image === undefined) throw new Error("no image");
  return image;
}

describe("SDXL's size and crop conditioning (time_ids)", () => {
  it("gives the same image with diffusers' defaults spelled out as with none, and records only what was given", async () => {
    const plain = await generate();
    const spelled = await generate({
      original_size: { width: 64, height: 64 },
      crops_coords_top_left: { top: 0, left: 0 },
      target_size: { width: 64, height: 64 },
    });
    expect(meanAbsDiff(spelled.rgb, plain.rgb)).toBe(0);
    expect(plain.metadata?.recipe).not.toHaveProperty("sizeConditioning");
    expect(spelled.metadata?.recipe).toHaveProperty("sizeConditioning.original_size", {
      width: 64,
      height: 64,
    });
    expect(plain.metadata?.parameters).not.toMatch(/Original size/);
    expect(spelled.metadata?.parameters).toMatch(
      /, Original size: 64x64, Crop top left: "0, 0", Target size: 64x64$/,
    );
  });

  it("changes the image with another original size, crop or negative conditioning", async () => {
    const plain = await generate();
    for (const given of [
      { original_size: { width: 4096, height: 2048 } },
      { crops_coords_top_left: { top: 256, left: 0 } },
      { negative_original_size: { width: 256, height: 256 } },
    ]) {
      const changed = await generate(given);
      expect(meanAbsDiff(changed.rgb, plain.rgb), JSON.stringify(given)).toBeGreaterThan(0.5);
    }
  });

  it("is refused, naming the field, by a model that is not SDXL", async () => {
    const sd15 = await loadTiny();
    try {
      const refused = await sd15
        .generate({ ...request, sizeConditioning: { target_size: { width: 64, height: 64 } } })
        .then(
          () => null,
          (error: unknown) => error,
        );
      expect(isInvalidArgumentError(refused) && refused.param).toBe("target_size");
    } finally {
      await sd15.release();
    }
  });
});
