import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSession } from "../models/onnx-session.ts";
import { testPattern } from "../test-models.ts";
import { AnnotatorSession } from "./annotator-session.ts";
import { testAnnotatorBytes } from "./test-control-models.ts";

async function annotator(channels: number): Promise<AnnotatorSession> {
  const dir = await mkdtemp(join(tmpdir(), "sdgate-annotator-"));
  await writeFile(join(dir, "model.onnx"), testAnnotatorBytes(channels));
  return new AnnotatorSession(await createSession(dir, "model.onnx", ["cpu"], { info() {}, warn() {} }));
}

describe("annotator models", () => {
  it("stretches a one-channel map (depth) to 0–255, grey", async () => {
    const depth = await annotator(1);
    const map = await depth.map(testPattern(16, 8));
    expect([map.width, map.height]).toEqual([16, 8]);
    expect(Math.min(...map.rgb)).toBe(0);
    expect(Math.max(...map.rgb)).toBe(255);
    for (let i = 0; i < map.rgb.length; i += 3) expect(map.rgb[i]).toBe(map.rgb[i + 2]);
    await depth.release();
  });

  it("refuses raw heatmaps (OpenPose's keypoints), saying what it needs", async () => {
    const heatmaps = await annotator(5);
    await expect(heatmaps.map(testPattern(16, 8))).rejects.toThrow(/not raw heatmaps/);
    await heatmaps.release();
  });
});
