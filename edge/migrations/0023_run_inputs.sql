-- Run history (issue 17): the input images a run's request refers to (init image, mask, each
-- ControlNet unit's image), by the SHA-256 of their bytes. The bytes are in R2, once per owner
-- (`input/{owner's tenant tag}/{hex}`, edge/src/runs/inputs.ts); retention deletes an input when the
-- last run of its owner that refers to it is pruned.
CREATE TABLE run_inputs (
  run_id TEXT NOT NULL,
  -- `team:<id>` or `key:<id>`: whose copy it is (as experiments.owner).
  owner TEXT NOT NULL,
  -- `sha256:<hex>`.
  digest TEXT NOT NULL,
  PRIMARY KEY (run_id, digest)
);
CREATE INDEX run_inputs_by_digest ON run_inputs (owner, digest);

-- Runs recorded before kept ControlNet units' images whole in their request: rows must stay small,
-- and those images were never kept elsewhere, so they say what they were.
UPDATE runs SET request = json_replace(request,
    '$.controlnet[0].image', '(control image)',
    '$.controlnet[1].image', '(control image)',
    '$.controlnet[2].image', '(control image)',
    '$.controlnet[3].image', '(control image)')
  WHERE json_extract(request, '$.controlnet') IS NOT NULL;
