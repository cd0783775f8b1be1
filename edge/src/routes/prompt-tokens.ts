import { MAX_TOKENIZE_STEPS, promptTokenizeBodySchema, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { fleetRuntime } from "../backends/fleet.ts";
import { callerLocation, inBackground } from "../gateway/serve.ts";
import { tokenizeOnFleet } from "../gateway/tokenize.ts";
import type { AppEnv } from "../hono-env.ts";
import { keyringFor } from "../jobs/keyring.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { servingModel } from "../model-registry/serving.ts";
import { parseJsonBody } from "./admin-body.ts";
import { onOperation } from "./operation.ts";

/** A 4,000-character prompt is at most 24 KB of JSON even with every character `\uXXXX`-escaped. */
const MAX_TOKENIZE_BODY_BYTES = 32 * 1024;

/**
 * `POST /v1/prompts/tokenize`: `{ model, prompt, steps?, guidance_scale?, negative? }` → the chunks of the longest
 * text the engine encodes for the prompt (tags out, sub-prompts when guidance runs, each step's editing) as the model's
 * tokenizer lays them out, counted by a backend that serves the model (the edge holds no tokenizer). The model
 * resolves as a generation's does (an alias, a pinned version, the catalog), and the key must be
 * allowed to use it; each call takes one token of the key's request bucket, as a read does.
 */
export function registerPromptTokens(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "tokenizePrompt",
    keyAuth("tokenizePrompt", { deferred: true }),
    bodyLimit({
      maxSize: MAX_TOKENIZE_BODY_BYTES,
      onError: () => {
        throw new SdgateError(
          "payload_too_large",
          `The request body must be at most ${MAX_TOKENIZE_BODY_BYTES} bytes.`,
        );
      },
    }),
    async (c) => {
      const body = await parseJsonBody(c, promptTokenizeBodySchema);
      const served = await servingModel(c.var.config, body.model);
      await authorize(c, { cost: null, model: served.ref });
      const { registry, health } = c.var.config;
      const outcome = await tokenizeOnFleet(
        registry,
        fleetRuntime(registry, health),
        {
          model: served.info.id,
          prompt: body.prompt,
          // editing and alternation switch at steps: the model's own steps unless the caller says
          steps: Math.min(body.steps ?? served.info.defaults.steps, MAX_TOKENIZE_STEPS),
          // without guidance the engine reads AND as text: the model's own guidance unless the caller says
          guidance_scale: body.guidance_scale ?? served.info.defaults.guidance_scale,
          negative: body.negative ?? false,
        },
        {
          keyring: keyringFor(c.env.SDGATE_HMAC_KEYS),
          requestId: c.var.requestId,
          location: callerLocation(c),
          waitUntil: (work) => inBackground(c, work),
        },
      );
      if (!outcome.ok)
        throw new SdgateError(outcome.error.code, outcome.error.message, { param: outcome.error.param });
      // Named as the caller named it: an alias stays an alias.
      return c.json({ ...outcome.value, model: body.model });
    },
  );
}
