import { TEAM_ID_PATTERN } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { getTeam } from "../../identity/directory/index.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { idParam } from "../admin-people/ids.ts";
import { onOperation } from "../operation.ts";
import { teamProblem } from "./problems.ts";
import { teamGuard } from "./team-guard.ts";

/** `GET /admin/teams/{id}` → the team (its members: `GET /admin/teams/{id}/members`). */
export function registerGetTeam(app: Hono<AppEnv>): void {
  onOperation(app, "getTeam", teamGuard("getTeam"), adminAudit("team.read"), async (c) => {
    const id = idParam(c, TEAM_ID_PATTERN, "team");
    noteAudit(c, { detail: { team_id: id } });
    const team = await getTeam(c.var.config.db, id);
    if (!team) throw teamProblem("not_found", { team_id: id });
    return c.json(team);
  });
}
