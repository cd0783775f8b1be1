import type { RgbImage } from "../types.ts";
import { type Body, LIMB_SEQUENCE } from "./openpose-decode.ts";

/** `draw_bodypose`'s colours (RGB), one per keypoint; limb k takes colour k. */
// biome-ignore format: the reference's table, kept in its rows
const COLOURS: readonly (readonly [number, number, number])[] = [
  [255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0],
  [0, 255, 85], [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255],
  [170, 0, 255], [255, 0, 255], [255, 0, 170], [255, 0, 85],
];
/** `draw_bodypose` draws the first 17 limbs (not the two ear–shoulder links the decoder scores). */
const DRAWN_LIMBS = 17;
const STICK_WIDTH = 4;
const JOINT_RADIUS = 4;

/**
 * The pose map sd-webui-controlnet's `annotator/openpose/util.py` `draw_bodypose` draws: on black,
 * each limb an ellipse (half-length × stick width 4, along the limb) filled with 0.6 × its colour,
 * then each keypoint a filled circle of radius 4 in full colour. cv2's polygonised ellipse and circle
 * are rasterised here exactly from their equations, so edges can differ by a pixel.
 */
export function drawBodies(bodies: readonly Body[], width: number, height: number): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  const paint = (x: number, y: number, colour: readonly number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    rgb.set(colour, (y * width + x) * 3);
  };
  // as the extension's draw_pose: each person's limbs, then that person's joints
  for (const body of bodies) {
    LIMB_SEQUENCE.slice(0, DRAWN_LIMBS).forEach(([from, to], k) => {
      const a = body[from - 1];
      const b = body[to - 1];
      if (a == null || b == null) return;
      const colour = (COLOURS[k] as readonly number[]).map((c) => Math.trunc(c * 0.6));
      const cx = Math.trunc((a.x + b.x) / 2);
      const cy = Math.trunc((a.y + b.y) / 2);
      const half = Math.trunc(Math.hypot(a.x - b.x, a.y - b.y) / 2);
      // cv2.ellipse2Poly takes the angle in whole degrees
      const angle = (Math.trunc((Math.atan2(a.y - b.y, a.x - b.x) * 180) / Math.PI) * Math.PI) / 180;
      const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
      const reach = half + STICK_WIDTH;
      for (let y = cy - reach; y <= cy + reach; y++)
        for (let x = cx - reach; x <= cx + reach; x++) {
          const u = (x - cx) * cos + (y - cy) * sin;
          const v = -(x - cx) * sin + (y - cy) * cos;
          if ((u / Math.max(half, 0.5)) ** 2 + (v / STICK_WIDTH) ** 2 <= 1) paint(x, y, colour);
        }
    });
    body.forEach((point, k) => {
      if (point == null) return;
      const [cx, cy] = [Math.trunc(point.x), Math.trunc(point.y)];
      for (let y = cy - JOINT_RADIUS; y <= cy + JOINT_RADIUS; y++)
        for (let x = cx - JOINT_RADIUS; x <= cx + JOINT_RADIUS; x++)
          if ((x - cx) ** 2 + (y - cy) ** 2 <= JOINT_RADIUS ** 2)
            paint(x, y, COLOURS[k] as readonly number[]);
    });
  }
  return { rgb, width, height };
}
