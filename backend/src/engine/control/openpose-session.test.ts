import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createSession } from "../models/onnx-session.ts";
import { testPattern } from "../test-models.ts";
import { AnnotatorSession } from "./annotator-session.ts";
import { preprocess } from "./preprocess.ts";
import { moved, poseFields, STANDING, testOpenPoseBytes } from "./test-openpose.ts";

/** 184 pixels high: body.py's scale (0.5 × 368 / height) is 1, so the model sees the image as is. */
const SIZE = 184;
const GRID = SIZE / 8;

describe("the openpose preprocessor with an OpenPose body model (38 PAFs, 19 heatmaps)", () => {
  it("runs the model, upsamples its fields ×8, decodes and draws the skeleton at the image's size", async () => {
    // the skeleton at the model's 1/8 grid; the small offset keeps bicubic peaks off half-pixels
    const person = moved(STANDING, 0.56, 0.31, 0.25);
    const dir = await mkdtemp(join(tmpdir(), "sdgate-openpose-"));
    await writeFile(join(dir, "model.onnx"), testOpenPoseBytes(poseFields([person], GRID, GRID, 0.6, 0.6)));
    const annotator = new AnnotatorSession(
      await createSession(dir, "model.onnx", ["cpu"], { info() {}, warn() {} }),
    );
    const map = await preprocess(testPattern(SIZE, SIZE), { preprocessor: "openpose", annotator });
    expect([map.width, map.height]).toEqual([SIZE, SIZE]);
    // a grid cell's centre is pixel 8g + 3.5 after the ×8 upsampling
    const pixel = ([gx, gy]: readonly [number, number]) => {
      const at = (Math.round(8 * gy + 3.5) * SIZE + Math.round(8 * gx + 3.5)) * 3;
      return [...map.rgb.subarray(at, at + 3)];
    };
    expect(pixel(person[0] as readonly [number, number])).toEqual([255, 0, 0]); // nose
    expect(pixel(person[10] as readonly [number, number])).toEqual([0, 170, 255]); // right ankle
    const [knee, ankle] = [person[9], person[10]] as [readonly [number, number], readonly [number, number]];
    expect(pixel([(knee[0] + ankle[0]) / 2, (knee[1] + ankle[1]) / 2])).toEqual([0, 153, 102]);
    expect(pixel([GRID - 2, GRID - 2])).toEqual([0, 0, 0]);
    await annotator.release();
  });
});
