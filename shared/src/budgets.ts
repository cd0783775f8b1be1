import { z } from "zod";
import { DEFAULT_SOFT_PERCENT } from "./keys.ts";

/**
 * Monthly budgets of teams and keys, and the alerts they send. A budget counts credits (the ledger's
 * units) per UTC calendar month: past `soft_percent` of it an alert goes out once that month; at the
 * limit the edge refuses new generations with 402 `budget_exceeded` until the month turns, and the
 * first refusal of the month sends an alert too.
 */

/** A UTC calendar month as budgets name it: `2027-01`. */
export const BUDGET_MONTH_PATTERN = /^\d{4}-(0[1-9]|1[0-2])$/;

/** What a budget alert says happened: the soft threshold was crossed, or the limit first refused a request. */
export const BUDGET_ALERT_TYPES = ["budget.soft_limit", "budget.exhausted"] as const;
export type BudgetAlertType = (typeof BUDGET_ALERT_TYPES)[number];

/**
 * The body of a budget alert webhook, signed like every sdgate webhook (Standard Webhooks, see
 * `webhooks.ts`). Slack's incoming webhooks post its `text` and ignore the rest; any other receiver
 * reads the structured fields.
 *
 * @example
 * const alert = budgetAlertSchema.parse(JSON.parse(body));
 * if (alert.type === "budget.exhausted") page(alert.team_id);
 */
export const budgetAlertSchema = z.object({
  /** One line for people ("sdgate: team ml-research has used 80% of its 100000 monthly credits …"). */
  text: z.string(),
  type: z.enum(BUDGET_ALERT_TYPES),
  /** When the alert was raised (RFC 3339). */
  timestamp: z.string(),
  /** Whose budget: a team's (shared by its keys) or one key's own. */
  budget: z.enum(["team", "key"]),
  team_id: z.string().nullable(),
  /** The key whose budget it is; for a team's budget, the key whose request crossed the line. */
  key_id: z.string().nullable(),
  month: z.string().regex(BUDGET_MONTH_PATTERN),
  /** The monthly credits of the budget. */
  limit: z.number().int().min(0),
  /** Credits charged this month when the alert was raised. */
  spent: z.number().int().min(0),
  /** `spent` in whole percent of `limit` (rounded down). */
  percent: z.number().int().min(0),
  soft_percent: z.number().int().min(1).max(100),
  /** When the budget starts again: the first instant of next month, UTC. */
  resets_at: z.string(),
});
export type BudgetAlert = z.infer<typeof budgetAlertSchema>;

/**
 * A team's monthly budget as an admin sets it: `monthly_credits` (`null`: none, alerts only if the
 * keys' own budgets send them), `soft_percent` (default 80) and where alerts go (`null`: nowhere).
 * The URL is `https://` to a public host; the edge checks it further (no private addresses).
 *
 * @example
 * teamBudgetBodySchema.parse({ monthly_credits: 100_000 }).soft_percent; // 80
 */
export const teamBudgetBodySchema = z.strictObject({
  monthly_credits: z
    .number("must be a whole number of credits or null")
    .int("must be a whole number of credits")
    .min(0)
    .max(Number.MAX_SAFE_INTEGER)
    .nullable(),
  soft_percent: z
    .number("must be a whole percent")
    .int("must be a whole percent")
    .min(1)
    .max(100)
    .default(DEFAULT_SOFT_PERCENT),
  alert_webhook_url: z.string("must be a URL or null").max(2_048).nullable().default(null),
});
export type TeamBudgetBody = z.input<typeof teamBudgetBodySchema>;

/** A team's budget as stored (`budgets` in D1). */
export const teamBudgetViewSchema = z.object({
  team_id: z.string(),
  monthly_credits: z.number().int().nullable(),
  soft_percent: z.number().int(),
  alert_webhook_url: z.string().nullable(),
  updated_at: z.string(),
});
export type TeamBudgetView = z.infer<typeof teamBudgetViewSchema>;

/** Where a monthly budget stands now. */
export const budgetUsageSchema = z.object({
  month: z.string().regex(BUDGET_MONTH_PATTERN),
  /** Credits charged this month. */
  spent: z.number().int().min(0),
  /** Credits held by generations admitted this month and not yet settled. */
  reserved: z.number().int().min(0),
  /** `null` without a limit. */
  remaining: z.number().int().min(0).nullable(),
  resets_at: z.string(),
});
export type BudgetUsage = z.infer<typeof budgetUsageSchema>;

/** `GET /admin/teams/{id}/budget`: the team's budget, if it has one, and where this month stands. */
export const teamBudgetStatusSchema = z.object({
  object: z.literal("team.budget"),
  team_id: z.string(),
  /** `null`: the team has no budget (its keys are limited by their own only). */
  budget: teamBudgetViewSchema.nullable(),
  usage: budgetUsageSchema,
});
export type TeamBudgetStatus = z.infer<typeof teamBudgetStatusSchema>;
