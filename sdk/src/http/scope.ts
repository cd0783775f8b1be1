import { SdgateTimeoutError } from "../errors/timeout-error.ts";

/**
 * One call's cancellation: the caller's `AbortSignal` and the call's timeout, joined into the one
 * signal that every fetch, body read and retry wait of the call listens to.
 *
 * @example
 * const scope: CallScope = callScope(signal, 5_000);
 */
export interface CallScope {
  readonly signal: AbortSignal;
  /** When the timeout fires (epoch ms); `Infinity` without one. */
  readonly deadlineMs: number;
  /** The error to throw once `signal` has aborted: the timeout's, or the caller's own reason. */
  abortError(): unknown;
  /** The timeout covers getting an answer, not reading a stream: stop it once the stream is open. */
  stopTimer(): void;
  /** Forget the caller's signal and the timer; the call is over. */
  dispose(): void;
}

/**
 * The scope of one call: aborted by `signal` or after `timeoutMs` (`null`: never).
 *
 * @example
 * const scope = callScope(options.signal, 30_000);
 * try { await fetch(url, { signal: scope.signal }); } finally { scope.dispose(); }
 */
export function callScope(signal: AbortSignal | undefined, timeoutMs: number | null): CallScope {
  const controller = new AbortController();
  let timedOut: SdgateTimeoutError | null = null;
  const follow = () => controller.abort(signal?.reason);
  if (signal?.aborted) follow();
  else signal?.addEventListener("abort", follow, { once: true });
  const timer =
    timeoutMs === null
      ? undefined
      : setTimeout(() => {
          timedOut = new SdgateTimeoutError(timeoutMs);
          controller.abort(timedOut);
        }, timeoutMs);
  const deadlineMs = timeoutMs === null ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
  return {
    signal: controller.signal,
    deadlineMs,
    abortError: () => timedOut ?? signal?.reason ?? controller.signal.reason,
    stopTimer: () => clearTimeout(timer),
    dispose: () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", follow);
    },
  };
}

/**
 * Resolves after `ms`, or rejects with `signal`'s reason as soon as it aborts.
 *
 * @example
 * await sleep(500, scope.signal);
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const done = () => {
      signal.removeEventListener("abort", aborted);
      resolve();
    };
    const aborted = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", aborted, { once: true });
  });
}
