/**
 * Float image planes (`channels` planes of `width × height`, channel-major) resized the way OpenCV's
 * `cv2.resize(..., INTER_CUBIC)` does: half-pixel centres, Keys' cubic with a = -0.75, edge pixels
 * repeated. OpenPose's decoding resizes its input and its heatmaps with this.
 */
export interface Planes {
  data: Float32Array;
  channels: number;
  width: number;
  height: number;
}

export function resizePlanesCubic(src: Planes, width: number, height: number): Planes {
  const xs = cubicTaps(src.width, width);
  const ys = cubicTaps(src.height, height);
  const rows = new Float32Array(src.channels * src.height * width);
  for (let c = 0; c < src.channels; c++)
    for (let y = 0; y < src.height; y++) {
      const from = (c * src.height + y) * src.width;
      const to = (c * src.height + y) * width;
      for (let x = 0; x < width; x++) rows[to + x] = applyTaps(src.data, from, 1, xs, x);
    }
  const data = new Float32Array(src.channels * height * width);
  for (let c = 0; c < src.channels; c++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[(c * height + y) * width + x] = applyTaps(rows, c * src.height * width + x, width, ys, y);
  return { data, channels: src.channels, width, height };
}

/** The top-left `width × height` of every plane (OpenPose drops its stride padding this way). */
export function cropPlanes(src: Planes, width: number, height: number): Planes {
  const data = new Float32Array(src.channels * height * width);
  for (let c = 0; c < src.channels; c++)
    for (let y = 0; y < height; y++) {
      const from = (c * src.height + y) * src.width;
      data.set(src.data.subarray(from, from + width), (c * height + y) * width);
    }
  return { data, channels: src.channels, width, height };
}

interface Taps {
  index: Int32Array;
  weight: Float32Array;
}

function cubicTaps(from: number, to: number): Taps {
  const scale = from / to;
  const index = new Int32Array(to * 4);
  const weight = new Float32Array(to * 4);
  for (let d = 0; d < to; d++) {
    const s = (d + 0.5) * scale - 0.5;
    const base = Math.floor(s);
    const t = s - base;
    for (let k = 0; k < 4; k++) {
      index[d * 4 + k] = Math.min(from - 1, Math.max(0, base - 1 + k));
      weight[d * 4 + k] = keys(Math.abs(t - (k - 1)));
    }
  }
  return { index, weight };
}

function keys(x: number): number {
  const a = -0.75;
  if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
  return 0;
}

function applyTaps(data: Float32Array, start: number, step: number, taps: Taps, d: number): number {
  let sum = 0;
  for (let k = 0; k < 4; k++)
    sum +=
      (taps.weight[d * 4 + k] as number) * (data[start + (taps.index[d * 4 + k] as number) * step] as number);
  return sum;
}
