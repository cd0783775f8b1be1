import { z } from "zod";

/**
 * A team's run history (issue 17): every generation its keys made through the API or the Studio,
 * kept server-side so any browser of the team sees it. A run records what was asked (the resolved
 * request, input images left out), what it cost, where it ran, how it ended, and links to its images.
 */

export const RUN_STATUSES = ["succeeded", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The longest text a history search takes: it is matched as a substring of prompts, never as a pattern. */
export const MAX_RUN_SEARCH_CHARS = 200;
export const MAX_RUNS_PER_PAGE = 100;

export const runSchema = z.object({
  object: z.literal("run"),
  /** The request id of a synchronous generation (`req_…`), or the job's id. */
  id: z.string(),
  key_id: z.string(),
  /** The key's team when it ran; `null` for a key without one. */
  team_id: z.string().nullable(),
  created_at: z.string(),
  status: z.enum(RUN_STATUSES),
  model: z.string(),
  /** The registry version that ran (`v3`); `null` on a catalog edge or when it never ran. */
  model_version: z.string().nullable(),
  prompt: z.string(),
  negative_prompt: z.string(),
  /** The resolved request (every default applied, the seed fixed; input images left out): rerun it to reproduce. */
  request: z.record(z.string(), z.unknown()),
  /** Credits charged; `null` for a run that failed before it was charged. */
  cost: z.number().nullable(),
  latency_ms: z.number().nullable(),
  backend: z.string().nullable(),
  /** Why it failed (the error's code); `null` when it succeeded. */
  error_code: z.string().nullable(),
  /** Each image's seed and a signed link that expires (`null` where the edge signs no links, or it failed). */
  images: z.array(z.object({ seed: z.number().int(), url: z.string().nullable() })),
});
export type Run = z.infer<typeof runSchema>;

export const runListQuerySchema = z.strictObject({
  status: z.enum(RUN_STATUSES).optional(),
  model: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(MAX_RUN_SEARCH_CHARS).optional(),
  /** A page's `next_before`: runs older than it. */
  before: z
    .string()
    .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\|[\w.:-]{1,128}$/, "must be a page's next_before")
    .optional(),
  limit: z.coerce.number().int().min(1).max(MAX_RUNS_PER_PAGE).default(50),
});
export type RunListQuery = z.input<typeof runListQuerySchema>;

export const runListSchema = z.object({
  object: z.literal("list"),
  data: z.array(runSchema),
  /** Pass as `before` for the next (older) page; `null` on the last. */
  next_before: z.string().nullable(),
});
export type RunList = z.infer<typeof runListSchema>;
