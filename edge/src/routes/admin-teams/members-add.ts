import { addTeamMemberBodySchema, TEAM_ID_PATTERN } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { addMember } from "../../identity/directory/index.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { idParam } from "../admin-people/ids.ts";
import { onOperation } from "../operation.ts";
import { teamProblem } from "./problems.ts";
import { requireMayGrant, teamGuard } from "./team-guard.ts";

/**
 * `POST /admin/teams/{id}/members` `{ user_id, role }` → 201 with the membership, given by hand;
 * 409 if they are a member already. A team admin gives only roles whose permissions they hold there.
 */
export function registerAddTeamMember(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "addTeamMember",
    teamGuard("addTeamMember"),
    adminAudit("member.add"),
    limitAdminBody,
    async (c) => {
      const teamId = idParam(c, TEAM_ID_PATTERN, "team");
      const body = await parseJsonBody(c, addTeamMemberBodySchema);
      requireMayGrant(c, body.role, teamId);
      const added = await addMember(c.var.config.db, { ...body, team_id: teamId });
      if (!added.ok) throw teamProblem(added.error, { team_id: teamId, user_id: body.user_id });
      noteChange(c, added.value, { team_id: teamId, user_id: body.user_id });
      return c.json(added.value.after, 201);
    },
  );
}
