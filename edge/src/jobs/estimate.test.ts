import {
  CONTROLNET_STEP_COST,
  type ResolvedGenerationRequest,
  rateImageSeconds,
  stepCounts,
} from "@sdgate/shared";
import { exampleControlNetUnit, exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { DECODE_MS_PER_MILLION_CHARS, estimateGeneration, inputDecodeMs } from "./estimate.ts";
import type { FleetTimings } from "./step-timings.ts";

function request(fields: Partial<ResolvedGenerationRequest>): ResolvedGenerationRequest {
  return exampleResolvedRequest({ width: 512, height: 512, steps: 20, n: 1, ...fields });
}

/** Each 512² image's text encoder and VAE, from the rate table (backends report only step times). */
const FIXED_S = rateImageSeconds("sd1", 512, 512);

const timings: FleetTimings = {
  atMs: 0,
  backends: [
    { backend: "a", ready: true, estimatedWaitMs: 300, queueDepth: 1, stepMs: { tiny: { "512x512": 50 } } },
  ],
};

describe("estimating a generation with input images", () => {
  it("adds the backend's decoding time, by base64 length, to the expected total but not to GPU time", () => {
    const image = "A".repeat(4_000_000);
    const mask = "A".repeat(1_000_000);
    expect(inputDecodeMs(request({}))).toBe(0);
    expect(inputDecodeMs(request({ image, mask, strength: 0.5 }))).toBe(5 * DECODE_MS_PER_MILLION_CHARS);
    const plain = estimateGeneration(request({ model: "tiny" }), "sd1", timings, 3.6);
    expect(plain).toMatchObject({ decodeMs: 0, gpuSeconds: 1 + FIXED_S, expectedTotalMs: 1_319 });
    const img2img = estimateGeneration(
      request({ model: "tiny", image, mask, strength: 0.5 }),
      "sd1",
      timings,
      3.6,
    );
    // img2img runs steps × strength; its images take 500 ms to decode on the backend's CPU
    expect(img2img).toMatchObject({
      steps: 10,
      decodeMs: 500,
      gpuSeconds: 0.5 + FIXED_S,
      expectedTotalMs: 1_319,
    });
    expect(img2img.cost).toBeCloseTo(0.000519, 10);
  });
});

describe("estimating a generation's steps", () => {
  it("counts the steps the contract's step counts say the engine runs, each pass at its size", () => {
    // 10 × 0.33 = 3.3: the engine runs 3, so the estimate does not round up to 4
    const img2img = request({ model: "tiny", image: "iVBORw0KGgo=", steps: 10, strength: 0.33, n: 2 });
    expect(stepCounts(img2img).stepsPerImage).toBe(3);
    expect(estimateGeneration(img2img, "sd1", timings, null)).toMatchObject({
      steps: 3,
      gpuSeconds: (2 * 3 * 50) / 1000 + 2 * FIXED_S,
    });

    const hires = request({ model: "tiny", steps: 30, hires: { scale: 1.5, strength: 0.7, steps: 30 } });
    const [first, second] = stepCounts(hires).passes;
    expect([first?.steps, second?.steps, second?.width]).toEqual([30, 21, 768]);
    // 512² is measured at 50 ms a step; 768² is scaled from it by pixels, 112.5 ms; the VAE decodes 768²
    const estimate = estimateGeneration(hires, "sd1", timings, null);
    expect(estimate.steps).toBe(51);
    expect(estimate.gpuSeconds).toBeCloseTo((30 * 50 + 21 * 112.5) / 1000 + FIXED_S * 2.25, 9);
  });
});

describe("estimating a generation with ControlNet units", () => {
  it("adds each active unit-step at CONTROLNET_STEP_COST of the pass's step time, and its image's decoding", () => {
    const unit = exampleControlNetUnit({ image: "A".repeat(1_000_000), guidance_end: 0.5 });
    // 20 steps at 50 ms; the unit acts on steps 0…10 of 20 (11)
    const estimate = estimateGeneration(request({ model: "tiny", controlnet: [unit] }), "sd1", timings, null);
    expect(estimate.steps).toBe(20);
    expect(estimate.gpuSeconds).toBeCloseTo(((20 + 11 * CONTROLNET_STEP_COST) * 50) / 1000 + FIXED_S, 9);
    expect(estimate.decodeMs).toBe(DECODE_MS_PER_MILLION_CHARS);
  });
});
