import type { KeyWithSecret } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { getTeam, recordKeyOwner } from "../../identity/directory/index.ts";
import { createKey } from "../../keys/service.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { checkModelGrants } from "../../model-registry/grants.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { notFound } from "../admin-people/ids.ts";
import { requireInTeam, teamGuard } from "../admin-teams/team-guard.ts";
import { onOperation } from "../operation.ts";
import { createKeySchema } from "./bodies.ts";
import { definedFields, publicKey } from "./view.ts";

/**
 * `POST /admin/keys` `{ name, scopes?, limits?, models?, allowed_ips?, metadata?, expires_at?, team_id? }`
 * → 201 with the secret `key`, shown this once. `models` limits the key to those models (403
 * `model_not_allowed` for others); `expires_at` ends the key (401 from then on, like a revoked one);
 * `team_id` makes the team its owner, and lets a person with `keys.create` in that team make it. A
 * person is recorded as the key's maker, so deprovisioning them finds it.
 */
export function registerCreateKey(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "createKey",
    teamGuard("createKey"),
    adminAudit("key.create"),
    limitAdminBody,
    async (c) => {
      const { team_id: teamId = null, ...body } = await parseJsonBody(c, createKeySchema);
      requireInTeam(c, "keys.create", teamId);
      await checkModelGrants(body.models, c.var.config, "models");
      const db = c.var.config.db;
      if (teamId !== null && !(await getTeam(db, teamId))) throw notFound("team", teamId, "team_id");
      const { key, secret } = await createKey(c.var.config, definedFields(body));
      const principal = c.var.principal;
      const maker = principal.kind === "user" ? principal.id : null;
      // Before the secret is handed out, so the key is never used without its owner.
      if (teamId !== null || maker !== null)
        await recordKeyOwner(db, key.id, { team_id: teamId, created_by_user_id: maker });
      noteAudit(c, {
        keyId: key.id,
        detail: {
          name: key.name,
          models: key.models?.join(",") ?? null,
          expires_at: key.expires_at ?? null,
          allowed_ips: key.allowed_ips?.join(",") ?? null,
          team_id: teamId,
        },
      });
      const created: KeyWithSecret = { ...publicKey(key), key: secret };
      return c.json(created, 201, { "Cache-Control": "no-store" });
    },
  );
}
