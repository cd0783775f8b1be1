/**
 * The call took longer than its `timeoutMs`, retries and their waits included.
 *
 * @example
 * try {
 *   await client.images.generate(body, { timeoutMs: 5_000 });
 * } catch (error) {
 *   if (isSdgateTimeoutError(error)) console.log(`gave up after ${error.timeoutMs} ms`);
 * }
 */
export class SdgateTimeoutError extends Error {
  override readonly name = "SdgateTimeoutError";
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`The call took longer than ${timeoutMs} ms.`);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * True for an {@link SdgateTimeoutError}.
 *
 * @example
 * if (isSdgateTimeoutError(error)) console.log(error.timeoutMs);
 */
export function isSdgateTimeoutError(value: unknown): value is SdgateTimeoutError {
  return (
    value instanceof SdgateTimeoutError || (value as { name?: unknown } | null)?.name === "SdgateTimeoutError"
  );
}
