/** What one denoising step returns (diffusers' `EulerDiscreteSchedulerOutput`). */
export interface SchedulerStepResult {
  /** The sample for the next timestep (`prev_sample`). */
  prevSample: Float32Array;
  /** The model's estimate of the clean sample (`pred_original_sample`). */
  predOriginalSample: Float32Array;
}

/**
 * A diffusion sampler, the small surface diffusers' pipelines use of their schedulers. Calls go in
 * pipeline order: `setTimesteps`, then per timestep `scaleModelInput` and `step`; like diffusers, the
 * scheduler finds its position from the first timestep it is given and then advances one per `step`.
 */
export interface Scheduler {
  /** The registry name, e.g. `"euler"`. */
  readonly name: string;
  /** The model timesteps of the current schedule, first (noisiest) first. */
  readonly timesteps: Float32Array;
  /** The noise levels, one per timestep plus the final one. */
  readonly sigmas: Float32Array;
  /** What standard-normal starting noise is multiplied by. */
  readonly initNoiseSigma: number;
  setTimesteps(steps: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  step(modelOutput: Float32Array, timestep: number, sample: Float32Array): SchedulerStepResult;
}

/** A diffusers `scheduler_config.json` object, snake_case keys as written. */
export type SchedulerConfig = Readonly<Record<string, unknown>>;

export type SchedulerFactory = (config: SchedulerConfig) => Scheduler;
