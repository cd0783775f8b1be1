import {
  isSdgateApiError,
  isSdgateConnectionError,
  isSdgateResponseError,
  isSdgateTimeoutError,
} from "@sdgate/sdk";
import { ApiError } from "./io.ts";

function withRequestId(message: string, requestId: string | null): string {
  return requestId ? `${message} (request ${requestId})` : message;
}

/**
 * What an SDK call threw, as the CLI reports it (exit status 1): the API's refusal with the
 * envelope's message and `(request req_…)`, an edge that could not be reached and why, a call past its
 * time, or an answer that could not be read. Anything else comes back as it was.
 *
 * @example
 * } catch (error) {
 *   const reported = apiErrorOf(error);
 *   if (isApiError(reported)) io.err(`sdgate keys: ${reported.message}\n`);
 * }
 */
export function apiErrorOf(error: unknown): unknown {
  if (isSdgateApiError(error)) {
    return new ApiError(withRequestId(error.message, error.requestId), {
      status: error.status,
      code: error.code,
      cause: error,
    });
  }
  if (isSdgateConnectionError(error)) {
    // "Could not reach X" alone does not say whether the port was closed or the name unknown.
    const why = error.cause instanceof Error ? `: ${error.cause.message}` : ".";
    return new ApiError(`${error.message.replace(/\.$/, "")}${why}`, { cause: error });
  }
  if (isSdgateResponseError(error)) {
    return new ApiError(withRequestId(error.message, error.requestId), {
      status: error.status,
      cause: error,
    });
  }
  if (isSdgateTimeoutError(error)) return new ApiError(error.message, { cause: error });
  return error;
}
