-- Evaluation runs (issue 16): a prompt set generated on a candidate version and a baseline. The
-- `EvaluationRun` Durable Object of each run writes its view here as it goes and when it ends, so a
-- run can be read (and cited by a promotion request) without waking the object.
CREATE TABLE evaluation_runs (
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL REFERENCES models (id),
  -- The version label under evaluation (`v3`), which a promotion citing the run must name.
  candidate_version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  -- The run as `GET /admin/evaluations/{id}` answers it (JSON, the contract's EvaluationRun).
  view TEXT NOT NULL
);
CREATE INDEX evaluation_runs_by_model ON evaluation_runs (model_id, created_at);
