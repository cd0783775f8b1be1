import type { Planes } from "./float-planes.ts";

/**
 * OpenPose body decoding, after the reference sdgate follows: sd-webui-controlnet's
 * `annotator/openpose/body.py` (`Body.__call__`, lllyasviel's port of the CMU model, the code
 * controlnet_aux's `open_pose/body.py` also carries). Input: the 19 heatmaps (18 keypoints +
 * background) and 38 part-affinity fields, already at the image's size. Output: one entry per
 * person, 18 keypoints in OpenPose's COCO order (nose, neck, right shoulder…), null where missing.
 */
export interface Keypoint {
  x: number;
  y: number;
  score: number;
}
export type Body = (Keypoint | null)[];

export const KEYPOINTS = 18;
/** Peaks below this (on the blurred heatmap) are not keypoints: body.py's `thre1`. */
const PEAK_THRESHOLD = 0.1;
/** A PAF sample must exceed this to count along a limb: `thre2`. */
const PAF_THRESHOLD = 0.05;
/** Samples along a candidate limb: `mid_num`. */
const LIMB_SAMPLES = 10;

/** body.py's `limbSeq` (1-based keypoints) and `mapIdx` (PAF channel pairs, offset by 19). */
// biome-ignore format: the reference's table, kept in its rows
export const LIMB_SEQUENCE: readonly (readonly [number, number])[] = [
  [2, 3], [2, 6], [3, 4], [4, 5], [6, 7], [7, 8], [2, 9], [9, 10], [10, 11], [2, 12], [12, 13],
  [13, 14], [2, 1], [1, 15], [15, 17], [1, 16], [16, 18], [3, 17], [6, 18],
];
// biome-ignore format: the reference's table, kept in its rows
export const MAP_INDEX: readonly (readonly [number, number])[] = [
  [31, 32], [39, 40], [33, 34], [35, 36], [41, 42], [43, 44], [19, 20], [21, 22], [23, 24], [25, 26],
  [27, 28], [29, 30], [47, 48], [49, 50], [53, 54], [51, 52], [55, 56], [37, 38], [45, 46],
];

interface Peak extends Keypoint {
  id: number;
}
interface Connection {
  a: number;
  b: number;
  score: number;
  i: number;
  j: number;
}

export function decodeBodies(heatmaps: Planes, pafs: Planes): Body[] {
  const peaks = findPeaks(heatmaps);
  const candidates = peaks.flat();
  const connections = LIMB_SEQUENCE.map(([a, b], k) =>
    connectLimb(
      peaks[a - 1] as Peak[],
      peaks[b - 1] as Peak[],
      pafs,
      MAP_INDEX[k] as readonly [number, number],
      heatmaps.height,
    ),
  );
  const subsets = assemble(connections, candidates);
  return subsets
    .filter((row) => (row[19] as number) >= 4 && (row[18] as number) / (row[19] as number) >= 0.4)
    .map((row) =>
      row.slice(0, KEYPOINTS).map((id) => {
        const peak = id < 0 ? undefined : candidates[id];
        return peak === undefined ? null : { x: peak.x, y: peak.y, score: peak.score };
      }),
    );
}

/** Local maxima (4-neighbourhood, zero outside) of each blurred heatmap above the threshold, row-major. */
function findPeaks(heatmaps: Planes): Peak[][] {
  const { width, height } = heatmaps;
  const plane = width * height;
  const all: Peak[][] = [];
  let id = 0;
  for (let part = 0; part < KEYPOINTS; part++) {
    const original = heatmaps.data.subarray(part * plane, (part + 1) * plane);
    const blurred = gaussianFilter(original, width, height, 3);
    const at = (x: number, y: number) =>
      x < 0 || y < 0 || x >= width || y >= height ? 0 : (blurred[y * width + x] as number);
    const found: Peak[] = [];
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const v = at(x, y);
        if (
          v > PEAK_THRESHOLD &&
          v >= at(x - 1, y) &&
          v >= at(x + 1, y) &&
          v >= at(x, y - 1) &&
          v >= at(x, y + 1)
        )
          found.push({ x, y, score: original[y * width + x] as number, id: id++ });
      }
    all.push(found);
  }
  return all;
}

/** scipy's `gaussian_filter(sigma)`: separable, truncated at 4σ, edges mirrored (`reflect`). */
export function gaussianFilter(
  src: Float32Array,
  width: number,
  height: number,
  sigma: number,
): Float32Array {
  const radius = Math.floor(4 * sigma + 0.5);
  const kernel = Float32Array.from({ length: 2 * radius + 1 }, (_, i) =>
    Math.exp(-0.5 * ((i - radius) / sigma) ** 2),
  );
  const total = kernel.reduce((s, v) => s + v, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] as number) / total;
  const pass = (input: Float32Array, along: number, across: number, stride: number, step: number) => {
    const out = new Float32Array(input.length);
    for (let r = 0; r < across; r++)
      for (let i = 0; i < along; i++) {
        let sum = 0;
        for (let k = -radius; k <= radius; k++)
          sum +=
            (kernel[k + radius] as number) * (input[r * stride + reflect(i + k, along) * step] as number);
        out[r * stride + i * step] = sum;
      }
    return out;
  };
  return pass(pass(src, width, height, width, 1), height, width, 1, width);
}

function reflect(i: number, n: number): number {
  const period = 2 * n;
  let m = ((i % period) + period) % period;
  if (m >= n) m = period - 1 - m;
  return m;
}

/** Python's `round` (halves to even), which body.py uses to pick PAF samples. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Candidate limbs between two keypoint types, scored along the PAF, greedily matched one-to-one. */
function connectLimb(
  candA: Peak[],
  candB: Peak[],
  pafs: Planes,
  [mx, my]: readonly [number, number],
  imageHeight: number,
): Connection[] | null {
  if (candA.length === 0 || candB.length === 0) return null;
  const { width } = pafs;
  const plane = pafs.width * pafs.height;
  const fieldX = pafs.data.subarray((mx - 19) * plane, (mx - 18) * plane);
  const fieldY = pafs.data.subarray((my - 19) * plane, (my - 18) * plane);
  const candidates: { i: number; j: number; score: number }[] = [];
  candA.forEach((a, i) => {
    candB.forEach((b, j) => {
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const norm = Math.max(0.001, Math.hypot(dx, dy));
      let sum = 0;
      let above = 0;
      for (let s = 0; s < LIMB_SAMPLES; s++) {
        const t = s / (LIMB_SAMPLES - 1);
        const at = roundHalfEven(a.y + t * dy) * width + roundHalfEven(a.x + t * dx);
        const score = ((fieldX[at] as number) * dx) / norm + ((fieldY[at] as number) * dy) / norm;
        sum += score;
        if (score > PAF_THRESHOLD) above++;
      }
      const withPrior = sum / LIMB_SAMPLES + Math.min((0.5 * imageHeight) / norm - 1, 0);
      if (above > 0.8 * LIMB_SAMPLES && withPrior > 0) candidates.push({ i, j, score: withPrior });
    });
  });
  candidates.sort((p, q) => q.score - p.score);
  const chosen: Connection[] = [];
  for (const { i, j, score } of candidates) {
    if (chosen.some((c) => c.i === i || c.j === j)) continue;
    chosen.push({ a: (candA[i] as Peak).id, b: (candB[j] as Peak).id, score, i, j });
    if (chosen.length >= Math.min(candA.length, candB.length)) break;
  }
  return chosen;
}

/**
 * body.py's subset assembly: rows of 20 (18 candidate ids or -1, total score, part count); a limb
 * joins the person holding either end, merges two disjoint people, or (first 17 limbs) starts one.
 */
function assemble(connections: (Connection[] | null)[], candidates: Peak[]): number[][] {
  let subset: number[][] = [];
  connections.forEach((limbs, k) => {
    if (limbs === null) return;
    const [a, b] = (LIMB_SEQUENCE[k] as readonly [number, number]).map((p) => p - 1) as [number, number];
    for (const limb of limbs) {
      const found = subset
        .flatMap((row, r) => (row[a] === limb.a || row[b] === limb.b ? [r] : []))
        .slice(0, 2);
      const scoreB = (candidates[limb.b] as Peak).score + limb.score;
      if (found.length === 1) {
        const row = subset[found[0] as number] as number[];
        if (row[b] !== limb.b) {
          row[b] = limb.b;
          row[19] = (row[19] as number) + 1;
          row[18] = (row[18] as number) + scoreB;
        }
      } else if (found.length === 2) {
        const first = subset[found[0] as number] as number[];
        const second = subset[found[1] as number] as number[];
        const overlap = first.slice(0, KEYPOINTS).some((id, p) => id >= 0 && (second[p] as number) >= 0);
        if (!overlap) {
          for (let p = 0; p < KEYPOINTS; p++) first[p] = (first[p] as number) + (second[p] as number) + 1;
          first[18] = (first[18] as number) + (second[18] as number) + limb.score;
          first[19] = (first[19] as number) + (second[19] as number);
          subset = subset.filter((_, r) => r !== found[1]);
        } else {
          first[b] = limb.b;
          first[19] = (first[19] as number) + 1;
          first[18] = (first[18] as number) + scoreB;
        }
      } else if (k < 17) {
        const row = new Array<number>(20).fill(-1);
        row[a] = limb.a;
        row[b] = limb.b;
        row[19] = 2;
        row[18] = (candidates[limb.a] as Peak).score + (candidates[limb.b] as Peak).score + limb.score;
        subset.push(row);
      }
    }
  });
  return subset;
}
