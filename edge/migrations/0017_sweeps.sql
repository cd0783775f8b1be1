-- Sweeps (issue 17; edge/src/sweeps/): X/Y/Z grids of generations. A sweep keeps its base request,
-- its axes and its price; each cell keeps its place in the grid, its request and the async job that
-- runs it. How a cell ended is read from its run (`runs.id` is the job's id), so it is never kept twice.
CREATE TABLE sweeps (
  id TEXT PRIMARY KEY,
  -- `team:<id>` or `key:<id>`: whose it is (as experiments).
  owner TEXT NOT NULL,
  key_id TEXT NOT NULL,
  team_id TEXT,
  name TEXT NOT NULL,
  created_at TEXT NOT NULL,
  -- JSON: the base request and the axes as given.
  request TEXT NOT NULL,
  axes TEXT NOT NULL,
  experiment TEXT,
  cells INTEGER NOT NULL,
  credits REAL NOT NULL,
  gpu_seconds REAL NOT NULL,
  cancelled_at TEXT
);
CREATE INDEX sweeps_by_owner ON sweeps (owner, created_at DESC, id DESC);

CREATE TABLE sweep_cells (
  sweep_id TEXT NOT NULL REFERENCES sweeps (id),
  idx INTEGER NOT NULL,
  -- JSON: { x, y, z }, each value's index on its axis.
  coordinates TEXT NOT NULL,
  -- JSON: the cell's generation request.
  request TEXT NOT NULL,
  -- pending: not submitted; submitting: being submitted; submitted: its job is `job_id`;
  -- refused: its submission was refused (`error_code`); cancelled: cancelled before it was submitted.
  state TEXT NOT NULL CHECK (state IN ('pending', 'submitting', 'submitted', 'refused', 'cancelled')),
  job_id TEXT,
  -- The key that submitted the job (the job answers to it alone: a cancel goes in its name).
  job_key_id TEXT,
  error_code TEXT,
  -- When a submission claimed it: a claim older than a minute was lost with its request.
  claimed_at TEXT,
  PRIMARY KEY (sweep_id, idx)
);
CREATE INDEX sweep_cells_by_job ON sweep_cells (job_id);
