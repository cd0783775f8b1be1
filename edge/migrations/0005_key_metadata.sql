-- Free-form labels on a key (JSON object of strings, e.g. {"team":"search","cost_center":"cc-42"}), for
-- telling keys apart and for usage reports grouped by a label; NULL: none.
ALTER TABLE api_keys ADD COLUMN metadata TEXT;
