import { z } from "zod";
import { checkTrainedBetas, noiseScheduleFields, parseSchedulerConfig } from "./config.ts";
import { alphaSchedule, ddpmAddNoise } from "./ddim.ts";
import { drawNoise } from "./noise.ts";
import { npLinspace } from "./numpy-compat.ts";
import { checkBeginIndex, checkSteps } from "./sigma-scheduler-base.ts";
import { StepIndex } from "./step-index.ts";
import type { NoiseGenerator, Scheduler, SchedulerConfig, SchedulerStepResult } from "./types.ts";

const { fround, sqrt, floor } = Math;

/** `LCMScheduler`'s config keys with diffusers' defaults (SD's scaled-linear betas, "leading" spacing). */
const lcmConfigSchema = z.object({
  ...noiseScheduleFields({
    beta_start: 0.00085,
    beta_end: 0.012,
    beta_schedule: "scaled_linear",
    timestep_spacing: "leading",
  }),
  original_inference_steps: z.number().int().positive().default(50),
  clip_sample: z.boolean().default(false),
  clip_sample_range: z.number().positive().default(1),
  set_alpha_to_one: z.boolean().default(true),
  thresholding: z.literal(false).default(false),
  timestep_scaling: z.number().positive().default(10),
});

export type LcmConfig = z.infer<typeof lcmConfigSchema>;

/** `sigma_data` of the consistency-model boundary conditions. */
const SIGMA_DATA_SQUARED = 0.25;

/**
 * Latent Consistency Model multistep sampling (Luo et al. 2023), a port of diffusers'
 * `schedulers/scheduling_lcm.py`: timesteps picked from the `original_inference_steps` training grid,
 * the boundary-condition scalings `c_skip`/`c_out` with `timestep_scaling`, and fresh generator noise
 * between steps (none after the last).
 *
 * @example
 * const scheduler = new LcmScheduler(lcmConfig);
 * scheduler.setTimesteps(4); // timesteps 999, 759, 499, 259
 */
export class LcmScheduler implements Scheduler {
  readonly name: string;
  readonly config: LcmConfig;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly sigmas = null;
  timesteps: Float32Array;
  readonly #alphasCumprod: Float32Array;
  readonly #finalAlphaCumprod: number;
  readonly #index = new StepIndex({ fallBackToLast: false });

  constructor(config: SchedulerConfig = {}, name = "lcm") {
    const parsed = parseSchedulerConfig("LCMScheduler", lcmConfigSchema, config);
    checkTrainedBetas("LCMScheduler", parsed);
    this.config = parsed;
    this.name = name;
    const schedule = alphaSchedule(parsed);
    this.#alphasCumprod = schedule.alphasCumprod;
    this.#finalAlphaCumprod = schedule.finalAlphaCumprod;
    this.timesteps = schedule.trainingTimesteps;
  }

  /** Evenly spaced picks, noisiest first, from the LCM training grid `k - 1, 2k - 1, …` (k = T / original steps). */
  /**
   * The training schedule's alpha products, indexed by timestep, and the one used past the last
   * timestep: read-only views for the device loop (device-loop/), which derives its step table from
   * them instead of recomputing the schedule. Do not write to the array.
   */
  get alphasCumprod(): Float32Array {
    return this.#alphasCumprod;
  }

  get finalAlphaCumprod(): number {
    return this.#finalAlphaCumprod;
  }

  setTimesteps(steps: number): void {
    const { num_train_timesteps: trainSteps, original_inference_steps: originalSteps } = this.config;
    if (originalSteps > trainSteps) {
      throw new RangeError(
        `LCM: original_inference_steps ${originalSteps} exceeds num_train_timesteps ${trainSteps}`,
      );
    }
    checkSteps(steps, originalSteps);
    const k = floor(trainSteps / originalSteps);
    const grid = Array.from({ length: originalSteps }, (_, i) => (i + 1) * k - 1).reverse();
    const picks = npLinspace(0, grid.length, steps, false).map(floor);
    this.timesteps = Float32Array.from(picks, (i) => grid[i] as number);
    this.#index.reset();
  }

  setBeginIndex(index: number): void {
    checkBeginIndex(index, this.timesteps.length);
    this.#index.setBeginIndex(index);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: NoiseGenerator,
    shape?: readonly number[],
  ): SchedulerStepResult {
    const index = this.#index.current(this.timesteps, timestep);
    const prevTimestep = (this.timesteps[index + 1] as number | undefined) ?? timestep;
    const alphaProd = this.#alphaCumprodAt(timestep);
    const alphaProdPrev = prevTimestep >= 0 ? this.#alphaCumprodAt(prevTimestep) : this.#finalAlphaCumprod;
    const sqrtAlpha = fround(sqrt(alphaProd));
    const sqrtBeta = fround(sqrt(fround(1 - alphaProd)));

    // get_scalings_for_boundary_condition_discrete, float32.
    const scaled = fround(timestep * this.config.timestep_scaling);
    const scaledSquaredPlus = fround(fround(scaled * scaled) + SIGMA_DATA_SQUARED);
    const cSkip = fround(SIGMA_DATA_SQUARED / scaledSquaredPlus);
    const cOut = fround(scaled / fround(sqrt(scaledSquaredPlus)));

    let predicted: Float32Array;
    switch (this.config.prediction_type) {
      case "epsilon":
        predicted = sample.map(
          (x, i) => fround(x - fround(sqrtBeta * (modelOutput[i] as number))) / sqrtAlpha,
        );
        break;
      case "sample":
        predicted = Float32Array.from(modelOutput);
        break;
      case "v_prediction":
        predicted = sample.map(
          (x, i) => fround(sqrtAlpha * x) - fround(sqrtBeta * (modelOutput[i] as number)),
        );
        break;
    }
    if (this.config.clip_sample) {
      const range = this.config.clip_sample_range;
      predicted = predicted.map((x) => Math.min(Math.max(x, -range), range));
    }
    const denoised = predicted.map((x0, i) => fround(cOut * x0) + fround(cSkip * (sample[i] as number)));

    let prevSample = denoised;
    // Noise between steps only: none after the last step, so one-step sampling is deterministic.
    if (index !== this.timesteps.length - 1) {
      const noise = drawNoise(this.name, generator, sample.length, shape);
      const sqrtAlphaPrev = fround(sqrt(alphaProdPrev));
      const sqrtBetaPrev = fround(sqrt(fround(1 - alphaProdPrev)));
      prevSample = denoised.map(
        (x, i) => fround(sqrtAlphaPrev * x) + fround(sqrtBetaPrev * (noise[i] as number)),
      );
    }
    this.#index.advance();
    return { prevSample, predOriginalSample: denoised };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return ddpmAddNoise(this.#alphasCumprod, original, noise, timestep);
  }

  #alphaCumprodAt(timestep: number): number {
    const alpha = this.#alphasCumprod[timestep];
    if (alpha === undefined) throw new RangeError(`timestep ${timestep} is outside LCM's training schedule`);
    return alpha;
  }
}
