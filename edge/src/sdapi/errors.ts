import type { ErrorEnvelope } from "@sdgate/shared";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../hono-env.ts";

/**
 * The error body of the A1111 routes: A1111's own (`modules/api/api.py`, `api_error_handler`:
 * `{ error, detail, body, errors }`, all strings) with sdgate's code as `error` and its message as
 * `detail` (what A1111 clients show: Open WebUI and modelfusion read `detail`), plus sdgate's `param`
 * and `request_id`. sdgate's envelope cannot be sent as it is: its `error` is an object, which
 * modelfusion's A1111 error schema rejects, losing the message.
 *
 * @example
 * a1111Error({ error: { type: "invalid_request_error", code: "invalid_request", message: "…", param: "styles" }, request_id: "req_1" })
 */
export function a1111Error(envelope: ErrorEnvelope) {
  const { code, message, param } = envelope.error;
  return { error: code, detail: message, body: "", errors: message, param, request_id: envelope.request_id };
}

/**
 * Rewrites the app's error envelope, for whatever failed in the route or its guards (a bad key, a
 * limit, a bad field), as {@link a1111Error}; status and headers (`Retry-After`, `WWW-Authenticate`)
 * stay as they were. Registered before the routes' guards, so it sees their answer last.
 */
export const a1111Errors: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  if (c.error === undefined || !c.res.headers.get("Content-Type")?.includes("application/json")) return;
  const envelope = (await c.res.clone().json()) as ErrorEnvelope;
  const headers = new Headers(c.res.headers);
  headers.delete("Content-Length");
  c.res = new Response(JSON.stringify(a1111Error(envelope)), { status: c.res.status, headers });
};
