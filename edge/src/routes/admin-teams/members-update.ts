import { updateTeamMemberBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { changeMemberRole } from "../../identity/directory/index.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { memberNotFound, memberOf } from "./member-param.ts";
import { teamProblem } from "./problems.ts";
import { requireMayGrant, teamGuard } from "./team-guard.ts";

/**
 * `PATCH /admin/teams/{id}/members/{user_id}` `{ role }` → the membership, now given by hand (sign-in
 * no longer recomputes it from a role mapping).
 */
export function registerUpdateTeamMember(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "updateTeamMember",
    teamGuard("updateTeamMember"),
    adminAudit("member.update"),
    limitAdminBody,
    async (c) => {
      const ids = memberOf(c);
      const { role } = await parseJsonBody(c, updateTeamMemberBodySchema);
      requireMayGrant(c, role, ids.team_id);
      const changed = await changeMemberRole(c.var.config.db, { ...ids, role });
      if (!changed.ok)
        throw changed.error === "not_found" ? await memberNotFound(c, ids) : teamProblem(changed.error, ids);
      noteChange(c, changed.value, ids);
      return c.json(changed.value.after);
    },
  );
}
