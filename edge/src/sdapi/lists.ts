import { CONTROLNET_PREPROCESSORS, DEFAULT_CANNY_HIGH, DEFAULT_CANNY_LOW } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { modelsForKey } from "../routes/models.ts";
import { onOperation } from "../routes/operation.ts";
import { sdapiSamplers, sdapiSchedulers } from "./samplers.ts";

/** The models this key may use as A1111 checkpoints: the title is the name a request gives back. */
async function sdModels(c: Context<AppEnv>) {
  return (await modelsForKey(c)).map((model) => ({
    title: model.id,
    model_name: model.id,
    hash: null,
    sha256: null,
    filename: model.id,
    config: null,
  }));
}

/**
 * The ControlNet extension's `/controlnet/module_list` (`scripts/api.py`): the preprocessors sdgate
 * runs, with the sliders A1111's UI would show (canny's two thresholds).
 */
export function controlNetModules() {
  const detail = (name: string) => ({
    model_free: false,
    sliders:
      name === "canny"
        ? [
            { name: "Preprocessor Resolution", value: 512, min: 64, max: 2048 },
            { name: "Canny Low Threshold", value: DEFAULT_CANNY_LOW, min: 1, max: 255 },
            { name: "Canny High Threshold", value: DEFAULT_CANNY_HIGH, min: 1, max: 255 },
          ]
        : [],
  });
  return {
    module_list: [...CONTROLNET_PREPROCESSORS],
    module_detail: Object.fromEntries(CONTROLNET_PREPROCESSORS.map((name) => [name, detail(name)])),
  };
}

// What sdgate's hires fix really does (backend/src/engine/pipelines/hires.ts): the first pass's
// latents upscaled bilinearly (A1111's "Latent"), then denoised again. No pixel-space upscalers, and
// each model decodes with its own VAE, so both of those lists are empty.
const LISTS = {
  sdapiSamplers: () => sdapiSamplers(),
  sdapiSchedulers: () => sdapiSchedulers(),
  sdapiVaes: () => [],
  sdapiUpscalers: () => [],
  sdapiLatentUpscaleModes: () => [{ name: "Latent" }],
  sdapiControlNetModules: () => controlNetModules(),
} as const;

/** A1111's read-only lists; each request counts against the key's rate like any other read. */
export function registerSdapiLists(app: Hono<AppEnv>): void {
  onOperation(app, "sdapiModels", keyAuth("sdapiModels", { basic: true }), async (c) => {
    await admitRequestOnly(c);
    return c.json(await sdModels(c));
  });
  for (const [operation, list] of Object.entries(LISTS) as Array<[keyof typeof LISTS, () => unknown]>) {
    onOperation(app, operation, keyAuth(operation, { basic: true }), async (c) => {
      await admitRequestOnly(c);
      return c.json(list());
    });
  }
}
