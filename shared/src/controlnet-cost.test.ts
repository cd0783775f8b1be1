import { describe, expect, it } from "vitest";
import {
  CONTROLNET_STEP_COST,
  controlNetPixelSteps,
  controlNetStepsPerPass,
  controlUnitActive,
} from "./controlnet-cost.ts";
import { exampleControlNetUnit, exampleResolvedRequest } from "./testing.ts";

const unit = exampleControlNetUnit;

describe("ControlNet pricing", () => {
  it("counts A1111's guidance window, both ends inclusive", () => {
    expect([0, 1, 2, 3].map((step) => controlUnitActive(step, 4, 0.25, 0.5))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  it("charges each active unit-step at the measured share of a UNet step; weight 0 and no units cost nothing", () => {
    const base = exampleResolvedRequest({ steps: 20 });
    expect(controlNetStepsPerPass(base)).toEqual([0]);
    expect(controlNetStepsPerPass({ ...base, controlnet: [unit()] })).toEqual([20 * CONTROLNET_STEP_COST]);
    // steps 0…10 of 20 (10/20 = 0.5 is inside), and a unit at weight 0
    const two = { ...base, controlnet: [unit(), unit({ guidance_end: 0.5 }), unit({ weight: 0 })] };
    expect(controlNetStepsPerPass(two)[0]).toBeCloseTo((20 + 11) * CONTROLNET_STEP_COST, 9);
    expect(controlNetPixelSteps({ ...two, n: 2 })).toBeCloseTo(
      (20 + 11) * CONTROLNET_STEP_COST * 64 * 64 * 2,
      6,
    );
  });

  it("runs the units in img2img's steps and in both passes of hires fix", () => {
    const img2img = exampleResolvedRequest({
      steps: 20,
      strength: 0.5,
      image: "iVBORw0KGgo=",
      controlnet: [unit()],
    });
    expect(controlNetStepsPerPass(img2img)).toEqual([10 * CONTROLNET_STEP_COST]);
    const hires = exampleResolvedRequest({
      steps: 10,
      hires: { scale: 2, strength: 0.5, steps: 10 },
      controlnet: [unit()],
    });
    expect(controlNetStepsPerPass(hires)).toEqual([10 * CONTROLNET_STEP_COST, 5 * CONTROLNET_STEP_COST]);
    expect(controlNetPixelSteps(hires)).toBeCloseTo(CONTROLNET_STEP_COST * (10 * 64 * 64 + 5 * 128 * 128), 6);
  });
});
