import { SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { z } from "zod";
import { API_KEY_SCOPES } from "../api-keys.ts";
import { recordAdminAction } from "../audit/index.ts";
import type { AppEnv } from "../hono-env.ts";
import { KEY_ID_PATTERN } from "../keys/secret.ts";
import { createKey, DEFAULT_ROTATION_GRACE_S, revokeKey, rotateKey } from "../keys/service.ts";
import { d1KeyStore, type StoredKey } from "../keys/store.ts";
import { keyLimitsInputSchema } from "../limits/policy.ts";
import { adminAuth } from "../middleware/auth/admin.ts";
import { limitAdminBody, parseJsonBody, parseQuery } from "./admin-body.ts";

/** The longest grace period a rotation may give the old secret: 30 days. */
export const MAX_ROTATION_GRACE_S = 30 * 24 * 60 * 60;
/** The furthest a key's expiry may lie: 10 years (a longer-lived key should simply not expire). */
export const MAX_KEY_LIFETIME_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** The most models one key may be limited to. */
export const MAX_KEY_MODELS = 64;

const createKeySchema = z.strictObject({
  name: z
    .string("must be a string")
    .trim()
    .min(1, "must not be empty")
    .max(100, "must be at most 100 characters"),
  scopes: z
    .array(z.enum(API_KEY_SCOPES, `must be one of ${API_KEY_SCOPES.join(", ")}`))
    .min(1, "must name at least one scope")
    .transform((scopes) => [...new Set(scopes)])
    .default(["generate", "read"]),
  limits: keyLimitsInputSchema,
  /** The only models the key may use (absent: every model); checked against the catalog below. */
  models: z
    .array(z.string("must be a model id").min(1).max(128), "must be an array of model ids")
    .min(1, "must name at least one model (leave it out for every model)")
    .max(MAX_KEY_MODELS, `must name at most ${MAX_KEY_MODELS} models`)
    .transform((models) => [...new Set(models)])
    .optional(),
  expires_at: z.iso
    .datetime({ offset: true, message: "must be an RFC 3339 date and time, e.g. 2027-01-31T00:00:00Z" })
    .transform((text) => new Date(text).toISOString())
    .refine((iso) => Date.parse(iso) > Date.now(), "must be in the future")
    .refine((iso) => Date.parse(iso) <= Date.now() + MAX_KEY_LIFETIME_MS, "must be at most 10 years away")
    .optional(),
});

/** Refuses a `models` list naming a model this server does not serve: a typo would lock the key out. */
function checkModels(models: readonly string[] | undefined, served: readonly { id: string }[]): void {
  const unknown = models?.find((id) => !served.some((model) => model.id === id));
  if (unknown === undefined) return;
  throw new SdgateError(
    "invalid_request",
    `Invalid 'models': this server serves no model '${unknown.slice(0, 128)}' (it serves ${served.map((model) => model.id).join(", ")}).`,
    { param: "models" },
  );
}

const rotateSchema = z.strictObject({
  grace_seconds: z
    .number("must be a number of seconds")
    .int("must be a whole number of seconds")
    .min(0)
    .max(MAX_ROTATION_GRACE_S)
    .default(DEFAULT_ROTATION_GRACE_S),
});

const listSchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(512).optional(),
});

/** A key as the admin API shows it: never its secret. */
function publicKey(key: StoredKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    limits: key.limits,
    models: key.models ?? null,
    created_at: key.created_at,
    expires_at: key.expires_at ?? null,
    last_used_at: key.last_used_at,
    revoked_at: key.revoked_at,
    status: statusOf(key),
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
 * The admin API for keys (bearer `SDGATE_ADMIN_TOKEN`); every call is appended to the audit chain.
 * - `POST /admin/keys` `{ name, scopes?, limits?, models?, expires_at? }` → 201 with the secret `key`,
 *   shown this once. `models` limits the key to those models (403 `model_not_allowed` for others);
 *   `expires_at` ends the key (401 from then on, like a revoked one).
 * - `GET /admin/keys?limit&cursor` → newest first, no secrets.
 * - `DELETE /admin/keys/{id}` → revoked everywhere at once (the key's Durable Object decides).
 * - `POST /admin/keys/{id}/rotate` `{ grace_seconds? }` → a new secret; the old one works until
 *   `previous_key_expires_at` (default 24 h).
 */
export function registerAdminKeys(app: Hono<AppEnv>): void {
  const admin = adminAuth<AppEnv>({ token: (c) => c.var.config.adminToken });

  app.post("/admin/keys", admin, limitAdminBody, async (c) => {
    const { models, expires_at, ...input } = await parseJsonBody(c, createKeySchema);
    checkModels(models, c.var.config.models);
    const { key, secret } = await createKey(c.var.config, {
      ...input,
      ...(models === undefined ? {} : { models }),
      ...(expires_at === undefined ? {} : { expires_at }),
    });
    await recordAdminAction(c, {
      action: "key.create",
      keyId: key.id,
      status: 201,
      detail: { name: key.name, models: key.models?.join(",") ?? null, expires_at: key.expires_at ?? null },
    });
    return c.json(
      {
        id: key.id,
        key: secret,
        prefix: key.prefix,
        name: key.name,
        scopes: key.scopes,
        limits: key.limits,
        models: key.models ?? null,
        created_at: key.created_at,
        expires_at: key.expires_at ?? null,
      },
      201,
      { "Cache-Control": "no-store" },
    );
  });

  app.get("/admin/keys", admin, async (c) => {
    const query = parseQuery(c, listSchema);
    const before = query.cursor === undefined ? null : decodeCursor(query.cursor);
    const keys = await d1KeyStore(c.var.config.db).list({ limit: query.limit + 1, before });
    const page = keys.slice(0, query.limit);
    const last = page.at(-1);
    await recordAdminAction(c, { action: "key.list", status: 200, detail: { count: page.length } });
    return c.json({
      object: "list",
      data: page.map(publicKey),
      next_cursor: keys.length > query.limit && last ? encodeCursor(last) : null,
    });
  });

  app.delete("/admin/keys/:id", admin, async (c) => {
    const id = keyIdParam(c);
    const result = await revokeKey(c.var.config, id);
    if (!result.ok) {
      await recordAdminAction(c, { action: "key.revoke", keyId: id, status: 404 });
      throw notFound(id);
    }
    await recordAdminAction(c, { action: "key.revoke", keyId: id, status: 200 });
    return c.json({ ...publicKey(result.value), revoked: true });
  });

  app.post("/admin/keys/:id/rotate", admin, limitAdminBody, async (c) => {
    const id = keyIdParam(c);
    const { grace_seconds } = await parseJsonBody(c, rotateSchema);
    const result = await rotateKey(c.var.config, id, grace_seconds);
    if (!result.ok) {
      const status = result.error === "not_found" ? 404 : 400;
      await recordAdminAction(c, { action: "key.rotate", keyId: id, status });
      if (result.error === "not_found") throw notFound(id);
      throw new SdgateError("invalid_request", `The API key '${id}' is revoked; it cannot be rotated.`, {
        param: "id",
      });
    }
    const { key, secret, previous_expires_at } = result.value;
    await recordAdminAction(c, { action: "key.rotate", keyId: id, status: 200, detail: { grace_seconds } });
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
  });
}
