import { z } from "zod";
import { ERROR_CODES } from "./errors.ts";

/**
 * An async generation job as `GET /v1/jobs/{id}` shows it, and its stream's events
 * (`GET /v1/jobs/{id}/events`): what the edge writes and every client (CLI, SDK, Studio) reads.
 */

/** Where a job is: `queued` until a backend starts it, `running`, then one of the three ends. */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses a job ends in, and the names of the events that end its stream. */
export const TERMINAL_JOB_STATUSES: readonly JobStatus[] = ["succeeded", "failed", "cancelled"];

export const jobQueueSchema = z.object({
  /** 1 = next to start. */
  position: z.number().int().min(1),
  estimated_wait_ms: z.number().min(0),
});
export type JobQueue = z.infer<typeof jobQueueSchema>;

/** A `progress` event, and the job's latest progress. */
export const jobProgressSchema = z.object({
  /** Steps done (1-based) of `steps`, for the images from `image` (0-based) on, of `images`. */
  step: z.number().int().min(1),
  steps: z.number().int().min(1),
  image: z.number().int().min(0),
  images: z.number().int().min(1),
  eta_ms: z.number().min(0),
  /** Of the whole job, 0–1. */
  fraction: z.number().min(0).max(1),
});
export type JobProgress = z.infer<typeof jobProgressSchema>;

export const jobErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  param: z.string().nullable(),
});
export type JobError = z.infer<typeof jobErrorSchema>;

export const jobViewSchema = z.object({
  id: z.string(),
  object: z.literal("generation.job"),
  status: z.enum(JOB_STATUSES),
  /** Unix seconds. */
  created: z.number().int(),
  started_at: z.number().int().nullable(),
  completed_at: z.number().int().nullable(),
  model: z.string(),
  /** The images' size, `WxH` (after hires, when asked for). */
  size: z.string(),
  n: z.number().int().min(1),
  steps: z.number().int().min(1),
  seed: z.number().int(),
  queue: jobQueueSchema.nullable(),
  progress: jobProgressSchema.nullable(),
  backend: z.string().nullable(),
  attempts: z.number().int().min(0),
  error: jobErrorSchema.nullable(),
  webhook: z.object({ url: z.string(), delivered: z.boolean(), attempts: z.number().int() }).nullable(),
  links: z.object({ self: z.string(), events: z.string(), cancel: z.string() }),
});
export type JobView = z.infer<typeof jobViewSchema>;
