import type { ErrorCode } from "@sdgate/shared";

/**
 * What an error answer said, as {@link SdgateApiError} carries it.
 *
 * @example
 * new SdgateApiError("Too many requests.", { status: 429, type: "rate_limit_error", code: "rate_limited", param: null, requestId: null, retryAfterMs: 1000, headers: new Headers() });
 */
export interface ApiErrorDetails {
  status: number;
  /** OpenAI's error `type` (`invalid_request_error`, `rate_limit_error`, …); `null` when the body was no envelope. */
  type: string | null;
  /** One of the contract's codes; a newer server's code arrives as its plain string. */
  code: ErrorCode | (string & {}) | null;
  /** The request field at fault (`width`, `Idempotency-Key`), when one is. */
  param: string | null;
  requestId: string | null;
  /** From `Retry-After` (seconds or an HTTP date), when the answer had one. */
  retryAfterMs: number | null;
  headers: Headers;
}

/**
 * The API answered with an error: sdgate's envelope (`{ error: { type, code, message, param }, request_id }`)
 * or, from something in front of it, a bare status. Also thrown for a job that ended `failed` when a
 * call waited on it, with the job's code.
 *
 * @example
 * try {
 *   await client.images.generate({ prompt: "x", width: 100 });
 * } catch (error) {
 *   if (isSdgateApiError(error) && error.code === "invalid_request") console.log(error.param); // "width"
 * }
 */
export class SdgateApiError extends Error {
  override readonly name = "SdgateApiError";
  readonly status: number;
  readonly type: string | null;
  readonly code: ErrorCode | (string & {}) | null;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly retryAfterMs: number | null;
  readonly headers: Headers;

  constructor(message: string, details: ApiErrorDetails, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = details.status;
    this.type = details.type;
    this.code = details.code;
    this.param = details.param;
    this.requestId = details.requestId;
    this.retryAfterMs = details.retryAfterMs;
    this.headers = details.headers;
  }
}

/**
 * True for an {@link SdgateApiError}, also one made by another copy of this package (by `name`, as ky's guards do).
 *
 * @example
 * if (isSdgateApiError(error) && error.status === 429) await sleep(error.retryAfterMs ?? 1000);
 */
export function isSdgateApiError(value: unknown): value is SdgateApiError {
  return value instanceof SdgateApiError || (value as { name?: unknown } | null)?.name === "SdgateApiError";
}
