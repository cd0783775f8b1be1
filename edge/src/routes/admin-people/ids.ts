import { SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";

/** A 404 naming what was not found and the parameter that named it. */
export function notFound(what: string, id: string, param = "id"): SdgateError {
  return new SdgateError("not_found", `No ${what} with id '${id.slice(0, 80)}'.`, { param });
}

/**
 * The path's `{id}` (or `param`), checked against the contract's id `pattern`: a malformed one is a
 * 404 with no lookup made. Checked after the guard, so who may not call the route learns nothing more.
 *
 * @example
 * const id = idParam(c, USER_ID_PATTERN, "person"); // "usr_0f1e2d3c4b5a6978"
 */
export function idParam(c: Context<AppEnv>, pattern: RegExp, what: string, param = "id"): string {
  const id = c.req.param(param) ?? "";
  if (!pattern.test(id)) throw notFound(what, id, param);
  return id;
}
