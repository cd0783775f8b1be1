import { InvalidArgumentError } from "../errors.ts";
import type { GenerationRequest, Seed } from "../types.ts";
import { resolveAestheticScores } from "./aesthetic-score.ts";
import { encodeConditioningSchedule, type ScheduledConditioning } from "./conditioning-schedule.ts";
import { type DenoiseRequest, denoise } from "./denoise.ts";
import type { PipelineComponents } from "./generate.ts";
import type { ModelIdentity } from "./recipe.ts";
import { checkRefinerSwitch, type RefinerSwitchBy, refinerSwitchStep } from "./refiner-switch.ts";
import { conditioningRequestOf } from "./text-conditioning.ts";
import type { ResolvedRequest } from "./validate.ts";

/** The refiner as `generate` is given it: a loaded model's parts and A1111's switch setting. */
export interface RefinerOption {
  components: PipelineComponents;
  switchAt: unknown;
  switchBy?: unknown;
}

/** A refiner ready to take over: its prompts encoded for every step of the run. */
export interface RefinerRun {
  components: PipelineComponents;
  switchAt: number;
  switchBy: RefinerSwitchBy;
  conditioning: readonly ScheduledConditioning[];
}

/** What an image's infotext and recipe say of the refiner. */
export interface RefinerIdentity {
  model: ModelIdentity;
  switchAt: number;
  switchBy: RefinerSwitchBy;
  /** The refiner ran at least one step (A1111 writes `Refiner` only once it switched). */
  switched: boolean;
  /** The aesthetic scores the request gave (each absent: diffusers' default), for the recipe. */
  aestheticScore?: number | undefined;
  negativeAestheticScore?: number | undefined;
}

/**
 * Check the refiner against the base and the request, and encode the request's prompts with the
 * refiner's own text encoder(s) (its aesthetic scores from the request), as A1111 conditions the
 * model it swaps in on the same prompts.
 */
export async function prepareRefiner<S extends Seed>(
  option: RefinerOption,
  base: PipelineComponents,
  resolved: ResolvedRequest<S>,
  request: GenerationRequest<S>,
): Promise<RefinerRun> {
  const switchBy = checkRefinerSwitch(option.switchAt, option.switchBy);
  const refiner = option.components;
  if (
    refiner.traits.architecture !== base.traits.architecture ||
    refiner.latentChannels !== base.latentChannels ||
    refiner.traits.inpainting
  )
    throw new InvalidArgumentError(
      "refiner.pipeline",
      refiner.model.family,
      `has to denoise ${base.model.family}'s latents (same architecture, not inpainting)`,
    );
  const unsupported = [
    ["hires.scale", resolved.hires?.scale],
    ["mask", resolved.mask === undefined ? undefined : "an image"],
    ["controlNet", resolved.controlNet === undefined ? undefined : `${resolved.controlNet.length} units`],
  ] as const;
  for (const [param, value] of unsupported)
    if (value !== undefined) throw new InvalidArgumentError(param, value, "does not run with a refiner yet");
  const { entries } = await encodeConditioningSchedule(
    refiner.text,
    {
      ...conditioningRequestOf(refiner.text, resolved),
      aestheticScores: resolveAestheticScores(request, refiner.limits.takesAestheticScore),
    },
    resolved.steps,
  );
  return { components: refiner, switchAt: option.switchAt as number, switchBy, conditioning: entries };
}

/**
 * A1111's "Refiner switch at": the base denoises steps [0, k), then the refiner's UNet steps
 * [k, n) from the latents reached, on the same scheduler instance and generator (the sampler runs
 * on; only the model changes). `refined` says whether the refiner ran a step (its VAE decodes then).
 */
export async function denoiseWithRefiner(
  request: DenoiseRequest,
  refiner: RefinerRun,
): Promise<{ latents: Float32Array; refined: boolean }> {
  const k = refinerSwitchStep(request.timesteps, refiner.switchAt, refiner.switchBy);
  const reached = await denoise({ ...request, timesteps: request.timesteps.subarray(0, k) });
  if (k === request.timesteps.length) return { latents: reached, refined: false };
  const latents = await denoise({
    ...request,
    unet: refiner.components.unet,
    timesteps: request.timesteps.subarray(k),
    start: { latents: reached },
    conditioning: refiner.conditioning,
    firstStep: (request.firstStep ?? 0) + k,
    afterStep: (done) => request.afterStep(k + done),
  });
  return { latents, refined: true };
}
