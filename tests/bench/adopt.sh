#!/bin/sh
# adopt.sh - time from kill -9 of a whole instance (master, workers, monitor) to the
# adoption of its running batch by another instance, over 5 runs with real spark-submit.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TACITUS_VAR=/tmp/tacitus-bench-adopt TACITUS_PORT=${BENCH_PORT:-19996} TACITUS_PGPORT=55462
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=3 TACITUS_WORKERS=2
RUNS=${BENCH_RUNS:-5}

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
trap 'sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1; sh "$ROOT/app/stack.sh" kill-jobs' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
api() { curl -fsS --cacert "$TACITUS_CA" -u "$TACITUS_USER:$TACITUS_PASSWORD" "$@"; }
q() { $TACITUS_PSQL -Atc "$1"; }
now_ms() { date +%s%3N; }

times=""
for i in $(seq "$RUNS"); do
	id=$(api -H 'Content-Type: application/json' \
		-d "{\"file\": \"$ROOT/tests/jobs/quick.py\", \"args\": [\"adopt-$i\", \"60\"]}" \
		"$TACITUS_URL/batches" | sed 's/^{"id":\([0-9]*\).*/\1/')
	until [ "$(q "SELECT state FROM batch WHERE id = $id")" = running ]; do sleep 0.1; done
	owner=$(q "SELECT lease_owner FROM batch WHERE id = $id")
	t0=$(now_ms)
	kill -9 -"$(cat "$TACITUS_VAR/run/$owner.pid")"
	until [ "$(q "SELECT lease_owner FROM batch WHERE id = $id")" != "$owner" ]; do sleep 0.05; done
	t1=$(now_ms)
	echo "run $i: batch $id of $owner adopted by $(q "SELECT lease_owner FROM batch WHERE id = $id") after $((t1 - t0)) ms"
	times="$times $((t1 - t0))"
	rm -f "$TACITUS_VAR/run/$owner.pid"
	sh "$ROOT/app/stack.sh" start >/dev/null
	api -X DELETE "$TACITUS_URL/batches/$id" >/dev/null
done
echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n |
	awk '{a[NR] = $1} END {printf "median kill -9 -> adoption: %d ms (min %d, max %d, %d runs)\n", a[int((NR + 1) / 2)], a[1], a[NR], NR}'
