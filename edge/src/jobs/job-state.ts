import {
  type JobError,
  type JobProgress,
  type JobQueue,
  type JobStatus,
  type JobView,
  outputSizeText,
  type ResolvedGenerationRequest,
  TERMINAL_JOB_STATUSES,
} from "@sdgate/shared";
import type { SplitDraw } from "../canary/active-split.ts";
import type { FleetRun } from "../gateway/fleet-run.ts";

// What a job looks like on the wire is the contract's (`@sdgate/shared`'s jobs.ts).
export type { JobError, JobStatus, JobView };

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(TERMINAL_JOB_STATUSES);

/**
 * How long a job (its state, events and, for `no-store` jobs, its images) is kept after it is created,
 * when its spec does not say (`SDGATE_JOB_RETENTION_HOURS`, in `retentionMs`).
 */
export const JOB_RETENTION_MS = 24 * 3_600_000;

/** Everything the route decided about a job, handed to its `GenerationJob` object once. */
export interface JobSpec {
  id: string;
  /** The API key that created it; only that key sees it. */
  ownerKeyId: string;
  /** SHA-256 of the canonical request body when the client sent `Idempotency-Key`, else `null`. */
  fingerprint: string | null;
  /** The fleet call, as the synchronous route makes it (registry, keyring, timeout, cache key). */
  fleet: FleetRun;
  /** The backend queue's fairness key (`x-sdgate-tenant`). */
  tenant: string;
  requestHash: string;
  /** Credits reserved by the route, and the reservation to settle (`null`: nothing reserved). */
  cost: number;
  reservationId: string | null;
  /** `cache`: read and fill the replay cache under the cache key; `refresh`: fill only; `job`: keep the images under the job (`no-store`). */
  store: "cache" | "refresh" | "job";
  responseFormat: "b64_json" | "url";
  webhookUrl: string | null;
  /** The edge's public origin as the client reached it: webhook payloads link images under it. */
  origin: string;
  /** A preview every n steps in progress events (0: none). */
  previewEvery: number;
  /** Unix ms after which the backend abandons the job. */
  deadlineAtMs: number;
  /** How long the job is kept after it is created (absent in specs stored before: {@link JOB_RETENTION_MS}). */
  retentionMs?: number;
  /** The canary split the request's alias drew its version from, if any: the job reports how it went. */
  split?: SplitDraw;
  /** The experiment its run joins (`Sdgate-Experiment`), by name. */
  experiment?: string;
}

export interface WebhookState {
  url: string;
  attempts: number;
  /** When the next attempt is due; `null` once delivered or given up. */
  nextAtMs: number | null;
  delivered: boolean;
  lastStatus: number | null;
  /** Where the payload's image links point (the submitting request's origin); absent in older jobs. */
  linkOrigin?: string;
}

/** A job's mutable state: small, rewritten whole on each change (images live in R2, events in their table). */
export interface JobState {
  id: string;
  ownerKeyId: string;
  fingerprint: string | null;
  status: JobStatus;
  createdMs: number;
  startedMs: number | null;
  completedMs: number | null;
  /** `hires` too, so the job reports the size its images come out at. */
  request: Pick<ResolvedGenerationRequest, "model" | "width" | "height" | "n" | "steps" | "seed" | "hires">;
  responseFormat: "b64_json" | "url";
  queue: JobQueue | null;
  progress: JobProgress | null;
  backend: string | null;
  attempts: number;
  /** Where the images are in R2 and the rest of the record. */
  result: { tenantTag: string; cacheKey: string; cache: "HIT" | "MISS" | "BYPASS" } | null;
  error: JobError | null;
  webhook: WebhookState | null;
  cancelRequested: boolean;
  expiresMs: number;
  /**
   * Runs started on the fleet (absent in jobs stored before it was counted: 0). An object that dies
   * mid-run (evicted, redeployed, out of CPU) throws nothing, so this count, written before each run,
   * is what tells the next alarm that it resumes a run rather than starts one.
   */
  runs?: number;
  /**
   * Credits the route reserved and what the job's end charged (`null` until it ends; the rest was
   * refunded). Absent in jobs stored before it was kept: the view says `null`.
   */
  credits?: { reserved: number; charged: number | null };
}

const seconds = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));

export function jobPath(id: string): string {
  return `/v1/jobs/${id}`;
}

/** The public JSON of a job, without its images. */
export function jobView(state: JobState): JobView {
  const self = jobPath(state.id);
  return {
    id: state.id,
    object: "generation.job",
    status: state.status,
    created: Math.floor(state.createdMs / 1000),
    started_at: seconds(state.startedMs),
    completed_at: seconds(state.completedMs),
    model: state.request.model,
    size: outputSizeText(state.request),
    n: state.request.n,
    steps: state.request.steps,
    seed: state.request.seed,
    queue: state.status === "queued" ? state.queue : null,
    progress: state.progress,
    backend: state.backend,
    attempts: state.attempts,
    error: state.error,
    webhook:
      state.webhook === null
        ? null
        : { url: state.webhook.url, delivered: state.webhook.delivered, attempts: state.webhook.attempts },
    links: { self, events: `${self}/events`, cancel: `${self}/cancel` },
    credits: creditsView(state.credits),
  };
}

function creditsView(credits: JobState["credits"]): JobView["credits"] {
  if (credits === undefined) return null;
  const { reserved, charged } = credits;
  return { reserved, charged, refunded: charged === null ? null : Math.max(0, reserved - charged) };
}

/** What the object answers a read with: the view, and where a finished job's images are. */
export interface JobSnapshot {
  view: JobView;
  result: { tenantTag: string; cacheKey: string } | null;
  responseFormat: "b64_json" | "url";
}
