import type { RetryPolicy } from "@sdgate/shared";

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

/** The retry budget `RetryPolicy` describes, as a token bucket; one per fleet per isolate. */
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
