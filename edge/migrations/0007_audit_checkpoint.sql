-- Where the audit chain starts once its oldest rows are pruned (SDGATE_AUDIT_RETENTION_DAYS, by the
-- cron trigger: edge/src/audit/retention.ts): the seq and hash of the last row deleted, which the
-- first row kept points at (its prev_hash), so verification starts here instead of at row 1. Each
-- checkpoint is also attested by an `audit.prune` row in the chain itself, so moving it by hand shows.
CREATE TABLE audit_checkpoint (
  one INTEGER PRIMARY KEY CHECK (one = 1),
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  -- The `at` of that last deleted row, and when it was deleted (RFC 3339, UTC).
  at TEXT NOT NULL,
  pruned_at TEXT NOT NULL
);
