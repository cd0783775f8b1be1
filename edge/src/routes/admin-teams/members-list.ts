import { TEAM_ID_PATTERN, type TeamMemberList } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { getTeam, listTeamMembers } from "../../identity/directory/index.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { idParam } from "../admin-people/ids.ts";
import { usersById } from "../admin-people/people-store.ts";
import { onOperation } from "../operation.ts";
import { teamProblem } from "./problems.ts";
import { teamGuard } from "./team-guard.ts";

/** `GET /admin/teams/{id}/members` → the members, by person id, with their email and name. */
export function registerListTeamMembers(app: Hono<AppEnv>): void {
  onOperation(app, "listTeamMembers", teamGuard("listTeamMembers"), adminAudit("member.list"), async (c) => {
    const id = idParam(c, TEAM_ID_PATTERN, "team");
    const db = c.var.config.db;
    if (!(await getTeam(db, id))) throw teamProblem("not_found", { team_id: id });
    const members = await listTeamMembers(db, id);
    const people = await usersById(
      db,
      members.map((m) => m.user_id),
    );
    noteAudit(c, { detail: { team_id: id, count: members.length } });
    const list: TeamMemberList = {
      object: "list",
      data: members.map((m) => {
        const person = people.get(m.user_id);
        return {
          ...m,
          email: person?.email ?? null,
          name: person?.name ?? null,
          disabled_at: person?.disabled_at ?? null,
        };
      }),
    };
    return c.json(list);
  });
}
