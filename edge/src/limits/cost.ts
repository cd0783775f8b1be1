import { outputSize, type ResolvedGenerationRequest } from "@sdgate/shared";

/**
 * One credit is {@link PIXEL_STEPS_PER_CREDIT} pixel-steps: one denoising step over a 256 × 256 image.
 * So a 512 × 512 image at 50 steps costs 200 credits and a 1024 × 1024 one at 30 steps costs 480.
 */
export const PIXEL_STEPS_PER_CREDIT = 256 * 256;

/**
 * The credits a generation is expected to cost: `steps × width × height × n × modelFactor`, in credits,
 * rounded up, at least 1; a hires request adds its second pass's steps (`hires.steps × strength`) at
 * the final size. It is reserved before the job runs; the settled cost may differ.
 * `modelFactor` scales for models that cost more per pixel-step than SD 1.5 (e.g. 2 for SDXL).
 *
 * @example
 * const admission = await admit(c, estimateCost(resolved, 1));
 */
export function estimateCost(request: ResolvedGenerationRequest, modelFactor = 1): number {
  if (!Number.isFinite(modelFactor) || modelFactor <= 0) {
    throw new RangeError(`estimateCost: modelFactor must be a positive number, got ${modelFactor}.`);
  }
  let pixelSteps = request.steps * request.width * request.height;
  if (request.hires !== undefined) {
    // the second pass: steps × strength of its steps (as they run), at the final size
    const { width, height } = outputSize(request);
    pixelSteps += Math.trunc(request.hires.steps * request.hires.strength) * width * height;
  }
  pixelSteps *= request.n * modelFactor;
  return Math.max(1, Math.ceil(pixelSteps / PIXEL_STEPS_PER_CREDIT));
}
