#!/bin/sh
# livy.sh - Apache Livy 0.7.1 (livy-server from Maven Central, batches only) beside
# Tacitus on the same machine in the same run: GET state, list, POST latency, and the
# launch overhead (POST -> success minus a bare spark-submit) of a real PySpark batch.
# Livy runs plain HTTP without auth (its defaults); Tacitus runs TLS + basic auth.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIVY=/tmp/tacitus-livy-0.7.1
DURATION=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-32}
JOB="$ROOT/tests/jobs/quick.py"
SPARK_HOME=$("$ROOT/.venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME PYSPARK_PYTHON="$ROOT/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$ROOT/.venv/bin/python"

if [ ! -d "$LIVY/jars" ]; then
	echo "fetching org.apache.livy:livy-server:0.7.1-incubating and its dependencies"
	mkdir -p "$LIVY/conf" "$LIVY/logs"
	cat > "$LIVY/pom.xml" <<'POM'
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>tacitus.bench</groupId><artifactId>livy-server-runtime</artifactId><version>1</version>
  <dependencies>
    <dependency><groupId>org.apache.livy</groupId><artifactId>livy-server</artifactId>
      <version>0.7.1-incubating</version></dependency>
  </dependencies>
</project>
POM
	(cd "$LIVY" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=jars -DincludeScope=runtime)
fi
mkdir -p "$LIVY/conf" "$LIVY/logs"
cat > "$LIVY/conf/livy.conf" <<CONF
livy.server.host = 127.0.0.1
livy.server.port = 18999
livy.spark.master = local
livy.spark.scala-version = 2.12
livy.file.local-dir-whitelist = $ROOT/tests/jobs
livy.server.session.max-creation = 100000
CONF
LIVY_HOME=$LIVY LIVY_CONF_DIR=$LIVY/conf setsid java -cp "$LIVY/jars/*:$LIVY/conf" \
	org.apache.livy.server.LivyServer > "$LIVY/logs/livy.out" 2>&1 &
LIVY_PID=$!

export TACITUS_VAR=/tmp/tacitus-bench-vs TACITUS_PORT=${BENCH_PORT:-19995} TACITUS_PGPORT=55463
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=2 TACITUS_WORKERS=3
export LIVY_CONF_DIR=$TACITUS_VAR/conf
sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
mkdir -p "$LIVY_CONF_DIR"
printf 'livy.file.local-dir-whitelist = %s\nlivy.server.session.max-creation = 100000\n' \
	"$ROOT/tests/jobs" > "$LIVY_CONF_DIR/livy.conf"
trap 'kill -TERM -$LIVY_PID 2>/dev/null; sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1; sh "$ROOT/app/stack.sh" kill-jobs' EXIT
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
n=0
until curl -fs -o /dev/null http://127.0.0.1:18999/version; do
	n=$((n + 1)); [ $n -lt 300 ] || { echo "Livy did not start: $LIVY/logs/livy.out"; exit 1; }
	sleep 0.2
done
AUTH="Authorization: Basic $(printf %s "$TACITUS_USER:$TACITUS_PASSWORD" | base64 -w0)"
T="curl -fsS --cacert $TACITUS_CA -u $TACITUS_USER:$TACITUS_PASSWORD -H Content-Type:application/json"
L="curl -fsS -H Content-Type:application/json"
ms() { date +%s%3N; }

# POST -> success of one quick.py batch; prints milliseconds
run_one() {     # run_one tacitus|livy
	t0=$(ms)
	if [ "$1" = tacitus ]; then
		id=$($T -d "{\"file\": \"$JOB\"}" "$TACITUS_URL/batches" | sed 's/^{"id":\([0-9]*\).*/\1/')
		url="$TACITUS_URL/batches/$id/state"; get="$T"
	else
		id=$($L -d "{\"file\": \"$JOB\"}" http://127.0.0.1:18999/batches | sed 's/^{"id":\([0-9]*\).*/\1/')
		url="http://127.0.0.1:18999/batches/$id/state"; get="$L"
	fi
	t1=$(ms)
	until $get "$url" | grep -q '"success"'; do sleep 0.1; done
	echo "$((t1 - t0)) $(($(ms) - t0)) $id"
}
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

bare=$(for i in 1 2 3 4 5; do t0=$(ms); "$SPARK_HOME/bin/spark-submit" --conf spark.master=local "$JOB" >/dev/null 2>&1; echo $(($(ms) - t0)); done | median)
for s in tacitus livy; do
	for i in 1 2 3 4 5; do run_one $s; done > "/tmp/bench-$s.runs"
done
tpost=$(cut -d' ' -f1 /tmp/bench-tacitus.runs | median); tdone=$(cut -d' ' -f2 /tmp/bench-tacitus.runs | median)
lpost=$(cut -d' ' -f1 /tmp/bench-livy.runs | median); ldone=$(cut -d' ' -f2 /tmp/bench-livy.runs | median)
TID=$(tail -n1 /tmp/bench-tacitus.runs | cut -d' ' -f3); LID=$(tail -n1 /tmp/bench-livy.runs | cut -d' ' -f3)

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F)"
echo "real PySpark batch (tests/jobs/quick.py), medians of 5; bare spark-submit: $bare ms"
echo "| | Tacitus (TLS + auth) | Livy 0.7.1 (HTTP, no auth) |"
echo "|---|---|---|"
echo "| POST /batches answered | $tpost ms | $lpost ms |"
echo "| POST -> success | $tdone ms | $ldone ms |"
echo "| launch overhead (POST -> success minus bare) | $((tdone - bare)) ms | $((ldone - bare)) ms |"
rate() { wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" | awk '/Requests\/sec/ {r=$2} $1 == "99%" {p=$2} END {printf "%s req/s, p99 %s", r, p}'; }
echo "| GET /batches/{id}/state, wrk -c$CONNS | $(rate -H "$AUTH" "$TACITUS_URL/batches/$TID/state") | $(rate "http://127.0.0.1:18999/batches/$LID/state") |"
echo "| GET /batches (10 batches) | $(rate -H "$AUTH" "$TACITUS_URL/batches") | $(rate "http://127.0.0.1:18999/batches") |"
echo "| JVM/processes RSS after the runs | $(ps -o rss= -p "$(pgrep -d, -f 'tacitus serve')" | awk '{s+=$1} END {printf "%d MB (all tacitus processes)", s/1024}') | $(ps -o rss= -p "$LIVY_PID" | awk '{printf "%d MB", $1/1024}') |"
