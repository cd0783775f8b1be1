import { type ModelArchitecture, SdgateError } from "@sdgate/shared";
import type { Engine, EngineListener, JobOutcome, JobProgress } from "../generation/engine.ts";
import type { Logger } from "../logger.ts";
import { type ServingMetrics, STAGES } from "../metrics/metrics.ts";
import {
  BatchWatchdog,
  batchBudget,
  DEFAULT_WATCHDOG,
  type HangCause,
  hangError,
  type WatchdogSettings,
  withTimeout,
} from "./engine-watchdog.ts";
import { FairQueue } from "./fair-queue.ts";
import { Job, type JobSpec } from "./job.ts";
import { FinishedJobs, jobFingerprint } from "./resumable-jobs.ts";
import { StepTimes } from "./step-times.ts";

export interface DispatcherOptions {
  engine: Engine;
  /** Jobs that may wait; one more is refused with 429. */
  queueSize: number;
  /** Most images in one engine batch; 1 turns batching off. */
  maxBatch: number;
  metrics: ServingMetrics;
  logger: Logger;
  /**
   * Starts a fresh engine with the same models, to replace one the watchdog found hung (once the old
   * one is closed). Without it, or when it fails, `onFatal` is called.
   */
  restartEngine?: () => Promise<Engine>;
  /** The engine is hung and cannot be replaced: the process can no longer serve. */
  onFatal?: (error: Error) => void;
  watchdog?: Partial<WatchdogSettings>;
}

/** The batch on the engine; `abandoned` once the watchdog gave up on it, so its late events are ignored. */
interface RunningBatch {
  jobs: readonly Job[];
  watchdog: BatchWatchdog;
  abandoned: boolean;
}

/** Load as the edge routes by it: sent as headers on every response and in `/readyz`. */
export interface LoadSnapshot {
  queueDepth: number;
  inFlight: number;
  estimatedWaitMs: number;
}

/**
 * Feeds the engine from a bounded, tenant-fair queue, one batch at a time (the engine has one
 * device), and tracks each job to its end: deadlines, cancellation, progress, metrics, and the
 * per-step times that estimates are made from. A watchdog ({@link BatchWatchdog}) fails a batch the
 * engine holds too long and replaces the engine; until the new one is ready, no job starts and new
 * ones are refused. Refusals are values (`SdgateError`s to answer with).
 */
export class Dispatcher {
  readonly stepTimes = new StepTimes();
  #engine: Engine;
  readonly #queue: FairQueue<Job>;
  readonly #maxBatch: number;
  readonly #metrics: ServingMetrics;
  readonly #logger: Logger;
  readonly #restartEngine: (() => Promise<Engine>) | undefined;
  readonly #onFatal: (error: Error) => void;
  readonly #watchdog: WatchdogSettings;
  readonly #jobs = new Map<string, Job>();
  readonly #running = new Map<string, { job: Job; etaMs: number; atMs: number }>();
  readonly #deadlineTimers = new Map<string, NodeJS.Timeout>();
  readonly #finished = new FinishedJobs();
  readonly #watchers = new Map<string, { count: number; timer: NodeJS.Timeout | undefined }>();
  #batch: RunningBatch | null = null;
  #restarting = false;
  #draining = false;
  #drained: (() => void) | undefined;

  constructor(options: DispatcherOptions) {
    this.#engine = options.engine;
    this.#queue = new FairQueue(options.queueSize);
    this.#maxBatch = options.maxBatch;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.#restartEngine = options.restartEngine;
    this.#onFatal = options.onFatal ?? (() => undefined);
    this.#watchdog = { ...DEFAULT_WATCHDOG, ...options.watchdog };
    this.#metrics.engineReady.set(1);
  }

  /** The engine jobs run on now (a restart replaces it). */
  get engine(): Engine {
    return this.#engine;
  }

  /** `false` while a hung engine is being replaced: no job starts and new ones are refused. */
  get engineReady(): boolean {
    return !this.#restarting;
  }

  get models(): readonly string[] {
    return this.#engine.models.map((model) => model.id);
  }

  /** What each model is built like, by model id, as the engine detected it. */
  get architectures(): Record<string, ModelArchitecture> {
    return Object.fromEntries(this.#engine.models.map((model) => [model.id, model.architecture]));
  }

  get maxBatch(): number {
    return this.#maxBatch;
  }

  get queueSize(): number {
    return this.#queue.capacity;
  }

  /**
   * Why a new job would be refused whatever it is (draining or restarting: 503; queue full: 429), or
   * `null`: cheap, for a caller to ask before it spends time decoding a request's input images.
   */
  refusal(): SdgateError | null {
    if (this.#draining || this.#restarting) {
      const message = this.#draining ? "Backend is draining." : "Backend is restarting its engine.";
      return new SdgateError("backend_unavailable", message, { headers: { "Retry-After": "5" } });
    }
    if (this.#queue.size < this.#queue.capacity) return null;
    const waitMs = this.snapshot().estimatedWaitMs;
    const retryAfterS = Math.max(1, Math.ceil(waitMs / Math.max(1, this.#queue.size) / 1000));
    return new SdgateError(
      "rate_limited",
      `The queue is full (${this.#queue.size} waiting); a new job would be number ${this.#queue.size + 1} with about ${Math.round(waitMs)} ms to wait.`,
      {
        headers: {
          "Retry-After": String(retryAfterS),
          "X-Queue-Position": String(this.#queue.size + 1),
        },
      },
    );
  }

  /**
   * A job the edge gave this backend before, asked for again under its id by the same tenant with the
   * same request (an edge job object that died and resumes): the job still here, or a replay of how it
   * ended; `null` when there is none, and the request is a new job.
   */
  resume(spec: JobSpec): Job | null {
    const fingerprint = jobFingerprint(spec);
    const existing = this.#jobs.get(spec.id);
    if (existing !== undefined) return existing.fingerprint === fingerprint ? existing : null;
    const end = this.#finished.take(spec.id, fingerprint, Date.now());
    if (end === undefined) return null;
    const replay = new Job(spec);
    // Returned before its end, so the caller can subscribe; the end follows on the next tick.
    queueMicrotask(() => replay.emit(end));
    return replay;
  }

  /**
   * Someone listens to job `jobId`; the function returned says they left. A job nobody listens to any
   * more is cancelled: after `graceMs` (a caller that may come back for it, see {@link resume}), or at once.
   */
  watch(jobId: string, graceMs: number): () => void {
    const watchers = this.#watchers.get(jobId) ?? { count: 0, timer: undefined };
    clearTimeout(watchers.timer);
    watchers.timer = undefined;
    watchers.count += 1;
    this.#watchers.set(jobId, watchers);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      watchers.count -= 1;
      if (watchers.count > 0) return;
      const abandon = () => {
        this.#watchers.delete(jobId);
        const job = this.#jobs.get(jobId);
        if (job === undefined) return;
        job.abandoned = true;
        this.cancel(jobId, "cancelled");
      };
      if (graceMs <= 0) abandon();
      else watchers.timer = setTimeout(abandon, graceMs).unref();
    };
  }

  /** Queues a job, or says why not: a {@link refusal}, a reused id or a past deadline. */
  submit(spec: JobSpec): { ok: true; job: Job } | { ok: false; error: SdgateError } {
    const refused = this.refusal();
    if (refused !== null) return { ok: false, error: refused };
    if (this.#jobs.has(spec.id)) {
      return {
        ok: false,
        error: new SdgateError("invalid_request", `Job '${spec.id}' is already queued or running.`),
      };
    }
    if (spec.deadlineAtMs <= Date.now()) {
      return {
        ok: false,
        error: new SdgateError("timeout", "The job's deadline passed before it was queued."),
      };
    }
    const job = new Job(spec);
    this.#queue.push(job);
    this.#jobs.set(job.id, job);
    this.#deadlineTimers.set(
      job.id,
      setTimeout(() => this.cancel(job.id, "deadline"), Math.max(0, spec.deadlineAtMs - Date.now())).unref(),
    );
    this.#updateGauges();
    // The job is returned before its first event, so the caller can subscribe; announce on the next tick.
    queueMicrotask(() => {
      this.#announcePositions();
      this.#pump();
    });
    return { ok: true, job };
  }

  /**
   * Cancels a job: a queued one ends now (`"cancelled"`), a running one at its next denoising step
   * (`"cancelling"`); `null` if no such job is here.
   */
  cancel(jobId: string, reason: "cancelled" | "deadline"): "cancelled" | "cancelling" | null {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return null;
    if (job.state === "queued") {
      this.#queue.remove(job);
      const error =
        reason === "deadline"
          ? new SdgateError("timeout", "The job passed its deadline while queued.")
          : new SdgateError("cancelled", "The job was cancelled while queued.");
      this.#finish(job, { type: "error", error });
      this.#announcePositions();
      this.#maybeDrained();
      return "cancelled";
    }
    this.#engine.cancel(jobId, reason);
    return "cancelling";
  }

  /** Stops taking jobs; resolves once every queued and running job has ended. */
  drain(): Promise<void> {
    this.#draining = true;
    return new Promise((resolve) => {
      this.#drained = resolve;
      this.#maybeDrained();
    });
  }

  get draining(): boolean {
    return this.#draining;
  }

  snapshot(): LoadSnapshot {
    const order = this.#queue.serviceOrder();
    const waits = this.#waitsMs(order);
    return {
      queueDepth: this.#queue.size,
      inFlight: this.#running.size,
      estimatedWaitMs: Math.round(waits.at(-1) ?? this.#inFlightRemainingMs()),
    };
  }

  /** For each job in service order, the estimated time until it starts; the last is the wait for a new one. */
  #waitsMs(order: readonly Job[]): number[] {
    let waitMs = this.#inFlightRemainingMs();
    const waits = [waitMs];
    for (const job of order) {
      waitMs += this.stepTimes.requestMs(job.request);
      waits.push(waitMs);
    }
    return waits;
  }

  #inFlightRemainingMs(): number {
    const now = performance.now();
    let remaining = 0;
    for (const { etaMs, atMs } of this.#running.values())
      remaining = Math.max(remaining, etaMs - (now - atMs));
    return Math.max(0, remaining);
  }

  #announcePositions(): void {
    const order = this.#queue.serviceOrder();
    const waits = this.#waitsMs(order);
    for (const [index, job] of order.entries()) {
      if (job.position === index + 1) continue;
      job.position = index + 1;
      job.emit({ type: "queued", position: index + 1, estimatedWaitMs: Math.round(waits[index] ?? 0) });
    }
  }

  #pump(): void {
    if (this.#batch !== null || this.#restarting) return;
    const jobs = this.#queue.takeBatch(this.#maxBatch);
    if (jobs.length === 0) return;
    const now = performance.now();
    for (const job of jobs) {
      job.state = "running";
      this.#running.set(job.id, { job, etaMs: this.stepTimes.requestMs(job.request), atMs: now });
      this.#metrics.queueWaitSeconds.observe((now - job.enqueuedAtMs) / 1000);
      job.emit({ type: "started", batchSize: jobs.length, queueWaitMs: Math.round(now - job.enqueuedAtMs) });
    }
    this.#metrics.batchImages.observe(jobs.reduce((sum, job) => sum + job.images, 0));
    this.#updateGauges();
    this.#announcePositions();
    const batch: RunningBatch = {
      jobs,
      abandoned: false,
      watchdog: new BatchWatchdog(batchBudget(jobs, this.stepTimes), this.#watchdog, (cause, afterMs) =>
        this.#abandon(batch, cause, afterMs),
      ),
    };
    this.#batch = batch;
    // Events of a batch the watchdog gave up on are dropped: its jobs have ended, and their ids may
    // already belong to new jobs.
    const listener: EngineListener = {
      onProgress: (jobId, progress) => {
        if (batch.abandoned) return;
        batch.watchdog.alive();
        this.#onProgress(jobId, progress);
      },
      onDone: (jobId, outcome) => {
        if (batch.abandoned) return;
        batch.watchdog.alive();
        this.#onDone(jobId, outcome);
      },
    };
    const engineJobs = jobs.map((job) => ({
      id: job.id,
      request: job.request,
      previewEverySteps: job.previewEverySteps,
      inputs: job.inputs,
    }));
    this.#engine
      .run(engineJobs, listener)
      .then(
        (report) => {
          const imageSteps = report.images * report.steps;
          // a hires job's denoising spans two sizes, a refiner's two models: it measures neither
          const mixed = jobs.some(
            (job) => job.request.hires !== undefined || job.request.refiner !== undefined,
          );
          if (!batch.abandoned && imageSteps > 0 && report.denoiseMs > 0 && !mixed) {
            this.stepTimes.record(report.model, report.width, report.height, report.denoiseMs / imageSteps);
          }
        },
        (error: unknown) => {
          if (!batch.abandoned) this.#logger.error("engine batch failed", { error: String(error) });
        },
      )
      .finally(() => {
        if (batch.abandoned) return;
        batch.watchdog.stop();
        // Jobs the engine never answered (it failed) must still end.
        for (const job of jobs) {
          if (job.state !== "done")
            this.#finish(job, { type: "error", error: new SdgateError("internal_error", "Internal error.") });
        }
        this.#batch = null;
        this.#pump();
        this.#maybeDrained();
      });
  }

  /**
   * The watchdog gave up on a batch: its jobs end now (a `timeout` if they outlived their deadlines,
   * else a 503 the edge retries elsewhere), and the engine, which may be stuck in a native call, is
   * replaced. Until the new one is ready, `/readyz` says 503 and queued jobs wait.
   */
  #abandon(batch: RunningBatch, cause: HangCause, afterMs: number): void {
    if (batch.abandoned || this.#batch !== batch) return;
    batch.abandoned = true;
    this.#batch = null;
    this.#restarting = true;
    this.#metrics.engineRestarts.inc({ cause });
    this.#metrics.engineReady.set(0);
    this.#logger.error("engine hung; replacing it", {
      cause,
      afterMs,
      jobs: batch.jobs.map((job) => job.id),
    });
    const error = hangError(cause);
    for (const job of batch.jobs) if (job.state !== "done") this.#finish(job, { type: "error", error });
    void this.#replaceEngine();
  }

  async #replaceEngine(): Promise<void> {
    const { closeTimeoutMs } = this.#watchdog;
    try {
      if (this.#restartEngine === undefined) throw new Error("no way to restart the engine is configured");
      // A worker stuck in a native call cannot be stopped; then only a new process frees the device.
      await withTimeout(
        this.#engine.close(),
        closeTimeoutMs,
        `the hung engine did not stop in ${closeTimeoutMs} ms`,
      );
      this.#engine = await this.#restartEngine();
    } catch (error) {
      this.#logger.error("engine could not be replaced", { error: String(error) });
      this.#onFatal(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.#restarting = false;
    this.#metrics.engineReady.set(1);
    this.#logger.info("engine replaced", { models: this.models });
    this.#pump();
    this.#maybeDrained();
  }

  #onProgress(jobId: string, progress: JobProgress): void {
    const running = this.#running.get(jobId);
    if (running === undefined) return;
    running.etaMs = progress.etaMs;
    running.atMs = performance.now();
    running.job.emit({ type: "progress", progress });
  }

  #onDone(jobId: string, outcome: JobOutcome): void {
    const job = this.#jobs.get(jobId);
    if (job === undefined) return;
    if (!outcome.ok) {
      const { code, message, param } = outcome.error;
      this.#finish(job, { type: "error", error: new SdgateError(code, message, { param }) });
      return;
    }
    const { response } = outcome;
    const images = response.images.length;
    this.#metrics.imagesTotal.inc(images);
    this.#metrics.stepsTotal.inc(images * job.request.steps);
    for (const stage of STAGES) {
      const ms = response.timings_ms[stage];
      if (ms !== undefined) this.#metrics.stageSeconds.observe({ stage }, ms / 1000);
    }
    this.#finish(job, { type: "result", response });
  }

  #finish(job: Job, end: Parameters<Job["emit"]>[0] & { type: "result" | "error" }): void {
    clearTimeout(this.#deadlineTimers.get(job.id));
    this.#deadlineTimers.delete(job.id);
    this.#jobs.delete(job.id);
    this.#running.delete(job.id);
    if (!job.abandoned) this.#finished.remember(job.id, job.fingerprint, end, Date.now());
    const watchers = this.#watchers.get(job.id);
    if (watchers?.count === 0) {
      clearTimeout(watchers.timer);
      this.#watchers.delete(job.id);
    }
    job.emit(end);
    this.#updateGauges();
  }

  #updateGauges(): void {
    this.#metrics.queueDepth.set(this.#queue.size);
    this.#metrics.inFlight.set(this.#running.size);
  }

  #maybeDrained(): void {
    if (this.#draining && this.#queue.size === 0 && this.#batch === null) this.#drained?.();
  }
}
