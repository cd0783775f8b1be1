import { describe, expect, it } from "vitest";
import { stepCounts, stepsRun } from "./step-counts.ts";
import { exampleResolvedRequest } from "./testing.ts";

const img2img = (fields: { steps: number; strength: number; n?: number }) =>
  exampleResolvedRequest({ width: 512, height: 512, image: "iVBORw0KGgo=", ...fields });

describe("step counts", () => {
  it("runs every step of text-to-image at the request's size", () => {
    expect(stepCounts(exampleResolvedRequest({ width: 512, height: 768, steps: 25 }))).toEqual({
      passes: [{ scheduleSteps: 25, steps: 25, width: 512, height: 768 }],
      stepsPerImage: 25,
      pixelSteps: 25 * 512 * 768,
    });
  });

  it("runs img2img's int(steps × strength) of its schedule, as diffusers' get_timesteps", () => {
    expect(stepCounts(img2img({ steps: 10, strength: 0.5 }))).toEqual({
      passes: [{ scheduleSteps: 10, steps: 5, width: 512, height: 512 }],
      stepsPerImage: 5,
      pixelSteps: 5 * 512 * 512,
    });
    // 3.3 steps run 3 (truncated, never rounded up)
    expect(stepCounts(img2img({ steps: 10, strength: 0.33 })).stepsPerImage).toBe(3);
    expect(stepCounts(img2img({ steps: 10, strength: 1 })).stepsPerImage).toBe(10);
    // Python's 100 * 0.29 is 28.999999999999996 too, so diffusers runs 28
    expect(stepsRun(100, 0.29)).toBe(28);
    expect(stepsRun(1, 0.5)).toBe(0);
    expect(stepsRun(7, null)).toBe(7);
  });

  it("counts every image of the request in its pixel-steps", () => {
    const counts = stepCounts(img2img({ steps: 10, strength: 0.5, n: 3 }));
    expect(counts.stepsPerImage).toBe(5);
    expect(counts.pixelSteps).toBe(3 * 5 * 512 * 512);
  });

  it("adds hires' second pass: strength of its steps at the final size", () => {
    const request = exampleResolvedRequest({
      width: 512,
      height: 768,
      steps: 20,
      n: 2,
      hires: { scale: 1.5, strength: 0.7, steps: 30 },
    });
    // 30 × 0.7 = 21 steps at 512 × 1.5 = 768 by 768 × 1.5 = 1152
    expect(stepCounts(request)).toEqual({
      passes: [
        { scheduleSteps: 20, steps: 20, width: 512, height: 768 },
        { scheduleSteps: 30, steps: 21, width: 768, height: 1152 },
      ],
      stepsPerImage: 41,
      pixelSteps: 2 * (20 * 512 * 768 + 21 * 768 * 1152),
    });
  });
});
