/**
 * The backend's internal HTTP API beyond the request/response bodies: the context headers the edge
 * signs, the load headers every response carries, the `/readyz` body, and the server-sent events of a
 * streamed generate call. Written to move into `shared/` as is, so the edge parses what the backend
 * writes with the same schemas.
 */

import { z } from "zod";
import { errorEnvelopeSchema } from "./errors.ts";
import { backendGenerateResponseSchema } from "./generation-response.ts";
import { MODEL_ARCHITECTURES, type ModelArchitecture } from "./models.ts";

/** Request headers the edge sends with its internal calls (all optional), every one signed. */
export const CONTEXT_HEADERS = {
  /** The API key id the request is for; the queue is fair across these. Default `default`. */
  tenant: "x-sdgate-tenant",
  /** Unix ms after which the job is abandoned (504 `timeout`), queued or running. */
  deadline: "x-sdgate-deadline",
  /** The edge's job id, for `POST /internal/v1/jobs/{id}/cancel`. Default a random UUID. */
  jobId: "x-sdgate-job-id",
  /** With `Accept: text/event-stream`: a preview every n steps, 0 for none. */
  previewEvery: "x-sdgate-preview-every",
  /** The edge's request id, so both sides log one id; signed so logs cannot be misattributed. */
  requestId: "x-request-id",
} as const;

export const TENANT_PATTERN = /^[\w.:-]{1,128}$/;
export const JOB_ID_PATTERN = /^[\w.:-]{1,128}$/;

/** Response headers on every backend response, for routing by load. */
export const LOAD_HEADERS = {
  queueDepth: "x-queue-depth",
  estimatedWaitMs: "x-estimated-wait-ms",
  /** Only on a 429: where a new job would have stood. */
  queuePosition: "x-queue-position",
  /** The job id a generate call ran under. */
  jobId: "x-sdgate-job-id",
} as const;

/**
 * `GET /readyz`: 200 when ready, 503 while loading, restarting its engine or draining; the same body
 * either way. It is unauthenticated (orchestrators and the edge's probe call it), so it carries only
 * what a prober needs, the state and the load, and stays a few dozen bytes: which models a backend
 * serves and how fast, which would tell a stranger what runs where, are at the signed
 * {@link BACKEND_STATUS_PATH}.
 */
export const readyzBodySchema = z.object({
  status: z.enum(["ready", "loading", "restarting", "draining"]),
  queue_depth: z.number().int().min(0),
  in_flight: z.number().int().min(0),
  estimated_wait_ms: z.number().min(0),
});
export type ReadyzBody = z.infer<typeof readyzBodySchema>;

/** `GET` (signed, empty body): the backend's readiness and load, with what it serves and how fast. */
/** What kind of add-on an adapter is. */
export const ADAPTER_KINDS = ["lora", "controlnet"] as const;
export type AdapterKind = (typeof ADAPTER_KINDS)[number];

/** One LoRA or ControlNet model a backend holds. */
export const backendAdapterSchema = z.object({
  kind: z.enum(ADAPTER_KINDS),
  /** Its file or folder name on the backend (`loras/ink.safetensors` → `ink`). */
  name: z.string(),
  digest: z.string(),
});
export type BackendAdapter = z.infer<typeof backendAdapterSchema>;

export const BACKEND_STATUS_PATH = "/internal/v1/status";

/** The body of {@link BACKEND_STATUS_PATH}: `/readyz`'s, and the details a stranger should not see. */
export const backendStatusSchema = readyzBodySchema.extend({
  models: z.array(z.string()),
  /**
   * The content digest of each model's files (shared/src/model-digest.ts), by model id: the edge
   * routes a request for a registry version only to backends that report its digest. Absent from
   * backends that predate the registry.
   */
  versions: z.record(z.string(), z.string()).optional(),
  /**
   * The LoRAs and ControlNet models this backend holds, each with its digest (a LoRA: SHA-256 of its
   * file; a ControlNet: the model digest of its folder): the edge routes a request naming adapters only
   * to backends that hold every one. Absent from backends that predate them.
   */
  adapters: z.array(backendAdapterSchema).optional(),
  /**
   * What each model is built like, by model id, as the backend's engine detected it from its files:
   * the edge takes it for a model its catalog does not declare (shared/src/models.ts `detect`). An
   * architecture this edge does not know (from a newer backend) is left out rather than making the
   * whole status unreadable. Absent from backends that predate it.
   */
  architectures: z
    .record(z.string(), z.string())
    .transform((reported) =>
      Object.fromEntries(
        Object.entries(reported).filter((entry): entry is [string, ModelArchitecture] =>
          (MODEL_ARCHITECTURES as readonly string[]).includes(entry[1]),
        ),
      ),
    )
    .optional(),
  queue_size: z.number().int().min(0),
  max_batch: z.number().int().min(1),
  /** Measured milliseconds per denoising step per image (EWMA; batched steps are shared), by model and `WxH`. */
  step_ms: z.record(z.string(), z.record(z.string(), z.number())),
});
export type BackendStatusBody = z.infer<typeof backendStatusSchema>;

/** The events of a streamed generate call, in order: `queued`…, `started`, `progress`…, then `result` or `error`. */
export const GENERATE_EVENTS = ["queued", "started", "progress", "result", "error"] as const;
export type GenerateEventName = (typeof GENERATE_EVENTS)[number];

export const queuedEventSchema = z.object({
  /** 1 = next to start. Sent on arrival and whenever it changes. */
  position: z.number().int().min(1),
  estimated_wait_ms: z.number().min(0),
});

export const startedEventSchema = z.object({
  /** Jobs sharing the engine's batch. */
  batch_size: z.number().int().min(1),
  queue_wait_ms: z.number().min(0),
});

export const previewSchema = z.object({
  format: z.literal("jpeg"),
  width: z.number().int(),
  height: z.number().int(),
  b64: z.string(),
});

export const progressEventSchema = z.object({
  /** Steps done (1-based) of `steps`, for the images from `image` (0-based) on, of `images`. */
  step: z.number().int().min(1),
  steps: z.number().int().min(1),
  image: z.number().int().min(0),
  images: z.number().int().min(1),
  eta_ms: z.number().min(0),
  /** Every few steps: the latents' linear RGB approximation at 1/8 size. */
  preview: previewSchema.optional(),
});

export const generateEventSchemas = {
  queued: queuedEventSchema,
  started: startedEventSchema,
  progress: progressEventSchema,
  result: backendGenerateResponseSchema,
  error: errorEnvelopeSchema,
} as const satisfies Record<GenerateEventName, z.ZodType>;

export type GenerateEventData<N extends GenerateEventName> = z.infer<(typeof generateEventSchemas)[N]>;
