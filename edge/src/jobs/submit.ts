import {
  EXPERIMENT_HEADER,
  type ModelArchitecture,
  type ResolvedGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import type { Context } from "hono";
import type { CacheDirective } from "../cache/directive.ts";
import { tenantOf } from "../cache/key.ts";
import type { SplitDraw } from "../canary/active-split.ts";
import { callerLocation, inBackground } from "../gateway/serve.ts";
import type { AppEnv } from "../hono-env.ts";
import { authorize, confirmKey } from "../keys/authorize.ts";
import { experimentHeader } from "../runs/record.ts";
import { checkWebhookUrl, WEBHOOK_URL_HEADER } from "../webhooks/url.ts";
import { estimateGeneration } from "./estimate.ts";
import type { CreateResult } from "./generation-job.ts";
import {
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKey,
  jobIdFor,
  requestFingerprint,
  reusedKey,
} from "./idempotency.ts";
import { type JobSpec, type JobView, jobPath } from "./job-state.ts";
import { prefersAsync } from "./prefer.ts";
import { peekFleetTimings } from "./step-timings.ts";

/** What the generation route has worked out before it decides how to answer (its `Prepared`). */
export interface PreparedGeneration {
  request: { response_format?: "b64_json" | "url" | undefined };
  resolved: ResolvedGenerationRequest;
  cost: number;
  hash: string;
  where: { tenantTag: string; cacheKey: string };
  /** The model reference the key's grants are checked against (`sd15@production`), and its split draw. */
  served: { ref: string; split: SplitDraw | null; architecture: ModelArchitecture };
  directive: CacheDirective;
  replay: string | null;
}

/** How long a job may run on a backend, in all: the backend abandons it after this (`x-sdgate-deadline`). */
export const JOB_DEADLINE_MS = 14 * 60_000;
/** The request header that asks for a preview image every n steps in progress events (default none). */
export const PREVIEW_HEADER = "Sdgate-Preview-Every";

export type AsyncReason = "requested" | "auto";

/**
 * Why this request should be answered with a job, or `null` to answer it synchronously:
 * `requested` with `Prefer: respond-async`; `auto` when it is no replay and its estimated duration
 * (queue wait + GPU time, from the isolate's last backend reports, else the fallback step time)
 * exceeds `SDGATE_AUTO_ASYNC_MS`. Reads nothing remote: the synchronous hot path stays as it was.
 */
export function asyncReason(c: Context<AppEnv>, prepared: PreparedGeneration): AsyncReason | null {
  if (prefersAsync(c.req.header("Prefer"))) return "requested";
  if (prepared.replay !== null) return null;
  const { registry, jobs } = c.var.config;
  const timings = peekFleetTimings(
    registry,
    (work) => inBackground(c, work),
    Date.now(),
    c.var.config.keyring,
  );
  const estimate = estimateGeneration(prepared.resolved, prepared.served.architecture, timings, null);
  return estimate.expectedTotalMs > jobs.autoAsyncMs ? "auto" : null;
}

function previewEvery(header: string | undefined): number {
  if (header === undefined) return 0;
  if (!/^\d{1,3}$/.test(header.trim())) {
    throw new SdgateError("invalid_request", `${PREVIEW_HEADER} must be a whole number of steps (0: none).`, {
      param: PREVIEW_HEADER,
    });
  }
  return Number(header.trim());
}

function accepted(c: Context<AppEnv>, view: JobView, reason: AsyncReason, replayed: boolean): Response {
  const headers: Record<string, string> = { Location: jobPath(view.id), "X-Async": reason };
  // RFC 7240 §3: say which preference was honoured (none was sent when the edge chose async itself).
  if (reason === "requested") headers["Preference-Applied"] = "respond-async";
  if (replayed) headers["Idempotent-Replayed"] = "true";
  return c.json(view, 202, headers);
}

/**
 * The generation route's async branch: when {@link asyncReason} says so, admits the request (its
 * cost reserved, as a synchronous one), creates its `GenerationJob` and answers 202 with the job,
 * `Location: /v1/jobs/{id}` and `Preference-Applied: respond-async`; otherwise `null`.
 * `Idempotency-Key` makes the job id a function of the API key and the key, so a repeat with the same
 * body gets the same job (`Idempotent-Replayed: true`, nothing charged again) and a different body a
 * 422. `Sdgate-Webhook-Url` asks for a signed webhook when the job ends.
 *
 * @example
 * const job = await acceptAsync(c, prepared);
 * if (job !== null) return job;
 */
export async function acceptAsync(
  c: Context<AppEnv>,
  prepared: PreparedGeneration,
): Promise<Response | null> {
  const reason = asyncReason(c, prepared);
  if (reason === null) return null;
  const { config } = c.var;
  const webhookUrl = checkWebhookUrl(c.req.header(WEBHOOK_URL_HEADER), {
    allowLoopback: config.jobs.allowLoopbackWebhooks,
  });
  if (webhookUrl !== null && config.jobs.webhookSecret === null) {
    throw new SdgateError("invalid_request", "Webhooks are not enabled on this server.", {
      param: WEBHOOK_URL_HEADER,
    });
  }
  const { view, replayed } = await submitJob(c, prepared, {
    webhookUrl,
    previewEvery: previewEvery(c.req.header(PREVIEW_HEADER)),
    experiment: experimentHeader(c.req.header(EXPERIMENT_HEADER)),
    idempotencyKey: idempotencyKey(c.req.header(IDEMPOTENCY_KEY_HEADER)),
  });
  return accepted(c, view, reason, replayed);
}

/** How a job is asked for, beyond its request: what `acceptAsync` reads from headers. */
export interface JobOptions {
  webhookUrl: string | null;
  previewEvery: number;
  experiment: string | null;
  idempotencyKey: string | null;
}

/**
 * Admits a prepared generation (its cost reserved, as a synchronous one) and creates its
 * `GenerationJob`, which runs it on the fleet; the generation route's async branch and each cell of
 * a sweep go through here. With an idempotency key, a repeat of the same body gets the existing job
 * (`replayed`) and a different body a 422. Throws the admission's refusal (429, 402, 403).
 *
 * @example
 * const { view } = await submitJob(c, prepared, { webhookUrl: null, previewEvery: 0, experiment: null, idempotencyKey: null });
 */
export async function submitJob(
  c: Context<AppEnv>,
  prepared: PreparedGeneration,
  options: JobOptions,
): Promise<{ view: JobView; replayed: boolean }> {
  const { config, requestId } = c.var;
  const key = options.idempotencyKey;
  const fingerprint = key === null ? null : await requestFingerprint(prepared.request);
  // The key's stored record names it; its Durable Object confirms it before anything is read or made.
  const id = await jobIdFor(c.var.apiKey.id, key);
  const stub = config.jobs.namespace.getByName(id);
  if (key !== null && fingerprint !== null) {
    await confirmKey(c);
    const seen = await stub.peek(c.var.apiKey.id, fingerprint);
    if (seen.kind === "mismatch") throw reusedKey();
    if (seen.kind === "existing") return { view: seen.view, replayed: true };
  }
  // Reserved even for a replay: the job reads the cache again and settles to nothing on a hit.
  const admission = await authorize(c, {
    cost: prepared.cost,
    model: prepared.served.ref,
    audit: { requestHash: prepared.hash, requestId },
  });
  const keyId = c.var.apiKey.id;
  const spec: JobSpec = {
    id,
    ownerKeyId: keyId,
    fingerprint,
    fleet: {
      ...prepared.where,
      request: prepared.resolved,
      registry: config.registry,
      timeoutMs: Math.max(config.backendTimeoutMs, JOB_DEADLINE_MS),
      location: callerLocation(c),
      requestId,
    },
    tenant: tenantOf(c.var.apiKey),
    requestHash: prepared.hash,
    cost: admission.cost,
    reservationId: admission.reservationId,
    // A `url` answer links to stored images, so a `no-store` job still keeps them, under its own key.
    store: prepared.directive === "use" ? "cache" : prepared.directive === "refresh" ? "refresh" : "job",
    responseFormat: prepared.request.response_format ?? "b64_json",
    webhookUrl: options.webhookUrl,
    origin: new URL(c.req.url).origin,
    previewEvery: options.previewEvery,
    deadlineAtMs: Date.now() + JOB_DEADLINE_MS,
    retentionMs: config.retention.jobMs,
    ...(prepared.served.split === null ? {} : { split: prepared.served.split }),
    ...(options.experiment === null ? {} : { experiment: options.experiment }),
  };
  let created: CreateResult;
  try {
    created = await stub.create(spec);
  } catch (error) {
    inBackground(c, admission.settle({ ok: false }));
    throw error;
  }
  if (created.kind !== "created") {
    // Another request with the same key got there first: this one reserved for nothing.
    inBackground(c, admission.settle({ ok: false }));
    if (created.kind === "mismatch") throw reusedKey();
    return { view: created.view, replayed: true };
  }
  return { view: created.view, replayed: false };
}
