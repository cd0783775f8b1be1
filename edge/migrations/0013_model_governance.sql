-- Model governance (issue 16): which models a team may use, and policies per model alias.

-- The model references a team's keys may use, as a JSON array (`sd15`: every alias and version of
-- it; `sd15@production`: that alias only; `sd15@v3`: that pinned version). NULL: every model.
ALTER TABLE teams ADD COLUMN models TEXT;

-- A prompt policy may now bind a model's alias instead of a team (`scope` {model, alias} in the
-- contract): `alias` is an alias's name, or `*` for the model's default (pinned versions, and aliases
-- without a policy of their own). Exactly one of team_id and model_id is set.
ALTER TABLE prompt_policies ADD COLUMN model_id TEXT REFERENCES models (id);
ALTER TABLE prompt_policies ADD COLUMN alias TEXT;
-- The output safety check for the alias: `off`, `flag`, `blur` or `block` (NULL for team policies).
ALTER TABLE prompt_policies ADD COLUMN safety_check TEXT
  CHECK (safety_check IS NULL OR safety_check IN ('off', 'flag', 'blur', 'block'));
CREATE UNIQUE INDEX prompt_policies_by_alias ON prompt_policies (model_id, alias) WHERE model_id IS NOT NULL;
