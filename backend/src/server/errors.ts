import { errorEnvelope, isSdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../logger.ts";

/**
 * The one place where errors become responses: expected ones ({@link SdgateError}) keep their code and
 * message; anything else is logged here with the request id and answered with a bare 500.
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    const requestId = c.get("requestId") ?? "unknown";
    if (isSdgateError(error)) {
      const body = errorEnvelope(error.code, error.message, requestId, error.param);
      return c.json(body, error.status as ContentfulStatusCode, error.headers);
    }
    if (error instanceof HTTPException && error.status < 500) {
      const code = error.status === 413 ? "payload_too_large" : "invalid_request";
      return c.json(errorEnvelope(code, error.message || "Bad request.", requestId), error.status);
    }
    logger.error("unhandled error", { requestId, error: error.message, stack: error.stack });
    return c.json(errorEnvelope("internal_error", "Internal error.", requestId), 500);
  };
}
