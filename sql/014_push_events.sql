-- 014_push_events.sql - a job's event stream and completions (app/push.c,
-- app/publish.c): each store of new log lines is notified on tacitus_push too, in its
-- own transaction, so that the publishers post the lines to the clients that follow
-- the job (its changes of state are 013_push.sql's "j" notifications), and so is a
-- driver's answer to a completion, which its client waits for in nginx:
--   "l <job id> <log_lines before> <log_lines after>"
--   "c <completion id>"
CREATE FUNCTION push_log_grew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tacitus_push', 'l ' || NEW.id || ' ' || OLD.log_lines || ' ' ||
                                      NEW.log_lines);
    RETURN NULL;
END $$;

CREATE TRIGGER push_log_grew AFTER UPDATE ON batch FOR EACH ROW
    WHEN (NEW.log_lines > OLD.log_lines)
    EXECUTE FUNCTION push_log_grew();

CREATE FUNCTION push_completion_answered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tacitus_push', 'c ' || NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER push_completion_answered AFTER UPDATE ON completion FOR EACH ROW
    WHEN (OLD.candidates IS NULL AND NEW.candidates IS NOT NULL)
    EXECUTE FUNCTION push_completion_answered();
