import { SdgateError } from "@sdgate/shared";
import { log } from "../log.ts";
import { type AuthFailures, addressBucket, MAX_AUTH_FAILURES } from "./auth-failures.ts";

/** The most refused addresses one isolate remembers; the oldest go first. */
export const MAX_BLOCKED_ADDRESSES = 10_000;

/**
 * Failed authentications per client address. `blockedUntilMs` reads only this isolate's memory, so
 * every request can afford it; `recordFailure` asks the address's `AuthFailures` object, which counts
 * across isolates, and is called only when a key was not found.
 */
export interface FailedAuthGuard {
  /** Until when (Unix ms) this isolate knows the address is refused; `null` if it knows of no refusal. */
  blockedUntilMs(bucket: string, nowMs: number): number | null;
  /** Counts the unknown key `keyHashHex` against the address; resolves to its refusal's end, if any. */
  recordFailure(
    bucket: string,
    keyHashHex: string,
  ): Promise<{ failures: number; blockedUntilMs: number | null }>;
}

// Per namespace (one per isolate in production): address bucket → end of its refusal, oldest first.
const blockedByNamespace = new WeakMap<object, Map<string, number>>();

/**
 * The {@link FailedAuthGuard} over the `AUTH_FAILURES` namespace. A failure the object cannot count
 * (it is unreachable) is logged and lets the request go on to its 401: the limit protects D1, it is
 * not worth refusing good clients for.
 *
 * @example
 * auth({ store, failures: (c) => durableFailedAuthGuard(c.var.config.authFailures) });
 */
export function durableFailedAuthGuard(namespace: DurableObjectNamespace<AuthFailures>): FailedAuthGuard {
  let blocked = blockedByNamespace.get(namespace);
  if (!blocked) {
    blocked = new Map();
    blockedByNamespace.set(namespace, blocked);
  }
  const known = blocked;
  return {
    blockedUntilMs(bucket, nowMs) {
      const untilMs = known.get(bucket);
      if (untilMs === undefined) return null;
      if (untilMs > nowMs) return untilMs;
      known.delete(bucket);
      return null;
    },
    async recordFailure(bucket, keyHashHex) {
      let count: { failures: number; blockedUntilMs: number | null };
      try {
        count = await namespace.getByName(bucket).fail(keyHashHex);
      } catch (error) {
        log.warn("counting a failed authentication failed", {
          error: error instanceof Error ? error.name : "unknown",
        });
        return { failures: 0, blockedUntilMs: null };
      }
      if (count.blockedUntilMs !== null) {
        known.delete(bucket);
        known.set(bucket, count.blockedUntilMs);
        if (known.size > MAX_BLOCKED_ADDRESSES) {
          const oldest = known.keys().next().value;
          if (oldest !== undefined) known.delete(oldest);
        }
      }
      return count;
    },
  };
}

/** The 429 for an address refused for presenting too many unknown keys, until `untilMs`. */
export function tooManyFailures(untilMs: number, nowMs: number): SdgateError {
  const retryAfterS = Math.max(1, Math.ceil((untilMs - nowMs) / 1000));
  return new SdgateError(
    "rate_limited",
    `Too many unknown API keys from this address (${MAX_AUTH_FAILURES} in a few minutes). Retry after ${retryAfterS} s.`,
    { headers: { "Retry-After": String(retryAfterS) } },
  );
}

export { addressBucket };
