import { SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { inBackground } from "../gateway/serve.ts";
import type { AppEnv } from "../hono-env.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { limitBody, requireJson } from "../routes/generations.ts";
import { onOperation } from "../routes/operation.ts";
import { randomSeed } from "../seed.ts";
import { jsonBody } from "./body.ts";
import { a1111Request } from "./request.ts";
import { a1111Response } from "./response.ts";
import { runTask } from "./run-task.ts";

async function generate(c: Context<AppEnv>, mode: "txt2img" | "img2img"): Promise<Response> {
  const startedMs = Date.now();
  const body = await jsonBody(c);
  // The key's object confirms the key and its scope (one request token) before its option is read;
  // each iteration's job is admitted with its own cost as it is submitted.
  await authorize(c, { cost: null });
  const slot = c.var.config.keyState.getByName(c.var.apiKey.id);
  const { sd_model_checkpoint } = await slot.sdapiOptions();
  const mapped = a1111Request(body, mode, sd_model_checkpoint, randomSeed);
  if (!mapped.ok)
    throw new SdgateError("invalid_request", mapped.error.message, { param: mapped.error.param });
  const work = runTask(c, mapped.value);
  // A client that hangs up does not stop the task halfway: its jobs still settle and the key's task
  // is cleared (SillyTavern sends /interrupt when its user gives up). The error reaches the client below.
  inBackground(
    c,
    work.then(
      () => undefined,
      () => undefined,
    ),
  );
  const result = await work;
  return c.json(
    await a1111Response(
      result,
      body as Record<string, unknown>,
      mode,
      startedMs,
      mapped.value.controlnetArgs.savesMap,
    ),
  );
}

/**
 * `POST /sdapi/v1/txt2img` and `/img2img`: A1111's generation routes, run as sdgate jobs (see
 * {@link runTask}), answered in A1111's shape. The key comes as Bearer or as HTTP Basic's password.
 */
export function registerSdapiGenerate(app: Hono<AppEnv>): void {
  for (const [operation, mode] of [
    ["sdapiTextToImage", "txt2img"],
    ["sdapiImageToImage", "img2img"],
  ] as const) {
    onOperation(
      app,
      operation,
      keyAuth(operation, { deferred: true, basic: true }),
      requireJson,
      limitBody,
      (c) => generate(c, mode),
    );
  }
}
