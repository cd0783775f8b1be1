import { describe, expect, it } from "vitest";
import { createGenerator } from "./torch-generator.ts";

function bitsHash(values: Float32Array): string {
  let hash = 0x811c9dc5;
  for (const word of new Uint32Array(values.buffer, values.byteOffset, values.length)) {
    hash = Math.imul(hash ^ word, 0x01000193) >>> 0;
  }
  return `0x${hash.toString(16).padStart(8, "0")}`;
}

describe("philox (A1111's NV generator)", () => {
  it("matches the expected output in rng_philox.py's docstring for Generator(seed=0).randn((3, 4))", () => {
    // AUTOMATIC1111/stable-diffusion-webui, modules/rng_philox.py. The docstring's numbers are printed to
    // 8 decimals and differ from the module's own float32 output by up to 3e-7 (they look like torch CUDA's
    // values, which the module imitates), so they are compared at that tolerance.
    const values = createGenerator(0, "philox").randn([3, 4]);
    const expected = [
      -0.92466259, -0.42534415, -2.6438457, 0.14518388, -0.12086647, -0.57972564, -0.62285122, -0.32838709,
      -1.07454231, -0.36314407, -1.67105067, 2.26550497,
    ];
    values.forEach((value, i) => {
      expect(Math.abs(value - (expected[i] as number))).toBeLessThan(4e-7);
    });
  });

  // Not printed anywhere: recorded by running rng_philox.py itself (the file above, unchanged) with
  // NumPy 2.4.6 on x86-64, and hashing the float32 bits. Exact agreement over 4M values was also checked.
  it("reproduces rng_philox.py bit for bit for an SDXL latent [1, 4, 128, 128] (recorded, seed 0)", () => {
    const latents = createGenerator(0, "philox").randn([1, 4, 128, 128]);
    expect(Array.from(latents.subarray(0, 3))).toEqual([
      -0.9246624112129211, -0.42534396052360535, -2.643845796585083,
    ]);
    expect(bitsHash(latents)).toBe("0x1ab44688");
  });

  it("keys on all 64 bits of the seed (recorded, seed 2^64 − 1)", () => {
    const latents = createGenerator(2n ** 64n - 1n, "philox").randn([1, 4, 128, 128]);
    expect(Array.from(latents.subarray(0, 3))).toEqual([
      0.6323022842407227, 0.03350096940994263, 0.8390876650810242,
    ]);
    expect(bitsHash(latents)).toBe("0xfb7f3e10");
    expect(createGenerator(5, "philox").randn([8])).not.toEqual(
      createGenerator(2n ** 32n + 5n, "philox").randn([8]),
    );
  });

  it("advances its counter offset once per randn call, as A1111's Generator does (recorded, seed 9)", () => {
    const generator = createGenerator(9, "philox");
    const values = [5, 16, 1, 100].flatMap((size) => Array.from(generator.randn([size])));
    expect(bitsHash(new Float32Array(values))).toBe("0xd447a855");
    // Each call starts its own batch at index 0, so a second call is not the first call's continuation.
    const again = createGenerator(9, "philox");
    expect(again.randn([4])).toEqual(createGenerator(9, "philox").randn([4]));
    expect(again.randn([4])).not.toEqual(createGenerator(9, "philox").randn([8]).subarray(4));
  });
});
