import { SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { limitBody, requireJson } from "../routes/generations.ts";
import { modelsForKey } from "../routes/models.ts";
import { onOperation } from "../routes/operation.ts";
import { jsonBody } from "./body.ts";
import { checkpointName } from "./checkpoint.ts";
import { PREVIEW_EVERY_STEPS } from "./run-task.ts";

/**
 * `GET /sdapi/v1/options`: the A1111 options this edge honours. `sd_model_checkpoint` is the key's
 * own choice (POST), else the first model it may use; the rest say what sdgate does.
 */
async function getOptions(c: Context<AppEnv>): Promise<Response> {
  await admitRequestOnly(c);
  const [options, models] = await Promise.all([
    c.var.config.keyState.getByName(c.var.apiKey.id).sdapiOptions(),
    modelsForKey(c),
  ]);
  return c.json({
    sd_model_checkpoint: options.sd_model_checkpoint ?? models[0]?.id ?? null,
    sd_vae: "Automatic",
    CLIP_stop_at_last_layers: 1,
    samples_format: "png",
    show_progress_every_n_steps: PREVIEW_EVERY_STEPS,
    live_previews_enable: true,
  });
}

/**
 * `POST /sdapi/v1/options`: sets the key's `sd_model_checkpoint` (a model it may use; A1111 refuses
 * an unknown checkpoint too). Open WebUI posts back every option it read: the others are ignored.
 * Answers `null`, as A1111 does.
 */
async function setOptions(c: Context<AppEnv>): Promise<Response> {
  await admitRequestOnly(c);
  const body = await jsonBody(c);
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new SdgateError("invalid_request", "The request body must be a JSON object of options.");
  const checkpoint = (body as { sd_model_checkpoint?: unknown }).sd_model_checkpoint;
  if (checkpoint === undefined) return c.json(null);
  const name = typeof checkpoint === "string" ? checkpointName(checkpoint) : "";
  const models = await modelsForKey(c);
  if (!models.some((model) => model.id === name))
    throw new SdgateError(
      "invalid_request",
      `Invalid 'sd_model_checkpoint': '${String(checkpoint).slice(0, 200)}' is not a model this key may use (see /sdapi/v1/sd-models).`,
      { param: "sd_model_checkpoint" },
    );
  await c.var.config.keyState.getByName(c.var.apiKey.id).sdapiSetOptions({ sd_model_checkpoint: name });
  return c.json(null);
}

export function registerSdapiOptions(app: Hono<AppEnv>): void {
  onOperation(app, "sdapiGetOptions", keyAuth("sdapiGetOptions", { basic: true }), getOptions);
  onOperation(
    app,
    "sdapiSetOptions",
    keyAuth("sdapiSetOptions", { basic: true }),
    requireJson,
    limitBody,
    setOptions,
  );
}
