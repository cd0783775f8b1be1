import { OPERATIONS, type OperationId, SdgateError } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { adminAuth } from "../keys/admin-auth.ts";
import { personOf } from "./person.ts";
import { BREAK_GLASS, mayEverywhere } from "./principal.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * A cookie rides along with any request a browser makes to this origin, including one another site's
 * page starts: a state-changing request on a session must show it came from this origin. Browsers
 * send `Sec-Fetch-Site` (and `Origin` on POST, PATCH, DELETE); a request with neither did not come
 * from a browser page and is refused too: scripts use an API key or the admin token.
 */
export function checkSameOrigin(c: Context<AppEnv>): void {
  if (SAFE_METHODS.has(c.req.method)) return;
  const site = c.req.header("Sec-Fetch-Site");
  const origin = c.req.header("Origin");
  const sameOrigin = site !== undefined ? site === "same-origin" : origin === new URL(c.req.url).origin;
  if (!sameOrigin) {
    throw new SdgateError(
      "insufficient_scope",
      "A request on a session must come from this origin's own pages (cross-site request refused).",
    );
  }
}

function missingPermission(permission: string): SdgateError {
  return new SdgateError(
    "insufficient_scope",
    `This needs the '${permission}' permission, which you do not hold.`,
  );
}

/**
 * The guard of an admin operation: the admin token (break-glass), or a person (session cookie or
 * Cloudflare Access) whose global role grants the operation's permission; a role in one team never
 * reaches the whole deployment. API keys are refused here (401): they are for `/v1/*`. Puts the
 * caller on `c.var.principal`, which the audit row names.
 *
 * @example
 * onOperation(app, "listAudit", adminGuard("listAudit"), adminAudit("audit.list"), handler);
 */
export function adminGuard(operation: OperationId): MiddlewareHandler<AppEnv> {
  const { permission } = OPERATIONS[operation];
  const token = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });
  return async function adminGuard(c, next) {
    const authorization = c.req.header("Authorization");
    if (authorization !== undefined && authorization.trim() !== "") {
      return token(c, async () => {
        c.set("principal", BREAK_GLASS);
        await next();
      });
    }
    const person = await personOf(c);
    // No person either: the admin token's own 401, which says how to send it.
    if (person === null) return token(c, next);
    if (person.via !== "access") checkSameOrigin(c);
    if (permission !== null && !mayEverywhere(person.principal, permission))
      throw missingPermission(permission);
    c.set("principal", person.principal);
    await next();
  };
}
