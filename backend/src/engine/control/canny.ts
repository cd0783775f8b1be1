import type { RgbImage } from "../types.ts";

/**
 * `cv2.Canny(image, low, high)` as sd-webui-controlnet's canny preprocessor calls it (scripts/preprocessor/
 * model_free_preprocessors.py, annotator/canny:
 * `cv2.Canny(img, low_threshold, high_threshold)` on the RGB image, aperture 3, L1 gradient): no blur
 * (OpenCV's Canny has none, and the ControlNet was trained on its output); per pixel the 3×3 Sobel
 * gradient of the channel with the largest |dx| + |dy| (OpenCV's rule for colour images), borders
 * replicated; non-maximum suppression along the gradient's direction, rounded to 0°, 45°, 90° or 135°;
 * pixels above `high` are edges, those above `low` are edges when 8-connected to one. White edges on
 * black, as an RGB map.
 *
 * @example
 * const edges = canny(photo, 100, 200);
 */
export function canny(image: RgbImage, low: number, high: number): RgbImage {
  const { width, height } = image;
  const [lowT, highT] =
    low > high ? [Math.floor(high), Math.floor(low)] : [Math.floor(low), Math.floor(high)];
  const { dx, dy, magnitude } = sobel(image);
  // 0: not an edge, 1: weak candidate, 2: edge
  const state = new Uint8Array(width * height);
  const stack: number[] = [];
  const mag = (x: number, y: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : (magnitude[y * width + x] as number);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const m = magnitude[i] as number;
      if (m <= lowT || !isLocalMaximum(m, dx[i] as number, dy[i] as number, x, y, mag)) continue;
      if (m > highT) {
        state[i] = 2;
        stack.push(i);
      } else state[i] = 1;
    }
  }
  // hysteresis: grow edges into the weak candidates they touch
  while (stack.length > 0) {
    const i = stack.pop() as number;
    const x = i % width;
    const y = (i - x) / width;
    for (let ny = y - 1; ny <= y + 1; ny++)
      for (let nx = x - 1; nx <= x + 1; nx++) {
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const n = ny * width + nx;
        if (state[n] !== 1) continue;
        state[n] = 2;
        stack.push(n);
      }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < state.length; i++) if (state[i] === 2) rgb.fill(255, i * 3, i * 3 + 3);
  return { rgb, width, height };
}

/** tan(22.5°): OpenCV's `TG22` split between horizontal, diagonal and vertical gradients. */
const TAN_22_5 = Math.SQRT2 - 1;

/**
 * OpenCV's suppression (modules/imgproc/src/canny.cpp): keep `m` when it beats the neighbour behind
 * it and is at least the one ahead, along the rounded gradient direction.
 */
function isLocalMaximum(
  m: number,
  gx: number,
  gy: number,
  x: number,
  y: number,
  mag: (x: number, y: number) => number,
): boolean {
  const ax = Math.abs(gx);
  const ay = Math.abs(gy);
  if (ay < ax * TAN_22_5) return m > mag(x - 1, y) && m >= mag(x + 1, y);
  if (ay > ax * (1 / TAN_22_5)) return m > mag(x, y - 1) && m >= mag(x, y + 1);
  const s = gx * gy < 0 ? -1 : 1;
  return m > mag(x - s, y - 1) && m > mag(x + s, y + 1);
}

/** 3×3 Sobel per channel (replicated border), keeping the channel with the largest L1 magnitude. */
function sobel(image: RgbImage): { dx: Int32Array; dy: Int32Array; magnitude: Int32Array } {
  const { width, height, rgb } = image;
  const dx = new Int32Array(width * height);
  const dy = new Int32Array(width * height);
  const magnitude = new Int32Array(width * height);
  const at = (x: number, y: number, c: number) => {
    const cx = Math.min(Math.max(x, 0), width - 1);
    const cy = Math.min(Math.max(y, 0), height - 1);
    return rgb[(cy * width + cx) * 3 + c] as number;
  };
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      for (let c = 0; c < 3; c++) {
        const gx =
          at(x + 1, y - 1, c) +
          2 * at(x + 1, y, c) +
          at(x + 1, y + 1, c) -
          (at(x - 1, y - 1, c) + 2 * at(x - 1, y, c) + at(x - 1, y + 1, c));
        const gy =
          at(x - 1, y + 1, c) +
          2 * at(x, y + 1, c) +
          at(x + 1, y + 1, c) -
          (at(x - 1, y - 1, c) + 2 * at(x, y - 1, c) + at(x + 1, y - 1, c));
        const m = Math.abs(gx) + Math.abs(gy);
        if (c === 0 || m > (magnitude[i] as number)) {
          dx[i] = gx;
          dy[i] = gy;
          magnitude[i] = m;
        }
      }
    }
  return { dx, dy, magnitude };
}
