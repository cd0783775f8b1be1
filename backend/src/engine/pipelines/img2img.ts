import { stepsRun } from "@sdgate/shared";

/**
 * Where an image-to-image run starts in the schedule: diffusers'
 * `StableDiffusionImg2ImgPipeline.get_timesteps`. The contract's {@link stepsRun} steps are denoised,
 * from index `(steps − those) × order` of the scheduler's timesteps (also its `set_begin_index`);
 * pricing and estimates count the same steps.
 */
export function strengthSchedule(
  steps: number,
  strength: number,
  order: number,
): { beginIndex: number; steps: number } {
  const run = stepsRun(steps, strength);
  return { beginIndex: (steps - run) * order, steps: run };
}
