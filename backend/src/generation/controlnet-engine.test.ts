import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ResolvedControlNetUnit, ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleControlNetUnit, exampleResolvedRequest } from "@sdgate/shared/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  testAnnotatorBytes,
  tinyControlModelDir,
  writeTestControlNet,
} from "../engine/control/test-control-models.ts";
import { readImageMetadata } from "../engine/index.ts";
import { testPattern } from "../engine/test-models.ts";
import { silentLogger } from "../logger.ts";
import { ControlResources } from "./control-resources.ts";
import type { JobOutcome } from "./engine.ts";
import { InProcessEngine } from "./in-process-engine.ts";
import { decodeInputImages } from "./input-image.ts";
import { loadModels } from "./load-models.ts";

let engine: InProcessEngine;
let controlImage: string;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "sdgate-controlnet-engine-"));
  await writeTestControlNet(join(root, "controlnet"), "edges", "named", 4);
  await mkdir(join(root, "annotators/depth"), { recursive: true });
  await writeFile(join(root, "annotators/depth/model.onnx"), testAnnotatorBytes(1));
  const models = await loadModels({ tiny: await tinyControlModelDir() }, ["cpu"], silentLogger);
  const controls = new ControlResources(
    { controlNets: { edges: join(root, "controlnet/edges") }, annotatorDir: join(root, "annotators") },
    ["cpu"],
    silentLogger,
  );
  engine = new InProcessEngine(models, 4, silentLogger, { controls });
  const pattern = testPattern(48, 32);
  controlImage = (
    await sharp(pattern.rgb, { raw: { width: 48, height: 32, channels: 3 } })
      .png()
      .toBuffer()
  ).toString("base64");
});
afterAll(async () => {
  await engine?.close();
});

function unit(overrides: Partial<ResolvedControlNetUnit> = {}): ResolvedControlNetUnit {
  return exampleControlNetUnit({
    model: "edges",
    digest: "a".repeat(64),
    image: controlImage,
    preprocessor: "canny",
    threshold_low: 100,
    threshold_high: 200,
    ...overrides,
  });
}

async function run(request: ResolvedGenerationRequest): Promise<JobOutcome> {
  let outcome: JobOutcome | undefined;
  const job = { id: "job", request, previewEverySteps: 0, inputs: await decodeInputImages(request) };
  await engine.run([job], { onProgress() {}, onDone: (_, o) => (outcome = o) });
  if (outcome === undefined) throw new Error("no outcome");
  return outcome;
}

const base = exampleResolvedRequest({ width: 32, height: 32, steps: 3, seed: 4 });

describe("ControlNet through the backend's engine", () => {
  it("returns each unit's map on request and writes the units into the image's parameters", async () => {
    const plain = await run(base);
    const outcome = await run({
      ...base,
      controlnet: [
        unit(),
        unit({
          preprocessor: "depth",
          threshold_low: undefined,
          threshold_high: undefined,
          resize_mode: "resize_and_fill",
        }),
      ],
      return_control_maps: true,
    });
    if (!outcome.ok || !plain.ok) throw new Error(JSON.stringify(outcome));
    expect(outcome.response.images[0]?.b64).not.toBe(plain.response.images[0]?.b64);
    const maps = outcome.response.control_maps ?? [];
    expect(maps.map((map) => map.unit)).toEqual([0, 1]);
    const canny = await sharp(Buffer.from(maps[0]?.b64 ?? "", "base64"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([canny.info.width, canny.info.height]).toEqual([32, 32]);
    // edges only: every value is 0 or 255
    expect(new Set(canny.data)).toEqual(new Set([0, 255]));
    const depth = await sharp(Buffer.from(maps[1]?.b64 ?? "", "base64"))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([depth.info.width, depth.info.height]).toEqual([32, 32]);
    // resize_and_fill: a 48×32 image fits as 32×21, the rows above and below filled with one colour
    expect(depth.data.subarray(0, 32 * 3).every((v) => v === depth.data[0])).toBe(true);
    const metadata = await readImageMetadata(Buffer.from(outcome.response.images[0]?.b64 ?? "", "base64"));
    expect(metadata.parameters).toContain('ControlNet 0: "Module: canny, Model: edges [aaaaaaaa]');
    expect(metadata.parameters).toContain(
      'ControlNet 1: "Module: depth, Model: edges [aaaaaaaa], Weight: 1.0, Resize Mode: Resize and Fill',
    );
  });

  it("leaves the maps out unless asked", async () => {
    const outcome = await run({ ...base, controlnet: [unit()] });
    expect(outcome.ok && outcome.response.control_maps).toBeUndefined();
  });
});
