import type { BackendGenerateResponse, ErrorCode, ResolvedGenerationRequest } from "@sdgate/shared";
import { log } from "../log.ts";
import { type AttemptOutcome, type CallOptions, callBackend } from "./client.ts";
import type { Backend } from "./registry.ts";

export interface Served {
  backend: Backend;
  response: BackendGenerateResponse;
  attempts: number;
}

export interface NotServed {
  code: ErrorCode;
  message: string;
  param: string | null;
  attempts: number;
  /** The backend whose own answer (a 4xx) is being passed on; `null` when none served the request. */
  backend: string | null;
  retryAfter: string | null;
}

export type FailoverResult = { ok: true; value: Served } | { ok: false; error: NotServed };

type Failure = Extract<AttemptOutcome, { kind: "failed" }>;

// The soonest any backend said it might take work again (RFC 9110 §10.2.3, seconds form only).
function soonestRetryAfter(failures: readonly Failure[]): string | null {
  const seconds = failures
    .map((failure) => failure.retryAfter?.trim() ?? "")
    .filter((value) => /^\d{1,6}$/.test(value))
    .map(Number);
  return seconds.length > 0 ? String(Math.min(...seconds)) : null;
}

function notServed(failures: readonly Failure[], attempts: number): NotServed {
  const last = failures.at(-1);
  const base = { param: null, attempts, backend: null, retryAfter: soonestRetryAfter(failures) };
  if (!last) return { ...base, code: "backend_unavailable", message: "No image backend is configured." };
  if (last.reason === "timeout") {
    return { ...base, code: "timeout", message: "No backend answered in time. Try again later." };
  }
  if (last.reason === "malformed" || last.reason === "auth") {
    return { ...base, code: "backend_error", message: "The image backend returned an invalid response." };
  }
  return { ...base, code: "backend_unavailable", message: "No image backend is available. Try again later." };
}

/**
 * Tries each backend once, in the given (priority) order, until one serves the request. Connect
 * errors, timeouts, 5xx, 429 and broken answers move on to the next backend; a 4xx from a backend is
 * the request's own fault and is returned at once. Each failure is logged, without request bodies.
 *
 * @example
 * const result = await generateWithFailover(config.backends, resolved, { keyring, timeoutMs, requestId });
 */
export async function generateWithFailover(
  backends: readonly Backend[],
  request: ResolvedGenerationRequest,
  options: CallOptions,
  call: typeof callBackend = callBackend,
): Promise<FailoverResult> {
  const failures: Failure[] = [];
  let attempts = 0;
  for (const backend of backends) {
    attempts += 1;
    const outcome = await call(backend, request, options);
    if (outcome.kind === "ok") return { ok: true, value: { backend, response: outcome.response, attempts } };
    if (outcome.kind === "rejected") {
      const { code, message, param } = outcome.envelope.error;
      return {
        ok: false,
        error: { code, message, param, attempts, backend: backend.name, retryAfter: null },
      };
    }
    log.warn("backend attempt failed", {
      request_id: options.requestId,
      backend: backend.name,
      attempt: attempts,
      reason: outcome.reason,
      status: outcome.status,
    });
    failures.push(outcome);
  }
  return { ok: false, error: notServed(failures, attempts) };
}
