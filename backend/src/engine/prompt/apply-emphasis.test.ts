import { describe, expect, it } from "vitest";
import { applyEmphasis } from "./apply-emphasis.ts";

const mean = (values: Float32Array) => values.reduce((s, v) => s + v, 0) / values.length;

describe("applyEmphasis (A1111's EmphasisOriginal)", () => {
  it("returns the very same states when every multiplier is 1", () => {
    const hidden = Float32Array.of(0.1, -0.2, 0.3, 0.4, 0.5, -0.6);
    expect(applyEmphasis(hidden, 2, [1, 1, 1])).toBe(hidden);
  });

  it("scales each token's row by its multiplier, then restores the chunk's mean", () => {
    const hidden = Float32Array.of(1, 2, 3, 4, 5, 6);
    const out = applyEmphasis(hidden, 2, [1, 2, 1]);
    // z·m = [1, 2, 6, 8, 5, 6], mean 14/3; original mean 3.5; ratio 0.75.
    expect([...out]).toEqual([0.75, 1.5, 4.5, 6, 3.75, 4.5]);
    expect(mean(out)).toBeCloseTo(mean(hidden), 6);
    expect((out[3] as number) / (out[1] as number)).toBeCloseTo(4, 6);
  });

  it("rounds like float32 arithmetic", () => {
    const out = applyEmphasis(Float32Array.of(0.1, 0.7), 1, [1.1, 1]);
    expect(out.every((v) => v === Math.fround(v))).toBe(true);
    expect(mean(out)).toBeCloseTo(0.4, 6);
  });

  it("refuses states that do not match the multipliers", () => {
    expect(() => applyEmphasis(new Float32Array(5), 2, [1, 2, 1])).toThrow(/3 tokens × 2 need 6/);
  });
});
