import { describe, expect, it } from "vitest";
import type { RgbImage } from "../types.ts";
import { canny } from "./canny.ts";

function rectangle(
  width: number,
  height: number,
  box: { x0: number; y0: number; x1: number; y1: number },
  value = 255,
): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = box.y0; y < box.y1; y++)
    for (let x = box.x0; x < box.x1; x++) rgb.fill(value, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { rgb, width, height };
}

const edgeAt = (map: RgbImage, x: number, y: number) => map.rgb[(y * map.width + x) * 3] === 255;
const edgeCount = (map: RgbImage) => map.rgb.filter((v, i) => i % 3 === 0 && v === 255).length;

describe("canny", () => {
  it("draws a filled rectangle as its one-pixel outline and nothing else", () => {
    const map = canny(rectangle(32, 32, { x0: 8, y0: 10, x1: 24, y1: 22 }), 100, 200);
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++) {
        const nearLeft = Math.abs(x - 7.5) <= 0.5 && y >= 9 && y <= 22;
        const nearRight = Math.abs(x - 23.5) <= 0.5 && y >= 9 && y <= 22;
        const nearTop = Math.abs(y - 9.5) <= 0.5 && x >= 7 && x <= 24;
        const nearBottom = Math.abs(y - 21.5) <= 0.5 && x >= 7 && x <= 24;
        if (!(nearLeft || nearRight || nearTop || nearBottom))
          expect(edgeAt(map, x, y), `(${x}, ${y})`).toBe(false);
      }
    // each side is one pixel thick: one of the two pixels either side of the step
    for (let y = 12; y < 20; y++) {
      expect(Number(edgeAt(map, 7, y)) + Number(edgeAt(map, 8, y))).toBe(1);
      expect(Number(edgeAt(map, 23, y)) + Number(edgeAt(map, 24, y))).toBe(1);
    }
    for (let x = 10; x < 22; x++) expect(Number(edgeAt(map, x, 9)) + Number(edgeAt(map, x, 10))).toBe(1);
    expect(edgeCount(map)).toBeGreaterThanOrEqual(2 * 16 + 2 * 12 - 4);
    expect(edgeCount(map)).toBeLessThanOrEqual(2 * 18 + 2 * 14);
  });

  it("a flat image has no edges", () => {
    expect(edgeCount(canny(rectangle(16, 16, { x0: 0, y0: 0, x1: 16, y1: 16 }, 120), 1, 2))).toBe(0);
  });

  it("thresholds decide which steps count: a faint step needs a low threshold, and an edge touching a strong one survives hysteresis", () => {
    // a step of 40: an L1 Sobel magnitude of 4 × 40 = 160 along the sides, at most 2 × 160 at corners
    const faint = rectangle(24, 24, { x0: 6, y0: 6, x1: 18, y1: 18 }, 40);
    expect(edgeCount(canny(faint, 170, 255))).toBe(0);
    // sides between the thresholds, reached from the strong corners through hysteresis
    expect(edgeCount(canny(faint, 100, 200))).toBeGreaterThan(40);
    // the same sides with nothing strong to reach them from: dropped
    expect(edgeCount(canny(faint, 100, 330))).toBe(0);
    expect(edgeCount(canny(faint, 150, 159))).toBeGreaterThan(40);
    // the same faint square joined to a strong bar: kept through hysteresis
    const joined = rectangle(24, 24, { x0: 6, y0: 6, x1: 18, y1: 18 }, 40);
    for (let y = 6; y < 18; y++)
      for (let x = 18; x < 22; x++) joined.rgb.fill(255, (y * 24 + x) * 3, (y * 24 + x) * 3 + 3);
    const map = canny(joined, 100, 330);
    expect(edgeAt(map, 5, 12) || edgeAt(map, 6, 12)).toBe(true);
  });

  it("swaps thresholds given the wrong way round, as OpenCV does", () => {
    const image = rectangle(20, 20, { x0: 5, y0: 5, x1: 15, y1: 15 });
    expect(canny(image, 200, 100).rgb).toEqual(canny(image, 100, 200).rgb);
  });
});
