import { TEAM_ID_PATTERN, USER_ID_PATTERN } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { getTeam } from "../../identity/directory/index.ts";
import { idParam } from "../admin-people/ids.ts";
import { teamProblem } from "./problems.ts";

/** The team and person a member's path names (`/admin/teams/{id}/members/{user_id}`); 404 if malformed. */
export function memberOf(c: Context<AppEnv>): { team_id: string; user_id: string } {
  const teamId = idParam(c, TEAM_ID_PATTERN, "team");
  const userId = c.req.param("user_id") ?? "";
  if (!USER_ID_PATTERN.test(userId))
    throw teamProblem("member_not_found", { team_id: teamId, user_id: userId.slice(0, 80) });
  return { team_id: teamId, user_id: userId };
}

/** Why a member was not found: the team is unknown, or the person is not in it. */
export async function memberNotFound(c: Context<AppEnv>, ids: { team_id: string; user_id: string }) {
  const team = await getTeam(c.var.config.db, ids.team_id);
  return teamProblem(team ? "member_not_found" : "team_not_found", ids);
}
