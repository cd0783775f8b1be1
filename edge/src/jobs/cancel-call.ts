import { CONTEXT_HEADERS, type Keyring } from "@sdgate/shared";
import { signedHeaders } from "../backends/client.ts";
import type { Backend } from "../backends/registry.ts";

/** The backend's cancel endpoint for the job it runs under `jobId` (signed like every internal call). */
export function cancelPath(jobId: string): string {
  return `/internal/v1/jobs/${encodeURIComponent(jobId)}/cancel`;
}

export const CANCEL_TIMEOUT_MS = 5_000;

/**
 * `POST {backend}/internal/v1/jobs/{id}/cancel`, HMAC-signed for that backend with an empty body. The backend frees
 * the job's slot within one denoising step and ends its stream with a `cancelled` error. Returns the
 * backend's status, or `null` when it could not be reached; never throws.
 *
 * @example
 * const status = await cancelOnBackend(backend, jobId, keyring, requestId);
 */
export async function cancelOnBackend(
  backend: Backend,
  jobId: string,
  keyring: Keyring,
  requestId: string,
): Promise<number | null> {
  const path = cancelPath(jobId);
  try {
    const headers = await signedHeaders(
      backend,
      keyring,
      { method: "POST", path, body: "" },
      { [CONTEXT_HEADERS.requestId]: requestId },
    );
    const response = await fetch(`${backend.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: "",
      signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.status;
  } catch {
    return null;
  }
}
