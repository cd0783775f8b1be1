import { type ErrorCode, errorEnvelope, isSdgateError, randomHex, SdgateError } from "@sdgate/shared";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../../log.ts";

type RequestIdEnv = { Variables: { requestId: string } };

function requestIdOf<E extends RequestIdEnv>(c: Context<E>): string {
  // Set by the request-id middleware; absent only if an error happened before it ran.
  return (c.get("requestId") as string | undefined) ?? `req_${randomHex(12)}`;
}

/** The envelope response for an error meant for the client. */
export function errorResponse<E extends RequestIdEnv>(c: Context<E>, error: SdgateError): Response {
  const id = requestIdOf(c);
  const body = errorEnvelope(error.code, error.message, id, error.param);
  return c.json(body, error.status as ContentfulStatusCode, { ...error.headers, "X-Request-Id": id });
}

// Hono's own HTTPExceptions (thrown by built-in middleware) carry messages we did not write, so only
// their status is kept and the message is ours.
const HTTP_EXCEPTION_CODES: Record<number, [ErrorCode, string]> = {
  400: ["invalid_request", "The request is invalid."],
  401: ["invalid_api_key", "Invalid API key."],
  404: ["not_found", "Not found."],
  405: ["method_not_allowed", "Method not allowed."],
  413: ["payload_too_large", "The request body is too large."],
  415: ["unsupported_media_type", "Unsupported content type."],
};

function toSdgateError(error: Error): SdgateError | null {
  if (isSdgateError(error)) return error;
  if (error instanceof HTTPException) {
    const known = HTTP_EXCEPTION_CODES[error.status];
    if (known) return new SdgateError(known[0], known[1], { cause: error });
  }
  return null;
}

/**
 * The app's one `onError`: every error becomes `{ error: { type, code, message, param }, request_id }`.
 * {@link SdgateError}s keep their code, message, param and headers; anything else is a 500 with a
 * fixed message, logged server-side with the request id. Stacks and internal messages never reach
 * the client.
 *
 * @example
 * app.onError(errorHandler());
 */
export function errorHandler<E extends RequestIdEnv>(): ErrorHandler<E> {
  return (error, c) => {
    const known = toSdgateError(error);
    if (known) {
      if (known.status >= 500) {
        log.error("request failed", { request_id: requestIdOf(c), code: known.code, message: known.message });
      }
      return errorResponse(c, known);
    }
    log.error("unhandled error", {
      request_id: requestIdOf(c),
      method: c.req.method,
      path: c.req.path,
      error: error.name,
      message: error.message,
      stack: error.stack ?? null,
    });
    return errorResponse(c, new SdgateError("internal_error", "Internal server error."));
  };
}

/**
 * `app.notFound`: a JSON 404 envelope for unknown routes.
 *
 * @example
 * app.notFound(notFoundHandler());
 */
export function notFoundHandler<E extends RequestIdEnv>(): NotFoundHandler<E> {
  return (c) => errorResponse(c, new SdgateError("not_found", `No route for ${c.req.method} ${c.req.path}.`));
}

/**
 * The `onMethodNotAllowed` of Hono's `methodNotAllowed` middleware: a 405 envelope with `Allow`.
 *
 * @example
 * app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedHandler() }));
 */
export function methodNotAllowedHandler<E extends RequestIdEnv>(): (
  c: Context<E>,
  allowed: string[],
) => Response {
  return (c, allowed) =>
    errorResponse(
      c,
      new SdgateError(
        "method_not_allowed",
        `${c.req.method} is not allowed here; use ${allowed.join(", ")}.`,
        {
          headers: { Allow: allowed.join(", ") },
        },
      ),
    );
}
