import { SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";

/** The request's JSON body (`requireJson` has checked its media type), or a 400. */
export async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  try {
    return JSON.parse(await c.req.text());
  } catch {
    throw new SdgateError("invalid_request", "The request body is not valid JSON.");
  }
}
