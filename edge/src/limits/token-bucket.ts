/**
 * A token bucket holding up to `capacity` tokens, refilled continuously at `capacity` per minute, so
 * a key may burst its whole per-minute allowance and then proceeds at the steady rate. Pure functions:
 * {@link KeyState} owns the state and its clock.
 */
export interface Bucket {
  tokens: number;
  updatedMs: number;
}

const MS_PER_MINUTE = 60_000;

/** The bucket at `nowMs`: what has refilled since it was last updated, never above capacity. */
export function refill(bucket: Bucket, capacity: number, nowMs: number): Bucket {
  const elapsedMs = Math.max(0, nowMs - bucket.updatedMs);
  return {
    tokens: Math.min(capacity, bucket.tokens + (elapsedMs * capacity) / MS_PER_MINUTE),
    updatedMs: nowMs,
  };
}

/** Whole seconds until the bucket holds `wanted` tokens (0 when it already does). */
export function secondsUntil(bucket: Bucket, capacity: number, wanted: number): number {
  const missing = Math.min(wanted, capacity) - bucket.tokens;
  if (missing <= 0) return 0;
  return Math.ceil((missing * MS_PER_MINUTE) / capacity / 1000);
}
