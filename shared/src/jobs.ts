import { z } from "zod";
import { ERROR_CODES } from "./errors.ts";
import { generationResponseSchema, urlGenerationResponseSchema } from "./generation-response.ts";
import { previewSchema, startedEventSchema } from "./internal-api.ts";

/**
 * An async generation job as `GET /v1/jobs/{id}` shows it, and its stream's events
 * (`GET /v1/jobs/{id}/events`): what the edge writes and every client (CLI, SDK, Studio) reads.
 */

/** Where a job is: `queued` until a backend starts it, `running`, then one of the three ends. */
export const JOB_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** The statuses a job ends in, and the names of the events that end its stream. */
export const TERMINAL_JOB_STATUSES = [
  "succeeded",
  "failed",
  "cancelled",
] as const satisfies readonly JobStatus[];
export type TerminalJobStatus = (typeof TERMINAL_JOB_STATUSES)[number];

/**
 * Whether a job has ended.
 *
 * @example
 * if (isTerminalJobStatus(job.status)) console.log(`job.${job.status}`);
 */
export function isTerminalJobStatus(status: JobStatus): status is TerminalJobStatus {
  return (TERMINAL_JOB_STATUSES as readonly JobStatus[]).includes(status);
}

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
  /**
   * Credits: what the request reserved when it was admitted, what its end charged (`null` while it
   * runs; 0 for a failure, a cancellation or a replay-cache hit) and what went back. `null` for a job
   * kept from before the edge recorded it; absent from older edges.
   */
  credits: z
    .object({
      reserved: z.number().min(0),
      charged: z.number().min(0).nullable(),
      refunded: z.number().min(0).nullable(),
    })
    .nullable()
    .optional(),
});
export type JobView = z.infer<typeof jobViewSchema>;

/**
 * `GET /v1/jobs/{id}`: the job and, once it succeeded, `result`: the answer the synchronous route
 * would have given (`b64_json`, or fresh signed links for `response_format: "url"`).
 *
 * @example
 * const job = jobWithResultSchema.parse(await response.json());
 */
export const jobWithResultSchema = jobViewSchema.extend({
  result: z.union([generationResponseSchema, urlGenerationResponseSchema]).optional(),
});
/**
 * A job as `jobs.get` and `jobs.wait` answer it.
 *
 * @example
 * const job: JobWithResult = await client.jobs.wait(id);
 * if (job.status === "succeeded") console.log(job.result?.data.length);
 */
export type JobWithResult = z.infer<typeof jobWithResultSchema>;

/**
 * The data of each event of `GET /v1/jobs/{id}/events`, by the event's name: `attempt` (a backend
 * takes the job; failover may make several), `queued`, `started`, `progress`, then one of the three
 * ends, which carry the job without its images.
 *
 * @example
 * const progress = jobEventSchemas.progress.parse(JSON.parse(event.data));
 */
export const jobEventSchemas = {
  attempt: z.object({ attempt: z.number().int().min(1), backend: z.string() }),
  queued: jobQueueSchema,
  started: startedEventSchema.extend({ backend: z.string().nullable() }),
  /** With a small preview image every n-th step, when the job was asked for them. */
  progress: jobProgressSchema.extend({ preview: previewSchema.optional() }),
  succeeded: jobViewSchema,
  failed: jobViewSchema,
  cancelled: jobViewSchema,
} as const satisfies Record<string, z.ZodType>;
export type JobEventName = keyof typeof jobEventSchemas;
/**
 * An event's data, by its name.
 *
 * @example
 * const started: JobEventData<"started"> = { batch_size: 1, queue_wait_ms: 12, backend: "gpu-a" };
 */
export type JobEventData<N extends JobEventName> = z.infer<(typeof jobEventSchemas)[N]>;
/**
 * A `progress` event's data: step, steps, image, images, eta_ms, fraction (0–1) and, if asked for, a preview.
 *
 * @example
 * const show = (p: JobProgressData) => console.log(`${p.step}/${p.steps}, ${p.eta_ms} ms left`);
 */
export type JobProgressData = JobEventData<"progress">;

/**
 * `GET /v1/webhooks/secret`: the calling key's webhook signing secret (Standard Webhooks).
 *
 * @example
 * const { key } = webhookSecretSchema.parse(await response.json());
 */
export const webhookSecretSchema = z.object({
  object: z.literal("webhook.secret"),
  /** `whsec_<base64>`: what a receiver verifies `webhook-signature` with. */
  key: z.string(),
  /** The headers a delivery carries (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  headers: z.array(z.string()),
});
/**
 * A key's webhook secret.
 *
 * @example
 * const { key }: WebhookSecret = await client.webhooks.secret();
 */
export type WebhookSecret = z.infer<typeof webhookSecretSchema>;

/** A webhook delivery's `type`: how the job ended. */
export const WEBHOOK_EVENT_TYPES = [
  "job.succeeded",
  "job.failed",
  "job.cancelled",
] as const satisfies readonly `job.${TerminalJobStatus}`[];

/**
 * A webhook delivery's body: the ended job and, for a succeeded one whose links could be signed, its
 * images as links (never inlined: a delivery stays small).
 *
 * @example
 * webhookPayloadSchema.parse(JSON.parse(body)).type; // "job.succeeded"
 */
export const webhookPayloadSchema = z.object({
  type: z.enum(WEBHOOK_EVENT_TYPES),
  /** When this attempt was made, RFC 3339. */
  timestamp: z.string(),
  data: jobViewSchema.extend({ result: urlGenerationResponseSchema.optional() }),
});
/**
 * What `verifyWebhook` answers with.
 *
 * @example
 * const event: WebhookPayload = await verifyWebhook({ secret, headers, body });
 */
export type WebhookPayload = z.infer<typeof webhookPayloadSchema>;
