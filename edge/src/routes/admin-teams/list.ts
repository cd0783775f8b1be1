import type { TeamList } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { listTeams } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";

/** `GET /admin/teams` → every team, by name. */
export function registerListTeams(app: Hono<AppEnv>): void {
  onOperation(app, "listTeams", adminGuard("listTeams"), adminAudit("team.list"), async (c) => {
    const teams = await listTeams(c.var.config.db);
    noteAudit(c, { detail: { count: teams.length } });
    const list: TeamList = { object: "list", data: teams };
    return c.json(list);
  });
}
