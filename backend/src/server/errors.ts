import { errorAnswer } from "@sdgate/shared";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "../logger.ts";

/**
 * The one place where errors become responses, by the contract's rule ({@link errorAnswer}, as the
 * edge's): expected ones (`SdgateError`) keep their code and message; Hono's own 4xx get our code and
 * message for their status, never Hono's text; anything else is logged here with the request id and
 * answered with a bare 500.
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context): Response => {
    const requestId = c.get("requestId") ?? "unknown";
    const frameworkStatus = error instanceof HTTPException ? error.status : undefined;
    const answer = errorAnswer(error, requestId, { frameworkStatus });
    if (answer.unexpected) {
      logger.error("unhandled error", { requestId, error: error.message, stack: error.stack });
    }
    return c.json(answer.body, answer.status as ContentfulStatusCode, answer.headers);
  };
}
