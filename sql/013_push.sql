-- 013_push.sql - waiting clients (app/push.c): every change a waiting client can wait
-- for is notified on channel tacitus_push, in the transaction that makes it, so that
-- each instance's publisher (app/publish.c) wakes the clients nginx holds for it.
--
-- A client waits on a version of what it read, never on a state name alone: a
-- session goes idle -> busy -> idle, and a wake-up meant for the first idle must not
-- end a wait that began at the second.  batch.push_seq counts the changes of what the
-- API shows of a job (a batch's state, a session's state: its driver's state, REPL
-- state, stop and end); a statement's states never come back, so its state is its
-- version.  The payloads (read by push_note_channel):
--   "j <job id> <push_seq before the change>"
--   "t <session id> <statement id> <state before the change>"
ALTER TABLE batch ADD COLUMN push_seq int NOT NULL DEFAULT 0;

CREATE FUNCTION push_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.push_seq := OLD.push_seq + 1;
    PERFORM pg_notify('tacitus_push', 'j ' || OLD.id || ' ' || OLD.push_seq);
    RETURN NEW;
END $$;

CREATE TRIGGER push_job_changed BEFORE UPDATE ON batch FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state OR
          OLD.repl_state IS DISTINCT FROM NEW.repl_state OR
          OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR
          OLD.finished_at IS DISTINCT FROM NEW.finished_at)
    EXECUTE FUNCTION push_job_changed();

CREATE FUNCTION push_statement_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tacitus_push', 't ' || OLD.session_id || ' ' || OLD.id || ' ' ||
                                      OLD.state);
    RETURN NULL;
END $$;

CREATE TRIGGER push_statement_changed AFTER UPDATE ON statement FOR EACH ROW
    WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION push_statement_changed();
