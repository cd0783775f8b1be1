import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { registerSdapiAdapters } from "./adapters.ts";
import { a1111Errors } from "./errors.ts";
import { registerSdapiGenerate } from "./generate.ts";
import { registerSdapiLists } from "./lists.ts";
import { registerSdapiOptions } from "./options.ts";
import { registerSdapiPngInfo } from "./png-info.ts";
import { registerSdapiProgress } from "./progress.ts";

/**
 * AUTOMATIC1111's HTTP API (`/sdapi/v1/*` and the ControlNet extension's `/controlnet/*`) in front of
 * sdgate: A1111's shapes, errors and HTTP Basic auth, sdgate's keys, limits, cache, failover and audit.
 * See docs/a1111.md.
 */
export function registerSdapi(app: Hono<AppEnv>): void {
  app.use("/sdapi/v1/*", a1111Errors);
  app.use("/controlnet/*", a1111Errors);
  registerSdapiGenerate(app);
  registerSdapiProgress(app);
  registerSdapiOptions(app);
  registerSdapiLists(app);
  registerSdapiPngInfo(app);
  registerSdapiAdapters(app);
}
