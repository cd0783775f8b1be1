import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { canny } from "./canny.ts";

const fixture = JSON.parse(readFileSync(new URL("./canny-opencv.fixture.json", import.meta.url), "utf8")) as {
  width: number;
  height: number;
  maps: Record<string, string>;
};

/**
 * A colour image with gradients, a disc, a bright corner block and noise, made the same way each run;
 * the fixture holds OpenCV's `cv2.Canny(image, low, high)` of it (opencv-python-headless, bits packed
 * row-major, most significant first), written once by a Python script.
 */
function testImage(width: number, height: number): Uint8Array {
  const rgb = new Uint8Array(width * height * 3);
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const disc = (x - 30) ** 2 + (y - 20) ** 2 < 150;
      rgb[i] = Math.round(disc ? 220 : (x * 3) % 256);
      rgb[i + 1] = Math.round(y * 5 + rand() * 40);
      rgb[i + 2] = x > 40 && y > 30 ? 250 : 30 + Math.round(rand() * 60);
    }
  return rgb;
}

describe("canny against OpenCV", () => {
  const { width, height } = fixture;
  const rgb = testImage(width, height);
  for (const [thresholds, packed] of Object.entries(fixture.maps)) {
    it(`draws exactly cv2.Canny's edges at thresholds ${thresholds}`, () => {
      const [low, high] = thresholds.split(",").map(Number) as [number, number];
      const bits = Buffer.from(packed, "base64");
      const expected = Array.from(
        { length: width * height },
        (_, i) => ((bits[i >> 3] as number) >> (7 - (i & 7))) & 1,
      );
      const edges = canny({ rgb, width, height }, low, high).rgb;
      const actual = Array.from({ length: width * height }, (_, i) => (edges[i * 3] === 255 ? 1 : 0));
      expect(actual).toEqual(expected);
    });
  }
});
