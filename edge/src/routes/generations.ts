import {
  DEFAULT_MODEL_ID,
  isSdgateError,
  MAX_REQUEST_BODY_BYTES,
  parseGenerationRequest,
  requestHash,
  resolveGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { apiKeyStore } from "../api-keys.ts";
import { recordGeneration } from "../audit/index.ts";
import { cacheKey, tenantOf, tenantTag } from "../cache/key.ts";
import { callerLocation, type Served, serveGeneration } from "../cache/serve.ts";
import type { AppEnv } from "../hono-env.ts";
import { admit, estimateCost } from "../limits/index.ts";
import { auth } from "../middleware/auth/index.ts";
import { findModel } from "../models.ts";
import { randomSeed } from "../seed.ts";
import { urlResponseBody } from "./images.ts";

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

function responseHeaders(result: Served): Record<string, string> {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Cache": result.cache,
    "X-Attempts": String(result.backend?.attempts ?? 0),
  };
  if (result.backend) {
    headers["X-Backend"] = result.backend.name;
    headers["X-Backend-Region"] = result.backend.region;
  }
  return headers;
}

/**
 * `POST /v1/images/generations` (OpenAI Images compatible): auth → check and resolve the request
 * (fixing its seed) → admit its cost against the key's limits → the replay cache (hot copy, R2,
 * then one coalesced job per cache key) → the fleet with failover → settle the cost (nothing for a
 * replay) → audit → answer with `b64_json` images or signed `url`s.
 */
export function registerGenerations(app: Hono<AppEnv>): void {
  app.post(
    "/v1/images/generations",
    auth<AppEnv>({ scope: "generate", store: (c) => apiKeyStore(c.var.config) }),
    requireJson,
    limitBody,
    async (c) => {
      const startedMs = Date.now();
      const parsed = parseGenerationRequest(await readJson(c));
      if (!parsed.ok) throw invalid(parsed.error);
      const request = parsed.value;
      const { config, requestId } = c.var;
      if (request.response_format === "url" && config.urlSigningKey === null) {
        throw new SdgateError(
          "invalid_request",
          "response_format 'url' is not enabled on this server (it has no URL signing key); use 'b64_json'.",
          { param: "response_format" },
        );
      }
      const modelId = request.model ?? DEFAULT_MODEL_ID;
      const model = findModel(config.models, modelId);
      if (!model) {
        throw new SdgateError("model_not_found", `The model '${modelId}' does not exist.`, {
          param: "model",
        });
      }
      const resolved = resolveGenerationRequest(request, model, request.seed ?? randomSeed());
      if (!resolved.ok) throw invalid(resolved.error);

      const cost = estimateCost(resolved.value);
      const admission = await admit(c, cost);
      const hash = await requestHash(resolved.value);
      let result: Served | null = null;
      let status = 500;
      let failedBackend: string | null = null;
      const tenant = tenantOf(c.var.apiKey);
      const where = {
        tenantTag: await tenantTag(tenant),
        cacheKey: await cacheKey(tenant, resolved.value, config.registry),
      };
      try {
        result = await serveGeneration(
          c,
          {
            ...where,
            request: resolved.value,
            registry: config.registry,
            timeoutMs: config.backendTimeoutMs,
            hmacKeys: c.env.SDGATE_HMAC_KEYS,
            location: callerLocation(c),
            requestId,
          },
          { linked: request.response_format === "url" },
        );
        status = 200;
      } catch (error) {
        status = isSdgateError(error) ? error.status : 500;
        failedBackend = isSdgateError(error) ? (error.headers["X-Backend"] ?? null) : null;
        await admission.settle({ ok: false });
        throw error;
      } finally {
        const replay = result !== null && result.backend === null;
        recordGeneration(c, {
          requestHash: hash,
          backend: result?.backend?.name ?? failedBackend,
          status,
          latencyMs: Date.now() - startedMs,
          cost: result === null ? null : replay || result.cache === "COALESCED" ? 0 : cost,
          detail: { cache: result?.cache ?? null },
        });
      }
      // A replay, or a request that joined another's job, ran no GPU work of its own.
      const charged = result.backend === null || result.cache === "COALESCED" ? 0 : cost;
      await admission.settle({ ok: true, actualCost: charged });
      const body =
        request.response_format === "url" ? await urlResponseBody(c, result.body, where) : result.body;
      return c.body(body, 200, responseHeaders(result));
    },
  );
}
