/**
 * Ports of the fixtures of diffusers' scheduler tests (`tests/schedulers/test_schedulers.py`,
 * `SchedulerCommonTest`), so our full loops run on the inputs diffusers' expected numbers come from.
 * Only tests import this file.
 */
import { readFileSync } from "node:fs";
import type { Generator } from "../rng/torch-generator.ts";
import type { Scheduler } from "./types.ts";

const { fround } = Math;

/** `(batch_size, num_channels, height, width)` of the dummies. */
export const DUMMY_SHAPE = [4, 3, 8, 8] as const;
const COUNT = 4 * 3 * 8 * 8;

/**
 * `torch.arange(n).reshape(3, 8, 8, 4) / n` permuted to `(4, 3, 8, 8)`; `flipped`:
 * `dummy_noise_deter`, the same with `arange(n).flip(-1)`.
 */
function deterministic(flipped: boolean): Float32Array {
  const out = new Float32Array(COUNT);
  for (let b = 0; b < 4; b++)
    for (let c = 0; c < 3; c++)
      for (let h = 0; h < 8; h++)
        for (let w = 0; w < 8; w++) {
          const source = ((c * 8 + h) * 8 + w) * 4 + b;
          out[((b * 3 + c) * 8 + h) * 8 + w] = (flipped ? COUNT - 1 - source : source) / COUNT;
        }
  return out;
}

/** `dummy_sample_deter`. */
export const dummySampleDeter = (): Float32Array => deterministic(false);
/** `dummy_noise_deter`. */
export const dummyNoiseDeter = (): Float32Array => deterministic(true);

/** `dummy_model`: `sample * t / (t + 1)` in float32, `t` cast to the sample's dtype. */
export function dummyModel(sample: Float32Array, timestep: number): Float32Array {
  const t = fround(timestep);
  const denominator = fround(t + 1);
  return sample.map((x) => fround(x * t) / denominator);
}

export interface FullLoopOptions {
  /** Multiply the dummy sample by `init_noise_sigma` (the Euler tests do). */
  scaleByInitNoiseSigma?: boolean;
  /** Call `scale_model_input` before the model (the Euler tests do). */
  scaleModelInput?: boolean;
  generator?: Generator;
  /** `test_full_loop_with_noise`: start at `timesteps[tStart * order]` after `add_noise(dummy_noise_deter)`. */
  tStart?: number;
}

/** diffusers' `full_loop` / `test_full_loop_*` bodies; returns the final sample. */
export function fullLoop(scheduler: Scheduler, steps: number, options: FullLoopOptions = {}): Float32Array {
  scheduler.setTimesteps(steps);
  let sample = dummySampleDeter();
  if (options.scaleByInitNoiseSigma === true) {
    const sigma = fround(scheduler.initNoiseSigma);
    sample = sample.map((x) => x * sigma);
  }
  let timesteps = Array.from(scheduler.timesteps);
  if (options.tStart !== undefined) {
    timesteps = timesteps.slice(options.tStart * scheduler.order);
    sample = scheduler.addNoise(sample, dummyNoiseDeter(), timesteps[0] as number);
  }
  for (const t of timesteps) {
    if (options.scaleModelInput === true) sample = scheduler.scaleModelInput(sample, t);
    const output = dummyModel(sample, t);
    sample = scheduler.step(output, t, sample, options.generator, DUMMY_SHAPE).prevSample;
  }
  return sample;
}

/** `torch.sum(torch.abs(sample))` and `torch.mean(...)`. */
export function absSumMean(sample: Float32Array): { sum: number; mean: number } {
  const sum = sample.reduce((total, x) => total + Math.abs(x), 0);
  return { sum, mean: sum / sample.length };
}

/** runwayml/stable-diffusion-v1-5's scheduler/scheduler_config.json (a PNDMScheduler config). */
export const SD15_CONFIG = {
  _class_name: "PNDMScheduler",
  _diffusers_version: "0.6.0",
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

/**
 * SD 1.5's timesteps for 10/20/50 steps in each spacing, computed by numpy 2.4 running the
 * `set_timesteps` lines of diffusers' scheduling_euler_discrete.py, scheduling_dpmsolver_multistep.py
 * and scheduling_ddim.py verbatim (T = 1000, steps_offset = 1).
 */
export const SD15_TIMESTEPS: Record<string, Record<string, Record<string, number[]>>> = JSON.parse(
  readFileSync(new URL("./sd15-timesteps.fixture.json", import.meta.url), "utf8"),
);
