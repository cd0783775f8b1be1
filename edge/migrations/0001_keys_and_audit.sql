-- sdgate's record of API keys and its audit log (D1). Applied by `wrangler d1 migrations apply DB`
-- (wrangler.toml `migrations_dir`) and, in tests, by edge/src/test-support/d1-migrations.ts.

-- One row per API key. The secret itself is never stored: see api_key_secrets.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  -- The visible start of the current secret (`sk_1a2b3c4d`), so people can tell keys apart.
  prefix TEXT NOT NULL,
  -- JSON array of scopes, e.g. ["generate","read"].
  scopes TEXT NOT NULL,
  -- JSON { requests_per_minute, concurrency, credits }.
  limits TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  -- Flushed from the key's Durable Object (KeyState) at most every 30 s, not written per request.
  last_used_at TEXT
);

-- SHA-256 (hex) of each secret a key has had. A rotated-out secret keeps working until expires_at.
CREATE TABLE api_key_secrets (
  hash TEXT PRIMARY KEY,
  key_id TEXT NOT NULL REFERENCES api_keys (id),
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT
);
CREATE INDEX api_key_secrets_by_key ON api_key_secrets (key_id);

-- Append-only, hash-chained: hash = SHA-256(prev_hash || canonical row). Appends are serialised by
-- the AuditLog Durable Object; UNIQUE(prev_hash) also makes a fork impossible at the database level.
CREATE TABLE audit_log (
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  key_id TEXT,
  request_hash TEXT,
  backend TEXT,
  status INTEGER,
  latency_ms INTEGER,
  cost INTEGER,
  detail TEXT,
  prev_hash TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_log_by_key ON audit_log (key_id, seq);
