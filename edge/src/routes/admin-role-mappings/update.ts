import {
  ROLE_MAPPING_ID_PATTERN,
  type RoleMappingChangeView,
  updateRoleMappingBodySchema,
} from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { changeRoleMapping, getRoleMapping } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { idParam } from "../admin-people/ids.ts";
import { requireMayGrant } from "../admin-teams/team-guard.ts";
import { onOperation } from "../operation.ts";
import { mappingProblem } from "./problems.ts";

/**
 * `PATCH /admin/role-mappings/{id}` `{ role }` → the rule and the people it changed at once. The
 * caller must hold what the rule gives, before and after.
 */
export function registerUpdateRoleMapping(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "updateRoleMapping",
    adminGuard("updateRoleMapping"),
    adminAudit("mapping.update"),
    limitAdminBody,
    async (c) => {
      const id = idParam(c, ROLE_MAPPING_ID_PATTERN, "role mapping");
      const { role } = await parseJsonBody(c, updateRoleMappingBodySchema);
      const db = c.var.config.db;
      const current = await getRoleMapping(db, id);
      if (!current) throw mappingProblem("not_found", { id });
      requireMayGrant(c, current.role, current.team_id);
      requireMayGrant(c, role, current.team_id);
      const changed = await changeRoleMapping(db, id, role);
      if (!changed.ok) throw mappingProblem(changed.error, { id });
      const { after, memberships } = changed.value;
      noteChange(c, changed.value, { role_mapping_id: id });
      const people = memberships.map((m) => m.user_id);
      noteAudit(c, { detail: { people_changed: people.join(",") } });
      const answer: RoleMappingChangeView = { ...after, people_changed: people };
      return c.json(answer);
    },
  );
}
