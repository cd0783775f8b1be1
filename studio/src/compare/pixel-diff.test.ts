import { describe, expect, it } from "vitest";
import { type Pixels, pixelDifference } from "./pixel-diff.ts";

/** A width × height image whose pixel `i` is `colour(i)` (RGB; opaque). */
function image(width: number, height: number, colour: (i: number) => [number, number, number]): Pixels {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...colour(i), 255], i * 4);
  return { width, height, data };
}

describe("the pixel difference", () => {
  it("is zero everywhere for an image and itself", () => {
    const a = image(4, 4, (i) => [i * 10, 255 - i, 7]);
    const diff = pixelDifference(a, a, 8);
    expect(diff).toMatchObject({
      differingPixels: 0,
      differingShare: 0,
      maxDifference: 0,
      width: 4,
      height: 4,
    });
    expect([...diff.data].filter((_, at) => at % 4 !== 3).every((value) => value === 0)).toBe(true);
  });

  it("counts the pixels that differ, the largest channel difference, and amplifies the picture of it", () => {
    const a = image(2, 2, () => [100, 100, 100]);
    // One pixel differs by 3 in red, one by 40 in blue; alpha is never a difference.
    const b = image(2, 2, (i) => (i === 1 ? [103, 100, 100] : i === 3 ? [100, 100, 60] : [100, 100, 100]));
    const diff = pixelDifference(a, b, 10);
    expect(diff.differingPixels).toBe(2);
    expect(diff.differingShare).toBe(0.5);
    expect(diff.maxDifference).toBe(40);
    expect([...diff.data.slice(4, 8)]).toEqual([30, 0, 0, 255]);
    // 40 × 10 is past what a channel holds: capped at 255.
    expect([...diff.data.slice(12, 16)]).toEqual([0, 0, 255, 255]);
  });

  it("refuses images of different sizes and an amplification below 1", () => {
    expect(() =>
      pixelDifference(
        image(2, 2, () => [0, 0, 0]),
        image(2, 3, () => [0, 0, 0]),
      ),
    ).toThrow(/2×2 and 2×3/);
    const a = image(1, 1, () => [0, 0, 0]);
    expect(() => pixelDifference(a, a, 0)).toThrow(/amplify/);
  });
});
