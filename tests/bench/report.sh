#!/bin/sh
# report.sh - the reporting views on a big history: BENCH_BATCHES batches (1,000,000) over
# 365 days by 200 owners in 10 queues, two state changes each, BENCH_SESSIONS sessions
# (10,000) with 10 statements each, and BENCH_LOG_LINES log lines (100,000,000), generated
# in SQL; then the median of 5 runs of: report.daily for one month, report.jobs for one
# owner (a month), report.running, success rate per owner last week.  API-only instances
# (nothing launches, nothing purges).  Needs ~15 GB of disk with the default sizes.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TACITUS_VAR=/tmp/tacitus-bench-report TACITUS_PORT=${BENCH_PORT:-19995} TACITUS_PGPORT=55463
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=1 TACITUS_WORKERS=1
export TACITUS_NO_MONITOR=1 TACITUS_PG_FAST=1
BATCHES=${BENCH_BATCHES:-1000000}
SESSIONS=${BENCH_SESSIONS:-10000}
LINES=${BENCH_LOG_LINES:-100000000}

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
trap 'sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
q() { $TACITUS_PSQL -Atq -c "$1"; }

t0=$(date +%s)
q "INSERT INTO batch (id, name, owner, state, request, argv, created_at, launched_at,
		      finished_at, app_id, exit_code)
   SELECT i, 'job-' || i, 'user' || (i % 200),
	  (ARRAY['success', 'success', 'success', 'dead', 'killed'])[1 + i % 5],
	  jsonb_build_object('file', '/jobs/x.py', 'queue', 'q' || (i % 10)), '[]',
	  t, t + interval '5 seconds', t + interval '5 seconds' + (i % 600) * interval '1 second',
	  'local-' || i, CASE WHEN i % 5 < 3 THEN 0 ELSE 1 END
     FROM generate_series(1, $BATCHES) i,
	  LATERAL (SELECT now() - interval '365 days' + i * (interval '365 days' / $BATCHES)) s(t)"
q "SELECT setval('batch_id_seq', $BATCHES + 1)" >/dev/null
q "INSERT INTO batch_event (batch_id, at, from_state, to_state, actor, reason)
   SELECT id, launched_at, 'starting', 'running', 'app-1', 'spark-submit started' FROM batch
   UNION ALL
   SELECT id, finished_at, 'running', state, 'app-1', 'spark-submit exited with code ' || exit_code
     FROM batch WHERE id > 0"
q "INSERT INTO batch (id, owner, state, request, argv, created_at, launched_at, finished_at)
   SELECT -i, 'user' || (i % 200), 'killed', '{}', '[]', t, t, t + interval '1 hour'
     FROM generate_series(1, $SESSIONS) i,
	  LATERAL (SELECT now() - interval '365 days' + i * (interval '365 days' / $SESSIONS)) s(t)"
q "INSERT INTO session (id, owner, kind, request, driver_id, created_at)
   SELECT i, 'user' || (i % 200), 'pyspark', '{}', -i, now() - interval '365 days' +
	  i * (interval '365 days' / $SESSIONS) FROM generate_series(1, $SESSIONS) i"
q "INSERT INTO statement (session_id, id, code, kind, state, output, started_ms, completed_ms)
   SELECT s, n, 'spark.range(1000).count()', 'pyspark', 'available', '{\"status\": \"ok\"}',
	  1000, 2000 FROM generate_series(1, $SESSIONS) s, generate_series(0, 9) n"
per=$((LINES / BATCHES))
[ "$per" -ge 1 ] || per=1
q "INSERT INTO batch_log_chunk (batch_id, first_line, line_count, lines)
   SELECT b, min(n), count(*), string_agg('26/11/29 12:00:00 INFO SparkContext: a log line of ' ||
					  'a big history, number ' || n, E'\\n' ORDER BY n)
     FROM generate_series(1, $BATCHES) b, generate_series(0, $per - 1) n GROUP BY b, n / 2000"
q "VACUUM ANALYZE batch, batch_event, batch_log_chunk, session, statement"
t1=$(date +%s)
echo "generated $BATCHES batches, $SESSIONS sessions, $((SESSIONS * 10)) statements," \
     "$((BATCHES * per)) log lines in $((t1 - t0)) s; database $(q "SELECT pg_size_pretty(pg_database_size('tacitus'))")"

# median of 5 timings (ms, from EXPLAIN ANALYZE's execution time) of one query as tacitus_report
time_query() {
	label=$1
	sql=$2
	for i in 1 2 3 4 5; do
		$TACITUS_REPORT_PSQL -Atq -c "EXPLAIN (ANALYZE, FORMAT JSON) $sql" |
			sed -n 's/.*"Execution Time": \([0-9.]*\).*/\1/p'
	done | sort -n | sed -n 3p | xargs printf "%-48s %8.1f ms (median of 5)\n" "$label"
}
time_query "report.daily, one month" \
	"SELECT * FROM report.daily WHERE day >= current_date - 60 AND day < current_date - 30"
time_query "report.jobs, one owner, one month" \
	"SELECT * FROM report.jobs WHERE owner = 'user7' AND submitted_at >= now() - interval '60 days' AND submitted_at < now() - interval '30 days'"
time_query "report.jobs, one owner, all history" \
	"SELECT * FROM report.jobs WHERE owner = 'user7'"
time_query "success rate per owner, last week" \
	"SELECT owner, sum(succeeded) / nullif(sum(succeeded + failed + killed), 0) FROM report.daily WHERE day > current_date - 7 GROUP BY owner"
time_query "report.running" "SELECT * FROM report.running"
time_query "report.statements, one owner" \
	"SELECT * FROM report.statements WHERE owner = 'user7'"
