import { TEAM_ID_PATTERN, teamBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { renameTeam } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { idParam } from "../admin-people/ids.ts";
import { onOperation } from "../operation.ts";
import { teamProblem } from "./problems.ts";

/** `PATCH /admin/teams/{id}` `{ name }` → the renamed team; 409 when another team has the name. */
export function registerUpdateTeam(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "updateTeam",
    adminGuard("updateTeam"),
    adminAudit("team.rename"),
    limitAdminBody,
    async (c) => {
      const id = idParam(c, TEAM_ID_PATTERN, "team");
      const { name } = await parseJsonBody(c, teamBodySchema);
      const renamed = await renameTeam(c.var.config.db, id, name);
      if (!renamed.ok) throw teamProblem(renamed.error, { team_id: id, name });
      noteChange(c, renamed.value, { team_id: id });
      return c.json(renamed.value.after);
    },
  );
}
