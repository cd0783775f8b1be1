import { type TeamPolicyView, teamPolicyBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { getTeamPolicy, removeTeamPolicy, type StoredPolicy, setTeamPolicy } from "../../policies/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingTeam } from "./existing-team.ts";
import { teamGuard } from "./team-guard.ts";

function viewOf(teamId: string, stored: StoredPolicy | null): TeamPolicyView {
  return {
    object: "team.policy",
    team_id: teamId,
    policy: stored?.policy ?? null,
    updated_at: stored?.updated_at ?? null,
    updated_by: stored?.updated_by ?? null,
  };
}

/**
 * A team's prompt policy (`/admin/teams/{id}/policy`): reading it takes `members.read` everywhere or
 * in that team (a team's people may know their rules); setting and removing it take
 * `policies.manage`, which only a global admin holds. Changes are audited with before and after.
 */
export function registerTeamPolicy(app: Hono<AppEnv>): void {
  onOperation(app, "getTeamPolicy", teamGuard("getTeamPolicy"), adminAudit("policy.read"), async (c) => {
    const teamId = await existingTeam(c);
    return c.json(viewOf(teamId, await getTeamPolicy(c.var.config.db, teamId)));
  });

  onOperation(
    app,
    "setTeamPolicy",
    adminGuard("setTeamPolicy"),
    adminAudit("policy.set"),
    limitAdminBody,
    async (c) => {
      const teamId = await existingTeam(c);
      const body = await parseJsonBody(c, teamPolicyBodySchema);
      const change = await setTeamPolicy(c.var.config.db, teamId, body, { by: actorOf(c.var.principal) });
      noteChange(
        c,
        { before: change.before?.policy ?? null, after: change.after.policy },
        { team_id: teamId },
      );
      return c.json(viewOf(teamId, change.after));
    },
  );

  onOperation(
    app,
    "deleteTeamPolicy",
    adminGuard("deleteTeamPolicy"),
    adminAudit("policy.remove"),
    async (c) => {
      const teamId = await existingTeam(c);
      const change = await removeTeamPolicy(c.var.config.db, teamId);
      noteChange(c, { before: change.before?.policy ?? null, after: null }, { team_id: teamId });
      return c.json(viewOf(teamId, null));
    },
  );
}
