import {
  BACKEND_STATUS_PATH,
  type BackendGenerateResponse,
  backendGenerateResponseSchema,
  backendStatusSchema,
  CONTEXT_HEADERS,
  type ErrorEnvelope,
  errorEnvelopeSchema,
  type Keyring,
  type ResolvedGenerationRequest,
  readAtMost,
  statusOf,
} from "@sdgate/shared";
import type { z } from "zod";
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
      /**
       * The backend's own error answer to a 5xx, when it gave one: a failure that a second backend
       * repeats word for word is the request's doing, not the backends' (see `failover.ts`).
       */
      envelope: ErrorEnvelope | null;
    };

export interface CallOptions {
  keyring: Keyring;
  /** How long the edge waits for the backend; the backend is told to give up then too (its deadline). */
  timeoutMs: number;
  requestId: string;
  /**
   * Who the request is for, as the backend's fair queue takes turns: the API key's owner or id
   * (`tenantOf`). Without it the backend queues the request as tenant `default`, with everyone else's.
   */
  tenant?: string;
}

/**
 * The headers that make an internal call for `backend`: its context headers and the HMAC signature
 * over them, the request and the backend's name (so no other backend would accept it).
 *
 * @example
 * const headers = await signedHeaders(backend, keyring, { method: "POST", path, body }, { "x-request-id": id });
 */
export async function signedHeaders(
  backend: Backend,
  keyring: Keyring,
  request: { method: string; path: string; body: string },
  context: Record<string, string>,
): Promise<Record<string, string>> {
  const signature = await keyring.sign({ ...request, headers: context, audience: backend.name });
  return { ...context, ...signature };
}

/** A failed attempt, with what the backend's headers said about retrying and its load. */
export function failed(
  reason: FailureReason,
  status: number | null = null,
  headers: Headers | null = null,
  envelope: ErrorEnvelope | null = null,
): AttemptOutcome {
  const retryAfter = headers?.get("retry-after") ?? null;
  return {
    kind: "failed",
    reason,
    status,
    retryAfter,
    retryAfterMs: retryAfter === null ? null : retryAfterMs(retryAfter, Date.now()),
    load: headers === null ? null : parseLoadHeaders(headers),
    envelope,
  };
}

/** An error answer larger than this is no envelope of ours and is not read. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The sdgate envelope of a 5xx answer, read when it is small; `null` for anything else. */
export async function errorEnvelopeOf(response: Response): Promise<ErrorEnvelope | null> {
  if (response.status < 500 || response.body === null) {
    await response.body?.cancel();
    return null;
  }
  const bytes = await readAtMost(response.body, MAX_ERROR_BODY_BYTES);
  if (bytes === null) return null;
  const parsed = errorEnvelopeSchema.safeParse(parseJson(new TextDecoder().decode(bytes)));
  return parsed.success ? parsed.data : null;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * POSTs the resolved request to `{backend.url}/internal/v1/generate`, HMAC-signed for that backend,
 * and classifies the answer. The timeout covers the whole exchange, body included, and is sent as the
 * job's deadline, so the backend drops a job the edge no longer waits for; the tenant and request id
 * go along too, so the backend's queue is fair across keys for synchronous requests as for jobs.
 *
 * @example
 * const outcome = await callBackend(backend, resolved, { keyring, timeoutMs: 120_000, requestId, tenant });
 * if (outcome.kind === "ok") return outcome.response.images;
 */
export async function callBackend(
  backend: Backend,
  request: ResolvedGenerationRequest,
  options: CallOptions,
): Promise<AttemptOutcome> {
  const body = JSON.stringify(request);
  const context: Record<string, string> = {
    [CONTEXT_HEADERS.deadline]: String(Date.now() + options.timeoutMs),
    [CONTEXT_HEADERS.requestId]: options.requestId,
    ...(options.tenant === undefined ? {} : { [CONTEXT_HEADERS.tenant]: options.tenant }),
  };
  const headers = await signedHeaders(
    backend,
    options.keyring,
    { method: "POST", path: GENERATE_PATH, body },
    context,
  );
  const signal = AbortSignal.timeout(options.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(`${backend.url}${GENERATE_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
      signal,
    });
    if (response.status === 429 || response.status >= 500) {
      return failed("status", response.status, response.headers, await errorEnvelopeOf(response));
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

/** What a backend's signed status says: `/readyz`'s state and load, what it serves and its measured step times. */
export interface BackendStatus {
  /** The backend answered 200: ready for traffic. */
  ready: boolean;
  status: z.infer<typeof lenientStatus>;
}

// Older backends (and the tests' plain fakes) send fewer fields: read what is there.
const lenientStatus = backendStatusSchema.partial();

/**
 * `GET {backend.url}/internal/v1/status`, signed for that backend: the models it serves and its
 * measured step times, which its unauthenticated `/readyz` does not tell. `null` when it cannot be
 * reached in `timeoutMs` or answers something else; never throws.
 *
 * @example
 * const status = await fetchBackendStatus(backend, keyring, 1_500);
 */
export async function fetchBackendStatus(
  backend: Backend,
  keyring: Keyring,
  timeoutMs: number,
): Promise<BackendStatus | null> {
  try {
    const headers = await signedHeaders(
      backend,
      keyring,
      { method: "GET", path: BACKEND_STATUS_PATH, body: "" },
      {},
    );
    const response = await fetch(`${backend.url}${BACKEND_STATUS_PATH}`, {
      headers,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status !== 200 && response.status !== 503) {
      await response.body?.cancel();
      return null;
    }
    const parsed = lenientStatus.safeParse(await response.json());
    return parsed.success ? { ready: response.ok, status: parsed.data } : null;
  } catch {
    return null;
  }
}
