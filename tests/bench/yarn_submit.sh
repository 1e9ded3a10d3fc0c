#!/bin/sh
# yarn_submit.sh - "submit -> RUNNING" on a real one-node YARN (tests/cluster/yarn.sh),
# for a small PySpark app (tests/jobs/sleep.py, a few seconds), BENCH_RUNS (5) times each,
# alternating:
#   bare     spark-submit --master yarn --deploy-mode cluster (waitAppCompletion=false,
#            a tag of ours in spark.yarn.tags): from its start to the ResourceManager
#            saying RUNNING (/ws/v1/cluster/apps?applicationTags=..., polled every 0.1 s)
#   tacitus  POST /batches of the same file to a throwaway stack (yarn, cluster mode,
#            livy.server.yarn.poll-interval = 1s): to GET /batches/{id}/state = running
#            (polled every 0.1 s); the ResourceManager is polled alongside, so that the
#            share of the poll interval (RM RUNNING -> Tacitus running) shows.
# Each run waits for its application to end before the next starts (2 cores).
# (POSIX sh has no local variables: the functions' counters have names of their own.)
# The real YARN's ports are fixed: run it under the lock,
#   flock /tmp/tacitus-itest.lock sh tests/bench/yarn_submit.sh
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=/tmp/tacitus-bench-yarn
export TACITUS_VAR=$BASE/stack TACITUS_PORT=${BENCH_PORT:-19993} TACITUS_PGPORT=55465
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=1 TACITUS_WORKERS=1
export LIVY_CONF_DIR=$TACITUS_VAR/conf
RUNS=${BENCH_RUNS:-5}
SLEEP=${BENCH_APP_SECONDS:-3}
JOB=$ROOT/tests/jobs/sleep.py
RUN_ID=$(openssl rand -hex 4)

[ -x "$TACITUS_BIN" ] || { echo "yarn_submit: no $TACITUS_BIN (make build/tacitus)" >&2; exit 1; }
sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
sh "$ROOT/tests/cluster/yarn.sh" stop "$BASE/yarn" 2>/dev/null || true
rm -rf "$BASE"
mkdir -p "$BASE" "$LIVY_CONF_DIR"
chmod 755 "$BASE"
cleanup() {
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	sh "$ROOT/app/stack.sh" kill-jobs || true
	sh "$ROOT/tests/cluster/yarn.sh" stop "$BASE/yarn" || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# HADOOP_CONF_DIR, YARN_CONF_DIR, SPARK_CONF_DIR, JAVA_HOME, TACITUS_RM_URL: the stack
# passes the first four on to spark-submit
YARN_ENV=$(sh "$ROOT/tests/cluster/yarn.sh" start "$BASE/yarn")
eval "$(printf '%s\n' "$YARN_ENV" | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
RM=$TACITUS_RM_URL

cat > "$LIVY_CONF_DIR/livy.conf" <<CONF
livy.spark.master = yarn
livy.spark.deploy-mode = cluster
livy.server.yarn.poll-interval = 1s
livy.server.yarn.app-lookup-timeout = 60s
livy.server.session.max-creation = 100
livy.file.local-dir-whitelist = $ROOT/tests/jobs
livy.superusers = $TACITUS_USER
CONF
cp "$ROOT/app/conf/spark-blacklist.conf" "$LIVY_CONF_DIR/"
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
api() { curl -fsS --cacert "$TACITUS_CA" -u "$TACITUS_USER:$TACITUS_PASSWORD" "$@"; }
SPARK_SUBMIT="${SPARK_HOME:-/nonexistent}/bin/spark-submit"
[ -x "$SPARK_SUBMIT" ] || SPARK_SUBMIT=$("$ROOT/.venv/bin/python" -c \
	'import os, pyspark; print(os.path.dirname(pyspark.__file__))')/bin/spark-submit
now_ms() { date +%s%3N; }
# the state of the one application of a tag ("" while the RM has none)
rm_state() {
	curl -fsS "$RM/ws/v1/cluster/apps?applicationTags=$1" 2>/dev/null |
		grep -o '"state":"[A-Z_]*"' | head -n 1 | cut -d'"' -f4
}
rm_running() {  # how many applications the RM says are RUNNING
	curl -fsS "$RM/ws/v1/cluster/apps?states=RUNNING" 2>/dev/null |
		grep -o '"state":"RUNNING"' | wc -l
}
wait_rm_idle() {        # until no application runs or is accepted (120 s at most)
	w=0
	while curl -fsS "$RM/ws/v1/cluster/apps?states=NEW,NEW_SAVING,SUBMITTED,ACCEPTED,RUNNING" |
		grep -q '"id":"application_'; do
		[ $w -lt 1200 ] || { echo "yarn_submit: YARN still busy after 120 s" >&2; exit 1; }
		sleep 0.1
		w=$((w + 1))
	done
}
# printed with one decimal: x.y s from ms
secs() { awk -v ms="$1" 'BEGIN {printf "%.1f", ms / 1000}'; }
median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

bare_run() {    # bare_run I: sets BARE_MS
	tag=bench-bare-$RUN_ID-$1
	t0=$(now_ms)
	"$SPARK_SUBMIT" --master yarn --deploy-mode cluster --name "bench-bare-$1" \
		--conf spark.yarn.submit.waitAppCompletion=false --conf "spark.yarn.tags=$tag" \
		"$JOB" "$tag" "$SLEEP" > "$BASE/bare-$1.log" 2>&1 &
	sub=$!
	while :; do
		s=$(rm_state "$tag")
		case "$s" in
		RUNNING) break ;;
		FINISHED | FAILED | KILLED) echo "yarn_submit: bare run $1 ended $s unseen RUNNING" >&2; exit 1 ;;
		esac
		[ $(($(now_ms) - t0)) -lt 120000 ] || { echo "yarn_submit: bare run $1 not RUNNING after 120 s" >&2; exit 1; }
		sleep 0.1
	done
	t1=$(now_ms)
	wait "$sub" || { cat "$BASE/bare-$1.log" >&2; exit 1; }
	BARE_MS=$((t1 - t0))
	echo "run $1 bare:    RM RUNNING after $(secs $BARE_MS) s"
}

tacitus_run() { # tacitus_run I: sets TAC_MS, TAC_RM_MS
	t0=$(now_ms)
	id=$(api -H 'Content-Type: application/json' \
		-d "{\"file\": \"$JOB\", \"args\": [\"bench-tacitus-$1\", \"$SLEEP\"]}" \
		"$TACITUS_URL/batches" | sed 's/^{"id":\([0-9]*\).*/\1/')
	t_rm=""
	while :; do
		# the RM first: only this application may run now
		[ -n "$t_rm" ] || [ "$(rm_running)" = 0 ] || t_rm=$(now_ms)
		s=$(api "$TACITUS_URL/batches/$id/state" | sed -n 's/.*"state":"\([a-z_]*\)".*/\1/p')
		case "$s" in
		running | success) break ;;
		dead | killed | error) echo "yarn_submit: batch $id ended $s" >&2; exit 1 ;;
		esac
		[ $(($(now_ms) - t0)) -lt 120000 ] || { echo "yarn_submit: batch $id not running after 120 s" >&2; exit 1; }
		sleep 0.1
	done
	t1=$(now_ms)
	[ -n "$t_rm" ] || t_rm=$t1
	TAC_MS=$((t1 - t0))
	TAC_RM_MS=$((t_rm - t0))
	echo "run $1 tacitus: batch $id running after $(secs $TAC_MS) s (RM RUNNING seen after $(secs $TAC_RM_MS) s)"
	# until it ends, so that the next run has the node to itself
	w=0
	until [ "$(api "$TACITUS_URL/batches/$id/state" | sed -n 's/.*"state":"\([a-z_]*\)".*/\1/p')" = success ]; do
		[ $w -lt 1200 ] || { echo "yarn_submit: batch $id did not succeed" >&2; exit 1; }
		sleep 0.1
		w=$((w + 1))
	done
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
# one of each unmeasured first: the page cache, the JVM's classes
echo "warm-up (not counted):"
bare_run 0 >/dev/null
wait_rm_idle
tacitus_run 0 >/dev/null
wait_rm_idle
bare="" tac="" tac_rm=""
for run in $(seq "$RUNS"); do
	if [ $((run % 2)) = 1 ]; then
		bare_run "$run"; wait_rm_idle
		tacitus_run "$run"; wait_rm_idle
	else
		tacitus_run "$run"; wait_rm_idle
		bare_run "$run"; wait_rm_idle
	fi
	bare="$bare $BARE_MS" tac="$tac $TAC_MS" tac_rm="$tac_rm $TAC_RM_MS"
done
mb=$(echo "$bare" | median)
mt=$(echo "$tac" | median)
mr=$(echo "$tac_rm" | median)
lag=""
for run in $(seq "$RUNS"); do
	a=$(echo "$tac" | awk -v i="$run" '{print $i}')
	b=$(echo "$tac_rm" | awk -v i="$run" '{print $i}')
	lag="$lag $((a - b))"
done
ml=$(echo "$lag" | median)
echo "median submit -> RUNNING, $RUNS runs each:"
echo "  bare spark-submit (RM RUNNING):        $(secs "$mb") s  (runs:$(for x in $bare; do printf ' %s' "$(secs "$x")"; done))"
echo "  Tacitus POST -> state running:         $(secs "$mt") s  (runs:$(for x in $tac; do printf ' %s' "$(secs "$x")"; done))"
echo "  Tacitus POST -> RM RUNNING:            $(secs "$mr") s"
echo "  RM RUNNING -> Tacitus running (poll):  $(secs "$ml") s median (poll interval 1 s)"
awk -v t="$mt" -v b="$mb" 'BEGIN {printf "  ratio Tacitus / bare: %.2f\n", t / b}'
