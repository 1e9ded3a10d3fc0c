#!/bin/sh
# end.sh - how soon a job's end shows (issue 25): an exit-at-once Python batch
# (tests/jobs/quick.py, no SparkSession, no sleep), BENCH_RUNS (5) times each, alternating,
# after one unmeasured run of each:
#   bare     spark-submit of the file with the very arguments Tacitus gave it (read from
#            the batch row of the warm-up) and the Python jobs get, from its start to its
#            exit
#   tacitus  POST /batches of the same file to a throwaway stack (2 instances, job
#            accounts when run as root): from just before the POST (the client's clock)
#            to the state change to success (batch_event.at, the same clock), from
#            which on every GET says success (end_post.py waits with one request,
#            GET .../state?until=end: a poller slows the job itself on 2 cores)
# and the median gap.  For each Tacitus run the state events (batch_event.at) show
# where the time went: POST -> running (claim, launch), running -> success (spark-submit,
# then the monitor's end of the job), and which instance ran it.
# BENCH_BIN runs another build (e.g. an older one, for a before/after on the same machine).
# Not part of make test (make bench).  A stack of its own: TACITUS_VAR, ports below.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=/tmp/tacitus-bench-end
export TACITUS_VAR=$BASE/stack TACITUS_PORT=${BENCH_PORT:-19981} TACITUS_PGPORT=${BENCH_PGPORT:-55481}
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="${BENCH_BIN:-$ROOT/build/tacitus}" TACITUS_INSTANCES=${BENCH_INSTANCES:-2} TACITUS_WORKERS=2
RUNS=${BENCH_RUNS:-5}
JOB=$ROOT/tests/jobs/quick.py

[ -x "$TACITUS_BIN" ] || { echo "end: no $TACITUS_BIN (make build/tacitus)" >&2; exit 1; }
sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$BASE"
mkdir -p "$BASE/bare"
chmod 755 "$BASE"
cleanup() {
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	sh "$ROOT/app/stack.sh" kill-jobs || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
q() { $TACITUS_PSQL -Atc "$1"; }
now_ms() { date +%s%3N; }
secs() { awk -v ms="$1" 'BEGIN {printf "%.3f", ms / 1000}'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
SPARK_SUBMIT=$("$ROOT/.venv/bin/python" -c \
	'import os, pyspark; print(os.path.dirname(pyspark.__file__))')/bin/spark-submit
export SPARK_HOME="${SPARK_SUBMIT%/bin/spark-submit}"

tacitus_run() {         # tacitus_run TAG: sets TAC_MS, TAC_ID
	set -- $("$ROOT/.venv/bin/python" "$ROOT/tests/bench/end_post.py" "$JOB" "$1")
	[ $# = 2 ] || { echo "end: no batch" >&2; exit 1; }
	TAC_ID=$1
	TAC_MS=$(($(q "SELECT round(extract(epoch FROM at) * 1000)::bigint FROM batch_event
		       WHERE batch_id = $1 AND to_state = 'success'") - $2))
}

# the arguments Tacitus gave spark-submit for the warm-up batch, one a line
tacitus_run warm-up
q "SELECT argv FROM batch WHERE id = $TAC_ID" |
	"$ROOT/.venv/bin/python" -c 'import json, sys; print("\n".join(json.load(sys.stdin)))' \
	> "$BASE/argv"

# the Python jobs get (app/stack.sh: the system's when jobs run as job accounts, which
# cannot enter the checkout's venv when it lives under a private home)
if [ -f "$TACITUS_VAR/run/job-users" ]; then JOB_PYTHON=/usr/bin/python3; else JOB_PYTHON=$ROOT/.venv/bin/python; fi
bare_run() {            # bare_run TAG: sets BARE_MS (the arguments made before the clock starts)
	sed "s|^warm-up\$|$1|" "$BASE/argv" | tr '\n' '\0' > "$BASE/bare/$1.argv"
	cd "$BASE/bare"
	t0=$(now_ms)
	env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$BASE/bare" \
		${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} SPARK_HOME="$SPARK_HOME" \
		PYSPARK_PYTHON="$JOB_PYTHON" PYSPARK_DRIVER_PYTHON="$JOB_PYTHON" \
		xargs -0 -a "$BASE/bare/$1.argv" "$SPARK_SUBMIT" > "$BASE/bare/$1.log" 2>&1 ||
		{ cat "$BASE/bare/$1.log" >&2; exit 1; }
	BARE_MS=$(($(now_ms) - t0))
	cd "$ROOT"
}
bare_run bare-warm-up

# where one batch's time went, from its state events: POST (created_at) -> running,
# running -> its end, and the instance that ran it
breakdown() {
	q "SELECT round(extract(epoch FROM (r.at - b.created_at)) * 1000)::int || ' ' ||
		  round(extract(epoch FROM (e.at - r.at)) * 1000)::int || ' ' || r.actor
	   FROM batch b JOIN batch_event r ON r.batch_id = b.id AND r.to_state = 'running'
	   JOIN batch_event e ON e.batch_id = b.id AND e.to_state = 'success'
	   WHERE b.id = $1"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(date -u +%F)"
echo "job: $JOB (exits at once), $TACITUS_INSTANCES instances, $RUNS runs each, alternating"
bare_all="" tac_all="" gap_all=""
for i in $(seq "$RUNS"); do
	bare_run "bare-$i"
	tacitus_run "tacitus-$i"
	set -- $(breakdown "$TAC_ID")
	echo "run $i: bare $(secs $BARE_MS) s, tacitus $(secs $TAC_MS) s (batch $TAC_ID on $3:" \
		"POST -> running $(secs "$1") s, running -> success $(secs "$2") s)"
	bare_all="$bare_all $BARE_MS" tac_all="$tac_all $TAC_MS"
	gap_all="$gap_all $((TAC_MS - BARE_MS))"
done
b=$(echo "$bare_all" | median) t=$(echo "$tac_all" | median)
echo "median of $RUNS: bare spark-submit $(secs "$b") s, Tacitus POST -> success $(secs "$t") s," \
	"gap $((t - b)) ms (median of the per-run gaps $(echo "$gap_all" | median) ms)"
