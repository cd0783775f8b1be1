import { KEY_SCOPE_PERMISSIONS, PERMISSIONS, type Permission, type Principal } from "@sdgate/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { personOf } from "../identity/person.ts";
import { BREAK_GLASS } from "../identity/principal.ts";
import { adminAuth } from "../keys/admin-auth.ts";
import type { ApiKey } from "../keys/api-key.ts";
import { auth } from "../keys/auth.ts";
import { apiKeyStore } from "../keys/lookup.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { adminAudit } from "../middleware/admin-audit/index.ts";
import { onOperation } from "./operation.ts";

/** What a key's scopes grant, each once, in `PERMISSIONS` order; a scope no longer known grants nothing. */
function keyPermissions(scopes: readonly string[]): Permission[] {
  const granted = new Set<Permission>(
    scopes.flatMap((scope) =>
      scope === "read" || scope === "generate" ? [...KEY_SCOPE_PERMISSIONS[scope]] : [],
    ),
  );
  return PERMISSIONS.filter((permission) => granted.has(permission));
}

function keyPrincipal(key: ApiKey): Principal {
  return {
    object: "principal",
    kind: "key",
    id: key.id,
    name: key.name,
    email: null,
    teams: [],
    roles: [],
    permissions: keyPermissions(key.scopes),
  };
}

/**
 * The guard of a route any credential may call: an API key (`sk_…`) is looked up and confirmed as on
 * every key route (a revoked key hears 401); another bearer token must be the admin token (its use
 * audited as break-glass, like every admin action); without one, a person's session or Cloudflare
 * Access assertion; else 401.
 */
function anyCredential(): MiddlewareHandler<AppEnv> {
  const key = auth<AppEnv>({ store: (c: Context<AppEnv>) => apiKeyStore(c.get("config")) });
  const admin = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });
  const audited = adminAudit("principal.read");
  return async function anyCredential(c, next) {
    const authorization = c.req.header("Authorization") ?? "";
    const bearer = /^Bearer +(\S+) *$/i.exec(authorization)?.[1] ?? "";
    if (bearer.startsWith("sk_")) return key(c, next);
    if (authorization.trim() === "") {
      const person = await personOf(c);
      if (person !== null) {
        c.set("principal", person.principal);
        return next();
      }
    }
    return admin(c, async () => {
      c.set("principal", BREAK_GLASS);
      await audited(c, next);
    });
  };
}

/**
 * `GET /v1/me`: who the caller is, for every kind of credential: the key (its scopes' permissions;
 * it counts one request against the key's rate), a person or service (their roles' permissions), or
 * the admin token (`break_glass`, every permission).
 */
export function registerMe(app: Hono<AppEnv>): void {
  onOperation(app, "getMe", anyCredential(), async (c) => {
    const apiKey = c.get("apiKey") as ApiKey | undefined;
    if (apiKey === undefined) return c.json(c.var.principal, 200, { "Cache-Control": "no-store" });
    await admitRequestOnly(c);
    return c.json(keyPrincipal(apiKey), 200, { "Cache-Control": "no-store" });
  });
}
