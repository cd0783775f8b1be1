import { z } from "zod";
import { MAX_PROMPT_CHARS } from "./generation-request.ts";
import { aliasNameSchema, versionLabelSchema } from "./model-registry.ts";
import { SAFETY_OUTCOMES } from "./safety.ts";

/**
 * Evaluation runs (issue 16): a fixed prompt set generated on a candidate version and on the version
 * a baseline alias (default `production`) points at, with latency, failure and safety-check rates side
 * by side, and the images kept for people to compare. A promotion request cites one as evidence
 * (`{ kind: "evaluation", ref: "evl_…" }`).
 */

/** An evaluation run's id (`evl_0f1e2d3c4b5a6978`). */
export const EVALUATION_ID_PATTERN = /^evl_[0-9a-f]{16}$/;

/**
 * The prompts a run uses when it names none: varied in subject, style and length so a version that
 * regresses on one kind of picture shows it. Kept here, in the contract, so runs stay comparable.
 */
export const DEFAULT_EVALUATION_PROMPTS = [
  "a portrait photo of an elderly fisherman, natural light, 85mm",
  "a red fox in a snowy forest at dawn, wildlife photography",
  "a bowl of ramen on a wooden table, food photography, top view",
  "an isometric illustration of a tiny city on a floating island",
  "a watercolor painting of a lighthouse in a storm",
  "a futuristic car in a neon-lit street at night, rain reflections",
  "a close-up of a dragonfly on a leaf, macro, shallow depth of field",
  "the word HELLO written in chalk on a blackboard",
] as const;

export const MAX_EVALUATION_PROMPTS = 32;
export const MAX_EVALUATION_SEEDS = 4;
export const DEFAULT_EVALUATION_STEPS = 20;
/** Enough for a comparison, short enough that a run of every prompt and seed stays minutes long. */
export const MAX_EVALUATION_STEPS = 50;

export const EVALUATION_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
export type EvaluationStatus = (typeof EVALUATION_STATUSES)[number];

export const EVALUATION_SIDES = ["candidate", "baseline"] as const;
export type EvaluationSide = (typeof EVALUATION_SIDES)[number];

/** `POST /admin/models/{id}/evaluations`. */
export const evaluationBodySchema = z.strictObject({
  /** The version under evaluation (`v3`). */
  candidate: versionLabelSchema,
  /** What it is compared with: an alias (default `production`) or a version. */
  baseline: z.union([versionLabelSchema, aliasNameSchema]).default("production"),
  prompts: z
    .array(z.string().trim().min(1, "must not be empty").max(MAX_PROMPT_CHARS))
    .min(1)
    .max(MAX_EVALUATION_PROMPTS)
    .default([...DEFAULT_EVALUATION_PROMPTS]),
  /** Images per prompt and side, seeds 1…n, so both sides draw the same noise. */
  seeds: z.number().int().min(1).max(MAX_EVALUATION_SEEDS).default(1),
  /** Absent: the model's default size. */
  size: z
    .string()
    .regex(/^\d{2,5}x\d{2,5}$/, 'must look like "512x512"')
    .optional(),
  steps: z.number().int().min(1).max(MAX_EVALUATION_STEPS).default(DEFAULT_EVALUATION_STEPS),
});
export type EvaluationBody = z.input<typeof evaluationBodySchema>;

const rate = z.number().min(0).max(1);

/** One side's numbers; latencies are of the generations that succeeded (`null` without any). */
export const evaluationSideStatsSchema = z.object({
  /** The model reference it ran as (`sd15@v3`). */
  ref: z.string(),
  version: z.string(),
  digest: z.string(),
  /** Generations finished so far (succeeded or failed). */
  count: z.number().int(),
  failures: z.number().int(),
  failure_rate: rate.nullable(),
  latency_ms: z.object({
    p50: z.number().nullable(),
    p95: z.number().nullable(),
    mean: z.number().nullable(),
  }),
  /** Images per safety outcome; all zero when the model's policy does not ask for the check. */
  // Spelled out rather than a record keyed by the enum: OpenAPI then names each count as a property.
  safety: z.object({
    passed: z.number().int(),
    blocked: z.number().int(),
    blurred: z.number().int(),
    flagged: z.number().int(),
  }) satisfies z.ZodType<Record<(typeof SAFETY_OUTCOMES)[number], number>>,
  /** Share of checked images not `passed`; `null` when none was checked. */
  flagged_rate: rate.nullable(),
});
export type EvaluationSideStats = z.infer<typeof evaluationSideStatsSchema>;

/** One generation of one side: its image (an admin path) or why it failed; `pending` until run. */
export const evaluationOutputSchema = z.object({
  status: z.enum(["pending", "succeeded", "failed"]),
  latency_ms: z.number().nullable(),
  /** `GET /admin/evaluations/{id}/images/{index}?side=…` while the image is kept. */
  image_url: z.string().nullable(),
  safety: z.enum(SAFETY_OUTCOMES).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type EvaluationOutput = z.infer<typeof evaluationOutputSchema>;

export const evaluationItemSchema = z.object({
  index: z.number().int(),
  prompt: z.string(),
  seed: z.number().int(),
  candidate: evaluationOutputSchema,
  baseline: evaluationOutputSchema,
});
export type EvaluationItem = z.infer<typeof evaluationItemSchema>;

export const evaluationRunSchema = z.object({
  id: z.string(),
  model_id: z.string(),
  status: z.enum(EVALUATION_STATUSES),
  /** What the caller asked to compare with (`production`, `v2`). */
  baseline_ref: z.string(),
  steps: z.number().int(),
  size: z.string().nullable(),
  seeds: z.number().int(),
  /** Whether the model's policy asked for the output safety check (both sides ran with the same setting). */
  safety_check: z.boolean(),
  created_by: z.string(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  /** Why the run itself failed (not a generation's failure, which the side's numbers count). */
  error: z.string().nullable(),
  candidate: evaluationSideStatsSchema,
  baseline: evaluationSideStatsSchema,
  items: z.array(evaluationItemSchema),
});
export type EvaluationRun = z.infer<typeof evaluationRunSchema>;

/** A run without its items: what lists and promotion evidence show. */
export const evaluationSummarySchema = evaluationRunSchema.omit({ items: true });
export type EvaluationSummary = z.infer<typeof evaluationSummarySchema>;

/** A side's numbers before anything ran. */
export function emptySideStats(ref: string, version: string, digest: string): EvaluationSideStats {
  return {
    ref,
    version,
    digest,
    count: 0,
    failures: 0,
    failure_rate: null,
    latency_ms: { p50: null, p95: null, mean: null },
    safety: { passed: 0, blocked: 0, blurred: 0, flagged: 0 },
    flagged_rate: null,
  };
}

/** The nearest-rank percentile of `values` (`p` in 0…100); `null` for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? null;
}

/**
 * A side's numbers from its outputs so far.
 *
 * @example
 * const stats = sideStats(emptySideStats("sd15@v3", "v3", digest), items.map((item) => item.candidate));
 */
export function sideStats(
  base: EvaluationSideStats,
  outputs: readonly EvaluationOutput[],
): EvaluationSideStats {
  const done = outputs.filter((output) => output.status !== "pending");
  const failures = done.filter((output) => output.status === "failed").length;
  const latencies = done.flatMap((output) =>
    output.status === "succeeded" && output.latency_ms !== null ? [output.latency_ms] : [],
  );
  const safety = { passed: 0, blocked: 0, blurred: 0, flagged: 0 };
  for (const output of done) if (output.safety !== null) safety[output.safety] += 1;
  const checked = safety.passed + safety.blocked + safety.blurred + safety.flagged;
  const mean = latencies.length === 0 ? null : latencies.reduce((a, b) => a + b, 0) / latencies.length;
  return {
    ...base,
    count: done.length,
    failures,
    failure_rate: done.length === 0 ? null : failures / done.length,
    latency_ms: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      mean: mean === null ? null : Math.round(mean),
    },
    safety,
    flagged_rate: checked === 0 ? null : (checked - safety.passed) / checked,
  };
}
