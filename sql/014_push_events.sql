-- 014_push_events.sql - a job's event stream (app/push.c, app/publish.c): each store of
-- new log lines is notified on tacitus_push too, in its own transaction, so that the
-- publishers post the lines to the clients that follow the job:
--   "l <job id> <log_lines before> <log_lines after>"
-- (its changes of state are 013_push.sql's "j" notifications).
CREATE FUNCTION push_log_grew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('tacitus_push', 'l ' || NEW.id || ' ' || OLD.log_lines || ' ' ||
                                      NEW.log_lines);
    RETURN NULL;
END $$;

CREATE TRIGGER push_log_grew AFTER UPDATE ON batch FOR EACH ROW
    WHEN (NEW.log_lines > OLD.log_lines)
    EXECUTE FUNCTION push_log_grew();
