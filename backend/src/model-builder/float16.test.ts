import { describe, expect, it } from "vitest";
import { float16Bytes, fromFloat16Bits, toFloat16Bits } from "./float16.ts";
import { WeightSource } from "./weights.ts";

// Node 24's Math.f16round is the reference (IEEE 754 roundTiesToEven, as torch's .half()).
const f16round = (Math as unknown as { f16round: (x: number) => number }).f16round;

describe("float16 conversion", () => {
  it("rounds like Math.f16round, ties to even, over normals, subnormals and overflow", () => {
    const values = [
      0,
      -0,
      1,
      -1,
      0.1,
      1 / 3,
      65504,
      65519.99,
      65520,
      1e6,
      -1e6,
      6.1e-5,
      5.96e-8,
      2.98e-8,
      2.99e-8,
      1e-9,
      2049,
      2051,
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      ...new WeightSource(7).normal("x", 2000, 3),
      ...new WeightSource(8).normal("y", 200, 1e-5),
    ];
    for (const value of values) {
      expect(fromFloat16Bits(toFloat16Bits(value)), `${value}`).toBe(f16round(Math.fround(value)));
    }
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(Number.NaN)))).toBe(true);
  });

  it("writes little-endian binary16 bytes", () => {
    expect(Array.from(float16Bytes(Float32Array.from([1, -2])))).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });
});
