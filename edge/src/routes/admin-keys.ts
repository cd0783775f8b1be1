import { isApiKeyScope, type KeyView, SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../hono-env.ts";
import { adminAuth } from "../keys/admin-auth.ts";
import { KEY_ID_PATTERN } from "../keys/secret.ts";
import {
  createKey,
  type KeyChanges,
  keyWithLimits,
  revokeKey,
  rotateKey,
  updateKey,
} from "../keys/service.ts";
import { d1KeyStore, type StoredKey } from "../keys/store.ts";
import { adminAudit, noteAudit } from "../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody, parseQuery } from "./admin-body.ts";
import { checkModels, createKeySchema, rotateSchema, updateKeySchema } from "./admin-key-bodies.ts";

const listSchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional(),
});

/** A key as the admin API shows it: never its secret. */
function publicKey(key: StoredKey): KeyView {
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
function definedFields<T extends object>(body: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

function statusOf(key: StoredKey): "active" | "revoked" | "expired" {
  if (key.revoked_at !== null) return "revoked";
  if (key.expires_at !== undefined && Date.parse(key.expires_at) <= Date.now()) return "expired";
  return "active";
}

function encodeCursor(key: StoredKey): string {
  return btoa(JSON.stringify([key.created_at, key.id])).replaceAll("=", "");
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(atob(cursor)) as unknown[];
    if (typeof createdAt === "string" && typeof id === "string") return { createdAt, id };
  } catch {
    // fall through to the 400
  }
  throw new SdgateError("invalid_request", "Invalid 'cursor': pass the next_cursor of the previous page.", {
    param: "cursor",
  });
}

function keyIdParam(c: Context<AppEnv>): string {
  const id = c.req.param("id") ?? "";
  if (!KEY_ID_PATTERN.test(id)) {
    throw new SdgateError("not_found", `No API key with id '${id.slice(0, 80)}'.`, { param: "id" });
  }
  return id;
}

function notFound(id: string): SdgateError {
  return new SdgateError("not_found", `No API key with id '${id}'.`, { param: "id" });
}

/**
 * The admin API for keys (bearer `SDGATE_ADMIN_TOKEN`); every call is appended to the audit chain
 * (`adminAudit`), whether it succeeds or not.
 * - `POST /admin/keys` `{ name, scopes?, limits?, models?, expires_at? }` → 201 with the secret `key`,
 *   shown this once. `models` limits the key to those models (403 `model_not_allowed` for others);
 *   `expires_at` ends the key (401 from then on, like a revoked one).
 * - `GET /admin/keys?limit&cursor` → newest first, no secrets.
 * - `GET /admin/keys/{id}` → one key, with what is left of its limits now (`remaining`).
 * - `PATCH /admin/keys/{id}` `{ name?, scopes?, limits?, models?, expires_at? }` → the key changed in
 *   place from its next request on (its secrets stay); `null` clears `models` or `expires_at`.
 * - `DELETE /admin/keys/{id}` → revoked everywhere at once (the key's Durable Object decides).
 * - `POST /admin/keys/{id}/rotate` `{ grace_seconds? }` → a new secret; the old one works until
 *   `previous_key_expires_at` (default 24 h).
 */
export function registerAdminKeys(app: Hono<AppEnv>): void {
  const admin = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });

  app.post("/admin/keys", admin, adminAudit("key.create"), limitAdminBody, async (c) => {
    const body = await parseJsonBody(c, createKeySchema);
    checkModels(body.models, c.var.config.models);
    const { key, secret } = await createKey(c.var.config, definedFields(body));
    noteAudit(c, {
      keyId: key.id,
      detail: {
        name: key.name,
        models: key.models?.join(",") ?? null,
        expires_at: key.expires_at ?? null,
        allowed_ips: key.allowed_ips?.join(",") ?? null,
      },
    });
    return c.json({ ...publicKey(key), key: secret }, 201, { "Cache-Control": "no-store" });
  });

  app.get("/admin/keys", admin, adminAudit("key.list"), async (c) => {
    const query = parseQuery(c, listSchema);
    const before = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const keys = await d1KeyStore(c.var.config.db).list({ limit: query.limit + 1, before });
    const page = keys.slice(0, query.limit);
    const last = page.at(-1);
    noteAudit(c, { detail: { count: page.length } });
    return c.json({
      object: "list",
      data: page.map(publicKey),
      next_cursor: keys.length > query.limit && last ? encodeCursor(last) : null,
    });
  });

  app.get("/admin/keys/:id", admin, adminAudit("key.get", { key: "path" }), async (c) => {
    const id = keyIdParam(c);
    const found = await keyWithLimits(c.var.config, id);
    if (!found) throw notFound(id);
    const { limits } = found;
    return c.json({
      ...publicKey(found.key),
      // What is left right now, as the key's RateLimit headers would say it.
      remaining:
        limits === null
          ? null
          : {
              requests: limits.requestsRemaining,
              requests_reset_seconds: limits.requestsResetS,
              concurrency: Math.max(0, limits.limits.concurrency - limits.inFlight),
              in_flight: limits.inFlight,
              credits: limits.creditsRemaining,
            },
    });
  });

  app.patch(
    "/admin/keys/:id",
    admin,
    adminAudit("key.update", { key: "path" }),
    limitAdminBody,
    async (c) => {
      const id = keyIdParam(c);
      const body = await parseJsonBody(c, updateKeySchema);
      checkModels(body.models, c.var.config.models);
      // Only the fields the body named: an absent field keeps its value, `null` clears it.
      const changes: KeyChanges = definedFields(body);
      noteAudit(c, { detail: { fields: Object.keys(changes).sort().join(",") } });
      const result = await updateKey(c.var.config, id, changes);
      if (!result.ok) {
        if (result.error === "not_found") throw notFound(id);
        throw new SdgateError("invalid_request", `The API key '${id}' is revoked; it cannot be changed.`, {
          param: "id",
        });
      }
      return c.json(publicKey(result.value));
    },
  );

  app.delete("/admin/keys/:id", admin, adminAudit("key.revoke", { key: "path" }), async (c) => {
    const id = keyIdParam(c);
    const result = await revokeKey(c.var.config, id);
    if (!result.ok) throw notFound(id);
    return c.json({ ...publicKey(result.value), revoked: true });
  });

  app.post(
    "/admin/keys/:id/rotate",
    admin,
    adminAudit("key.rotate", { key: "path" }),
    limitAdminBody,
    async (c) => {
      const id = keyIdParam(c);
      const { grace_seconds } = await parseJsonBody(c, rotateSchema);
      const result = await rotateKey(c.var.config, id, grace_seconds);
      if (!result.ok) {
        if (result.error === "not_found") throw notFound(id);
        throw new SdgateError("invalid_request", `The API key '${id}' is revoked; it cannot be rotated.`, {
          param: "id",
        });
      }
      const { key, secret, previous_expires_at } = result.value;
      noteAudit(c, { detail: { grace_seconds } });
      return c.json(
        {
          ...publicKey(key),
          key: secret,
          previous_key_expires_at: previous_expires_at,
          grace_seconds,
        },
        200,
        { "Cache-Control": "no-store" },
      );
    },
  );
}
