import { describe, expect, it } from "vitest";
import { axisText, parseAxisValues } from "./axis-values.ts";

describe("parseAxisValues", () => {
  it("reads numbers, whole ranges, stepped ranges and counted ranges", () => {
    expect(parseAxisValues("steps", "4, 8")).toEqual({ ok: true, values: [4, 8] });
    expect(parseAxisValues("steps", "1-4")).toEqual({ ok: true, values: [1, 2, 3, 4] });
    expect(parseAxisValues("steps", "10-30 (+10)")).toEqual({ ok: true, values: [10, 20, 30] });
    expect(parseAxisValues("guidance_scale", "1-7 [4]")).toEqual({ ok: true, values: [1, 3, 5, 7] });
    expect(parseAxisValues("guidance_scale", "0.1-0.3 (+0.1)")).toEqual({
      ok: true,
      values: [0.1, 0.2, 0.3],
    });
    expect(parseAxisValues("seed", "5-3")).toEqual({ ok: true, values: [5, 4, 3] });
  });

  it("says what is wrong with a value that is not a number, an empty axis and too many values", () => {
    expect(parseAxisValues("steps", "4, many")).toEqual({
      ok: false,
      message: "'many' is not a number or a range like 10-30 (+10) or 1-7 [4].",
    });
    expect(parseAxisValues("steps", " , ")).toEqual({ ok: false, message: "Give at least one value." });
    const many = parseAxisValues("seed", "1-100");
    expect(!many.ok && many.message).toContain("at most 64");
  });

  it("keeps text as text, commas inside quotes included, and writes it back the same way", () => {
    const parsed = parseAxisValues("prompt_sr", 'red, "blue, light", green');
    expect(parsed).toEqual({ ok: true, values: ["red", "blue, light", "green"] });
    if (parsed.ok) expect(axisText({ values: parsed.values })).toBe('red, "blue, light", green');
    expect(parseAxisValues("scheduler", "euler, ddim")).toEqual({ ok: true, values: ["euler", "ddim"] });
  });
});
