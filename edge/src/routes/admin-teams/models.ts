import { type TeamModelsView, teamModelsBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { checkModelGrants } from "../../model-registry/grants.ts";
import { getTeamModels, setTeamModels } from "../../policies/team-models.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingTeam } from "./existing-team.ts";
import { teamProblem } from "./problems.ts";
import { teamGuard } from "./team-guard.ts";

function viewOf(teamId: string, models: string[] | null): TeamModelsView {
  return { object: "team.models", team_id: teamId, models };
}

/**
 * The models a team's keys may use (`/admin/teams/{id}/models`): reading takes `members.read`
 * everywhere or in that team; granting takes `policies.manage`, which only a global admin holds.
 * A grant must name what this edge serves (a typo would lock the team out). Changes are audited
 * with before and after.
 */
export function registerTeamModels(app: Hono<AppEnv>): void {
  onOperation(app, "getTeamModels", teamGuard("getTeamModels"), adminAudit("grants.read"), async (c) => {
    const teamId = await existingTeam(c);
    const models = await getTeamModels(c.var.config.db, teamId);
    if (models === undefined) throw teamProblem("not_found", { team_id: teamId });
    return c.json(viewOf(teamId, models));
  });

  onOperation(
    app,
    "setTeamModels",
    adminGuard("setTeamModels"),
    adminAudit("grants.set"),
    limitAdminBody,
    async (c) => {
      const teamId = await existingTeam(c);
      const { models } = await parseJsonBody(c, teamModelsBodySchema);
      await checkModelGrants(models, c.var.config, "models");
      const change = await setTeamModels(c.var.config.db, teamId, models);
      // Deleted between the check and the write.
      if (change === undefined) throw teamProblem("not_found", { team_id: teamId });
      noteChange(c, change, { team_id: teamId });
      return c.json(viewOf(teamId, change.after));
    },
  );
}
