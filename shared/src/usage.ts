import { z } from "zod";
import { TEAM_ID_PATTERN } from "./directory.ts";
import { instantSchema } from "./instant.ts";
import { KEY_ID_PATTERN, LABEL_NAME } from "./keys.ts";

/**
 * What a usage report may be grouped by besides a key label (`metadata.<label>`): the key, its team,
 * the person who made it, the model asked for, the backend that answered (`null`: none did, a replay).
 */
export const USAGE_GROUPS = ["key", "team", "person", "model", "backend"] as const;
export type UsageGroup = (typeof USAGE_GROUPS)[number];

/**
 * `full`: every number. `money`: what was charged and for what, as the `billing` role sees it (a
 * caller who may not read the runs themselves, `images.read`, in every team reported on): no
 * grouping by person or backend, and no GPU-seconds or latency (`null`).
 */
export const USAGE_VIEWS = ["full", "money"] as const;
export type UsageView = (typeof USAGE_VIEWS)[number];
/** The groupings a `money` view refuses: who did it, and where it ran. */
export const USAGE_DETAIL_GROUPS: readonly UsageGroup[] = ["person", "backend"];

/** One row of a usage report (`GET /admin/usage`): one group's generations in one period. */
export const usageRowSchema = z.object({
  /**
   * The key id, team id, person's id, model, backend, or the value of the label grouped by; `null`:
   * none (a key without the label or team, a key made by the admin token, a replay no backend ran).
   */
  group: z.string().nullable(),
  /** The group's name where it has one apart from its id: a key's, team's or person's; else `null`. */
  label: z.string().nullable(),
  /** The period's start, UTC: `2026-11-26` for a day, `2026-11-26T14` for an hour. */
  period: z.string(),
  /** Generations asked for (every audited generation, whatever its outcome). */
  requests: z.number().int().min(0),
  succeeded: z.number().int().min(0),
  failed: z.number().int().min(0),
  /** Answered from the replay cache: no GPU work. */
  cache_hits: z.number().int().min(0),
  /** Credits charged. */
  credits: z.number().min(0),
  /** Mean time to answer, ms; `null` when none recorded one, or in a `money` view. */
  mean_latency_ms: z.number().nullable(),
  /** Images the succeeded generations made (each asks for `n`). */
  images: z.number().int().min(0),
  /**
   * GPU seconds of the generations a backend ran (a replay or a request that joined another's job
   * runs none): for each, the engine's own measure (its stage timings' `total`: text encoding,
   * denoising, decoding, image encoding and any safety check, from when the engine took the request,
   * so queue wait is not in it; a request batched with others counts the shared batch's steps in
   * full). Runs recorded before the engine's timings were kept (migration 0020), and generations
   * whose run was not recorded, count their time from admission to answer instead: an upper bound,
   * queue included. `null` in a `money` view.
   */
  gpu_seconds: z.number().min(0).nullable(),
  /** What the replay cache saved: the credits charged for the run each cache hit replayed. */
  saved_credits: z.number().min(0),
  /** …and that run's GPU seconds, measured as `gpu_seconds` are; `null` in a `money` view. */
  saved_gpu_seconds: z.number().min(0).nullable(),
});
export type UsageRow = z.infer<typeof usageRowSchema>;

export const USAGE_INTERVALS = ["day", "hour"] as const;
export type UsageInterval = (typeof USAGE_INTERVALS)[number];

/** `GET /admin/usage`: the rows, and their sums. */
export const usageReportSchema = z.object({
  object: z.literal("usage"),
  interval: z.enum(USAGE_INTERVALS),
  /** One of {@link USAGE_GROUPS}, or `metadata.<label>`. */
  group_by: z.string(),
  from: z.string(),
  to: z.string(),
  /** The one key reported on, or `null` for every key. */
  key_id: z.string().nullable(),
  /** The teams reported on (a team member sees their teams' keys only), or `null` for every key. */
  team_ids: z.array(z.string()).nullable(),
  view: z.enum(USAGE_VIEWS),
  data: z.array(usageRowSchema),
  totals: usageRowSchema.omit({ group: true, label: true, period: true }),
});
export type UsageReport = z.infer<typeof usageReportSchema>;

/**
 * `GET /admin/usage`'s query: one key, one team or every key the caller may see, `from`–`to`
 * (instants come back as RFC 3339 UTC), by day or hour, grouped by one of {@link USAGE_GROUPS} or by
 * a label of the keys. That `from` lies before `to`, and how far,
 * is checked once their defaults are known (30 days before `to`; now).
 *
 * @example
 * usageQuerySchema.parse({ from: "2026-11-01", group_by: "model" }).interval; // "day"
 */
export const usageQuerySchema = z.object({
  key_id: z.string().regex(KEY_ID_PATTERN, "must be a key id (key_…)").optional(),
  /** Only this team's keys; a team member without a global role sees only their teams either way. */
  team_id: z.string().regex(TEAM_ID_PATTERN, "must be a team's id (team_…)").optional(),
  /** RFC 3339 or a date; default 30 days before `to`. */
  from: instantSchema.optional(),
  /** Default now. */
  to: instantSchema.optional(),
  interval: z.enum(USAGE_INTERVALS, "must be day or hour").default("day"),
  /** One of {@link USAGE_GROUPS}, or `metadata.<label>`. */
  group_by: z
    .string()
    .refine(
      (text) =>
        (USAGE_GROUPS as readonly string[]).includes(text) ||
        (text.startsWith("metadata.") && LABEL_NAME.test(text.slice("metadata.".length))),
      `must be one of ${USAGE_GROUPS.join(", ")}, or metadata.<label> (letters, digits, _ or -)`,
    )
    .default("key"),
});
/**
 * What `GET /admin/usage` may be asked, as a client writes it.
 *
 * @example
 * const query: UsageQuery = { from: "2026-11-01", interval: "day", group_by: "team" };
 */
export type UsageQuery = z.input<typeof usageQuerySchema>;
