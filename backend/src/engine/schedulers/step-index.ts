const { fround } = Math;

/**
 * diffusers' `_step_index` / `_begin_index` bookkeeping: the first `scale_model_input` or `step` finds
 * its timestep in the schedule (or starts at the begin index set for img2img), then each `step`
 * advances by one.
 */
export class StepIndex {
  #stepIndex: number | undefined;
  #beginIndex: number | undefined;
  /** DPM-Solver starts at the last index for a timestep not in the schedule; the others refuse it. */
  readonly #fallBackToLast: boolean;

  constructor(options: { fallBackToLast: boolean }) {
    this.#fallBackToLast = options.fallBackToLast;
  }

  get stepIndex(): number | undefined {
    return this.#stepIndex;
  }

  get beginIndex(): number | undefined {
    return this.#beginIndex;
  }

  /** After `set_timesteps`: both indices unset. */
  reset(): void {
    this.#stepIndex = undefined;
    this.#beginIndex = undefined;
  }

  setBeginIndex(index: number): void {
    this.#beginIndex = index;
  }

  /** `_init_step_index` on first use, then the running index. */
  current(timesteps: Float32Array, timestep: number): number {
    this.#stepIndex ??= this.#beginIndex ?? this.indexForTimestep(timesteps, timestep);
    return this.#stepIndex;
  }

  advance(): void {
    if (this.#stepIndex !== undefined) this.#stepIndex += 1;
  }

  /**
   * `index_for_timestep`: with a repeated timestep the second occurrence, so that img2img starting
   * mid-schedule does not skip a sigma.
   */
  indexForTimestep(timesteps: Float32Array, timestep: number): number {
    const matches: number[] = [];
    const wanted = fround(timestep);
    timesteps.forEach((t, i) => {
      if (t === wanted) matches.push(i);
    });
    const index = matches.length > 1 ? matches[1] : matches[0];
    if (index !== undefined) return index;
    if (this.#fallBackToLast) return timesteps.length - 1;
    throw new RangeError(`timestep ${timestep} is not in the scheduler's schedule`);
  }

  /**
   * `add_noise`'s index: found by timestep when no begin index is set (training), the running index
   * after the first step (inpainting), else the begin index (img2img's initial latents).
   */
  forAddNoise(timesteps: Float32Array, timestep: number): number {
    if (this.#beginIndex === undefined) return this.indexForTimestep(timesteps, timestep);
    return this.#stepIndex ?? this.#beginIndex;
  }
}
