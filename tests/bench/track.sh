#!/bin/sh
# track.sh - the cost of tracking YARN jobs (issue 24): one instance tracking N running
# YARN batches (N = 50, then 5,000), against rm_standin.py, a STAND-IN for the
# ResourceManager (recorded-shape answers; it refuses requests over 64 KiB as a real
# RM does).  Per N: RM requests per look, the time between looks, the monitor's cycle
# time (tacitus_monitor_cycle_seconds in /metrics: mean, and the bucket of the median)
# and its RSS (VmRSS; VmHWM, its peak), medians over BENCH_SECONDS (20) after a warm-up.  The batches
# are rows written straight into PostgreSQL, launched on another host: the monitor
# only looks them up (nothing is launched, killed or read from a NodeManager).
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TACITUS_VAR=/tmp/tacitus-bench-track TACITUS_PORT=${BENCH_PORT:-19993} TACITUS_PGPORT=55465
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN=${BENCH_BIN:-$ROOT/build/tacitus} TACITUS_INSTANCES=1 TACITUS_WORKERS=1
export LIVY_CONF_DIR=$TACITUS_VAR/conf
RM_PORT=${BENCH_RM_PORT:-19992}
SECONDS_EACH=${BENCH_SECONDS:-20}
SIZES=${BENCH_SIZES:-50 5000}
OTHERS=${BENCH_OTHERS:-1000}    # other users' applications the stand-in also holds

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
mkdir -p "$LIVY_CONF_DIR"
cat > "$LIVY_CONF_DIR/livy.conf" <<CONF
livy.spark.master = yarn
livy.spark.deploy-mode = cluster
tacitus.yarn.rm-urls = http://127.0.0.1:$RM_PORT
livy.server.yarn.poll-interval = 1s
livy.superusers = $TACITUS_USER
CONF
cp "$ROOT/app/conf/spark-blacklist.conf" "$LIVY_CONF_DIR/"
RM_PID=""
stop_rm() { [ -z "$RM_PID" ] || kill "$RM_PID" 2>/dev/null || true; RM_PID=""; }
trap 'stop_rm; sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
q() { $TACITUS_PSQL -Atc "$1"; }
metric() {  # metric NAME: its value summed over its series
	curl -fsS --cacert "$TACITUS_CA" -u "$TACITUS_USER:$TACITUS_PASSWORD" "$TACITUS_URL/metrics" |
		awk -v n="$1" '$1 == n || index($1, n "{") == 1 {s += $2} END {print s + 0}'
}
buckets() {  # the cycle histogram's cumulative buckets: "le count" lines
	curl -fsS --cacert "$TACITUS_CA" -u "$TACITUS_USER:$TACITUS_PASSWORD" "$TACITUS_URL/metrics" |
		sed -n 's/^tacitus_monitor_cycle_seconds_bucket{.*le="\([^"]*\)".*} \([0-9]*\)$/\1 \2/p' |
		sed 's/^+Inf/1e9/' | sort -g
}
median() { sort -n | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print "-"}'; }
monitor_pid() {
	q "SELECT application_name FROM pg_stat_activity WHERE application_name LIKE 'tacitus/app-1/monitor/%'" |
		sed -n '1s|.*/||p'
}

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); server: $TACITUS_BIN"
echo "*** the ResourceManager here is rm_standin.py, a STAND-IN with recorded-shape answers ***"
for n in $SIZES; do
	stop_rm
	q "DELETE FROM batch_event; DELETE FROM batch_log_chunk; DELETE FROM batch" >/dev/null
	q "INSERT INTO batch (request, argv, state, tracker, yarn_tag, app_id, spark_ui_url,
		lease_owner, lease_expires_at, host, boot_id, pid, pid_start, job_dir, launched_at)
	   SELECT '{}', '[]', 'running', 'yarn',
		'livy-batch-' || (100000 + g) || '-' || substr(md5(g::text), 1, 8),
		'application_1796524281584_' || lpad(g::text, 6, '0'),
		'http://localhost:18088/proxy/application_1796524281584_' || lpad(g::text, 6, '0') || '/',
		'app-1', now() + interval '1 hour', 'bench-elsewhere', 'bench-boot', 1, 1,
		'/nonexistent/track-bench', now()
	   FROM generate_series(1, $n) g" >/dev/null
	q "SELECT yarn_tag FROM batch ORDER BY id" > "$TACITUS_VAR/tags"
	python3 "$ROOT/tests/bench/rm_standin.py" "$RM_PORT" "$TACITUS_VAR/tags" "$OTHERS" \
		> "$TACITUS_VAR/rm-$n.log" 2>&1 &
	RM_PID=$!
	until [ -s "$TACITUS_VAR/rm-$n.log" ]; do sleep 0.1; done
	sed -n 1p "$TACITUS_VAR/rm-$n.log"
	sleep "${BENCH_WARMUP:-5}"
	pid=$(monitor_pid)
	looks0=$(metric tacitus_yarn_looks_total); errs0=$(metric tacitus_yarn_look_errors_total)
	sum0=$(metric tacitus_monitor_cycle_seconds_sum); cnt0=$(metric tacitus_monitor_cycle_seconds_count)
	buckets > "$TACITUS_VAR/b0"
	t0=$(date +%s%3N)
	: > "$TACITUS_VAR/rss"
	i=0
	while [ "$i" -lt "$SECONDS_EACH" ]; do
		sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" >> "$TACITUS_VAR/rss"
		sleep 1
		i=$((i + 1))
	done
	t1=$(date +%s%3N)
	looks=$(echo "$(metric tacitus_yarn_looks_total) - $looks0" | bc)
	errs=$(echo "$(metric tacitus_yarn_look_errors_total) - $errs0" | bc)
	cycles=$(echo "$(metric tacitus_monitor_cycle_seconds_count) - $cnt0" | bc)
	mean=$(echo "scale=1; 1000 * ($(metric tacitus_monitor_cycle_seconds_sum) - $sum0) / $cycles" | bc)
	buckets > "$TACITUS_VAR/b1"
	# the bucket holding the median cycle of the window
	cmed=$(awk -v c="$cycles" 'NR == FNR {b[$1] = $2; next} $2 - b[$1] >= c / 2 && !done {
		print ($1 == 1e9 ? "> 10000" : "<= " $1 * 1000) " ms"; done = 1}' \
		"$TACITUS_VAR/b0" "$TACITUS_VAR/b1")
	awk -v a="$t0" -v b="$t1" '$1 == "REQ" && $2 >= a && $2 < b' "$TACITUS_VAR/rm-$n.log" > "$TACITUS_VAR/win"
	reqs=$(wc -l < "$TACITUS_VAR/win")
	# a look: requests less than 500 ms apart (looks are a poll interval, 1 s, apart)
	bursts=$(awk 'NR == 1 || $2 - p > 500 {n++} {p = $2} END {print n + 0}' "$TACITUS_VAR/win")
	refused=$(awk '$3 != 200' "$TACITUS_VAR/win" | wc -l)
	plen=$(awk '{print $4}' "$TACITUS_VAR/win" | median)
	napps=$(awk '{print $5}' "$TACITUS_VAR/win" | median)
	abytes=$(awk '{print $6}' "$TACITUS_VAR/win" | median)
	gap=$(awk 'NR > 1 {print $2 - p} {p = $2}' "$TACITUS_VAR/win" | median)
	rss=$(median < "$TACITUS_VAR/rss")
	hwm=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status")
	tracked=$(q "SELECT count(*) FROM batch WHERE state = 'running'")
	echo "N=$n: in ${SECONDS_EACH}s: $reqs RM requests ($refused refused) in $bursts looks:" \
		"$(echo "scale=2; $reqs / ($bursts + ($bursts == 0))" | bc) per look; the monitor" \
		"counted $looks looks, $errs without an answer"
	echo "N=$n: median request path $plen B, answer $napps apps / $abytes B," \
		"$gap ms between requests"
	echo "N=$n: monitor cycle: $cycles cycles, mean $mean ms, median $cmed; monitor RSS median" \
		"$rss kB (peak $hwm kB since its start); batches still running: $tracked"
done
