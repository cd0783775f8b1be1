import { z } from "zod";
import { checkTrainedBetas, noiseScheduleFields, parseSchedulerConfig } from "./config.ts";
import { trainingSchedule } from "./noise-schedule.ts";
import { checkBeginIndex, checkSteps } from "./sigma-scheduler-base.ts";
import { ddimTimesteps } from "./timestep-spacing.ts";
import type { Scheduler, SchedulerConfig, SchedulerStepResult } from "./types.ts";

const { fround, sqrt } = Math;

/** `DDIMScheduler`'s config keys with diffusers' defaults (`clip_sample` and `set_alpha_to_one` default to true). */
const ddimConfigSchema = z.object({
  ...noiseScheduleFields({ timestep_spacing: "leading" }),
  clip_sample: z.boolean().default(true),
  clip_sample_range: z.number().positive().default(1),
  set_alpha_to_one: z.boolean().default(true),
  thresholding: z.literal(false).default(false),
});

export type DdimConfig = z.infer<typeof ddimConfigSchema>;

/**
 * DDIM (Song et al. 2021) with `eta` 0, a port of diffusers' `schedulers/scheduling_ddim.py`: the
 * deterministic update `x_prev = sqrt(a_prev) * x0 + sqrt(1 - a_prev) * eps`, `clip_sample`, and
 * `set_alpha_to_one` for the step past the last timestep.
 *
 * @example
 * const scheduler = new DdimScheduler({ beta_schedule: "scaled_linear", beta_start: 0.00085, beta_end: 0.012, clip_sample: false });
 * scheduler.setTimesteps(50);
 */
export class DdimScheduler implements Scheduler {
  readonly name: string;
  readonly config: DdimConfig;
  readonly order = 1;
  readonly initNoiseSigma = 1;
  readonly sigmas = null;
  timesteps: Float32Array;
  readonly #alphasCumprod: Float32Array;
  /** The alpha product past the last timestep: 1, or the first training step's. */
  readonly #finalAlphaCumprod: number;
  #steps: number | undefined;

  constructor(config: SchedulerConfig = {}, name = "ddim") {
    const parsed = parseSchedulerConfig("DDIMScheduler", ddimConfigSchema, config);
    checkTrainedBetas("DDIMScheduler", parsed);
    this.config = parsed;
    this.name = name;
    const schedule = alphaSchedule(parsed);
    this.#alphasCumprod = schedule.alphasCumprod;
    this.#finalAlphaCumprod = schedule.finalAlphaCumprod;
    this.timesteps = schedule.trainingTimesteps;
  }

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
    const { num_train_timesteps, timestep_spacing, steps_offset } = this.config;
    checkSteps(steps, num_train_timesteps);
    this.#steps = steps;
    this.timesteps = Float32Array.from(
      ddimTimesteps(timestep_spacing, num_train_timesteps, steps, steps_offset),
    );
  }

  /** DDIM finds its place from the timestep alone; the begin index is only checked. */
  setBeginIndex(index: number): void {
    checkBeginIndex(index, this.timesteps.length);
  }

  scaleModelInput(sample: Float32Array): Float32Array {
    return sample;
  }

  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerStepResult {
    const steps = this.#steps;
    if (steps === undefined) throw new Error("DDIM: call setTimesteps before step");
    // The previous timestep is a fixed stride back, whatever the spacing (diffusers does the same).
    const prevTimestep = timestep - Math.floor(this.config.num_train_timesteps / steps);
    const alphaProd = this.#alphaCumprodAt(timestep);
    const alphaProdPrev = prevTimestep >= 0 ? this.#alphaCumprodAt(prevTimestep) : this.#finalAlphaCumprod;
    const betaProd = fround(1 - alphaProd);
    const sqrtAlpha = fround(sqrt(alphaProd));
    const sqrtBeta = fround(sqrt(betaProd));

    let predOriginalSample: Float32Array;
    let predEpsilon: Float32Array;
    switch (this.config.prediction_type) {
      case "epsilon":
        predOriginalSample = sample.map(
          (x, i) => fround(x - fround(sqrtBeta * (modelOutput[i] as number))) / sqrtAlpha,
        );
        predEpsilon = modelOutput;
        break;
      case "sample":
        predOriginalSample = Float32Array.from(modelOutput);
        predEpsilon = sample.map(
          (x, i) => fround(x - fround(sqrtAlpha * (modelOutput[i] as number))) / sqrtBeta,
        );
        break;
      case "v_prediction":
        predOriginalSample = sample.map(
          (x, i) => fround(sqrtAlpha * x) - fround(sqrtBeta * (modelOutput[i] as number)),
        );
        predEpsilon = sample.map(
          (x, i) => fround(sqrtAlpha * (modelOutput[i] as number)) + fround(sqrtBeta * x),
        );
        break;
    }
    if (this.config.clip_sample) {
      const range = this.config.clip_sample_range;
      predOriginalSample = predOriginalSample.map((x) => Math.min(Math.max(x, -range), range));
    }
    // eta = 0: std_dev_t is 0, so the direction is sqrt(1 - a_prev - 0) * eps and no noise is added.
    const directionScale = fround(sqrt(fround(1 - alphaProdPrev)));
    const sqrtAlphaPrev = fround(sqrt(alphaProdPrev));
    const prevSample = predOriginalSample.map(
      (x0, i) => fround(sqrtAlphaPrev * x0) + fround(directionScale * (predEpsilon[i] as number)),
    );
    return { prevSample, predOriginalSample };
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    return ddpmAddNoise(this.#alphasCumprod, original, noise, timestep);
  }

  #alphaCumprodAt(timestep: number): number {
    const alpha = this.#alphasCumprod[timestep];
    if (alpha === undefined) throw new RangeError(`timestep ${timestep} is outside DDIM's training schedule`);
    return alpha;
  }
}

/**
 * What DDIM and LCM (which steps like DDIM) both start from: the training schedule's alpha products,
 * the one used past the last timestep (1 with `set_alpha_to_one`, else the first training step's,
 * as diffusers' `final_alpha_cumprod`), and the full training timesteps, noisiest first.
 */
export function alphaSchedule(
  config: Parameters<typeof trainingSchedule>[0] & { set_alpha_to_one: boolean },
): {
  alphasCumprod: Float32Array;
  finalAlphaCumprod: number;
  trainingTimesteps: Float32Array;
} {
  const alphasCumprod = trainingSchedule(config, { zeroSnrEpsilon: false }).alphasCumprod;
  const trainSteps = config.num_train_timesteps;
  return {
    alphasCumprod,
    finalAlphaCumprod: config.set_alpha_to_one ? 1 : (alphasCumprod[0] as number),
    trainingTimesteps: Float32Array.from({ length: trainSteps }, (_, i) => trainSteps - 1 - i),
  };
}

/**
 * DDPM's `add_noise` (`scheduling_ddpm.py`), shared by DDIM and LCM:
 * `sqrt(a_t) * original + sqrt(1 - a_t) * noise` at the timestep itself.
 */
export function ddpmAddNoise(
  alphasCumprod: Float32Array,
  original: Float32Array,
  noise: Float32Array,
  timestep: number,
): Float32Array {
  const alphaProd = alphasCumprod[timestep];
  if (alphaProd === undefined) throw new RangeError(`timestep ${timestep} is outside the training schedule`);
  const sqrtAlpha = fround(sqrt(alphaProd));
  const sqrtOneMinusAlpha = fround(sqrt(fround(1 - alphaProd)));
  return original.map((x, i) => fround(sqrtAlpha * x) + fround(sqrtOneMinusAlpha * (noise[i] as number)));
}
