import type { KeyWithSecret } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { createKey } from "../../keys/service.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { checkModels, createKeySchema } from "./bodies.ts";
import { definedFields, publicKey } from "./view.ts";

/**
 * `POST /admin/keys` `{ name, scopes?, limits?, models?, allowed_ips?, metadata?, expires_at? }` → 201
 * with the secret `key`, shown this once. `models` limits the key to those models (403
 * `model_not_allowed` for others); `expires_at` ends the key (401 from then on, like a revoked one).
 */
export function registerCreateKey(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "createKey",
    adminGuard("createKey"),
    adminAudit("key.create"),
    limitAdminBody,
    async (c) => {
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
      const created: KeyWithSecret = { ...publicKey(key), key: secret };
      return c.json(created, 201, { "Cache-Control": "no-store" });
    },
  );
}
