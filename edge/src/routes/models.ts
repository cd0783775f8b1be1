import type { ModelList } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { mayUseModel } from "../keys/api-key.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { MODEL_CREATED_S } from "../models.ts";
import { onOperation } from "./operation.ts";

/**
 * `GET /v1/models`: OpenAI's list shape. Like OpenAI, it needs a key (`read`, which `generate`
 * implies) and lists the models that key may use; each entry adds sdgate's defaults and limits.
 */
export function registerModels(app: Hono<AppEnv>): void {
  onOperation(app, "listModels", keyAuth("listModels"), async (c) => {
    await admitRequestOnly(c);
    const list: ModelList = {
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
    };
    return c.json(list);
  });
}
