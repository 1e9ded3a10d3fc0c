-- 009_history.sql - what the history read API (GET /history, app/store_history.c) pages
-- over: every batch and session ever submitted, newest first by submission time then
-- id.  A page walks these indexes backwards and stops at from + size, whatever the size
-- of the history; the owner filter has batch_owner and session_owner (004_report.sql).
CREATE INDEX batch_submitted ON batch (created_at, id) WHERE id >= 0;
CREATE INDEX session_submitted ON session (created_at, id);
