import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureTinyModel, type TinyModelOptions } from "../model-builder/index.ts";
import { loadPipeline } from "./loading/load-pipeline.ts";
import type { GenerationRequest, ModelFamily, Pipeline, RgbImage } from "./types.ts";

/**
 * Test support: tiny models cached across test runs (`ensureTinyModel` rebuilds a folder whose
 * content hash is stale, and moves new folders into place atomically, so test files can share it).
 */
export const TEST_MODEL_CACHE = join(tmpdir(), "sdgate-engine-test-models");

/** A txt2img request the tiny models answer in a blink: 64 px, 6 steps, guided. */
export const TINY_REQUEST: GenerationRequest = {
  prompt: "a red fox in a snowy forest",
  width: 64,
  height: 64,
  steps: 6,
  guidanceScale: 7.5,
  seed: 42,
};

export async function tinyModelDir(options: TinyModelOptions = {}): Promise<string> {
  return ensureTinyModel(TEST_MODEL_CACHE, options);
}

export async function loadTiny(options: TinyModelOptions = {}): Promise<Pipeline> {
  return loadPipeline(await tinyModelDir(options), { executionProviders: ["cpu"] });
}

/**
 * The model folder `dir` loaded on the CPU, its family, and a 64×64 test pattern it refined (strength
 * 0.5, two steps): what an SDXL refiner build must do, whatever its weights.
 */
export async function refineTestPattern(dir: string): Promise<{ family: ModelFamily; rgb: Uint8Array }> {
  const pipeline = await loadPipeline(dir, { executionProviders: ["cpu"] });
  try {
    const { images } = await pipeline.generate({
      prompt: "a red fox in the snow",
      image: testPattern(64, 64),
      strength: 0.5,
      width: 64,
      height: 64,
      steps: 2,
      guidanceScale: 5,
      seed: 7,
    });
    return { family: pipeline.family, rgb: images[0]?.rgb ?? new Uint8Array() };
  } finally {
    await pipeline.release();
  }
}

/** Mean absolute difference of two byte arrays, over the pixels `keep` selects (all by default). */
export function meanAbsDiff(
  a: Uint8Array,
  b: Uint8Array,
  width = 1,
  keep = (_x: number, _y: number) => true,
): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < a.length; i++) {
    const pixel = Math.floor(i / 3);
    if (!keep(pixel % width, Math.floor(pixel / width))) continue;
    sum += Math.abs((a[i] as number) - (b[i] as number));
    count++;
  }
  return sum / count;
}

export function maxAbsDiff(a: Uint8Array, b: Uint8Array): number {
  return a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - (b[i] as number))), 0);
}

/** Standard deviation of the bytes: a flat image has none. */
export function spread(rgb: Uint8Array): number {
  const mean = rgb.reduce((s, v) => s + v, 0) / rgb.length;
  return Math.sqrt(rgb.reduce((s, v) => s + (v - mean) ** 2, 0) / rgb.length);
}

/** A smooth gradient with a checkerboard, as an img2img input. */
export function testPattern(width: number, height: number): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      rgb[i] = Math.round((x / width) * 255);
      rgb[i + 1] = Math.round((y / height) * 255);
      rgb[i + 2] = (x >> 2) % 2 === (y >> 2) % 2 ? 200 : 60;
    }
  }
  return { rgb, width, height };
}

/** White (repaint) where `repaint(x, y)`, black elsewhere. */
export function testMask(
  width: number,
  height: number,
  repaint: (x: number, y: number) => boolean,
): RgbImage {
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++)
      if (repaint(x, y)) rgb.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { rgb, width, height };
}
