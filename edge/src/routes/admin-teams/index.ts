import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerTeamBudget } from "./budget.ts";
import { registerCreateTeam } from "./create.ts";
import { registerDeleteTeam } from "./delete.ts";
import { registerGetTeam } from "./get.ts";
import { registerListTeams } from "./list.ts";
import { registerAddTeamMember } from "./members-add.ts";
import { registerListTeamMembers } from "./members-list.ts";
import { registerRemoveTeamMember } from "./members-remove.ts";
import { registerUpdateTeamMember } from "./members-update.ts";
import { registerTeamModels } from "./models.ts";
import { registerTeamPolicy } from "./policy.ts";
import { registerUpdateTeam } from "./update.ts";

/**
 * The admin API for teams and their members (`/admin/teams`), one file per endpoint. Making, renaming
 * and deleting teams takes `teams.manage` everywhere; reading a team and managing its members, the
 * permission in that team too (`teamGuard`). Every call is audited, a change with its before and after.
 */
export function registerAdminTeams(app: Hono<AppEnv>): void {
  registerListTeams(app);
  registerCreateTeam(app);
  registerGetTeam(app);
  registerUpdateTeam(app);
  registerDeleteTeam(app);
  registerListTeamMembers(app);
  registerAddTeamMember(app);
  registerUpdateTeamMember(app);
  registerRemoveTeamMember(app);
  registerTeamBudget(app);
  registerTeamPolicy(app);
  registerTeamModels(app);
}
