import { describe, expect, it } from "vitest";
import { fromFloat16 } from "../models/fp16.ts";
import { applyGuidance, decodedToRgb } from "./tensor-math.ts";

describe("decoded image to bytes", () => {
  it("maps a float16 decoder's raw bits to the same bytes as their float32 values, for every pattern", () => {
    // 65,536 patterns as a 256×256 image's three planes (each pattern three times, shifted by plane)
    const plane = 256 * 256;
    const bits = new Uint16Array(plane * 3);
    for (let i = 0; i < bits.length; i++) bits[i] = (i * 7919) % 65536;
    const fromBits = decodedToRgb(bits, 256, 256);
    const fromFloats = decodedToRgb(fromFloat16(bits), 256, 256);
    expect(Buffer.from(fromBits).equals(Buffer.from(fromFloats))).toBe(true);
    // every pattern occurs: 7919 is coprime with 65,536
    expect(new Set(bits.subarray(0, plane)).size).toBe(plane);
  });

  it("follows diffusers: (x / 2 + 0.5).clamp(0, 1) * 255, rounded half to even, in HWC order", () => {
    // R plane, G plane, B plane of a 2×1 image
    const chw = new Float32Array([-1, 1, 0, 2, -3, Number.NaN]);
    expect([...decodedToRgb(chw, 2, 1)]).toEqual([0, 128, 0, 255, 255, 0]);
  });
});

describe("classifier-free guidance", () => {
  it("moves the unconditional prediction towards the conditional one by the scale", () => {
    const batched = new Float32Array([1, 2, 3, 6]); // uncond [1, 2], cond [3, 6]
    expect([...applyGuidance(batched, 7.5)]).toEqual([16, 32]);
  });
});
