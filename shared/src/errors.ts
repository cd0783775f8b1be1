import { z } from "zod";

/**
 * Every error sdgate returns, edge or backend. The HTTP status of each code is decided in one place
 * ({@link statusOf}) so the two sides can never disagree.
 */
export const ERROR_CODES = [
  "invalid_request",
  "missing_api_key",
  "invalid_api_key",
  "invalid_signature",
  "insufficient_scope",
  "not_found",
  "method_not_allowed",
  "payload_too_large",
  "unsupported_media_type",
  "model_not_found",
  "model_not_allowed",
  "ip_not_allowed",
  "cancelled",
  "idempotency_key_reused",
  "generation_failed",
  "rate_limited",
  "internal_error",
  "backend_error",
  "backend_unavailable",
  "timeout",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** OpenAI's error `type` values, so OpenAI SDKs classify our errors the way they classify theirs. */
export type ErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "permission_error"
  | "not_found_error"
  | "rate_limit_error"
  | "api_error";

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case "invalid_request":
      return 400;
    case "missing_api_key":
    case "invalid_api_key":
    case "invalid_signature":
      return 401;
    case "insufficient_scope":
    // The key may use only the models it lists (`models` when it was created).
    case "model_not_allowed":
    // The key may be used only from the address ranges it lists (`allowed_ips`).
    case "ip_not_allowed":
      return 403;
    case "not_found":
    case "model_not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    // The job was cancelled by its owner: a conflict with its state, and never worth a retry.
    case "cancelled":
      return 409;
    // The Idempotency-Key was used before with a different body (draft-ietf-httpapi-idempotency-key-header §2.7).
    case "idempotency_key_reused":
    // The request failed the same way on two backends: it, not the fleet, is what fails; retrying it
    // elsewhere would only fail it again (and OpenAI's SDKs do not retry a 422).
    case "generation_failed":
      return 422;
    case "payload_too_large":
      return 413;
    case "unsupported_media_type":
      return 415;
    case "rate_limited":
      return 429;
    case "internal_error":
      return 500;
    case "backend_error":
      return 502;
    case "backend_unavailable":
      return 503;
    case "timeout":
      return 504;
  }
}

export function typeOf(code: ErrorCode): ErrorType {
  const status = statusOf(code);
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

export const errorEnvelopeSchema = z.object({
  error: z.object({
    type: z.string(),
    code: z.enum(ERROR_CODES),
    message: z.string(),
    param: z.string().nullable(),
  }),
  request_id: z.string(),
});
export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/** An error that is meant to reach the client: its message is written for the caller, never a stack. */
export class SdgateError extends Error {
  override readonly name = "SdgateError";
  readonly code: ErrorCode;
  readonly param: string | null;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { param?: string | null; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.param = options.param ?? null;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return statusOf(this.code);
  }
}

export function isSdgateError(value: unknown): value is SdgateError {
  return value instanceof SdgateError;
}

/** The one JSON shape of every error response: `{ error: { type, code, message, param }, request_id }`. */
export function errorEnvelope(
  code: ErrorCode,
  message: string,
  requestId: string,
  param: string | null = null,
): ErrorEnvelope {
  return { error: { type: typeOf(code), code, message, param }, request_id: requestId };
}
