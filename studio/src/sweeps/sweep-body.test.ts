import { describe, expect, it } from "vitest";
import { sweepBodyOf } from "./sweep-body.ts";

const request = { prompt: "a cat", width: 64, height: 64 };
const none = { name: "", experiment: "", maxCredits: "" };

describe("sweepBodyOf", () => {
  it("makes the request body from the axes as typed, leaving out what is empty", () => {
    const made = sweepBodyOf(request, [{ field: "steps", text: "2, 4" }], { ...none, maxCredits: "50" });
    expect(made).toEqual({
      ok: true,
      body: { request, axes: [{ field: "steps", values: [2, 4] }], max_credits: 50 },
    });
  });

  it("names the axis whose values do not parse, and a cap that is not a whole number", () => {
    expect(sweepBodyOf(request, [{ field: "guidance_scale", text: "x" }], none)).toEqual({
      ok: false,
      message: "Guidance: 'x' is not a number or a range like 10-30 (+10) or 1-7 [4].",
    });
    const cap = sweepBodyOf(request, [{ field: "seed", text: "1" }], { ...none, maxCredits: "ten" });
    expect(cap.ok).toBe(false);
  });
});
