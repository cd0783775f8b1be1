-- The model registry (issue 16; edge/src/model-registry): models, their immutable versions, aliases
-- that point at versions, and the promotion requests whose approval is the only way an alias moves.
-- Versions are numbered per model from 1 (shown as v1, v2, …). Actors are named as the audit names
-- them (a user id, `break_glass`, `system`).

CREATE TABLE models (
  -- A slug such as `sd15` (shared/src/model-registry.ts MODEL_ID_PATTERN).
  id TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL
);

-- Never updated or deleted (the triggers below refuse it): what served a request stays knowable.
CREATE TABLE model_versions (
  model_id TEXT NOT NULL REFERENCES models (id),
  version INTEGER NOT NULL CHECK (version >= 1),
  -- SHA-256 of the version's files, lowercase hex: one model holds one set of files once.
  digest TEXT NOT NULL,
  -- JSON: shared/src/model-registry.ts modelSourceSchema.
  source TEXT NOT NULL,
  engine_version TEXT NOT NULL,
  licence_id TEXT NOT NULL,
  licence_accepted_by TEXT NOT NULL,
  licence_accepted_at TEXT NOT NULL,
  card TEXT NOT NULL DEFAULT '',
  registered_by TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  PRIMARY KEY (model_id, version),
  UNIQUE (model_id, digest)
);
CREATE TRIGGER model_versions_are_immutable BEFORE UPDATE ON model_versions
BEGIN
  SELECT RAISE(ABORT, 'model versions are immutable');
END;
CREATE TRIGGER model_versions_are_kept BEFORE DELETE ON model_versions
BEGIN
  SELECT RAISE(ABORT, 'model versions are never deleted');
END;

CREATE TABLE promotion_requests (
  -- `prm_` and 16 hex digits.
  id TEXT PRIMARY KEY,
  model_id TEXT NOT NULL REFERENCES models (id),
  alias TEXT NOT NULL,
  -- What the alias pointed at when requested; NULL: the alias did not exist yet.
  from_version INTEGER,
  to_version INTEGER NOT NULL,
  requested_by TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  comment TEXT NOT NULL DEFAULT '',
  -- JSON array: shared/src/model-registry.ts evidenceSchema.
  evidence TEXT NOT NULL DEFAULT '[]',
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'superseded')),
  decided_by TEXT,
  decided_at TEXT,
  decision_comment TEXT,
  FOREIGN KEY (model_id, to_version) REFERENCES model_versions (model_id, version),
  -- No one approves their own request, whatever path the write takes.
  CHECK (status <> 'approved' OR (decided_by IS NOT NULL AND decided_by <> requested_by)),
  CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE INDEX promotion_requests_by_alias ON promotion_requests (model_id, alias, status);

CREATE TABLE model_aliases (
  model_id TEXT NOT NULL REFERENCES models (id),
  name TEXT NOT NULL,
  version INTEGER NOT NULL,
  -- Starts at 1 and grows by one with each move: a move names the revision it saw (optimistic
  -- concurrency; a stale one is refused).
  revision INTEGER NOT NULL CHECK (revision >= 1),
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  -- The approved request that put the alias here; NULL only for a model's bootstrap.
  promotion_id TEXT REFERENCES promotion_requests (id),
  PRIMARY KEY (model_id, name),
  FOREIGN KEY (model_id, version) REFERENCES model_versions (model_id, version)
);

-- Every alias move, never rewritten: a rollback is one more row.
CREATE TABLE alias_history (
  model_id TEXT NOT NULL,
  name TEXT NOT NULL,
  from_version INTEGER,
  to_version INTEGER NOT NULL,
  -- The alias's revision after this move.
  revision INTEGER NOT NULL,
  moved_at TEXT NOT NULL,
  moved_by TEXT NOT NULL,
  promotion_id TEXT REFERENCES promotion_requests (id),
  -- `bootstrap`, `promotion` (to a later version) or `rollback` (to an earlier one).
  reason TEXT NOT NULL CHECK (reason IN ('bootstrap', 'promotion', 'rollback')),
  PRIMARY KEY (model_id, name, revision),
  CHECK ((reason = 'bootstrap') = (promotion_id IS NULL))
);
CREATE TRIGGER alias_history_is_append_only BEFORE UPDATE ON alias_history
BEGIN
  SELECT RAISE(ABORT, 'alias history is never rewritten');
END;
CREATE TRIGGER alias_history_is_kept BEFORE DELETE ON alias_history
BEGIN
  SELECT RAISE(ABORT, 'alias history is never deleted');
END;
