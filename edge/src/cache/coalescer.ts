import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import { log } from "../log.ts";
import { type GenerationJob, type JobOutcome, runJob } from "./job.ts";
import { putGeneration } from "./store.ts";

/** How a coalescer answered: it ran the job, joined one in flight, or still held a finished one. */
export type CoalescedOutcome = JobOutcome & { cache: "MISS" | "COALESCED" | "HIT" };

/** A finished result stays in memory this long after it is stored, for requests that raced the store. */
export const RECENT_GRACE_MS = 10_000;

export interface RunOptions {
  /** Answer only once the images are in R2 (a `url` response links to them). */
  waitForStore: boolean;
}

/**
 * One object per cache key (`getByName(cacheKey)`), so identical requests from every isolate meet
 * here: the first runs the job on the fleet, those that arrive while it runs wait for the same
 * result, and the result is written to R2 once. A Durable Object receives new calls while it awaits
 * a fetch (input gates only hold during storage operations), which is what lets waiters join.
 */
export class GenerationCoalescer extends DurableObject<Env> {
  #inflight: Promise<JobOutcome> | null = null;
  #recent: { outcome: Extract<JobOutcome, { ok: true }>; stored: Promise<void> } | null = null;

  async run(job: GenerationJob, options: RunOptions): Promise<CoalescedOutcome> {
    if (this.#recent) {
      if (options.waitForStore) await this.#recent.stored;
      return { ...this.#recent.outcome, cache: "HIT" };
    }
    if (this.#inflight) {
      const outcome = await this.#inflight;
      // The leader has stored (or is storing) the result by now.
      const recent = this.#recentNow();
      if (options.waitForStore && recent) await recent.stored;
      return { ...outcome, cache: "COALESCED" };
    }
    const inflight = runJob(job, this.env, (promise) => this.ctx.waitUntil(promise));
    this.#inflight = inflight;
    try {
      const outcome = await inflight;
      if (outcome.ok) {
        const stored = this.#store(job, outcome);
        if (options.waitForStore) await stored;
      }
      return { ...outcome, cache: "MISS" };
    } finally {
      this.#inflight = null;
    }
  }

  // A getter, so the type checker does not carry a narrowing of the field across an await.
  #recentNow() {
    return this.#recent;
  }

  #store(job: GenerationJob, outcome: Extract<JobOutcome, { ok: true }>): Promise<void> {
    const stored = putGeneration(this.env.IMAGES, job.tenantTag, job.cacheKey, outcome.record).catch(
      (error: unknown) => {
        log.error("storing a generation failed", {
          request_id: job.requestId,
          error: error instanceof Error ? error.name : "unknown",
        });
      },
    );
    const recent = { outcome, stored };
    this.#recent = recent;
    const forget = stored
      .then(() => new Promise((resolve) => setTimeout(resolve, RECENT_GRACE_MS)))
      .finally(() => {
        if (this.#recent === recent) this.#recent = null;
      });
    this.ctx.waitUntil(forget);
    return stored;
  }
}
