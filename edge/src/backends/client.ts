import {
  type BackendGenerateResponse,
  backendGenerateResponseSchema,
  type ErrorEnvelope,
  errorEnvelopeSchema,
  type Keyring,
  type ResolvedGenerationRequest,
  statusOf,
} from "@sdgate/shared";
import { type LoadReport, parseLoadHeaders } from "./load.ts";
import type { Backend } from "./registry.ts";
import { retryAfterMs } from "./retry-after.ts";

/** The backend endpoint that runs a resolved request; also the path the HMAC signature covers. */
export const GENERATE_PATH = "/internal/v1/generate";

export type FailureReason = "connect" | "timeout" | "status" | "auth" | "malformed";

/** How one call to one backend went. Expected failures are values; nothing here throws. */
export type AttemptOutcome =
  | { kind: "ok"; response: BackendGenerateResponse; load: LoadReport | null }
  /** A 4xx with an sdgate envelope: the request itself is at fault, so another backend would say the same. */
  | { kind: "rejected"; status: number; envelope: ErrorEnvelope; load: LoadReport | null }
  /** Anything another backend might not repeat: connect error, timeout, 5xx, 429, bad signature, bad answer. */
  | {
      kind: "failed";
      reason: FailureReason;
      status: number | null;
      /** The header as sent, and what it means in milliseconds from now (RFC 9110 §10.2.3). */
      retryAfter: string | null;
      retryAfterMs: number | null;
      load: LoadReport | null;
    };

export interface CallOptions {
  keyring: Keyring;
  timeoutMs: number;
  requestId: string;
}

/** A failed attempt, with what the backend's headers said about retrying and its load. */
export function failed(
  reason: FailureReason,
  status: number | null = null,
  headers: Headers | null = null,
): AttemptOutcome {
  const retryAfter = headers?.get("retry-after") ?? null;
  return {
    kind: "failed",
    reason,
    status,
    retryAfter,
    retryAfterMs: retryAfter === null ? null : retryAfterMs(retryAfter, Date.now()),
    load: headers === null ? null : parseLoadHeaders(headers),
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * POSTs the resolved request to `{backend.url}/internal/v1/generate`, HMAC-signed, and classifies
 * the answer. The timeout covers the whole exchange, body included.
 *
 * @example
 * const outcome = await callBackend(backend, resolved, { keyring, timeoutMs: 120_000, requestId });
 * if (outcome.kind === "ok") return outcome.response.images;
 */
export async function callBackend(
  backend: Backend,
  request: ResolvedGenerationRequest,
  options: CallOptions,
): Promise<AttemptOutcome> {
  const body = JSON.stringify(request);
  const signature = await options.keyring.sign({ method: "POST", path: GENERATE_PATH, body });
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${backend.url}${GENERATE_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": options.requestId, ...signature },
      body,
      signal,
    });
    if (response.status === 429 || response.status >= 500) {
      await response.body?.cancel();
      return failed("status", response.status, response.headers);
    }
    text = await response.text();
  } catch {
    return failed(signal.aborted ? "timeout" : "connect");
  }
  // 401/403 mean the backend refused our signature: a deployment problem, not the caller's.
  if (response.status === 401 || response.status === 403) return failed("auth", response.status);
  const json = parseJson(text);
  const load = parseLoadHeaders(response.headers);
  if (response.ok) {
    const parsed = backendGenerateResponseSchema.safeParse(json);
    return parsed.success
      ? { kind: "ok", response: parsed.data, load }
      : failed("malformed", response.status);
  }
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (response.status >= 400 && envelope.success && statusOf(envelope.data.error.code) < 500) {
    return { kind: "rejected", status: response.status, envelope: envelope.data, load };
  }
  // Not our backend's answer (a proxy's 404 page, a redirect): treat it like a broken backend.
  return failed("malformed", response.status);
}
