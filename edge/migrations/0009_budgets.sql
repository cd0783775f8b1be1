-- Monthly budgets of teams (issue 15; edge/src/budgets/). D1 is the record an admin edits; each team's
-- TeamBudget Durable Object enforces the budget and is sent it on every change. Keys' own monthly
-- budgets are part of their limits (api_keys.limits), not here.
CREATE TABLE budgets (
  team_id TEXT PRIMARY KEY REFERENCES teams (id) ON DELETE CASCADE,
  -- Credits per UTC calendar month shared by the team's keys; NULL: no limit (spending still counted).
  monthly_credits INTEGER CHECK (monthly_credits IS NULL OR monthly_credits >= 0),
  -- The share of monthly_credits whose use sends the month's soft alert.
  soft_percent INTEGER NOT NULL DEFAULT 80 CHECK (soft_percent BETWEEN 1 AND 100),
  -- Where alerts go (signed webhooks, a body Slack's incoming webhooks accept); NULL: nowhere.
  alert_webhook_url TEXT,
  updated_at TEXT NOT NULL
);
