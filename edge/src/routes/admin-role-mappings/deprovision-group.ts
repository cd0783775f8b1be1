import { type DeprovisionedGroup, deprovisionGroupBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { deprovisionGroup, listRoleMappings } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { requireMayGrant } from "../admin-teams/team-guard.ts";
import { onOperation } from "../operation.ts";

/**
 * `POST /admin/groups/deprovision` `{ idp_group }` → the group's rules deleted, what it gave ended at
 * once, and the people it leaves with no membership signed out. The caller must hold what its rules
 * give. Sending it again finds nothing left to do.
 */
export function registerDeprovisionGroup(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "deprovisionGroup",
    adminGuard("deprovisionGroup"),
    adminAudit("group.deprovision"),
    limitAdminBody,
    async (c) => {
      const { idp_group } = await parseJsonBody(c, deprovisionGroupBodySchema);
      noteAudit(c, { detail: { idp_group } });
      const db = c.var.config.db;
      const rules = (await listRoleMappings(db)).filter((rule) => rule.idp_group === idp_group);
      for (const rule of rules) requireMayGrant(c, rule.role, rule.team_id);
      const done = await deprovisionGroup(db, idp_group);
      noteChange(c, {
        before: {
          role_mappings: done.role_mappings.before,
          memberships: done.memberships.map((m) => ({ user_id: m.user_id, memberships: m.before })),
        },
        after: {
          role_mappings: [],
          memberships: done.memberships.map((m) => ({ user_id: m.user_id, memberships: m.after })),
        },
      });
      noteAudit(c, { detail: { sessions_ended: done.sessions_ended.map((s) => s.user_id).join(",") } });
      const answer: DeprovisionedGroup = {
        idp_group,
        role_mappings_deleted: done.role_mappings.before,
        people_changed: done.memberships.map((m) => m.user_id),
        sessions_ended: done.sessions_ended,
      };
      return c.json(answer);
    },
  );
}
