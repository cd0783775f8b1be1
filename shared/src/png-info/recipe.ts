import type { GenerationRequest } from "../generation-request.ts";
import { MAX_SEED } from "../generation-request.ts";
import { MAX_AESTHETIC_SCORE, REFINER_SWITCH_BY, type RefinerSwitchBy } from "../refiner.ts";
import { resolveSchedulerName } from "../schedulers.ts";
import {
  parseSizeConditioning,
  SIZE_CONDITIONING_INFOTEXT_KEYS,
  type SizeConditioning,
  validSizeConditioning,
} from "../size-conditioning.ts";
import { comfyRequest } from "./comfy.ts";
import { parseInfotext } from "./infotext.ts";
import { readPngText } from "./png-text.ts";

/** The generation fields a recipe can fill in a form: the API's own names. */
export type RecipeFields = Partial<
  Pick<
    GenerationRequest,
    | "prompt"
    | "negative_prompt"
    | "width"
    | "height"
    | "steps"
    | "guidance_scale"
    | "scheduler"
    | "seed"
    | "rng"
    | "clip_skip"
    | "hires_scale"
    | "hires_strength"
    | "hires_steps"
    | "strength"
  >
> &
  SizeConditioning;

/**
 * What an image says about how it was made (issue 17's "PNG info"): which tool wrote it, the request
 * fields it gives, the model it names (a registry version for sdgate's own images, a checkpoint name
 * and hash otherwise), and what it holds that no field takes, so a person sees what will not carry over.
 */
export interface ImageRecipe {
  source: "sdgate" | "a1111" | "comfyui";
  fields: RecipeFields;
  model: { name: string | null; hash: string | null; version: string | null };
  /** The SDXL refiner that finished the image, by model name (as `model`); absent without one. */
  refiner?: RecipeRefiner;
  unmapped: Record<string, string>;
}

/** A recipe's refiner: its model's name and where it took over (`null`: the file does not say). */
export interface RecipeRefiner {
  name: string;
  switch_at: number | null;
  switch_by: RefinerSwitchBy;
  /** The aesthetic scores it was given, where the file says (sdgate's recipe; A1111 writes none). */
  aesthetic_score?: number;
  negative_aesthetic_score?: number;
}

const integer = (text: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined => {
  if (text === undefined || !/^\d{1,16}$/.test(text.trim())) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
};

const decimal = (text: string | undefined, min: number, max: number): number | undefined => {
  if (text === undefined || !/^-?\d+(\.\d+)?$/.test(text.trim())) return undefined;
  const value = Number(text);
  return value >= min && value <= max ? value : undefined;
};

/** The keys each A1111 field fills; the rest are reported as unmapped. */
const A1111_MAPPED = new Set([
  "Steps",
  "Sampler",
  "Schedule type",
  "CFG scale",
  "Seed",
  "Size",
  "Model",
  "Model hash",
  "Clip skip",
  "Denoising strength",
  "Hires upscale",
  "Hires steps",
  "Hires upscaler",
  "RNG",
  "Refiner",
  "Refiner switch at",
  "Refiner switch by sampling steps",
  ...Object.values(SIZE_CONDITIONING_INFOTEXT_KEYS),
]);

function fromInfotext(text: string): ImageRecipe | null {
  const info = parseInfotext(text);
  if (info === null) return null;
  const get = (key: string) => info.fields.get(key);
  const fields: RecipeFields = { prompt: info.prompt };
  if (info.negativePrompt !== "") fields.negative_prompt = info.negativePrompt;
  const steps = integer(get("Steps"));
  if (steps !== undefined) fields.steps = steps;
  // Newer A1111 writes the schedule apart ("Sampler: DPM++ 2M, Schedule type: Karras").
  const schedule = get("Schedule type");
  const sampler = get("Sampler");
  const scheduler =
    sampler === undefined
      ? null
      : (resolveSchedulerName(
          schedule && schedule.toLowerCase() !== "automatic" ? `${sampler} ${schedule}` : sampler,
        ) ?? resolveSchedulerName(sampler));
  if (scheduler !== null) fields.scheduler = scheduler;
  const cfg = decimal(get("CFG scale"), 0, 30);
  if (cfg !== undefined) fields.guidance_scale = cfg;
  const seed = integer(get("Seed"), 0, MAX_SEED);
  if (seed !== undefined) fields.seed = seed;
  const size = /^(\d{1,5})x(\d{1,5})$/.exec(get("Size") ?? "");
  if (size) {
    fields.width = Number(size[1]);
    fields.height = Number(size[2]);
  }
  const clipSkip = integer(get("Clip skip"), 1, 64);
  if (clipSkip !== undefined && clipSkip > 1) fields.clip_skip = clipSkip;
  const denoising = decimal(get("Denoising strength"), 0.000001, 1);
  const hiresScale = decimal(get("Hires upscale"), 1.000001, 8);
  if (hiresScale !== undefined) {
    fields.hires_scale = hiresScale;
    const hiresSteps = integer(get("Hires steps"));
    if (hiresSteps !== undefined) fields.hires_steps = hiresSteps;
    if (denoising !== undefined) fields.hires_strength = denoising;
  } else if (denoising !== undefined) fields.strength = denoising;
  const rng = get("RNG");
  if (rng === "CPU") fields.rng = "torch_cpu";
  else if (rng === "NV") fields.rng = "philox";
  Object.assign(
    fields,
    parseSizeConditioning((field) => get(SIZE_CONDITIONING_INFOTEXT_KEYS[field])),
  );
  const unmapped: Record<string, string> = {};
  for (const [key, value] of info.fields) if (!A1111_MAPPED.has(key)) unmapped[key] = value;
  if (sampler !== undefined && scheduler === null) unmapped.Sampler = sampler;
  const refiner = infotextRefiner(get);
  return {
    source: "a1111",
    fields,
    model: { name: get("Model") ?? null, hash: get("Model hash") ?? null, version: null },
    ...(refiner === null ? {} : { refiner }),
    unmapped,
  };
}

/**
 * A1111's refiner keys, as `apply_refiner` (modules/sd_samplers_common.py) writes them once it
 * switches: `Refiner` is the checkpoint's short title, `name [shorthash]`, read back as its name.
 */
function infotextRefiner(get: (key: string) => string | undefined): RecipeRefiner | null {
  const title = get("Refiner")?.trim();
  if (title === undefined || title === "") return null;
  return {
    name: title.replace(/\s*\[[0-9a-fA-F]{1,64}\]$/, ""),
    switch_at: decimal(get("Refiner switch at"), 0.000001, 0.999999) ?? null,
    switch_by: get("Refiner switch by sampling steps") === "True" ? "steps" : "timestep",
  };
}

/** sdgate's recipe `refiner` (`{ name, switchAt, switchBy }`, backend/src/engine/pipelines/recipe.ts). */
function sdgateRefiner(value: unknown): RecipeRefiner | null {
  if (typeof value !== "object" || value === null) return null;
  const { name, switchAt, switchBy, aestheticScore, negativeAestheticScore } = value as Record<
    string,
    unknown
  >;
  if (typeof name !== "string" || name === "") return null;
  const score = (given: unknown) =>
    typeof given === "number" && given >= 0 && given <= MAX_AESTHETIC_SCORE ? given : undefined;
  const [aesthetic, negative] = [score(aestheticScore), score(negativeAestheticScore)];
  return {
    name,
    switch_at: typeof switchAt === "number" && switchAt > 0 && switchAt < 1 ? switchAt : null,
    switch_by: REFINER_SWITCH_BY.find((by) => by === switchBy) ?? "timestep",
    ...(aesthetic === undefined ? {} : { aesthetic_score: aesthetic }),
    ...(negative === undefined ? {} : { negative_aesthetic_score: negative }),
  };
}

function fromSdgate(text: string): ImageRecipe | null {
  let recipe: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
    recipe = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  if (recipe.engine !== "sdgate") return null;
  const str = (value: unknown) => (typeof value === "string" ? value : undefined);
  const num = (value: unknown) => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
  const fields: RecipeFields = {};
  const set = <K extends keyof RecipeFields>(key: K, value: RecipeFields[K] | undefined) => {
    if (value !== undefined) fields[key] = value;
  };
  set("prompt", str(recipe.prompt));
  const negative = str(recipe.negativePrompt);
  if (negative) fields.negative_prompt = negative;
  set("width", num(recipe.width));
  set("height", num(recipe.height));
  set("steps", num(recipe.steps));
  set("guidance_scale", num(recipe.guidanceScale));
  const scheduler = resolveSchedulerName(str(recipe.scheduler) ?? "");
  if (scheduler !== null) fields.scheduler = scheduler;
  // Seeds past 2^53 are written as strings; the API takes numbers up to MAX_SEED.
  const seed = typeof recipe.seed === "string" ? integer(recipe.seed, 0, MAX_SEED) : num(recipe.seed);
  set("seed", seed);
  const rng = str(recipe.rng);
  if (rng === "torch_cpu" || rng === "philox") fields.rng = rng;
  const clipSkip = num(recipe.clipSkip);
  if (clipSkip !== undefined && clipSkip > 1) fields.clip_skip = clipSkip;
  set("strength", num(recipe.strength));
  const sizeConditioning = recipe.sizeConditioning;
  if (typeof sizeConditioning === "object" && sizeConditioning !== null)
    Object.assign(fields, validSizeConditioning(sizeConditioning as Record<string, unknown>));
  const hires = recipe.hires as Record<string, unknown> | undefined;
  if (typeof hires === "object" && hires !== null) {
    set("hires_scale", num(hires.scale));
    set("hires_strength", num(hires.strength));
    set("hires_steps", num(hires.steps));
  }
  const model = (typeof recipe.model === "object" && recipe.model !== null ? recipe.model : {}) as Record<
    string,
    unknown
  >;
  const refiner = sdgateRefiner(recipe.refiner);
  return {
    source: "sdgate",
    fields,
    model: {
      name: str(model.name) ?? null,
      hash: str(model.hash) ?? null,
      version: str(model.version) ?? null,
    },
    ...(refiner === null ? {} : { refiner }),
    unmapped: {
      ...(recipe.masked === true ? { mask: "the image was inpainted: its mask is not in the file" } : {}),
    },
  };
}

/**
 * How an image was made, from what its file says: sdgate's recipe first (it has every field), then
 * A1111's `parameters`, then ComfyUI's `prompt` graph or `workflow`; `null` when the file says none.
 * PNG only for now (sdgate's WebP, JPEG and AVIF carry the same text as XMP or EXIF).
 *
 * @example
 * const recipe = await readImageRecipe(new Uint8Array(await file.arrayBuffer()));
 * if (recipe) form.fill(recipe.fields);
 */
export async function readImageRecipe(bytes: Uint8Array): Promise<ImageRecipe | null> {
  const text = await readPngText(bytes);
  const sdgate = text.get("sdgate");
  const fromOwn = sdgate === undefined ? null : fromSdgate(sdgate);
  if (fromOwn !== null) return fromOwn;
  const parameters = text.get("parameters");
  const fromA1111 = parameters === undefined ? null : fromInfotext(parameters);
  if (fromA1111 !== null) return fromA1111;
  return comfyRequest(text.get("prompt"), text.get("workflow"));
}

export { fromInfotext as recipeOfInfotext };
