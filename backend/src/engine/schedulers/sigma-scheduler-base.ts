import { InvalidArgumentError } from "../errors.ts";
import type { TrainingSchedule } from "./noise-schedule.ts";
import { StepIndex } from "./step-index.ts";
import type { TimestepSpacing } from "./timestep-spacing.ts";
import type { NoiseGenerator, Scheduler, SchedulerStepResult } from "./types.ts";

const { fround } = Math;

/**
 * What diffusers' Euler and Euler-ancestral schedulers share (`scheduling_euler_discrete.py`,
 * `scheduling_euler_ancestral_discrete.py`): sigma-space samples scaled by `(sigma² + 1) ** -0.5`
 * for the model, `init_noise_sigma`, step-index bookkeeping and `add_noise`.
 */
export abstract class SigmaSchedulerBase implements Scheduler {
  abstract readonly name: string;
  readonly order = 1;
  timesteps: Float32Array;
  sigmas: Float32Array;
  protected readonly train: TrainingSchedule;
  protected readonly index = new StepIndex({ fallBackToLast: false });
  readonly #spacing: TimestepSpacing;

  constructor(train: TrainingSchedule, spacing: TimestepSpacing) {
    this.train = train;
    this.#spacing = spacing;
    // Before set_timesteps diffusers holds the full training schedule, noisiest first.
    const trainSteps = train.sigmas.length;
    this.timesteps = Float32Array.from({ length: trainSteps }, (_, i) => trainSteps - 1 - i);
    this.sigmas = Float32Array.from([...train.sigmas].reverse().concat(0));
  }

  /** `max_sigma` for "linspace"/"trailing", else `(max_sigma ** 2 + 1) ** 0.5`, in float32. */
  get initNoiseSigma(): number {
    const maxSigma = this.sigmas.reduce((a, b) => Math.max(a, b), 0);
    return this.#spacing === "leading"
      ? fround(Math.sqrt(fround(fround(maxSigma * maxSigma) + 1)))
      : maxSigma;
  }

  abstract setTimesteps(steps: number): void;

  abstract step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: NoiseGenerator,
    shape?: readonly number[],
  ): SchedulerStepResult;

  setBeginIndex(index: number): void {
    checkBeginIndex(index, this.timesteps.length);
    this.index.setBeginIndex(index);
  }

  /** `sample / (sigma ** 2 + 1) ** 0.5`. */
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmaAt(this.index.current(this.timesteps, timestep));
    const scale = fround(Math.sqrt(fround(fround(sigma * sigma) + 1)));
    // a loop, not TypedArray#map: map calls its callback per value, five times slower at 16K values,
    // and this runs on every step between two GPU calls
    const scaled = new Float32Array(sample.length);
    for (let i = 0; i < sample.length; i++) scaled[i] = (sample[i] as number) / scale;
    return scaled;
  }

  /** `original + noise * sigma`. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmaAt(this.index.forAddNoise(this.timesteps, timestep));
    return original.map((x, i) => x + fround((noise[i] as number) * sigma));
  }

  protected sigmaAt(index: number): number {
    const sigma = this.sigmas[index];
    if (sigma === undefined)
      throw new RangeError(`${this.name} stepped past its last timestep (step ${index})`);
    return sigma;
  }
}

/** Inference steps: a positive integer. */
export function checkSteps(steps: number, maxSteps = Number.POSITIVE_INFINITY): void {
  if (!Number.isInteger(steps) || steps < 1 || steps > maxSteps) {
    const bound = Number.isFinite(maxSteps) ? ` up to ${maxSteps}` : "";
    throw new InvalidArgumentError("steps", steps, `has to be a positive integer${bound}`);
  }
}

export function checkBeginIndex(index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new InvalidArgumentError("beginIndex", index, `has to be an index into the ${length} timesteps`);
  }
}
