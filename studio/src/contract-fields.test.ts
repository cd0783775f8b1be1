import { MAX_PROMPT_CHARS, OUTPUT_FORMATS, SCHEDULER_NAMES } from "@sdgate/shared";
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

  it("refuses a field the contract does not have", () => {
    expect(() => fieldSpec("sampler")).toThrow(/no field 'sampler'/);
  });
});
