import { isApiKeyScope, KEY_ID_PATTERN, type KeyView, SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import type { StoredKey } from "../../keys/store.ts";

function statusOf(key: StoredKey): "active" | "revoked" | "expired" {
  if (key.revoked_at !== null) return "revoked";
  if (key.expires_at !== undefined && Date.parse(key.expires_at) <= Date.now()) return "expired";
  return "active";
}

/** A key as the admin API shows it: never its secret. */
export function publicKey(key: StoredKey): KeyView {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes.filter(isApiKeyScope),
    limits: key.limits,
    models: key.models ?? null,
    allowed_ips: key.allowed_ips ?? null,
    metadata: key.metadata ?? {},
    created_at: key.created_at,
    expires_at: key.expires_at ?? null,
    last_used_at: key.last_used_at,
    revoked_at: key.revoked_at,
    status: statusOf(key),
  };
}

/** `body` without the fields it left out (zod's optional fields come back as `undefined`). */
export function definedFields<T extends object>(body: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** The path's `:id`; 404 when it cannot be a key id, so no lookup is made for it. */
export function keyIdParam(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!KEY_ID_PATTERN.test(id)) {
    throw new SdgateError("not_found", `No API key with id '${id.slice(0, 80)}'.`, { param: "id" });
  }
  return id;
}

export function notFound(id: string): SdgateError {
  return new SdgateError("not_found", `No API key with id '${id}'.`, { param: "id" });
}
