import { outputSize, SdgateError } from "@sdgate/shared";
import type { Engine, EngineListener, JobOutcome, JobProgress } from "../generation/engine.ts";
import type { Logger } from "../logger.ts";
import { type ServingMetrics, STAGES } from "../metrics/metrics.ts";
import { FairQueue } from "./fair-queue.ts";
import { Job, type JobSpec } from "./job.ts";
import { StepTimes } from "./step-times.ts";

export interface DispatcherOptions {
  engine: Engine;
  /** Jobs that may wait; one more is refused with 429. */
  queueSize: number;
  /** Most images in one engine batch; 1 turns batching off. */
  maxBatch: number;
  metrics: ServingMetrics;
  logger: Logger;
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
 * per-step times that estimates are made from. Refusals are values (`SdgateError`s to answer with).
 */
export class Dispatcher {
  readonly stepTimes = new StepTimes();
  readonly #engine: Engine;
  readonly #queue: FairQueue<Job>;
  readonly #maxBatch: number;
  readonly #metrics: ServingMetrics;
  readonly #logger: Logger;
  readonly #jobs = new Map<string, Job>();
  readonly #running = new Map<string, { job: Job; etaMs: number; atMs: number }>();
  readonly #deadlineTimers = new Map<string, NodeJS.Timeout>();
  #busy = false;
  #draining = false;
  #drained: (() => void) | undefined;

  constructor(options: DispatcherOptions) {
    this.#engine = options.engine;
    this.#queue = new FairQueue(options.queueSize);
    this.#maxBatch = options.maxBatch;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
  }

  get models(): readonly string[] {
    return this.#engine.models.map((model) => model.id);
  }

  get maxBatch(): number {
    return this.#maxBatch;
  }

  get queueSize(): number {
    return this.#queue.capacity;
  }

  /** Queues a job, or says why not: draining (503), full (429), a reused id or a past deadline. */
  submit(spec: JobSpec): { ok: true; job: Job } | { ok: false; error: SdgateError } {
    if (this.#draining) {
      return {
        ok: false,
        error: new SdgateError("backend_unavailable", "Backend is draining.", {
          headers: { "Retry-After": "5" },
        }),
      };
    }
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
    if (!this.#queue.push(job)) {
      const waitMs = this.snapshot().estimatedWaitMs;
      const retryAfterS = Math.max(1, Math.ceil(waitMs / Math.max(1, this.#queue.size) / 1000));
      return {
        ok: false,
        error: new SdgateError(
          "rate_limited",
          `The queue is full (${this.#queue.size} waiting); a new job would be number ${this.#queue.size + 1} with about ${Math.round(waitMs)} ms to wait.`,
          {
            headers: {
              "Retry-After": String(retryAfterS),
              "X-Queue-Position": String(this.#queue.size + 1),
            },
          },
        ),
      };
    }
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
      waitMs += this.#costMs(job);
      waits.push(waitMs);
    }
    return waits;
  }

  #costMs(job: Job): number {
    const { model, width, height, steps, n, hires } = job.request;
    let ms = this.stepTimes.estimate(model, width, height) * steps;
    if (hires !== undefined) {
      const final = outputSize(job.request);
      ms +=
        this.stepTimes.estimate(model, final.width, final.height) * Math.trunc(hires.steps * hires.strength);
    }
    return ms * n;
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
    if (this.#busy) return;
    const batch = this.#queue.takeBatch(this.#maxBatch);
    if (batch.length === 0) return;
    this.#busy = true;
    const now = performance.now();
    for (const job of batch) {
      job.state = "running";
      this.#running.set(job.id, { job, etaMs: this.#costMs(job), atMs: now });
      this.#metrics.queueWaitSeconds.observe((now - job.enqueuedAtMs) / 1000);
      job.emit({ type: "started", batchSize: batch.length, queueWaitMs: Math.round(now - job.enqueuedAtMs) });
    }
    this.#metrics.batchImages.observe(batch.reduce((sum, job) => sum + job.images, 0));
    this.#updateGauges();
    this.#announcePositions();
    const listener: EngineListener = {
      onProgress: (jobId, progress) => this.#onProgress(jobId, progress),
      onDone: (jobId, outcome) => this.#onDone(jobId, outcome),
    };
    const jobs = batch.map((job) => ({
      id: job.id,
      request: job.request,
      previewEverySteps: job.previewEverySteps,
    }));
    this.#engine
      .run(jobs, listener)
      .then(
        (report) => {
          const imageSteps = report.images * report.steps;
          // a hires job's denoising spans two sizes: it measures neither
          const twoSizes = batch.some((job) => job.request.hires !== undefined);
          if (imageSteps > 0 && report.denoiseMs > 0 && !twoSizes) {
            this.stepTimes.record(report.model, report.width, report.height, report.denoiseMs / imageSteps);
          }
        },
        (error: unknown) => this.#logger.error("engine batch failed", { error: String(error) }),
      )
      .finally(() => {
        // Jobs the engine never answered (it failed) must still end.
        for (const job of batch) {
          if (job.state !== "done")
            this.#finish(job, { type: "error", error: new SdgateError("internal_error", "Internal error.") });
        }
        this.#busy = false;
        this.#pump();
        this.#maybeDrained();
      });
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
    job.emit(end);
    this.#updateGauges();
  }

  #updateGauges(): void {
    this.#metrics.queueDepth.set(this.#queue.size);
    this.#metrics.inFlight.set(this.#running.size);
  }

  #maybeDrained(): void {
    if (this.#draining && this.#queue.size === 0 && !this.#busy) this.#drained?.();
  }
}
