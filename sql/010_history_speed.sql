-- 010_history_speed.sql - what GET /history (app/store_history.c) filters and searches
-- on, so that every page of a big history answers fast.  A state filter walks
-- batch_state newest first and counts in it alone; a non-superuser's view (owner or
-- proxy user) joins batch_owner (004_report.sql) and batch_proxy_user; the search of
-- any part of a name (ILIKE '%q%') reads trigram indexes.  pg_trgm is a trusted
-- extension: the owner of the database, the role tacitus, may create it; in a schema of
-- its own that no other role may use (the operator ILIKE the history queries is
-- PostgreSQL's own: its queries do not name the schema).
CREATE SCHEMA trgm;
CREATE EXTENSION pg_trgm SCHEMA trgm;
CREATE INDEX batch_state ON batch (state, created_at, id) WHERE id >= 0;
CREATE INDEX batch_proxy_user ON batch (proxy_user, created_at) WHERE proxy_user IS NOT NULL;
CREATE INDEX batch_name_trgm ON batch USING gin (name trgm.gin_trgm_ops) WHERE id >= 0;
CREATE INDEX session_name_trgm ON session USING gin (name trgm.gin_trgm_ops);
