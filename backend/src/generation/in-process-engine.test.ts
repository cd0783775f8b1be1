import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ResolvedGenerationRequest, stepCounts } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readImageMetadata } from "../engine/index.ts";
import { silentLogger } from "../logger.ts";
import { ensureTinyModel } from "../model-builder/index.ts";
import type { JobOutcome, JobProgress } from "./engine.ts";
import { InProcessEngine } from "./in-process-engine.ts";
import { decodeInputImages } from "./input-image.ts";
import { loadModels } from "./load-models.ts";

const request: ResolvedGenerationRequest = exampleResolvedRequest({
  prompt: "a paper boat on a pond",
  n: 2,
  steps: 3,
  seed: 11,
});

let cacheDir: string;
let engine: InProcessEngine;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "sdgate-in-process-engine-"));
  const models = await loadModels({ tiny: await ensureTinyModel(cacheDir) }, ["cpu"], silentLogger);
  engine = new InProcessEngine(models, 4, silentLogger);
});

afterAll(async () => {
  await engine.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

/** Runs jobs as one batch and collects what the listener saw. */
async function runBatch(requests: ResolvedGenerationRequest[], previewEverySteps = 0) {
  const outcomes = new Map<string, JobOutcome>();
  const progress = new Map<string, JobProgress[]>();
  const jobs = await Promise.all(
    requests.map(async (r, i) => ({
      id: `job-${i}`,
      request: r,
      previewEverySteps,
      inputs: await decodeInputImages(r),
    })),
  );
  const report = await engine.run(jobs, {
    onProgress: (id, p) => progress.set(id, [...(progress.get(id) ?? []), p]),
    onDone: (id, outcome) => outcomes.set(id, outcome),
  });
  return { outcomes: requests.map((_, i) => outcomes.get(`job-${i}`)), progress, report };
}

async function runOne(r: ResolvedGenerationRequest) {
  const { outcomes } = await runBatch([r]);
  return outcomes[0] as JobOutcome;
}

function okResponse(outcome: JobOutcome | undefined) {
  if (!outcome?.ok) throw new Error(`expected images, got ${JSON.stringify(outcome)}`);
  return outcome.response;
}

describe("the engine on one thread", () => {
  it("returns n encoded images with consecutive seeds and stage timings", async () => {
    const result = okResponse(await runOne(request));
    expect(result.images.map((image) => image.seed)).toEqual([11, 12]);
    for (const image of result.images) {
      expect(Buffer.from(image.b64, "base64").subarray(1, 4).toString()).toBe("PNG");
      // and its thumbnail for the run history: a WebP that decodes, no larger than 128 px a side
      const thumb = await sharp(Buffer.from(image.thumb_b64 ?? "", "base64")).metadata();
      expect(thumb.format).toBe("webp");
      expect(Math.max(thumb.width ?? 999, thumb.height ?? 999)).toBeLessThanOrEqual(128);
    }
    expect(result.timings_ms.total).toBeGreaterThan(0);
    expect(result.timings_ms.image_encode).toBeGreaterThanOrEqual(0);
  });

  it("says which provider and model ran it, and writes the recipe into the PNG", async () => {
    const result = okResponse(await runOne({ ...request, n: 1 }));
    expect(result.execution_provider).toBe("cpu");
    expect(result.model_hash).toMatch(/^[0-9a-f]{10}$/);
    const metadata = await readImageMetadata(Buffer.from(result.images[0]?.b64 ?? "", "base64"));
    expect(metadata.parameters).toMatch(
      /^a paper boat on a pond\nSteps: 3, Sampler: Euler, CFG scale: 7.5, Seed: 11, Size: 64x64/,
    );
  });

  it("gives a batched job the same PNG it gets alone", async () => {
    const other = { ...request, n: 1, seed: 99, prompt: "a windmill", output_format: "jpeg" as const };
    const { outcomes, report } = await runBatch([{ ...request, n: 1 }, other]);
    expect(report).toMatchObject({ images: 2, steps: 3, width: 64, height: 64 });
    const alone = okResponse(await runOne({ ...request, n: 1 }));
    expect(okResponse(outcomes[0]).images[0]?.b64).toBe(alone.images[0]?.b64);
    expect(okResponse(outcomes[1]).output_format).toBe("jpeg");
  });

  it("runs img2img from a base64 image of another size, resized to the request", async () => {
    const source = okResponse(await runOne({ ...request, n: 1, width: 96, height: 96 }));
    const image = `data:image/png;base64,${source.images[0]?.b64}`;
    const result = okResponse(await runOne({ ...request, n: 1, image, strength: 0.5 }));
    expect(result.images[0]).toMatchObject({ width: 64, height: 64 });
  });

  it("reports the steps img2img ran, which step times are measured per", async () => {
    const source = okResponse(await runOne({ ...request, n: 1 }));
    const img2img = { ...request, n: 1, steps: 10, image: source.images[0]?.b64 ?? "", strength: 0.33 };
    const { outcomes, report } = await runBatch([img2img]);
    expect(outcomes[0]?.ok).toBe(true);
    // 10 × 0.33 runs 3 of its 10 steps
    expect(report.steps).toBe(stepCounts(img2img).passes[0].steps);
    expect(report.steps).toBe(3);
  });

  it("fails only a job whose input image was not decoded before it was queued", async () => {
    const source = okResponse(await runOne({ ...request, n: 1 }));
    const img2img = { ...request, n: 1, image: source.images[0]?.b64 ?? "", strength: 0.5 };
    const outcomes = new Map<string, JobOutcome>();
    await engine.run(
      [
        { id: "undecoded", request: img2img, previewEverySteps: 0, inputs: {} },
        { id: "plain", request: { ...request, n: 1 }, previewEverySteps: 0, inputs: {} },
      ],
      { onProgress: () => undefined, onDone: (id, outcome) => outcomes.set(id, outcome) },
    );
    expect(outcomes.get("undecoded")).toMatchObject({ ok: false, error: { code: "internal_error" } });
    expect(outcomes.get("plain")?.ok).toBe(true);
  });

  it("reports an argument the engine refuses as a 400 naming the API field", async () => {
    const outcome = await runOne({ ...request, guidance_scale: Number.POSITIVE_INFINITY });
    expect(outcome).toEqual({
      ok: false,
      error: {
        code: "invalid_request",
        param: "guidance_scale",
        message: "Invalid 'guidance_scale': 'guidance_scale' has to be a finite number, but is Infinity.",
      },
    });
  });

  it("passes clip_skip to the engine, which names it when the model cannot skip CLIP layers", async () => {
    // the built-in tiny model is exported as diffusers' script does: no per-layer hidden states
    const outcome = await runOne({ ...request, clip_skip: 2 });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: "invalid_request", param: "clip_skip" },
    });
    expect(outcome.ok ? "" : outcome.error.message).toMatch(
      /^Invalid 'clip_skip': 'clip_skip' has to be 1 for this model/,
    );
  });

  it("passes SDXL's size conditioning to the engine, which names the field for a model that is not SDXL", async () => {
    const outcome = await runOne({ ...request, crops_coords_top_left: { top: 8, left: 0 } });
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: "invalid_request", param: "crops_coords_top_left" },
    });
    expect(outcome.ok ? "" : outcome.error.message).toMatch(/applies only to SDXL models/);
  });

  it("passes inpainting_fill to the engine, which names the API field when there is no mask", async () => {
    const source = okResponse(await runOne({ ...request, n: 1 }));
    const image = source.images[0]?.b64 ?? "";
    const inpainted = await runOne({
      ...request,
      n: 1,
      image,
      mask: image,
      strength: 0.5,
      inpainting_fill: "fill",
    });
    expect(inpainted.ok).toBe(true);
    const unmasked = await runOne({
      ...request,
      n: 1,
      image,
      strength: 0.5,
      inpainting_fill: "latent_noise",
    });
    expect(unmasked).toMatchObject({
      ok: false,
      error: { code: "invalid_request", param: "inpainting_fill" },
    });
  });

  it("passes hires to the engine: the image comes back at the larger size", async () => {
    const result = okResponse(
      await runOne({ ...request, n: 1, width: 64, height: 64, hires: { scale: 2, strength: 0.5, steps: 2 } }),
    );
    expect([result.images[0]?.width, result.images[0]?.height]).toEqual([128, 128]);
  });

  it("reports progress with an ETA and small JPEG previews when asked", async () => {
    const { progress } = await runBatch([{ ...request, n: 1, steps: 4 }], 2);
    const events = progress.get("job-0") ?? [];
    expect(events.map((p) => [p.step, p.steps, p.preview !== undefined])).toEqual([
      [1, 4, false],
      [2, 4, true],
      [3, 4, false],
      [4, 4, true],
    ]);
    expect(events.at(-1)?.etaMs).toBe(0);
    const preview = events[1]?.preview;
    expect(preview).toMatchObject({ format: "jpeg", width: 8, height: 8 });
    expect([...Buffer.from(preview?.b64 ?? "", "base64").subarray(0, 2)]).toEqual([0xff, 0xd8]);
  });

  it("stops a cancelled job at its next step and says why", async () => {
    const run = engine.run(
      [{ id: "c", request: { ...request, steps: 30 }, previewEverySteps: 0, inputs: {} }],
      {
        onProgress: (id, p) => {
          if (p.step === 2) engine.cancel(id, "deadline");
        },
        onDone: (_id, outcome) => {
          expect(outcome).toMatchObject({ ok: false, error: { code: "timeout" } });
          expect(!outcome.ok && outcome.error.message).toMatch(/deadline/);
        },
      },
    );
    await expect(run).resolves.toBeDefined();
  });
});
