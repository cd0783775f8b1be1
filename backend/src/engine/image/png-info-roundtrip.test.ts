import { readImageRecipe, recipeOfInfotext } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { imageMetadata } from "../pipelines/recipe.ts";
import type { ResolvedRequest } from "../pipelines/validate.ts";
import { encodeImage } from "./encode-image.ts";

const MODEL = { name: "tiny", hash: "0123456789", family: "sd15" as const };

function resolved(overrides: Partial<ResolvedRequest<number>>): ResolvedRequest<number> {
  return {
    task: "txt2img",
    prompt: "a (red:1.2) fox, in the snow",
    negativePrompt: "blurry, lowres",
    width: 64,
    height: 96,
    steps: 12,
    guidanceScale: 6.5,
    seeds: [77],
    n: 1,
    scheduler: "dpmpp_2m_karras",
    rng: "torch_cpu",
    image: undefined,
    mask: undefined,
    inpaintingFill: "original",
    strength: null,
    clipSkip: 2,
    hires: { scale: 1.5, strength: 0.4, steps: 6, width: 96, height: 144 },
    modelVersion: undefined,
    sizeConditioning: undefined,
    aestheticScores: undefined,
    loras: [],
    ...overrides,
  };
}

/** What the engine writes into a PNG, read back by the Studio's reader. */
async function readBack(request: ResolvedRequest<number>) {
  const image = { width: 8, height: 8, rgb: new Uint8Array(8 * 8 * 3) };
  return readImageRecipe(await encodeImage(image, "png", { metadata: imageMetadata(request, 77, MODEL) }));
}

describe("an image the engine wrote, read back as a recipe", () => {
  it("names the registry version that made it, when the edge resolved one", async () => {
    const digest = "a".repeat(64);
    const recipe = await readBack(resolved({ modelVersion: { version: "v3", digest } }));
    expect(recipe?.model).toEqual({ name: "tiny", hash: "0123456789", version: "v3" });
  });

  const expected = {
    prompt: "a (red:1.2) fox, in the snow",
    negative_prompt: "blurry, lowres",
    width: 64,
    height: 96,
    steps: 12,
    guidance_scale: 6.5,
    scheduler: "dpmpp_2m_karras",
    seed: 77,
    rng: "torch_cpu",
    clip_skip: 2,
    hires_scale: 1.5,
    hires_strength: 0.4,
    hires_steps: 6,
  };

  it("gives back every field from sdgate's own recipe", async () => {
    const recipe = await readBack(resolved({}));
    expect(recipe).toMatchObject({
      source: "sdgate",
      fields: expected,
      model: { name: "tiny", hash: "0123456789", version: null },
    });
  });

  it("gives back the same fields from its A1111 text alone, as another tool's reader would", async () => {
    const recipe = recipeOfInfotext(imageMetadata(resolved({}), 77, MODEL).parameters);
    expect(recipe?.source).toBe("a1111");
    expect(recipe?.fields).toEqual(expected);
  });
});
