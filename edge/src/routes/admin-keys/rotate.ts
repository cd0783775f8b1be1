import { type KeyWithSecret, rotateKeyBodySchema, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { rotateKey } from "../../keys/service.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { keyIdParam, notFound, publicKey } from "./view.ts";

/**
 * `POST /admin/keys/{id}/rotate` `{ grace_seconds? }` → a new secret, shown this once; the old one
 * works until `previous_key_expires_at` (default 24 h).
 */
export function registerRotateKey(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "rotateKey",
    adminGuard("rotateKey"),
    adminAudit("key.rotate", { key: "path" }),
    limitAdminBody,
    async (c) => {
      const id = keyIdParam(c);
      const { grace_seconds } = await parseJsonBody(c, rotateKeyBodySchema);
      const result = await rotateKey(c.var.config, id, grace_seconds);
      if (!result.ok) {
        if (result.error === "not_found") throw notFound(id);
        throw new SdgateError("invalid_request", `The API key '${id}' is revoked; it cannot be rotated.`, {
          param: "id",
        });
      }
      const { key, secret, previous_expires_at } = result.value;
      noteAudit(c, { detail: { grace_seconds } });
      const rotated: KeyWithSecret = {
        ...publicKey(key),
        key: secret,
        previous_key_expires_at: previous_expires_at,
        grace_seconds,
      };
      return c.json(rotated, 200, { "Cache-Control": "no-store" });
    },
  );
}
