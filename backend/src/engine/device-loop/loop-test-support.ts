/**
 * Test helpers: the host denoising loop and the device loop's float64 reference, both driven by the
 * same deterministic fake model, so that a test can compare their trajectories step by step.
 */
import { applyGuidance } from "../pipelines/tensor-math.ts";
import { createGenerator } from "../rng/torch-generator.ts";
import { createScheduler, type Scheduler, type SchedulerConfig } from "../schedulers/index.ts";
import { applyLinearStep, tableRow } from "./apply-linear-step.ts";
import { buildStepTable } from "./step-coefficients.ts";
import { drawStepNoise } from "./step-noise.ts";

export interface LoopCase {
  scheduler: string;
  config: SchedulerConfig;
  steps: number;
  /** img2img: start at this index of the timesteps. */
  beginIndex?: number;
  /** The prompts' weights; empty for an unguided loop. */
  condWeights: readonly number[];
  guidanceScale: number | readonly number[];
  seed: number;
}

/** A tiny latent: one image, 2 channels, 3×3. */
export const LATENT_DIMS: readonly number[] = [1, 2, 3, 3];
export const LATENT_SIZE = LATENT_DIMS.reduce((a, b) => a * b, 1);

/** What each step produced: `prevSample` and `predOriginalSample` of the host step. */
export interface StepRecord {
  sample: ArrayLike<number>;
  denoised: ArrayLike<number>;
}

/**
 * A deterministic stand-in for the UNet, smooth in both its inputs: row j (uncond, cond_1, …) of the
 * batched input gives `tanh(0.3·(1 + 0.1·j)·x + t/1000 + 0.05·j)`, so guidance halves differ.
 */
export function fakeModel(input: ArrayLike<number>, timestep: number, rows: number): Float32Array {
  const size = input.length / rows;
  const out = new Float32Array(input.length);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < size; i++) {
      const x = input[j * size + i] as number;
      out[j * size + i] = Math.tanh(0.3 * (1 + 0.1 * j) * x + timestep / 1000 + 0.05 * j);
    }
  }
  return out;
}

export function repeatRows(data: ArrayLike<number>, times: number): Float32Array {
  const out = new Float32Array(data.length * times);
  for (let i = 0; i < times; i++) out.set(Array.from(data), i * data.length);
  return out;
}

/** The scheduler after `setTimesteps` (and `setBeginIndex`), ready to step. */
export function configuredScheduler(loop: LoopCase): Scheduler {
  const scheduler = createScheduler(loop.scheduler, loop.config);
  scheduler.setTimesteps(loop.steps);
  if (loop.beginIndex !== undefined) scheduler.setBeginIndex(loop.beginIndex);
  return scheduler;
}

/** Deterministic start latents at the scheduler's initial noise scale. */
export function startLatents(scheduler: Scheduler, seed: number): Float32Array {
  const noise = createGenerator(seed + 1000).randn([LATENT_SIZE]);
  return noise.map((v) => v * scheduler.initNoiseSigma);
}

/** The host loop as `denoise` runs it: scale, model, guidance, scheduler step with the generator. */
export function hostLoop(loop: LoopCase): StepRecord[] {
  const scheduler = configuredScheduler(loop);
  const generator = createGenerator(loop.seed);
  const rows = loop.condWeights.length + 1;
  const timesteps = scheduler.timesteps.subarray(loop.beginIndex ?? 0);
  let latents = startLatents(scheduler, loop.seed);
  const records: StepRecord[] = [];
  timesteps.forEach((t, k) => {
    const scaled = scheduler.scaleModelInput(latents, t);
    const prediction = fakeModel(repeatRows(scaled, rows), t, rows);
    const guided = rows === 1 ? prediction : applyGuidance(prediction, guidanceAt(loop, k), loop.condWeights);
    const result = scheduler.step(guided, t, latents, generator, LATENT_DIMS);
    latents = result.prevSample;
    records.push({ sample: result.prevSample, denoised: result.predOriginalSample });
  });
  return records;
}

function guidanceAt(loop: LoopCase, k: number): number {
  const scale = loop.guidanceScale;
  return typeof scale === "number" ? scale : (scale[k] as number);
}

/** The device loop with the coefficient table, the noise table and the float64 reference step. */
export function referenceLoop(loop: LoopCase): StepRecord[] {
  const scheduler = configuredScheduler(loop);
  const begin = loop.beginIndex ?? 0;
  const plan = buildStepTable(scheduler, { guidanceScale: loop.guidanceScale, beginIndex: begin });
  const noise = drawStepNoise(scheduler, createGenerator(loop.seed), LATENT_DIMS, begin);
  const rows = loop.condWeights.length + 1;
  let sample: ArrayLike<number> = startLatents(scheduler, loop.seed);
  let state: ArrayLike<number> = new Float64Array(LATENT_SIZE);
  let modelInput = Float32Array.from(sample, (x) => x * plan.cIn0);
  let timestep = plan.t0;
  const records: StepRecord[] = [];
  for (let k = 0; k < plan.steps; k++) {
    const row = tableRow(plan.table, k);
    const out = applyLinearStep({
      noisePred: fakeModel(repeatRows(modelInput, rows), timestep, rows),
      sample,
      state,
      noise: noise.subarray(k * LATENT_SIZE, (k + 1) * LATENT_SIZE),
      condWeights: loop.condWeights,
      row,
    });
    records.push({ sample: out.nextSample, denoised: out.denoised });
    sample = out.nextSample;
    state = out.nextState;
    modelInput = Float32Array.from(sample, (x) => x * row.cInNext);
    timestep = row.tNext;
  }
  return records;
}

/** The largest difference between two tensors relative to the reference's scale (at least 1). */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 1;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i] as number));
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  return worst / scale;
}
