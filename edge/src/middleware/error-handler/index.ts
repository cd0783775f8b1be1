import { errorAnswer, randomHex, SdgateError } from "@sdgate/shared";
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../../log.ts";

type RequestIdEnv = { Variables: { requestId: string } };

/**
 * A path as it may be logged: a share link's token is a credential for what it shares (its path is
 * `/v1/shared/<token>`), so it is left out; every other path is logged as it came.
 *
 * @example
 * loggedPath("/v1/shared/shr1.ab.cd"); // "/v1/shared/(token)"
 */
export function loggedPath(path: string): string {
  return path.replace(/^\/v1\/shared\/[^/]+/, "/v1/shared/(token)");
}

function requestIdOf<E extends RequestIdEnv>(c: Context<E>): string {
  // Set by the request-id middleware; absent only if an error happened before it ran.
  return (c.get("requestId") as string | undefined) ?? `req_${randomHex(12)}`;
}

/**
 * The envelope response for an error: {@link errorAnswer}'s rule, with the request id as a header too.
 *
 * @example
 * return errorResponse(c, new SdgateError("not_found", "No such job."));
 */
export function errorResponse<E extends RequestIdEnv>(c: Context<E>, error: unknown): Response {
  const id = requestIdOf(c);
  const frameworkStatus = error instanceof HTTPException ? error.status : undefined;
  const answer = errorAnswer(error, id, { frameworkStatus });
  if (answer.unexpected) {
    log.error("unhandled error", {
      request_id: id,
      method: c.req.method,
      path: loggedPath(c.req.path),
      error: error instanceof Error ? error.name : typeof error,
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? (error.stack ?? null) : null,
    });
  } else if (answer.status >= 500) {
    const { code, message } = answer.body.error;
    log.error("request failed", { request_id: id, code, message });
  }
  const headers = { ...answer.headers, "X-Request-Id": id };
  return c.json(answer.body, answer.status as ContentfulStatusCode, headers);
}

/**
 * The app's one `onError`: every error becomes `{ error: { type, code, message, param }, request_id }`
 * by the contract's rule ({@link errorAnswer}): {@link SdgateError}s keep their code, message, param
 * and headers; Hono's own 4xx `HTTPException`s get our code and message for their status; anything
 * else is a 500 with a fixed message, logged here with the request id. Stacks and messages we did not
 * write for the caller never reach the client.
 *
 * @example
 * app.onError(errorHandler());
 */
export function errorHandler<E extends RequestIdEnv>(): ErrorHandler<E> {
  return (error, c) => errorResponse(c, error);
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
