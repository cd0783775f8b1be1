import type { GenerationBody } from "@sdgate/sdk";
import {
  askedLoras,
  type ControlMode,
  type ControlNetPreprocessor,
  DEFAULT_STRENGTH,
  type ImageRecipe,
  MASKED_CONTENTS,
  MAX_SEED,
  type MaskedContent,
  type Model,
  OUTPUT_FORMATS,
  type OutputFormat,
  parseSizeConditioning,
  SIZE_CONDITIONING_FIELDS,
  type SizeConditioning,
  sizeConditioningText,
  validSizeConditioning,
} from "@sdgate/shared";
import {
  type DraftRefiner,
  refinerBodyOf,
  refinerOfQuery,
  refinerOfRecipe,
  refinerOfRequest,
  setRefinerQuery,
} from "./refiner-draft.ts";

/** The playground's form as a person fills it in; also what the page's URL keeps. */
export interface Draft {
  prompt: string;
  negative_prompt: string;
  model: string;
  width: number;
  height: number;
  steps: number;
  guidance_scale: number;
  scheduler: string;
  seed: number;
  /** Kept for the next run; otherwise each run rolls a new seed. */
  seedLocked: boolean;
  output_format: OutputFormat;
  /** Images per run. */
  n: number;
  /** CLIP layers skipped; `null`: the model's own (A1111's "Clip skip" 1). */
  clip_skip: number | null;
  /** A second, upscaled pass; `null`: none. */
  hires: { scale: number; strength: number; steps: number } | null;
  /** How far img2img moves from the input image (used only with one). */
  strength: number;
  /** What a masked area starts from (A1111's "Masked content"; used only with a mask). */
  inpainting_fill: MaskedContent;
  /** JPEG/WebP quality; `null`: the server's default. */
  output_quality: number | null;
  /** LoRAs applied on top of the model, by registered name (`GET /v1/adapters`). */
  lora: DraftLora[];
  /** SDXL's size and crop conditioning, the fields a person set (none: the image's size, uncropped). */
  size_conditioning: SizeConditioning;
  /** SDXL's refiner, which takes over from an SDXL base part way through; `null`: none. */
  refiner: DraftRefiner | null;
}

export interface DraftLora {
  name: string;
  weight: number;
}

/** A ControlNet unit as the form holds it: every field a person sets, with A1111's defaults. */
export interface ControlUnit {
  model: string;
  /** A data URL. */
  image: string;
  weight: number;
  guidance_start: number;
  guidance_end: number;
  control_mode: ControlMode;
  preprocessor: ControlNetPreprocessor;
}

/**
 * The images a run starts from (img2img) and the mask it paints within (inpainting), as data URLs.
 * Kept beside the draft, not in it: they do not fit in a URL.
 */
export interface InputImages {
  image: string | null;
  mask: string | null;
  /** ControlNet units: each has an image, so they live here rather than in the URL. */
  controlnet: ControlUnit[];
}

export const NO_INPUT_IMAGES: InputImages = { image: null, mask: null, controlnet: [] };
/** A hires pass as people usually start one (A1111's defaults: 2×, denoise 0.5). */
export const DEFAULT_HIRES = { scale: 2, strength: 0.5, steps: 10 } as const;

/** A random seed in the contract's range. */
export function rollSeed(): number {
  return Math.floor(Math.random() * Math.min(MAX_SEED, 2 ** 32));
}

/**
 * A new form for a model: its own defaults (from `GET /v1/models`).
 *
 * @example
 * const draft = draftFor(models.data[0]);
 */
export function draftFor(model: Model): Draft {
  return {
    prompt: "",
    negative_prompt: "",
    model: model.id,
    width: model.defaults.width,
    height: model.defaults.height,
    steps: model.defaults.steps,
    guidance_scale: model.defaults.guidance_scale,
    scheduler: model.defaults.scheduler,
    seed: rollSeed(),
    seedLocked: false,
    output_format: "png",
    n: 1,
    clip_skip: null,
    hires: null,
    strength: DEFAULT_STRENGTH,
    inpainting_fill: "original",
    output_quality: null,
    lora: [],
    size_conditioning: {},
    refiner: null,
  };
}

/**
 * The request the form makes, with its input images if any (an empty negative prompt, one image, the
 * model's clip skip and the server's quality are left out).
 *
 * @example
 * await client.estimate(requestOf(draft));
 */
export function requestOf(draft: Draft, inputs: InputImages = NO_INPUT_IMAGES): GenerationBody {
  return {
    prompt: draft.prompt,
    ...(draft.negative_prompt === "" ? {} : { negative_prompt: draft.negative_prompt }),
    model: draft.model,
    width: draft.width,
    height: draft.height,
    steps: draft.steps,
    guidance_scale: draft.guidance_scale,
    scheduler: draft.scheduler,
    seed: draft.seed,
    output_format: draft.output_format,
    ...(draft.n === 1 ? {} : { n: draft.n }),
    ...(draft.clip_skip === null ? {} : { clip_skip: draft.clip_skip }),
    ...(draft.hires === null
      ? {}
      : {
          hires_scale: draft.hires.scale,
          hires_strength: draft.hires.strength,
          hires_steps: draft.hires.steps,
        }),
    ...(draft.output_quality === null || draft.output_format === "png"
      ? {}
      : { output_quality: draft.output_quality }),
    ...(inputs.image === null ? {} : { image: inputs.image, strength: draft.strength }),
    ...(inputs.image === null || inputs.mask === null ? {} : { mask: inputs.mask }),
    ...(inputs.image === null || inputs.mask === null || draft.inpainting_fill === "original"
      ? {}
      : { inpainting_fill: draft.inpainting_fill }),
    ...(draft.lora.length === 0 ? {} : { lora: draft.lora }),
    ...draft.size_conditioning,
    ...refinerBodyOf(draft.refiner),
    ...controlNetOf(inputs.controlnet),
  };
}

/** The units that have their image (one still waiting for it is not sent). */
function controlNetOf(units: readonly ControlUnit[]): { controlnet?: ControlUnit[] } {
  const ready = units.filter((unit) => unit.image !== "");
  return ready.length === 0 ? {} : { controlnet: ready };
}

const NUMBERS = ["width", "height", "steps", "guidance_scale", "seed", "n", "strength"] as const;
const OPTIONAL_NUMBERS = ["clip_skip", "output_quality"] as const;
const HIRES_QUERY = { scale: "hires_scale", strength: "hires_strength", steps: "hires_steps" } as const;
const TEXTS = ["prompt", "negative_prompt", "model", "scheduler"] as const;

/**
 * The form in a URL query, so a person can share or bookmark it.
 *
 * @example
 * history.replaceState(null, "", `?${queryOf(draft)}`);
 */
export function queryOf(draft: Draft): string {
  const query = new URLSearchParams();
  for (const name of TEXTS) if (draft[name] !== "") query.set(name, draft[name]);
  for (const name of NUMBERS) query.set(name, String(draft[name]));
  for (const name of OPTIONAL_NUMBERS) if (draft[name] !== null) query.set(name, String(draft[name]));
  if (draft.hires !== null)
    for (const [part, name] of Object.entries(HIRES_QUERY))
      query.set(name, String(draft.hires[part as keyof typeof HIRES_QUERY]));
  if (draft.seedLocked) query.set("seed_locked", "1");
  query.set("output_format", draft.output_format);
  if (draft.inpainting_fill !== "original") query.set("inpainting_fill", draft.inpainting_fill);
  for (const lora of draft.lora) query.append("lora", `${lora.name}:${lora.weight}`);
  for (const field of SIZE_CONDITIONING_FIELDS) {
    const value = draft.size_conditioning[field];
    if (value !== undefined) query.set(field, sizeConditioningText(value));
  }
  setRefinerQuery(query, draft.refiner);
  return query.toString();
}

/**
 * A form with what a URL query gives laid over `base`; values that are not numbers are ignored.
 *
 * @example
 * const draft = draftOfQuery(location.search, draftFor(model));
 */
export function draftOfQuery(search: string, base: Draft): Draft {
  const query = new URLSearchParams(search);
  const draft = { ...base };
  for (const name of TEXTS) {
    const value = query.get(name);
    if (value !== null) draft[name] = value;
  }
  for (const name of NUMBERS) {
    const value = Number(query.get(name) ?? Number.NaN);
    if (Number.isFinite(value)) draft[name] = value;
  }
  for (const name of OPTIONAL_NUMBERS) {
    const value = Number(query.get(name) ?? Number.NaN);
    if (Number.isFinite(value)) draft[name] = value;
  }
  const hires = {
    scale: Number(query.get(HIRES_QUERY.scale) ?? Number.NaN),
    strength: Number(query.get(HIRES_QUERY.strength) ?? Number.NaN),
    steps: Number(query.get(HIRES_QUERY.steps) ?? Number.NaN),
  };
  if (Object.values(hires).every(Number.isFinite)) draft.hires = hires;
  if (query.get("seed_locked") === "1") draft.seedLocked = true;
  const format = query.get("output_format");
  const known = OUTPUT_FORMATS.find((name) => name === format);
  if (known !== undefined) draft.output_format = known;
  draft.inpainting_fill = maskedContentOf(query.get("inpainting_fill")) ?? draft.inpainting_fill;
  const loras = lorasOf(query.getAll("lora").map((text) => text.split(":")));
  if (loras.length > 0) draft.lora = loras;
  const sizeConditioning = parseSizeConditioning((field) => query.get(field));
  if (Object.keys(sizeConditioning).length > 0) draft.size_conditioning = sizeConditioning;
  draft.refiner = refinerOfQuery(query) ?? draft.refiner;
  return draft;
}

/**
 * The form filled from an image's recipe (PNG info), with what did not carry over, in words; its model
 * is taken when it is one of `models` (the key's): pinned to the registry version that made the image
 * when the key may still use that version, and said plainly when the version is gone or no longer
 * approved.
 *
 * @example
 * const { draft, notCarried } = applyRecipe(current, await readImageRecipe(bytes), ["tiny"]);
 */
export function applyRecipe(
  base: Draft,
  recipe: ImageRecipe,
  models: readonly Pick<Model, "id" | "versions">[] = [],
): { draft: Draft; notCarried: string[] } {
  const { fields } = recipe;
  const { name, version } = recipe.model;
  const model = name === null ? undefined : models.find((each) => each.id === name);
  const versionHeld = version !== null && model?.versions?.includes(version) === true;
  const known = model === undefined ? null : versionHeld ? `${model.id}@${version}` : model.id;
  const refiner = refinerOfRecipe(recipe.refiner, models);
  const draft: Draft = {
    ...base,
    ...(fields.prompt === undefined ? {} : { prompt: fields.prompt }),
    negative_prompt: fields.negative_prompt ?? "",
    ...(fields.width === undefined ? {} : { width: fields.width }),
    ...(fields.height === undefined ? {} : { height: fields.height }),
    ...(fields.steps === undefined ? {} : { steps: fields.steps }),
    ...(fields.guidance_scale === undefined ? {} : { guidance_scale: fields.guidance_scale }),
    ...(fields.scheduler === undefined ? {} : { scheduler: fields.scheduler }),
    ...(fields.seed === undefined ? {} : { seed: fields.seed, seedLocked: true }),
    ...(known === null ? {} : { model: known }),
    clip_skip: fields.clip_skip ?? null,
    hires:
      fields.hires_scale === undefined
        ? null
        : {
            scale: fields.hires_scale,
            strength: fields.hires_strength ?? DEFAULT_HIRES.strength,
            steps: fields.hires_steps ?? DEFAULT_HIRES.steps,
          },
    ...(fields.strength === undefined ? {} : { strength: fields.strength }),
    size_conditioning: validSizeConditioning(fields),
    refiner: refiner.refiner,
  };
  const notCarried = Object.entries(recipe.unmapped).map(([name, value]) => `${name}: ${value}`);
  // The random number generator: the form has no control for it (sdgate's own is the default).
  if (fields.rng !== undefined) notCarried.push(`rng: ${fields.rng}`);
  // img2img's strength comes without its input image, which a recipe does not hold.
  if (fields.strength !== undefined)
    notCarried.push("the input image (img2img): drop it under Image to image");
  if (refiner.notCarried !== null) notCarried.push(refiner.notCarried);
  if (name !== null && model === undefined) notCarried.push(`model: ${name} (not one your key may use)`);
  else if (model !== undefined && version !== null && !versionHeld)
    notCarried.push(
      `model version: ${model.id}@${version} made this image, and it is gone or no longer approved; the form uses ${model.id} as it is now`,
    );
  return { draft, notCarried };
}

/**
 * The form filled from a run's recorded request (the History's Use all and Remix), its seed locked;
 * `null` when the record lacks a field the form needs.
 *
 * @example
 * const draft = draftOfRequest(run.request); // then `?${queryOf(draft)}#/playground`
 */
export function draftOfRequest(request: Record<string, unknown>): Draft | null {
  const text = (name: string) => (typeof request[name] === "string" ? (request[name] as string) : null);
  const number = (name: string) => (typeof request[name] === "number" ? (request[name] as number) : null);
  const [prompt, model, scheduler] = [text("prompt"), text("model"), text("scheduler")];
  const [width, height, steps, guidance, seed] = NUMBERS.map(number);
  const format = OUTPUT_FORMATS.find((name) => name === request.output_format);
  if (
    prompt === null ||
    model === null ||
    scheduler === null ||
    width == null ||
    height == null ||
    steps == null ||
    guidance == null ||
    seed == null ||
    format === undefined
  )
    return null;
  return {
    prompt,
    negative_prompt: text("negative_prompt") ?? "",
    model,
    width,
    height,
    steps,
    guidance_scale: guidance,
    scheduler,
    seed,
    seedLocked: true,
    output_format: format,
    n: number("n") ?? 1,
    clip_skip: number("clip_skip"),
    hires: hiresOf(request.hires),
    strength: number("strength") ?? DEFAULT_STRENGTH,
    inpainting_fill: maskedContentOf(request.inpainting_fill) ?? "original",
    output_quality: number("output_quality"),
    // the prompt keeps its <lora:…> tags: only the LoRAs asked for beside them go into the list
    lora: Array.isArray(request.lora)
      ? askedLoras(
          lorasOf(request.lora.map((lora: Record<string, unknown>) => [lora?.name, lora?.weight])),
          prompt,
        )
      : [],
    size_conditioning: validSizeConditioning(request),
    refiner: refinerOfRequest(request),
  };
}

/** A masked content the contract knows, or `undefined`. */
function maskedContentOf(value: unknown): MaskedContent | undefined {
  return MASKED_CONTENTS.find((name) => name === value);
}

/** LoRAs from `[name, weight]` pairs (a URL's `lora=name:0.7`, a recorded request's); others dropped. */
function lorasOf(pairs: ReadonlyArray<readonly unknown[]>): DraftLora[] {
  return pairs.flatMap(([name, weight]) => {
    const value = Number(weight);
    return typeof name === "string" && name !== "" && Number.isFinite(value) ? [{ name, weight: value }] : [];
  });
}

/** A recorded request's hires pass (`{ scale, strength, steps }`), when it has a whole one. */
function hiresOf(value: unknown): Draft["hires"] {
  if (typeof value !== "object" || value === null) return null;
  const { scale, strength, steps } = value as Record<string, unknown>;
  return typeof scale === "number" && typeof strength === "number" && typeof steps === "number"
    ? { scale, strength, steps }
    : null;
}

/**
 * A playground query (`location.search`) with only its seed replaced, and locked (the History's Use seed).
 *
 * @example
 * location.href = `?${withSeed(location.search, run.images[0].seed)}#/playground`;
 */
export function withSeed(search: string, seed: number): string {
  const query = new URLSearchParams(search);
  query.set("seed", String(seed));
  query.set("seed_locked", "1");
  return query.toString();
}
