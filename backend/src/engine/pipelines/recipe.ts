import { controlNetInfotext, controlNetRecipe } from "../control/control-infotext.ts";
import { formatA1111Parameters } from "../image/a1111-parameters.ts";
import { a1111SamplerName } from "../schedulers/index.ts";
import type { ImageMetadata, ModelFamily, Seed } from "../types.ts";
import type { RefinerIdentity } from "./refiner-stage.ts";
import type { ResolvedRequest } from "./validate.ts";

/**
 * Bumped when the engine changes which pixels a recipe gives. 2: A1111 emphasis, BREAK and prompts
 * longer than 75 tokens (plain short prompts give the same pixels as in 1).
 */
export const ENGINE_RECIPE_VERSION = 2;

/** How A1111's infotext names each "Masked content" but "original" (which it does not write). */
const A1111_MASKED_CONTENT = {
  fill: "fill",
  latent_noise: "latent noise",
  latent_nothing: "latent nothing",
} as const;

export interface ModelIdentity {
  name: string;
  hash: string;
  family: ModelFamily;
}

/**
 * What one image's file carries: A1111's `parameters` text and sdgate's recipe, every resolved
 * parameter that decides the pixels (deterministic: no timings, so PNG bytes repeat).
 */
export function imageMetadata<S extends Seed>(
  request: ResolvedRequest<S>,
  seed: S,
  model: ModelIdentity,
  refiner?: RefinerIdentity,
): ImageMetadata {
  const parameters = formatA1111Parameters({
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    steps: request.steps,
    sampler: a1111SamplerName(request.scheduler),
    cfgScale: request.guidanceScale,
    seed,
    width: request.width,
    height: request.height,
    modelHash: model.hash,
    model: model.name,
    ...(request.strength === null ? {} : { denoisingStrength: request.strength }),
    ...(request.hires === undefined
      ? {}
      : {
          denoisingStrength: request.hires.strength,
          hires: { upscale: request.hires.scale, steps: request.hires.steps, upscaler: "Latent" },
        }),
    ...(request.clipSkip > 1 ? { clipSkip: request.clipSkip } : {}),
    ...(request.inpaintingFill === "original"
      ? {}
      : { maskedContent: A1111_MASKED_CONTENT[request.inpaintingFill] }),
    ...(request.controlNet === undefined
      ? {}
      : {
          controlNet: request.controlNet.map((unit) =>
            controlNetInfotext(unit, request.width, request.height),
          ),
        }),
    ...(request.rng === "torch_cpu" ? { rng: "CPU" as const } : {}),
    ...(request.loras.length === 0 ? {} : { loras: request.loras }),
    ...(request.sizeConditioning === undefined ? {} : { sizeConditioning: request.sizeConditioning }),
    ...(refiner === undefined
      ? {}
      : {
          refiner: {
            // A1111's checkpoint `short_title`: `name [shorthash]`, written by apply_refiner as it switches
            title: refiner.switched ? `${refiner.model.name} [${refiner.model.hash}]` : undefined,
            switchAt: refiner.switched ? refiner.switchAt : undefined,
            bySteps: refiner.switchBy === "steps",
          },
        }),
  });
  const recipe: Record<string, unknown> = {
    engine: "sdgate",
    recipeVersion: ENGINE_RECIPE_VERSION,
    task: request.task,
    model: {
      name: model.name,
      hash: model.hash,
      family: model.family,
      ...(request.modelVersion === undefined
        ? {}
        : { version: request.modelVersion.version, digest: request.modelVersion.digest }),
    },
    prompt: request.prompt,
    negativePrompt: request.negativePrompt,
    width: request.width,
    height: request.height,
    steps: request.steps,
    guidanceScale: request.guidanceScale,
    scheduler: request.scheduler,
    // JSON numbers lose integers above 2^53, so such seeds are written as strings.
    seed: typeof seed === "bigint" ? seed.toString() : seed,
    rng: request.rng,
  };
  if (request.strength !== null) recipe.strength = request.strength;
  if (request.clipSkip > 1) recipe.clipSkip = request.clipSkip;
  if (request.hires !== undefined) recipe.hires = { ...request.hires, upscaler: "latent-bilinear" };
  // as given, in the API's names (A1111's infotext has no field for them)
  if (request.sizeConditioning !== undefined) recipe.sizeConditioning = request.sizeConditioning;
  if (request.mask !== undefined) recipe.masked = true;
  if (request.inpaintingFill !== "original") recipe.inpaintingFill = request.inpaintingFill;
  if (request.controlNet !== undefined) recipe.controlNet = request.controlNet.map(controlNetRecipe);
  if (request.loras.length > 0) recipe.lora = request.loras;
  if (refiner !== undefined)
    recipe.refiner = {
      name: refiner.model.name,
      hash: refiner.model.hash,
      family: refiner.model.family,
      switchAt: refiner.switchAt,
      switchBy: refiner.switchBy,
      switched: refiner.switched,
      // as given (none: diffusers' 6 and 2.5), so an image restores the scores it was refined with
      ...(refiner.aestheticScore === undefined ? {} : { aestheticScore: refiner.aestheticScore }),
      ...(refiner.negativeAestheticScore === undefined
        ? {}
        : { negativeAestheticScore: refiner.negativeAestheticScore }),
    };
  return { parameters, recipe };
}
