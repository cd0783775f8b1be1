import { ROLE_MAPPING_ID_PATTERN, type RoleMappingChangeView } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { deleteRoleMapping, getRoleMapping } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { idParam } from "../admin-people/ids.ts";
import { requireMayGrant } from "../admin-teams/team-guard.ts";
import { onOperation } from "../operation.ts";
import { mappingProblem } from "./problems.ts";

/**
 * `DELETE /admin/role-mappings/{id}` → the rule as it was and the people it changed: what it gave
 * ends at once. The caller must hold what the rule gives.
 */
export function registerDeleteRoleMapping(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "deleteRoleMapping",
    adminGuard("deleteRoleMapping"),
    adminAudit("mapping.delete"),
    async (c) => {
      const id = idParam(c, ROLE_MAPPING_ID_PATTERN, "role mapping");
      const db = c.var.config.db;
      const current = await getRoleMapping(db, id);
      if (!current) throw mappingProblem("not_found", { id });
      requireMayGrant(c, current.role, current.team_id);
      const deleted = await deleteRoleMapping(db, id);
      if (!deleted.ok) throw mappingProblem(deleted.error, { id });
      const { before, memberships } = deleted.value;
      noteChange(c, deleted.value, { role_mapping_id: id });
      const people = memberships.map((m) => m.user_id);
      noteAudit(c, { detail: { people_changed: people.join(",") } });
      const answer: RoleMappingChangeView = { ...before, people_changed: people, deleted: true };
      return c.json(answer);
    },
  );
}
