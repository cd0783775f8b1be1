/**
 * A success answer this SDK cannot read: not JSON, or not the contract's shape (`cause` is the
 * schema's error). Usually a proxy in front of sdgate, or a server and SDK of different versions.
 *
 * @example
 * try {
 *   await client.jobs.get(id);
 * } catch (error) {
 *   if (isSdgateResponseError(error)) console.log(error.status, error.requestId, error.cause);
 * }
 */
export class SdgateResponseError extends Error {
  override readonly name = "SdgateResponseError";
  readonly status: number;
  readonly requestId: string | null;

  constructor(message: string, details: { status: number; requestId: string | null; cause?: unknown }) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.requestId = details.requestId;
  }
}

/**
 * True for an {@link SdgateResponseError}.
 *
 * @example
 * if (isSdgateResponseError(error)) reportVersionSkew(error);
 */
export function isSdgateResponseError(value: unknown): value is SdgateResponseError {
  return (
    value instanceof SdgateResponseError ||
    (value as { name?: unknown } | null)?.name === "SdgateResponseError"
  );
}
