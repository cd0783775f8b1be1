-- Usage reports (`GET /admin/usage`) read generations by time range.
CREATE INDEX audit_log_by_action_time ON audit_log (action, at);
