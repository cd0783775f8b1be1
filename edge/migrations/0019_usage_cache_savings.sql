-- Usage reports (issue 17; edge/src/audit/usage.ts) price each replay-cache hit at what the run it
-- replayed was charged: that run is found by the hit's cache key, the first run a backend answered.
CREATE INDEX runs_by_cache_key ON runs (tenant_tag, cache_key, created_at);
