import { describe, expect, it } from "vitest";
import { type BudgetAlert, budgetAlertSchema, teamBudgetBodySchema } from "./budgets.ts";

const alert: BudgetAlert = {
  text: "sdgate: team ml-research has used 80% of its 100000 monthly credits (80012); resets 2027-01-01",
  type: "budget.soft_limit",
  timestamp: "2026-12-20T10:00:00.000Z",
  budget: "team",
  team_id: "team_0123456789abcdef",
  key_id: "key_abc",
  month: "2026-12",
  limit: 100_000,
  spent: 80_012,
  percent: 80,
  soft_percent: 80,
  resets_at: "2027-01-01T00:00:00.000Z",
};

describe("budget alerts", () => {
  it("carry a text for Slack and the structured fields for any other receiver", () => {
    expect(budgetAlertSchema.parse(alert)).toEqual(alert);
    expect(budgetAlertSchema.safeParse({ ...alert, month: "2026-13" }).success).toBe(false);
    expect(budgetAlertSchema.safeParse({ ...alert, type: "budget.other" }).success).toBe(false);
  });
});

describe("a team budget's body", () => {
  it("defaults the soft threshold to 80% and alerts to nowhere, and names a bad limit", () => {
    expect(teamBudgetBodySchema.parse({ monthly_credits: 1_000 })).toEqual({
      monthly_credits: 1_000,
      soft_percent: 80,
      alert_webhook_url: null,
    });
    const refused = teamBudgetBodySchema.safeParse({ monthly_credits: 1.5 });
    expect(refused.error?.issues[0]).toMatchObject({ path: ["monthly_credits"] });
    expect(teamBudgetBodySchema.safeParse({ monthly_credits: null, soft_percent: 0 }).success).toBe(false);
  });
});
