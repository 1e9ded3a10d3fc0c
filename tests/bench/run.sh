#!/bin/sh
# run.sh - make bench: wrk through nginx (TLS 1.3, keep-alive, basic auth) against a
# bench stack of its own (release build, durable PostgreSQL) seeded with 100,000
# batches.  Prints req/s and p50/p99 per endpoint; not part of make test.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# BENCH_VAR, BENCH_PORT, BENCH_PGPORT: another bench stack beside this one (say, of
# another checkout, to compare the two builds in turns)
export TACITUS_VAR=${BENCH_VAR:-/tmp/tacitus-bench} TACITUS_PORT=${BENCH_PORT:-19998}
export TACITUS_PGPORT=${BENCH_PGPORT:-55460}
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=${BENCH_INSTANCES:-2}
export TACITUS_WORKERS=${BENCH_WORKERS:-3}
DURATION=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-32}

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
trap 'sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1; sh "$ROOT/app/stack.sh" kill-jobs' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"

echo "seeding 100,000 batches (99,000 finished two days ago, 1,000 inside state-retain, 20 log lines each)"
$TACITUS_PSQL -q -v ON_ERROR_STOP=1 <<'SQL'
INSERT INTO batch (owner, state, request, argv, created_at, finished_at, exit_code, lease_owner)
SELECT 'bench', 'success', '{"file":"/x.py"}', '["/x.py"]', now() - interval '2 days',
       now() - interval '2 days', 0, 'seed'
FROM generate_series(1, 99000);
INSERT INTO batch (owner, state, request, argv, finished_at, exit_code, lease_owner)
SELECT 'bench', 'success', '{"file":"/x.py"}', '["/x.py"]', now(), 0, 'seed'
FROM generate_series(1, 1000);
INSERT INTO batch_log_chunk (batch_id, first_line, line_count, lines)
SELECT b.id, 0, 20, string_agg('26/11/25 12:00:00 INFO DAGScheduler: Job ' || g ||
                               ' finished: count at x.py:12', E'\n' ORDER BY g)
FROM batch b, generate_series(0, 19) g GROUP BY b.id;
UPDATE batch SET log_lines = 20, log_tail = (SELECT string_agg(line, E'\n' ORDER BY line_no)
  FROM batch_log WHERE batch_id = batch.id AND line_no >= 11);
VACUUM ANALYZE batch, batch_log_chunk, batch_event;
SQL
ID=$($TACITUS_PSQL -Atc "SELECT max(id) - 500 FROM batch")
AUTH="Authorization: Basic $(printf %s "$TACITUS_USER:$TACITUS_PASSWORD" | base64 -w0)"

bench() {   # bench NAME PATH
	out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$AUTH" "$TACITUS_URL$2")
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
	printf '| %-34s | %9s | %8s | %8s | %s |\n' "$1" "$rps" "$p50" "$p99" "${non2xx:-0}"
}

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
echo "wrk -t2 -c$CONNS -d${DURATION}s --latency, HTTPS + basic auth through nginx, $TACITUS_INSTANCES instances x $TACITUS_WORKERS workers"
echo
echo "| endpoint                           |     req/s |      p50 |      p99 | non-2xx |"
echo "|---|---|---|---|---|"
bench "GET /version (ceiling)" /version
bench "GET /batches/{id}/state" "/batches/$ID/state"
bench "GET /batches/{id}" "/batches/$ID"
bench "GET /batches?size=100 (1,000 visible)" "/batches?size=100"
bench "GET /batches/{id}/log?size=100" "/batches/$ID/log?from=0&size=100"
$TACITUS_PSQL -qc "UPDATE batch SET finished_at = now()" -c "VACUUM ANALYZE batch" >/dev/null
bench "GET /batches?size=100 (100,000 visible)" "/batches?size=100"
