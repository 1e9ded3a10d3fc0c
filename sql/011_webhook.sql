-- 011_webhook.sql - completion webhooks (app/hook.c): an outbox written in the same
-- transaction as a job's terminal state, so that no crash loses or forgets one.
--
-- hook_event: one row per batch or session that ended, written by a trigger on the
-- state change itself (every state change inserts its batch_event row in the same
-- statement), with the JSON the receivers get.  An instance's webhook sender fans an
-- event out once into hook_delivery rows, one per URL (the job's callbackUrl and the
-- server's tacitus.webhook.urls), then delivers each at least once, claimed by lease,
-- retried with exponential backoff until it is answered 2xx or its time runs out;
-- every attempt and its answer is in hook_attempt.
CREATE TABLE hook_event (
    id          bigserial PRIMARY KEY,
    batch_id    bigint NOT NULL,          -- the row that ended (a session's driver)
    callback    text,                     -- the job's callbackUrl, NULL = none
    payload     text NOT NULL,            -- the body POSTed, as sent
    created_at  timestamptz NOT NULL DEFAULT now(),
    fanned_out  boolean NOT NULL DEFAULT false
);
CREATE INDEX hook_event_new ON hook_event (id) WHERE NOT fanned_out;

CREATE TABLE hook_delivery (
    id            bigserial PRIMARY KEY,
    event_id      bigint NOT NULL REFERENCES hook_event (id),
    url           text NOT NULL,
    attempts      int NOT NULL DEFAULT 0,
    next_at       timestamptz NOT NULL DEFAULT now(),
    give_up_at    timestamptz NOT NULL,
    claimed_by    text,
    claimed_until timestamptz,
    delivered_at  timestamptz,
    gave_up_at    timestamptz,
    UNIQUE (event_id, url)
);
CREATE INDEX hook_delivery_due ON hook_delivery (next_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;

CREATE TABLE hook_attempt (
    delivery_id bigint NOT NULL REFERENCES hook_delivery (id),
    at          timestamptz NOT NULL DEFAULT now(),
    instance    text NOT NULL,
    status      int,                      -- the HTTP status, NULL = no answer
    error       text,                     -- why there was none (or the status's meaning)
    ms          int NOT NULL
);
CREATE INDEX hook_attempt_delivery ON hook_attempt (delivery_id);

-- The event of a job's end: what GET /batches/{id} (or /sessions/{id}) shows of it,
-- with why it ended and when, in Standard Webhooks' shape (type, timestamp, data).
CREATE FUNCTION hook_job_ended() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    b batch%ROWTYPE;
    s session%ROWTYPE;
BEGIN
    SELECT * INTO b FROM batch WHERE id = NEW.batch_id;
    IF b.id < 0 THEN
        SELECT * INTO s FROM session WHERE driver_id = b.id;
        IF s.id IS NULL THEN
            RETURN NULL;                      -- a warm pool's driver: nobody's job
        END IF;
    END IF;
    INSERT INTO hook_event (batch_id, callback, payload)
    VALUES (b.id,
            CASE WHEN s.id IS NULL THEN b.request ELSE s.request END ->> 'callbackUrl',
            json_build_object(
                'type', CASE WHEN s.id IS NULL THEN 'batch' ELSE 'session' END || '.ended',
                'timestamp', to_char(NEW.at AT TIME ZONE 'UTC',
                                     'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                'data', json_build_object(
                    'kind', CASE WHEN s.id IS NULL THEN 'batch' ELSE 'session' END,
                    'id', coalesce(s.id, b.id),
                    'name', coalesce(s.name, b.name),
                    'owner', coalesce(s.owner, b.owner),
                    'proxyUser', coalesce(s.proxy_user, b.proxy_user),
                    'state', NEW.to_state,
                    'appId', b.app_id,
                    'exitCode', b.exit_code,
                    'reason', NEW.reason,
                    'submitted', to_char(coalesce(s.created_at, b.created_at) AT TIME ZONE 'UTC',
                                         'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                    'finished', to_char(NEW.at AT TIME ZONE 'UTC',
                                        'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))::text);
    NOTIFY tacitus_hook;
    RETURN NULL;
END $$;

CREATE TRIGGER hook_job_ended AFTER INSERT ON batch_event FOR EACH ROW
    WHEN (NEW.to_state IN ('success', 'dead', 'killed'))
    EXECUTE FUNCTION hook_job_ended();
