import type { Generator } from "../rng/torch-generator.ts";

/** What one denoising step returns (diffusers' `SchedulerOutput` family). */
export interface SchedulerStepResult {
  /** The sample for the next timestep (`prev_sample`). */
  prevSample: Float32Array;
  /**
   * The step's estimate of the clean sample: `pred_original_sample` (Euler, Euler a, DDIM), the
   * converted `x0_pred` (DPM-Solver++) or `denoised` (LCM). For previews.
   */
  predOriginalSample: Float32Array;
}

/** One generator for the whole batch, or one per batch item (diffusers' `generator` list). */
export type NoiseGenerator = Generator | readonly Generator[];

/**
 * A diffusion sampler, the surface diffusers' pipelines use of their schedulers. Calls go in pipeline
 * order: `setTimesteps`, optionally `setBeginIndex` and `addNoise` (img2img), then per timestep
 * `scaleModelInput` and `step`. Like diffusers, a scheduler finds its position from the first timestep
 * it is given (or the begin index) and then advances one per `step`.
 */
export interface Scheduler {
  /** The canonical registry name, e.g. `"dpmpp_2m_karras"`. */
  readonly name: string;
  /** The model timesteps of the current schedule, noisiest first. */
  readonly timesteps: Float32Array;
  /** The noise levels, one per timestep plus the final one; `null` where the algorithm has none (DDIM, LCM). */
  readonly sigmas: Float32Array | null;
  /** What standard-normal starting noise is multiplied by. */
  readonly initNoiseSigma: number;
  /** diffusers' `order`: img2img starts at `timesteps[tStart * order]`. */
  readonly order: number;
  setTimesteps(steps: number): void;
  /** img2img: start at this index of `timesteps` (diffusers' `set_begin_index`). */
  setBeginIndex(index: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  /**
   * One denoising step. Stochastic schedulers (`euler_a`, `dpmpp_2m_sde_karras`, `lcm`) draw
   * `randn_tensor(model_output.shape, generator)` as diffusers does and throw without `generator`.
   *
   * @param shape the sample's shape, e.g. `[batch, 4, height / 8, width / 8]`: the shape the noise is
   *   drawn in, and with one generator per batch item, where the batch splits. torch's CPU `randn`
   *   fills memory in order, so with a single generator only the element count changes the values;
   *   defaults to `[generators, length / generators]`.
   */
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    generator?: NoiseGenerator,
    shape?: readonly number[],
  ): SchedulerStepResult;
  /** img2img / inpainting: diffusers' `add_noise(original, noise, timesteps)` for one timestep. */
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}

/** A diffusers `scheduler_config.json` object, snake_case keys as written. */
export type SchedulerConfig = Readonly<Record<string, unknown>>;

export type SchedulerFactory = (config: SchedulerConfig) => Scheduler;
