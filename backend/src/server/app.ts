import { randomUUID } from "node:crypto";
import {
  errorEnvelope,
  type Keyring,
  MAX_REQUEST_BODY_BYTES,
  type NonceStore,
  problemFromZod,
  resolvedGenerationRequestSchema,
  SdgateError,
} from "@sdgate/shared";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ImageGenerator } from "../generation/image-generator.ts";
import type { Logger } from "../logger.ts";
import { errorHandler } from "./errors.ts";
import type { BackendEnv } from "./types.ts";
import { verifySignature } from "./verify-signature.ts";

/** Whether the backend should receive traffic: models loaded and warmed, and not draining. */
export interface Readiness {
  state: "loading" | "ready" | "draining";
}

export interface BackendAppOptions {
  name: string;
  keyring: Keyring;
  nonces: NonceStore;
  readiness: Readiness;
  /** `null` until the models are loaded. */
  generator: () => ImageGenerator | null;
  logger: Logger;
}

/** The backend's HTTP surface: health, readiness, and the signed internal generate endpoint. */
export function createBackendApp(options: BackendAppOptions): Hono<BackendEnv> {
  const app = new Hono<BackendEnv>();

  app.use(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && /^[\w-]{1,128}$/.test(incoming) ? incoming : randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    c.header("X-Backend", options.name);
    await next();
  });

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", (c) => {
    const generator = options.generator();
    const ready = options.readiness.state === "ready" && generator !== null;
    return c.json(
      { status: ready ? "ready" : options.readiness.state, models: generator?.modelIds ?? [] },
      ready ? 200 : 503,
    );
  });

  app.post(
    "/internal/v1/generate",
    bodyLimit({
      maxSize: MAX_REQUEST_BODY_BYTES,
      onError: () => {
        throw new SdgateError(
          "payload_too_large",
          `The body is larger than ${MAX_REQUEST_BODY_BYTES} bytes.`,
        );
      },
    }),
    verifySignature(options.keyring, options.nonces),
    async (c) => {
      const generator = options.generator();
      if (options.readiness.state !== "ready" || generator === null) {
        throw new SdgateError("backend_unavailable", `Backend is ${options.readiness.state}.`, {
          headers: { "Retry-After": "5" },
        });
      }
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder().decode(c.var.rawBody));
      } catch {
        throw new SdgateError("invalid_request", "The body is not valid JSON.");
      }
      const parsed = resolvedGenerationRequestSchema.safeParse(body);
      if (!parsed.success) {
        const problem = problemFromZod(parsed.error);
        throw new SdgateError("invalid_request", problem.message, { param: problem.param });
      }
      const request = parsed.data;
      if (!generator.modelIds.includes(request.model)) {
        throw new SdgateError("model_not_found", `Model '${request.model}' is not served by this backend.`, {
          param: "model",
        });
      }
      const startedMs = performance.now();
      const result = await generator.generate(request, c.req.raw.signal);
      options.logger.info("generated", {
        requestId: c.var.requestId,
        model: request.model,
        images: result.images.length,
        size: `${request.width}x${request.height}`,
        steps: request.steps,
        ms: Math.round(performance.now() - startedMs),
      });
      return c.json(result);
    },
  );

  app.notFound((c) =>
    c.json(errorEnvelope("not_found", `No route for ${c.req.method} ${c.req.path}.`, c.var.requestId), 404),
  );
  app.onError(errorHandler(options.logger));
  return app;
}
