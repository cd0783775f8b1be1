import { z } from "zod";
import {
  type AdapterCatalog,
  controlNetUnitRequestSchema,
  loraRequestSchema,
  MAX_CONTROLNET_UNITS,
  MAX_REQUEST_LORAS,
  NO_ADAPTERS,
  resolveControlNetUnits,
  resolvedControlNetUnitSchema,
  resolvedLoraSchema,
  resolveLoras,
} from "./adapters.ts";
import { DIGEST_PATTERN, VERSION_PATTERN } from "./model-registry.ts";
import type { ModelInfo } from "./models.ts";
import { promptNestingDepth } from "./prompt-nesting.ts";
import {
  refinerRequestFields,
  refinerRequestSchema,
  resolvedRefinerSchema,
  resolveRefiner,
} from "./refiner.ts";
import { SAFETY_ACTIONS } from "./safety.ts";
import { RNG_NAMES, resolveSchedulerName, SCHEDULER_NAMES } from "./schedulers.ts";
import { givenSizeConditioning, sizeConditioningRequestFields } from "./size-conditioning.ts";
import { stepsRun } from "./step-counts.ts";

export const OUTPUT_FORMATS = ["png", "webp", "jpeg", "avif"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const RESPONSE_FORMATS = ["b64_json", "url"] as const;

/**
 * What an inpainting run starts from under the mask (A1111's "Masked content", `inpainting_fill` 0–3):
 * the surrounding colours blurred in, the image as it is, random latents, or zero latents. In A1111's
 * order: index i is its `inpainting_fill` i.
 */
export const MASKED_CONTENTS = ["fill", "original", "latent_noise", "latent_nothing"] as const;
export type MaskedContent = (typeof MASKED_CONTENTS)[number];

/** Largest seed the JSON API carries exactly (JSON numbers are doubles). */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;
export const MAX_PROMPT_CHARS = 4000;
/**
 * How deep `(` and `[` may nest in `prompt` and `negative_prompt`, counted by `promptNestingDepth`.
 * Real prompts stay under 10 (`((((masterpiece))))` is 4), and at 64 plain `(` emphasis already weighs
 * 1.1^64 ≈ 445, far past any weight that still makes an image; the bound keeps the backend's prompt
 * parsers, which recurse once per bracket, a small fixed depth whatever the prompt.
 */
export const MAX_PROMPT_NESTING = 64;
export const MAX_IMAGES_PER_REQUEST = 10;
/** CLIP ViT-L/14 (SD 1.x) has 12 layers, OpenCLIP ViT-H (SD 2.x) 23; a model's own limit is checked by its backend. */
export const MAX_CLIP_SKIP = 23;
/** Classifier-free guidance's bounds, for a generation and for a prompt's token count alike. */
export const guidanceScaleSchema = z.number().min(0).max(30);
/** Hires. fix: the largest upscale, and A1111's default denoising strength for the second pass. */
export const MAX_HIRES_SCALE = 4;
export const DEFAULT_HIRES_STRENGTH = 0.7;
const MIN_SIDE_PX = 64;
/** Base64 characters of one input image (`image`, `mask`): about 7.5 MB of PNG. */
export const MAX_INPUT_IMAGE_CHARS = 10_000_000;
/** Largest request body either side accepts: two input images and room for the rest. */
export const MAX_REQUEST_BODY_BYTES = 2 * MAX_INPUT_IMAGE_CHARS + 1024 * 1024;
/** diffusers' img2img default. */
export const DEFAULT_STRENGTH = 0.8;

/** An input image as base64, optionally as a `data:image/…;base64,` URL. */
const inputImageSchema = z
  .string()
  .max(MAX_INPUT_IMAGE_CHARS)
  .regex(
    /^(data:image\/[a-z0-9.+-]+;base64,)?[A-Za-z0-9+/]+={0,2}$/,
    "must be a base64-encoded image or a data: URL",
  );

/** A scheduler name or one of its aliases, resolved to the canonical name. */
const schedulerSchema = z.string().transform((name, ctx) => {
  const resolved = resolveSchedulerName(name);
  if (resolved === null) {
    ctx.issues.push({
      code: "custom",
      message: `unknown scheduler '${name.slice(0, 64)}'; one of ${SCHEDULER_NAMES.join(", ")} (or an A1111/ComfyUI name)`,
      input: name,
    });
    return z.NEVER;
  }
  return resolved;
});

/** Refuses a prompt nested deeper than {@link MAX_PROMPT_NESTING}, saying how deep it went. */
export function refuseDeepNesting(payload: z.core.ParsePayload<string>): void {
  const depth = promptNestingDepth(payload.value);
  if (depth > MAX_PROMPT_NESTING)
    payload.issues.push({
      code: "custom",
      message: `must not nest ( and [ more than ${MAX_PROMPT_NESTING} deep (it nests ${depth} deep)`,
      input: payload.value,
    });
}

const sideSchema = z
  .number()
  .int()
  .min(MIN_SIDE_PX)
  .refine((px) => px % 8 === 0, "must be a multiple of 8");

/**
 * `POST /v1/images/generations`: OpenAI Images' fields (`model`, `prompt`, `n`, `size`,
 * `response_format`, `user`) plus sdgate's own. Unknown fields are rejected by name, so a typo never
 * silently falls back to a default.
 */
export const generationRequestSchema = z.strictObject({
  model: z.string().min(1).max(200).optional(),
  prompt: z.string().trim().min(1, "must not be empty").max(MAX_PROMPT_CHARS).check(refuseDeepNesting),
  negative_prompt: z.string().max(MAX_PROMPT_CHARS).check(refuseDeepNesting).optional(),
  n: z.number().int().min(1).max(MAX_IMAGES_PER_REQUEST).optional(),
  size: z
    .string()
    .regex(/^\d{2,5}x\d{2,5}$/, 'must look like "512x512"')
    .optional(),
  width: sideSchema.optional(),
  height: sideSchema.optional(),
  steps: z.number().int().min(1).optional(),
  guidance_scale: guidanceScaleSchema.optional(),
  scheduler: schedulerSchema.optional(),
  seed: z.number().int().min(0).max(MAX_SEED).optional(),
  rng: z.enum(RNG_NAMES).optional(),
  /** A1111's "Clip skip": 1 (default) conditions on CLIP's last layer, 2 on the one before, …. */
  clip_skip: z.number().int().min(1).max(MAX_CLIP_SKIP).optional(),
  /** A1111's "Hires. fix": the image made at `size`, then again at `size × hires_scale`. */
  hires_scale: z.number().gt(1).max(MAX_HIRES_SCALE).optional(),
  hires_strength: z.number().gt(0).max(1).optional(),
  hires_steps: z.number().int().min(1).optional(),
  ...sizeConditioningRequestFields,
  /**
   * A1111's "Refiner": an SDXL refiner model takes over from the (SDXL) base at `switch_at` of the run;
   * `null` or absent: none.
   */
  refiner: refinerRequestSchema.nullable().optional(),
  ...refinerRequestFields,
  image: inputImageSchema.optional(),
  strength: z.number().gt(0).max(1).optional(),
  mask: inputImageSchema.optional(),
  /** With `mask`: what the masked area starts from (default "original", the image under it). */
  inpainting_fill: z.enum(MASKED_CONTENTS).optional(),
  /** LoRAs to apply on top of the model, by registered name (also `<lora:name:weight>` in `prompt`). */
  lora: z.array(loraRequestSchema).max(MAX_REQUEST_LORAS).optional(),
  /** ControlNet units, applied together (A1111's "ControlNet Unit 0, 1, …"). */
  controlnet: z.array(controlNetUnitRequestSchema).max(MAX_CONTROLNET_UNITS).optional(),
  /** Return each ControlNet unit's processed control map with the images. */
  return_control_maps: z.boolean().optional(),
  response_format: z.enum(RESPONSE_FORMATS).optional(),
  output_format: z.enum(OUTPUT_FORMATS).optional(),
  output_quality: z.number().int().min(1).max(100).optional(),
  user: z.string().max(256).optional(),
});
export type GenerationRequest = z.infer<typeof generationRequestSchema>;

/**
 * A request with every default applied and its seed fixed: what the backend runs and what the cache
 * key is computed from. Field names follow the public API.
 */
export const resolvedGenerationRequestSchema = z.strictObject({
  model: z.string().min(1),
  prompt: z.string().min(1).max(MAX_PROMPT_CHARS).check(refuseDeepNesting),
  negative_prompt: z.string().max(MAX_PROMPT_CHARS).check(refuseDeepNesting),
  n: z.number().int().min(1).max(MAX_IMAGES_PER_REQUEST),
  width: sideSchema,
  height: sideSchema,
  steps: z.number().int().min(1),
  guidance_scale: guidanceScaleSchema,
  scheduler: z.enum(SCHEDULER_NAMES),
  seed: z.number().int().min(0).max(MAX_SEED),
  rng: z.enum(RNG_NAMES),
  /**
   * Present only above 1: the default leaves it out, so requests made before the field existed keep
   * their canonical form, their cache keys, and backends that predate it keep accepting them.
   */
  clip_skip: z.number().int().min(2).max(MAX_CLIP_SKIP).optional(),
  /**
   * Present only with `hires_scale`: the second pass at `width × scale` × `height × scale` (down to
   * multiples of 8), from `strength` of `steps` steps.
   */
  hires: z
    .strictObject({
      scale: z.number().gt(1).max(MAX_HIRES_SCALE),
      strength: z.number().gt(0).max(1),
      steps: z.number().int().min(1),
    })
    .optional(),
  /**
   * SDXL's size and crop conditioning, each present only when the request gave it: requests without
   * them keep their canonical form and cache keys. The engine applies diffusers' defaults and refuses
   * them for a model that is not SDXL.
   */
  ...sizeConditioningRequestFields,
  /** Present only with a refiner: its model, where it takes over, and (registry) its version. */
  refiner: resolvedRefinerSchema.optional(),
  /**
   * Present only where an SDXL refiner runs (a `refiner`, or a refiner as the model), with diffusers'
   * defaults (6, 2.5) applied: requests without one keep their canonical form and cache keys.
   */
  ...refinerRequestFields,
  /** img2img / inpainting input, base64; resized to width × height by the backend. */
  image: inputImageSchema.nullable(),
  strength: z.number().gt(0).max(1).nullable(),
  /** Inpainting mask, base64; white is repainted. */
  mask: inputImageSchema.nullable(),
  /**
   * Present only with a mask and other than "original": requests made before the field existed keep
   * their canonical form and cache keys, and backends that predate it keep accepting them.
   */
  inpainting_fill: z.enum(MASKED_CONTENTS).exclude(["original"]).optional(),
  output_format: z.enum(OUTPUT_FORMATS),
  output_quality: z.number().int().min(1).max(100).nullable(),
  /**
   * Present only for a model the registry governs (issue 16): the version the request's model, alias
   * or pin resolved to. A backend runs it only if it holds files with this digest; the digest is part
   * of the canonical request, so two versions never share a cached image.
   */
  model_version: z
    .strictObject({
      version: z.string().regex(VERSION_PATTERN),
      digest: z.string().regex(DIGEST_PATTERN),
    })
    .optional(),
  /** Present only when the model's policy enables the output safety check: what a flagged image becomes. */
  safety_check: z.enum(SAFETY_ACTIONS).optional(),
  /**
   * Present only when the request applies LoRAs: those of `lora` then those the prompt's
   * `<lora:…>` tags name, each resolved to its file's digest. The prompt keeps its tags (they are
   * part of the recipe); the engine leaves them out of the text it encodes.
   */
  lora: z.array(resolvedLoraSchema).min(1).max(MAX_REQUEST_LORAS).optional(),
  /** Present only with ControlNet units, each with its defaults applied and its model's digest. */
  controlnet: z.array(resolvedControlNetUnitSchema).min(1).max(MAX_CONTROLNET_UNITS).optional(),
  /** Present only when asked for: the response carries each unit's control map. */
  return_control_maps: z.literal(true).optional(),
});
export type ResolvedGenerationRequest = z.infer<typeof resolvedGenerationRequestSchema>;

/** A field-level problem with a request: what the 400 says. */
export interface RequestProblem {
  param: string | null;
  message: string;
}

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** Turns a zod failure into one problem naming the first offending field, e.g. `width: must be a multiple of 8`. */
export function problemFromZod(error: z.ZodError): RequestProblem {
  const issue = error.issues[0];
  if (!issue) return { param: null, message: "Invalid request." };
  if (issue.code === "unrecognized_keys") {
    // a nested object's key by its path (`refiner.strength`), as other issues name theirs
    const key = [...issue.path.map(String), issue.keys[0] ?? ""].join(".");
    return { param: key, message: `Unknown field '${key}'.` };
  }
  const param = issue.path.length > 0 ? issue.path.map(String).join(".") : null;
  const message = param ? `Invalid '${param}': ${issue.message}.` : `Invalid request: ${issue.message}.`;
  return { param, message };
}

export function parseGenerationRequest(body: unknown): Result<GenerationRequest, RequestProblem> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, error: { param: null, message: "The request body must be a JSON object." } };
  }
  const parsed = generationRequestSchema.safeParse(body);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, error: problemFromZod(parsed.error) };
}

function parseSize(size: string): { width: number; height: number } {
  const [width, height] = size.split("x").map(Number);
  return { width: width ?? 0, height: height ?? 0 };
}

/**
 * The size of the images a resolved request makes: its own, or with hires the first pass's × scale,
 * down to multiples of 8.
 *
 * @example
 * outputSize({ width: 512, height: 768, hires: { scale: 1.5, strength: 0.7, steps: 30 } }) // { width: 768, height: 1152 }
 */
export function outputSize(request: Pick<ResolvedGenerationRequest, "width" | "height" | "hires">): {
  width: number;
  height: number;
} {
  if (request.hires === undefined) return { width: request.width, height: request.height };
  const side = (px: number) => Math.floor((px * (request.hires?.scale ?? 1)) / 8) * 8;
  return { width: side(request.width), height: side(request.height) };
}

/** {@link outputSize} as the API writes sizes, `"768x1152"`. */
export function outputSizeText(
  request: Pick<ResolvedGenerationRequest, "width" | "height" | "hires">,
): string {
  const { width, height } = outputSize(request);
  return `${width}x${height}`;
}

/** The final size of a hires request (the first pass's × scale, down to multiples of 8) against the model's limits. */
function checkHiresSize(
  width: number,
  height: number,
  scale: number,
  model: ModelInfo,
): RequestProblem | null {
  const { width: finalWidth, height: finalHeight } = outputSize({
    width,
    height,
    hires: { scale, strength: 1, steps: 1 },
  });
  if (finalWidth <= model.limits.max_width && finalHeight <= model.limits.max_height) return null;
  return {
    param: "hires_scale",
    message: `Invalid 'hires_scale': ${width}×${height} × ${scale} is ${finalWidth}×${finalHeight}, past ${model.limits.max_width}×${model.limits.max_height} for model '${model.id}'.`,
  };
}

/** A side outside the model's limits, reported against the field the caller used (`size` or the side). */
function checkSide(
  side: "width" | "height",
  px: number,
  model: ModelInfo,
  param: string,
): RequestProblem | null {
  const maxPx = side === "width" ? model.limits.max_width : model.limits.max_height;
  if (px >= MIN_SIDE_PX && px <= maxPx && px % 8 === 0) return null;
  return {
    param,
    message: `Invalid '${param}': ${side} must be a multiple of 8 from ${MIN_SIDE_PX} to ${maxPx} for model '${model.id}'.`,
  };
}

/**
 * Applies the model's defaults and checks the request against the model's limits. `size` and
 * `width`/`height` may both be given only when they agree. LoRAs and ControlNet models are resolved
 * against `adapters` (what the server has registered and approved); `refiner.model` against
 * `refinerModel`, its catalog entry (`null`: the request names none, or the server knows none).
 */
export function resolveGenerationRequest(
  request: GenerationRequest,
  model: ModelInfo,
  seed: number,
  adapters: AdapterCatalog = NO_ADAPTERS,
  refinerModel: ModelInfo | null = null,
): Result<ResolvedGenerationRequest, RequestProblem> {
  let width = request.width ?? model.defaults.width;
  let height = request.height ?? model.defaults.height;
  if (request.size !== undefined) {
    const fromSize = parseSize(request.size);
    const conflicts =
      (request.width !== undefined && request.width !== fromSize.width) ||
      (request.height !== undefined && request.height !== fromSize.height);
    if (conflicts) {
      return { ok: false, error: { param: "size", message: "'size' disagrees with 'width'/'height'." } };
    }
    ({ width, height } = fromSize);
  }
  const resolved = {
    model: model.id,
    prompt: request.prompt,
    negative_prompt: request.negative_prompt ?? "",
    n: request.n ?? 1,
    width,
    height,
    steps: request.steps ?? model.defaults.steps,
    guidance_scale: request.guidance_scale ?? model.defaults.guidance_scale,
    scheduler: request.scheduler ?? model.defaults.scheduler,
    seed,
    rng: request.rng ?? "torch_cpu",
    ...(request.clip_skip !== undefined && request.clip_skip > 1 ? { clip_skip: request.clip_skip } : {}),
    ...(request.hires_scale === undefined
      ? {}
      : {
          hires: {
            scale: request.hires_scale,
            strength: request.hires_strength ?? DEFAULT_HIRES_STRENGTH,
            steps: request.hires_steps ?? request.steps ?? model.defaults.steps,
          },
        }),
    ...givenSizeConditioning(request),
    image: request.image ?? null,
    strength: request.image === undefined ? null : (request.strength ?? DEFAULT_STRENGTH),
    mask: request.mask ?? null,
    ...(request.inpainting_fill === undefined || request.inpainting_fill === "original"
      ? {}
      : { inpainting_fill: request.inpainting_fill }),
    output_format: request.output_format ?? "png",
    output_quality: request.output_quality ?? null,
  };
  const hiresOrphan =
    request.hires_scale !== undefined
      ? null
      : request.hires_strength !== undefined
        ? "hires_strength"
        : request.hires_steps !== undefined
          ? "hires_steps"
          : null;
  if (hiresOrphan)
    return {
      ok: false,
      error: { param: hiresOrphan, message: `Invalid '${hiresOrphan}': it needs 'hires_scale'.` },
    };
  if (request.hires_scale !== undefined) {
    if (request.image !== undefined)
      return {
        ok: false,
        error: {
          param: "hires_scale",
          message: "Invalid 'hires_scale': it applies to text-to-image, not with an 'image'.",
        },
      };
    const problem = checkHiresSize(resolved.width, resolved.height, request.hires_scale, model);
    if (problem) return { ok: false, error: problem };
    if ((resolved.hires?.steps ?? 0) > model.limits.max_steps)
      return {
        ok: false,
        error: {
          param: "hires_steps",
          message: `Invalid 'hires_steps': at most ${model.limits.max_steps} for model '${model.id}'.`,
        },
      };
  }
  if (request.image === undefined) {
    const orphan = request.mask !== undefined ? "mask" : request.strength !== undefined ? "strength" : null;
    if (orphan)
      return { ok: false, error: { param: orphan, message: `Invalid '${orphan}': it needs an 'image'.` } };
  }
  if (request.mask === undefined && request.inpainting_fill !== undefined)
    return {
      ok: false,
      error: { param: "inpainting_fill", message: "Invalid 'inpainting_fill': it needs a 'mask'." },
    };
  for (const side of ["width", "height"] as const) {
    const problem = checkSide(side, resolved[side], model, request.size !== undefined ? "size" : side);
    if (problem) return { ok: false, error: problem };
  }
  if (resolved.steps > model.limits.max_steps) {
    return {
      ok: false,
      error: {
        param: "steps",
        message: `Invalid 'steps': at most ${model.limits.max_steps} for model '${model.id}'.`,
      },
    };
  }
  // img2img and hires run a share of their steps: a share that rounds down to none would do nothing.
  if (resolved.image !== null && stepsRun(resolved.steps, resolved.strength) < 1) {
    return {
      ok: false,
      error: {
        param: "strength",
        message: `Invalid 'strength': ${resolved.strength} of ${resolved.steps} steps runs no step; raise 'strength' or 'steps'.`,
      },
    };
  }
  if (resolved.hires && stepsRun(resolved.hires.steps, resolved.hires.strength) < 1) {
    return {
      ok: false,
      error: {
        param: "hires_strength",
        message: `Invalid 'hires_strength': ${resolved.hires.strength} of ${resolved.hires.steps} steps runs no step; raise 'hires_strength' or 'hires_steps'.`,
      },
    };
  }
  const refiner = resolveRefiner(request, model, refinerModel);
  if (!refiner.ok) return refiner;
  const loras = resolveLoras(request.lora, request.prompt, adapters);
  if (!loras.ok) return loras;
  const units = resolveControlNetUnits(request.controlnet ?? [], adapters);
  if (!units.ok) return units;
  if (request.return_control_maps === true && units.value.length === 0)
    return {
      ok: false,
      error: {
        param: "return_control_maps",
        message: "Invalid 'return_control_maps': it needs 'controlnet' units.",
      },
    };
  const checked = resolvedGenerationRequestSchema.safeParse({
    ...resolved,
    ...refiner.value,
    ...(loras.value.length === 0 ? {} : { lora: loras.value }),
    ...(units.value.length === 0 ? {} : { controlnet: units.value }),
    ...(request.return_control_maps === true ? { return_control_maps: true } : {}),
  });
  return checked.success
    ? { ok: true, value: checked.data }
    : { ok: false, error: problemFromZod(checked.error) };
}
