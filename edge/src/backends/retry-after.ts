/** The longest a backend's `Retry-After` keeps it out of rotation: a typo must not disable it for a day. */
export const MAX_RETRY_AFTER_MS = 600_000;

/**
 * `Retry-After` in milliseconds from `nowMs` (RFC 9110 §10.2.3: delay-seconds or an HTTP-date),
 * capped at {@link MAX_RETRY_AFTER_MS}; `null` when the value is neither.
 *
 * @example
 * retryAfterMs("2", Date.now()); // 2000
 */
export function retryAfterMs(value: string, nowMs: number): number | null {
  const text = value.trim();
  if (/^\d{1,9}$/.test(text)) return Math.min(Number(text) * 1000, MAX_RETRY_AFTER_MS);
  // An HTTP-date is IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); Date.parse reads it.
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return null;
  const atMs = Date.parse(text);
  if (Number.isNaN(atMs)) return null;
  return Math.min(Math.max(0, atMs - nowMs), MAX_RETRY_AFTER_MS);
}
