import type { RevokedKey } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { revokeKey } from "../../keys/service.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";
import { keyIdParam, notFound, publicKey } from "./view.ts";

/** `DELETE /admin/keys/{id}` → revoked everywhere at once (the key's Durable Object decides). */
export function registerRevokeKey(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "revokeKey",
    adminGuard("revokeKey"),
    adminAudit("key.revoke", { key: "path" }),
    async (c) => {
      const id = keyIdParam(c);
      const result = await revokeKey(c.var.config, id);
      if (!result.ok) throw notFound(id);
      const revoked: RevokedKey = { ...publicKey(result.value), revoked: true };
      return c.json(revoked);
    },
  );
}
