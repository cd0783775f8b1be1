import { createRoleMappingBodySchema, type RoleMappingChangeView } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { createRoleMapping } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { requireMayGrant } from "../admin-teams/team-guard.ts";
import { onOperation } from "../operation.ts";
import { mappingProblem } from "./problems.ts";

/**
 * `POST /admin/role-mappings` `{ idp_group, team_id?, role }` → 201 with the rule and the people it
 * changed at once (those whose groups at their last sign-in include it); 409 if the group has a rule
 * for that scope already. No one makes a rule giving more than they hold.
 */
export function registerCreateRoleMapping(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "createRoleMapping",
    adminGuard("createRoleMapping"),
    adminAudit("mapping.create"),
    limitAdminBody,
    async (c) => {
      const body = await parseJsonBody(c, createRoleMappingBodySchema);
      requireMayGrant(c, body.role, body.team_id);
      const created = await createRoleMapping(c.var.config.db, {
        ...body,
        created_by: actorOf(c.var.principal),
      });
      if (!created.ok) throw mappingProblem(created.error, body);
      const { after, memberships } = created.value;
      noteChange(c, created.value, { role_mapping_id: after.id });
      const people = memberships.map((m) => m.user_id);
      noteAudit(c, { detail: { people_changed: people.join(",") } });
      const answer: RoleMappingChangeView = { ...after, people_changed: people };
      return c.json(answer, 201);
    },
  );
}
