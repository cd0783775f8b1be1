-- Indexes for the audit browser's filters (`GET /admin/audit`, edge/src/audit/list.ts), which read
-- newest first (`ORDER BY seq DESC LIMIT ?`): without them a filter on a large log scans every row.
-- `seq` is the rowid, which SQLite keeps at the end of every index, so `(x, seq)` orders by seq within x.

-- One action (`action = ?`), newest first straight from the index; an action kind (`key.`, read as
-- the range `action >= 'key.' AND action < 'key/'`) seeks its range here and sorts what it found.
-- audit_log_by_action_time (action, at) stays: usage reports read generations by time through it.
CREATE INDEX audit_log_by_action_seq ON audit_log (action, seq);

-- The actor filter is `actor = ? OR <detail's actor_email> = ?`: SQLite answers such an OR from two
-- indexes (MULTI-INDEX OR) only if each side has one; the second is on the very expression list.ts
-- writes (NULL where the detail is not JSON), which must stay the same text for it to be used.
CREATE INDEX audit_log_by_actor_seq ON audit_log (actor, seq);
CREATE INDEX audit_log_by_actor_email ON audit_log (
  (CASE WHEN json_valid(detail) THEN json_extract(detail, '$.actor_email') END)
);

-- Dates (`at >= ? AND at < ?`). `at` is when an entry was made, before the outbox delivered it, so it
-- does not strictly grow with `seq`: the range is read here rather than translated into seqs.
CREATE INDEX audit_log_by_at ON audit_log (at);
