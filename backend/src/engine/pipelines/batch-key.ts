import type { ResolvedGenerationRequest } from "@sdgate/shared";
import { loraSetKey } from "../lora/lora-set.ts";
import { isComposable } from "../prompt/composable.ts";
import { isScheduled } from "../prompt/prompt-schedule.ts";

/** A request's fields that decide whether it can share UNet calls, as the engine and the API both have them. */
interface BatchShape {
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  /** Canonical: the API's names are, and so are the engine's once resolved. */
  scheduler: string;
  rng: string;
  /** Present (neither `undefined` nor `null`): the request runs alone. */
  image: unknown;
  mask: unknown;
  hires: unknown;
  /** ControlNet units: each request's own maps and residuals, so it runs alone. */
  controlNet?: unknown;
}

const present = (value: unknown) => value !== undefined && value !== null;

/**
 * Images can share each UNet call when they agree on size, steps, scheduler and rng, and on guidance
 * on or off (a guided image is two rows). A request runs alone (`null`) when it has an input image
 * (img2img and inpainting start from their own latents at their own timestep), a hires second pass
 * (at its own size, and its time would skew the step times measured for the first pass), ControlNet
 * units (each request's own maps, and a ControlNet call per unit and step), or a prompt
 * whose conditioning changes between steps (editing, alternation) or takes rows of its own (AND).
 */
export function shapeKey(request: BatchShape): string | null {
  if (
    present(request.image) ||
    present(request.mask) ||
    present(request.hires) ||
    present(request.controlNet)
  )
    return null;
  const { prompt, negativePrompt, steps } = request;
  if (isScheduled(prompt, steps) || isScheduled(negativePrompt, steps) || isComposable(prompt)) return null;
  return [
    request.width,
    request.height,
    request.steps,
    request.scheduler,
    request.rng,
    request.guidanceScale > 1,
  ].join("|");
}

/**
 * Which requests the engine can run together, in the API's terms: requests with one key may go to
 * one `Pipeline.generateBatch` call and share each UNet call there; `null`, the request runs alone. The
 * serving queue groups jobs by it; the engine decides by the same rule, so the two cannot drift. A
 * pipeline holds one model, a backend several: the model leads the key. A LoRA set (digests and
 * weights, in any order) ends it: requests with different sets never share a UNet call.
 *
 * @example
 * batchKey(request) === batchKey(other) // may share a batch
 */
export function batchKey(request: ResolvedGenerationRequest): string | null {
  const key = shapeKey({
    prompt: request.prompt,
    negativePrompt: request.negative_prompt,
    width: request.width,
    height: request.height,
    steps: request.steps,
    guidanceScale: request.guidance_scale,
    scheduler: request.scheduler,
    rng: request.rng,
    image: request.image,
    mask: request.mask,
    hires: request.hires,
    controlNet: request.controlnet,
  });
  // A refiner's requests run alone: `generate` swaps in the refiner's UNet part-way.
  if (key === null || request.refiner !== undefined) return null;
  const loras = loraSetKey(request.lora);
  return `${request.model}|${key}${loras === "" ? "" : `|lora:${loras}`}`;
}
