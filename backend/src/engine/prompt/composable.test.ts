import { describe, expect, it } from "vitest";
import { isComposable, splitComposable } from "./composable.ts";

describe("composable prompts (A1111's get_multicond_prompt_list)", () => {
  it("splits at the word AND, keeping each part's leading space, and reads trailing weights", () => {
    expect(splitComposable("a cat AND a dog")).toEqual([
      { text: "a cat", weight: 1 },
      { text: " a dog", weight: 1 },
    ]);
    expect(splitComposable("a cat :1.5 AND a dog:0.5 AND snow : -.25 ")).toEqual([
      { text: "a cat", weight: 1.5 },
      { text: " a dog", weight: 0.5 },
      { text: " snow", weight: -0.25 },
    ]);
  });

  it("leaves words containing AND, lowercase and, and bracketed weights alone", () => {
    expect(splitComposable("ANDROID and BRANDY (cat:1.2)")).toEqual([
      { text: "ANDROID and BRANDY (cat:1.2)", weight: 1 },
    ]);
    expect(isComposable("a (castle:1.5) at dusk")).toBe(false);
    expect(isComposable("a castle :1.5")).toBe(true);
    expect(isComposable("a castle AND a moat")).toBe(true);
  });
});
