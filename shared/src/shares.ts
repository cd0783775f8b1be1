import { z } from "zod";
import { resolvedGenerationRequestSchema } from "./generation-request.ts";

/**
 * Share links (issue 17): a signed, expiring, revocable, read-only view of a team's run, of a
 * comparison of runs, or of a grid of runs, opened by anyone holding the link, signed in or not.
 */

export const SHARE_KINDS = ["run", "comparison", "grid"] as const;
export type ShareKind = (typeof SHARE_KINDS)[number];

export const DEFAULT_SHARE_DAYS = 7;
export const MAX_SHARE_DAYS = 90;
/** The most runs a comparison shows side by side. */
export const MAX_COMPARED_RUNS = 8;
/** The most values an axis of a shared grid has, and the most cells a grid has. */
export const MAX_GRID_AXIS_VALUES = 16;
export const MAX_GRID_CELLS = 64;
export const MAX_SHARES_LISTED = 100;

/** A run's id as the history gives it (`req_…`, `job_…`). */
const runIdSchema = z.string().regex(/^[\w.:-]{1,128}$/, "must be a run's id");
const labelSchema = z.string().trim().min(1).max(80);

const axisSchema = z.strictObject({
  /** What the axis varies (`seed`, `steps`). */
  label: labelSchema,
  values: z.array(labelSchema).min(1).max(MAX_GRID_AXIS_VALUES),
});

/**
 * What a share shows: one run, runs compared, or a grid whose layout the caller gives (cells at
 * `x`, `y` of the axes' values, each a run), so a grid of any origin can be shared.
 */
export const shareLayoutSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("run"), run: runIdSchema }),
  z.strictObject({
    kind: z.literal("comparison"),
    runs: z.array(runIdSchema).min(2).max(MAX_COMPARED_RUNS),
  }),
  z
    .strictObject({
      kind: z.literal("grid"),
      x: axisSchema,
      y: axisSchema,
      cells: z
        .array(
          z.strictObject({
            x: z.number().int().min(0),
            y: z.number().int().min(0),
            run: runIdSchema,
          }),
        )
        .min(1)
        .max(MAX_GRID_CELLS),
    })
    .check((ctx) => {
      const grid = ctx.value;
      const taken = new Set<string>();
      for (const [index, cell] of grid.cells.entries()) {
        const where = `${cell.x},${cell.y}`;
        if (cell.x >= grid.x.values.length || cell.y >= grid.y.values.length || taken.has(where))
          ctx.issues.push({
            code: "custom",
            path: ["cells", index],
            message: "must be a free cell within the axes' values",
            input: cell,
          });
        taken.add(where);
      }
    }),
]);
export type ShareLayout = z.infer<typeof shareLayoutSchema>;

/** The runs a layout shows, each once, in the layout's order. */
export function runIdsOf(layout: ShareLayout): string[] {
  switch (layout.kind) {
    case "run":
      return [layout.run];
    case "comparison":
      return [...new Set(layout.runs)];
    case "grid":
      return [...new Set(layout.cells.map((cell) => cell.run))];
  }
}

/** `POST /v1/shares`. */
export const createShareBodySchema = z.strictObject({
  layout: shareLayoutSchema,
  /** What the view is titled; the first run's prompt when absent. */
  title: z.string().trim().min(1).max(120).optional(),
  expires_in_days: z.number().int().min(1).max(MAX_SHARE_DAYS).default(DEFAULT_SHARE_DAYS),
});
export type CreateShareBody = z.input<typeof createShareBodySchema>;

export const SHARE_STATUSES = ["active", "expired", "revoked"] as const;

/** A share as its team sees it: never its token (kept only as a hash), so a listed share has no link. */
export const shareSchema = z.object({
  object: z.literal("share"),
  id: z.string(),
  kind: z.enum(SHARE_KINDS),
  title: z.string(),
  run_ids: z.array(z.string()),
  created_at: z.string(),
  expires_at: z.string(),
  revoked_at: z.string().nullable(),
  status: z.enum(SHARE_STATUSES),
});
export type Share = z.infer<typeof shareSchema>;

/** The answer to `POST /v1/shares`: the share and, this once, its link. */
export const createdShareSchema = shareSchema.extend({
  /** The Studio's public view: `<origin>/studio/#/share/<token>`. */
  url: z.string(),
  token: z.string(),
});
export type CreatedShare = z.infer<typeof createdShareSchema>;

export const shareListSchema = z.object({ object: z.literal("list"), data: z.array(shareSchema) });
export type ShareList = z.infer<typeof shareListSchema>;

/**
 * The recipe fields of a run's request that a share shows: what made the image (every field of the
 * resolved request but the safety setting). Nothing that names who ran it (key, team, person), what
 * it cost or where it ran is in a request.
 */
export const SHARED_RECIPE_FIELDS: readonly string[] = resolvedGenerationRequestSchema
  .keyof()
  .options.filter((field) => field !== "safety_check");

/** A run as a share shows it: its recipe and its images through signed, expiring links. */
export const sharedRunSchema = z.object({
  id: z.string(),
  created_at: z.string(),
  status: z.string(),
  model: z.string(),
  model_version: z.string().nullable(),
  prompt: z.string(),
  negative_prompt: z.string(),
  request: z.record(z.string(), z.unknown()),
  /** Each image's seed and signed links to it and its thumbnail (a WebP of at most 128 px). */
  images: z.array(
    z.object({ seed: z.number().int(), url: z.string().nullable(), thumb_url: z.string().nullable() }),
  ),
});
export type SharedRun = z.infer<typeof sharedRunSchema>;

/** `GET /v1/shared/{id}` (`id`: the link's token): what anyone with the link sees. Runs gone from the history are left out. */
export const sharedViewSchema = z.object({
  object: z.literal("shared"),
  kind: z.enum(SHARE_KINDS),
  title: z.string(),
  expires_at: z.string(),
  layout: shareLayoutSchema,
  runs: z.array(sharedRunSchema),
});
export type SharedView = z.infer<typeof sharedViewSchema>;
