#!/bin/sh
# waiters.sh - waiting clients (README "Waiting for a change instead of polling"):
# BENCH_WAITERS (5000) clients, each on a TLS 1.3 connection of its own with basic auth
# (tests/bench/waiters.py), wait on a batch's state (GET /batches/{id}/state?wait=300&
# since=running) on one stack of 2 instances x 3 workers (tacitus.push.wait-max = 300s),
# spread over 100 seeded running batches, or all on 1.  Once all are parked (every request
# sent, none answered for 3 s; nginx's connections to its internal pub/sub server
# counted), each round measures:
#   GET rate    wrk -t2 -c32 -d10s on GET /batches/{id}/state of another batch and on
#               GET /version, just before the waiters come (none) and while they wait,
#               alternating; req/s both ways, their ratio, and the stack's CPU per
#               request (nginx, the instances, PostgreSQL: from /proc, over each run)
#   wake-up     an UPDATE of the batches' state to success in PostgreSQL (the trigger
#               notifies); per waiter, from clock_timestamp() at the end of that
#               transaction to its whole answer read: p50/p90/p99/max, and how many say
#               success (all must); the CPU time of nginx, the publishers, the rest of
#               the instances, PostgreSQL and the client meanwhile: where it goes
# BENCH_ROUNDS (2) rounds of each shape, then the same wake-ups with plain-HTTP
# subscribers straight on nginx's internal pub/sub socket (no worker, no TLS: the
# publisher's and nchan's part alone), and nginx's error log of the run.
# BENCH_BIN runs another build, BENCH_NGINX_SED another nginx.conf (a sed script applied
# to the stack's).  Not part of make test (make bench).  A stack of its own: TACITUS_VAR
# under /tmp/tacitus-bench-waiters, ports below.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BASE=/tmp/tacitus-bench-waiters
export TACITUS_VAR=$BASE/stack TACITUS_PORT=${BENCH_PORT:-19961} TACITUS_PGPORT=${BENCH_PGPORT:-55461}
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="${BENCH_BIN:-$ROOT/build/tacitus}" TACITUS_INSTANCES=2 TACITUS_WORKERS=3
export LIVY_CONF_DIR=$TACITUS_VAR/conf
N=${BENCH_WAITERS:-5000}
ROUNDS=${BENCH_ROUNDS:-2}
SECS=${BENCH_SECONDS:-10}
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || PY=python3

[ -x "$TACITUS_BIN" ] || { echo "waiters: no $TACITUS_BIN (make build/tacitus)" >&2; exit 1; }
# a connection per waiter, and a few for psql and the rest
need=$((N + 256))
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge "$need" ] || ulimit -n "$need" || {
	echo "waiters: cannot raise the open files' limit to $need (hard limit $(ulimit -Hn))" >&2
	exit 1
}
sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$BASE"
mkdir -p "$BASE/round" "$LIVY_CONF_DIR"
chmod 755 "$BASE"
echo "tacitus.push.wait-max = 300s" > "$LIVY_CONF_DIR/livy.conf"
cleanup() {
	[ -z "${RENEWER:-}" ] || kill "$RENEWER" 2>/dev/null || true
	[ -z "${CLIENT:-}" ] || kill "$CLIENT" 2>/dev/null || true
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	sh "$ROOT/app/stack.sh" kill-jobs || true
}
trap cleanup EXIT
trap 'exit 1' INT TERM
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
# BENCH_NGINX_SED: a sed script for the stack's nginx.conf, to try a variant of it
if [ -n "${BENCH_NGINX_SED:-}" ]; then
	sed -i "$BENCH_NGINX_SED" "$TACITUS_VAR/nginx/conf/nginx.conf"
	nginx -p "$TACITUS_VAR/nginx/" -c conf/nginx.conf -e pipes/error -s reload
	sleep 1
fi
q() { $TACITUS_PSQL -Atc "$1"; }
ERRLOG=$TACITUS_VAR/nginx/logs/error.log
PUSHSOCK=$TACITUS_VAR/run/push.sock

# 100 running batches of no monitor (lease_owner 'seed', another host: none is adopted)
# for the waiters, and a finished one for wrk
q "INSERT INTO batch (owner, state, request, argv, host, lease_owner)
   SELECT 'bench', 'running', '{\"file\":\"/x.py\"}', '[\"/x.py\"]', 'elsewhere', 'seed'
   FROM generate_series(1, 100)" >/dev/null
q "INSERT INTO batch (owner, state, request, argv, finished_at, exit_code, lease_owner)
   VALUES ('bench', 'success', '{\"file\":\"/x.py\"}', '[\"/x.py\"]', now(), 0, 'seed')" >/dev/null
q "VACUUM ANALYZE batch" >/dev/null
# 'seed' renews its leases as a live monitor would (else the instances' lease watch ends
# the batches dead after a few minutes); no column a waiter sees changes: nothing wakes
while :; do
	q "UPDATE batch SET lease_expires_at = clock_timestamp() + interval '60 seconds'
	   WHERE lease_owner = 'seed' AND state = 'running'" >/dev/null 2>&1 || true
	sleep 5
done &
RENEWER=$!
ALL=$(q "SELECT string_agg(id::text, ',' ORDER BY id) FROM batch
	 WHERE state = 'running' AND lease_owner = 'seed'")
ONE=${ALL%%,*}
OTHER=$(q "SELECT max(id) FROM batch WHERE state = 'success' AND lease_owner = 'seed'")
AUTH="Authorization: Basic $(printf %s "$TACITUS_USER:$TACITUS_PASSWORD" | base64 -w0)"

rps() {     # rps PATH: wrk's req/s and the stack's CPU per request, in us (non-2xx on stderr)
	path=$1
	w0=$(cpu_ms)
	out=$(wrk -t2 -c32 -d"${SECS}s" -H "$AUTH" "$TACITUS_URL$path")
	set -- $w0 $(cpu_ms)
	bad=$(echo "$out" | awk '/Non-2xx|Socket errors/')
	[ -z "$bad" ] || echo "waiters: wrk $path: $bad" >&2
	n=$(echo "$out" | awk '/requests in/ {print $1}')
	echo "$(echo "$out" | awk '/Requests\/sec/ {printf "%d", $2}') $(((($5 - $1) + ($7 - $3) + ($8 - $4)) * 1000 / n))"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b / a}'; }
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
errlines() { [ -f "$ERRLOG" ] && wc -l < "$ERRLOG" || echo 0; }
# the CPU time (ms) of the stack's parts so far: "nginx publisher workers postgres"
# (workers: every other process of the instances, the monitors' included)
cpu_ms() {
	pubs=$(q "SELECT string_agg(split_part(application_name, '/', 4), ' ') FROM pg_stat_activity
		  WHERE application_name LIKE 'tacitus/%/publish/%'")
	ng=$(pgrep -P "$(cat "$TACITUS_VAR/nginx/nginx.pid")" | tr '\n' ' ')
	apps=$(for f in "$TACITUS_VAR"/run/app-*.pid; do pgrep -P "$(cat "$f")"; done | tr '\n' ' ')
	pg=$(pgrep -P "$(head -n 1 "$TACITUS_VAR/pg/data/postmaster.pid")" | tr '\n' ' ')
	for part in "$ng" "$pubs" "$apps" "$pg"; do
		t=0
		for p in $part; do
			case " $pubs " in *" $p "*) [ "$part" = "$pubs" ] || continue ;; esac
			t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
		done
		printf '%s ' $((t * 1000 / $(getconf CLK_TCK)))
	done
}
pushconns() { ss -xH state established 2>/dev/null | grep -c "$PUSHSOCK" || true; }

# round SHAPE IDS [--unix]: park N waiters on IDS, measure, wake them; appends to the tables
round() {
	shape=$1 ids=$2
	shift 2
	direct=$#
	rm -f "$BASE/round/parked" "$BASE/round/go"
	where=$(echo "$ids" | sed 's/:[0-9]*//g')
	e0=$(errlines)
	s0="" v0=""
	if [ "$direct" = 0 ]; then
		s0=$(rps "/batches/$OTHER/state") v0=$(rps /version)
	fi
	"$PY" "$ROOT/tests/bench/waiters.py" --n "$N" --ids="$ids" --wait 300 --since running \
		--update "UPDATE batch SET state = 'success', finished_at = now() WHERE id IN ($where)" \
		--parked "$BASE/round/parked" --go "$BASE/round/go" --dump "$BASE/round/ms-$shape" \
		"$@" > "$BASE/round/result" &
	CLIENT=$!
	tries=0
	until [ -f "$BASE/round/parked" ]; do
		sleep 0.2
		tries=$((tries + 1))
		[ "$tries" -lt 1500 ] || { echo "waiters: not parked after 300 s" >&2; exit 1; }
		kill -0 "$CLIENT" 2>/dev/null || { echo "waiters: the client ended" >&2; exit 1; }
	done
	parked=$(cat "$BASE/round/parked")
	conns=$(pushconns)
	# each waiter holds three connections in nginx (nginx.conf.in): per worker, of 16384
	nfds=$(for w in $(pgrep -P "$(cat "$TACITUS_VAR/nginx/nginx.pid")"); do
		ls "/proc/$w/fd" | wc -l; done | tr '\n' ' ')
	s1="" v1=""
	if [ "$direct" = 0 ]; then
		s1=$(rps "/batches/$OTHER/state") v1=$(rps /version)
	fi
	still=$(q "SELECT count(*) FROM batch WHERE id IN ($where) AND state = 'running'")
	load=$(cut -d' ' -f1 /proc/loadavg)
	[ "$still" = "$(echo "$where" | tr ',' '\n' | wc -l)" ] ||
		{ echo "waiters: the seeded batches changed state before the wake-up" >&2; exit 1; }
	c0=$(cpu_ms)
	touch "$BASE/round/go"
	wait "$CLIENT" || { echo "waiters: the client failed" >&2; exit 1; }
	CLIENT=""
	set -- $c0 $(cpu_ms)
	cpu="CPU ms during the wake-up: nginx $(($5 - $1)), publishers $(($6 - $2)), instances $(($7 - $3)), PostgreSQL $(($8 - $4))"
	r=$(cat "$BASE/round/result")
	echo "  $shape: $parked; push.sock connections $conns; nginx workers' open files ${nfds% }; batches still running $still;" \
		"load $load; $r; $cpu" >&2
	if [ "$direct" = 0 ]; then
		set -- $s0 $s1 $v0 $v1
		printf '| %s | %s / %s (%s) | %s / %s | %s / %s (%s) | %s / %s | %s |\n' "$shape" \
			"$1" "$3" "$(ratio "$1" "$3")" "$2" "$4" "$5" "$7" "$(ratio "$5" "$7")" "$6" "$8" \
			"$load" >> "$BASE/rate.md"
	fi
	printf '| %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' "$shape" \
		"$(field p50 "$r")" "$(field p90 "$r")" "$(field p99 "$r")" "$(field max "$r")" \
		"$(field first "$r")" "$(field commit_ms "$r")" "$(field new "$r")" "$N" "$load" \
		>> "$BASE/wake.md"
	new_err=$(($(errlines) - e0))
	if [ "$new_err" -gt 0 ]; then
		echo "  nginx's error log, $new_err new lines:" >&2
		tail -n "$new_err" "$ERRLOG" | sed 's/^[0-9/: ]*\[[a-z]*\] [0-9#]*: \*[0-9]* //; s/, client:.*//' |
			sort | uniq -c | sort -rn | head -n 5 >&2
	fi
	# the batches run again (no one waits: the trigger's notifications wake nobody)
	q "UPDATE batch SET state = 'running', finished_at = NULL WHERE id IN ($where)" >/dev/null
	sleep 1
}
seqs() { q "SELECT string_agg(id || ':' || push_seq, ',' ORDER BY id) FROM batch WHERE id IN ($1)"; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1), $(date -u +%F)"
echo "$N waiters (a TLS 1.3 connection each), $TACITUS_INSTANCES instances x $TACITUS_WORKERS workers," \
	"wrk -t2 -c32 -d${SECS}s; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
: > "$BASE/rate.md"
: > "$BASE/wake.md"
for i in $(seq "$ROUNDS"); do
	round "100 batches x $((N / 100)), round $i" "$ALL"
	round "1 batch x $N, round $i" "$ONE"
done
round "100 batches, nchan alone" "$(seqs "$ALL")" --unix "$PUSHSOCK"
round "1 batch, nchan alone" "$(seqs "$ONE")" --unix "$PUSHSOCK"
echo
echo "GET rate with no waiters / with $N waiting: req/s (ratio), and the stack's CPU per"
echo "request, us (nginx, the instances and PostgreSQL: what the waiters would add to)"
echo
echo "| round | GET /batches/{id}/state | CPU | GET /version | CPU | load |"
echo "|---|---|---|---|---|---|"
cat "$BASE/rate.md"
echo
echo "Wake-up: from the change's commit (clock_timestamp() at its transaction's end) to each"
echo "waiter's whole answer, ms; 'nchan alone': plain HTTP on nginx's internal pub/sub socket"
echo
echo "| round | p50 | p90 | p99 | max | first | commit | answered success | load |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$BASE/wake.md"
