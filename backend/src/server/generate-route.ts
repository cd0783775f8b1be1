import {
  CONTEXT_HEADERS,
  describeVersion,
  LOAD_HEADERS,
  problemFromZod,
  resolvedGenerationRequestSchema,
  SdgateError,
} from "@sdgate/shared";
import type { Context } from "hono";
import { type ControlCatalog, checkControlUnits } from "../generation/controlnet-catalog.ts";
import { decodeInputImages } from "../generation/input-image.ts";
import type { LoraCatalog } from "../lora-catalog.ts";
import type { ServingMetrics } from "../metrics/metrics.ts";
import type { Dispatcher } from "../serving/dispatcher.ts";
import type { Job, JobEvent, JobSpec } from "../serving/job.ts";
import { RESUME_GRACE_MS } from "../serving/resumable-jobs.ts";
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
  /** How long a job the edge named runs on after its caller left ({@link RESUME_GRACE_MS}). */
  resumeGraceMs: number;
  /** The digest of each model's files, by model id. */
  versions: () => Readonly<Record<string, string>>;
  /** The ControlNets and annotators held; `null` until scanned (a ControlNet request is then refused). */
  controls: () => ControlCatalog | null;
  /** The LoRA files this backend holds: a request naming a digest none has is refused (503). */
  loras: () => LoraCatalog;
}

/**
 * `POST /internal/v1/generate` (signed): queue the resolved request and answer with its result, or,
 * with `Accept: text/event-stream`, stream its events and then the result. A client that disconnects
 * cancels its job: at once, or, for a job the edge named (`x-sdgate-job-id`), once nobody has asked
 * for it again under that id for {@link RESUME_GRACE_MS}; asked again, it is the same job (or how it
 * ended), never a second generation.
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
    if (request.refiner !== undefined && !serving.models.includes(request.refiner.model))
      throw new SdgateError(
        "model_not_found",
        `Model '${request.refiner.model}' is not served by this backend.`,
        { param: "refiner.model" },
      );
    const held = options.versions();
    checkVersion(request, held);
    if (request.controlnet !== undefined) checkHeldControls(request, options.controls());
    options.loras().resolve(request.lora);
    const arrivedMs = performance.now();
    const observe = (status: number) => {
      const labels = { model: request.model, version: held[request.model]?.slice(0, 12) ?? "unknown" };
      const outcome = status < 400 ? "ok" : status < 500 ? "rejected" : "error";
      options.metrics.generationsTotal.inc({ ...labels, outcome });
      if (outcome === "ok")
        options.metrics.generationSeconds.observe(labels, (performance.now() - arrivedMs) / 1000);
    };
    const context = readContext(c.req.raw.headers, {
      deadlineMs: options.defaultDeadlineMs,
      nowMs: Date.now(),
    });
    const streaming = (c.req.header("accept") ?? "").includes("text/event-stream");
    const named = c.req.header(CONTEXT_HEADERS.jobId) !== undefined;
    const spec: JobSpec = {
      id: context.jobId,
      tenant: context.tenant,
      request,
      deadlineAtMs: context.deadlineAtMs,
      previewEverySteps: streaming ? (context.previewEverySteps ?? options.previewEverySteps) : 0,
      inputs: {},
    };
    const resumed = named ? serving.resume(spec) : null;
    const inputs = resumed === null ? await decodeInputs(serving, request) : {};
    // Queued in the same tick as it is subscribed to below, so its first `queued` event is not missed.
    const job = resumed ?? submitNew(serving, { ...spec, inputs });
    c.header(LOAD_HEADERS.jobId, job.id);
    // Leaving (the client hung up) cancels the job unless someone else listens (see `watch`).
    const leave = serving.watch(job.id, named ? options.resumeGraceMs : 0);
    c.req.raw.signal.addEventListener("abort", leave, { once: true });
    // The client may have left while the input images were decoding.
    if (c.req.raw.signal.aborted) leave();

    if (streaming) {
      c.set("countedByStream", true);
      const count = (end: JobEvent) => {
        c.req.raw.signal.removeEventListener("abort", leave);
        leave();
        const status = end.type === "error" ? end.error.status : 200;
        options.metrics.requestsTotal.inc({ status });
        observe(status);
      };
      const body = jobEventStream(job, c.var.requestId, count, leave);
      c.header("Content-Type", "text/event-stream");
      c.header("Cache-Control", "no-cache");
      return c.body(body, 200);
    }
    const end = await job.ended;
    c.req.raw.signal.removeEventListener("abort", leave);
    leave();
    observe(end.type === "error" ? end.error.status : 200);
    if (end.type === "error") throw end.error;
    return c.json(end.response);
  };
}

/**
 * A new job's input images, decoded here, on sharp's threadpool, before it is queued: never on the
 * engine's thread, where a large one would hold up every job in its batch. Refusals that do not depend
 * on the job are checked first, so a full queue costs no decoding.
 */
async function decodeInputs(serving: Dispatcher, request: JobSpec["request"]): Promise<JobSpec["inputs"]> {
  const refused = serving.refusal();
  if (refused !== null) throw refused;
  return await decodeInputImages(request);
}

/**
 * A request the registry resolved to a version runs only on the files of that version: a backend
 * holding other files for the model (an older or newer version, mid-rollout) refuses with a 503 that
 * the edge takes as "try a backend that holds it", never as this backend failing.
 */
function checkVersion(request: JobSpec["request"], held: Readonly<Record<string, string>>): void {
  const wanted = [
    { model: request.model, version: request.model_version, param: "model" },
    // a refiner's registry version, as the model's
    ...(request.refiner === undefined
      ? []
      : [{ model: request.refiner.model, version: request.refiner.model_version, param: "refiner.model" }]),
  ];
  for (const { model, version, param } of wanted) {
    if (version === undefined || held[model] === version.digest) continue;
    const holding = held[model];
    throw new SdgateError(
      "model_version_unavailable",
      `This backend does not hold ${describeVersion(model, version.version, version.digest)}; ${holding === undefined ? "it has no digest for the model" : `its files for '${model}' are sha256 ${holding.slice(0, 12)}…`}.`,
      { param },
    );
  }
}

function submitNew(serving: Dispatcher, spec: JobSpec): Job {
  const submitted = serving.submit(spec);
  if (!submitted.ok) throw submitted.error;
  return submitted.job;
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

function checkHeldControls(request: JobSpec["request"], catalog: ControlCatalog | null): void {
  if (catalog === null)
    throw new SdgateError("adapter_unavailable", "This backend has not listed its ControlNet models yet.", {
      param: "controlnet",
    });
  checkControlUnits(request, catalog);
}
