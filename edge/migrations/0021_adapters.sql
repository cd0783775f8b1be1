-- The registry of LoRAs and ControlNet models (issue 18; edge/src/adapters): what a request may name
-- in `lora` (or `<lora:…>`) and `controlnet[].model`. One row per kind and name, never deleted: a
-- removed or rejected name is not reused, so an audit row or a cached request naming it stays
-- unambiguous. Every change is also in the hash-chained audit log, with its before and after.

CREATE TABLE adapters (
  kind TEXT NOT NULL CHECK (kind IN ('lora', 'controlnet')),
  -- shared/src/adapters.ts ADAPTER_NAME_PATTERN.
  name TEXT NOT NULL,
  -- SHA-256 of a LoRA's file, or the model digest of a ControlNet's folder, lowercase hex: what
  -- backends report in their status, and what the resolved request (so the cache key) carries.
  digest TEXT NOT NULL CHECK (length(digest) = 64),
  -- JSON array of the model ids it applies to (`["sd15"]`): a request on another model is refused.
  applies_to TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  source_uri TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'approved', 'rejected', 'deprecated', 'removed')),
  registered_by TEXT NOT NULL,
  registered_at TEXT NOT NULL,
  approved_by TEXT,
  approved_at TEXT,
  -- The last status change after registering, and its comment.
  changed_by TEXT,
  changed_at TEXT,
  comment TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (kind, name),
  -- No one approves what they registered, whatever path the write takes.
  CHECK (approved_by IS NULL OR approved_by <> registered_by),
  -- Only an approved adapter can have been deprecated; removal may follow either.
  CHECK (status NOT IN ('approved', 'deprecated') OR approved_by IS NOT NULL)
);
CREATE INDEX adapters_by_status ON adapters (status, kind);
