import {
  type BudgetUsage,
  SdgateError,
  type TeamBudgetView,
  type teamBudgetBodySchema,
} from "@sdgate/shared";
import type { z } from "zod";
import type { EdgeConfig } from "../env.ts";
import { checkWebhookUrl, WEBHOOK_URL_HEADER } from "../webhooks/url.ts";

/** What the budget functions read of the edge's config. */
export type BudgetConfig = Pick<EdgeConfig, "db" | "teamBudget" | "keyState" | "jobs">;

/** A team budget as `teamBudgetBodySchema` parses an admin's body. */
export type TeamBudgetSettings = z.output<typeof teamBudgetBodySchema>;

type Row = TeamBudgetView;

const ALERT_URL_PARAM = "alert_webhook_url";

// The same rules as a job's webhook (https to a public host; loopback only where the server allows
// it), answered in this field's name.
function checkedAlertUrl(config: BudgetConfig, url: string | null): string | null {
  if (url === null) return null;
  if (config.jobs.webhookSecret === null) {
    throw new SdgateError("invalid_request", "Webhooks are not enabled on this server.", {
      param: ALERT_URL_PARAM,
    });
  }
  try {
    return checkWebhookUrl(url, { allowLoopback: config.jobs.allowLoopbackWebhooks });
  } catch (error) {
    if (!(error instanceof SdgateError)) throw error;
    throw new SdgateError("invalid_request", error.message.replace(WEBHOOK_URL_HEADER, ALERT_URL_PARAM), {
      param: ALERT_URL_PARAM,
      cause: error,
    });
  }
}

async function budgetRow(config: BudgetConfig, teamId: string): Promise<Row | null> {
  return config.db
    .prepare(
      "SELECT team_id, monthly_credits, soft_percent, alert_webhook_url, updated_at FROM budgets WHERE team_id = ?",
    )
    .bind(teamId)
    .first<Row>();
}

/**
 * Sets team `teamId`'s monthly budget: D1's `budgets` first (the record), then the team's
 * `TeamBudget` object, which enforces it from the next admission on (what was spent this month
 * carries over). Answers the budget before (`null`: none) and after, for the audit; `null` when there
 * is no such team. Throws a 400 naming `alert_webhook_url` for a URL the edge may not call.
 *
 * @example
 * const changed = await setTeamBudget(config, teamId, teamBudgetBodySchema.parse(await c.req.json()));
 * if (changed === null) throw new SdgateError("not_found", "No such team.");
 */
export async function setTeamBudget(
  config: BudgetConfig,
  teamId: string,
  settings: TeamBudgetSettings,
): Promise<{ before: TeamBudgetView | null; after: TeamBudgetView } | null> {
  const alertUrl = checkedAlertUrl(config, settings.alert_webhook_url);
  const team = await config.db
    .prepare("SELECT name FROM teams WHERE id = ?")
    .bind(teamId)
    .first<{ name: string }>();
  if (team === null) return null;
  const before = await budgetRow(config, teamId);
  const after: TeamBudgetView = {
    team_id: teamId,
    monthly_credits: settings.monthly_credits,
    soft_percent: settings.soft_percent,
    alert_webhook_url: alertUrl,
    updated_at: new Date().toISOString(),
  };
  await config.db
    .prepare(
      `INSERT INTO budgets (team_id, monthly_credits, soft_percent, alert_webhook_url, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (team_id) DO UPDATE SET monthly_credits = excluded.monthly_credits, soft_percent = excluded.soft_percent,
         alert_webhook_url = excluded.alert_webhook_url, updated_at = excluded.updated_at`,
    )
    .bind(teamId, after.monthly_credits, after.soft_percent, after.alert_webhook_url, after.updated_at)
    .run();
  await config.teamBudget.getByName(teamId).configure({
    teamId,
    teamName: team.name,
    monthlyCredits: after.monthly_credits,
    softPercent: after.soft_percent,
    alertWebhookUrl: after.alert_webhook_url,
  });
  return { before, after };
}

/**
 * Removes team `teamId`'s budget: its keys are then limited by their own limits only. Answers the
 * budget it had (`null`: none).
 *
 * @example
 * const removed = await removeTeamBudget(config, teamId);
 */
export async function removeTeamBudget(config: BudgetConfig, teamId: string): Promise<TeamBudgetView | null> {
  const before = await budgetRow(config, teamId);
  if (before === null) return null;
  await config.db.prepare("DELETE FROM budgets WHERE team_id = ?").bind(teamId).run();
  const team = await config.db
    .prepare("SELECT name FROM teams WHERE id = ?")
    .bind(teamId)
    .first<{ name: string }>();
  await config.teamBudget.getByName(teamId).configure({
    teamId,
    teamName: team?.name ?? teamId,
    monthlyCredits: null,
    softPercent: before.soft_percent,
    alertWebhookUrl: null,
  });
  return before;
}

/**
 * Team `teamId`'s budget as D1 records it (`null`: none) and where its month stands (what its keys
 * spent and hold, counted even without a limit).
 *
 * @example
 * const { budget, usage } = await readTeamBudget(config, teamId);
 */
export async function readTeamBudget(
  config: BudgetConfig,
  teamId: string,
): Promise<{ budget: TeamBudgetView | null; usage: BudgetUsage }> {
  const [budget, state] = await Promise.all([
    budgetRow(config, teamId),
    config.teamBudget.getByName(teamId).usage(),
  ]);
  return { budget, usage: state.usage };
}

/**
 * Tells key `keyId`'s Durable Object which team's budget it spends from (`null`: none), from its next
 * admission on. Call it wherever `api_keys.team_id` is written (`recordKeyOwner`); a key object that
 * never heard it reads `api_keys.team_id` once, at its first generation.
 *
 * @example
 * await recordKeyOwner(config.db, key.id, { team_id: teamId, created_by_user_id: userId });
 * await assignKeyTeam(config, key.id, teamId);
 */
export async function assignKeyTeam(
  config: BudgetConfig,
  keyId: string,
  teamId: string | null,
): Promise<void> {
  await config.keyState.getByName(keyId).setTeam(teamId);
}
