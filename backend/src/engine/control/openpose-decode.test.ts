import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type Body, decodeBodies } from "./openpose-decode.ts";
import { drawBodies } from "./openpose-draw.ts";
import { moved, poseFields, type Skeleton, STANDING } from "./test-openpose.ts";

const [W, H] = [96, 96];
/** body.py's people for `noisyThreePeople()`'s fields: its decoding run in Python (numpy, scipy). */
const reference = JSON.parse(
  readFileSync(new URL("./openpose-body-py.fixture.json", import.meta.url), "utf8"),
) as {
  bodies: ([number, number] | null)[][];
};

function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Three people, one shrunk into the first's space, in heavy noise: over 1600 peaks to sort out. */
function noisyThreePeople() {
  const people = [moved(STANDING, 2, 4), moved(STANDING, 18, 10, 0.7), moved(STANDING, 70, 2, 1.1)];
  const fields = poseFields(people, 120, 100, 2.5, 2);
  const noise = lcg(3);
  const { heatmaps, pafs } = fields;
  for (let i = 0; i < heatmaps.data.length; i++)
    heatmaps.data[i] = (heatmaps.data[i] as number) * (0.6 + 0.4 * noise()) + 0.25 * noise();
  for (let i = 0; i < pafs.data.length; i++)
    pafs.data[i] = (pafs.data[i] as number) * (0.5 + 0.5 * noise()) + 0.9 * (noise() - 0.5);
  return fields;
}

function pixel(map: { rgb: Uint8Array; width: number }, x: number, y: number): number[] {
  const at = (y * map.width + x) * 3;
  return [...map.rgb.subarray(at, at + 3)];
}

function positions(body: Body): (readonly [number, number] | null)[] {
  return body.map((point) => (point === null ? null : ([point.x, point.y] as const)));
}

describe("OpenPose body decoding", () => {
  it("finds every keypoint of a skeleton where its heatmap blob is, one person", () => {
    const person = moved(STANDING, 4, 2);
    const { heatmaps, pafs } = poseFields([person], W, H);
    const bodies = decodeBodies(heatmaps, pafs);
    expect(bodies).toHaveLength(1);
    expect(positions(bodies[0] as Body)).toEqual(person);
  });

  it("draws the extension's limb colours (0.6 ×) along limbs and full colours on joints, on black", () => {
    const person = moved(STANDING, 4, 2);
    const { heatmaps, pafs } = poseFields([person], W, H);
    const map = drawBodies(decodeBodies(heatmaps, pafs), W, H);
    // right knee (19, 68) → right ankle (19, 84), limb 8, colour [0, 255, 170]
    expect(pixel(map, 19, 76)).toEqual([0, 153, 102]);
    // neck (24, 24) → right hip (19, 52), limb 6, colour [0, 255, 0]
    expect(pixel(map, 21, 38)).toEqual([0, 153, 0]);
    // right ankle, keypoint 10, colour [0, 170, 255]; nose (24, 12), keypoint 0, red, below the eyes' circles
    expect(pixel(map, 19, 84)).toEqual([0, 170, 255]);
    expect(pixel(map, 24, 14)).toEqual([255, 0, 0]);
    expect(pixel(map, 80, 90)).toEqual([0, 0, 0]);
  });

  it("separates two people side by side", () => {
    const people: Skeleton[] = [moved(STANDING, 2, 4), moved(STANDING, 50, 6)];
    const { heatmaps, pafs } = poseFields(people, W, H);
    const bodies = decodeBodies(heatmaps, pafs).map(positions);
    bodies.sort((a, b) => (a[1]?.[0] ?? 0) - (b[1]?.[0] ?? 0));
    expect(bodies).toEqual(people);
  });

  it("keeps a person only with at least four parts", () => {
    const { heatmaps, pafs } = poseFields([moved(STANDING, 4, 2)], W, H);
    // keep nose, neck and right shoulder: 3 parts, deleted as body.py deletes them
    heatmaps.data.fill(0, 3 * W * H, 18 * W * H);
    expect(decodeBodies(heatmaps, pafs)).toEqual([]);
  });

  it("finds nobody in below-threshold noise: a black map", () => {
    const { heatmaps, pafs } = poseFields([], W, H);
    const noise = lcg(7);
    for (let i = 0; i < heatmaps.data.length; i++) heatmaps.data[i] = 0.09 * noise();
    for (let i = 0; i < pafs.data.length; i++) pafs.data[i] = noise() - 0.5;
    const bodies = decodeBodies(heatmaps, pafs);
    expect(bodies).toEqual([]);
    expect(drawBodies(bodies, W, H).rgb.every((v) => v === 0)).toBe(true);
  });

  it("gives the people body.py gives on the same noisy fields (its output, run with numpy and scipy, as a fixture)", () => {
    const { heatmaps, pafs } = noisyThreePeople();
    expect(decodeBodies(heatmaps, pafs).map(positions)).toEqual(reference.bodies);
  });
});
