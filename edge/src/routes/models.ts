import type { Hono } from "hono";
import { apiKeyStore, mayUseModel } from "../api-keys.ts";
import type { AppEnv } from "../hono-env.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { auth } from "../middleware/auth/index.ts";
import { routeScope } from "../middleware/auth/route-scopes.ts";
import { MODEL_CREATED_S } from "../models.ts";

/**
 * `GET /v1/models`: OpenAI's list shape. Like OpenAI, it needs a key (`read`, which `generate`
 * implies) and lists the models that key may use; each entry adds sdgate's defaults and limits.
 */
export function registerModels(app: Hono<AppEnv>): void {
  const scope = routeScope("GET /v1/models");
  app.get("/v1/models", auth<AppEnv>({ scope, store: (c) => apiKeyStore(c.var.config) }), async (c) => {
    await admitRequestOnly(c);
    return c.json({
      object: "list",
      data: c.var.config.models
        .filter((model) => mayUseModel(c.var.apiKey, model.id))
        .map((model) => ({
          id: model.id,
          object: "model",
          created: MODEL_CREATED_S,
          owned_by: "sdgate",
          description: model.description,
          defaults: model.defaults,
          limits: model.limits,
        })),
    });
  });
}
