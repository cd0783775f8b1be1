import { CONTROLNET_STEP_COST, type ResolvedGenerationRequest, stepCounts } from "@sdgate/shared";
import { exampleControlNetUnit, exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import {
  estimateCost,
  INPUT_IMAGE_CHARS_PER_CREDIT,
  inputImageCredits,
  PIXEL_STEPS_PER_CREDIT,
} from "./cost.ts";

function request(fields: Partial<ResolvedGenerationRequest>): ResolvedGenerationRequest {
  return exampleResolvedRequest({ width: 512, height: 512, steps: 50, ...fields });
}

describe("estimateCost", () => {
  it("is steps × width × height × n × model factor, in credits of 256 × 256 pixel-steps", () => {
    expect(PIXEL_STEPS_PER_CREDIT).toBe(65_536);
    expect(estimateCost(request({}))).toBe(200);
    expect(estimateCost(request({ width: 1024, height: 1024, steps: 30 }))).toBe(480);
    expect(estimateCost(request({ n: 4 }))).toBe(800);
    expect(estimateCost(request({}), 2)).toBe(400);
  });

  it("adds a hires request's second pass at the final size: steps × strength of its steps", () => {
    // 512² × 50 = 200 credits, then 1024² × trunc(20 × 0.5) = 10 steps = 160 more
    expect(estimateCost(request({ hires: { scale: 2, strength: 0.5, steps: 20 } }))).toBe(360);
    // 512 × 1.5 = 768 (a multiple of 8): 768² × trunc(50 × 0.7) = 35 steps ≈ 315 credits
    expect(estimateCost(request({ hires: { scale: 1.5, strength: 0.7, steps: 50 } }))).toBe(200 + 315);
  });

  it("prices img2img's steps as the engine runs them: the contract's pixel-steps", () => {
    const img2img = request({ image: "iVBORw0KGgo=", steps: 10, strength: 0.33, n: 3 });
    // 3 steps of 10 (truncated, as diffusers), not 10 and not ⌈3.3⌉ = 4
    expect(stepCounts(img2img).pixelSteps).toBe(3 * 3 * 512 * 512);
    expect(estimateCost(img2img) - inputImageCredits(img2img)).toBe(
      Math.ceil(stepCounts(img2img).pixelSteps / PIXEL_STEPS_PER_CREDIT),
    );
    expect(estimateCost(img2img) - inputImageCredits(img2img)).toBe(36);
  });

  it("rounds up and never costs less than 1", () => {
    expect(estimateCost(request({ width: 64, height: 64, steps: 1 }))).toBe(1);
    expect(estimateCost(request({ width: 64, height: 64, steps: 17 }))).toBe(2);
  });

  it("adds a credit per 256 Ki base64 characters of each input image, at least one per image", () => {
    expect(INPUT_IMAGE_CHARS_PER_CREDIT).toBe(262_144);
    const small = "A".repeat(1_000);
    const large = "A".repeat(10_000_000);
    expect(inputImageCredits(request({}))).toBe(0);
    expect(inputImageCredits(request({ image: small, strength: 0.5 }))).toBe(1);
    // 10 M characters (the most an input may have): ⌈10,000,000 / 262,144⌉ = 39
    expect(inputImageCredits(request({ image: large, strength: 0.5 }))).toBe(39);
    expect(inputImageCredits(request({ image: large, mask: small, strength: 0.5 }))).toBe(40);
    // 25 of the 50 steps run at strength 0.5: 100 credits, and the images' 40
    expect(estimateCost(request({ image: large, mask: small, strength: 0.5 }))).toBe(100 + 40);
    // decoding costs the same whatever the model
    expect(estimateCost(request({ image: small, strength: 0.5 }), 2)).toBe(200 + 1);
  });

  it("refuses a model factor that is not a positive number", () => {
    expect(() => estimateCost(request({}), 0)).toThrow(/modelFactor/);
    expect(() => estimateCost(request({}), Number.NaN)).toThrow(/modelFactor/);
  });

  it("adds each active ControlNet unit-step at CONTROLNET_STEP_COST of a UNet step, and each control image's decoding", () => {
    const unit = exampleControlNetUnit({
      image: "A".repeat(INPUT_IMAGE_CHARS_PER_CREDIT + 1),
      preprocessor: "canny",
      threshold_low: 100,
      threshold_high: 200,
    });
    // 512 × 512 at 50 steps is 200 credits; one unit on every step adds 200 × CONTROLNET_STEP_COST and 2 for its image
    expect(estimateCost(request({ controlnet: [unit] }))).toBe(
      Math.ceil(200 * (1 + CONTROLNET_STEP_COST)) + 2,
    );
    expect(estimateCost(request({ controlnet: [unit, { ...unit, weight: 0 }] }))).toBe(
      Math.ceil(200 * (1 + CONTROLNET_STEP_COST)) + 4,
    );
  });
});
