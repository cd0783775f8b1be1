import { describe, expect, it } from "vitest";
import { strengthSchedule } from "./img2img.ts";
import {
  binarizeMask,
  blendKnownLatents,
  concatInpaintChannels,
  maskImage,
  maskToLatentSize,
} from "./inpaint.ts";
import { rgbToSigned } from "./latents.ts";

describe("mask preparation (diffusers' mask_processor)", () => {
  it("repaints where Pillow's L luma is at least 128, and keeps elsewhere", () => {
    // L = (19595 R + 38470 G + 7471 B + 2^15) >> 16: grey 127 keeps, grey 128 repaints, pure red (L 76) keeps.
    const rgb = Uint8Array.of(127, 127, 127, 128, 128, 128, 255, 0, 0, 0, 255, 0, 255, 255, 255);
    expect([...binarizeMask({ rgb, width: 5, height: 1 })]).toEqual([0, 1, 0, 1, 1]);
  });

  it("shrinks to latent size by nearest neighbour (the pixel at 8 × index)", () => {
    const width = 16;
    const mask = new Float32Array(16 * 8).map((_, i) => (i % width === 8 ? 1 : 0));
    expect([...maskToLatentSize(mask, 16, 8)]).toEqual([0, 1]);
  });

  it("zeroes the repainted pixels of the image in [-1, 1]", () => {
    const image = Float32Array.of(0.5, -0.5, 0.25, -0.25, 1, -1);
    expect([...maskImage(image, Float32Array.of(0, 1))]).toEqual([0.5, 0, 0.25, 0, 1, 0]);
  });
});

describe("latent helpers", () => {
  it("stacks each batch item's latents, the mask, then the masked image's latents", () => {
    const latents = Float32Array.of(1, 2, 3, 4); // batch 2, one value per item
    const out = concatInpaintChannels(latents.subarray(0, 2), 2, Float32Array.of(9), Float32Array.of(7));
    expect([...out]).toEqual([1, 9, 7, 2, 9, 7]);
  });

  it("takes the known latents where the mask keeps, for every channel", () => {
    const blended = blendKnownLatents(
      Float32Array.of(1, 2, 3, 4),
      Float32Array.of(5, 6, 7, 8),
      Float32Array.of(0, 1),
    );
    expect([...blended]).toEqual([5, 2, 7, 4]);
  });

  it("maps 8-bit RGB to [-1, 1] planes", () => {
    expect([...rgbToSigned({ rgb: Uint8Array.of(0, 255, 51), width: 1, height: 1 })]).toEqual([
      -1,
      1,
      Math.fround(Math.fround(Math.fround(51 / 255) * 2) - 1),
    ]);
  });

  it("starts img2img at int(steps × strength) steps from the end, times the scheduler's order", () => {
    expect(strengthSchedule(20, 0.75, 1)).toEqual({ beginIndex: 5, steps: 15 });
    expect(strengthSchedule(10, 1, 1)).toEqual({ beginIndex: 0, steps: 10 });
    expect(strengthSchedule(10, 0.35, 2)).toEqual({ beginIndex: 14, steps: 3 });
  });
});
