import {
  backendGenerateResponseSchema,
  CONTEXT_HEADERS,
  errorEnvelope,
  errorEnvelopeSchema,
  type GenerateEventData,
  generateEventSchemas,
  statusOf,
} from "@sdgate/shared";
import {
  type AttemptOutcome,
  type CallOptions,
  errorEnvelopeOf,
  failed,
  GENERATE_PATH,
  signedHeaders,
} from "../backends/client.ts";
import { parseLoadHeaders } from "../backends/load.ts";
import type { Backend } from "../backends/registry.ts";
import { readSse, SseIdleError } from "./sse.ts";

/**
 * A streaming backend writes a heartbeat comment every 15 s while a job waits
 * (backend/src/server/job-event-stream.ts); three missed ones mean it hung or its connection is
 * half-open, and the attempt fails over as a timeout instead of holding the job until its deadline.
 */
export const BACKEND_STREAM_IDLE_MS = 45_000;

/** What the backend says while a job runs, passed on as it arrives. */
export type BackendProgress =
  | { name: "queued"; data: GenerateEventData<"queued"> }
  | { name: "started"; data: GenerateEventData<"started"> }
  | { name: "progress"; data: GenerateEventData<"progress"> };

export interface StreamContext {
  /** The edge's job id: the backend runs the job under it, and cancels it by it. */
  jobId: string;
  tenant: string;
  deadlineAtMs: number;
  previewEvery: number;
  /** Aborted when the job is cancelled: the attempt then ends as a `cancelled` rejection. */
  signal: AbortSignal;
  /** Silence after which an attempt is given up (default `BACKEND_STREAM_IDLE_MS`; tests shorten it). */
  idleMs?: number;
  /** A new attempt on `backend` begins (failover may make several). */
  onAttempt(backend: Backend): void;
  onEvent(event: BackendProgress): void;
}

function cancelled(requestId: string): AttemptOutcome {
  return {
    kind: "rejected",
    status: statusOf("cancelled"),
    envelope: errorEnvelope("cancelled", "The job was cancelled.", requestId),
    load: null,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// A backend's own error answer: a 4xx is the request's fault (never retried), anything else may
// go better elsewhere.
function fromEnvelope(json: unknown, status: number, headers: Headers): AttemptOutcome {
  const envelope = errorEnvelopeSchema.safeParse(json);
  if (!envelope.success) return failed("malformed", status, headers);
  const codeStatus = statusOf(envelope.data.error.code);
  if (codeStatus < 500 && codeStatus !== 429) {
    return { kind: "rejected", status: codeStatus, envelope: envelope.data, load: parseLoadHeaders(headers) };
  }
  return failed("status", codeStatus, headers, envelope.data);
}

async function readStream(response: Response, context: StreamContext): Promise<AttemptOutcome> {
  const load = parseLoadHeaders(response.headers);
  const idleMs = context.idleMs ?? BACKEND_STREAM_IDLE_MS;
  for await (const event of readSse(response.body as ReadableStream<Uint8Array>, { idleMs })) {
    const json = parseJson(event.data);
    switch (event.event) {
      case "queued":
      case "started":
      case "progress": {
        const parsed = generateEventSchemas[event.event].safeParse(json);
        // A malformed progress event is not worth failing a generation for.
        if (parsed.success) context.onEvent({ name: event.event, data: parsed.data } as BackendProgress);
        break;
      }
      case "result": {
        const parsed = backendGenerateResponseSchema.safeParse(json);
        return parsed.success ? { kind: "ok", response: parsed.data, load } : failed("malformed", 200, null);
      }
      case "error":
        return fromEnvelope(json, 200, response.headers);
    }
  }
  // The stream ended without a result: the backend went away mid-job.
  return failed("connect", null, null);
}

/**
 * A drop-in for `callBackend` (the failover's `call` option) that asks the backend to stream:
 * `POST /internal/v1/generate` with `Accept: text/event-stream` and the context headers (tenant,
 * deadline, job id, preview interval, request id), all covered by the HMAC signature. Queue, start and progress
 * events go to `context.onEvent` as they arrive; the outcome is classified like `callBackend`'s, so
 * failover treats a streamed attempt exactly like a plain one. A backend that answers with plain
 * JSON (no stream) is read as one. Never throws.
 *
 * @example
 * await generateWithFailover(registry, runtime, request, { ...options, call: streamingCall(context) });
 */
export function streamingCall(context: StreamContext) {
  return async (backend: Backend, request: unknown, options: CallOptions): Promise<AttemptOutcome> => {
    if (context.signal.aborted) return cancelled(options.requestId);
    context.onAttempt(backend);
    const body = JSON.stringify(request);
    const headers = await signedHeaders(
      backend,
      options.keyring,
      { method: "POST", path: GENERATE_PATH, body },
      {
        [CONTEXT_HEADERS.tenant]: context.tenant,
        [CONTEXT_HEADERS.deadline]: String(context.deadlineAtMs),
        [CONTEXT_HEADERS.jobId]: context.jobId,
        [CONTEXT_HEADERS.previewEvery]: String(context.previewEvery),
        [CONTEXT_HEADERS.requestId]: options.requestId,
      },
    );
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = AbortSignal.any([timeout, context.signal]);
    try {
      const response = await fetch(`${backend.url}${GENERATE_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
        body,
        signal,
      });
      if (response.status === 429 || response.status >= 500) {
        return failed("status", response.status, response.headers, await errorEnvelopeOf(response));
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        return failed("auth", response.status, null);
      }
      const streamed =
        response.ok && (response.headers.get("content-type") ?? "").includes("text/event-stream");
      if (streamed) return await readStream(response, context);
      const json = parseJson(await response.text());
      if (!response.ok) return fromEnvelope(json, response.status, response.headers);
      const parsed = backendGenerateResponseSchema.safeParse(json);
      return parsed.success
        ? { kind: "ok", response: parsed.data, load: parseLoadHeaders(response.headers) }
        : failed("malformed", response.status, null);
    } catch (error) {
      if (context.signal.aborted) return cancelled(options.requestId);
      const timedOut = timeout.aborted || error instanceof SseIdleError;
      return failed(timedOut ? "timeout" : "connect", null, null);
    }
  };
}
