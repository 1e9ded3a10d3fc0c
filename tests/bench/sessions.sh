#!/bin/sh
# sessions.sh - interactive sessions on a bench stack of its own (release build, durable
# PostgreSQL, 2 instances, a warm pool of 1): POST /sessions -> idle with a warm and with
# a cold driver, next to a bare spark-submit that builds the same SparkSession; the 1+1
# round trip (POST statement -> available); RSS with 10 open sessions.  Not in make test.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TACITUS_VAR=/tmp/tacitus-bench-sessions TACITUS_PORT=${BENCH_PORT:-19994} TACITUS_PGPORT=55464
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=2 TACITUS_WORKERS=3

sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
trap 'sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1; sh "$ROOT/app/stack.sh" kill-jobs' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
export SPARK_HOME="${SPARK_HOME:-$("$ROOT/.venv/bin/python" -c "import os, pyspark; print(os.path.dirname(pyspark.__file__))")}"
echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
"$ROOT/.venv/bin/python" "$ROOT/tests/bench/sessions.py"
