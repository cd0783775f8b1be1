import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backendGenerateResponseSchema } from "@sdgate/shared";
import { exampleControlNetUnit } from "@sdgate/shared/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyControlModelDir, writeTestControlNet } from "../engine/control/test-control-models.ts";
import { type ControlCatalog, scanControlCatalog } from "../generation/controlnet-catalog.ts";
import { appOnEngine, GENERATE, request, signed } from "../server/test-app.ts";
import { WorkerEngine } from "./worker-engine.ts";

let engine: WorkerEngine;
let app: ReturnType<typeof appOnEngine>;
let catalog: ControlCatalog;

beforeAll(async () => {
  const root = await mkdtemp(join(tmpdir(), "sdgate-controlnet-worker-"));
  await writeTestControlNet(join(root, "controlnet"), "edges", "positional", 4);
  catalog = await scanControlCatalog(join(root, "controlnet"), join(root, "annotators"));
  engine = await WorkerEngine.start({
    models: { tiny: await tinyControlModelDir() },
    controls: {
      controlNets: { edges: join(root, "controlnet/edges") },
      annotatorDir: join(root, "annotators"),
    },
    executionProviders: ["cpu"],
    maxBatch: 4,
  });
  app = appOnEngine(engine, { previewEverySteps: 0, controls: () => catalog });
});
afterAll(async () => {
  await engine?.close();
});

describe("ControlNet through a backend with its engine in a worker thread", () => {
  it("runs a canny unit on a ControlNet the backend holds and returns its map", async () => {
    const image = (
      await sharp({ create: { width: 40, height: 24, channels: 3, background: "#202020" } })
        .composite([
          {
            input: { create: { width: 16, height: 12, channels: 3, background: "#f0f0f0" } },
            left: 12,
            top: 6,
          },
        ])
        .png()
        .toBuffer()
    ).toString("base64");
    const unit = exampleControlNetUnit({
      model: "edges",
      digest: catalog.controlNets.get("edges")?.digest as string,
      image,
      preprocessor: "canny",
      threshold_low: 100,
      threshold_high: 200,
    });
    const body = JSON.stringify({
      ...request,
      width: 64,
      height: 64,
      steps: 2,
      controlnet: [unit],
      return_control_maps: true,
    });
    const response = await app.request(GENERATE, await signed(GENERATE, body));
    if (response.status !== 200) throw new Error(await response.text());
    const result = backendGenerateResponseSchema.parse(await response.json());
    expect(result.control_maps?.map((map) => map.unit)).toEqual([0]);
    const map = await sharp(Buffer.from(result.control_maps?.[0]?.b64 ?? "", "base64"))
      .raw()
      .toBuffer();
    expect(map.some((v) => v === 255)).toBe(true);
  });
});
