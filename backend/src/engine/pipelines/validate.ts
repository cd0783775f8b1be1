import {
  MASKED_CONTENTS,
  MAX_PROMPT_NESTING,
  type MaskedContent,
  outputSize,
  promptNestingDepth,
  SIZE_CONDITIONING_FIELDS,
  type SizeConditioning,
  sizeConditioningSchema,
  stepsRun,
} from "@sdgate/shared";
import { checkControlUnits } from "../control/check-control-units.ts";
import type { ControlNetUnit } from "../control/control-unit.ts";
import { InvalidArgumentError } from "../errors.ts";
import { RNG_NAMES } from "../rng/torch-generator.ts";
import { resolveSchedulerName, SCHEDULER_NAMES } from "../schedulers/index.ts";
import type { GenerationRequest, RgbImage, RngName, Seed } from "../types.ts";
import { type AestheticScores, resolveAestheticScores } from "./aesthetic-score.ts";
import type { HiresPass } from "./hires.ts";

/** What a loaded model allows; the request is checked against it before any work. */
export interface ModelLimits {
  /** Largest width or height, in pixels. */
  maxSidePx: number;
  /** The only size an export with fixed spatial dimensions accepts. */
  fixedSize: { width: number; height: number } | undefined;
  /** `num_train_timesteps`: no schedule has more steps. */
  maxSteps: number;
  /** The folder has a VAE encoder (needed for `image`). */
  canEncodeImages: boolean;
  defaultScheduler: string;
  /** The largest clip skip the text encoder allows (1: none, its export has no hidden states). */
  maxClipSkip: number;
  /** The UNet takes SDXL's `time_ids` (size and crop conditioning). */
  takesSizeConditioning: boolean;
  /** SDXL refiner: its `time_ids` end with an aesthetic score. */
  takesAestheticScore: boolean;
}

export type Task = "txt2img" | "img2img" | "inpaint";

export interface ResolvedRequest<S extends Seed> {
  task: Task;
  prompt: string;
  negativePrompt: string;
  width: number;
  height: number;
  steps: number;
  guidanceScale: number;
  /** One per image: seed, seed + 1, … */
  seeds: S[];
  n: number;
  /** The canonical scheduler name. */
  scheduler: string;
  rng: RngName;
  image: RgbImage | undefined;
  mask: RgbImage | undefined;
  /** "original" without a mask. */
  inpaintingFill: MaskedContent;
  /** null for txt2img. */
  strength: number | null;
  /** 1: CLIP's last layer. */
  clipSkip: number;
  /** A second pass at a larger size (txt2img only). */
  hires: HiresPass | undefined;
  /** SDXL's size and crop conditioning as given; the defaults are applied where `time_ids` are made. */
  sizeConditioning: SizeConditioning | undefined;
  /** The refiner's aesthetic scores (defaults applied); undefined for other models. */
  aestheticScores: AestheticScores | undefined;
  /** The registry version the request names, for the image's recipe. */
  modelVersion: { version: string; digest: string } | undefined;
  /** Checked by `checkControlUnits`; absent without units. */
  controlNet?: readonly ControlNetUnit[];
  /** The LoRAs applied, for the image's text and recipe (the components carry their adapters). */
  loras: readonly { name: string; digest: string; weight: number }[];
}

const MAX_IMAGES = 16;
const MAX_SEED = 2n ** 64n - 1n;
/** diffusers' defaults: `StableDiffusionImg2ImgPipeline` 0.8, `StableDiffusionInpaintPipeline` 1.0. */
const DEFAULT_IMG2IMG_STRENGTH = 0.8;
const DEFAULT_INPAINT_STRENGTH = 1;

/**
 * Check a request the way diffusers' `check_inputs` does, and more (every field, before any work),
 * naming the bad argument and its value; fill in the defaults.
 */
export function resolveRequest<S extends Seed>(
  request: GenerationRequest<S>,
  limits: ModelLimits,
): ResolvedRequest<S> {
  const { prompt, width, height, steps, guidanceScale } = request;
  const negativePrompt = request.negativePrompt ?? "";
  const n = request.n ?? 1;
  if (typeof prompt !== "string") throw new InvalidArgumentError("prompt", prompt, "has to be a string");
  if (typeof negativePrompt !== "string") {
    throw new InvalidArgumentError("negativePrompt", negativePrompt, "has to be a string");
  }
  // Before any work, as a bad argument naming its field; the prompt parsers would throw PromptNestingError.
  for (const [param, text] of [
    ["prompt", prompt],
    ["negativePrompt", negativePrompt],
  ] as const) {
    const depth = promptNestingDepth(text);
    if (depth > MAX_PROMPT_NESTING)
      throw new InvalidArgumentError(
        param,
        `${depth} deep`,
        `has to nest ( and [ at most ${MAX_PROMPT_NESTING} deep`,
      );
  }
  checkSize(width, height, limits);
  if (!Number.isInteger(steps) || steps < 1 || steps > limits.maxSteps) {
    throw new InvalidArgumentError("steps", steps, `has to be an integer from 1 to ${limits.maxSteps}`);
  }
  if (typeof guidanceScale !== "number" || !Number.isFinite(guidanceScale)) {
    throw new InvalidArgumentError("guidanceScale", guidanceScale, "has to be a finite number");
  }
  if (!Number.isInteger(n) || n < 1 || n > MAX_IMAGES) {
    throw new InvalidArgumentError("n", n, `has to be an integer from 1 to ${MAX_IMAGES}`);
  }
  const seeds = resolveSeeds(request.seed, n);
  const requested = request.scheduler ?? limits.defaultScheduler;
  const scheduler = typeof requested === "string" ? resolveSchedulerName(requested) : null;
  if (scheduler === null) {
    throw new InvalidArgumentError(
      "scheduler",
      requested,
      `has to be one of ${SCHEDULER_NAMES.join(", ")} (or an A1111/ComfyUI name)`,
    );
  }
  const clipSkip = request.clipSkip ?? 1;
  if (!Number.isInteger(clipSkip) || clipSkip < 1 || clipSkip > limits.maxClipSkip) {
    throw new InvalidArgumentError(
      "clipSkip",
      clipSkip,
      limits.maxClipSkip === 1
        ? "has to be 1 for this model (its text encoder export gives no per-layer hidden states, or it is SDXL, which already uses the layer before the last)"
        : `has to be an integer from 1 to ${limits.maxClipSkip}`,
    );
  }
  const rng = request.rng ?? "torch_cpu";
  if (!(RNG_NAMES as readonly string[]).includes(rng))
    throw new InvalidArgumentError("rng", rng, `has to be one of ${RNG_NAMES.join(", ")}`);

  const { image, mask } = request;
  const inpaintingFill = request.inpaintingFill ?? "original";
  if (!(MASKED_CONTENTS as readonly string[]).includes(inpaintingFill))
    throw new InvalidArgumentError(
      "inpaintingFill",
      inpaintingFill,
      `has to be one of ${MASKED_CONTENTS.join(", ")}`,
    );
  if (mask === undefined && inpaintingFill !== "original")
    throw new InvalidArgumentError("inpaintingFill", inpaintingFill, "applies only with a `mask`");
  const hires = resolveHires(request, limits);
  const sizeConditioning = resolveSizeConditioning(request.sizeConditioning, limits);
  if (hires !== undefined && image !== undefined)
    throw new InvalidArgumentError(
      "hires.scale",
      request.hires?.scale,
      "applies to text-to-image only, not with an `image`",
    );
  // Every task's settings; the task and its strength are decided below.
  const settings = {
    prompt,
    negativePrompt,
    width,
    height,
    steps,
    guidanceScale,
    seeds,
    n,
    scheduler,
    rng,
    image,
    mask,
    inpaintingFill,
    clipSkip,
    hires,
    sizeConditioning,
    aestheticScores: resolveAestheticScores(request, limits.takesAestheticScore),
    modelVersion: request.modelVersion,
    ...controlUnits(checkControlUnits(request.controlNet, width, height)),
    loras: (request.lora ?? []).map(({ name, digest, weight }) => ({ name, digest, weight })),
  };
  if (image === undefined) {
    if (mask !== undefined)
      throw new InvalidArgumentError("mask", describeImage(mask), "needs an `image` to inpaint");
    if (request.strength !== undefined) {
      throw new InvalidArgumentError("strength", request.strength, "applies only with an `image`");
    }
    return { task: "txt2img", ...settings, strength: null };
  }
  if (!limits.canEncodeImages) {
    throw new InvalidArgumentError(
      "image",
      describeImage(image),
      "needs a model folder with vae_encoder/model.onnx",
    );
  }
  checkImage("image", image, width, height);
  if (mask !== undefined) checkImage("mask", mask, width, height);
  const strength =
    request.strength ?? (mask === undefined ? DEFAULT_IMG2IMG_STRENGTH : DEFAULT_INPAINT_STRENGTH);
  if (typeof strength !== "number" || !(strength > 0 && strength <= 1)) {
    throw new InvalidArgumentError("strength", strength, "has to be in (0, 1]");
  }
  // diffusers' get_timesteps leaving no denoising step is an error there too.
  if (stepsRun(steps, strength) < 1) {
    throw new InvalidArgumentError(
      "strength",
      strength,
      `leaves no denoising step with ${steps} steps (steps × strength < 1)`,
    );
  }
  const task: Task = mask === undefined ? "img2img" : "inpaint";
  return { task, ...settings, strength };
}

/** Hires. fix's defaults, as A1111's: a denoising strength of 0.7, the first pass's step count. */
const DEFAULT_HIRES_STRENGTH = 0.7;
const MAX_HIRES_SCALE = 4;

function resolveHires<S extends Seed>(
  request: GenerationRequest<S>,
  limits: ModelLimits,
): HiresPass | undefined {
  if (request.hires === undefined) return undefined;
  const { scale } = request.hires;
  if (typeof scale !== "number" || !(scale > 1 && scale <= MAX_HIRES_SCALE))
    throw new InvalidArgumentError("hires.scale", scale, `has to be above 1 and at most ${MAX_HIRES_SCALE}`);
  if (limits.fixedSize !== undefined)
    throw new InvalidArgumentError("hires.scale", scale, "needs a model whose export takes any size");
  const steps = request.hires.steps ?? request.steps;
  if (!Number.isInteger(steps) || steps < 1 || steps > limits.maxSteps)
    throw new InvalidArgumentError("hires.steps", steps, `has to be an integer from 1 to ${limits.maxSteps}`);
  const strength = request.hires.strength ?? DEFAULT_HIRES_STRENGTH;
  if (typeof strength !== "number" || !(strength > 0 && strength <= 1))
    throw new InvalidArgumentError("hires.strength", strength, "has to be in (0, 1]");
  if (stepsRun(steps, strength) < 1)
    throw new InvalidArgumentError(
      "hires.strength",
      strength,
      `leaves no step of ${steps} (steps × strength < 1)`,
    );
  const pass = { scale, steps, strength };
  const { width, height } = outputSize({ width: request.width, height: request.height, hires: pass });
  if (width > limits.maxSidePx || height > limits.maxSidePx)
    throw new InvalidArgumentError(
      "hires.scale",
      scale,
      `makes ${width}×${height}, past this model's ${limits.maxSidePx} pixels a side`,
    );
  return { ...pass, width, height };
}

/**
 * SDXL's size and crop conditioning, checked field by field (the engine is a library: its callers
 * need not have gone through the API's schema); a model whose UNet takes no `time_ids` refuses it.
 */
function resolveSizeConditioning(
  given: SizeConditioning | undefined,
  limits: ModelLimits,
): SizeConditioning | undefined {
  if (given === undefined) return undefined;
  const field = SIZE_CONDITIONING_FIELDS.find((name) => given[name] !== undefined);
  if (field === undefined) return undefined;
  if (!limits.takesSizeConditioning)
    throw new InvalidArgumentError(
      field,
      JSON.stringify(given[field]),
      "applies only to SDXL models (their UNet takes size and crop conditioning)",
    );
  const parsed = sizeConditioningSchema.safeParse(given);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.map(String).join(".") || field;
    throw new InvalidArgumentError(param, JSON.stringify(given[field]), issue?.message ?? "is not valid");
  }
  return parsed.data;
}

function checkSize(width: unknown, height: unknown, limits: ModelLimits): void {
  for (const [param, value] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (typeof value !== "number" || !Number.isInteger(value) || value <= 0 || value % 8 !== 0) {
      throw new InvalidArgumentError(param, value, "has to be a positive multiple of 8");
    }
    const fixed = limits.fixedSize?.[param];
    if (fixed !== undefined && value !== fixed) {
      throw new InvalidArgumentError(param, value, `has to be ${fixed} (this model's export fixes its size)`);
    }
    if (value > limits.maxSidePx) {
      throw new InvalidArgumentError(param, value, `has to be at most ${limits.maxSidePx} for this model`);
    }
  }
}

function resolveSeeds<S extends Seed>(seed: S, n: number): S[] {
  if (typeof seed === "bigint") {
    if (seed < 0n || seed > MAX_SEED)
      throw new InvalidArgumentError("seed", seed, "has to be an integer from 0 to 2^64 − 1");
    if (seed + BigInt(n - 1) > MAX_SEED)
      throw new InvalidArgumentError("seed", seed, `leaves no room for ${n} seeds below 2^64`);
    return Array.from({ length: n }, (_, i) => (seed + BigInt(i)) as S);
  }
  if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
    throw new InvalidArgumentError("seed", seed, "has to be a non-negative integer (a bigint above 2^53)");
  }
  if (!Number.isSafeInteger(seed + n - 1)) {
    throw new InvalidArgumentError("seed", seed, `leaves no room for ${n} seeds below 2^53 (pass a bigint)`);
  }
  return Array.from({ length: n }, (_, i) => (seed + i) as S);
}

function checkImage(param: "image" | "mask", image: RgbImage, width: number, height: number): void {
  if (typeof image !== "object" || image === null || !(image.rgb instanceof Uint8Array)) {
    throw new InvalidArgumentError(param, image, "has to be { rgb: Uint8Array, width, height }");
  }
  if (image.width !== width || image.height !== height) {
    throw new InvalidArgumentError(
      param,
      describeImage(image),
      `has to be ${width}×${height} (the requested size)`,
    );
  }
  if (image.rgb.length !== width * height * 3) {
    throw new InvalidArgumentError(
      param,
      `${image.rgb.length} bytes`,
      `has to hold ${width}×${height}×3 RGB bytes`,
    );
  }
}

function describeImage(image: RgbImage): string {
  return `${image.width}×${image.height}`;
}

function controlUnits(units: readonly ControlNetUnit[] | undefined): {
  controlNet?: readonly ControlNetUnit[];
} {
  return units === undefined ? {} : { controlNet: units };
}
