import type { Hono } from "hono";
import { listAdapters } from "../adapters/index.ts";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { onOperation } from "../routes/operation.ts";

/**
 * A1111's `/sdapi/v1/loras` (the Lora extension's shape: `name`, `alias`, `path`, `metadata`) and the
 * ControlNet extension's `/controlnet/model_list` (`name [hash]`, which a unit's `model` may give
 * back: the hash is stripped), from the adapter registry: what this key may name.
 */
export function registerSdapiAdapters(app: Hono<AppEnv>): void {
  onOperation(app, "sdapiLoras", keyAuth("sdapiLoras", { basic: true }), async (c) => {
    await admitRequestOnly(c);
    const loras = await listAdapters(c, "lora");
    return c.json(
      loras.map((lora) => ({
        name: lora.name,
        alias: lora.alias,
        path: lora.name,
        metadata: { description: lora.description, applies_to: lora.applies_to },
      })),
    );
  });
  onOperation(app, "sdapiControlNetModels", keyAuth("sdapiControlNetModels", { basic: true }), async (c) => {
    await admitRequestOnly(c);
    const models = await listAdapters(c, "controlnet");
    return c.json({ model_list: models.map((model) => `${model.name} [${model.digest.slice(0, 8)}]`) });
  });
}
