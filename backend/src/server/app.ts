import { randomUUID } from "node:crypto";
import {
  BACKEND_STATUS_PATH,
  BACKEND_TOKENIZE_PATH,
  type BackendAdapter,
  type BackendStatusBody,
  errorEnvelope,
  type Keyring,
  LOAD_HEADERS,
  type NonceStore,
  type ReadyzBody,
  SdgateError,
} from "@sdgate/shared";
import { Hono } from "hono";
import { type ControlCatalog, controlNetAdapters } from "../generation/controlnet-catalog.ts";
import type { PromptCounter } from "../generation/prompt-counter.ts";
import type { Logger } from "../logger.ts";
import { LoraCatalog } from "../lora-catalog.ts";
import type { ServingMetrics } from "../metrics/metrics.ts";
import type { Dispatcher } from "../serving/dispatcher.ts";
import { RESUME_GRACE_MS } from "../serving/resumable-jobs.ts";
import { errorHandler } from "./errors.ts";
import { generateHandler } from "./generate-route.ts";
import { tokenizeHandler } from "./tokenize-route.ts";
import type { BackendEnv } from "./types.ts";
import { verifySignature } from "./verify-signature.ts";

/** Whether the backend should receive traffic: models loaded and warmed, and not draining. */
export interface Readiness {
  state: "loading" | "ready" | "draining";
}

export interface BackendAppOptions {
  /** The backend's name in the edge's registry: signatures must be made for it. */
  name: string;
  keyring: Keyring;
  nonces: NonceStore;
  /** Also accept v2 signatures, which name no backend (only while the edge is being upgraded). */
  acceptV2Signatures?: boolean;
  readiness: Readiness;
  /** `null` until the models are loaded and warmed. */
  serving: () => Dispatcher | null;
  metrics: ServingMetrics;
  logger: Logger;
  /** A job's deadline when the edge sends none. */
  defaultDeadlineMs: number;
  /** Streamed progress carries a preview every n steps; 0: none. */
  previewEverySteps: number;
  /** How long a job the edge named runs on after its caller left (default `RESUME_GRACE_MS`; tests shorten it). */
  resumeGraceMs?: number;
  /**
   * The content digest of each loaded model's files, by model id (see `model-digest.ts`): reported
   * in the signed status, and checked against a request's registry version. Empty until loaded.
   */
  versions?: () => Readonly<Record<string, string>>;
  /** The ControlNets and annotators this backend holds; `null` (or absent) until scanned. */
  controls?: () => ControlCatalog | null;
  /** The LoRA files this backend holds (lora-catalog.ts); none when absent. */
  loras?: () => LoraCatalog;
  /** Counts prompts' tokens with each model's tokenizer; `null` (or absent) until the models are loaded. */
  prompts?: () => PromptCounter | null;
}

/**
 * The backend's HTTP surface: `/healthz`, `/readyz` (state and load only: it is unauthenticated),
 * `/metrics`, and the signed internal endpoints `POST /internal/v1/generate`,
 * `POST /internal/v1/jobs/{id}/cancel`, `POST /internal/v1/tokenize` (a prompt's tokens, for the
 * Studio's editors) and `GET /internal/v1/status` (models and step times). The
 * engine runs in another thread, so every route here answers promptly while images are being made.
 */
export function createBackendApp(options: BackendAppOptions): Hono<BackendEnv> {
  const app = new Hono<BackendEnv>();
  const { metrics, readiness } = options;
  const notReady = () =>
    new SdgateError("backend_unavailable", `Backend is ${readiness.state}.`, {
      headers: { "Retry-After": "5" },
    });
  const readyServing = () => (readiness.state === "ready" ? options.serving() : null);
  const versionsOf = options.versions ?? (() => ({}));
  const lorasOf = options.loras ?? (() => new LoraCatalog([]));

  app.use(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    c.header("X-Backend", options.name);
    await next();
    // Every answer tells the edge how busy this backend is, so it can route the next request.
    const load = options.serving()?.snapshot();
    c.res.headers.set(LOAD_HEADERS.queueDepth, String(load?.queueDepth ?? 0));
    c.res.headers.set(LOAD_HEADERS.estimatedWaitMs, String(load?.estimatedWaitMs ?? 0));
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  const readyzBody = (): { body: ReadyzBody; ready: boolean } => {
    const serving = options.serving();
    const load = serving?.snapshot();
    const status: ReadyzBody["status"] =
      readiness.state !== "ready"
        ? readiness.state
        : serving === null
          ? "loading"
          : serving.engineReady
            ? "ready"
            : "restarting";
    const body: ReadyzBody = {
      status,
      queue_depth: load?.queueDepth ?? 0,
      in_flight: load?.inFlight ?? 0,
      estimated_wait_ms: load?.estimatedWaitMs ?? 0,
    };
    return { body, ready: status === "ready" };
  };

  app.get("/readyz", (c) => {
    const { body, ready } = readyzBody();
    return c.json(body, ready ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    c.header("Content-Type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  const signed = verifySignature({
    keyring: options.keyring,
    nonces: options.nonces,
    audience: options.name,
    acceptV2: options.acceptV2Signatures ?? false,
  });

  app.get(BACKEND_STATUS_PATH, signed, (c) => {
    const { body, ready } = readyzBody();
    const serving = options.serving();
    const status: BackendStatusBody = {
      ...body,
      models: [...(serving?.models ?? [])],
      versions: { ...versionsOf() },
      adapters: [...lorasOf().adapters(), ...controlNetsHeld(options.controls?.() ?? null)],
      architectures: serving?.architectures ?? {},
      queue_size: serving?.queueSize ?? 0,
      max_batch: serving?.maxBatch ?? 1,
      step_ms: serving?.stepTimes.snapshot() ?? {},
    };
    return c.json(status, ready ? 200 : 503);
  });

  app.post(
    "/internal/v1/generate",
    async (c, next) => {
      await next();
      if (!c.get("countedByStream")) metrics.requestsTotal.inc({ status: c.res.status });
    },
    signed,
    generateHandler({
      serving: readyServing,
      notReady,
      metrics,
      defaultDeadlineMs: options.defaultDeadlineMs,
      previewEverySteps: options.previewEverySteps,
      resumeGraceMs: options.resumeGraceMs ?? RESUME_GRACE_MS,
      versions: versionsOf,
      controls: () => options.controls?.() ?? null,
      loras: lorasOf,
    }),
  );

  app.post(BACKEND_TOKENIZE_PATH, signed, tokenizeHandler(options.prompts ?? (() => null), notReady));

  app.post("/internal/v1/jobs/:id/cancel", signed, (c) => {
    const serving = options.serving();
    const id = c.req.param("id");
    const status = serving?.cancel(id, "cancelled") ?? null;
    if (status === null)
      throw new SdgateError("not_found", `No queued or running job '${id}'.`, { param: "id" });
    // `cancelling`: it was running and stops at its next denoising step.
    return c.json({ job_id: id, status });
  });

  app.notFound((c) =>
    c.json(errorEnvelope("not_found", `No route for ${c.req.method} ${c.req.path}.`, c.var.requestId), 404),
  );
  app.onError(errorHandler(options.logger));
  return app;
}

/** The status's `adapters`: the ControlNets held (absent before they are scanned). */
function controlNetsHeld(catalog: ControlCatalog | null): BackendAdapter[] {
  return catalog === null ? [] : controlNetAdapters(catalog);
}
