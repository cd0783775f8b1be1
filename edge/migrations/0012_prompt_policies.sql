-- Prompt policies (issue 16; edge/src/policies/): rules a team's keys' generation requests must keep
-- (the contract's promptPolicySchema). One policy per team; an alias's scope comes with the model
-- registry, as its own columns beside team_id, which is why team_id may be NULL.
CREATE TABLE prompt_policies (
  id TEXT PRIMARY KEY,
  team_id TEXT UNIQUE REFERENCES teams (id) ON DELETE CASCADE,
  -- The rules as JSON, in the order they are checked.
  rules TEXT NOT NULL,
  -- 1: an audited violation keeps the prompt's text; 0 (the default): only the rule.
  record_prompt INTEGER NOT NULL DEFAULT 0 CHECK (record_prompt IN (0, 1)),
  updated_at TEXT NOT NULL,
  -- Who set it: the audit's actor (`admin`, a person's id).
  updated_by TEXT NOT NULL
);
