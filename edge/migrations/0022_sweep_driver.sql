-- Sweeps advance on the server (issue 17; edge/src/sweeps/driver.ts): the cron submits the cells that
-- the key's limits left waiting, on behalf of the key that last created or resumed the sweep, with no
-- browser open.
-- The SHA-256 of that key's secret (as `api_key_secrets.hash`: never the secret itself) and the
-- address it came from: the driver presents both to the key's Durable Object as that request did, so
-- a key revoked, expired, rotated out or limited to other addresses since stops the sweep.
ALTER TABLE sweeps ADD COLUMN acting_key_hash TEXT;
ALTER TABLE sweeps ADD COLUMN acting_ip TEXT;
-- The edge's origin as that request reached it (a job keeps the origin it was submitted under).
ALTER TABLE sweeps ADD COLUMN acting_origin TEXT;
-- When the driver last took its turn on the sweep: the least recently driven go first.
ALTER TABLE sweeps ADD COLUMN driven_at TEXT;
-- When every cell was settled (submitted and its run ended, refused or cancelled); a resume clears it.
-- Finished sweeps are pruned with the run history's retention.
ALTER TABLE sweeps ADD COLUMN finished_at TEXT;
CREATE INDEX sweeps_unfinished ON sweeps (driven_at, created_at) WHERE finished_at IS NULL;
CREATE INDEX sweeps_by_finished ON sweeps (finished_at) WHERE finished_at IS NOT NULL;
