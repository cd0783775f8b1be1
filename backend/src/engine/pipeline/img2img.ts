/**
 * Where an image-to-image run starts in the schedule: diffusers'
 * `StableDiffusionImg2ImgPipeline.get_timesteps`. `int(steps × strength)` steps are denoised, from
 * index `(steps − those) × order` of the scheduler's timesteps (also its `set_begin_index`).
 */
export function strengthSchedule(
  steps: number,
  strength: number,
  order: number,
): { beginIndex: number; steps: number } {
  const initSteps = Math.min(Math.trunc(steps * strength), steps);
  const start = Math.max(steps - initSteps, 0);
  return { beginIndex: start * order, steps: steps - start };
}
