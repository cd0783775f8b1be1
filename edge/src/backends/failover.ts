import {
  type BackendGenerateResponse,
  describeVersion,
  type ErrorCode,
  type ResolvedGenerationRequest,
  relayedError,
} from "@sdgate/shared";
import { log } from "../log.ts";
import { adaptersNotHeld, holdsEverything, wantedAdapters } from "./adapters-held.ts";
import type { FailureKind } from "./breaker.ts";
import { type AttemptOutcome, type CallOptions, callBackend } from "./client.ts";
import type { HealthView } from "./health.ts";
import type { LoadBook } from "./load.ts";
import type { Backend, Registry } from "./registry.ts";
import { fullJitterMs, type RetryBudget } from "./retry-policy.ts";
import { type CallerLocation, selectBackends } from "./select.ts";

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

/** What failover needs from the isolate: its view of the fleet's health, load and retry budget. */
export interface FleetRuntime {
  readonly health: HealthView;
  readonly load: LoadBook;
  budget: RetryBudget;
}

export interface FailoverOptions extends CallOptions {
  location: CallerLocation;
  /** Keeps background work (health reports) alive after the response; a no-op in plain tests. */
  waitUntil: (promise: Promise<unknown>) => void;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  call?: typeof callBackend;
  /** Try this backend first when it is a candidate at all (a job resuming where it ran). */
  preferBackend?: string;
}

type Failure = Extract<AttemptOutcome, { kind: "failed" }>;

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// The soonest any backend said it might take work again (RFC 9110 §10.2.3, seconds form only).
function soonestRetryAfter(failures: readonly Failure[]): string | null {
  const seconds = failures
    .map((failure) => failure.retryAfter?.trim() ?? "")
    .filter((value) => /^\d{1,6}$/.test(value))
    .map(Number);
  return seconds.length > 0 ? String(Math.min(...seconds)) : null;
}

function secondsUntil(atMs: number, nowMs: number): string {
  return String(Math.max(1, Math.ceil((atMs - nowMs) / 1000)));
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

function failureKind(failure: Failure): FailureKind {
  return {
    // Nothing listening is unambiguous: skip the backend at once rather than after N more tries.
    hard: failure.reason === "connect",
    description: failure.status === null ? failure.reason : `${failure.reason} ${failure.status}`,
    retryAfterMs: failure.retryAfterMs,
  };
}

/**
 * A backend's own 500 (`internal_error`) or 504 (`timeout`) may be the request's doing (a prompt that
 * crashes the parser, an input that hangs the engine) rather than the backend's: such a failure is
 * held back from the backend's health until a second backend has had the request.
 */
function requestSuspect(failure: Failure): boolean {
  const code = failure.envelope?.error.code;
  return code === "internal_error" || code === "timeout";
}

/** The same failure, word for word, from two backends: the request fails, not the fleet. */
function sameFailure(first: Failure, second: Failure): boolean {
  const [a, b] = [first.envelope?.error, second.envelope?.error];
  return a !== undefined && b !== undefined && a.code === b.code && a.message === b.message;
}

function failedIdentically(failure: Failure, attempts: number): NotServed {
  // The backend's words, cleaned and cut as every relayed message is.
  const reason = failure.envelope ? relayedError(failure.envelope.error).message : "an internal error";
  return {
    code: "generation_failed",
    message: `This request failed the same way on two backends ("${reason}"); it was not tried further, and nothing was charged.`,
    param: null,
    attempts,
    backend: null,
    retryAfter: null,
  };
}

function retryable(failure: Failure, registry: Registry): boolean {
  if (failure.reason !== "status" || failure.status === null) return true;
  return registry.retry.on_status_codes.includes(failure.status);
}

/**
 * The pools that may run `request`: all of them, or for a registry version and for LoRAs and
 * ControlNet models only those whose signed status said they hold every digest. When none is known
 * to, every backend is asked at once (bounded, and at most every couple of seconds), so files deployed
 * a moment ago serve without waiting for the next probe.
 */
async function poolsHolding(
  pools: readonly Backend[],
  request: ResolvedGenerationRequest,
  health: HealthView,
  nowMs: number,
): Promise<readonly Backend[]> {
  const adapters = wantedAdapters(request);
  if (request.model_version === undefined && adapters.length === 0 && request.refiner === undefined)
    return pools;
  const holding = () => pools.filter((backend) => holdsEverything(health, backend, request, adapters));
  const known = holding();
  if (known.length > 0 || !(await health.refreshVersions(pools, nowMs))) return known;
  return holding();
}

/** 503 naming the version: it is registered and resolved, but no backend of the fleet holds its files. */
function versionNotHeld(request: ResolvedGenerationRequest, attempts: number): NotServed {
  const version = request.model_version;
  const named = version ? describeVersion(request.model, version.version, version.digest) : request.model;
  return {
    code: "model_version_unavailable",
    message: `No backend holds ${named}: the version is in the registry, but its files are not deployed to any backend that is up.`,
    param: "model",
    attempts,
    backend: null,
    retryAfter: null,
  };
}

/** 503 naming what is missing: the version's files, or else the adapters no backend holds. */
function filesNotHeld(
  request: ResolvedGenerationRequest,
  pools: readonly Backend[],
  health: HealthView,
  attempts: number,
): NotServed {
  const adapters = adaptersNotHeld(health, pools, request);
  if (adapters === null) return versionNotHeld(request, attempts);
  // the models a refiner needs are versions the fleet lacks, as the request's own model's are
  const code = adapters.param === "refiner.model" ? "model_version_unavailable" : "adapter_unavailable";
  return { code, ...adapters, attempts, backend: null, retryAfter: null };
}

/**
 * Runs a request on the fleet: picks backends by priority, nearness and expected wait (see
 * `select.ts`), skips those whose breaker is open or that asked to be left alone, and on a connect
 * error, timeout, 5xx or 429 retries on another backend (another provider first) after a full-jitter
 * backoff, while the retry budget lasts and up to `retry.attempts` attempts. A 4xx is the request's
 * own fault: returned at once, never retried. A backend's own 500 or 504 that a second backend repeats
 * word for word is too (422 `generation_failed`): one request must not cost the fleet its health nor
 * run on every backend. Every other result feeds the breakers and the load book.
 *
 * @example
 * const result = await generateWithFailover(registry, runtime, resolved, { keyring, timeoutMs, requestId, location: {}, waitUntil });
 */
export async function generateWithFailover(
  registry: Registry,
  runtime: FleetRuntime,
  request: ResolvedGenerationRequest,
  options: FailoverOptions,
): Promise<FailoverResult> {
  const { health, load, budget } = runtime;
  const random = options.random ?? Math.random;
  const call = options.call ?? callBackend;
  const sleep = options.sleep ?? sleepMs;
  await health.prepare(registry.pools, Date.now(), options.waitUntil);
  budget.deposit();

  const startMs = Date.now();
  const pools = await poolsHolding(registry.pools, request, health, startMs);
  if (pools.length === 0) return { ok: false, error: filesNotHeld(request, registry.pools, health, 0) };
  const { candidates, soonestMs } = selectBackends(pools, {
    admissionOf: (name) => health.admission(name, startMs),
    expectedWaitMs: (name) => load.expectedWaitMs(name, startMs),
    location: options.location,
    random,
  });
  if (candidates.length === 0) {
    return {
      ok: false,
      error: {
        code: "backend_unavailable",
        message: "Every image backend is failing or busy. Try again later.",
        param: null,
        attempts: 0,
        backend: null,
        retryAfter: soonestMs === null ? null : secondsUntil(soonestMs, startMs),
      },
    };
  }

  const failures: Failure[] = [];
  // A failure held back from its backend's health until the next attempt shows whose it was.
  let suspect: { backend: string; failure: Failure } | null = null;
  const recordSuspect = () => {
    if (suspect === null) return;
    options.waitUntil(
      health.record(suspect.backend, { ok: false, failure: failureKind(suspect.failure) }, Date.now()),
    );
    suspect = null;
  };
  const triedProviders = new Set<string>();
  const remaining = [...candidates];
  const preferred = remaining.findIndex(({ backend }) => backend.name === options.preferBackend);
  if (preferred > 0) remaining.unshift(...remaining.splice(preferred, 1));
  let attempts = 0;
  // Holders that refused because their files moved on since their status was read.
  let fileMisses = 0;
  while (remaining.length > 0 && attempts < registry.retry.attempts) {
    // Another provider first: a provider-wide outage should not eat every attempt.
    const index = Math.max(
      0,
      remaining.findIndex((candidate) => !triedProviders.has(candidate.backend.provider)),
    );
    const [{ backend, probe }] = remaining.splice(index, 1) as [(typeof remaining)[number]];
    if (probe && !(await health.takeProbe(backend.name, Date.now()))) continue;
    if (attempts > 0) {
      if (!budget.withdraw()) {
        recordSuspect();
        log.warn("retry budget exhausted", { request_id: options.requestId, fleet: registry.fleet });
        const error = notServed(failures, attempts);
        return {
          ok: false,
          error: {
            ...error,
            message: `${error.message} (retry budget exhausted)`,
            retryAfter: error.retryAfter ?? "1",
          },
        };
      }
      await sleep(fullJitterMs(registry.retry, attempts, random));
    }
    attempts += 1;
    triedProviders.add(backend.provider);
    load.started(backend.name);
    let outcome: AttemptOutcome;
    try {
      outcome = await call(backend, request, options);
    } finally {
      load.finished(backend.name);
    }
    const nowMs = Date.now();
    load.remember(backend.name, outcome.load, nowMs);
    if (
      outcome.kind !== "failed" ||
      !requestSuspect(outcome) ||
      suspect === null ||
      !sameFailure(suspect.failure, outcome)
    )
      recordSuspect();
    if (outcome.kind === "ok") {
      options.waitUntil(health.record(backend.name, { ok: true }, nowMs));
      return { ok: true, value: { backend, response: outcome.response, attempts } };
    }
    if (outcome.kind === "failed" && outcome.envelope?.error.code === "model_version_unavailable") {
      // Its files are another version's (a rollout moved on since its status was read): not a failure
      // of the backend, and not the request's. The next holder may have it.
      health.forgetVersion(backend.name, request.model);
      fileMisses += 1;
      continue;
    }
    if (outcome.kind === "failed" && outcome.envelope?.error.code === "adapter_unavailable") {
      // The same for a LoRA or ControlNet model taken off it since.
      health.forgetAdapters(backend.name);
      fileMisses += 1;
      continue;
    }
    if (outcome.kind === "rejected") {
      // The backend answered properly; the request was at fault. Its code and param are the
      // contract's; its message goes on only as text the edge vouches for (`relayedError`).
      options.waitUntil(health.record(backend.name, { ok: true }, nowMs));
      const { code, message, param } = relayedError(outcome.envelope.error);
      return {
        ok: false,
        error: { code, message, param, attempts, backend: backend.name, retryAfter: null },
      };
    }
    if (suspect !== null) {
      // Two backends, one answer: the request's failure. Neither backend's health pays for it.
      log.warn("request failed identically on two backends", {
        request_id: options.requestId,
        backends: `${suspect.backend},${backend.name}`,
        code: outcome.envelope?.error.code ?? null,
      });
      suspect = null;
      return { ok: false, error: failedIdentically(outcome, attempts) };
    }
    if (requestSuspect(outcome)) suspect = { backend: backend.name, failure: outcome };
    else options.waitUntil(health.record(backend.name, { ok: false, failure: failureKind(outcome) }, nowMs));
    log.warn("backend attempt failed", {
      request_id: options.requestId,
      backend: backend.name,
      attempt: attempts,
      reason: outcome.reason,
      status: outcome.status,
    });
    failures.push(outcome);
    if (!retryable(outcome, registry)) break;
  }
  // No second backend had the request: the held-back failure counts after all.
  recordSuspect();
  if (failures.length === 0 && fileMisses > 0)
    return { ok: false, error: filesNotHeld(request, registry.pools, health, attempts) };
  return { ok: false, error: notServed(failures, attempts) };
}
