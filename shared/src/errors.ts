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
  "model_not_granted",
  "ip_not_allowed",
  "policy_violation",
  "policy_rejected",
  "cancelled",
  "conflict",
  "idempotency_key_reused",
  "generation_failed",
  "budget_exceeded",
  "rate_limited",
  "internal_error",
  "backend_error",
  "backend_unavailable",
  "model_version_unavailable",
  "adapter_unavailable",
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
  | "insufficient_quota"
  | "api_error";

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case "invalid_request":
    // A team's prompt policy finds the request out of its bounds (a rule with action `reject`).
    case "policy_rejected":
      return 400;
    case "missing_api_key":
    case "invalid_api_key":
    case "invalid_signature":
      return 401;
    case "insufficient_scope":
    // The key may use only the models it lists (`models` when it was created).
    case "model_not_allowed":
    // The caller's team is not granted the model or alias (issue 16: `PUT /admin/teams/{id}/models`).
    case "model_not_granted":
    // The key may be used only from the address ranges it lists (`allowed_ips`).
    case "ip_not_allowed":
    // A team's prompt policy does not allow the request's content (a rule with action `block`).
    case "policy_violation":
      return 403;
    case "not_found":
    case "model_not_found":
      return 404;
    case "method_not_allowed":
      return 405;
    // The job was cancelled by its owner: a conflict with its state, and never worth a retry.
    case "cancelled":
    // The thing exists already or is in use (a team name taken, a member already there, a team
    // that still owns working keys): the same request would fail the same way.
    case "conflict":
      return 409;
    // The Idempotency-Key was used before with a different body (draft-ietf-httpapi-idempotency-key-header §2.7).
    case "idempotency_key_reused":
    // The request failed the same way on two backends: it, not the fleet, is what fails; retrying it
    // elsewhere would only fail it again (and OpenAI's SDKs do not retry a 422).
    case "generation_failed":
      return 422;
    // A monthly budget (the key's or its team's) is used up until the month turns: waiting seconds and
    // retrying, as a 429 invites, would not help, so it is Payment Required (RFC 9110 §15.5.3).
    case "budget_exceeded":
      return 402;
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
    // No backend holds the model version the request resolved to (it is registered, not deployed).
    case "model_version_unavailable":
    // No backend holds a LoRA, ControlNet model or preprocessor model the request names (issue 18).
    case "adapter_unavailable":
      return 503;
    case "timeout":
      return 504;
  }
}

export function typeOf(code: ErrorCode): ErrorType {
  const status = statusOf(code);
  if (status === 401) return "authentication_error";
  // OpenAI's type for a spent quota, which its SDKs and clients already tell apart from a rate limit.
  if (status === 402) return "insufficient_quota";
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

/**
 * Each code's message where an error's own text is not ours to pass on: a framework's words, an
 * unexpected error's, or a relayed message with nothing left once cleaned.
 */
const GENERIC_MESSAGES: Readonly<Record<ErrorCode, string>> = {
  invalid_request: "The request is invalid.",
  missing_api_key: "An API key is required.",
  invalid_api_key: "Invalid API key.",
  invalid_signature: "Invalid request signature.",
  insufficient_scope: "The API key may not do this.",
  not_found: "Not found.",
  method_not_allowed: "Method not allowed.",
  payload_too_large: "The request body is too large.",
  unsupported_media_type: "Unsupported content type.",
  model_not_found: "No such model.",
  model_not_allowed: "The API key may not use this model.",
  model_not_granted: "The team is not granted this model.",
  ip_not_allowed: "The API key may not be used from this address.",
  policy_violation: "The request breaks the prompt policy.",
  policy_rejected: "The request is outside the prompt policy's bounds.",
  cancelled: "The job was cancelled.",
  conflict: "This conflicts with what exists.",
  idempotency_key_reused: "The Idempotency-Key was used before with a different request.",
  generation_failed: "The generation failed.",
  budget_exceeded: "A monthly budget is used up.",
  rate_limited: "Too many requests.",
  internal_error: "Internal server error.",
  backend_error: "The image backend returned an invalid response.",
  backend_unavailable: "No image backend is available. Try again later.",
  model_version_unavailable: "No backend holds this model version.",
  adapter_unavailable: "No backend holds a LoRA or ControlNet model this request needs.",
  timeout: "The request timed out.",
};

/** @example genericMessage("payload_too_large") // "The request body is too large." */
export function genericMessage(code: ErrorCode): string {
  return GENERIC_MESSAGES[code];
}

// A framework's own 4xx (Hono's HTTPException from its middleware) keeps its status's meaning, in our code.
const FRAMEWORK_STATUS_CODES: Readonly<Partial<Record<number, ErrorCode>>> = {
  400: "invalid_request",
  401: "invalid_api_key",
  404: "not_found",
  405: "method_not_allowed",
  413: "payload_too_large",
  415: "unsupported_media_type",
  429: "rate_limited",
};

/** What an error becomes on the wire. */
export interface ErrorAnswer {
  status: number;
  body: ErrorEnvelope;
  headers: Readonly<Record<string, string>>;
  /** Neither an {@link SdgateError} nor a framework's 4xx: our own fault, for the server to log, never to send. */
  unexpected: boolean;
}

/**
 * The one rule, edge and backend alike, for what a thrown value tells the client. An
 * {@link SdgateError} keeps its code, message, param and headers: its message was written for the
 * caller. A framework's 4xx (`frameworkStatus`, e.g. Hono's `HTTPException#status`) becomes our code
 * for that status (`invalid_request` for one we do not map) with our own message, never the
 * framework's text. Anything else is a 500 with a fixed message. A stack never leaves.
 *
 * @example
 * const answer = errorAnswer(error, requestId, { frameworkStatus: error instanceof HTTPException ? error.status : undefined });
 * return c.json(answer.body, answer.status, answer.headers);
 */
export function errorAnswer(
  error: unknown,
  requestId: string,
  options: { frameworkStatus?: number | undefined } = {},
): ErrorAnswer {
  if (isSdgateError(error)) {
    const body = errorEnvelope(error.code, error.message, requestId, error.param);
    return { status: error.status, body, headers: error.headers, unexpected: false };
  }
  const { frameworkStatus } = options;
  const clientFault = frameworkStatus !== undefined && frameworkStatus >= 400 && frameworkStatus < 500;
  const code: ErrorCode = clientFault
    ? (FRAMEWORK_STATUS_CODES[frameworkStatus] ?? "invalid_request")
    : "internal_error";
  const body = errorEnvelope(code, genericMessage(code), requestId);
  return { status: statusOf(code), body, headers: {}, unexpected: !clientFault };
}

/** The most characters of a message the edge relays from a backend's answer (a 4xx the caller caused). */
export const MAX_RELAYED_MESSAGE_CHARS = 300;

// C0 and C1 controls (a terminal's or a log's escape sequences) and the bidirectional overrides and
// isolates, which can make a message read other than it is (CVE-2021-42574's "Trojan Source").
const UNSAFE_CHARS = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]+/gu;
// A field as the API names it: `prompt`, `hires_scale`, `hires.scale`.
const PARAM_PATTERN = /^[a-z][a-z0-9_]{0,63}(\.[a-z0-9_]{1,64}){0,3}$/;

/**
 * A backend's 4xx envelope as the edge passes it on. The code and param are the contract's: the code is
 * one of {@link ERROR_CODES} (the schema holds it to them) and fixes the status; a param that does not
 * name a field the way the API does becomes `null`. The backend's message is kept, since it tells the
 * caller what to fix ("Invalid 'steps': at most 150 for model 'tiny'."), but as text the edge can vouch
 * for: control and bidirectional-override characters become spaces, runs of whitespace one space, and
 * it is cut to {@link MAX_RELAYED_MESSAGE_CHARS} characters; the code's generic message if nothing is left.
 *
 * @example
 * relayedError({ type: "invalid_request_error", code: "invalid_request", message: "Bad\u0007 prompt", param: "prompt" })
 * // { code: "invalid_request", message: "Bad prompt", param: "prompt" }
 */
export function relayedError(error: ErrorEnvelope["error"]): {
  code: ErrorCode;
  message: string;
  param: string | null;
} {
  const param = error.param !== null && PARAM_PATTERN.test(error.param) ? error.param : null;
  const cleaned = error.message.replace(UNSAFE_CHARS, " ").replace(/\s+/g, " ").trim();
  // By code points, so a cut never splits a surrogate pair.
  const chars = Array.from(cleaned);
  const message =
    chars.length === 0
      ? genericMessage(error.code)
      : chars.length <= MAX_RELAYED_MESSAGE_CHARS
        ? cleaned
        : `${chars.slice(0, MAX_RELAYED_MESSAGE_CHARS - 1).join("")}…`;
  return { code: error.code, message, param };
}
