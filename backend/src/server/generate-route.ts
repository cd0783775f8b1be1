import { LOAD_HEADERS, problemFromZod, resolvedGenerationRequestSchema, SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import { decodeInputImages } from "../generation/input-image.ts";
import type { ServingMetrics } from "../metrics/metrics.ts";
import type { Dispatcher } from "../serving/dispatcher.ts";
import type { JobEvent } from "../serving/job.ts";
import { readContext } from "./context-headers.ts";
import { jobEventStream } from "./job-event-stream.ts";
import type { BackendEnv } from "./types.ts";

export interface GenerateRouteOptions {
  serving: () => Dispatcher | null;
  notReady: () => SdgateError;
  metrics: ServingMetrics;
  /** When the edge sends no `X-Sdgate-Deadline`. */
  defaultDeadlineMs: number;
  /** Previews in streamed progress, every n steps (0: none) unless the edge asks otherwise. */
  previewEverySteps: number;
}

/**
 * `POST /internal/v1/generate` (signed): queue the resolved request and answer with its result, or,
 * with `Accept: text/event-stream`, stream its events and then the result. A client that disconnects
 * cancels its job.
 */
export function generateHandler(options: GenerateRouteOptions) {
  return async (c: Context<BackendEnv>): Promise<Response> => {
    const serving = options.serving();
    if (serving === null) throw options.notReady();
    const request = parseRequest(c.var.rawBody);
    if (!serving.models.includes(request.model)) {
      throw new SdgateError("model_not_found", `Model '${request.model}' is not served by this backend.`, {
        param: "model",
      });
    }
    const context = readContext(c.req.raw.headers, {
      deadlineMs: options.defaultDeadlineMs,
      nowMs: Date.now(),
    });
    const streaming = (c.req.header("accept") ?? "").includes("text/event-stream");
    // Input images are decoded here, on sharp's threadpool, before the job is queued: never on the
    // engine's thread, where a large one would hold up every job in its batch. Refusals that do not
    // depend on the job are checked first, so a full queue costs no decoding.
    const refused = serving.refusal();
    if (refused !== null) throw refused;
    const inputs = await decodeInputImages(request);
    const submitted = serving.submit({
      id: context.jobId,
      tenant: context.tenant,
      request,
      deadlineAtMs: context.deadlineAtMs,
      previewEverySteps: streaming ? (context.previewEverySteps ?? options.previewEverySteps) : 0,
      inputs,
    });
    if (!submitted.ok) throw submitted.error;
    const { job } = submitted;
    c.header(LOAD_HEADERS.jobId, job.id);
    const cancel = () => serving.cancel(job.id, "cancelled");
    c.req.raw.signal.addEventListener("abort", cancel, { once: true });
    // The client may have left while the input images were decoding.
    if (c.req.raw.signal.aborted) cancel();

    if (streaming) {
      c.set("countedByStream", true);
      const count = (end: JobEvent) => {
        c.req.raw.signal.removeEventListener("abort", cancel);
        options.metrics.requestsTotal.inc({ status: end.type === "error" ? end.error.status : 200 });
      };
      const body = jobEventStream(job, c.var.requestId, count, cancel);
      c.header("Content-Type", "text/event-stream");
      c.header("Cache-Control", "no-cache");
      return c.body(body, 200);
    }
    const end = await job.ended;
    c.req.raw.signal.removeEventListener("abort", cancel);
    if (end.type === "error") throw end.error;
    return c.json(end.response);
  };
}

function parseRequest(rawBody: Uint8Array) {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(rawBody));
  } catch {
    throw new SdgateError("invalid_request", "The body is not valid JSON.");
  }
  const parsed = resolvedGenerationRequestSchema.safeParse(body);
  if (!parsed.success) {
    const problem = problemFromZod(parsed.error);
    throw new SdgateError("invalid_request", problem.message, { param: problem.param });
  }
  return parsed.data;
}
