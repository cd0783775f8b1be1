import { z } from "zod";
import { KEY_ID_PATTERN, LABEL_NAME } from "./keys.ts";

/** One row of a usage report (`GET /admin/usage`): one group's generations in one period. */
export const usageRowSchema = z.object({
  /** The key id, or the value of the label grouped by (`null` for keys without it). */
  group: z.string().nullable(),
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
  /** Mean time to answer, ms; `null` when none recorded one. */
  mean_latency_ms: z.number().nullable(),
});
export type UsageRow = z.infer<typeof usageRowSchema>;

export const USAGE_INTERVALS = ["day", "hour"] as const;
export type UsageInterval = (typeof USAGE_INTERVALS)[number];

/** `GET /admin/usage`: the rows, and their sums. */
export const usageReportSchema = z.object({
  object: z.literal("usage"),
  interval: z.enum(USAGE_INTERVALS),
  /** `key`, or `metadata.<label>`. */
  group_by: z.string(),
  from: z.string(),
  to: z.string(),
  /** The one key reported on, or `null` for every key. */
  key_id: z.string().nullable(),
  data: z.array(usageRowSchema),
  totals: usageRowSchema.omit({ group: true, period: true }),
});
export type UsageReport = z.infer<typeof usageReportSchema>;

const instant = z.iso
  .datetime({ offset: true, message: "must be an RFC 3339 date and time or a date (2026-11-01)" })
  .or(z.iso.date({ message: "must be an RFC 3339 date and time or a date (2026-11-01)" }))
  .transform((text) => new Date(text).toISOString());

/**
 * `GET /admin/usage`'s query: one key or every key, `from`–`to` (instants come back as RFC 3339 UTC),
 * by day or hour, grouped by key or by a label of the keys. That `from` lies before `to`, and how far,
 * is checked once their defaults are known (30 days before `to`; now).
 *
 * @example
 * usageQuerySchema.parse({ from: "2026-11-01", group_by: "metadata.team" }).interval; // "day"
 */
export const usageQuerySchema = z.object({
  key_id: z.string().regex(KEY_ID_PATTERN, "must be a key id (key_…)").optional(),
  /** RFC 3339 or a date; default 30 days before `to`. */
  from: instant.optional(),
  /** Default now. */
  to: instant.optional(),
  interval: z.enum(USAGE_INTERVALS, "must be day or hour").default("day"),
  /** `key`, or `metadata.<label>`. */
  group_by: z
    .string()
    .refine(
      (text) =>
        text === "key" || (text.startsWith("metadata.") && LABEL_NAME.test(text.slice("metadata.".length))),
      "must be key or metadata.<label> (letters, digits, _ or -)",
    )
    .default("key"),
});
/**
 * What `GET /admin/usage` may be asked, as a client writes it.
 *
 * @example
 * const query: UsageQuery = { from: "2026-11-01", interval: "day", group_by: "metadata.team" };
 */
export type UsageQuery = z.input<typeof usageQuerySchema>;
