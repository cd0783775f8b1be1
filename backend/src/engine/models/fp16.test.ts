import { describe, expect, it } from "vitest";
import { float16BitsToFloat32, float32ToFloat16Bits, fromFloat16, toFloat16Bits } from "./fp16.ts";

describe("float16 conversion", () => {
  it("encodes the values numpy's float16 gives (IEEE 754 binary16)", () => {
    // Bit patterns from the IEEE 754 binary16 table (numpy.float16(x).view(numpy.uint16)).
    const cases: [number, number][] = [
      [0, 0x0000],
      [-0, 0x8000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds past the largest half
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // a tie between 0 and 2^-24 goes to even (0)
      [1.5 * 2 ** -25, 0x0001],
      [Number.POSITIVE_INFINITY, 0x7c00],
      [Number.NEGATIVE_INFINITY, 0xfc00],
      [0.1, 0x2e66],
      [1 + 2 ** -11, 0x3c00], // tie: 1.0 is even
      [1 + 3 * 2 ** -11, 0x3c02], // tie: rounds up to the even mantissa
    ];
    for (const [value, bits] of cases) expect([value, float32ToFloat16Bits(value)]).toEqual([value, bits]);
    expect(float32ToFloat16Bits(Number.NaN) & 0x7c00).toBe(0x7c00);
  });

  it("agrees with the manual conversion on many values, both ways", () => {
    const values = new Float32Array(20_000);
    for (let i = 0; i < values.length; i++) values[i] = Math.sinh((i - 10_000) / 900) * 1.37;
    const bits = toFloat16Bits(values);
    for (let i = 0; i < values.length; i++) {
      expect(bits[i]).toBe(float32ToFloat16Bits(values[i] as number));
    }
    const back = fromFloat16(bits);
    for (let i = 0; i < values.length; i += 97) {
      expect(back[i]).toBe(float16BitsToFloat32(bits[i] as number));
    }
  });

  it("round-trips every finite half exactly", () => {
    const all = new Uint16Array(0x10000).map((_, i) => i);
    const finite = all.filter((b) => (b & 0x7c00) !== 0x7c00);
    expect([...toFloat16Bits(fromFloat16(finite))]).toEqual([...finite]);
  });
});
