import { errorEnvelopeSchema, readAtMost } from "@sdgate/shared";
import { SdgateApiError } from "../errors/api-error.ts";
import { retryAfterMs } from "./retry.ts";

/** An error body is a small envelope; anything larger (a proxy's HTML page) is not read further. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function text(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/**
 * The error an error answer stands for: the contract's envelope when the body is one, else (an
 * unknown code from a newer server, or no envelope at all) whatever of it can be read, and the status.
 *
 * @example
 * if (!response.ok) throw await apiErrorOf(response);
 */
export async function apiErrorOf(response: Response): Promise<SdgateApiError> {
  const bytes = response.body === null ? null : await readAtMost(response.body, MAX_ERROR_BODY_BYTES);
  const json = bytes === null ? undefined : parseJson(new TextDecoder().decode(bytes));
  const headerId = response.headers.get("x-request-id");
  const details = {
    status: response.status,
    requestId: headerId,
    retryAfterMs: retryAfterMs(response.headers.get("retry-after")),
    headers: response.headers,
  };
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (envelope.success) {
    const { error, request_id } = envelope.data;
    return new SdgateApiError(error.message, {
      ...details,
      type: error.type,
      code: error.code,
      param: error.param,
      requestId: request_id,
    });
  }
  const loose = (json as { error?: Record<string, unknown>; request_id?: unknown } | undefined) ?? {};
  const error = typeof loose.error === "object" && loose.error !== null ? loose.error : {};
  return new SdgateApiError(text(error.message) ?? `HTTP ${response.status}`, {
    ...details,
    type: text(error.type),
    code: text(error.code),
    param: text(error.param),
    requestId: text(loose.request_id) ?? headerId,
  });
}
