import { z } from "zod";
import {
  type GenerationRequest,
  generationRequestSchema,
  problemFromZod,
  type RequestProblem,
  type Result,
} from "./generation-request.ts";
import { EXPERIMENT_NAME_PATTERN, runSchema } from "./runs.ts";

/**
 * Sweeps (issue 17, A1111's X/Y/Z plot): a base generation request and one to three axes, each a
 * field and the values it takes. The grid is every combination; each cell is the base request with
 * its axes' values put in, checked with the generation request's own schema, priced before anything
 * runs, and run as an async job.
 */

/**
 * The fields an axis may vary: any generation field a person sweeps, `prompt_sr` (A1111's
 * "Prompt S/R": the first value is the text searched for in the prompts, each value replaces it), and
 * the SDXL refiner's `refiner` (its model) and `refiner_switch_at` (A1111's "Refiner checkpoint" and
 * "Refiner switch at" axes), each set inside the cell's `refiner` object.
 */
export const SWEEP_FIELDS = [
  "model",
  "prompt",
  "negative_prompt",
  "prompt_sr",
  "scheduler",
  "steps",
  "guidance_scale",
  "seed",
  "size",
  "width",
  "height",
  "rng",
  "clip_skip",
  "hires_scale",
  "hires_strength",
  "hires_steps",
  "strength",
  "output_format",
  "refiner",
  "refiner_switch_at",
] as const;
export type SweepField = (typeof SWEEP_FIELDS)[number];

/** Axis fields whose values are numbers; the rest take text. */
const NUMERIC_FIELDS: ReadonlySet<SweepField> = new Set([
  "steps",
  "guidance_scale",
  "seed",
  "width",
  "height",
  "clip_skip",
  "hires_scale",
  "hires_strength",
  "hires_steps",
  "strength",
  "refiner_switch_at",
]);

/** The axes that set a field of the cell's `refiner` object rather than one of the request's own. */
const REFINER_AXES: Partial<Record<SweepField, "model" | "switch_at">> = {
  refiner: "model",
  refiner_switch_at: "switch_at",
};

/**
 * Whether a refusal's field (`refiner.model`, `width`) is the one an axis sets: its own, width and
 * height for `size`, and the `refiner` object (and what is in it) for the refiner's axes.
 *
 * @example
 * axisSetsField("refiner_switch_at", "refiner.switch_at") // true
 */
export function axisSetsField(axis: SweepField, field: string): boolean {
  if (axis === field) return true;
  if (axis === "size") return field === "width" || field === "height";
  if (axis === "prompt_sr") return field === "prompt" || field === "negative_prompt";
  return REFINER_AXES[axis] !== undefined && (field === "refiner" || field.startsWith("refiner."));
}

export const MAX_SWEEP_AXES = 3;
export const MAX_AXIS_VALUES = 64;
/** The most cells a sweep may have: enough for a 20 × 20 grid, small enough to submit in one request. */
export const MAX_SWEEP_CELLS = 400;
/** Which way each axis runs in the grid: X across, Y down, Z one page per value. */
export const AXIS_NAMES = ["x", "y", "z"] as const;

export const sweepAxisSchema = z.strictObject({
  field: z.enum(SWEEP_FIELDS),
  values: z
    .array(z.union([z.string().max(4_000), z.number()]))
    .min(1)
    .max(MAX_AXIS_VALUES),
});
export type SweepAxis = z.infer<typeof sweepAxisSchema>;

/** `POST /v1/sweeps`. */
export const sweepBodySchema = z.strictObject({
  /** The base generation request (as `POST /v1/images/generations` takes it, without input images). */
  request: z.record(z.string(), z.unknown()),
  /** X, then Y, then Z. */
  axes: z.array(sweepAxisSchema).min(1).max(MAX_SWEEP_AXES),
  name: z.string().trim().max(120).optional(),
  /** The experiment its runs join (as the `Sdgate-Experiment` header; the header wins when both are given). */
  experiment: z.string().regex(EXPERIMENT_NAME_PATTERN, "must be an experiment's name").optional(),
  /** Refuse the sweep when the whole grid would cost more credits than this. */
  max_credits: z.number().int().min(0).optional(),
  /** Price the grid and say whether it may run, without running it. */
  dry_run: z.boolean().optional(),
});
export type SweepBody = z.input<typeof sweepBodySchema>;

/** Where a cell sits: its value's index on each axis (`null` on an axis the sweep does not have). */
export const sweepCoordinatesSchema = z.object({
  x: z.number().int().min(0),
  y: z.number().int().min(0).nullable(),
  z: z.number().int().min(0).nullable(),
});
export type SweepCoordinates = z.infer<typeof sweepCoordinatesSchema>;

/** One expanded cell: its place in the grid and the generation request it runs. */
export interface SweepCell {
  index: number;
  coordinates: SweepCoordinates;
  request: GenerationRequest;
}

/** Fields a sweep's base request may not carry: input images do not belong in a grid of 400 copies. */
const BASE_REFUSED_FIELDS = ["image", "mask", "response_format"] as const;

function axisProblem(axisIndex: number, valueIndex: number | null, message: string): RequestProblem {
  const where = valueIndex === null ? `axes.${axisIndex}` : `axes.${axisIndex}.values.${valueIndex}`;
  return { param: where, message };
}

/** Puts one axis value into a cell's request, keeping `size` and `width`/`height` from disagreeing. */
function applyValue(
  request: Record<string, unknown>,
  field: SweepField,
  value: string | number,
  search: string | null,
): void {
  if (field === "prompt_sr") {
    const replacement = String(value);
    for (const name of ["prompt", "negative_prompt"] as const) {
      const text = request[name];
      if (typeof text === "string" && search !== null) request[name] = text.split(search).join(replacement);
    }
    return;
  }
  const refinerPart = REFINER_AXES[field];
  if (refinerPart !== undefined) {
    const refiner = typeof request.refiner === "object" && request.refiner !== null ? request.refiner : {};
    request.refiner = { ...refiner, [refinerPart]: value };
    return;
  }
  if (field === "size") {
    delete request.width;
    delete request.height;
  }
  if ((field === "width" || field === "height") && typeof request.size === "string") {
    const [width, height] = request.size.split("x").map(Number);
    delete request.size;
    request.width ??= width;
    request.height ??= height;
  }
  request[field] = value;
}

/** Checks the axes themselves: value types, repeated fields, a Prompt S/R whose text is not in the prompt. */
function checkAxes(base: Record<string, unknown>, axes: readonly SweepAxis[]): RequestProblem | null {
  const seen = new Set<SweepField>();
  for (const [axisIndex, axis] of axes.entries()) {
    if (axis.field !== "prompt_sr" && seen.has(axis.field))
      return axisProblem(axisIndex, null, `Invalid 'axes.${axisIndex}': '${axis.field}' is already an axis.`);
    seen.add(axis.field);
    const numeric = NUMERIC_FIELDS.has(axis.field);
    for (const [valueIndex, value] of axis.values.entries()) {
      if (numeric !== (typeof value === "number"))
        return axisProblem(
          axisIndex,
          valueIndex,
          `Invalid 'axes.${axisIndex}.values.${valueIndex}': ${axis.field} takes ${numeric ? "numbers" : "text"}, not ${JSON.stringify(value).slice(0, 40)}.`,
        );
    }
    if (axis.field === "prompt_sr") {
      const search = String(axis.values[0]);
      const prompts = [base.prompt, base.negative_prompt].filter((text) => typeof text === "string");
      if (search === "" || !prompts.some((text) => text.includes(search)))
        return axisProblem(
          axisIndex,
          0,
          `Invalid 'axes.${axisIndex}.values.0': Prompt S/R searches for '${search.slice(0, 60)}', which is not in the prompt or negative prompt.`,
        );
    }
  }
  return null;
}

/** How many cells the axes make. */
export function sweepCellCount(axes: readonly Pick<SweepAxis, "values">[]): number {
  return axes.reduce((count, axis) => count * axis.values.length, 1);
}

/**
 * Every cell of a sweep, X fastest, then Y, then Z, each checked with the generation request's
 * schema: a value that makes a bad request is refused naming its axis and value
 * (`axes.1.values.2`: "steps 0: …"). Pure: nothing is priced or run.
 *
 * @example
 * const cells = expandSweep({ prompt: "a cat", size: "64x64" }, [{ field: "steps", values: [2, 4] }]);
 * if (cells.ok) cells.value.map((cell) => cell.request.steps); // [2, 4]
 */
export function expandSweep(
  base: Record<string, unknown>,
  axes: readonly SweepAxis[],
): Result<SweepCell[], RequestProblem> {
  for (const field of BASE_REFUSED_FIELDS)
    if (field in base)
      return {
        ok: false,
        error: {
          param: `request.${field}`,
          message: `Invalid 'request.${field}': a sweep does not take '${field}'.`,
        },
      };
  const baseParsed = generationRequestSchema.safeParse(base);
  if (!baseParsed.success) {
    const problem = problemFromZod(baseParsed.error);
    const param = problem.param === null ? "request" : `request.${problem.param}`;
    return { ok: false, error: { param, message: problem.message.replace(/'([^']+)'/, `'request.$1'`) } };
  }
  const count = sweepCellCount(axes);
  if (count > MAX_SWEEP_CELLS)
    return {
      ok: false,
      error: { param: "axes", message: `Invalid 'axes': ${count} cells, more than ${MAX_SWEEP_CELLS}.` },
    };
  const axesProblem = checkAxes(base, axes);
  if (axesProblem !== null) return { ok: false, error: axesProblem };
  const cells: SweepCell[] = [];
  for (let index = 0; index < count; index += 1) {
    const positions: number[] = [];
    let rest = index;
    for (const axis of axes) {
      positions.push(rest % axis.values.length);
      rest = Math.floor(rest / axis.values.length);
    }
    const request: Record<string, unknown> = { ...base };
    for (const [axisIndex, axis] of axes.entries()) {
      const valueIndex = positions[axisIndex] ?? 0;
      const search = axis.field === "prompt_sr" ? String(axis.values[0]) : null;
      applyValue(request, axis.field, axis.values[valueIndex] ?? "", search);
    }
    const parsed = generationRequestSchema.safeParse(request);
    if (!parsed.success) {
      const axisIndex = firstAxisOf(axes, parsed.error);
      const valueIndex = positions[axisIndex] ?? 0;
      const axis = axes[axisIndex];
      const value = JSON.stringify(axis?.values[valueIndex]).slice(0, 60);
      return {
        ok: false,
        error: axisProblem(
          axisIndex,
          valueIndex,
          `Invalid 'axes.${axisIndex}.values.${valueIndex}' (${axis?.field} ${value}): ${problemFromZod(parsed.error).message}`,
        ),
      };
    }
    cells.push({
      index,
      coordinates: { x: positions[0] ?? 0, y: positions[1] ?? null, z: positions[2] ?? null },
      request: parsed.data,
    });
  }
  return { ok: true, value: cells };
}

/** The axis whose field the schema refused (prompts for a Prompt S/R axis), else the first. */
function firstAxisOf(axes: readonly SweepAxis[], error: z.ZodError): number {
  const field = String(error.issues[0]?.path[0] ?? "");
  const index = axes.findIndex((axis) => axisSetsField(axis.field, field));
  return Math.max(0, index);
}

export const SWEEP_CELL_STATUSES = ["pending", "running", "succeeded", "failed", "cancelled"] as const;
export type SweepCellStatus = (typeof SWEEP_CELL_STATUSES)[number];

/** What the whole grid costs, priced as `POST /v1/estimate` prices each cell. */
export const sweepPriceSchema = z.object({
  cells: z.number().int().min(1),
  /** Credits the grid would reserve, summed over its cells. */
  credits: z.number().min(0),
  gpu_seconds: z.number().min(0),
});
export type SweepPrice = z.infer<typeof sweepPriceSchema>;

export const sweepTotalsSchema = z.object(
  Object.fromEntries(SWEEP_CELL_STATUSES.map((status) => [status, z.number().int().min(0)])) as Record<
    SweepCellStatus,
    z.ZodNumber
  >,
);
export type SweepTotals = z.infer<typeof sweepTotalsSchema>;

export const sweepCellViewSchema = z.object({
  index: z.number().int().min(0),
  coordinates: sweepCoordinatesSchema,
  request: z.record(z.string(), z.unknown()),
  status: z.enum(SWEEP_CELL_STATUSES),
  /** The async job that runs it; `null` until submitted. */
  job_id: z.string().nullable(),
  /** Its run in the history (the job's id) once it ended; `null` before. */
  run_id: z.string().nullable(),
  /** Why it failed or was not submitted (an error code); `null` otherwise. */
  error_code: z.string().nullable(),
  cost: z.number().nullable(),
  images: runSchema.shape.images,
});
export type SweepCellView = z.infer<typeof sweepCellViewSchema>;

const sweepFields = {
  object: z.literal("sweep"),
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
  key_id: z.string(),
  team_id: z.string().nullable(),
  experiment: z.string().nullable(),
  /** Set once the sweep was cancelled (a resume clears it). */
  cancelled_at: z.string().nullable(),
  request: z.record(z.string(), z.unknown()),
  axes: z.array(sweepAxisSchema),
  price: sweepPriceSchema,
  totals: sweepTotalsSchema,
};

/** A sweep with its cells (`GET /v1/sweeps/{id}`). */
export const sweepSchema = z.object({ ...sweepFields, cells: z.array(sweepCellViewSchema) });
export type Sweep = z.infer<typeof sweepSchema>;

/** A sweep without its cells, as lists show them. */
export const sweepSummarySchema = z.object(sweepFields);
export type SweepSummary = z.infer<typeof sweepSummarySchema>;
export const sweepListSchema = z.object({ object: z.literal("list"), data: z.array(sweepSummarySchema) });
export type SweepList = z.infer<typeof sweepListSchema>;

/** `dry_run: true`: the price, the budget it would come out of, and whether it may run. */
export const sweepEstimateSchema = z.object({
  object: z.literal("sweep.estimate"),
  price: sweepPriceSchema,
  /** Credits left this month of the team's budget; `null`: the team has no limit. */
  budget_remaining: z.number().int().min(0).nullable(),
  max_credits: z.number().int().nullable(),
  /** Why it would be refused (too expensive for the budget or `max_credits`); `null`: it may run. */
  refusal: z.string().nullable(),
});
export type SweepEstimate = z.infer<typeof sweepEstimateSchema>;
