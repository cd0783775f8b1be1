import type { ImageRecipe, Model } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { RECORDED_REQUEST } from "../history/testing.ts";
import {
  applyRecipe,
  draftFor,
  draftOfQuery,
  draftOfRequest,
  queryOf,
  requestOf,
  withSeed,
} from "./draft.ts";
import { newRefiner, refinerRefusal } from "./refiner-draft.ts";

const TINY: Model = {
  id: "tiny",
  object: "model",
  created: 0,
  owned_by: "sdgate",
  description: "",
  architecture: "sd1",
  resolution_buckets: [{ width: 512, height: 512 }],
  defaults: { width: 256, height: 256, steps: 20, guidance_scale: 7.5, scheduler: "euler" },
  limits: { max_width: 1024, max_height: 1024, max_steps: 150 },
};

describe("the playground's form", () => {
  it("keeps LoRAs in the URL and sends them, and sends only ControlNet units that have their image", () => {
    const draft = {
      ...draftFor(TINY),
      prompt: "a fox",
      lora: [
        { name: "ink", weight: 0.7 },
        { name: "film-grain", weight: -0.5 },
      ],
    };
    expect(draftOfQuery(queryOf(draft), draftFor(TINY)).lora).toEqual(draft.lora);
    const unit = {
      model: "canny",
      image: "data:image/png;base64,AAAA",
      weight: 0.8,
      guidance_start: 0,
      guidance_end: 0.6,
      control_mode: "balanced" as const,
      preprocessor: "canny" as const,
    };
    const inputs = { image: null, mask: null, controlnet: [unit, { ...unit, image: "" }] };
    expect(requestOf(draft, inputs)).toMatchObject({ lora: draft.lora, controlnet: [unit] });
    expect(requestOf({ ...draft, lora: [] })).not.toHaveProperty("lora");
    expect(requestOf(draft)).not.toHaveProperty("controlnet");
    expect(draftOfQuery("lora=ink:heavy&lora=:1", draftFor(TINY)).lora).toEqual([]);
  });

  it("keeps SDXL's size conditioning in the URL, sends it, and takes it from a record or a recipe", () => {
    const size_conditioning = {
      original_size: { width: 2048, height: 1536 },
      negative_crops_coords_top_left: { top: 16, left: 0 },
    };
    const draft = { ...draftFor(TINY), prompt: "a fox", size_conditioning };
    expect(queryOf(draft)).toContain("original_size=2048x1536");
    expect(draftOfQuery(queryOf(draft), draftFor(TINY)).size_conditioning).toEqual(size_conditioning);
    expect(draftOfQuery("target_size=0x5&crops_coords_top_left=3", draftFor(TINY)).size_conditioning).toEqual(
      {},
    );
    expect(requestOf(draft)).toMatchObject(size_conditioning);
    expect(requestOf(draftFor(TINY))).not.toHaveProperty("original_size");
    const recorded = { ...requestOf(draft), target_size: { width: -1, height: 2 } };
    expect(draftOfRequest(recorded)?.size_conditioning).toEqual(size_conditioning);
    const recipe: ImageRecipe = {
      source: "sdgate",
      fields: { prompt: "a fox", target_size: { width: 1024, height: 1024 } },
      model: { name: null, hash: null, version: null },
      unmapped: {},
    };
    expect(applyRecipe(draft, recipe).draft.size_conditioning).toEqual({
      target_size: { width: 1024, height: 1024 },
    });
  });

  it("takes a recorded request's LoRAs by name and weight, without their digests", () => {
    const recorded = {
      ...requestOf(draftFor(TINY)),
      lora: [{ name: "ink", digest: "a".repeat(64), weight: 0.3 }],
    };
    expect(draftOfRequest(recorded)?.lora).toEqual([{ name: "ink", weight: 0.3 }]);
    // a LoRA the prompt's tag named stays in the prompt, not also in the list
    const tagged = { ...recorded, prompt: "a fox <lora:ink:0.3>" };
    expect(draftOfRequest(tagged)?.lora).toEqual([]);
  });

  it("starts from the model's defaults and survives a trip through the page's URL", () => {
    const draft = { ...draftFor(TINY), prompt: "a lighthouse", steps: 2, seed: 7, seedLocked: true };
    expect(draftOfQuery(queryOf(draft), draftFor(TINY))).toEqual(draft);
    expect(requestOf(draft)).toEqual({
      prompt: "a lighthouse",
      model: "tiny",
      width: 256,
      height: 256,
      steps: 2,
      guidance_scale: 7.5,
      scheduler: "euler",
      seed: 7,
      output_format: "png",
    });
  });

  it("ignores URL values that are not numbers", () => {
    const base = draftFor(TINY);
    expect(draftOfQuery("steps=many&output_format=gif", base)).toEqual(base);
  });

  it("fills in from an image's recipe and says what did not carry over", () => {
    const recipe: ImageRecipe = {
      source: "a1111",
      fields: { prompt: "a cat", steps: 30, seed: 5, clip_skip: 2 },
      model: { name: "v1-5-pruned", hash: "abc", version: null },
      unmapped: { "ADetailer model": "face_yolov8n.pt" },
    };
    const { draft, notCarried } = applyRecipe(draftFor(TINY), recipe, [TINY]);
    expect(draft).toMatchObject({
      prompt: "a cat",
      steps: 30,
      seed: 5,
      seedLocked: true,
      model: "tiny",
      clip_skip: 2,
      hires: null,
    });
    expect(notCarried).toEqual([
      "ADetailer model: face_yolov8n.pt",
      "model: v1-5-pruned (not one your key may use)",
    ]);
  });

  it("pins the registry version that made the image, or says plainly that it is gone", () => {
    const recipe: ImageRecipe = {
      source: "sdgate",
      fields: { prompt: "a cat", seed: 5 },
      model: { name: "tiny", hash: "abc", version: "v1" },
      unmapped: {},
    };
    const held = applyRecipe(draftFor(TINY), recipe, [{ ...TINY, versions: ["v1", "v2"] }]);
    expect(held.draft.model).toBe("tiny@v1");
    expect(held.notCarried).toEqual([]);
    const gone = applyRecipe(draftFor(TINY), recipe, [{ ...TINY, versions: ["v2"] }]);
    expect(gone.draft.model).toBe("tiny");
    expect(gone.notCarried).toEqual([
      "model version: tiny@v1 made this image, and it is gone or no longer approved; the form uses tiny as it is now",
    ]);
  });

  it("carries a hires pass and img2img's strength, and says the input image itself did not come", () => {
    const recipe: ImageRecipe = {
      source: "a1111",
      fields: { prompt: "a cat", hires_scale: 1.5, hires_steps: 8, strength: 0.6, rng: "philox" },
      model: { name: "tiny", hash: null, version: null },
      unmapped: {},
    };
    const { draft, notCarried } = applyRecipe(draftFor(TINY), recipe, [TINY]);
    expect(draft.hires).toEqual({ scale: 1.5, strength: 0.5, steps: 8 });
    expect(draft.strength).toBe(0.6);
    expect(notCarried).toEqual(["rng: philox", "the input image (img2img): drop it under Image to image"]);
  });

  it("keeps the advanced fields in the URL and sends them, with input images, in the request", () => {
    const draft = {
      ...draftFor(TINY),
      prompt: "a lighthouse",
      n: 2,
      clip_skip: 2,
      hires: { scale: 2, strength: 0.4, steps: 6 },
      output_format: "webp" as const,
      output_quality: 80,
      strength: 0.7,
    };
    expect(draftOfQuery(queryOf(draft), draftFor(TINY))).toEqual(draft);
    const inputs = {
      image: "data:image/png;base64,AAAA",
      mask: "data:image/png;base64,BBBB",
      controlnet: [],
    };
    expect(requestOf(draft, inputs)).toMatchObject({
      n: 2,
      clip_skip: 2,
      hires_scale: 2,
      hires_strength: 0.4,
      hires_steps: 6,
      output_quality: 80,
      image: inputs.image,
      mask: inputs.mask,
      strength: 0.7,
    });
    // Without an input image there is no img2img strength, and PNG has no quality.
    const plain = requestOf({ ...draft, output_format: "png" });
    expect(plain).not.toHaveProperty("strength");
    expect(plain).not.toHaveProperty("output_quality");
    expect(plain).not.toHaveProperty("mask");
  });

  it("sends a masked content other than 'original' only with a mask, and keeps it in the URL", () => {
    const draft = { ...draftFor(TINY), prompt: "a lighthouse", inpainting_fill: "latent_noise" as const };
    expect(draftOfQuery(queryOf(draft), draftFor(TINY))).toEqual(draft);
    const image = "data:image/png;base64,AAAA";
    const mask = "data:image/png;base64,BBBB";
    expect(requestOf(draft, { image, mask, controlnet: [] })).toMatchObject({
      inpainting_fill: "latent_noise",
    });
    expect(requestOf(draft, { image, mask: null, controlnet: [] })).not.toHaveProperty("inpainting_fill");
    const original = requestOf({ ...draft, inpainting_fill: "original" }, { image, mask, controlnet: [] });
    expect(original).not.toHaveProperty("inpainting_fill");
    expect(draftOfQuery("?inpainting_fill=blur", draftFor(TINY)).inpainting_fill).toBe("original");
    expect(draftOfRequest({ ...RECORDED_REQUEST, inpainting_fill: "fill" })?.inpainting_fill).toBe("fill");
  });
});

describe("a run's request in the playground", () => {
  it("fills the whole form, its seed locked, and refuses a record without one", () => {
    const draft = draftOfRequest(RECORDED_REQUEST);
    const { rng: _rng, image: _i, strength: _s, mask: _m, ...form } = RECORDED_REQUEST;
    // The form's own defaults where the record has none: no clip skip, no hires, img2img's strength,
    // no LoRAs, no size conditioning.
    expect(draft).toEqual({
      ...form,
      seedLocked: true,
      clip_skip: null,
      hires: null,
      strength: 0.8,
      inpainting_fill: "original",
      lora: [],
      size_conditioning: {},
      refiner: null,
    });
    const hires = draftOfRequest({ ...RECORDED_REQUEST, hires: { scale: 2, strength: 0.5, steps: 4 } });
    expect(hires?.hires).toEqual({ scale: 2, strength: 0.5, steps: 4 });
    expect(draft && draftOfQuery(queryOf(draft), draftFor(TINY))).toEqual(draft);
    expect(draftOfRequest({ ...RECORDED_REQUEST, steps: "2" })).toBeNull();
    expect(draftOfRequest({ ...RECORDED_REQUEST, output_format: "bmp" })).toBeNull();
  });

  it("puts only a seed into the current form's query", () => {
    const query = new URLSearchParams(withSeed("?prompt=a+fox&steps=3&seed=1", 99));
    expect(Object.fromEntries(query)).toEqual({ prompt: "a fox", steps: "3", seed: "99", seed_locked: "1" });
  });
});

const SDXL: Model = {
  ...TINY,
  id: "tiny-sdxl",
  architecture: "sdxl",
  defaults: { ...TINY.defaults, width: 64, height: 64 },
};
const REFINER: Model = { ...SDXL, id: "tiny-sdxl-refiner", architecture: "sdxl-refiner" };
/** An image's refiner as its recipe names it. */
const REFINER_OF_RECIPE = { name: REFINER.id, switch_at: 0.7, switch_by: "timestep" } as const;

describe("SDXL's refiner in the playground", () => {
  const refined = {
    ...draftFor(SDXL),
    prompt: "a fox",
    refiner: { ...newRefiner(REFINER.id), switch_at: 0.6, switch_by: "steps" as const, aesthetic_score: 7 },
  };

  it("keeps the refiner in the URL and sends it, its defaults left to the contract", () => {
    expect(draftOfQuery(queryOf(refined), draftFor(SDXL))).toEqual(refined);
    expect(requestOf(refined)).toMatchObject({
      refiner: { model: REFINER.id, switch_at: 0.6, switch_by: "steps" },
      aesthetic_score: 7,
    });
    expect(requestOf(refined)).not.toHaveProperty("negative_aesthetic_score");
    const plain = requestOf({ ...refined, refiner: newRefiner(REFINER.id) });
    expect(plain.refiner).toEqual({ model: REFINER.id, switch_at: 0.8 });
    expect(plain).not.toHaveProperty("aesthetic_score");
    expect(requestOf(draftFor(SDXL))).not.toHaveProperty("refiner");
    // values the contract refuses fall back to its defaults
    const odd = draftOfQuery(
      "refiner=r&refiner_switch_at=1&refiner_switch_by=x&aesthetic_score=11",
      draftFor(SDXL),
    );
    expect(odd.refiner).toEqual(newRefiner("r"));
    expect(draftOfQuery("refiner=", draftFor(SDXL)).refiner).toBeNull();
  });

  it("takes the refiner from a recorded request", () => {
    const recorded = { ...requestOf(refined), negative_aesthetic_score: 1 };
    expect(draftOfRequest(recorded)?.refiner).toEqual({ ...refined.refiner, negative_aesthetic_score: 1 });
    expect(draftOfRequest({ ...recorded, refiner: { switch_at: 0.5 } })?.refiner).toBeNull();
  });

  it("takes an image's refiner when the key may use it, and says so when it may not", () => {
    const recipe: ImageRecipe = {
      source: "a1111",
      fields: { prompt: "a fox" },
      model: { name: SDXL.id, hash: null, version: null },
      refiner: REFINER_OF_RECIPE,
      unmapped: {},
    };
    const held = applyRecipe(draftFor(SDXL), recipe, [SDXL, REFINER]);
    expect(held.draft.refiner).toEqual({ ...newRefiner(REFINER.id), switch_at: 0.7 });
    expect(held.notCarried).toEqual([]);
    const scored = { ...recipe, refiner: { ...REFINER_OF_RECIPE, negative_aesthetic_score: 1 } };
    expect(applyRecipe(draftFor(SDXL), scored, [SDXL, REFINER]).draft.refiner).toEqual({
      ...newRefiner(REFINER.id),
      switch_at: 0.7,
      negative_aesthetic_score: 1,
    });
    const unknown = applyRecipe(refined, recipe, [SDXL]);
    expect(unknown.draft.refiner).toBeNull();
    expect(unknown.notCarried).toEqual([`refiner: ${REFINER.id} (not one your key may use)`]);
    const { refiner: _none, ...without } = recipe;
    expect(applyRecipe(refined, without, [SDXL, REFINER]).draft.refiner).toBeNull();
  });

  it("says before Run what the API refuses with a refiner: a hires pass, a mask, ControlNet", () => {
    const models = [SDXL, REFINER, TINY];
    expect(refinerRefusal(requestOf(refined), models)).toBeNull();
    const hires = requestOf({ ...refined, hires: { scale: 2, strength: 0.5, steps: 4 } });
    expect(refinerRefusal(hires, models)).toMatch(/'refiner'.*'hires_scale'/);
    const image = "data:image/png;base64,AAAA";
    const masked = requestOf(refined, { image, mask: image, controlnet: [] });
    expect(refinerRefusal(masked, models)).toMatch(/'mask'/);
    expect(refinerRefusal(requestOf({ ...refined, model: TINY.id }), models)).toMatch(/SDXL base/);
  });
});
