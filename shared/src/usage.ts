import { z } from "zod";

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
