import { outputSize, type ResolvedGenerationRequest, SdgateError } from "@sdgate/shared";
import type { StepTimes } from "./step-times.ts";

export interface WatchdogSettings {
  /**
   * Added to every budget: what no step estimate covers (text encoding before the first step, the
   * VAE and image encoding after the last, the rest of a step after a cancel, a first run's kernel
   * tuning).
   */
  graceMs: number;
  /** A batch whose step times are measured may go this many steps' time (plus the grace) without progress. */
  stallFactor: number;
  /** How long a hung engine gets to stop before the process gives up on it and exits. */
  closeTimeoutMs: number;
}

export const DEFAULT_WATCHDOG: WatchdogSettings = {
  graceMs: 60_000,
  stallFactor: 10,
  closeTimeoutMs: 10_000,
};

/** `deadline`: the batch outlived its jobs' deadlines, so cancelling did not stop it; `stalled`: it stopped making progress. */
export type HangCause = "deadline" | "stalled";

export interface BatchBudget {
  /** The latest deadline among the batch's jobs (unix ms): every job is cancelled by then. */
  latestDeadlineAtMs: number;
  /** One denoising step of all the batch's images, as measured (or guessed, when `measured` is false). */
  stepMs: number;
  /** Whether `stepMs` comes from this model's measured step times rather than the default guess. */
  measured: boolean;
}

/**
 * Watches one batch on the engine and calls `onHung` once if it holds the engine too long. Two
 * budgets: the latest deadline plus the grace, always (a job is cancelled at its deadline and a
 * healthy engine stops within a step, so a batch still running then is stuck); and, once the
 * model's step times are measured, `stallFactor` steps plus the grace without a sign of life
 * ({@link alive}: progress or a finished job), so a hang is found in about a minute rather than at
 * the deadline. Unmeasured step times are only a guess, and a guess must never kill a healthy worker
 * (reloading models takes minutes), so they get the deadline budget alone.
 */
export class BatchWatchdog {
  readonly #budget: BatchBudget;
  readonly #settings: WatchdogSettings;
  readonly #onHung: (cause: HangCause, afterMs: number) => void;
  readonly #startedMs = performance.now();
  readonly #deadlineTimer: NodeJS.Timeout;
  #stallTimer: NodeJS.Timeout | undefined;
  #fired = false;

  constructor(
    budget: BatchBudget,
    settings: WatchdogSettings,
    onHung: (cause: HangCause, afterMs: number) => void,
    nowMs = Date.now(),
  ) {
    this.#budget = budget;
    this.#settings = settings;
    this.#onHung = onHung;
    const graceMs = Math.max(settings.graceMs, settings.stallFactor * budget.stepMs);
    const untilDeadlineMs = Math.max(0, budget.latestDeadlineAtMs - nowMs);
    this.#deadlineTimer = setTimeout(() => this.#fire("deadline"), untilDeadlineMs + graceMs).unref();
    this.alive();
  }

  /** How long the engine may stay silent before the batch counts as stalled; `null` without measured step times. */
  get stallMs(): number | null {
    if (!this.#budget.measured) return null;
    return this.#settings.stallFactor * this.#budget.stepMs + this.#settings.graceMs;
  }

  /** The engine reported on the batch: it is not stuck. */
  alive(): void {
    const stallMs = this.stallMs;
    if (stallMs === null || this.#fired) return;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => this.#fire("stalled"), stallMs).unref();
  }

  stop(): void {
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#stallTimer);
  }

  #fire(cause: HangCause): void {
    if (this.#fired) return;
    this.#fired = true;
    this.stop();
    this.#onHung(cause, Math.round(performance.now() - this.#startedMs));
  }
}

/** What the watchdog allows a batch: its jobs' latest deadline, and one step of all its images by this model's step times. */
export function batchBudget(
  jobs: readonly { request: ResolvedGenerationRequest; images: number; deadlineAtMs: number }[],
  stepTimes: StepTimes,
): BatchBudget {
  let stepMs = 0;
  let measured = true;
  for (const job of jobs) {
    // hires' second pass has the larger steps
    const { width, height } = outputSize(job.request);
    const known = stepTimes.measured(job.request.model, width, height);
    if (known === undefined) measured = false;
    stepMs += (known ?? stepTimes.estimate(job.request.model, width, height)) * job.images;
  }
  return { latestDeadlineAtMs: Math.max(...jobs.map((job) => job.deadlineAtMs)), stepMs, measured };
}

/**
 * What a job of a hung batch ends with: a `timeout` when it outlived its deadline (cancelling did
 * not stop the engine), else a 503 that the edge retries on another backend.
 */
export function hangError(cause: HangCause): SdgateError {
  return cause === "deadline"
    ? new SdgateError(
        "timeout",
        "The job passed its deadline and the engine did not stop; the engine is being restarted.",
      )
    : new SdgateError(
        "backend_unavailable",
        "The engine stopped responding during the job; it is being restarted. Retry the request.",
        { headers: { "Retry-After": "5" } },
      );
}

/** `promise`, or a rejection with `message` after `ms`. */
export function withTimeout(promise: Promise<void>, ms: number, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
