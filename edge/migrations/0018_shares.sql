-- Share links (issue 17; edge/src/shares/): a signed, expiring, revocable read-only view of a team's
-- run, comparison or grid. The link's token is kept only as its SHA-256, so a copy of this table
-- opens nothing; the layout names the runs, which are read from `runs` (still the owner's) when the
-- link is opened.
CREATE TABLE shares (
  id TEXT PRIMARY KEY,
  -- SHA-256 (hex) of the link's token.
  token_hash TEXT NOT NULL UNIQUE,
  -- `team:<id>` or `key:<id>`: whose runs it shows (as `experiments.owner`).
  owner TEXT NOT NULL,
  created_by TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('run', 'comparison', 'grid')),
  title TEXT NOT NULL,
  -- JSON: the layout as the caller gave it, and the run ids it names.
  layout TEXT NOT NULL,
  run_ids TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE INDEX shares_by_owner ON shares (owner, created_at DESC, id DESC);
