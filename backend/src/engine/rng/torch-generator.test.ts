import { describe, expect, it } from "vitest";
import { createGenerator } from "./torch-generator.ts";

const fixed4 = (values: Float32Array) => Array.from(values, (v) => Number(v.toFixed(4)));

describe("createGenerator reproduces torch.randn on the CPU", () => {
  it("matches torch.manual_seed(0); torch.randn(4, 4) (the vectorised path for ≥ 16 values)", () => {
    // Printed by torch 2.x: torch.manual_seed(0); torch.randn(4, 4)
    expect(fixed4(createGenerator(0).randn([4, 4]))).toEqual([
      -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35, 0.3081,
      0.1198, 1.2377, 1.1168, -0.2473,
    ]);
  });

  it("matches torch.manual_seed(0); torch.randn(10) (the double-precision path for < 16 values)", () => {
    expect(fixed4(createGenerator(0).randn([10]))).toEqual([
      1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986, 0.4033, 0.838, -0.7193, -0.4033,
    ]);
  });

  it("continues one stream across calls, as successive torch.randn calls with one generator do", () => {
    const generator = createGenerator(7);
    const joined = [...generator.randn([16]), ...generator.randn([16])];
    expect(Array.from(createGenerator(7).randn([32]))).toEqual(joined);
  });

  it("carries torch's cached second normal between small draws", () => {
    const generator = createGenerator(3);
    const [first, second] = [generator.randn([1])[0], generator.randn([1])[0]];
    expect([first, second]).toEqual(Array.from(createGenerator(3).randn([2])));
  });

  it("recomputes the last 16 values when the size is not a multiple of 16", () => {
    const values = createGenerator(0).randn([20]);
    // The first 16 are the randn(16) values; the tail comes from 16 fresh uniforms.
    expect(Array.from(values.subarray(0, 4))).toEqual(
      Array.from(createGenerator(0).randn([16]).subarray(0, 4)),
    );
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it("gives latents with a standard normal spread, different per seed", () => {
    const a = createGenerator(42).randn([1, 4, 64, 64]);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(createGenerator(43).randn([4])).not.toEqual(createGenerator(42).randn([4]));
  });

  it("rejects a negative or fractional seed", () => {
    expect(() => createGenerator(-1)).toThrow(/seed/);
    expect(() => createGenerator(1.5)).toThrow(/seed/);
  });
});
