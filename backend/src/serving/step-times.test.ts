import { stepCounts } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { StepTimes } from "./step-times.ts";

describe("step times", () => {
  it("times a request's passes as the contract counts them, each at its own size", () => {
    const times = new StepTimes();
    times.record("tiny", 512, 512, 40);
    // 10 × 0.5: 5 steps run, 40 ms each, for 2 images
    const img2img = exampleResolvedRequest({
      width: 512,
      height: 512,
      steps: 10,
      n: 2,
      image: "iVBORw0KGgo=",
      strength: 0.5,
    });
    expect(stepCounts(img2img).stepsPerImage).toBe(5);
    expect(times.requestMs(img2img)).toBe(2 * 5 * 40);
    // 20 steps at 512², then 30 × 0.7 = 21 at 768², whose step time is 512²'s scaled by pixels
    const hires = exampleResolvedRequest({
      width: 512,
      height: 512,
      steps: 20,
      hires: { scale: 1.5, strength: 0.7, steps: 30 },
    });
    expect(times.requestMs(hires)).toBeCloseTo(20 * 40 + 21 * 90, 9);
  });
});
