-- 004_report.sql - the whole history for reporting: schema report, read by the role
-- tacitus_report (made by app/stack.sh), which may read these views and nothing else.
-- The views show no request body, argument, conf, secret or log line: what a job was
-- and how it went.  Times are timestamptz; days are UTC days.
CREATE SCHEMA report;

-- One row per batch and per session (never the internal driver rows).  state: a batch's;
-- a session's Livy state while it lives (starting, idle, busy, shutting_down), then how its
-- driver ended (success, dead, killed).  started_at: a batch's launch; a session's start
-- (its driver's launch, or the moment it took a warm-pool driver).  duration_s: from
-- started_at to finished_at.  reason: that of the last state change (for a session
-- Tacitus stopped, why it did).
CREATE VIEW report.jobs AS
SELECT 'batch'::text AS kind, b.id, b.name, b.owner, b.proxy_user,
       b.request ->> 'queue' AS queue, b.state,
       b.created_at AS submitted_at, b.launched_at AS started_at, b.finished_at,
       extract(epoch FROM b.finished_at - b.launched_at)::float8 AS duration_s,
       b.app_id,
       (SELECT e.reason FROM public.batch_event e WHERE e.batch_id = b.id
         ORDER BY e.at DESC LIMIT 1) AS reason,
       NULL::text AS session_kind
  FROM public.batch b
 WHERE b.id >= 0
UNION ALL
SELECT 'session', s.id, s.name, s.owner, s.proxy_user,
       s.request ->> 'queue',
       CASE WHEN d.finished_at IS NOT NULL THEN d.state
            WHEN d.deleted_at IS NOT NULL THEN 'shutting_down'
            WHEN d.state = 'running' AND d.repl_state IS NOT NULL THEN d.repl_state
            ELSE 'starting' END,
       s.created_at, greatest(d.launched_at, s.created_at), d.finished_at,
       extract(epoch FROM d.finished_at - greatest(d.launched_at, s.created_at))::float8,
       d.app_id,
       coalesce(s.stop_reason, (SELECT e.reason FROM public.batch_event e
                                 WHERE e.batch_id = d.id ORDER BY e.at DESC LIMIT 1)),
       s.kind
  FROM public.session s
  JOIN public.batch d ON d.id = s.driver_id;

-- Per UTC day of submission, owner, queue and kind.  success_rate: succeeded out of the
-- finished; durations of the finished, in seconds.
CREATE VIEW report.daily AS
SELECT (submitted_at AT TIME ZONE 'UTC')::date AS day, owner, queue, kind,
       count(*) AS jobs,
       count(*) FILTER (WHERE state = 'success') AS succeeded,
       count(*) FILTER (WHERE state = 'dead') AS failed,
       count(*) FILTER (WHERE state = 'killed') AS killed,
       round(count(*) FILTER (WHERE state = 'success')::numeric /
             nullif(count(finished_at), 0), 4) AS success_rate,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_s) AS p50_duration_s,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_s) AS p95_duration_s
  FROM report.jobs
 GROUP BY 1, 2, 3, 4;

-- What runs now, per owner and kind.
CREATE VIEW report.running AS
SELECT owner, kind,
       count(*) FILTER (WHERE state = 'starting') AS starting,
       count(*) FILTER (WHERE state <> 'starting') AS running,
       min(submitted_at) AS oldest_submitted_at
  FROM report.jobs
 WHERE finished_at IS NULL
 GROUP BY owner, kind;

-- One row per statement of a session.  duration_s: from its start to its completion, as
-- the driver timed them; output_bytes: the size of its output as stored (JSON).
CREATE VIEW report.statements AS
SELECT st.session_id, st.id, s.owner, st.kind, st.state,
       st.created_at AS submitted_at,
       CASE WHEN st.completed_ms > 0 THEN to_timestamp(st.completed_ms / 1000.0) END
           AS completed_at,
       CASE WHEN st.completed_ms > 0 AND st.started_ms > 0
            THEN (st.completed_ms - st.started_ms) / 1000.0 END::float8 AS duration_s,
       octet_length(st.code) AS code_bytes,
       coalesce(octet_length(st.output::text), 0) AS output_bytes
  FROM public.statement st
  JOIN public.session s ON s.id = st.session_id;

-- what reports filter on: an owner, a period
CREATE INDEX batch_owner ON batch (owner, created_at);
CREATE INDEX batch_day ON batch (((created_at AT TIME ZONE 'UTC')::date));
CREATE INDEX session_owner ON session (owner, created_at);
CREATE INDEX session_day ON session (((created_at AT TIME ZONE 'UTC')::date));
CREATE INDEX batch_unfinished ON batch (id) WHERE finished_at IS NULL;
-- what tacitus.history.keep-days purges first: the oldest finished
CREATE INDEX batch_history ON batch (finished_at) WHERE finished_at IS NOT NULL;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'tacitus_report') THEN
        GRANT USAGE ON SCHEMA report TO tacitus_report;
        GRANT SELECT ON ALL TABLES IN SCHEMA report TO tacitus_report;
    END IF;
END $$;
