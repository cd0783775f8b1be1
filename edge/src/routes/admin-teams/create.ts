import { teamBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { createTeam } from "../../identity/directory/index.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { teamProblem } from "./problems.ts";

/** `POST /admin/teams` `{ name }` → 201 with the team; 409 when the name is taken, whatever its case. */
export function registerCreateTeam(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "createTeam",
    adminGuard("createTeam"),
    adminAudit("team.create"),
    limitAdminBody,
    async (c) => {
      const { name } = await parseJsonBody(c, teamBodySchema);
      const created = await createTeam(c.var.config.db, name);
      if (!created.ok) throw teamProblem(created.error, { team_id: "", name });
      noteChange(c, created.value, { team_id: created.value.after.id });
      return c.json(created.value.after, 201);
    },
  );
}
