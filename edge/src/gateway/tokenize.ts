import {
  BACKEND_TOKENIZE_PATH,
  CONTEXT_HEADERS,
  type ErrorCode,
  errorEnvelopeSchema,
  type Keyring,
  type PromptTokenizeBody,
  type PromptTokens,
  promptTokensSchema,
  relayedError,
  statusOf,
} from "@sdgate/shared";
import { signedHeaders } from "../backends/client.ts";
import type { FleetRuntime } from "../backends/failover.ts";
import type { Backend, Registry } from "../backends/registry.ts";
import { type CallerLocation, selectBackends } from "../backends/select.ts";

/** Backends asked, at most, before the count is given up: it is a convenience, never worth a long wait. */
export const TOKENIZE_ATTEMPTS = 3;
/** Counting takes a backend well under a millisecond; this is for the network. */
export const TOKENIZE_TIMEOUT_MS = 5_000;

export interface TokenizeOptions {
  keyring: Keyring;
  requestId: string;
  location: CallerLocation;
  waitUntil: (promise: Promise<unknown>) => void;
  random?: () => number;
}

export type TokenizeOutcome =
  | { ok: true; value: PromptTokens }
  | { ok: false; error: { code: ErrorCode; message: string; param: string | null } };

type Attempt =
  | { kind: "ok"; value: PromptTokens }
  /** The backend's own 4xx: the request is at fault (a bad weight), or this backend lacks the model. */
  | { kind: "rejected"; error: { code: ErrorCode; message: string; param: string | null } }
  | { kind: "failed" };

/**
 * Asks the fleet's backends, best first as generations pick them, to count a prompt's tokens with
 * the model's tokenizer (`POST /internal/v1/tokenize`, HMAC-signed), trying the next on a failure or
 * on a backend that does not serve the model. Nothing is reported to the backends' health: a count
 * is too small a sample, and generations keep it current.
 *
 * @example
 * const outcome = await tokenizeOnFleet(registry, runtime, { model: "tiny", prompt }, { keyring, requestId, location: {}, waitUntil });
 */
export async function tokenizeOnFleet(
  registry: Registry,
  runtime: FleetRuntime,
  body: PromptTokenizeBody,
  options: TokenizeOptions,
): Promise<TokenizeOutcome> {
  const nowMs = Date.now();
  await runtime.health.prepare(registry.pools, nowMs, options.waitUntil);
  const { candidates } = selectBackends(registry.pools, {
    admissionOf: (name) => runtime.health.admission(name, nowMs),
    expectedWaitMs: (name) => runtime.load.expectedWaitMs(name, nowMs),
    location: options.location,
    random: options.random ?? Math.random,
  });
  let refusal: Extract<Attempt, { kind: "rejected" }> | null = null;
  for (const { backend } of candidates.slice(0, TOKENIZE_ATTEMPTS)) {
    const attempt = await askBackend(backend, body, options);
    if (attempt.kind === "ok") return { ok: true, value: attempt.value };
    if (attempt.kind === "rejected") {
      // another backend may serve the model; any other refusal would be the same everywhere
      if (attempt.error.code !== "model_not_found") return { ok: false, error: attempt.error };
      refusal = attempt;
    }
  }
  if (refusal !== null) return { ok: false, error: refusal.error };
  return {
    ok: false,
    error: {
      code: "backend_unavailable",
      message: "No image backend could count the prompt's tokens. Try again later.",
      param: null,
    },
  };
}

async function askBackend(
  backend: Backend,
  body: PromptTokenizeBody,
  options: TokenizeOptions,
): Promise<Attempt> {
  const text = JSON.stringify(body);
  try {
    const headers = await signedHeaders(
      backend,
      options.keyring,
      { method: "POST", path: BACKEND_TOKENIZE_PATH, body: text },
      { [CONTEXT_HEADERS.requestId]: options.requestId },
    );
    const response = await fetch(`${backend.url}${BACKEND_TOKENIZE_PATH}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: text,
      signal: AbortSignal.timeout(TOKENIZE_TIMEOUT_MS),
    });
    const json: unknown = await response.json().catch(() => undefined);
    if (response.ok) {
      const parsed = promptTokensSchema.safeParse(json);
      return parsed.success ? { kind: "ok", value: parsed.data } : { kind: "failed" };
    }
    const envelope = errorEnvelopeSchema.safeParse(json);
    const refused =
      response.status >= 400 &&
      response.status !== 401 &&
      response.status !== 403 &&
      envelope.success &&
      statusOf(envelope.data.error.code) < 500;
    return refused ? { kind: "rejected", error: relayedError(envelope.data.error) } : { kind: "failed" };
  } catch {
    return { kind: "failed" };
  }
}
