import { createHash } from "node:crypto";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BackendGenerateResponse, ResolvedGenerationRequest } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIP_IMAGE_CONFIG, clipPixelValues } from "../engine/image/clip-image-input.ts";
import type { RgbImage } from "../engine/index.ts";
import { silentLogger } from "../logger.ts";
import { ensureTinyModel } from "../model-builder/index.ts";
import {
  buildSafetyChecker,
  type SafetyCheckerOptions,
  TINY_SAFETY_CHECKER,
} from "../model-builder/safety-checker.ts";
import { referenceSafetyScores } from "../model-builder/safety-checker-reference.ts";
import { type TensorRequest, WeightSource, type Weights } from "../model-builder/weights.ts";
import type { JobOutcome } from "./engine.ts";
import { InProcessEngine } from "./in-process-engine.ts";
import { decodeInputImages } from "./input-image.ts";
import { type LoadedModel, loadModels } from "./load-models.ts";

const request: ResolvedGenerationRequest = exampleResolvedRequest({
  prompt: "a lighthouse at dusk",
  n: 2,
  steps: 3,
  seed: 5,
  width: 64,
  height: 64,
});
const CONCEPT = 3;

let workDir: string;
let engine: InProcessEngine;
let checks = 0;
/** The two images of `request` as generated, with no check. */
let unchecked: BackendGenerateResponse;

async function run(requests: readonly ResolvedGenerationRequest[]): Promise<JobOutcome[]> {
  const outcomes = new Map<string, JobOutcome>();
  const jobs = await Promise.all(
    requests.map(async (r, i) => ({
      id: `job-${i}`,
      request: r,
      previewEverySteps: 0,
      inputs: await decodeInputImages(r),
    })),
  );
  await engine.run(jobs, { onProgress() {}, onDone: (id, outcome) => outcomes.set(id, outcome) });
  return requests.map((_, i) => outcomes.get(`job-${i}`) as JobOutcome);
}

async function generate(r: ResolvedGenerationRequest): Promise<BackendGenerateResponse> {
  const [outcome] = await run([r]);
  if (!outcome?.ok) throw new Error(`expected images, got ${JSON.stringify(outcome)}`);
  return outcome.response;
}

const bytesOf = (b64: string) => Buffer.from(b64, "base64");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

async function pixels(b64: string): Promise<RgbImage> {
  const { data, info } = await sharp(bytesOf(b64)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgb: new Uint8Array(data), width: info.width, height: info.height };
}

/** Mean absolute difference between horizontally adjacent bytes: how much fine detail an image has. */
function detail(image: RgbImage): number {
  let sum = 0;
  for (let i = 3; i < image.rgb.length; i++)
    sum += Math.abs((image.rgb[i] as number) - (image.rgb[i - 3] as number));
  return sum / image.rgb.length;
}

/**
 * Weights whose concept `CONCEPT` is the embedding of `target` and whose threshold for it lies halfway
 * between `target`'s cosine (1) and `other`'s, so exactly `target` passes it.
 */
function flaggingWeights(base: Weights, target: Float32Array, other: Float32Array): Weights {
  const cosine = (a: Float32Array, b: Float32Array) => {
    let dot = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < a.length; i++) {
      dot += (a[i] as number) * (b[i] as number);
      aa += (a[i] as number) ** 2;
      bb += (b[i] as number) ** 2;
    }
    return dot / Math.sqrt(aa * bb);
  };
  const otherCosine = cosine(target, other);
  expect(otherCosine).toBeLessThan(0.99);
  return {
    normal(name: string, count: number, std: number, tensor: TensorRequest): Float32Array {
      const values = base.normal(name, count, std, tensor);
      if (name === "concept_embeds") values.set(target, CONCEPT * target.length);
      if (name === "concept_embeds_weights") values[CONCEPT] = (1 + otherCosine) / 2;
      return values;
    },
  };
}

/** A copy of the tiny model with `checker` as its safety checker, or none. */
async function variant(tinyDir: string, name: string, checker: Uint8Array | null): Promise<string> {
  const dir = join(workDir, name);
  await cp(tinyDir, dir, { recursive: true });
  if (checker === null) await rm(join(dir, "safety_checker"), { recursive: true });
  else await writeFile(join(dir, "safety_checker/model.onnx"), checker);
  return dir;
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), "sdgate-safety-check-"));
  const tinyDir = await ensureTinyModel(join(workDir, "cache"));
  // under the id the flagging model will have: the id is written into each image's metadata
  const plain = await loadModels({ flagging: tinyDir }, ["cpu"], silentLogger);
  engine = new InProcessEngine(plain, 4, silentLogger);
  unchecked = await generate({ ...request, model: "flagging" });
  await engine.close();

  // A checker that sees the first image of `request` as concept 3 and lets the second pass.
  const base = new WeightSource(99);
  const embedding = async (b64: string) =>
    referenceSafetyScores(
      base,
      TINY_SAFETY_CHECKER,
      await clipPixelValues(await pixels(b64), CLIP_IMAGE_CONFIG),
    ).imageEmbeds;
  const [first, second] = unchecked.images;
  const weights = flaggingWeights(
    base,
    await embedding(first?.b64 ?? ""),
    await embedding(second?.b64 ?? ""),
  );
  const checker = (options: SafetyCheckerOptions) =>
    buildSafetyChecker(weights, TINY_SAFETY_CHECKER, options);
  const models = await loadModels(
    {
      tiny: tinyDir,
      flagging: await variant(tinyDir, "flagging", checker({})),
      standard: await variant(tinyDir, "standard", checker({ standardOutputsOnly: true })),
      unchecked: await variant(tinyDir, "unchecked", null),
    },
    ["cpu"],
    silentLogger,
  );
  const flagging = models.get("flagging") as LoadedModel;
  const counted = flagging.pipeline.safetyChecker;
  if (counted === undefined) throw new Error("the flagging model has no safety checker");
  models.set("flagging", {
    ...flagging,
    pipeline: {
      ...flagging.pipeline,
      safetyChecker: {
        check: (images) => {
          checks++;
          return counted.check(images);
        },
      },
    },
  });
  engine = new InProcessEngine(models, 4, silentLogger);
}, 60_000);

afterAll(async () => {
  await engine.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("the output safety check", () => {
  it("does not run, and adds nothing to the response, when the request does not ask for it", async () => {
    const before = checks;
    const response = await generate({ ...request, model: "flagging" });
    expect(checks).toBe(before);
    expect(response.images.map((image) => image.safety)).toEqual([undefined, undefined]);
    expect(response.timings_ms.safety_check).toBeUndefined();
    expect(response.images.map((image) => image.b64)).toEqual(unchecked.images.map((image) => image.b64));
  });

  it("block: the flagged image becomes black at the same size; the hash is of the image as generated", async () => {
    const response = await generate({ ...request, model: "flagging", safety_check: "block" });
    const [flagged, passed] = response.images;
    expect(flagged?.safety).toEqual({
      outcome: "blocked",
      concepts: [CONCEPT],
      special_care: false,
      image_sha256: sha256(bytesOf(unchecked.images[0]?.b64 ?? "")),
    });
    const black = await pixels(flagged?.b64 ?? "");
    expect([black.width, black.height]).toEqual([64, 64]);
    expect(black.rgb.every((v) => v === 0)).toBe(true);
    expect(passed?.safety).toEqual({
      outcome: "passed",
      concepts: [],
      special_care: false,
      image_sha256: sha256(bytesOf(unchecked.images[1]?.b64 ?? "")),
    });
    expect(passed?.b64).toBe(unchecked.images[1]?.b64);
    expect(response.timings_ms.safety_check).toBeGreaterThan(0);
    expect(response.timings_ms.total).toBeGreaterThanOrEqual(response.timings_ms.safety_check ?? 0);
  });

  it("blur: the flagged image loses its detail and ends far from the original", async () => {
    const response = await generate({ ...request, model: "flagging", safety_check: "blur" });
    const [flagged, passed] = response.images;
    expect(flagged?.safety?.outcome).toBe("blurred");
    expect(flagged?.safety?.image_sha256).toBe(sha256(bytesOf(unchecked.images[0]?.b64 ?? "")));
    const original = await pixels(unchecked.images[0]?.b64 ?? "");
    const blurred = await pixels(flagged?.b64 ?? "");
    expect([blurred.width, blurred.height]).toEqual([original.width, original.height]);
    expect(detail(blurred)).toBeLessThan(detail(original) / 5);
    const meanDifference =
      original.rgb.reduce((sum, v, i) => sum + Math.abs(v - (blurred.rgb[i] as number)), 0) /
      original.rgb.length;
    expect(meanDifference).toBeGreaterThan(detail(original) / 2);
    expect(passed?.safety?.outcome).toBe("passed");
    expect(passed?.b64).toBe(unchecked.images[1]?.b64);
  });

  it("flag: the image is recorded as flagged and its bytes are left as generated", async () => {
    const response = await generate({ ...request, model: "flagging", safety_check: "flag" });
    expect(response.images.map((image) => image.safety?.outcome)).toEqual(["flagged", "passed"]);
    expect(response.images.map((image) => image.b64)).toEqual(unchecked.images.map((image) => image.b64));
  });

  it("a diffusers export with only out_images and has_nsfw_concepts decides the same, naming no concepts", async () => {
    const response = await generate({ ...request, model: "standard", safety_check: "block" });
    expect(response.images.map((image) => image.safety?.outcome)).toEqual(["blocked", "passed"]);
    expect(response.images.map((image) => image.safety?.concepts)).toEqual([[], []]);
  });

  it("the tiny model's own checker passes its images", async () => {
    const response = await generate({ ...request, safety_check: "block" });
    expect(response.images.map((image) => image.safety?.outcome)).toEqual(["passed", "passed"]);
  });

  it("refuses safety_check for a model without a safety checker, as a 400 naming the field", async () => {
    const [outcome] = await run([{ ...request, model: "unchecked", safety_check: "flag" }]);
    expect(outcome?.ok).toBe(false);
    if (outcome?.ok !== false) return;
    expect(outcome.error.code).toBe("invalid_request");
    expect(outcome.error.param).toBe("safety_check");
    expect(outcome.error.message).toContain("has none");
  });

  it("checks each job of a batch as that job asked", async () => {
    const outcomes = await run([
      { ...request, model: "flagging", safety_check: "block" },
      { ...request, model: "flagging" },
      { ...request, model: "flagging", seed: 6, n: 1, safety_check: "flag" },
    ]);
    const responses = outcomes.map((outcome) => (outcome.ok ? outcome.response : undefined));
    expect(responses[0]?.images.map((image) => image.safety?.outcome)).toEqual(["blocked", "passed"]);
    expect(responses[1]?.images.map((image) => image.safety)).toEqual([undefined, undefined]);
    // seed 6 is the second image of `request`, which the checker passes
    expect(responses[2]?.images.map((image) => image.safety?.outcome)).toEqual(["passed"]);
    expect(responses[2]?.images[0]?.b64).toBe(unchecked.images[1]?.b64);
  });
});

describe("CLIP's image preprocessing", () => {
  it("resizes the shortest side to 224, crops the centre and normalises with CLIP's statistics", async () => {
    // 448 × 224: a red left quarter, green middle half, blue right quarter; the crop is all green.
    const width = 448;
    const height = 224;
    const rgb = new Uint8Array(width * height * 3);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const channel = x < 112 ? 0 : x < 336 ? 1 : 2;
        rgb[(y * width + x) * 3 + channel] = 255;
      }
    const values = await clipPixelValues({ rgb, width, height }, CLIP_IMAGE_CONFIG);
    expect(values).toHaveLength(3 * 224 * 224);
    const area = 224 * 224;
    const { mean, std } = CLIP_IMAGE_CONFIG;
    for (const [channel, level] of [
      [0, 0],
      [1, 1],
      [2, 0],
    ] as const) {
      const expected = (level - mean[channel]) / std[channel];
      const plane = values.subarray(channel * area, (channel + 1) * area);
      expect(Math.max(...plane.map((v) => Math.abs(v - expected)))).toBeLessThan(1e-5);
    }
  });
});
