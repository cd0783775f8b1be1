import { TEAM_ID_PATTERN } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { getTeam } from "../../identity/directory/index.ts";
import { noteAudit } from "../../middleware/admin-audit/index.ts";
import { idParam } from "../admin-people/ids.ts";
import { teamProblem } from "./problems.ts";

/**
 * The path's team (`/admin/teams/{id}/…`), which must exist: 404 naming it otherwise. Its id goes
 * into the request's audit row.
 *
 * @example
 * const teamId = await existingTeam(c);
 */
export async function existingTeam(c: Context<AppEnv>): Promise<string> {
  const id = idParam(c, TEAM_ID_PATTERN, "team");
  if ((await getTeam(c.var.config.db, id)) === null) throw teamProblem("not_found", { team_id: id });
  noteAudit(c, { detail: { team_id: id } });
  return id;
}
