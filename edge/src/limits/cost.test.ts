import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { estimateCost, PIXEL_STEPS_PER_CREDIT } from "./cost.ts";

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

  it("rounds up and never costs less than 1", () => {
    expect(estimateCost(request({ width: 64, height: 64, steps: 1 }))).toBe(1);
    expect(estimateCost(request({ width: 64, height: 64, steps: 17 }))).toBe(2);
  });

  it("refuses a model factor that is not a positive number", () => {
    expect(() => estimateCost(request({}), 0)).toThrow(/modelFactor/);
    expect(() => estimateCost(request({}), Number.NaN)).toThrow(/modelFactor/);
  });
});
