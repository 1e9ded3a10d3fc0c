-- 003_sessions.sql - interactive sessions, their drivers, statements and completions.
--
-- A session's driver (app/repl.py under spark-submit) is a Spark application like a
-- batch, so it is a row of `batch` with a negative id: the monitor launches, tracks,
-- kills and adopts it with the code it uses for batches, and the batch API never shows
-- it (ids < 0).  The `session` row is what /sessions shows; it points at its driver.
-- A driver started for the warm pool has `pool` set and no session until a POST
-- /sessions takes it.  Nothing is deleted: DELETE and the retain window only hide.

CREATE SEQUENCE driver_id_seq AS bigint MINVALUE 1 START WITH 1;   -- driver rows: -nextval
CREATE SEQUENCE session_id_seq AS bigint MINVALUE 0 START WITH 0;

ALTER TABLE batch
    ADD COLUMN pool        text,          -- warm pool it waits in; NULL once taken (or never pooled)
    ADD COLUMN secret_hash bytea,         -- sha256 of the driver's secret, set before launch
    ADD COLUMN repl_state  text CHECK (repl_state IN ('idle', 'busy', 'error')),
    ADD COLUMN wake_addr   text,          -- ip:port of the driver's UDP wake-up socket
    ADD COLUMN seen_at     timestamptz;   -- the driver's last sync
CREATE UNIQUE INDEX batch_secret ON batch (secret_hash) WHERE secret_hash IS NOT NULL;
CREATE INDEX batch_pool ON batch (pool) WHERE pool IS NOT NULL AND state IN ('starting', 'running');

CREATE TABLE session (
    id              bigint PRIMARY KEY DEFAULT nextval('session_id_seq'),
    name            text,
    owner           text,
    proxy_user      text,
    kind            text NOT NULL CHECK (kind IN ('spark', 'pyspark', 'sparkr', 'sql', 'shared')),
    request         jsonb NOT NULL,       -- the body of POST /sessions as accepted
    driver_id       bigint NOT NULL UNIQUE REFERENCES batch (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz,          -- DELETE /sessions/{id}: gone from the API
    activity_at     timestamptz NOT NULL DEFAULT now(),  -- statements, cancel, completion
    heartbeat_at    timestamptz NOT NULL DEFAULT now(),  -- any /sessions/{id}/... request
    heartbeat_sec   int NOT NULL DEFAULT 0,
    idle_timeout_ms bigint,               -- NULL: livy.server.session.timeout
    ttl_ms          bigint,               -- NULL: livy.server.session.ttl
    stop_reason     text,                 -- why Tacitus stopped it (timeouts, DELETE)
    next_statement  int NOT NULL DEFAULT 0
);
CREATE INDEX session_live ON session (id) WHERE deleted_at IS NULL;
CREATE INDEX session_name ON session (name) WHERE deleted_at IS NULL AND name IS NOT NULL;

CREATE TABLE statement (
    session_id   bigint NOT NULL REFERENCES session (id),
    id           int NOT NULL,
    code         text NOT NULL,
    kind         text NOT NULL CHECK (kind IN ('spark', 'pyspark', 'sql')),
    state        text NOT NULL DEFAULT 'waiting'
                 CHECK (state IN ('waiting', 'running', 'available', 'cancelling', 'cancelled')),
    output       json,                 -- as the driver sent it (key order kept)
    progress     double precision NOT NULL DEFAULT 0,
    started_ms   bigint NOT NULL DEFAULT 0,
    completed_ms bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (session_id, id)
);
CREATE INDEX statement_open ON statement (session_id, id) WHERE state IN ('waiting', 'running', 'cancelling');

CREATE TABLE completion (
    id          bigserial PRIMARY KEY,
    session_id  bigint NOT NULL REFERENCES session (id),
    code        text NOT NULL,
    kind        text NOT NULL,
    cursor_pos  int NOT NULL,
    candidates  jsonb,                    -- NULL until the driver answered
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX completion_open ON completion (session_id) WHERE candidates IS NULL;
