import { GraphBuilder } from "../../model-builder/graph.ts";
import type { Planes } from "./float-planes.ts";
import { KEYPOINTS, LIMB_SEQUENCE, MAP_INDEX } from "./openpose-decode.ts";

/**
 * Test support: OpenPose body-model outputs for a known skeleton. Each keypoint a Gaussian blob
 * (peak 1) in its heatmap; each of the 19 scored limbs a band of unit vectors from its first to its
 * second keypoint in its two PAF channels (what a trained model approximates).
 */
export type Skeleton = readonly (readonly [number, number])[];

/** A standing person, 18 keypoints in OpenPose's order, about 24 × 76 pixels from its top-left. */
// biome-ignore format: one keypoint per pair
export const STANDING: Skeleton = [
  [20, 10], [20, 22], [12, 22], [10, 34], [9, 46], [28, 22], [30, 34], [31, 46], [15, 50],
  [15, 66], [15, 82], [25, 50], [25, 66], [25, 82], [17, 8], [23, 8], [14, 10], [26, 10],
];

export function moved(skeleton: Skeleton, dx: number, dy: number, scale = 1): Skeleton {
  return skeleton.map(([x, y]) => [x * scale + dx, y * scale + dy] as const);
}

export interface PoseFields {
  heatmaps: Planes;
  pafs: Planes;
}

export function poseFields(
  people: readonly Skeleton[],
  width: number,
  height: number,
  sigma = 2,
  band = 2,
): PoseFields {
  const plane = width * height;
  const heat = new Float32Array(19 * plane);
  const paf = new Float32Array(38 * plane);
  for (const person of people) {
    for (let part = 0; part < KEYPOINTS; part++) {
      const [px, py] = person[part] as readonly [number, number];
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const v = Math.exp(-((x - px) ** 2 + (y - py) ** 2) / (2 * sigma * sigma));
          const at = part * plane + y * width + x;
          heat[at] = Math.max(heat[at] as number, v);
        }
    }
    LIMB_SEQUENCE.forEach(([from, to], k) => {
      const [ax, ay] = person[from - 1] as readonly [number, number];
      const [bx, by] = person[to - 1] as readonly [number, number];
      const length = Math.hypot(bx - ax, by - ay);
      const [ux, uy] = [(bx - ax) / length, (by - ay) / length];
      const [cx, cy] = MAP_INDEX[k] as readonly [number, number];
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const along = (x - ax) * ux + (y - ay) * uy;
          const across = Math.abs(-(x - ax) * uy + (y - ay) * ux);
          if (along < -band || along > length + band || across > band) continue;
          paf[(cx - 19) * plane + y * width + x] = ux;
          paf[(cy - 19) * plane + y * width + x] = uy;
        }
    });
  }
  return {
    heatmaps: { data: heat, channels: 19, width, height },
    pafs: { data: paf, channels: 38, width, height },
  };
}

/**
 * A stand-in OpenPose body model: fixed fields (`fields`, at the model's output grid, 1/8 of its
 * `8·width × 8·height` input) added to zero times the image's pooled mean, so the output follows the
 * input's size while the fields stay put. Outputs named as lllyasviel's export names them.
 */
export function testOpenPoseBytes(fields: PoseFields): Uint8Array {
  const { width, height } = fields.heatmaps;
  const g = new GraphBuilder("test_openpose");
  const image = g.input("image", "float", [1, 3, height * 8, width * 8]);
  const pooled = g.node("AveragePool", [image], { kernel_shape: [8, 8], strides: [8, 8] });
  const zero = g.node("Mul", [g.node("ReduceMean", [pooled], { axes: [1], keepdims: 1 }), g.floats([0], [])]);
  const out = (planes: Planes, name: string) => {
    const constant = g.initializer(`${name}_field`, planes.data, [1, planes.channels, height, width]);
    g.output(g.node("Add", [zero, constant], {}, name), "float", [1, planes.channels, height, width]);
  };
  out(fields.pafs, "Mconv7_stage6_L1");
  out(fields.heatmaps, "Mconv7_stage6_L2");
  return g.encode();
}
