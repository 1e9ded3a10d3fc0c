-- 012_webhook_changes.sql - completion webhooks for every state change of a job whose
-- request asked for them (callbackEvents "all", hook.h), not only for its end.
--
-- hook_event.final: the job's end (what tacitus.webhook.urls get too); the other events
-- go to the job's own callbackUrl only.  Its payload's type is <kind>.ended for an end,
-- <kind>.changed for another change, and data.from says the state before.
ALTER TABLE hook_event ADD COLUMN final boolean NOT NULL DEFAULT true;

DROP TRIGGER hook_job_ended ON batch_event;
DROP FUNCTION hook_job_ended();

CREATE FUNCTION hook_job_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b batch%ROWTYPE;
    s session%ROWTYPE;
    request jsonb;
    final boolean := NEW.to_state IN ('success', 'dead', 'killed');
    kind text;
BEGIN
    SELECT * INTO b FROM batch WHERE id = NEW.batch_id;
    IF b.id < 0 THEN
        SELECT * INTO s FROM session WHERE driver_id = b.id;
        IF s.id IS NULL THEN
            RETURN NULL;                      -- a warm pool's driver: nobody's job
        END IF;
    END IF;
    request := CASE WHEN s.id IS NULL THEN b.request ELSE s.request END;
    IF NOT final AND (request ->> 'callbackUrl' IS NULL OR
                      coalesce(request ->> 'callbackEvents', 'ended') <> 'all') THEN
        RETURN NULL;                          -- nobody asked for this change
    END IF;
    kind := CASE WHEN s.id IS NULL THEN 'batch' ELSE 'session' END;
    INSERT INTO hook_event (batch_id, callback, final, payload)
    VALUES (b.id, request ->> 'callbackUrl', final,
            json_build_object(
                'type', kind || CASE WHEN final THEN '.ended' ELSE '.changed' END,
                'timestamp', to_char(NEW.at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'data', json_build_object(
                    'kind', kind,
                    'id', coalesce(s.id, b.id),
                    'name', coalesce(s.name, b.name),
                    'owner', coalesce(s.owner, b.owner),
                    'proxyUser', coalesce(s.proxy_user, b.proxy_user),
                    'from', NEW.from_state,
                    'state', NEW.to_state,
                    'appId', b.app_id,
                    'exitCode', b.exit_code,
                    'reason', NEW.reason,
                    'submitted', to_char(coalesce(s.created_at, b.created_at) AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'finished', CASE WHEN final THEN to_char(NEW.at AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END))::text);
    NOTIFY tacitus_hook;
    RETURN NULL;
END $$;

CREATE TRIGGER hook_job_changed AFTER INSERT ON batch_event FOR EACH ROW
    EXECUTE FUNCTION hook_job_changed();
