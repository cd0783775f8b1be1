import {
  DpmSolverMultistepScheduler,
  EulerAncestralDiscreteScheduler,
  LcmScheduler,
  type NoiseGenerator,
  type Scheduler,
} from "../schedulers/index.ts";
import { drawNoise } from "../schedulers/noise.ts";

/**
 * Whether the host scheduler's `step` at `index` draws from the generator. A draw can be scaled by 0
 * (Euler a's last step, σ_up = 0) and still count: it advances the generator.
 */
export function drawsNoiseAt(scheduler: Scheduler, index: number): boolean {
  if (scheduler instanceof EulerAncestralDiscreteScheduler) return true;
  if (scheduler instanceof DpmSolverMultistepScheduler)
    return scheduler.config.algorithm_type === "sde-dpmsolver++";
  // LCM adds noise between steps only, none after the last.
  if (scheduler instanceof LcmScheduler) return index !== scheduler.timesteps.length - 1;
  return false;
}

/** Whether any step from `beginIndex` on draws: only then does the device loop need a noise table. */
export function drawsStepNoise(scheduler: Scheduler, beginIndex = 0): boolean {
  for (let index = beginIndex; index < scheduler.timesteps.length; index++)
    if (drawsNoiseAt(scheduler, index)) return true;
  return false;
}

/**
 * The noise table `[steps, ...shape]` the device loop reads: step k's row is what the host
 * scheduler's `step` at `timesteps[beginIndex + k]` draws, from the same generator(s), in the same
 * order and shape (`drawNoise`, diffusers' `randn_tensor`), so that the device loop follows the host
 * loop's trajectory for the same seeds. Rows of steps that draw nothing are zero. Draw it where the
 * host loop would start stepping: nothing else may draw from the generator between the steps.
 *
 * @param shape the sample's shape, as the host loop passes it to `step` (e.g. `[1, 4, h / 8, w / 8]`).
 */
export function drawStepNoise(
  scheduler: Scheduler,
  generator: NoiseGenerator,
  shape: readonly number[],
  beginIndex = 0,
): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const steps = scheduler.timesteps.length - beginIndex;
  const table = new Float32Array(steps * count);
  for (let k = 0; k < steps; k++) {
    if (drawsNoiseAt(scheduler, beginIndex + k))
      table.set(drawNoise(scheduler.name, generator, count, shape), k * count);
  }
  return table;
}
