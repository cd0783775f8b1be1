import { describe, expect, it } from "vitest";
import { tokenizeFields } from "./token-reading.ts";

describe("tokenizeFields", () => {
  it("passes the form's guidance on, so a count at 1 reads AND as the engine will", () => {
    expect(tokenizeFields({ steps: 4, guidanceScale: 1, negative: false })).toEqual({
      steps: 4,
      guidance_scale: 1,
      negative: false,
    });
  });

  it("brings a half-typed form within the API's bounds, and leaves guidance that is no number to the model", () => {
    expect(tokenizeFields({ steps: 400, guidanceScale: 45, negative: true })).toEqual({
      steps: 150,
      guidance_scale: 30,
      negative: true,
    });
    expect(tokenizeFields({ steps: Number.NaN, guidanceScale: -2, negative: false })).toEqual({
      steps: 1,
      guidance_scale: 0,
      negative: false,
    });
    expect(tokenizeFields({ steps: 20, guidanceScale: Number.NaN, negative: false })).toEqual({
      steps: 20,
      negative: false,
    });
  });
});
