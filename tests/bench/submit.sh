#!/bin/sh
# submit.sh - POST /batches accepted per second with 1, 2 and 3 instances, launches
# excluded: the instances run without monitors (--no-monitor), so every request is
# one admission transaction (advisory lock, checks, INSERT, durable COMMIT) and
# nothing else competes for the CPU or the disk.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TACITUS_VAR=/tmp/tacitus-bench-submit TACITUS_PORT=${BENCH_PORT:-19997} TACITUS_PGPORT=55461
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_WORKERS=${BENCH_WORKERS:-3} TACITUS_NO_MONITOR=1
export LIVY_CONF_DIR=$TACITUS_VAR/conf BENCH_FILE="$ROOT/tests/jobs/quick.py"
DURATION=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNECTIONS:-32}

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
mkdir -p "$LIVY_CONF_DIR"
cat > "$LIVY_CONF_DIR/livy.conf" <<CONF
livy.server.session.max-creation = 100000000
livy.file.local-dir-whitelist = $ROOT/tests/jobs
CONF
trap 'sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1; sh "$ROOT/app/stack.sh" kill-jobs' EXIT
echo "| instances | POST /batches accepted/s | p50 | p99 | non-2xx | rows |"
echo "|---|---|---|---|---|---|"
for n in 1 2 3; do
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	rm -rf "$TACITUS_VAR/pg"        # each run starts from an empty table
	TACITUS_INSTANCES=$n sh "$ROOT/app/stack.sh" start >/dev/null
	eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
	AUTH="Authorization: Basic $(printf %s "$TACITUS_USER:$TACITUS_PASSWORD" | base64 -w0)"
	out=$(wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -s "$ROOT/tests/bench/post.lua" \
		-H "$AUTH" "$TACITUS_URL/batches")
	rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
	p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
	bad=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
	rows=$($TACITUS_PSQL -Atc "SELECT count(*) FROM batch")
	printf '| %d | %s | %s | %s | %s | %s |\n' "$n" "$rps" "$p50" "$p99" "${bad:-0}" "$rows"
done
