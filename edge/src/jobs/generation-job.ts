import { DurableObject } from "cloudflare:workers";
import {
  isTerminalJobStatus,
  type JobEventData,
  type JobEventName,
  statusOf,
  type UrlGenerationResponse,
  type WebhookPayload,
} from "@sdgate/shared";
import type { Backend } from "../backends/registry.ts";
import { getGeneration, imageObjectKey, thumbnailObjectKey } from "../cache/store.ts";
import { reportSplitOutcome } from "../canary/report.ts";
import type { CanaryWatch } from "../canary/watch.ts";
import { log } from "../log.ts";
import { safetyDecisions } from "../policies/safety-decisions.ts";
import { recordGeneration } from "../runs/record.ts";
import type { RunRan } from "../runs/store.ts";
import { deliverWebhook, nextWebhookAttemptMs } from "../webhooks/deliver.ts";
import { linkedResult } from "../webhooks/result-links.ts";
import { webhookSecretFor } from "../webhooks/secret.ts";
import { cancelOnBackend } from "./cancel-call.ts";
import { jobEventStream } from "./event-stream.ts";
import { type SettleBindings, settleJob } from "./job-settle.ts";
import {
  JOB_RETENTION_MS,
  type JobError,
  type JobSnapshot,
  type JobSpec,
  type JobState,
  type JobStatus,
  type JobView,
  jobView,
  TERMINAL_STATUSES,
} from "./job-state.ts";
import { JobStore, type StoredEvent } from "./job-store.ts";
import { keyringFor } from "./keyring.ts";
import { type RunBindings, resultKey, runGeneration } from "./run-generation.ts";
import type { BackendProgress } from "./stream-call.ts";

/** How a create call went: a new job, the same job again (idempotent replay), or a clash of bodies. */
export type CreateResult =
  | { kind: "created"; view: JobView }
  | { kind: "existing"; view: JobView }
  | { kind: "mismatch" };

/** After a cancel reaches the backend, how long the job waits for the backend's own `cancelled` before it stops listening. */
export const CANCEL_GRACE_MS = 2_000;
/** How long a cancel call waits for the job to wind down before it answers with the state it has. */
export const CANCEL_WAIT_MS = 5_000;
/** Runs of one job on the fleet before it is given up as failed (and refunded) rather than tried again. */
export const MAX_JOB_RUNS = 3;
/**
 * While a run is under way the object's alarm is set this far ahead: if the object dies mid-run and
 * the platform does not retry its alarm, this one wakes a new object, which resumes the job on the
 * backend that runs it. Backends keep a job nobody listens to for 90 s (`RESUME_GRACE_MS` in
 * backend/src/serving/resumable-jobs.ts), and its result for 5 minutes after.
 */
export const RUN_CHECK_MS = 60_000;
/** The platform retries a throwing alarm up to six times (developers.cloudflare.com/durable-objects/api/alarms). */
const LAST_ALARM_RETRY = 6;

/**
 * The bindings a {@link GenerationJob} uses: its run's (the fleet, R2, the coalescers), its
 * settlement's (the key's `KeyState`), and the secrets of its webhook and its result's links.
 */
export interface GenerationJobBindings extends RunBindings, SettleBindings {
  /** The canary watchers, told how a job on a split alias went. */
  CANARY_WATCH: DurableObjectNamespace<CanaryWatch>;
  /** The run history, which records each job as it ends. */
  DB: D1Database;
  SDGATE_WEBHOOK_SECRET?: string;
  SDGATE_URL_SIGNING_KEY?: string;
}

// `step` of `steps` is done for the images from `image` on (denoised together); those before are finished.
function progressFraction(progress: { step: number; steps: number; image: number; images: number }): number {
  const { step, steps, image, images } = progress;
  return Math.min(1, (image * steps + (images - image) * step) / (images * steps));
}

/**
 * One async generation job (`getByName(jobId)`): its state, its numbered events (what
 * `GET /v1/jobs/{id}/events` replays after a `Last-Event-ID` and then streams live), its run on the
 * fleet, its cancellation, its webhook and its accounting. The route resolves and admits the request
 * and hands over a {@link JobSpec}; the object runs it from its alarm (so a restarted object picks
 * the job up again), and keeps everything for its retention (`SDGATE_JOB_RETENTION_HOURS`).
 */
export class GenerationJob extends DurableObject<GenerationJobBindings> {
  readonly #store: JobStore;
  #state: JobState | null;
  readonly #subscribers = new Set<(event: StoredEvent) => void>();
  #running: Promise<void> | null = null;
  #abort: AbortController | null = null;
  #backend: Backend | null = null;

  constructor(ctx: DurableObjectState, env: GenerationJobBindings) {
    super(ctx, env);
    this.#store = new JobStore(ctx.storage.sql);
    this.#state = this.#store.state();
  }

  /** The job if `ownerKeyId` made it and `fingerprint` matches (or `none`), without creating anything. */
  peek(ownerKeyId: string, fingerprint: string): CreateResult | { kind: "none" } {
    const state = this.#owned(ownerKeyId);
    if (state === null) return { kind: "none" };
    return state.fingerprint === fingerprint
      ? { kind: "existing", view: jobView(state) }
      : { kind: "mismatch" };
  }

  /** Creates the job and starts it (from the alarm), or answers with the job already here. */
  async create(spec: JobSpec): Promise<CreateResult> {
    const existing = this.#state;
    if (existing !== null) {
      if (existing.ownerKeyId !== spec.ownerKeyId) throw new Error("A job id was reused across keys.");
      return existing.fingerprint === spec.fingerprint
        ? { kind: "existing", view: jobView(existing) }
        : { kind: "mismatch" };
    }
    const nowMs = Date.now();
    const { model, width, height, n, steps, seed, hires } = spec.fleet.request;
    const state: JobState = {
      id: spec.id,
      ownerKeyId: spec.ownerKeyId,
      fingerprint: spec.fingerprint,
      status: "queued",
      createdMs: nowMs,
      startedMs: null,
      completedMs: null,
      request: { model, width, height, n, steps, seed, ...(hires ? { hires } : {}) },
      responseFormat: spec.responseFormat,
      queue: null,
      progress: null,
      backend: null,
      attempts: 0,
      result: null,
      error: null,
      webhook:
        spec.webhookUrl === null
          ? null
          : {
              url: spec.webhookUrl,
              attempts: 0,
              nextAtMs: null,
              delivered: false,
              lastStatus: null,
              linkOrigin: spec.origin,
            },
      cancelRequested: false,
      expiresMs: nowMs + (spec.retentionMs ?? JOB_RETENTION_MS),
      runs: 0,
      credits: { reserved: spec.cost, charged: null },
    };
    this.#store.saveSpec(spec);
    this.#save(state);
    await this.ctx.storage.setAlarm(nowMs);
    return { kind: "created", view: jobView(state) };
  }

  /** The job's view and where its images are, for its owner; `null` for anyone else. */
  read(ownerKeyId: string): JobSnapshot | null {
    const state = this.#owned(ownerKeyId);
    if (state === null) return null;
    const result =
      state.status === "succeeded" && state.result !== null
        ? { tenantTag: state.result.tenantTag, cacheKey: state.result.cacheKey }
        : null;
    return { view: jobView(state), result, responseFormat: state.responseFormat };
  }

  /** The latest preview image (base64) the job's progress carried, for its owner (A1111's `current_image`). */
  latestPreview(ownerKeyId: string): string | null {
    return this.#owned(ownerKeyId) === null ? null : this.#store.latestPreview();
  }

  /** The job's events after `afterId` as SSE, then live ones until the job ends; `null` for anyone but its owner. */
  events(ownerKeyId: string, afterId: number): ReadableStream<Uint8Array> | null {
    const state = this.#owned(ownerKeyId);
    if (state === null) return null;
    return jobEventStream({
      stored: this.#store.eventsAfter(afterId),
      ended: TERMINAL_STATUSES.has(state.status),
      subscribe: (listener) => {
        this.#subscribers.add(listener);
        return () => this.#subscribers.delete(listener);
      },
    });
  }

  /**
   * Cancels the job: at once if no backend has it yet; otherwise through the backend's signed cancel
   * call (its stream then ends `cancelled`), stopping to listen after {@link CANCEL_GRACE_MS}. The
   * reservation is refunded. A finished job is returned as it is.
   */
  async cancel(ownerKeyId: string): Promise<JobView | null> {
    const state = this.#owned(ownerKeyId);
    if (state === null) return null;
    if (TERMINAL_STATUSES.has(state.status)) return jobView(state);
    this.#save({ ...state, cancelRequested: true });
    const running = this.#running;
    if (running === null) {
      const spec = this.#store.spec();
      await this.#finish(spec, "cancelled", { error: cancelledError() });
      await this.#schedule();
      return jobView(this.#required());
    }
    const backend = this.#backend;
    const spec = this.#store.spec();
    const status =
      backend === null || spec === null
        ? null
        : await cancelOnBackend(
            backend,
            state.id,
            keyringFor(this.env.SDGATE_HMAC_KEYS),
            spec.fleet.requestId,
          );
    // A backend that did not take the cancel (unreachable, or it no longer has the job) is not
    // waited for: stop listening to it now.
    const grace = setTimeout(() => this.#abort?.abort(), status === 200 ? CANCEL_GRACE_MS : 0);
    await Promise.race([running, new Promise((resolve) => setTimeout(resolve, CANCEL_WAIT_MS))]);
    clearTimeout(grace);
    return jobView(this.#required());
  }

  override async alarm(alarmInfo?: AlarmInvocationInfo): Promise<void> {
    const state = this.#state;
    if (state === null) return;
    const nowMs = Date.now();
    if (nowMs >= state.expiresMs) return await this.#expire(state);
    if (this.#running !== null) {
      // This object is alive and running the job: only keep the backstop ahead.
      await this.ctx.storage.setAlarm(nowMs + RUN_CHECK_MS);
      return;
    }
    try {
      if (!TERMINAL_STATUSES.has(state.status)) {
        this.#running = this.#run().finally(() => {
          this.#running = null;
        });
        await this.#running;
      }
      await this.#deliverWebhook();
    } catch (error) {
      // Rethrown, the platform retries the alarm; after its last retry nothing would, so the job ends here.
      if ((alarmInfo?.retryCount ?? 0) < LAST_ALARM_RETRY - 1) throw error;
      log.error("a job's alarm kept failing; ending the job", {
        job_id: state.id,
        error: error instanceof Error ? error.name : "unknown",
      });
      await this.#finish(this.#store.spec(), "failed", { error: interruptedError() });
    }
    await this.#schedule();
  }

  #owned(ownerKeyId: string): JobState | null {
    const state = this.#state;
    return state !== null && state.ownerKeyId === ownerKeyId ? state : null;
  }

  #required(): JobState {
    if (this.#state === null) throw new Error("The job has no state.");
    return this.#state;
  }

  #save(state: JobState): void {
    this.#state = state;
    this.#store.saveState(state);
  }

  #emit<N extends JobEventName>(name: N, data: JobEventData<N>): void {
    const event = this.#store.append(name, JSON.stringify(data));
    for (const listener of this.#subscribers) listener(event);
  }

  async #run(): Promise<void> {
    const spec = this.#store.spec();
    if (spec === null) {
      await this.#finish(null, "failed", {
        error: { code: "internal_error", message: "The job's request was lost.", param: null },
      });
      return;
    }
    const before = this.#required();
    const runs = (before.runs ?? 0) + 1;
    if (runs > MAX_JOB_RUNS) {
      await this.#finish(spec, "failed", { error: interruptedError() });
      return;
    }
    this.#save({ ...before, runs });
    await this.ctx.storage.setAlarm(Date.now() + RUN_CHECK_MS);
    const abort = new AbortController();
    this.#abort = abort;
    try {
      const outcome = await runGeneration(spec, this.env, {
        ...(runs > 1 ? { resumeOn: before.backend } : {}),
        signal: abort.signal,
        waitUntil: (promise) => this.ctx.waitUntil(promise),
        onAttempt: (backend) => this.#onAttempt(backend),
        onEvent: (event) => this.#onEvent(event),
      });
      if (outcome.ok) {
        const { record, attempts, cache } = outcome;
        const state = this.#required();
        this.#save({
          ...state,
          attempts: Math.max(state.attempts, attempts),
          backend: record.backend,
          result: { tenantTag: spec.fleet.tenantTag, cacheKey: resultKey(spec), cache },
        });
        await this.#finish(spec, "succeeded", {
          charged: cache === "HIT" ? 0 : spec.cost,
          ...safetyDecisions(record.images),
          ...(cache === "HIT"
            ? {}
            : { ran: { engineVersion: spec.fleet.registry.engineVersion, timingsMs: record.timings_ms } }),
        });
        return;
      }
      const { code, message, param } = outcome.error;
      const cancelled = code === "cancelled" || this.#required().cancelRequested;
      await this.#finish(spec, cancelled ? "cancelled" : "failed", {
        error: cancelled ? cancelledError() : { code, message, param },
      });
    } catch (error) {
      log.error("a job failed unexpectedly", { job_id: spec.id, error: (error as Error).name });
      await this.#finish(spec, "failed", {
        error: { code: "internal_error", message: "The job failed unexpectedly.", param: null },
      });
    } finally {
      this.#abort = null;
      this.#backend = null;
    }
  }

  #onAttempt(backend: Backend): void {
    const state = this.#required();
    this.#backend = backend;
    const attempt = state.attempts + 1;
    this.#save({ ...state, attempts: attempt, backend: backend.name, progress: null });
    this.#emit("attempt", { attempt, backend: backend.name });
  }

  #onEvent(event: BackendProgress): void {
    const state = this.#required();
    if (TERMINAL_STATUSES.has(state.status)) return;
    switch (event.name) {
      case "queued":
        this.#save({ ...state, queue: { ...event.data } });
        this.#emit("queued", event.data);
        return;
      case "started":
        this.#save({ ...state, status: "running", startedMs: state.startedMs ?? Date.now(), queue: null });
        this.#emit("started", { backend: state.backend, ...event.data });
        return;
      case "progress": {
        const { preview, ...rest } = event.data;
        const progress = { ...rest, fraction: progressFraction(rest) };
        this.#save({ ...state, status: "running", startedMs: state.startedMs ?? Date.now(), progress });
        this.#emit("progress", preview ? { ...progress, preview } : progress);
        return;
      }
    }
  }

  async #finish(
    spec: JobSpec | null,
    status: Extract<JobStatus, "succeeded" | "failed" | "cancelled">,
    outcome: {
      charged?: number;
      error?: JobError;
      safety?: string;
      ran?: RunRan;
    },
  ): Promise<void> {
    const state = this.#required();
    if (TERMINAL_STATUSES.has(state.status)) return;
    const nowMs = Date.now();
    const finished: JobState = {
      ...state,
      status,
      completedMs: nowMs,
      queue: null,
      error: outcome.error ?? null,
      webhook: state.webhook === null ? null : { ...state.webhook, nextAtMs: nowMs },
      ...(state.credits === undefined
        ? {}
        : { credits: { reserved: state.credits.reserved, charged: outcome.charged ?? 0 } }),
    };
    this.#save(finished);
    this.#emit(status, jobView(finished));
    this.#store.dropSpec();
    if (spec !== null) {
      const httpStatus = status === "succeeded" ? 200 : statusOf(outcome.error?.code ?? "internal_error");
      this.ctx.waitUntil(
        recordGeneration({ db: this.env.DB, images: this.env.IMAGES }, spec.fleet.request, {
          id: spec.id,
          keyId: spec.ownerKeyId,
          status,
          cost: outcome.charged ?? 0,
          latencyMs: nowMs - state.createdMs,
          backend: state.backend,
          errorCode: outcome.error?.code ?? null,
          // Images a job kept under itself (`no-store`) have no replay-cache link.
          where:
            spec.store === "job" ? null : { tenantTag: spec.fleet.tenantTag, cacheKey: spec.fleet.cacheKey },
          experiment: spec.experiment ?? null,
          ...(outcome.ran === undefined ? {} : { ran: outcome.ran }),
        }),
      );
      // A job on a canary split counts toward its version's numbers as a synchronous request does.
      if (spec.split !== undefined)
        this.ctx.waitUntil(
          reportSplitOutcome(this.env.CANARY_WATCH, spec.split, {
            status: httpStatus,
            latencyMs: nowMs - (state.startedMs ?? state.createdMs),
          }),
        );
      await settleJob(this.env, spec, finished, {
        charged: outcome.charged ?? 0,
        status: httpStatus,
        ...(outcome.safety === undefined ? {} : { safety: outcome.safety }),
      });
    }
  }

  async #deliverWebhook(): Promise<void> {
    const state = this.#required();
    const webhook = state.webhook;
    const nowMs = Date.now();
    if (webhook === null || webhook.delivered || webhook.nextAtMs === null || webhook.nextAtMs > nowMs)
      return;
    const serverSecret = this.env.SDGATE_WEBHOOK_SECRET;
    if (!serverSecret) {
      log.error("a job's webhook cannot be signed: SDGATE_WEBHOOK_SECRET is unset", { job_id: state.id });
      this.#save({ ...state, webhook: { ...webhook, nextAtMs: null } });
      return;
    }
    // Only an ended job has a delivery due (`#finish` schedules it).
    if (!isTerminalJobStatus(state.status)) return;
    const result = await this.#webhookResult(state, nowMs);
    const payload: WebhookPayload = {
      type: `job.${state.status}`,
      timestamp: new Date(nowMs).toISOString(),
      data: result === null ? jobView(state) : { ...jobView(state), result },
    };
    const body = JSON.stringify(payload);
    const { ok, status } = await deliverWebhook({
      url: webhook.url,
      messageId: `msg_${state.id}`,
      body,
      secret: await webhookSecretFor(serverSecret, state.ownerKeyId),
    });
    const attempts = webhook.attempts + 1;
    const latest = this.#required();
    this.#save({
      ...latest,
      webhook: {
        ...webhook,
        attempts,
        delivered: ok,
        lastStatus: status,
        nextAtMs: ok ? null : nextWebhookAttemptMs(attempts, Date.now()),
      },
    });
    if (!ok) log.warn("webhook delivery failed", { job_id: state.id, attempt: attempts, status });
  }

  /** A succeeded job's images as signed links for its webhook, when links can be made. */
  async #webhookResult(state: JobState, nowMs: number): Promise<UrlGenerationResponse | null> {
    if (state.status !== "succeeded" || state.result === null) return null;
    const where = { tenantTag: state.result.tenantTag, cacheKey: state.result.cacheKey };
    const record = await getGeneration(this.env.IMAGES, where.tenantTag, where.cacheKey);
    if (record === null) return null;
    const origin = state.webhook?.linkOrigin;
    return linkedResult(record, where, this.env.SDGATE_URL_SIGNING_KEY, origin, Math.floor(nowMs / 1000));
  }

  async #schedule(): Promise<void> {
    const state = this.#required();
    const webhookAtMs = state.webhook?.delivered === false ? state.webhook.nextAtMs : null;
    await this.ctx.storage.setAlarm(Math.min(webhookAtMs ?? Number.POSITIVE_INFINITY, state.expiresMs));
  }

  // Past retention: the job is forgotten (a `no-store` job's images and thumbnails with it; keys as cache/store.ts lays them out).
  async #expire(state: JobState): Promise<void> {
    if (state.result !== null && state.result.cacheKey === `job-${state.id}`) {
      const keys = Array.from({ length: state.request.n }, (_, index) => {
        const tag = state.result?.tenantTag ?? "";
        return [
          imageObjectKey(tag, `job-${state.id}`, index),
          thumbnailObjectKey(tag, `job-${state.id}`, index),
        ];
      }).flat();
      await this.env.IMAGES.delete([...keys, `gen/${state.result.tenantTag}/job-${state.id}.json`]);
    }
    this.#state = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}

function interruptedError(): JobError {
  return {
    code: "internal_error",
    message: `The job was interrupted ${MAX_JOB_RUNS} times and has been given up; nothing was charged.`,
    param: null,
  };
}

function cancelledError(): JobError {
  return { code: "cancelled", message: "The job was cancelled by its owner.", param: null };
}
