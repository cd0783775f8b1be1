import { z } from "zod";
import { DIGEST_PATTERN, VERSION_PATTERN } from "./model-registry.ts";
import type { ModelInfo } from "./models.ts";

/**
 * A1111's "Refiner" (the SDXL refiner 1.0 workflow): an SDXL base model denoises the first steps, an
 * SDXL refiner (its own UNet, conditioned on an aesthetic score) the rest, on the same sampler. The
 * request names the refiner's model and where it takes over; the engine runs it
 * (backend/src/engine/pipelines/refiner-stage.ts).
 */

/**
 * How the step where the refiner takes over is found, as A1111's `apply_refiner`
 * (modules/sd_samplers_common.py) decides it before each denoiser call:
 * - `"timestep"` (its default): `completed_ratio = (999 − t) / 1000`, t the step's model timestep;
 * - `"steps"` (its "Refiner switch by sampling steps" option): `completed_ratio = step / total_steps`.
 * The refiner takes over at the first step whose ratio is not `< refiner_switch_at`, and keeps it.
 */
export const REFINER_SWITCH_BY = ["timestep", "steps"] as const;
export type RefinerSwitchBy = (typeof REFINER_SWITCH_BY)[number];

/** A1111's default "Refiner switch at". */
export const DEFAULT_REFINER_SWITCH_AT = 0.8;

/** diffusers' `StableDiffusionXLImg2ImgPipeline.__call__` defaults: `aesthetic_score=6.0`, `negative_aesthetic_score=2.5`. */
export const DEFAULT_AESTHETIC_SCORE = 6;
export const DEFAULT_NEGATIVE_AESTHETIC_SCORE = 2.5;
/** The refiner was trained on LAION aesthetic scores, which run from 0 to 10. */
export const MAX_AESTHETIC_SCORE = 10;

/** The model timesteps of the schedule (A1111's `999 − t` counts from the noisiest). */
const LAST_TRAIN_TIMESTEP = 999;
const TRAIN_TIMESTEPS = 1000;

/**
 * The index k of the first refiner step over the timesteps a run denoises: the base runs steps
 * [0, k), the refiner [k, n); k = n when the refiner never takes over. The engine switches by it
 * and the edge prices by it.
 *
 * @example
 * refinerSwitchStep([901, 801, 701, 601, 501, 401, 301, 201, 101, 1], 0.8) // 8
 */
export function refinerSwitchStep(
  timesteps: ArrayLike<number>,
  switchAt: number,
  by: RefinerSwitchBy = "timestep",
): number {
  const n = timesteps.length;
  for (let step = 0; step < n; step++) {
    const t = Math.min(LAST_TRAIN_TIMESTEP, Math.max(0, Math.round(timesteps[step] as number)));
    // the same float division as Python's, so 21/30 vs 0.7 decide as A1111's do
    const completedRatio = by === "steps" ? step / n : (LAST_TRAIN_TIMESTEP - t) / TRAIN_TIMESTEPS;
    if (!(completedRatio < switchAt)) return step;
  }
  return n;
}

/**
 * The timesteps SDXL 1.0's scheduler config gives a `steps`-step schedule (Euler, "leading" spacing,
 * `steps_offset` 1: `(steps − 1 − i) · ⌊1000 / steps⌋ + 1`). The edge prices a refiner's share by
 * them; a scheduler with other timesteps (Karras sigmas, "trailing") may switch a step apart.
 *
 * @example
 * sdxlScheduleTimesteps(4) // [751, 501, 251, 1]
 */
export function sdxlScheduleTimesteps(steps: number): number[] {
  const ratio = Math.floor(TRAIN_TIMESTEPS / steps);
  return Array.from({ length: steps }, (_, i) => (steps - 1 - i) * ratio + 1);
}

/** `refiner` in a request: the refiner's model (an id, alias or pinned version, as `model`) and the switch. */
export const refinerRequestSchema = z.strictObject({
  model: z.string().min(1).max(200),
  /** A1111's "Refiner switch at": the share of the run the base does, between 0 and 1 (default 0.8). */
  switch_at: z.number().gt(0).lt(1).optional(),
  /** How the switch is counted: by the step's timestep (default, as A1111's) or by sampling steps. */
  switch_by: z.enum(REFINER_SWITCH_BY).optional(),
});
export type RefinerRequest = z.infer<typeof refinerRequestSchema>;

const aestheticScoreSchema = z.number().min(0).max(MAX_AESTHETIC_SCORE);

/** The refiner's request fields, public and resolved alike. */
export const refinerRequestFields = {
  /** SDXL refiner only: the aesthetic score its prompt's row is conditioned on (default 6). */
  aesthetic_score: aestheticScoreSchema.optional(),
  /** SDXL refiner only: the aesthetic score of the unconditional row (default 2.5). */
  negative_aesthetic_score: aestheticScoreSchema.optional(),
};

/** `refiner` once resolved: the refiner's model id, the switch with its defaults, and its registry version. */
export const resolvedRefinerSchema = z.strictObject({
  model: z.string().min(1),
  switch_at: z.number().gt(0).lt(1),
  switch_by: z.enum(REFINER_SWITCH_BY),
  /** Present only for a model the registry governs, as the request's own `model_version`. */
  model_version: z
    .strictObject({ version: z.string().regex(VERSION_PATTERN), digest: z.string().regex(DIGEST_PATTERN) })
    .optional(),
});
export type ResolvedRefiner = z.infer<typeof resolvedRefinerSchema>;

/** What the refiner checks read of a request. */
interface RefinerFields {
  refiner?: RefinerRequest | null | undefined;
  aesthetic_score?: number | undefined;
  negative_aesthetic_score?: number | undefined;
  hires_scale?: number | undefined;
  mask?: string | undefined;
  controlnet?: readonly unknown[] | undefined;
}

type Problem = { param: string; message: string };
const problem = (param: string, message: string): Problem => ({
  param,
  message: `Invalid '${param}': ${message}`,
});

/**
 * The refiner and aesthetic-score fields resolved against the base `model` and the refiner's
 * (`refinerModel`, the catalog's entry for `refiner.model`): defaults applied, or the field the engine
 * cannot run named. The scores are kept (with their defaults) only where a refiner conditions on them,
 * so requests without one keep their canonical form.
 *
 * @example
 * resolveRefiner({ refiner: { model: "sdxl-refiner" } }, sdxl, refinerInfo)
 * // { ok: true, value: { refiner: { model: "sdxl-refiner", switch_at: 0.8, switch_by: "timestep" }, aesthetic_score: 6, negative_aesthetic_score: 2.5 } }
 */
export function resolveRefiner(
  request: RefinerFields,
  model: ModelInfo,
  refinerModel: ModelInfo | null,
):
  | {
      ok: true;
      value: { refiner?: ResolvedRefiner; aesthetic_score?: number; negative_aesthetic_score?: number };
    }
  | { ok: false; error: Problem } {
  const refiner = request.refiner ?? null;
  const modelIsRefiner = model.architecture === "sdxl-refiner";
  if (refiner === null) {
    if (!modelIsRefiner) {
      const given = (["aesthetic_score", "negative_aesthetic_score"] as const).find(
        (field) => request[field] !== undefined,
      );
      if (given !== undefined)
        return {
          ok: false,
          error: problem(
            given,
            `it conditions an SDXL refiner only; model '${model.id}' is ${model.architecture} and the request has no 'refiner'.`,
          ),
        };
      return { ok: true, value: {} };
    }
    return { ok: true, value: scoresOf(request) };
  }
  if (modelIsRefiner)
    return {
      ok: false,
      error: problem(
        "model",
        `'${model.id}' is an SDXL refiner; with 'refiner' the model must be an SDXL base.`,
      ),
    };
  if (model.architecture !== "sdxl")
    return {
      ok: false,
      error: problem(
        "refiner",
        `a refiner follows an SDXL base model; '${model.id}' is ${model.architecture}.`,
      ),
    };
  if (refinerModel === null || refinerModel.architecture !== "sdxl-refiner")
    return {
      ok: false,
      error: problem(
        "refiner.model",
        refinerModel === null
          ? `'${refiner.model.slice(0, 200)}' is not a model this server knows as an SDXL refiner.`
          : `'${refinerModel.id}' is not an SDXL refiner (it is ${refinerModel.architecture}).`,
      ),
    };
  // What the engine does not run with a refiner yet (backend/src/engine/pipelines/refiner-stage.ts).
  const unsupported = [
    ["hires_scale", request.hires_scale],
    ["mask", request.mask],
    ["controlnet", (request.controlnet?.length ?? 0) > 0 ? request.controlnet : undefined],
  ] as const;
  for (const [field, value] of unsupported)
    if (value !== undefined)
      return { ok: false, error: problem("refiner", `it does not run with '${field}' yet.`) };
  return {
    ok: true,
    value: {
      refiner: {
        model: refinerModel.id,
        switch_at: refiner.switch_at ?? DEFAULT_REFINER_SWITCH_AT,
        switch_by: refiner.switch_by ?? "timestep",
      },
      ...scoresOf(request),
    },
  };
}

function scoresOf(request: RefinerFields): { aesthetic_score: number; negative_aesthetic_score: number } {
  return {
    aesthetic_score: request.aesthetic_score ?? DEFAULT_AESTHETIC_SCORE,
    negative_aesthetic_score: request.negative_aesthetic_score ?? DEFAULT_NEGATIVE_AESTHETIC_SCORE,
  };
}
