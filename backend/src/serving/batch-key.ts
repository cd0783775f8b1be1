import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { isComposable } from "../engine/prompt/composable.ts";
import { isScheduled } from "../engine/prompt/prompt-schedule.ts";

/**
 * Requests that can share each UNet call: the same model, size, steps, scheduler and rng, guidance
 * on or off alike (a guided image is two rows), and no input image (img2img and inpainting start
 * from their own latents at their own timestep), no hires second pass (it runs at its own size, and
 * its time would skew the step times measured for the first pass's), and a prompt without editing,
 * alternation or AND (the engine runs those alone: their conditioning changes between steps or takes
 * rows of its own). `null`: the request runs alone.
 */
export function batchKey(request: ResolvedGenerationRequest): string | null {
  if (request.image !== null || request.mask !== null || request.hires !== undefined) return null;
  const { prompt, negative_prompt: negative, steps } = request;
  if (isScheduled(prompt, steps) || isScheduled(negative, steps) || isComposable(prompt)) return null;
  const guided = request.guidance_scale > 1;
  return [
    request.model,
    request.width,
    request.height,
    request.steps,
    request.scheduler,
    request.rng,
    guided,
  ].join("|");
}
