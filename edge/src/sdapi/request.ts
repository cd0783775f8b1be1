import {
  type GenerationRequest,
  MASKED_CONTENTS,
  MAX_IMAGES_PER_REQUEST,
  MAX_SEED,
  type MaskedContent,
  problemFromZod,
  type RequestProblem,
  type Result,
} from "@sdgate/shared";
import { z } from "zod";
import { checkpointName } from "./checkpoint.ts";
import { controlNetUnitsOf } from "./controlnet.ts";
import { samplerOf } from "./samplers.ts";

// The fields of A1111's `StableDiffusionProcessingTxt2Img`/`Img2Img` (stable-diffusion-webui
// `modules/api/models.py`, `modules/processing.py`) that change what sdgate makes. The object is loose:
// A1111 ignores what it does not know (`send_images`, `save_images`, SillyTavern's `url`/`auth`), so
// does this; a field that would change the images in a way sdgate cannot is refused by name.

const text = z.string().nullish();
const count = z.number().int().min(1);
const overrideSettingsSchema = z.looseObject({
  sd_model_checkpoint: z.string().nullish(),
  CLIP_stop_at_last_layers: z.number().int().min(1).nullish(),
  sd_vae: z.string().nullish(),
});

const a1111BodySchema = z.looseObject({
  prompt: z.string().optional(),
  negative_prompt: text,
  styles: z.array(z.string()).nullish(),
  seed: z.number().int().min(-1).max(MAX_SEED).nullish(),
  subseed_strength: z.number().nullish(),
  sampler_name: text,
  sampler_index: text,
  scheduler: text,
  batch_size: count.max(MAX_IMAGES_PER_REQUEST).nullish(),
  n_iter: count.max(MAX_IMAGES_PER_REQUEST).nullish(),
  steps: count.nullish(),
  cfg_scale: z.number().nullish(),
  width: count.nullish(),
  height: count.nullish(),
  restore_faces: z.boolean().nullish(),
  tiling: z.boolean().nullish(),
  denoising_strength: z.number().nullish(),
  override_settings: overrideSettingsSchema.nullish(),
  enable_hr: z.boolean().nullish(),
  hr_scale: z.number().nullish(),
  hr_upscaler: text,
  hr_second_pass_steps: z.number().int().min(0).nullish(),
  hr_resize_x: z.number().int().min(0).nullish(),
  hr_resize_y: z.number().int().min(0).nullish(),
  hr_checkpoint_name: text,
  hr_sampler_name: text,
  hr_prompt: text,
  hr_negative_prompt: text,
  refiner_checkpoint: text,
  refiner_switch_at: z.number().nullish(),
  script_name: text,
  alwayson_scripts: z.record(z.string(), z.unknown()).nullish(),
  // img2img
  init_images: z.array(z.string()).nullish(),
  mask: text,
  inpainting_fill: z.number().int().min(0).max(3).nullish(),
  inpainting_mask_invert: z.number().int().min(0).max(1).nullish(),
  resize_mode: z.number().int().nullish(),
});
export type A1111Body = z.infer<typeof a1111BodySchema>;

/** An A1111 request as sdgate runs it: `iterations` jobs of `request` (`n` = `batch_size`), seeds counting on. */
export interface MappedRequest {
  request: GenerationRequest;
  iterations: number;
  /** The first image's seed; image k of all (iteration × batch_size + index) uses `seed + k`, as in A1111. */
  seed: number;
  /** The checkpoint the request named (`override_settings.sd_model_checkpoint`), or `null`. */
  checkpoint: string | null;
  /**
   * Where each ControlNet unit came from (`alwayson_scripts.<script>.args[index]`, for errors), and
   * whether its detected map is appended to the answer's `images`.
   */
  controlnetArgs: { script: string; args: number[]; savesMap: boolean[] };
}

type Mapped = Result<MappedRequest, RequestProblem>;

const refuse = (param: string, message: string): Mapped => ({
  ok: false,
  error: { param, message: `Invalid '${param}': ${message}` },
});

/** A1111's "Use same checkpoint"/"Use same sampler" and empty values all mean "as the first pass". */
const sameAsFirstPass = (value: string | null | undefined) =>
  value == null || value === "" || value.startsWith("Use same");

/**
 * The A1111 body's model: its own `override_settings.sd_model_checkpoint`, else the key's
 * `sd_model_checkpoint` option, else sdgate's default (no `model`).
 */
function modelOf(body: A1111Body, keyCheckpoint: string | null): string | null {
  const named = body.override_settings?.sd_model_checkpoint;
  const title = named != null && named !== "" ? named : keyCheckpoint;
  return title === null ? null : checkpointName(title);
}

function hiresOf(body: A1111Body): Result<Partial<GenerationRequest>, RequestProblem> {
  if (body.enable_hr !== true) return { ok: true, value: {} };
  const fail = (param: string, message: string) =>
    ({ ok: false, error: { param, message: `Invalid '${param}': ${message}` } }) as const;
  if (body.hr_upscaler != null && body.hr_upscaler !== "" && body.hr_upscaler !== "Latent")
    return fail(
      "hr_upscaler",
      `sdgate's hires fix upscales latents ('Latent'), not with '${body.hr_upscaler}'.`,
    );
  for (const param of ["hr_checkpoint_name", "hr_sampler_name"] as const)
    if (!sameAsFirstPass(body[param])) return fail(param, "the second pass uses the first pass's.");
  if ((body.hr_prompt ?? "") !== "" && body.hr_prompt !== body.prompt)
    return fail("hr_prompt", "the second pass uses the first pass's prompt.");
  if ((body.hr_negative_prompt ?? "") !== "" && body.hr_negative_prompt !== body.negative_prompt)
    return fail("hr_negative_prompt", "the second pass uses the first pass's negative prompt.");
  // `hr_resize_x`/`_y` win over `hr_scale` in A1111 (processing.py, `init` of the txt2img processing).
  const width = body.width ?? 512;
  const height = body.height ?? 512;
  const x = body.hr_resize_x ?? 0;
  const y = body.hr_resize_y ?? 0;
  let scale = body.hr_scale ?? 2;
  if (x > 0 || y > 0) {
    const scales = [x > 0 ? x / width : null, y > 0 ? y / height : null].filter((s) => s !== null);
    if (scales.length === 2 && Math.abs((scales[0] ?? 0) - (scales[1] ?? 0)) > 0.01)
      return fail(
        "hr_resize_x",
        "sdgate scales both sides alike; give hr_resize_x and hr_resize_y in the first pass's ratio.",
      );
    scale = scales[0] ?? scale;
  }
  return {
    ok: true,
    value: {
      hires_scale: scale,
      ...(body.denoising_strength == null ? {} : { hires_strength: body.denoising_strength }),
      ...(body.hr_second_pass_steps ? { hires_steps: body.hr_second_pass_steps } : {}),
    },
  };
}

/**
 * A1111's "Refiner" (`refiner_checkpoint`, a checkpoint title as `sd_model_checkpoint` takes one;
 * "None" or empty: none) as sdgate's `refiner`. A1111 runs a refiner without `refiner_switch_at` from
 * the first step; sdgate takes its UI's default, 0.8.
 */
function refinerOf(body: A1111Body): Result<Partial<GenerationRequest>, RequestProblem> {
  const title = body.refiner_checkpoint;
  if (title == null || ["", "none"].includes(title.toLowerCase())) return { ok: true, value: {} };
  const switchAt = body.refiner_switch_at;
  if (switchAt != null && !(switchAt > 0 && switchAt < 1))
    return {
      ok: false,
      error: {
        param: "refiner_switch_at",
        message: "Invalid 'refiner_switch_at': it has to be between 0 and 1 (exclusive).",
      },
    };
  return {
    ok: true,
    value: {
      refiner: { model: checkpointName(title), ...(switchAt == null ? {} : { switch_at: switchAt }) },
    },
  };
}

function img2imgOf(body: A1111Body): Result<Partial<GenerationRequest>, RequestProblem> {
  const fail = (param: string, message: string) =>
    ({ ok: false, error: { param, message: `Invalid '${param}': ${message}` } }) as const;
  const image = body.init_images?.[0];
  if (image === undefined) return fail("init_images", "img2img needs one image (base64).");
  if ((body.resize_mode ?? 0) !== 0)
    return fail("resize_mode", "sdgate resizes the input to the output size ('Just resize', 0).");
  const mask = body.mask != null && body.mask !== "" ? body.mask : undefined;
  if (mask !== undefined && body.inpainting_mask_invert === 1)
    return fail("inpainting_mask_invert", "send the mask with white where the image should change.");
  return {
    ok: true,
    value: {
      image,
      ...(mask !== undefined
        ? {
            mask,
            // A1111's API defaults to 0, "fill" (its UI to 1, "original").
            // The schema allows 0–3, MASKED_CONTENTS' indices.
            inpainting_fill: MASKED_CONTENTS[body.inpainting_fill ?? 0] as MaskedContent,
          }
        : {}),
      // A1111's img2img default strength is 0.75 (`StableDiffusionProcessingImg2Img`).
      strength: body.denoising_strength ?? 0.75,
    },
  };
}

function unsupported(body: A1111Body): Mapped | null {
  if ((body.styles?.length ?? 0) > 0)
    return refuse("styles", "sdgate has no saved styles; put the style's text in the prompt.");
  if ((body.subseed_strength ?? 0) > 0)
    return refuse("subseed_strength", "variation seeds are not supported; use 0.");
  if (body.restore_faces === true) return refuse("restore_faces", "face restoration is not supported.");
  if (body.tiling === true) return refuse("tiling", "tiling is not supported.");
  if (body.script_name != null && body.script_name !== "" && body.script_name.toLowerCase() !== "none")
    return refuse("script_name", `scripts are not supported ('${body.script_name}').`);
  const vae = body.override_settings?.sd_vae;
  if (vae != null && !["", "Automatic", "None"].includes(vae))
    return refuse("override_settings.sd_vae", "each model decodes with its own VAE ('Automatic').");
  for (const name of Object.keys(body.alwayson_scripts ?? {}))
    if (name.toLowerCase() !== "controlnet")
      return refuse(`alwayson_scripts.${name}`, "the only always-on script is ControlNet.");
  return null;
}

/**
 * An A1111 `txt2img`/`img2img` body as sdgate's generation request (PNG, `b64_json`), with how many
 * iterations to run and the first seed (drawn here for `seed: -1`, so every iteration counts on
 * from it). `keyCheckpoint`: the key's `sd_model_checkpoint` option. Bad or unsupported input is a
 * problem naming A1111's field.
 *
 * @example
 * const mapped = a1111Request({ prompt: "a fox", batch_size: 2, n_iter: 2, seed: -1 }, "txt2img", null, randomSeed);
 */
export function a1111Request(
  raw: unknown,
  mode: "txt2img" | "img2img",
  keyCheckpoint: string | null,
  drawSeed: () => number,
): Mapped {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, error: { param: null, message: "The request body must be a JSON object." } };
  const parsed = a1111BodySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: problemFromZod(parsed.error) };
  const body = parsed.data;
  const refusal = unsupported(body);
  if (refusal !== null) return refusal;
  const sampler = samplerOf(body.sampler_name ?? body.sampler_index, body.scheduler);
  if (!sampler.ok) return { ok: false, error: sampler.error };
  const batch = body.batch_size ?? 1;
  const iterations = body.n_iter ?? 1;
  if (batch * iterations > MAX_IMAGES_PER_REQUEST * MAX_IMAGES_PER_REQUEST)
    return refuse("n_iter", `at most ${MAX_IMAGES_PER_REQUEST ** 2} images per request.`);
  const seed = body.seed == null || body.seed === -1 ? drawSeed() : body.seed;
  if (seed + batch * iterations - 1 > MAX_SEED)
    return refuse("seed", `at most ${MAX_SEED - batch * iterations + 1}.`);
  const extra = mode === "txt2img" ? hiresOf(body) : img2imgOf(body);
  if (!extra.ok) return extra;
  const refiner = refinerOf(body);
  if (!refiner.ok) return refiner;
  // webuiapi names the script "ControlNet", the extension's docs "controlnet": A1111 matches either.
  const [scriptName, script] =
    Object.entries(body.alwayson_scripts ?? {}).find(([name]) => name.toLowerCase() === "controlnet") ?? [];
  const controlnet = controlNetUnitsOf(script, body.init_images?.[0] ?? null, scriptName);
  if (!controlnet.ok) return controlnet;
  const model = modelOf(body, keyCheckpoint);
  const clipSkip = body.override_settings?.CLIP_stop_at_last_layers;
  const request: GenerationRequest = {
    prompt: body.prompt ?? "",
    ...(model === null ? {} : { model }),
    ...(body.negative_prompt ? { negative_prompt: body.negative_prompt } : {}),
    n: batch,
    ...(body.width == null ? {} : { width: body.width }),
    ...(body.height == null ? {} : { height: body.height }),
    ...(body.steps == null ? {} : { steps: body.steps }),
    ...(body.cfg_scale == null ? {} : { guidance_scale: body.cfg_scale }),
    ...(sampler.value === null ? {} : { scheduler: sampler.value }),
    seed,
    ...(clipSkip == null ? {} : { clip_skip: clipSkip }),
    ...extra.value,
    ...refiner.value,
    ...(controlnet.value.units.length === 0 ? {} : { controlnet: controlnet.value.units }),
    ...(controlnet.value.savesMap.includes(true) ? { return_control_maps: true } : {}),
    response_format: "b64_json",
    output_format: "png",
  };
  return {
    ok: true,
    value: {
      request,
      iterations,
      seed,
      checkpoint: model,
      controlnetArgs: {
        script: scriptName ?? "controlnet",
        args: controlnet.value.args,
        savesMap: controlnet.value.savesMap,
      },
    },
  };
}

/** Iteration `i`'s request: the batch's seeds count on from the first, as A1111's `all_seeds` do. */
export function iterationRequest(mapped: MappedRequest, iteration: number): GenerationRequest {
  const batch = mapped.request.n ?? 1;
  return { ...mapped.request, seed: mapped.seed + iteration * batch };
}
