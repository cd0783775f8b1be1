import { SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { type KeyChanges, updateKey } from "../../keys/service.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { checkModelGrants } from "../../model-registry/grants.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { updateKeySchema } from "./bodies.ts";
import { definedFields, keyIdParam, notFound, publicKey } from "./view.ts";

/**
 * `PATCH /admin/keys/{id}` `{ name?, scopes?, limits?, models?, allowed_ips?, metadata?, expires_at? }`
 * → the key changed in place from its next request on (its secrets stay); `null` clears `models`,
 * `expires_at`, `allowed_ips` or `metadata`.
 */
export function registerUpdateKey(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "updateKey",
    adminGuard("updateKey"),
    adminAudit("key.update", { key: "path" }),
    limitAdminBody,
    async (c) => {
      const id = keyIdParam(c);
      const body = await parseJsonBody(c, updateKeySchema);
      await checkModelGrants(body.models, c.var.config, "models");
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
}
