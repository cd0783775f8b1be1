import { SdgateError, type TeamBudgetStatus, teamBudgetBodySchema, type WebhookSecret } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { budgetAlertSecret, readTeamBudget, removeTeamBudget, setTeamBudget } from "../../budgets/index.ts";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { WEBHOOK_HEADERS } from "../../webhooks/signature.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { existingTeam } from "./existing-team.ts";
import { teamProblem } from "./problems.ts";
import { teamGuard } from "./team-guard.ts";

async function statusOf(c: Context<AppEnv>, teamId: string): Promise<TeamBudgetStatus> {
  const { budget, usage } = await readTeamBudget(c.var.config, teamId);
  return { object: "team.budget", team_id: teamId, budget, usage };
}

/**
 * A team's monthly budget (`/admin/teams/{id}/budget`): reading it takes `usage.read` everywhere or in
 * that team; setting, removing it and reading its alerts' signing secret take `budgets.manage`, which
 * only a global role holds (a team's own admin raising its limit would make it no limit). Changes are
 * audited with before and after.
 */
export function registerTeamBudget(app: Hono<AppEnv>): void {
  onOperation(app, "getTeamBudget", teamGuard("getTeamBudget"), adminAudit("budget.read"), async (c) =>
    c.json(await statusOf(c, await existingTeam(c))),
  );

  onOperation(
    app,
    "setTeamBudget",
    adminGuard("setTeamBudget"),
    adminAudit("budget.set"),
    limitAdminBody,
    async (c) => {
      const teamId = await existingTeam(c);
      const settings = await parseJsonBody(c, teamBudgetBodySchema);
      const change = await setTeamBudget(c.var.config, teamId, settings);
      if (change === null) throw teamProblem("not_found", { team_id: teamId });
      noteChange(c, change, { team_id: teamId });
      return c.json(await statusOf(c, teamId));
    },
  );

  onOperation(
    app,
    "deleteTeamBudget",
    adminGuard("deleteTeamBudget"),
    adminAudit("budget.remove"),
    async (c) => {
      const teamId = await existingTeam(c);
      const before = await removeTeamBudget(c.var.config, teamId);
      noteChange(c, { before, after: null }, { team_id: teamId });
      return c.json(await statusOf(c, teamId));
    },
  );

  onOperation(
    app,
    "getTeamBudgetAlertSecret",
    adminGuard("getTeamBudgetAlertSecret"),
    adminAudit("budget.secret"),
    async (c) => {
      const teamId = await existingTeam(c);
      const serverSecret = c.var.config.jobs.webhookSecret;
      if (serverSecret === null)
        throw new SdgateError("not_found", "Webhooks are not enabled on this server.");
      const secret: WebhookSecret = {
        object: "webhook.secret",
        key: await budgetAlertSecret(serverSecret, teamId),
        headers: Object.values(WEBHOOK_HEADERS),
      };
      return c.json(secret, 200, { "Cache-Control": "no-store" });
    },
  );
}
