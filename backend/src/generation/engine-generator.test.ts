import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSdgateError, type ResolvedGenerationRequest } from "@sdgate/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readImageMetadata } from "../engine/index.ts";
import { silentLogger } from "../logger.ts";
import { ensureTinyModel } from "../model-builder/index.ts";
import { EngineImageGenerator } from "./engine-generator.ts";

const request: ResolvedGenerationRequest = {
  model: "tiny",
  prompt: "a paper boat on a pond",
  negative_prompt: "",
  n: 2,
  width: 64,
  height: 64,
  steps: 3,
  guidance_scale: 7.5,
  scheduler: "euler",
  seed: 11,
  rng: "torch_cpu",
  image: null,
  strength: null,
  mask: null,
  output_format: "png",
  output_quality: null,
};

let cacheDir: string;
let generator: EngineImageGenerator;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "sdgate-engine-generator-"));
  generator = await EngineImageGenerator.load({
    models: { tiny: await ensureTinyModel(cacheDir) },
    executionProviders: ["cpu"],
    logger: silentLogger,
  });
});

afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe("EngineImageGenerator", () => {
  it("returns n encoded images with consecutive seeds and stage timings", async () => {
    const result = await generator.generate(request, new AbortController().signal);
    expect(result.images.map((image) => image.seed)).toEqual([11, 12]);
    for (const image of result.images) {
      expect(Buffer.from(image.b64, "base64").subarray(1, 4).toString()).toBe("PNG");
    }
    expect(result.timings_ms.total).toBeGreaterThan(0);
    expect(result.timings_ms.image_encode).toBeGreaterThanOrEqual(0);
  });

  it("says which provider and model ran it, and writes the recipe into the PNG", async () => {
    const result = await generator.generate({ ...request, n: 1 }, new AbortController().signal);
    expect(result.execution_provider).toBe("cpu");
    expect(result.model_hash).toMatch(/^[0-9a-f]{10}$/);
    const metadata = await readImageMetadata(Buffer.from(result.images[0]?.b64 ?? "", "base64"));
    expect(metadata.parameters).toMatch(
      /^a paper boat on a pond\nSteps: 3, Sampler: Euler, CFG scale: 7.5, Seed: 11, Size: 64x64/,
    );
  });

  it("runs img2img from a base64 image of another size, resized to the request", async () => {
    const source = await generator.generate(
      { ...request, n: 1, width: 96, height: 96 },
      new AbortController().signal,
    );
    const image = `data:image/png;base64,${source.images[0]?.b64}`;
    const result = await generator.generate(
      { ...request, n: 1, image, strength: 0.5 },
      new AbortController().signal,
    );
    expect(result.images[0]).toMatchObject({ width: 64, height: 64 });
  });

  it("answers 400 naming the field for an unreadable input image", async () => {
    const error = await generator
      .generate(
        { ...request, image: Buffer.from("not an image").toString("base64"), strength: 0.5 },
        new AbortController().signal,
      )
      .catch((e) => e);
    expect(isSdgateError(error) && [error.status, error.param]).toEqual([400, "image"]);
  });

  it("encodes the requested output format", async () => {
    const result = await generator.generate(
      { ...request, n: 1, output_format: "jpeg" },
      new AbortController().signal,
    );
    expect([...Buffer.from(result.images[0]?.b64 ?? "", "base64").subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });

  it("reports an argument the engine refuses as a 400 naming the API field", async () => {
    const error = await generator
      .generate({ ...request, guidance_scale: Number.POSITIVE_INFINITY }, new AbortController().signal)
      .catch((e) => e);
    expect(isSdgateError(error) && [error.status, error.param]).toEqual([400, "guidance_scale"]);
    expect((error as Error).message).toBe(
      "Invalid 'guidance_scale': 'guidance_scale' has to be a finite number, but is Infinity.",
    );
  });

  it("stops a cancelled request", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(generator.generate(request, controller.signal)).rejects.toThrow();
  });
});
