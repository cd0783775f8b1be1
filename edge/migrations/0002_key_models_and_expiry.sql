-- Per-key model allowlists and key expiry. Both NULL on keys made before: every model, no expiry.

-- JSON array of model ids the key may use, e.g. ["sd15","sdxl"]; NULL: every model the fleet serves.
ALTER TABLE api_keys ADD COLUMN models TEXT;
-- When the key stops working, whatever its secrets (RFC 3339, UTC); NULL: never.
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
