import {
  generationResponseSchema,
  jobProgressSchema,
  jobQueueSchema,
  jobViewSchema,
  previewSchema,
  startedEventSchema,
} from "@sdgate/shared";
import { z } from "zod";

/*
 * Answers the edge sends whose schema the contract (@sdgate/shared) does not have yet, made here only
 * by composing its schemas. Each belongs in shared/ beside the schema it extends; until it moves, the
 * SDK keeps it here, and this is the one place to delete it from.
 */

/**
 * `response_format: "url"`: OpenAI's `data[].url` (signed, expiring links) instead of `b64_json`.
 * Belongs in shared/src/generation-response.ts.
 *
 * @example
 * urlGenerationResponseSchema.parse(await response.json()).data[0].url;
 */
export const urlGenerationResponseSchema = generationResponseSchema.extend({
  data: z.array(z.object({ url: z.string(), seed: z.number().int() })).min(1),
});
/**
 * A generation answered with links.
 *
 * @example
 * const { response } = await client.images.generate({ prompt: "x", response_format: "url" });
 * const link: string = response.data[0].url;
 */
export type UrlGenerationResponse = z.infer<typeof urlGenerationResponseSchema>;

/**
 * `GET /v1/jobs/{id}`: the view and, once it succeeded, the synchronous route's answer. Belongs in
 * shared/src/jobs.ts.
 *
 * @example
 * const job = jobWithResultSchema.parse(json);
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
 * The data of each event of `GET /v1/jobs/{id}/events` (the edge's `GenerationJob#emit`). Belongs in
 * shared/src/jobs.ts: today only the backend's half (`generateEventSchemas`) is in the contract.
 *
 * @example
 * const progress = jobEventSchemas.progress.parse(JSON.parse(event.data));
 */
export const jobEventSchemas = {
  /** A backend takes the job (failover may make several). */
  attempt: z.object({ attempt: z.number().int().min(1), backend: z.string() }),
  queued: jobQueueSchema,
  started: startedEventSchema.extend({ backend: z.string().nullable() }),
  progress: jobProgressSchema.extend({ preview: previewSchema.optional() }),
  succeeded: jobViewSchema,
  failed: jobViewSchema,
  cancelled: jobViewSchema,
} as const;

/**
 * A webhook delivery's body (edge/src/jobs/generation-job.ts, `#deliverWebhook`): the ended job and,
 * for a succeeded one whose links could be signed, its images as links. Belongs in shared/src/jobs.ts.
 *
 * @example
 * webhookPayloadSchema.parse(JSON.parse(body)).type; // "job.succeeded"
 */
export const webhookPayloadSchema = z.object({
  type: z.enum(["job.succeeded", "job.failed", "job.cancelled"]),
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
