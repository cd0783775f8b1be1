import { z } from "zod";
import { aliasNameSchema } from "./model-registry.ts";

/**
 * Canary releases (issue 16): an alias (`production`) sends `weight` percent of its traffic to the
 * version another alias (`canary`) points at. Both versions reached their aliases through approved
 * promotions; the split is set by someone with `models.approve`, and rolls back by itself when the
 * canary version breaks its error-rate or latency budget.
 */

export const MAX_CANARY_WEIGHT = 50;
export const SPLIT_ID_PATTERN = /^spl_[0-9a-f]{16}$/;

/** `PUT /admin/models/{id}/aliases/{alias}/split`: start (or retune) a canary split. */
export const splitBodySchema = z.strictObject({
  to_alias: aliasNameSchema.default("canary"),
  /** Percent of the alias's requests that go to the canary's version. */
  weight: z.number().int().min(1).max(MAX_CANARY_WEIGHT),
  /** Past `min_requests` canary requests, a share of failures (5xx) above this rolls it back. */
  max_error_rate: z.number().min(0).max(1).default(0.05),
  /** Past `min_requests` canary requests, a p95 latency (ms) above this rolls it back. */
  max_p95_ms: z.number().int().min(1).max(3_600_000).default(60_000),
  min_requests: z.number().int().min(1).max(100_000).default(20),
});
export type SplitBody = z.input<typeof splitBodySchema>;
export type SplitSettings = z.output<typeof splitBodySchema>;

/** One version's numbers since its split started (the last {@link SPLIT_WINDOW} outcomes). */
export const versionStatsSchema = z.object({
  version: z.string(),
  requests: z.number().int(),
  errors: z.number().int(),
  error_rate: z.number(),
  p50_ms: z.number().nullable(),
  p95_ms: z.number().nullable(),
});
export type VersionStats = z.infer<typeof versionStatsSchema>;

/** How many of each version's latest outcomes a split's numbers are taken over. */
export const SPLIT_WINDOW = 500;

export const splitSchema = splitBodySchema.extend({
  id: z.string(),
  model_id: z.string(),
  alias: z.string(),
  started_at: z.string(),
  started_by: z.string(),
});
export type Split = z.infer<typeof splitSchema>;

/** `GET …/split`: the split (`null`: none), where each side points now, and each version's numbers. */
export const splitViewSchema = z.object({
  object: z.literal("alias.split"),
  model_id: z.string(),
  alias: z.string(),
  split: splitSchema.nullable(),
  /** Each side's version now (`null` where its alias does not exist). */
  stable_version: z.string().nullable(),
  canary_version: z.string().nullable(),
  stats: z.array(versionStatsSchema),
  /** The last split of this alias that ended, and why (`null`: none has). */
  last_ended: z
    .object({
      id: z.string(),
      reason: z.enum(["stopped", "rolled_back"]),
      ended_at: z.string(),
      ended_by: z.string(),
      detail: z.record(z.string(), z.unknown()),
    })
    .nullable(),
});
export type SplitView = z.infer<typeof splitViewSchema>;
