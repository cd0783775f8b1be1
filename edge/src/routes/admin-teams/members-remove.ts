import type { RemovedMember } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { removeMember } from "../../identity/directory/index.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { memberNotFound, memberOf } from "./member-param.ts";
import { teamGuard } from "./team-guard.ts";

/**
 * `DELETE /admin/teams/{id}/members/{user_id}` → the membership as it was. One a role mapping gave
 * returns at the person's next sign-in while the rule and their group stand.
 */
export function registerRemoveTeamMember(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "removeTeamMember",
    teamGuard("removeTeamMember"),
    adminAudit("member.remove"),
    async (c) => {
      const ids = memberOf(c);
      const removed = await removeMember(c.var.config.db, ids);
      if (!removed.ok) throw await memberNotFound(c, ids);
      noteChange(c, removed.value, ids);
      const answer: RemovedMember = { ...removed.value.before, removed: true };
      return c.json(answer);
    },
  );
}
