import { type DeletedTeam, TEAM_ID_PATTERN } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { deleteTeam } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { idParam } from "../admin-people/ids.ts";
import { onOperation } from "../operation.ts";
import { teamProblem } from "./problems.ts";

/**
 * `DELETE /admin/teams/{id}` → the team as it was, with its memberships and role mappings gone (the
 * audit row keeps them); 409 while it owns a key that works.
 */
export function registerDeleteTeam(app: Hono<AppEnv>): void {
  onOperation(app, "deleteTeam", adminGuard("deleteTeam"), adminAudit("team.delete"), async (c) => {
    const id = idParam(c, TEAM_ID_PATTERN, "team");
    const deleted = await deleteTeam(c.var.config.db, id);
    if (!deleted.ok) throw teamProblem(deleted.error, { team_id: id });
    noteChange(c, deleted.value, { team_id: id });
    const answer: DeletedTeam = { ...deleted.value.before.team, deleted: true };
    return c.json(answer);
  });
}
