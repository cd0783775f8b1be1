import { z } from "zod";

/**
 * A team's run history (issue 17): every generation its keys made through the API or the Studio,
 * kept server-side so any browser of the team sees it. A run records what was asked (the resolved
 * request, its input images by digest), what it cost, where it ran, how it ended, and links to its images.
 */

export const RUN_STATUSES = ["succeeded", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The longest text a history search takes: it is matched as a substring of prompts, never as a pattern. */
export const MAX_RUN_SEARCH_CHARS = 200;
export const MAX_RUNS_PER_PAGE = 100;

/** The request header that puts a generation's run into an experiment of the key's team, by name. */
export const EXPERIMENT_HEADER = "Sdgate-Experiment";
/** An experiment's name: what people type, bounded and plain. */
export const EXPERIMENT_NAME_PATTERN = /^[\w][\w .:/-]{0,63}$/;
export const MAX_RUN_NOTES_CHARS = 4_000;
export const MAX_RUN_TAGS = 16;
/** The longest side of a run image's thumbnail, in pixels. */
export const RUN_THUMBNAIL_PX = 128;

/**
 * How a run's recorded request names an input image (`image`, `mask`, `controlnet[].image`): by the
 * SHA-256 of its bytes, as an object, so it can never be taken for an image (always a string). The
 * bytes are kept once per team, content-addressed, while a run refers to them; the run's `inputs`
 * links to them.
 */
export const INPUT_REFERENCE_FIELD = "$input";
export const INPUT_DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
export type InputReference = { [INPUT_REFERENCE_FIELD]: string };

/** The digest an input reference names (`sha256:…`), or `null` for any other value. */
export function inputDigestOf(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Object.keys(value).length !== 1) return null;
  const digest = (value as Record<string, unknown>)[INPUT_REFERENCE_FIELD];
  return typeof digest === "string" && INPUT_DIGEST_PATTERN.test(digest) ? digest : null;
}

export const runSchema = z.object({
  object: z.literal("run"),
  /** The request id of a synchronous generation (`req_…`), or the job's id. */
  id: z.string(),
  key_id: z.string(),
  /** The key's name; `null` for a key since deleted. */
  key_name: z.string().nullable(),
  /** The person who made the key (a user id, `usr_…`); `null` for a key the admin token made. */
  person: z.string().nullable(),
  /** That person's name (or email where the identity provider gave none); `null` with `person`. */
  person_name: z.string().nullable(),
  /** The key's team when it ran; `null` for a key without one. */
  team_id: z.string().nullable(),
  created_at: z.string(),
  status: z.enum(RUN_STATUSES),
  model: z.string(),
  /** The registry version that ran (`v3`); `null` on a catalog edge or when it never ran. */
  model_version: z.string().nullable(),
  prompt: z.string(),
  negative_prompt: z.string(),
  /**
   * The resolved request (every default applied, the seed fixed): rerun it to reproduce. Its input
   * images are references, `{"$input": "sha256:<hex>"}` ({@link InputReference}); runs recorded
   * before inputs were kept say `"(input image)"`, `"(mask)"` and `"(control image)"` instead.
   */
  request: z.record(z.string(), z.unknown()),
  /**
   * Each distinct input image the request refers to, by digest, with a signed link to its bytes that
   * expires as image links do (`null` where the edge signs no links). Kept while a kept run refers to it.
   */
  inputs: z.array(z.object({ digest: z.string().regex(INPUT_DIGEST_PATTERN), url: z.string().nullable() })),
  /** Credits charged; `null` for a run that failed before it was charged. */
  cost: z.number().nullable(),
  latency_ms: z.number().nullable(),
  backend: z.string().nullable(),
  /** Why it failed (the error's code); `null` when it succeeded. */
  error_code: z.string().nullable(),
  /**
   * Each image's seed, a signed link to it that expires (`null` where the edge signs no links, or it
   * failed) and one to its thumbnail: a WebP of at most {@link RUN_THUMBNAIL_PX} px a side, made with
   * the image, for lists (`null` also for images made before thumbnails were).
   */
  images: z.array(
    z.object({ seed: z.number().int(), url: z.string().nullable(), thumb_url: z.string().nullable() }),
  ),
  /** The experiment it joined, by name; `null`: none. */
  experiment: z.string().nullable(),
  /** The engine that ran it (`sdgate-engine/3`); `null` for a replay, a failure or a run from before it was kept. */
  engine_version: z.string().nullable(),
  /** The engine's stage timings as the backend reported them (ms: text_encode, denoise, decode, …, total). */
  timings_ms: z.record(z.string(), z.number()).nullable(),
  notes: z.string(),
  tags: z.array(z.string()),
  rating: z.number().int().min(1).max(5).nullable(),
});
export type Run = z.infer<typeof runSchema>;

export const runListQuerySchema = z.strictObject({
  status: z.enum(RUN_STATUSES).optional(),
  model: z.string().min(1).max(64).optional(),
  q: z.string().min(1).max(MAX_RUN_SEARCH_CHARS).optional(),
  experiment: z.string().regex(EXPERIMENT_NAME_PATTERN, "must be an experiment's name").optional(),
  person: z
    .string()
    .regex(/^[\w-]{1,64}$/, "must be a person's id")
    .optional(),
  key: z
    .string()
    .regex(/^[\w-]{1,64}$/, "must be a key's id")
    .optional(),
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

/** `PATCH /v1/runs/{id}`: what people say of a run; each field given replaces the old. */
export const runNotesBodySchema = z
  .strictObject({
    notes: z.string().max(MAX_RUN_NOTES_CHARS).optional(),
    tags: z.array(z.string().trim().min(1).max(40)).max(MAX_RUN_TAGS).optional(),
    /** 1 to 5 stars; `null` clears it. */
    rating: z.number().int().min(1).max(5).nullable().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "must change notes, tags or rating");
export type RunNotesBody = z.input<typeof runNotesBodySchema>;

/** An experiment and how many runs it holds. */
export const experimentSchema = z.object({
  object: z.literal("experiment"),
  id: z.string(),
  name: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  runs: z.number().int(),
});
export type Experiment = z.infer<typeof experimentSchema>;
export const experimentListSchema = z.object({ object: z.literal("list"), data: z.array(experimentSchema) });
export type ExperimentList = z.infer<typeof experimentListSchema>;
