import { KEY_SCOPE_PERMISSIONS, PERMISSIONS, type Permission, type Principal } from "@sdgate/shared";
import type { Context, Hono, MiddlewareHandler } from "hono";
import type { AppEnv } from "../hono-env.ts";
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

const BREAK_GLASS: Principal = {
  object: "principal",
  kind: "break_glass",
  id: "admin_token",
  name: "SDGATE_ADMIN_TOKEN",
  email: null,
  teams: [],
  roles: ["admin"],
  permissions: [...PERMISSIONS],
};

/**
 * The guard of a route any credential may call: an API key (`sk_…`) is looked up and confirmed as on
 * every key route (a revoked key hears 401); anything else must be the admin token, and its use is
 * audited as break-glass like every admin action.
 */
function anyCredential(): MiddlewareHandler<AppEnv> {
  const key = auth<AppEnv>({ store: (c: Context<AppEnv>) => apiKeyStore(c.get("config")) });
  const admin = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });
  const audited = adminAudit("principal.read");
  return async function anyCredential(c, next) {
    const bearer = /^Bearer +(\S+) *$/i.exec(c.req.header("Authorization") ?? "")?.[1] ?? "";
    if (bearer.startsWith("sk_")) return key(c, next);
    return admin(c, async () => {
      await audited(c, next);
    });
  };
}

/**
 * `GET /v1/me`: who the caller is, for every kind of credential: the key (its scopes' permissions;
 * it counts one request against the key's rate) or the admin token (`break_glass`, every permission).
 */
export function registerMe(app: Hono<AppEnv>): void {
  onOperation(app, "getMe", anyCredential(), async (c) => {
    const apiKey = c.get("apiKey") as ApiKey | undefined;
    if (apiKey === undefined) return c.json(BREAK_GLASS, 200, { "Cache-Control": "no-store" });
    await admitRequestOnly(c);
    return c.json(keyPrincipal(apiKey), 200, { "Cache-Control": "no-store" });
  });
}
