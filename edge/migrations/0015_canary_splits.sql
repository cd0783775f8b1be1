-- Canary releases (issue 16; edge/src/canary/): an alias may send a share of its traffic to the
-- version another alias points at (production → canary). Both versions got there by approved
-- promotions; the split itself is set by someone with models.approve, and ends by hand, by a
-- promotion that makes the two the same, or automatically when the canary breaks its budgets.
CREATE TABLE alias_splits (
  model_id TEXT NOT NULL REFERENCES models (id),
  -- The alias whose traffic is split, and the alias whose version takes `weight` percent of it.
  alias TEXT NOT NULL,
  to_alias TEXT NOT NULL,
  weight INTEGER NOT NULL CHECK (weight BETWEEN 1 AND 50),
  -- Budgets: past `min_requests` canary requests, an error rate or a p95 latency above these rolls it back.
  max_error_rate REAL NOT NULL CHECK (max_error_rate >= 0 AND max_error_rate <= 1),
  max_p95_ms INTEGER NOT NULL CHECK (max_p95_ms > 0),
  min_requests INTEGER NOT NULL CHECK (min_requests >= 1),
  -- `spl_` and 16 hex digits: names this split in its history and in its watcher's state.
  id TEXT NOT NULL UNIQUE,
  started_at TEXT NOT NULL,
  started_by TEXT NOT NULL,
  PRIMARY KEY (model_id, alias),
  CHECK (alias <> to_alias)
);

-- How each split ended, with the per-version numbers it ended on; never rewritten.
CREATE TABLE split_history (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL,
  alias TEXT NOT NULL,
  to_alias TEXT NOT NULL,
  weight INTEGER NOT NULL,
  started_at TEXT NOT NULL,
  started_by TEXT NOT NULL,
  ended_at TEXT NOT NULL,
  ended_by TEXT NOT NULL,
  -- `stopped` (by a person), `rolled_back` (a budget broken; ended_by `system`).
  reason TEXT NOT NULL CHECK (reason IN ('stopped', 'rolled_back')),
  -- JSON: the per-version stats when it ended, and the broken budget for a rollback.
  detail TEXT NOT NULL DEFAULT '{}'
);
CREATE TRIGGER split_history_is_append_only BEFORE UPDATE ON split_history
BEGIN
  SELECT RAISE(ABORT, 'split history is never rewritten');
END;
