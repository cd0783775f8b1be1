/**
 * `npm run bench:safety-check`: what the output safety check costs per image on CPU, for the tiny
 * model's checker and for one of the released checker's size (CLIP ViT-L/14, random weights), against
 * the generation of the same image on the tiny model.
 *
 *   npm run bench:safety-check -- [--size 256] [--steps 20] [--runs 7] [--warmup 2] [--no-full-size]
 *
 * The full-size checker (about 1.2 GB) is built once into .sdgate/models/. Prints a Markdown table for
 * docs/benchmarks.md.
 */
import { closeSync, existsSync, openSync, writeSync } from "node:fs";
import { cp, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CLIP_IMAGE_CONFIG, clipPixelValues } from "../backend/src/engine/image/clip-image-input.ts";
import {
  blurImage,
  encodeImage,
  type GeneratedImage,
  loadPipeline,
  type Pipeline,
} from "../backend/src/engine/index.ts";
import {
  buildSafetyChecker,
  EXTERNAL_DATA_FILE,
  ExternalDataSink,
  ensureTinyModel,
  FULL_SIZE_SAFETY_CHECKER,
  safetyCheckerConfig,
  WeightSource,
} from "../backend/src/model-builder/index.ts";
import { describeMachine } from "./lib/machine.ts";
import { progressBar } from "./lib/progress.ts";
import { median } from "./lib/stats.ts";

const REPO_ROOT = fileURLToPath(new URL("../", import.meta.url));
const MODELS = join(REPO_ROOT, ".sdgate", "models");

const { values: args } = parseArgs({
  options: {
    size: { type: "string", default: "256" },
    steps: { type: "string", default: "20" },
    runs: { type: "string", default: "7" },
    warmup: { type: "string", default: "2" },
    "no-full-size": { type: "boolean", default: false },
  },
});

function positiveInt(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer, got '${text}'`);
  return value;
}

const size = positiveInt("size", args.size ?? "");
const steps = positiveInt("steps", args.steps ?? "");
const runs = positiveInt("runs", args.runs ?? "");
const warmup = Number(args.warmup);

/** The tiny model with the full-size checker in place of its own, built once. */
async function fullSizeFolder(tinyDir: string): Promise<string> {
  const dir = join(MODELS, "tiny-safety-vit-l14");
  if (existsSync(join(dir, "safety_checker", EXTERNAL_DATA_FILE))) return dir;
  const staging = `${dir}.building-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await cp(tinyDir, staging, { recursive: true });
  const fd = openSync(join(staging, "safety_checker", EXTERNAL_DATA_FILE), "w");
  try {
    const sink = new ExternalDataSink({
      location: EXTERNAL_DATA_FILE,
      write: (chunk) => {
        writeSync(fd, chunk);
      },
    });
    const model = buildSafetyChecker(new WeightSource(7), FULL_SIZE_SAFETY_CHECKER, {}, { sink });
    const modelFd = openSync(join(staging, "safety_checker", "model.onnx"), "w");
    writeSync(modelFd, model);
    closeSync(modelFd);
  } finally {
    closeSync(fd);
  }
  await writeFile(
    join(staging, "safety_checker", "config.json"),
    `${JSON.stringify(safetyCheckerConfig(FULL_SIZE_SAFETY_CHECKER), null, 2)}\n`,
  );
  await rm(dir, { recursive: true, force: true });
  await mkdir(MODELS, { recursive: true });
  await rename(staging, dir);
  return dir;
}

interface CheckSample {
  check: number;
  preprocess: number;
  blur: number;
}

async function generateOnce(pipeline: Pipeline, seed: number): Promise<GeneratedImage> {
  const result = await pipeline.generate({
    prompt: "a lighthouse on a cliff at sunset, oil painting",
    negativePrompt: "blurry",
    width: size,
    height: size,
    steps,
    guidanceScale: 7.5,
    seed,
  });
  return result.images[0] as GeneratedImage;
}

/** Per run: generate an image (timed), then check it (timed) and blur and re-encode it (timed). */
async function measure(label: string, modelDir: string, timeGeneration: boolean) {
  const pipeline = await loadPipeline(modelDir, { executionProviders: ["cpu"] });
  const checker = pipeline.safetyChecker;
  if (checker === undefined) throw new Error(`${modelDir} has no safety checker`);
  const bar = progressBar(label, warmup + runs);
  const generation: number[] = [];
  const samples: CheckSample[] = [];
  for (let i = 0; i < warmup + runs; i++) {
    let startedMs = performance.now();
    const image = await generateOnce(pipeline, 1000 + i);
    const generateMs = performance.now() - startedMs;
    startedMs = performance.now();
    await checker.check([image]);
    const check = performance.now() - startedMs;
    startedMs = performance.now();
    await clipPixelValues(image, CLIP_IMAGE_CONFIG);
    const preprocess = performance.now() - startedMs;
    startedMs = performance.now();
    await encodeImage(await blurImage(image), "png");
    const blur = performance.now() - startedMs;
    if (i >= warmup) {
      if (timeGeneration) generation.push(generateMs);
      samples.push({ check, preprocess, blur });
    }
    bar.tick(`check ${check.toFixed(0)} ms`);
  }
  bar.done();
  await pipeline.release();
  return { generation, samples };
}

const tinyDir = await ensureTinyModel(MODELS);
const tiny = await measure("tiny checker", tinyDir, true);
const full = args["no-full-size"]
  ? undefined
  : await measure("ViT-L/14 checker", await fullSizeFolder(tinyDir), false);

const generateMs = median(tiny.generation);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const lines = [
  `Safety check on CPU, one ${size}×${size} image from the tiny model (${steps} steps, CFG 7.5), median of ${runs} runs after ${warmup} warm-up, ${new Date().toISOString().slice(0, 10)}, ${describeMachine()}.`,
  "",
  "| checker | check per image | of which CLIP preprocessing | check vs the image's generation | blur + PNG re-encode (`blur` action) |",
  "| --- | --- | --- | --- | --- |",
];
for (const [name, result] of [
  ["tiny (2 layers, width 32)", tiny],
  ["ViT-L/14 (24 layers, width 1024; SD 1.5's)", full],
] as const) {
  if (result === undefined) continue;
  const check = median(result.samples.map((s) => s.check));
  const preprocess = median(result.samples.map((s) => s.preprocess));
  const blur = median(result.samples.map((s) => s.blur));
  lines.push(
    `| ${name} | ${ms(check)} | ${ms(preprocess)} | ${((100 * check) / generateMs).toFixed(1)} % | ${ms(blur)} |`,
  );
}
lines.push("", `Generating the image on the tiny model: ${ms(generateMs)} (median).`);
console.log(lines.join("\n"));
