-- Each audit row carries the id it was handed over with (an outbox row's id), so an entry delivered
-- twice (its sender retried after a lost answer, or the AuditLog object restarted between writing a
-- batch to D1 and forgetting it) is written once. NULL on rows written before. Not part of the hash.
ALTER TABLE audit_log ADD COLUMN entry_id TEXT;
CREATE UNIQUE INDEX audit_log_by_entry_id ON audit_log (entry_id);
