import type { ResolvedGenerationRequest } from "@sdgate/shared";

/**
 * Requests that can share each UNet call: the same model, size, steps, scheduler and rng, guidance
 * on or off alike (a guided image is two rows), and no input image (img2img and inpainting start
 * from their own latents at their own timestep), and no hires second pass (it runs at its own size,
 * and its time would skew the step times measured for the first pass's). `null`: the request runs
 * alone.
 */
export function batchKey(request: ResolvedGenerationRequest): string | null {
  if (request.image !== null || request.mask !== null || request.hires !== undefined) return null;
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
