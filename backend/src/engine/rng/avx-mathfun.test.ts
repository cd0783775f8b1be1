import { describe, expect, it } from "vitest";
import { fmaFloat32, logFloat32, sinCosFloat32, sinCosResult } from "./avx-mathfun.ts";

const { fround } = Math;

describe("fmaFloat32", () => {
  it("rounds a · b + c once, even when the double sum lands on a float32 midpoint", () => {
    // 4097² = 2^24 + 2^13 + 1: odd, so halfway between two float32 values (their spacing there is 2).
    // Adding 2^-30 must round up; the double sum drops the 2^-30 and a naive fround ties to even.
    expect(fround(4097 * 4097 + 2 ** -30)).toBe(16_785_408);
    expect(fmaFloat32(4097, 4097, 2 ** -30)).toBe(16_785_410);
    expect(fmaFloat32(4097, 4097, -(2 ** -30))).toBe(16_785_408);
    // An exact tie keeps ties-to-even.
    expect(fmaFloat32(4097, 4097, 0)).toBe(16_785_408);
  });

  it("agrees with one rounding of a product and a sum that are exact in a double", () => {
    expect(fmaFloat32(1.5, 2, 0.25)).toBe(3.25);
    expect(fmaFloat32(fround(0.1), fround(0.2), fround(0.3))).toBe(
      fround(fround(0.1) * fround(0.2) + fround(0.3)),
    );
  });
});

describe("avx_mathfun's log and sincos, ported", () => {
  it("gives exact results where Cephes' polynomials are exact", () => {
    expect(logFloat32(1)).toBe(0);
    sinCosFloat32(0);
    expect(Array.from(sinCosResult)).toEqual([0, 1]);
  });

  it("stays within 2 float32 ulps of the true functions over normal_fill's ranges", () => {
    for (let i = 1; i <= 4096; i++) {
      const u = fround(i / 4096);
      expect(Math.abs(logFloat32(u) - Math.log(u))).toBeLessThanOrEqual(
        2 * 2 ** -24 * Math.max(1, Math.abs(Math.log(u))),
      );
      const theta = fround(2 * Math.PI * fround((i - 1) / 4096));
      sinCosFloat32(theta);
      expect(Math.abs((sinCosResult[0] as number) - Math.sin(theta))).toBeLessThan(2 ** -22);
      expect(Math.abs((sinCosResult[1] as number) - Math.cos(theta))).toBeLessThan(2 ** -22);
    }
  });

  it("returns NaN for a non-positive log argument, as the original does", () => {
    expect(logFloat32(0)).toBeNaN();
    expect(logFloat32(-1)).toBeNaN();
  });
});
