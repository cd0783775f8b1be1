-- Run history (issue 17; edge/src/runs/): every generation a key made, kept for its team. The
-- images stay where the replay cache keeps them (R2, under the key's tenant tag and the request's
-- cache key), so they follow the cache's retention; the row keeps what was asked and how it ended.
-- Named groups of runs, owned by a team (or, for a key without one, by the key): a request joins one
-- by naming it in its `Sdgate-Experiment` header, which makes it on first use.
CREATE TABLE experiments (
  id TEXT PRIMARY KEY,
  -- `team:<id>` or `key:<id>`: whose it is.
  owner TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  UNIQUE (owner, name)
);

CREATE TABLE runs (
  -- The request id of a synchronous generation, or the async job's id.
  id TEXT PRIMARY KEY,
  key_id TEXT NOT NULL,
  team_id TEXT,
  created_at TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('succeeded', 'failed', 'cancelled')),
  model TEXT NOT NULL,
  model_version TEXT,
  prompt TEXT NOT NULL,
  negative_prompt TEXT NOT NULL DEFAULT '',
  -- JSON: the resolved request without its input images.
  request TEXT NOT NULL,
  cost INTEGER,
  latency_ms INTEGER,
  backend TEXT,
  error_code TEXT,
  -- Where the images are: the replay cache's tenant tag and cache key, and each image's seed (JSON).
  tenant_tag TEXT,
  cache_key TEXT,
  output_format TEXT NOT NULL,
  seeds TEXT NOT NULL DEFAULT '[]',
  -- The experiment the run joined (`Sdgate-Experiment` header); NULL: none.
  experiment_id TEXT REFERENCES experiments (id),
  -- What people say of it afterwards: notes, tags (JSON array), a rating from 1 to 5.
  notes TEXT NOT NULL DEFAULT '',
  tags TEXT NOT NULL DEFAULT '[]',
  rating INTEGER CHECK (rating IS NULL OR rating BETWEEN 1 AND 5)
);
CREATE INDEX runs_by_team ON runs (team_id, created_at DESC, id DESC);
CREATE INDEX runs_by_key ON runs (key_id, created_at DESC, id DESC);
CREATE INDEX runs_by_experiment ON runs (experiment_id, created_at DESC, id DESC);
