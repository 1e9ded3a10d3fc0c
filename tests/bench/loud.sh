#!/bin/sh
# loud.sh - a loud job's log: tests/jobs/bulk.py printing BENCH_LOUD_MIB MiB (105: about
# 1,000,000 lines of ~110 bytes) and exiting at once, run BENCH_RUNS times (3) bare
# (spark-submit > /dev/null) and through Tacitus (POST -> success, then the log's total
# checked complete); medians, the lines per second stored, how many lines were already
# stored when the state said success (all of them, or the test fails), and the CPU the
# instance and PostgreSQL spent meanwhile (what storing a line costs, whatever else the
# machine runs: lines per CPU second bounds what one instance can store).  Then the store
# alone, which the job's pace bounds above in the first measure: the same job with the
# monitor held (SIGSTOP) until the job exited, timed from its release to success.
# One instance, release build, durable PostgreSQL.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TACITUS_VAR=/tmp/tacitus-bench-loud TACITUS_PORT=${BENCH_PORT:-19979} TACITUS_PGPORT=55479
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=1 TACITUS_WORKERS=2
export LIVY_CONF_DIR=$TACITUS_VAR/conf
MIB=${BENCH_LOUD_MIB:-105}
RUNS=${BENCH_RUNS:-3}
JOB="$ROOT/tests/jobs/bulk.py"

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
mkdir -p "$LIVY_CONF_DIR"
echo "livy.file.local-dir-whitelist = $ROOT/tests/jobs" > "$LIVY_CONF_DIR/livy.conf"
mon=""
trap '[ -z "$mon" ] || kill -CONT "$mon" 2>/dev/null
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1; sh "$ROOT/app/stack.sh" kill-jobs' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
SPARK_HOME=$("$ROOT/.venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
api() { curl -fsS --cacert "$TACITUS_CA" -u "$TACITUS_USER:$TACITUS_PASSWORD" "$@"; }
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# CPU time (clock ticks) the stack has used: the instance (its master and children) and
# PostgreSQL (the postmaster's children); not the job's, nor this script's
ticks() {
	app=$(cat "$TACITUS_VAR/run/app-1.pid")
	pm=$(pgrep -f "postgres -D $TACITUS_VAR/pg/data( |\$)" | head -1)
	for p in $app $(pgrep -P "$app") $(pgrep -P "$pm"); do
		cat "/proc/$p/stat" 2>/dev/null
	done | sed 's/^.*) //' | awk '{s += $12 + $13} END {print s + 0}'
}
HZ=$(getconf CLK_TCK)

post() {    # post TOKEN: the new batch's id
	api -H 'Content-Type: application/json' \
		-d '{"file": "'"$JOB"'", "args": ["'"$1"'", "'"$MIB"'"]}' \
		"$TACITUS_URL/batches" | sed 's/^{"id":\([0-9]*\).*/\1/'
}
state() { api "$TACITUS_URL/batches/$1/state" | sed 's/.*"state":"\([a-z_]*\)".*/\1/'; }
ended() {   # ended ID: wait for its end; it must be success
	while :; do
		st=$(state "$1")
		case $st in success | dead | killed) break ;; esac
		sleep 0.02
	done
	[ "$st" = success ] || { echo "batch $1 ended $st" >&2; exit 1; }
}
stored() {  # stored ID TOKEN: the lines the log shows; every bulk line and the END one there
	total=$(api "$TACITUS_URL/batches/$1/log?from=0&size=1" | sed 's/.*"total":\([0-9]*\).*/\1/')
	# (once caught up, the monitor stores spark-submit's last lines on stderr after the
	# job's last line: not the log's last)
	end=$($TACITUS_PSQL -Atc "SELECT count(*) FILTER (WHERE line LIKE 'TACITUS-BULK $2 %')
		|| ' ' || string_agg(line, '' ORDER BY line_no) FILTER (WHERE line LIKE
		'TACITUS-BULK-END $2 %') FROM batch_log WHERE batch_id = $1")
	case $end in "$((${end##* })) TACITUS-BULK-END $2 $((${end##* }))") ;;
	*) echo "batch $1: success before its lines were stored (stored, last: $end)" >&2
		exit 1 ;; esac
	echo $((total - 2))
}
# the monitor (the last that the instance's log names)
monitor() { sed -n 's/.* monitor\[\([0-9]*\)\] .*/\1/p' "$TACITUS_VAR/log/app-1.log" | tail -1; }

bare="" tac="" rate="" cpu="" held="" n=0
for i in $(seq "$RUNS"); do
	t0=$(now_ms)
	PYSPARK_PYTHON="$ROOT/.venv/bin/python" "$SPARK_HOME/bin/spark-submit" --master 'local[1]' \
		"$JOB" bare "$MIB" > /dev/null 2>&1
	bare="$bare $(($(now_ms) - t0))"

	t0=$(now_ms) c0=$(ticks)
	id=$(post "loud$i")
	ended "$id"
	t1=$(now_ms) c1=$(ticks)
	n=$(stored "$id" "loud$i")
	tac="$tac $((t1 - t0))"
	# lines per second from the job's start (running) to the state's change
	r=$($TACITUS_PSQL -Atc "SELECT round($n / extract(epoch FROM max(at) - min(at)))
		FROM batch_event WHERE batch_id = $id AND to_state IN ('running', 'success')")
	rate="$rate $r"
	cpu="$cpu $(((c1 - c0) * 1000 / HZ))"

	# the store alone, which the job's own pace bounds above: the same job with the
	# monitor held (SIGSTOP) from its start until it exited, all its output waiting;
	# lines per second from the monitor's release to success
	mon=$(monitor)
	id=$(post "held$i")
	until [ "$(state "$id")" = running ]; do sleep 0.01; done
	kill -STOP "$mon"
	dir=$($TACITUS_PSQL -Atc "SELECT job_dir FROM batch WHERE id = $id")
	until [ -s "$dir/exit_status" ]; do sleep 0.05; done
	t0=$(now_ms)
	kill -CONT "$mon"
	ended "$id"
	t1=$(now_ms)
	h=$(stored "$id" "held$i")
	held="$held $((h * 1000 / (t1 - t0)))"
done

b=$(echo $bare | tr ' ' '\n' | median)
t=$(echo $tac | tr ' ' '\n' | median)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
echo "loud job: tests/jobs/bulk.py, $MIB MiB = $n lines, exits at once; median of $RUNS"
c=$(echo $cpu | tr ' ' '\n' | median)
echo "| bare spark-submit | Tacitus POST -> success (log complete) | gap | lines/s (running -> success) | CPU of instance + PostgreSQL | lines per CPU second | lines/s stored, output waiting |"
echo "|---|---|---|---|---|---|---|"
echo "| $b ms | $t ms | $((t - b)) ms | $(echo $rate | tr ' ' '\n' | median) | $c ms | $((n * 1000 / (c > 0 ? c : 1))) | $(echo $held | tr ' ' '\n' | median) |"
