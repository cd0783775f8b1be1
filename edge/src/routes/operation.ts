import { OPERATIONS, type OperationId } from "@sdgate/shared";
import type { Hono } from "hono";
import type { H } from "hono/types";
import type { AppEnv } from "../hono-env.ts";

/**
 * A guard or handler of an operation's route; `c.req.param("id")` is the path's `{id}` (and
 * `c.req.param("user_id")` a team member's `{user_id}`, on the routes whose path has one).
 */
type RouteHandler = H<AppEnv, "/:id">;

/**
 * Registers an operation of the contract at the method and path `OPERATIONS` gives it, so the edge
 * has no route that the OpenAPI document and the SDK do not have. Each `{name}` of the path becomes
 * Hono's `:name`; `idPattern` narrows the path's `{id}` (Hono's `:id{regex}`), so a malformed id is a
 * 404 without reaching the handler.
 *
 * @example
 * onOperation(app, "getJob", keyAuth("getJob", { deferred: true }), async (c) => c.json(await read(c)));
 */
export function onOperation(
  app: Hono<AppEnv>,
  operation: OperationId | { id: OperationId; idPattern: string },
  ...handlers: [RouteHandler, ...RouteHandler[]]
): void {
  const { id, idPattern } = typeof operation === "string" ? { id: operation, idPattern: null } : operation;
  const { method, path } = OPERATIONS[id];
  const route = path.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === "id" && idPattern !== null ? `:id{${idPattern}}` : `:${name}`,
  );
  app.on(method, route, ...handlers);
}
