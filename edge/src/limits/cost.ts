import {
  controlNetPixelSteps,
  type ModelArchitecture,
  type ResolvedGenerationRequest,
  refinerStepsRun,
  stepCostRatio,
  stepCounts,
} from "@sdgate/shared";

/**
 * One credit is {@link PIXEL_STEPS_PER_CREDIT} pixel-steps: one denoising step over a 256 × 256 image.
 * So a 512 × 512 image at 50 steps costs 200 credits and a 1024 × 1024 one at 30 steps costs 480.
 */
export const PIXEL_STEPS_PER_CREDIT = 256 * 256;

/**
 * Base64 characters of an input image (`image`, `mask`) per credit: 256 Ki, about 192 KiB of PNG,
 * JPEG or WebP. The backend decodes input images on its CPUs as a request arrives (sharp, about
 * 50–100 ms per million characters on one core), work the edge cannot measure in advance: a Worker
 * cannot decode, and the base64 length is what it has. The backend refuses images that declare more
 * than 4096 × 4096 pixels from their header, so the pixels decoded per character stay bounded.
 */
export const INPUT_IMAGE_CHARS_PER_CREDIT = 256 * 1024;

/**
 * The credits for decoding a request's input images (`image`, `mask` and each ControlNet unit's
 * `image`): each image's base64 length, rounded up, so at least 1 per image.
 */
export function inputImageCredits(
  request: Pick<ResolvedGenerationRequest, "image" | "mask"> &
    Partial<Pick<ResolvedGenerationRequest, "controlnet">>,
): number {
  let credits = 0;
  for (const input of [
    request.image,
    request.mask,
    ...(request.controlnet ?? []).map((unit) => unit.image),
  ]) {
    if (input !== null) credits += Math.ceil(input.length / INPUT_IMAGE_CHARS_PER_CREDIT);
  }
  return credits;
}

/**
 * The credits a generation is expected to cost: the contract's `stepCounts(request).pixelSteps` (every
 * image, each pass at its size, img2img's and hires' steps as the engine runs them) × `modelFactor`, in
 * credits, rounded up, at least 1; ControlNet units add their calls' pixel-steps (`controlNetPixelSteps`:
 * each active unit-step at `CONTROLNET_STEP_COST` of a UNet step); input images add {@link inputImageCredits} (not scaled by the model:
 * decoding is the same for any). It is reserved before the job runs; the settled cost may differ.
 * `modelFactor` scales for models that cost more per pixel-step than SD 1.5 ({@link modelCredits}).
 *
 * @example
 * const admission = await admit(c, estimateCost(resolved, 1));
 */
export function estimateCost(request: ResolvedGenerationRequest, modelFactor = 1): number {
  if (!Number.isFinite(modelFactor) || modelFactor <= 0) {
    throw new RangeError(`estimateCost: modelFactor must be a positive number, got ${modelFactor}.`);
  }
  const pixelSteps = (stepCounts(request).pixelSteps + controlNetPixelSteps(request)) * modelFactor;
  return Math.max(1, Math.ceil(pixelSteps / PIXEL_STEPS_PER_CREDIT)) + inputImageCredits(request);
}

/**
 * The credits a request on a model of `architecture` reserves and is charged: {@link estimateCost}
 * with the pixel-steps scaled by the shared rate table's step cost against SD 1.5's
 * (`stepCostRatio`: about 2.1 for SDXL, 1 for SD 1.x and 2.x); a refiner's steps at its own.
 *
 * @example
 * const credits = modelCredits(resolved, served.info.architecture);
 */
export function modelCredits(request: ResolvedGenerationRequest, architecture: ModelArchitecture): number {
  return estimateCost(request, modelFactorOf(request, architecture));
}

/**
 * The model's step cost, or with a refiner the mean of the base's and the refiner's weighted by the
 * steps each runs (`refinerStepsRun`): a request with a refiner runs one pass at one size, so its
 * pixel-steps split as its steps do.
 */
function modelFactorOf(request: ResolvedGenerationRequest, architecture: ModelArchitecture): number {
  const refinerSteps = refinerStepsRun(request);
  const base = stepCostRatio(architecture);
  if (refinerSteps === 0) return base;
  const share = refinerSteps / stepCounts(request).stepsPerImage;
  return base + share * (stepCostRatio("sdxl-refiner") - base);
}
