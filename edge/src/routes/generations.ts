import {
  DEFAULT_MODEL_ID,
  type GenerationResponse,
  MAX_REQUEST_BODY_BYTES,
  parseGenerationRequest,
  resolveGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { kvApiKeyStore } from "../api-keys.ts";
import { generateWithFailover } from "../backends/failover.ts";
import type { AppEnv } from "../hono-env.ts";
import { auth } from "../middleware/auth/index.ts";
import { findModel } from "../models.ts";
import { randomSeed } from "../seed.ts";

/** Generation requests carry base64 input images for img2img and inpainting. */
export const MAX_BODY_BYTES = MAX_REQUEST_BODY_BYTES;

const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new SdgateError(
      "unsupported_media_type",
      "The request body must be JSON ('Content-Type: application/json').",
    );
  }
  await next();
};

const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw new SdgateError("payload_too_large", `The request body must be at most ${MAX_BODY_BYTES} bytes.`);
  },
});

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new SdgateError("invalid_request", "The request body is not valid JSON.");
  }
}

function invalid(problem: { param: string | null; message: string }): SdgateError {
  return new SdgateError("invalid_request", problem.message, { param: problem.param });
}

/**
 * `POST /v1/images/generations` (OpenAI Images compatible): checks and resolves the request, fixes
 * its seed, and has the first healthy backend (by priority) run it.
 */
export function registerGenerations(app: Hono<AppEnv>): void {
  app.post(
    "/v1/images/generations",
    auth<AppEnv>({ scope: "generate", store: (c) => kvApiKeyStore(c.var.config.apiKeys) }),
    requireJson,
    limitBody,
    async (c) => {
      const parsed = parseGenerationRequest(await readJson(c));
      if (!parsed.ok) throw invalid(parsed.error);
      const request = parsed.value;
      if (request.response_format === "url") {
        throw new SdgateError(
          "invalid_request",
          "response_format 'url' is not supported yet (R2-backed image URLs come in a later release); use 'b64_json'.",
          { param: "response_format" },
        );
      }
      const modelId = request.model ?? DEFAULT_MODEL_ID;
      const model = findModel(c.var.config.models, modelId);
      if (!model) {
        throw new SdgateError("model_not_found", `The model '${modelId}' does not exist.`, {
          param: "model",
        });
      }
      const resolved = resolveGenerationRequest(request, model, request.seed ?? randomSeed());
      if (!resolved.ok) throw invalid(resolved.error);

      const { config, requestId } = c.var;
      const result = await generateWithFailover(config.backends, resolved.value, {
        keyring: config.keyring,
        timeoutMs: config.backendTimeoutMs,
        requestId,
      });
      if (!result.ok) {
        const { code, message, param, attempts, backend, retryAfter } = result.error;
        const headers: Record<string, string> = { "X-Attempts": String(attempts) };
        if (backend !== null) headers["X-Backend"] = backend;
        if (retryAfter !== null) headers["Retry-After"] = retryAfter;
        throw new SdgateError(code, message, { param, headers });
      }

      const { backend, response, attempts } = result.value;
      const { width, height } = resolved.value;
      const body: GenerationResponse = {
        created: Math.floor(Date.now() / 1000),
        data: response.images.map((image) => ({ b64_json: image.b64, seed: image.seed })),
        model: response.model,
        output_format: response.output_format,
        size: `${width}x${height}`,
        backend: backend.name,
        timings_ms: response.timings_ms,
      };
      return c.json(body, 200, { "X-Backend": backend.name, "X-Attempts": String(attempts) });
    },
  );
}
