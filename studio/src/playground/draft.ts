import type { GenerationBody } from "@sdgate/sdk";
import { type ImageRecipe, MAX_SEED, type Model, OUTPUT_FORMATS, type OutputFormat } from "@sdgate/shared";

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
}

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
  };
}

/**
 * The request the form makes (an empty negative prompt is left out).
 *
 * @example
 * await client.estimate(requestOf(draft));
 */
export function requestOf(draft: Draft): GenerationBody {
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
  };
}

const NUMBERS = ["width", "height", "steps", "guidance_scale", "seed"] as const;
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
  if (draft.seedLocked) query.set("seed_locked", "1");
  query.set("output_format", draft.output_format);
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
  if (query.get("seed_locked") === "1") draft.seedLocked = true;
  const format = query.get("output_format");
  const known = OUTPUT_FORMATS.find((name) => name === format);
  if (known !== undefined) draft.output_format = known;
  return draft;
}

/**
 * The form filled from an image's recipe (PNG info), with what did not carry over, in words; its model
 * is taken when it is one of `modelIds` (the key's).
 *
 * @example
 * const { draft, notCarried } = applyRecipe(current, await readImageRecipe(bytes), ["tiny"]);
 */
export function applyRecipe(
  base: Draft,
  recipe: ImageRecipe,
  modelIds: readonly string[] = [],
): { draft: Draft; notCarried: string[] } {
  const { fields } = recipe;
  const named = recipe.model.name ?? recipe.model.version;
  const known =
    [recipe.model.name, recipe.model.version].find((id) => id !== null && modelIds.includes(id)) ?? null;
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
  };
  const notCarried = Object.entries(recipe.unmapped).map(([name, value]) => `${name}: ${value}`);
  // Fields the recipe gives that this form has no control for yet.
  for (const name of [
    "rng",
    "clip_skip",
    "hires_scale",
    "hires_strength",
    "hires_steps",
    "strength",
  ] as const) {
    if (fields[name] !== undefined) notCarried.push(`${name}: ${fields[name]}`);
  }
  if (named !== null && known === null) notCarried.push(`model: ${named} (not one your key may use)`);
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
  };
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
