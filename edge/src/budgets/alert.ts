import type { BudgetAlert, BudgetAlertType } from "@sdgate/shared";
import { webhookSecretFor } from "../webhooks/secret.ts";
import { monthOf, nextMonthStartMs, resetDayOf } from "./month.ts";

/** Whose budget an alert is about, and what it stood at. */
export interface AlertFacts {
  type: BudgetAlertType;
  budget: "team" | "key";
  teamId: string | null;
  /** The team's name as people know it (`ml-research`); `null`: the id stands in. */
  teamName: string | null;
  keyId: string | null;
  limit: number;
  spent: number;
  softPercent: number;
  nowMs: number;
}

// Slack reads `&`, `<` and `>` in a message's text as its markup, so names are escaped (Slack's
// "Formatting text for app surfaces": escaping text).
function slackEscape(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

function whose(facts: AlertFacts): string {
  const team = facts.teamName ?? facts.teamId;
  if (facts.budget === "team") return `team ${team}`;
  return team === null ? `API key ${facts.keyId}` : `API key ${facts.keyId} of team ${team}`;
}

/**
 * The body of a budget alert: a line of text that Slack's incoming webhooks post as it is, and the
 * structured fields other receivers read (`budgetAlertSchema` in the contract).
 *
 * @example
 * budgetAlert({ type: "budget.soft_limit", budget: "team", teamId, teamName: "ml-research", keyId, limit: 100_000, spent: 80_012, softPercent: 80, nowMs }).text;
 * // "sdgate: team ml-research has used 80% of its 100000 monthly credits (80012); resets 2027-01-01"
 */
export function budgetAlert(facts: AlertFacts): BudgetAlert {
  const percent = facts.limit === 0 ? 100 : Math.floor((facts.spent * 100) / facts.limit);
  const resets = resetDayOf(facts.nowMs);
  const who = slackEscape(whose(facts));
  const text =
    facts.type === "budget.soft_limit"
      ? `sdgate: ${who} has used ${percent}% of its ${facts.limit} monthly credits (${facts.spent}); resets ${resets}`
      : `sdgate: ${who} has used up its ${facts.limit} monthly credits (${facts.spent}); new generations are refused until ${resets}`;
  return {
    text,
    type: facts.type,
    timestamp: new Date(facts.nowMs).toISOString(),
    budget: facts.budget,
    team_id: facts.teamId,
    key_id: facts.keyId,
    month: monthOf(facts.nowMs),
    limit: facts.limit,
    spent: facts.spent,
    percent,
    soft_percent: facts.softPercent,
    resets_at: new Date(nextMonthStartMs(facts.nowMs)).toISOString(),
  };
}

/**
 * The webhook message id of an alert: the same for every attempt and every copy of one month's alert
 * of one budget, so a receiver drops duplicates (Standard Webhooks' `webhook-id`).
 */
export function alertMessageId(alert: BudgetAlert): string {
  const owner = alert.budget === "team" ? alert.team_id : alert.key_id;
  const kind = alert.type === "budget.soft_limit" ? "soft" : "exhausted";
  return `msg_budget_${owner}_${alert.month}_${kind}`;
}

/**
 * The secret a team's budget alerts are signed with (`whsec_…`), derived from `SDGATE_WEBHOOK_SECRET`
 * like each key's job webhook secret, under a name no key id can have, so neither verifies the other's.
 *
 * @example
 * const secret = await budgetAlertSecret(config.jobs.webhookSecret, "team_0123456789abcdef");
 */
export function budgetAlertSecret(serverSecret: string, teamId: string): Promise<string> {
  return webhookSecretFor(serverSecret, `budget:${teamId}`);
}
