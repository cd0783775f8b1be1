import type { GenerationBody } from "@sdgate/sdk";
import {
  DEFAULT_AESTHETIC_SCORE,
  DEFAULT_NEGATIVE_AESTHETIC_SCORE,
  DEFAULT_REFINER_SWITCH_AT,
  type Model,
  REFINER_SWITCH_BY,
  type RecipeRefiner,
  type RefinerSwitchBy,
  refinerRequestFields,
  refinerRequestSchema,
  resolveRefiner,
} from "@sdgate/shared";
import type { z } from "zod";

/** Whether a model is an SDXL refiner (architecture `sdxl-refiner`), which runs only after a base. */
export const isRefiner = (model: Pick<Model, "architecture">) => model.architecture === "sdxl-refiner";

/**
 * The model a new form starts from: the key's first that is no refiner (a refiner as `model` is
 * refused with a 400 on `model`).
 *
 * @example
 * const first = firstBaseModel(models.data);
 */
export function firstBaseModel(models: readonly Model[]): Model | undefined {
  return models.find((model) => !isRefiner(model)) ?? models[0];
}

/** SDXL's refiner as the form holds it: its model, where it takes over, and the scores it is conditioned on. */
export interface DraftRefiner {
  model: string;
  switch_at: number;
  switch_by: RefinerSwitchBy;
  aesthetic_score: number;
  negative_aesthetic_score: number;
}

/** The refiner fields of a request (`refiner` and the aesthetic scores). */
export interface RefinerBody {
  refiner?: { model: string; switch_at: number; switch_by?: RefinerSwitchBy };
  aesthetic_score?: number;
  negative_aesthetic_score?: number;
}

/**
 * A refiner as a person first picks one: the contract's defaults (A1111's switch at 0.8 by timestep,
 * diffusers' scores 6 and 2.5).
 *
 * @example
 * onChange({ ...draft, refiner: newRefiner("sdxl-refiner") });
 */
export function newRefiner(model: string): DraftRefiner {
  return {
    model,
    switch_at: DEFAULT_REFINER_SWITCH_AT,
    switch_by: "timestep",
    aesthetic_score: DEFAULT_AESTHETIC_SCORE,
    negative_aesthetic_score: DEFAULT_NEGATIVE_AESTHETIC_SCORE,
  };
}

/**
 * The request's refiner fields; the switch's way and the scores only where they differ from the
 * contract's defaults (the edge resolves both forms to the same canonical request).
 */
export function refinerBodyOf(refiner: DraftRefiner | null): RefinerBody {
  if (refiner === null) return {};
  const { model, switch_at, switch_by, aesthetic_score, negative_aesthetic_score } = refiner;
  return {
    refiner: { model, switch_at, ...(switch_by === "timestep" ? {} : { switch_by }) },
    ...(aesthetic_score === DEFAULT_AESTHETIC_SCORE ? {} : { aesthetic_score }),
    ...(negative_aesthetic_score === DEFAULT_NEGATIVE_AESTHETIC_SCORE ? {} : { negative_aesthetic_score }),
  };
}

/** The URL's names for the refiner's fields. */
const QUERY = {
  model: "refiner",
  switch_at: "refiner_switch_at",
  switch_by: "refiner_switch_by",
  aesthetic_score: "aesthetic_score",
  negative_aesthetic_score: "negative_aesthetic_score",
} as const;

/** Writes the refiner into a URL query (nothing without one). */
export function setRefinerQuery(query: URLSearchParams, refiner: DraftRefiner | null): void {
  if (refiner === null) return;
  for (const [part, name] of Object.entries(QUERY))
    query.set(name, String(refiner[part as keyof typeof QUERY]));
}

/** The refiner a URL query names, its other fields defaulted where missing or not numbers; `null` without one. */
export function refinerOfQuery(query: URLSearchParams): DraftRefiner | null {
  const model = query.get(QUERY.model);
  if (model === null || model === "") return null;
  return withFields(newRefiner(model), {
    switch_at: query.get(QUERY.switch_at),
    switch_by: query.get(QUERY.switch_by),
    aesthetic_score: query.get(QUERY.aesthetic_score),
    negative_aesthetic_score: query.get(QUERY.negative_aesthetic_score),
  });
}

/** A recorded request's refiner (`refiner: { model, switch_at?, switch_by? }` and the scores); `null` without one. */
export function refinerOfRequest(request: Record<string, unknown>): DraftRefiner | null {
  const refiner = request.refiner;
  if (typeof refiner !== "object" || refiner === null) return null;
  const { model, switch_at, switch_by } = refiner as Record<string, unknown>;
  if (typeof model !== "string" || model === "") return null;
  return withFields(newRefiner(model), {
    switch_at,
    switch_by,
    aesthetic_score: request.aesthetic_score,
    negative_aesthetic_score: request.negative_aesthetic_score,
  });
}

/**
 * An image recipe's refiner, when it is one of `models` (the key's); otherwise what did not carry
 * over, in words. The recipe does not hold the aesthetic scores: they are the contract's defaults.
 */
export function refinerOfRecipe(
  refiner: RecipeRefiner | undefined,
  models: readonly Pick<Model, "id">[],
): { refiner: DraftRefiner | null; notCarried: string | null } {
  if (refiner === undefined) return { refiner: null, notCarried: null };
  if (!models.some((model) => model.id === refiner.name))
    return { refiner: null, notCarried: `refiner: ${refiner.name} (not one your key may use)` };
  const { switch_at, switch_by, aesthetic_score, negative_aesthetic_score } = refiner;
  return {
    refiner: withFields(newRefiner(refiner.name), {
      switch_at,
      switch_by,
      aesthetic_score,
      negative_aesthetic_score,
    }),
    notCarried: null,
  };
}

/** Text from a URL read as the number it spells; other values as they are. */
const numberOf = (value: unknown) => (typeof value === "string" && value !== "" ? Number(value) : value);

/** A value as the contract's schema for it takes it, or `undefined`. */
function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const parsed = schema.safeParse(numberOf(value));
  return parsed.success ? parsed.data : undefined;
}

/** The fields given laid over a refiner, each only when it is a value the contract takes. */
function withFields(
  refiner: DraftRefiner,
  given: Partial<Record<Exclude<keyof DraftRefiner, "model">, unknown>>,
): DraftRefiner {
  const switchAt = valid(refinerRequestSchema.shape.switch_at, given.switch_at);
  const switchBy = REFINER_SWITCH_BY.find((by) => by === given.switch_by);
  const aesthetic = valid(refinerRequestFields.aesthetic_score, given.aesthetic_score);
  const negative = valid(refinerRequestFields.negative_aesthetic_score, given.negative_aesthetic_score);
  return {
    ...refiner,
    ...(switchAt === undefined ? {} : { switch_at: switchAt }),
    ...(switchBy === undefined ? {} : { switch_by: switchBy }),
    ...(aesthetic === undefined ? {} : { aesthetic_score: aesthetic }),
    ...(negative === undefined ? {} : { negative_aesthetic_score: negative }),
  };
}

/**
 * Why the API would refuse the form's refiner (with a hires pass, a mask or ControlNet units), in the
 * contract's words, or `null`. Checked by the contract's own `resolveRefiner` against the picked
 * models, so the form says it before Run.
 *
 * @example
 * refinerRefusal(requestOf(draft, inputs), models) // "Invalid 'refiner': it does not run with 'hires_scale' yet."
 */
export function refinerRefusal(request: GenerationBody, models: readonly Model[]): string | null {
  if (request.refiner == null) return null;
  const byId = (ref: string) => models.find((model) => model.id === ref.split("@")[0]) ?? null;
  const base = byId(request.model ?? "");
  if (base === null) return null;
  const checked = resolveRefiner(request, base, byId(request.refiner.model));
  return checked.ok ? null : checked.error.message;
}
