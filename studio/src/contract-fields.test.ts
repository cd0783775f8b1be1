import {
  MAX_AESTHETIC_SCORE,
  MAX_PROMPT_CHARS,
  OUTPUT_FORMATS,
  REFINER_SWITCH_BY,
  SCHEDULER_NAMES,
} from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { fieldSpec } from "./contract-fields.ts";

describe("the playground's fields come from the contract", () => {
  it("reads bounds, enums and required fields from generationRequestSchema", () => {
    expect(fieldSpec("prompt")).toEqual({
      kind: "text",
      name: "prompt",
      required: true,
      maxLength: MAX_PROMPT_CHARS,
    });
    expect(fieldSpec("guidance_scale")).toEqual({
      kind: "number",
      name: "guidance_scale",
      integer: false,
      min: 0,
      max: 30,
    });
    expect(fieldSpec("steps")).toMatchObject({ kind: "number", integer: true, min: 1, max: null });
    expect(fieldSpec("output_format")).toEqual({
      kind: "choice",
      name: "output_format",
      options: OUTPUT_FORMATS,
    });
    expect(fieldSpec("scheduler")).toEqual({ kind: "choice", name: "scheduler", options: SCHEDULER_NAMES });
  });

  it("reads a field inside the nullable refiner object by its path, exclusive bounds as bounds", () => {
    expect(fieldSpec("refiner.switch_at")).toEqual({
      kind: "number",
      name: "refiner.switch_at",
      integer: false,
      min: 0,
      max: 1,
    });
    expect(fieldSpec("refiner.switch_by")).toEqual({
      kind: "choice",
      name: "refiner.switch_by",
      options: REFINER_SWITCH_BY,
    });
    expect(fieldSpec("aesthetic_score")).toMatchObject({ min: 0, max: MAX_AESTHETIC_SCORE });
  });

  it("refuses a field the contract does not have", () => {
    expect(() => fieldSpec("sampler")).toThrow(/no field 'sampler'/);
    expect(() => fieldSpec("refiner.strength")).toThrow(/no field 'refiner.strength'/);
  });
});
