/**
 * No answer came: the connection failed, was reset, or an event stream kept dropping. `cause` is the
 * platform's own error (a `TypeError` from fetch).
 *
 * @example
 * try {
 *   await client.models.list();
 * } catch (error) {
 *   if (isSdgateConnectionError(error)) console.log("unreachable:", error.cause);
 * }
 */
export class SdgateConnectionError extends Error {
  override readonly name = "SdgateConnectionError";

  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/**
 * True for an {@link SdgateConnectionError}.
 *
 * @example
 * if (isSdgateConnectionError(error)) retryLater();
 */
export function isSdgateConnectionError(value: unknown): value is SdgateConnectionError {
  return (
    value instanceof SdgateConnectionError ||
    (value as { name?: unknown } | null)?.name === "SdgateConnectionError"
  );
}
