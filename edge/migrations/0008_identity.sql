-- People, teams, roles and sessions (issue 15; edge/src/identity/directory and identity/sessions).
-- People are never deleted, only disabled, so what they did and the keys they made stay attributable.
-- Role names are checked against shared/src/permissions.ts ROLES; a test inserts each one.

-- One row per person, by the identity provider's (issuer, subject): an email can change or be reused.
CREATE TABLE users (
  -- `usr_` and 16 hex digits.
  id TEXT PRIMARY KEY,
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  email TEXT,
  name TEXT,
  -- JSON array of the groups the IdP gave at the last sign-in: a role-mapping change is applied to
  -- people at once from these (never granting more than that sign-in could have).
  idp_groups TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  last_sign_in_at TEXT,
  -- Set by deprovisioning: no sign-in, no session works.
  disabled_at TEXT,
  UNIQUE (issuer, subject)
);
CREATE INDEX users_by_email ON users (email);

CREATE TABLE teams (
  -- `team_` and 16 hex digits.
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  created_at TEXT NOT NULL
);

-- A person's role in a team, or with team_id NULL, everywhere (a global role). `admin` exists only
-- globally. One role per person per team (or globally): the unique index treats NULL as one scope.
CREATE TABLE memberships (
  user_id TEXT NOT NULL REFERENCES users (id),
  team_id TEXT REFERENCES teams (id),
  role TEXT NOT NULL
    CHECK (role IN ('admin', 'team_admin', 'developer', 'model_approver', 'viewer', 'billing')),
  -- The IdP group whose role mapping gave it, recomputed at each sign-in; NULL: granted by hand,
  -- which sign-in leaves alone.
  source_group TEXT,
  created_at TEXT NOT NULL,
  CHECK (role <> 'admin' OR team_id IS NULL)
);
CREATE UNIQUE INDEX memberships_by_user_scope ON memberships (user_id, COALESCE(team_id, ''));
CREATE INDEX memberships_by_team ON memberships (team_id);
CREATE INDEX memberships_by_source_group ON memberships (source_group);

-- Rules an admin edits: members of `idp_group` get `role` in `team_id` (NULL: globally). One rule per
-- group per scope; when several of a person's groups match one scope, the most privileged role wins
-- (edge/src/identity/directory/rules.ts ROLE_PRECEDENCE).
CREATE TABLE role_mappings (
  -- `map_` and 16 hex digits.
  id TEXT PRIMARY KEY,
  idp_group TEXT NOT NULL,
  team_id TEXT REFERENCES teams (id),
  role TEXT NOT NULL
    CHECK (role IN ('admin', 'team_admin', 'developer', 'model_approver', 'viewer', 'billing')),
  created_at TEXT NOT NULL,
  -- Who made the rule, as the audit names actors (a user id, `break_glass`, …).
  created_by TEXT NOT NULL,
  CHECK (role <> 'admin' OR team_id IS NULL)
);
CREATE UNIQUE INDEX role_mappings_by_group_scope ON role_mappings (idp_group, COALESCE(team_id, ''));

-- Server-side sessions. The secret (the cookie) is never stored: id_hash is SHA-256 (hex) of it.
CREATE TABLE sessions (
  id_hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id),
  created_at TEXT NOT NULL,
  -- Written at most once a minute, sliding idle_expires_at with it (capped by the absolute expiry).
  last_seen_at TEXT NOT NULL,
  idle_expires_at TEXT NOT NULL,
  absolute_expires_at TEXT NOT NULL,
  revoked_at TEXT,
  user_agent TEXT,
  ip TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_absolute_expiry ON sessions (absolute_expires_at);

-- Keys belong to teams (a key is a service identity of its team) and remember the person who made
-- them, so deprovisioning finds them. NULL on keys made before, or by the admin token. team_id has no
-- foreign key: a revoked key keeps naming the team it belonged to after the team is deleted.
ALTER TABLE api_keys ADD COLUMN team_id TEXT;
ALTER TABLE api_keys ADD COLUMN created_by_user_id TEXT REFERENCES users (id);
CREATE INDEX api_keys_by_team ON api_keys (team_id);
CREATE INDEX api_keys_by_creator ON api_keys (created_by_user_id);
