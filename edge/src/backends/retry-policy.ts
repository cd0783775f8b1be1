import { z } from "zod";

/**
 * When and how a failed backend attempt is retried on another backend (Portkey's `retry` block, plus
 * a budget). The budget is a token bucket in the spirit of Finagle's `RetryBudget` and gRPC's retry
 * throttling: every request deposits `budget_ratio` of a token (up to `budget_burst`), every retry
 * spends one, so over time retries stay under that share of requests and a meltdown does not turn
 * into 3× load on whatever is left. Like Finagle's `minRetriesPerSec`, the bucket also refills by
 * time, `budget_min_per_second`, so a quiet edge that spent its burst on one outage can still retry
 * the next request that meets a dead backend instead of answering 503 with a healthy one beside it.
 */
export const retryPolicySchema = z.strictObject({
  /** Attempts per request, the first included. */
  attempts: z.number().int().min(1).max(10).default(3),
  /** Statuses worth another backend; connect errors and timeouts always are. 4xx other than 429 never. */
  on_status_codes: z
    .array(z.number().int().min(429).max(599))
    .default([429, 500, 502, 503, 504])
    .refine((codes) => codes.every((code) => code === 429 || code >= 500), "only 429 and 5xx can be retried"),
  /** Full-jitter backoff: attempt k waits uniform(0, min(cap, base × 2^(k−1))) ms. */
  backoff_base_ms: z.number().int().min(0).max(10_000).default(25),
  backoff_cap_ms: z.number().int().min(0).max(60_000).default(1_000),
  budget_ratio: z.number().min(0).max(1).default(0.2),
  budget_burst: z.number().min(0).max(1_000).default(10),
  budget_min_per_second: z.number().min(0).max(1_000).default(1),
});
export type RetryPolicy = z.output<typeof retryPolicySchema>;

/**
 * "Full jitter" from the AWS Architecture Blog, "Exponential Backoff And Jitter" (Brooker, 2015):
 * spreads retries out so that clients that failed together do not retry together.
 *
 * @example
 * await sleep(fullJitterMs(policy, attemptNumber, Math.random));
 */
export function fullJitterMs(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const ceilingMs = Math.min(
    policy.backoff_cap_ms,
    policy.backoff_base_ms * 2 ** Math.max(0, retryNumber - 1),
  );
  return Math.floor(random() * ceilingMs);
}

/** A token bucket of retries; one per fleet per isolate. */
export class RetryBudget {
  #tokens: number;
  readonly #ratio: number;
  readonly #burst: number;
  readonly #perSecond: number;
  readonly #nowMs: () => number;
  #refilledAtMs: number;

  constructor(
    policy: Pick<RetryPolicy, "budget_ratio" | "budget_burst"> &
      Partial<Pick<RetryPolicy, "budget_min_per_second">>,
    nowMs: () => number = Date.now,
  ) {
    this.#ratio = policy.budget_ratio;
    this.#burst = policy.budget_burst;
    this.#tokens = policy.budget_burst;
    this.#perSecond = policy.budget_min_per_second ?? 0;
    this.#nowMs = nowMs;
    this.#refilledAtMs = nowMs();
  }

  /** Called once per request. */
  deposit(): void {
    this.#tokens = Math.min(this.#burst, this.#tokens + this.#ratio);
  }

  #refill(): void {
    const nowMs = this.#nowMs();
    const earned = (Math.max(0, nowMs - this.#refilledAtMs) / 1000) * this.#perSecond;
    this.#tokens = Math.min(this.#burst, this.#tokens + earned);
    this.#refilledAtMs = nowMs;
  }

  /** Spends a token for one retry; `false` when the budget is spent. */
  withdraw(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  get tokens(): number {
    this.#refill();
    return this.#tokens;
  }
}
