/**
 * Retries after the first try, unless the client or the call says otherwise.
 *
 * @example
 * new Sdgate({ baseUrl, apiKey, maxRetries: DEFAULT_MAX_RETRIES + 2 });
 */
export const DEFAULT_MAX_RETRIES = 2;
/**
 * The first retry waits up to this long; each later one up to twice the one before, to {@link MAX_BACKOFF_MS}.
 *
 * @example
 * backoffMs(0, () => 0.5) === BASE_BACKOFF_MS / 2
 */
export const BASE_BACKOFF_MS = 500;
/**
 * The most any one backoff wait may be.
 *
 * @example
 * backoffMs(10) < MAX_BACKOFF_MS // true
 */
export const MAX_BACKOFF_MS = 8_000;
/**
 * The longest `Retry-After` the client waits out by itself. A longer one is the caller's to decide on
 * (a key out of credits is told to come back in an hour), so the error is thrown at once, carrying it.
 *
 * @example
 * if (isSdgateApiError(error) && (error.retryAfterMs ?? 0) > MAX_RETRY_AFTER_MS) scheduleLater(error.retryAfterMs);
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * `Retry-After` as milliseconds from now (RFC 9110 §10.2.3: delay-seconds or an HTTP-date); `null`
 * when absent or unreadable, 0 for a date already past.
 *
 * @example
 * retryAfterMs("2") // 2000
 * retryAfterMs("Wed, 21 Oct 2026 07:28:00 GMT", Date.parse("Wed, 21 Oct 2026 07:27:58 GMT")) // 2000
 */
export function retryAfterMs(header: string | null, nowMs: number = Date.now()): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d{1,10}$/.test(text)) return Number(text) * 1000;
  // An HTTP-date always names its weekday and month in letters; a bare number is never a date.
  if (!/[a-z]/i.test(text)) return null;
  const atMs = Date.parse(text);
  return Number.isNaN(atMs) ? null : Math.max(0, atMs - nowMs);
}

/**
 * How long to wait before retry number `retry` (0-based) when the server named no time: "full jitter"
 * (a random wait between 0 and the exponential bound), which spreads clients that failed together
 * instead of bringing them back in step (Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 2015).
 *
 * @example
 * backoffMs(0) // somewhere in [0, 500)
 * backoffMs(3) // somewhere in [0, 4000)
 */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** retry));
}

/**
 * Whether an error status is worth another try. A 429 always is: the edge refuses it before admitting
 * the request (no work done, nothing charged), so even a request that is not idempotent is safe to
 * send again. A 503 only for an idempotent request, since something in front of the edge may answer
 * 503 after the request went through. No other 4xx is: the same request would fail the same way.
 *
 * @example
 * retryableStatus(429, false) // true
 * retryableStatus(503, false) // false
 */
export function retryableStatus(status: number, idempotent: boolean): boolean {
  if (status === 429) return true;
  return status === 503 && idempotent;
}
