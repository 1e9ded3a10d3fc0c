#!/bin/sh
# livy.sh - Apache Livy 0.7.1 (livy-server from Maven Central, batches only) beside
# Tacitus on the same machine in the same run, each behind the same kind of front door:
# Tacitus's own nginx (app/stack.sh), and for Livy a throwaway nginx started here (the
# same Debian nginx, TLS 1.2/1.3 with the stack's self-signed RSA certificate, basic auth
# with an {SSHA} htpasswd as the stack writes it, keep-alive to Livy's Jetty, no access
# log).  Measured through the front doors with the same clients:
#   - a real PySpark batch (tests/jobs/quick.py, exits at once): POST -> success beside a
#     bare spark-submit of the same file, medians of BENCH_RUNS (5), in turns;
#   - wrk -t2 -cBENCH_CONNECTIONS (32) on GET .../state, GET /batches?size=100 (both
#     sides holding the same BENCH_LISTED (100) real batches) and GET /version,
#     BENCH_ROUNDS (3) rounds of BENCH_SECONDS (15) alternating, medians;
#   - POST /batches answered, and memory after the runs.
# The 1,000,000-line log row comes from tests/bench/loud.sh, adoption from adopt.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIVY=/tmp/tacitus-livy-0.7.1
DURATION=${BENCH_SECONDS:-15}
CONNS=${BENCH_CONNECTIONS:-32}
ROUNDS=${BENCH_ROUNDS:-3}
RUNS=${BENCH_RUNS:-5}
LISTED=${BENCH_LISTED:-100}
WAVE=${BENCH_WAVE:-3}           # batches posted at once to each side while filling the lists
WARMUP=${BENCH_WARMUP:-20}      # seconds of wrk on each path and side before the rounds (Livy's JIT: 10 s left it warming up through the rounds)
LPORT=${BENCH_LIVY_PORT:-19990} # Livy's front door; Livy's Jetty itself is on 18999
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
	(cd "$LIVY" && mvn -q -B dependency:copy-dependencies -DoutputDirectory=jars.part -DincludeScope=runtime &&
		mv jars.part jars)
fi

# both keep a finished batch visible for an hour: the list row must see all of them
RETAIN=3600s
LIVY_PID="" TMP=""
cleanup() {
	if [ -n "$TMP" ] && [ -f "$TMP/nginx.pid" ]; then
		kill -TERM "$(cat "$TMP/nginx.pid")" 2>/dev/null || true
	fi
	[ -z "$LIVY_PID" ] || kill -TERM -"$LIVY_PID" 2>/dev/null || true
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	sh "$ROOT/app/stack.sh" kill-jobs || true
	[ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$LIVY/conf" "$LIVY/logs"
cat > "$LIVY/conf/livy.conf" <<CONF
livy.server.host = 127.0.0.1
livy.server.port = 18999
livy.spark.master = local
livy.spark.scala-version = 2.12
livy.file.local-dir-whitelist = $ROOT/tests/jobs
livy.server.session.max-creation = 100000
livy.server.session.state-retain.sec = $RETAIN
CONF
LIVY_HOME=$LIVY LIVY_CONF_DIR=$LIVY/conf setsid java -cp "$LIVY/jars/*:$LIVY/conf" \
	org.apache.livy.server.LivyServer > "$LIVY/logs/livy.out" 2>&1 &
LIVY_PID=$!

export TACITUS_VAR=/tmp/tacitus-bench-vs TACITUS_PORT=${BENCH_PORT:-19995} TACITUS_PGPORT=55463
export TACITUS_USER=bench TACITUS_PASSWORD=bench-$(openssl rand -hex 6)
export TACITUS_BIN="$ROOT/build/tacitus" TACITUS_INSTANCES=2 TACITUS_WORKERS=3
export LIVY_CONF_DIR=$TACITUS_VAR/conf
unset TACITUS_TLS_CERT TACITUS_TLS_KEY TACITUS_AUTH   # the stack's own pair, basic auth
sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
rm -rf "$TACITUS_VAR"
mkdir -p "$LIVY_CONF_DIR"
# batches only, as on Livy's side: no warm session driver (a Spark JVM) beside the stack
printf 'livy.file.local-dir-whitelist = %s\nlivy.server.session.max-creation = 100000\nlivy.server.session.state-retain.sec = %s\ntacitus.session.warm-pool = 0\n' \
	"$ROOT/tests/jobs" "$RETAIN" > "$LIVY_CONF_DIR/livy.conf"
sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"

# Livy's front door: the stack's certificate and key, the same user and password with an
# {SSHA} hash of its own salt (app/stack.sh's credentials())
TMP=$(mktemp -d /tmp/tacitus-bench-vs-nginx.XXXXXX)
mkdir -p "$TMP/tmp"
salt=$(openssl rand -hex 4)
printf '%s:{SSHA}%s\n' "$TACITUS_USER" "$(printf %s%s "$TACITUS_PASSWORD" "$salt" |
	openssl dgst -sha1 -binary | { cat; printf %s "$salt"; } | base64 -w0)" > "$TMP/htpasswd"
NGINX_USER=""
[ "$(id -u)" != 0 ] || NGINX_USER="user root root;"
cat > "$TMP/nginx.conf" <<CONF
$NGINX_USER
daemon on;
worker_processes auto;
pid $TMP/nginx.pid;
error_log $TMP/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/tmp/body;
    proxy_temp_path       $TMP/tmp/proxy;
    fastcgi_temp_path     $TMP/tmp/fastcgi;
    uwsgi_temp_path       $TMP/tmp/uwsgi;
    scgi_temp_path        $TMP/tmp/scgi;
    server_tokens off;
    keepalive_requests 100000;
    upstream livy {
        server 127.0.0.1:18999;
        keepalive 64;
        keepalive_requests 100000;
    }
    server {
        listen 127.0.0.1:$LPORT ssl;
        ssl_certificate     $TACITUS_VAR/nginx/server.crt;
        ssl_certificate_key $TACITUS_VAR/nginx/server.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_session_cache shared:tls:10m;
        auth_basic "livy";
        auth_basic_user_file $TMP/htpasswd;
        client_max_body_size 1m;
        location / {
            proxy_pass http://livy;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$remote_addr;
        }
    }
}
CONF
nginx -p "$TMP" -c "$TMP/nginx.conf" -e "$TMP/error.log" ||
	{ cat "$TMP/error.log"; exit 1; }
LIVY_URL=https://127.0.0.1:$LPORT

n=0
until curl -fs -o /dev/null http://127.0.0.1:18999/version; do
	n=$((n + 1)); [ $n -lt 300 ] || { echo "Livy did not start: $LIVY/logs/livy.out"; exit 1; }
	kill -0 "$LIVY_PID" 2>/dev/null || { echo "Livy exited: $LIVY/logs/livy.out"; tail -20 "$LIVY/logs/livy.out"; exit 1; }
	sleep 0.2
done
AUTH="Authorization: Basic $(printf %s "$TACITUS_USER:$TACITUS_PASSWORD" | base64 -w0)"
# the same client, certificate and credentials for both
C="curl -fsS --cacert $TACITUS_CA -u $TACITUS_USER:$TACITUS_PASSWORD -H Content-Type:application/json"
$C -o /dev/null "$LIVY_URL/version"
url() {         # url tacitus|livy|direct (direct: Livy's Jetty, plain HTTP, no front door)
	case $1 in tacitus) echo "$TACITUS_URL" ;; livy) echo "$LIVY_URL" ;; direct) echo http://127.0.0.1:18999 ;; esac
}
ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
post() {        # post tacitus|livy: the new batch's id
	$C -d "{\"file\": \"$JOB\"}" "$(url "$1")/batches" | sed 's/^{"id":\([0-9]*\).*/\1/'
}
state() {       # state tacitus|livy ID
	$C "$(url "$1")/batches/$2/state" | sed 's/.*"state":"\([a-z_]*\)".*/\1/'
}
wait_end() {    # wait_end tacitus|livy ID: polls every 100 ms; fails unless success
	k=0
	while :; do
		case $(state "$1" "$2") in
		success) return 0 ;;
		dead|killed|error) echo "$1 batch $2 ended $(state "$1" "$2")"; return 1 ;;
		esac
		k=$((k + 1)); [ $k -lt 1200 ] || { echo "$1 batch $2 did not end in 2 min"; return 1; }
		sleep 0.1
	done
}
run_one() {     # run_one tacitus|livy: POST answered ms, POST -> success ms, id
	t0=$(ms)
	id=$(post "$1")
	t1=$(ms)
	wait_end "$1" "$id" >&2
	echo "$((t1 - t0)) $(($(ms) - t0)) $id"
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

echo "1. quick.py, a round to warm up, then $RUNS rounds of: bare spark-submit, Tacitus, Livy"
i=-1
while [ $i -lt "$RUNS" ]; do
	[ $i != 0 ] || { : > "$TMP/bare"; : > "$TMP/tacitus"; : > "$TMP/livy"; }
	t0=$(ms); "$SPARK_HOME/bin/spark-submit" --conf spark.master=local "$JOB" >/dev/null 2>&1
	echo $(($(ms) - t0)) >> "$TMP/bare"
	run_one tacitus >> "$TMP/tacitus"
	run_one livy >> "$TMP/livy"
	i=$((i + 1))
done
bare=$(median < "$TMP/bare")
tpost=$(cut -d' ' -f1 "$TMP/tacitus" | median); tdone=$(cut -d' ' -f2 "$TMP/tacitus" | median)
lpost=$(cut -d' ' -f1 "$TMP/livy" | median); ldone=$(cut -d' ' -f2 "$TMP/livy" | median)
TID=$(tail -n1 "$TMP/tacitus" | cut -d' ' -f3); LID=$(tail -n1 "$TMP/livy" | cut -d' ' -f3)
echo "   bare $(tr '\n' ' ' < "$TMP/bare")ms; Tacitus $(cut -d' ' -f2 "$TMP/tacitus" | tr '\n' ' ')ms; Livy $(cut -d' ' -f2 "$TMP/livy" | tr '\n' ' ')ms"

# the lists: the same number of real, finished quick.py batches on both sides
echo "filling both lists to $LISTED batches ($WAVE at a time on each side)"
have=$((RUNS + 1))
while [ "$have" -lt "$LISTED" ]; do
	w=$((LISTED - have)); [ $w -le "$WAVE" ] || w=$WAVE
	ids=""
	j=0
	while [ $j -lt $w ]; do ids="$ids tacitus:$(post tacitus) livy:$(post livy)"; j=$((j + 1)); done
	for x in $ids; do wait_end "${x%%:*}" "${x#*:}"; done
	have=$((have + w))
done
total() { $C "$(url "$1")/batches?size=100" | sed 's/.*"total":\([0-9]*\).*/\1/'; }
TTOTAL=$(total tacitus); LTOTAL=$(total livy)
size() { $C -o /dev/null -w '%{size_download}' "$(url "$1")/batches?size=100"; }
TSIZE=$(size tacitus); LSIZE=$(size livy)
[ "$TTOTAL" = "$LISTED" ] && [ "$LTOTAL" = "$LISTED" ] ||
	echo "warning: the lists hold $TTOTAL (Tacitus) and $LTOTAL (Livy) batches, not $LISTED"

wrk_rate() {    # wrk_rate URL: "req/s p99 non-2xx"
	wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency -H "$AUTH" "$1" | awk '
		function ms(v) { return v ~ /us$/ ? v / 1000 : v ~ /ms$/ ? v + 0 : v ~ /m$/ ? v * 60000 : v * 1000 }
		/Requests\/sec/ {r = $2} $1 == "99%" {p = ms($2)} /Non-2xx/ {e = $NF}
		END {printf "%d %.1f %d\n", r, p, e}'
}
rounds() {      # rounds NAME TACITUS-PATH [LIVY-PATH]: ROUNDS alternating; NAME.tacitus, NAME.livy, NAME.direct
	: > "$TMP/$1.tacitus"; : > "$TMP/$1.livy"; : > "$TMP/$1.direct"
	r=0
	while [ $r -lt "$ROUNDS" ]; do
		for s in tacitus livy direct; do
			if [ $s = tacitus ]; then p=$2; else p=${3:-$2}; fi
			out=$(wrk_rate "$(url $s)$p")
			echo "$out" >> "$TMP/$1.$s"
			[ "${out##* }" = 0 ] || echo "warning: $s $p: ${out##* } answers not 2xx"
		done
		r=$((r + 1))
	done
	echo "   $2: Tacitus $(cut -d' ' -f1 "$TMP/$1.tacitus" | tr '\n' ' ')req/s; Livy $(cut -d' ' -f1 "$TMP/$1.livy" | tr '\n' ' ')req/s; Livy without its front door $(cut -d' ' -f1 "$TMP/$1.direct" | tr '\n' ' ')req/s"
}
LOADM=$(cut -d' ' -f1-3 /proc/loadavg)
echo "2-4. wrk -t2 -c$CONNS -d${DURATION}s, $ROUNDS rounds alternating Tacitus / Livy / Livy without its front door, after ${WARMUP}s on each to warm up"
for x in "tacitus $TID" "livy $LID" "direct $LID"; do
	for p in "/batches/${x#* }/state" "/batches?size=100" /version; do
		wrk -t2 -c"$CONNS" -d"${WARMUP}s" -H "$AUTH" "$(url "${x% *}")$p" >/dev/null
	done
done
rounds state "/batches/$TID/state" "/batches/$LID/state"
rounds list "/batches?size=100"
rounds version /version
# what the front door keeps open to Livy's Jetty once wrk is done (its keep-alive)
KEPT=$(ss -Htn state established '( dport = :18999 )' | wc -l)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

med() { cut -d' ' -f"$2" "$TMP/$1" | median; }  # med FILE FIELD
row() {         # row LABEL NAME: req/s medians and the ratio (higher is better)
	t=$(med "$2.tacitus" 1); l=$(med "$2.livy" 1)
	echo "| $1 | $t req/s (p99 $(med "$2.tacitus" 2) ms) | $l req/s (p99 $(med "$2.livy" 2) ms) | $(awk "BEGIN {printf \"%.2f\", $t / $l}") (higher: Tacitus faster) | $(med "$2.direct" 1) req/s (p99 $(med "$2.direct" 2) ms) |"
}
rss() { ps -o rss= -p "$1" | awk '{s += $1} END {printf "%d MB", s / 1024}'; }
pss() { for p in $(echo "$1" | tr , ' '); do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
	awk '/^Pss:/ {s += $2} END {printf "%d MB", s / 1024}'; }
TPIDS=$(pgrep -d, -f "^$TACITUS_BIN .*$TACITUS_VAR" || true)
nginx_pids() { m=$(cat "$1"); echo "$m,$(pgrep -d, -P "$m" || true)"; }   # the master and its workers
NPIDS=$(nginx_pids "$TACITUS_VAR/nginx/nginx.pid")
LNPIDS=$(nginx_pids "$TMP/nginx.pid")
PGPIDS=$(pgrep -d, -f "postgres.*$TACITUS_VAR" || true)
for p in $(echo "$PGPIDS" | tr , ' '); do PGPIDS="$PGPIDS,$(pgrep -d, -P "$p" || true)"; done
PGPIDS=$(echo "$PGPIDS" | tr -s , | sed 's/^,//; s/,$//')

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F); load average (1, 5, 15 min) at the start $LOAD0, before the wrk rows $LOADM, at the end $LOAD1"
echo "both behind nginx $(nginx -v 2>&1 | sed 's/.*\///'): TLS 1.2/1.3 (the stack's self-signed RSA 2048 certificate), basic auth ({SSHA} htpasswd); the same curl and wrk for both"
echo "Tacitus: $TACITUS_INSTANCES instances x $TACITUS_WORKERS workers, PostgreSQL, nginx -> FastCGI (nginx's access log on); Livy 0.7.1: one JVM ($(java -version 2>&1 | head -1)), nginx -> HTTP keep-alive ($KEPT connections kept after the runs; no access log)"
echo
echo "| | Tacitus | Livy 0.7.1 | Tacitus / Livy | Livy without its front door (plain HTTP, no auth; for reference) |"
echo "|---|---|---|---|---|"
echo "| 1. quick.py POST -> \`success\`, median of $RUNS (bare spark-submit: $bare ms) | $tdone ms | $ldone ms | $(awk "BEGIN {printf \"%.2f\", $tdone / $ldone}") (lower: Tacitus faster) | |"
echo "| gap over the bare spark-submit | $((tdone - bare)) ms | $((ldone - bare)) ms | | |"
echo "| POST /batches answered (curl, new TLS connection), median of $RUNS | $tpost ms | $lpost ms | | |"
row "2. \`GET /batches/{id}/state\`, median of $ROUNDS" state
row "3. \`GET /batches?size=100\` ($TTOTAL / $LTOTAL batches held; $TSIZE / $LSIZE bytes), median of $ROUNDS" list
row "4. \`GET /version\`, median of $ROUNDS" version
echo "| server memory after the runs (RSS) | $(rss "$TPIDS") ($(echo "$TPIDS" | tr , '\n' | grep -c .) tacitus processes) | $(rss "$LIVY_PID") (the JVM) | | |"
echo "| its front door (nginx, RSS) | $(rss "$NPIDS") | $(rss "$LNPIDS") | | |"
echo "| PostgreSQL (PSS: shared buffers counted once) | $(pss "$PGPIDS") | none (Livy keeps batches in its heap) | | |"
echo
echo "not in this table (Tacitus alone): a 1,000,000-line log, tests/bench/loud.sh; kill -9 to adoption, tests/bench/adopt.sh"
