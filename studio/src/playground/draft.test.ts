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

const TINY: Model = {
  id: "tiny",
  object: "model",
  created: 0,
  owned_by: "sdgate",
  description: "",
  defaults: { width: 256, height: 256, steps: 20, guidance_scale: 7.5, scheduler: "euler" },
  limits: { max_width: 1024, max_height: 1024, max_steps: 150 },
};

describe("the playground's form", () => {
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
    const { draft, notCarried } = applyRecipe(draftFor(TINY), recipe, ["tiny"]);
    expect(draft).toMatchObject({ prompt: "a cat", steps: 30, seed: 5, seedLocked: true, model: "tiny" });
    expect(notCarried).toEqual([
      "ADetailer model: face_yolov8n.pt",
      "clip_skip: 2",
      "model: v1-5-pruned (not one your key may use)",
    ]);
  });
});

describe("a run's request in the playground", () => {
  it("fills the whole form, its seed locked, and refuses a record without one", () => {
    const draft = draftOfRequest(RECORDED_REQUEST);
    const {
      n: _n,
      rng: _rng,
      image: _i,
      strength: _s,
      mask: _m,
      output_quality: _q,
      ...form
    } = RECORDED_REQUEST;
    expect(draft).toEqual({ ...form, seedLocked: true });
    expect(draft && draftOfQuery(queryOf(draft), draftFor(TINY))).toEqual(draft);
    expect(draftOfRequest({ ...RECORDED_REQUEST, steps: "2" })).toBeNull();
    expect(draftOfRequest({ ...RECORDED_REQUEST, output_format: "bmp" })).toBeNull();
  });

  it("puts only a seed into the current form's query", () => {
    const query = new URLSearchParams(withSeed("?prompt=a+fox&steps=3&seed=1", 99));
    expect(Object.fromEntries(query)).toEqual({ prompt: "a fox", steps: "3", seed: "99", seed_locked: "1" });
  });
});
