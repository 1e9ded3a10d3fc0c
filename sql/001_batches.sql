-- 001_batches.sql - batches, their log lines and every state change they went through.
-- Rows are never deleted: DELETE and the retain window only hide them from the API,
-- so the whole history stays queryable in SQL.

CREATE SEQUENCE batch_id_seq AS bigint MINVALUE 0 START WITH 0;

CREATE TABLE batch (
    id               bigint PRIMARY KEY DEFAULT nextval('batch_id_seq'),
    name             text,
    owner            text,
    proxy_user       text,
    state            text NOT NULL DEFAULT 'starting'
                     CHECK (state IN ('starting', 'running', 'success', 'dead', 'killed')),
    app_id           text,
    spark_ui_url     text,
    driver_log_url   text,
    request          jsonb NOT NULL,          -- the body of POST /batches as accepted
    argv             jsonb NOT NULL,          -- spark-submit's arguments after argv[0]
    created_at       timestamptz NOT NULL DEFAULT now(),
    launched_at      timestamptz,
    finished_at      timestamptz,
    deleted_at       timestamptz,             -- DELETE /batches/{id}: gone from the API
    exit_code        int,
    -- ownership: the monitor that launched it (or adopted it) holds the lease
    lease_owner      text,
    lease_expires_at timestamptz,
    host             text,
    boot_id          text,
    pid              int,                     -- the job shim; also the process group
    pid_start        bigint,                  -- its start time in clock ticks since boot
    job_dir          text,
    kill_sent_at     timestamptz,
    out_offset       bigint NOT NULL DEFAULT 0,   -- bytes of job_dir/stdout stored
    err_offset       bigint NOT NULL DEFAULT 0,   -- bytes of job_dir/stderr stored
    log_lines        int NOT NULL DEFAULT 0,      -- lines stored in batch_log
    log_tail         text NOT NULL DEFAULT ''     -- the last min(9, log_lines) of them, joined by \n
);

-- what the API can see: unfinished rows, and finished ones inside state-retain; both
-- scans cost what is visible, not the size of the history
CREATE INDEX batch_active ON batch (id) WHERE deleted_at IS NULL AND finished_at IS NULL;
CREATE INDEX batch_finished ON batch (finished_at) WHERE deleted_at IS NULL;
CREATE INDEX batch_name ON batch (name) WHERE deleted_at IS NULL AND name IS NOT NULL;
-- what monitors claim and watch
CREATE INDEX batch_unclaimed ON batch (id) WHERE state = 'starting' AND lease_owner IS NULL;
CREATE INDEX batch_leased ON batch (lease_owner) WHERE state IN ('starting', 'running');

CREATE TABLE batch_log (
    batch_id bigint NOT NULL REFERENCES batch (id),
    line_no  int NOT NULL,
    line     text NOT NULL,
    PRIMARY KEY (batch_id, line_no)
);

CREATE TABLE batch_event (
    batch_id   bigint NOT NULL REFERENCES batch (id),
    at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    from_state text,
    to_state   text NOT NULL,
    actor      text,                          -- instance/role that made the change
    reason     text NOT NULL
);
CREATE INDEX batch_event_batch ON batch_event (batch_id, at);
