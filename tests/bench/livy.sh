#!/bin/sh
# livy.sh - Apache Livy 0.7.1 (livy-server from Maven Central, batches only) beside
# Tacitus on the same machine in the same run, each behind the same kind of front door:
# Tacitus's own nginx (app/stack.sh), and for Livy a throwaway nginx started here (the
# same Debian nginx, TLS 1.2/1.3 with the stack's self-signed RSA certificate, basic auth
# with an {SSHA} htpasswd as the stack writes it, keep-alive to Livy's Jetty, no access
# log).  Measured through the front doors with the same clients, every row of issue 25's
# table with its goal and whether it is met:
#   1. a real PySpark batch (tests/jobs/quick.py, exits at once): POST -> success beside a
#      bare spark-submit of the same file, medians of BENCH_RUNS (5), in turns: both
#      sides polled every 100 ms (a curl each), and Tacitus again with its own one-request
#      wait (GET .../state?until=end); for Tacitus also where the time went (the client's
#      clock against the batch's state events: the same host's clock).  Two bare runs:
#      the very command Tacitus ran (its arguments, read from a batch's row, and the
#      Python its jobs get; as tests/bench/end.sh), which the goal compares with, and
#      Livy's (--conf spark.master=local FILE, the venv's Python);
#   2-4. wrk -t2 -cBENCH_CONNECTIONS (32) on GET .../state, GET /batches?size=100 (both
#      sides holding the same BENCH_LISTED (100) real batches) and GET /version,
#      BENCH_ROUNDS (3) rounds of BENCH_SECONDS (15) alternating, medians;
#   5. a loud batch (tests/jobs/bulk.py, BENCH_LOUD_MIB (105) MiB: about 1,000,000 lines,
#      as tests/bench/loud.sh) beside a bare spark-submit, BENCH_LOUD_RUNS (1) times, polled
#      every 100 ms, then its log as a client reads it at once: Tacitus's /log total and
#      last lines (every line checked stored), what Livy's /log still holds;
#   6. kill -9 of the instance running a batch (quick.py sleeping 60 s): for Tacitus the
#      time until another instance holds the batch's lease (as tests/bench/adopt.sh),
#      median of BENCH_ADOPT_RUNS (3); for Livy (one JVM, no second instance; its recovery
#      needs YARN) the JVM killed and started again: how long until it answers, and
#      whether it still knows the batch;
#   - POST /batches answered, and memory after the wrk rows.
# BENCH_VAR, BENCH_PORT, BENCH_PGPORT, BENCH_LIVY_PORT and BENCH_LIVY_JETTY move this
# run's stack and ports away from another's.
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
LPORT=${BENCH_LIVY_PORT:-19990} # Livy's front door
JPORT=${BENCH_LIVY_JETTY:-18999} # Livy's Jetty itself
LOUD_RUNS=${BENCH_LOUD_RUNS:-1}
MIB=${BENCH_LOUD_MIB:-105}
ADOPT_RUNS=${BENCH_ADOPT_RUNS:-3}
JOB="$ROOT/tests/jobs/quick.py"
LOUD="$ROOT/tests/jobs/bulk.py"
SPARK_HOME=$("$ROOT/.venv/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME PYSPARK_PYTHON="$ROOT/.venv/bin/python" PYSPARK_DRIVER_PYTHON="$ROOT/.venv/bin/python"

if [ ! -d "$LIVY/jars" ]; then
	echo "fetching org.apache.livy:livy-server:0.7.1-incubating and its dependencies"
	mkdir -p "$LIVY"
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
# Livy's JVM and its jobs (one process group; KILLED_LIVY: the group of a JVM killed in
# row 6, its spark-submit left running), a bare spark-submit (BARE_PID, its own group)
LIVY_PID="" KILLED_LIVY="" BARE_PID="" TMP=""
cleanup() {
	if [ -n "$TMP" ] && [ -f "$TMP/nginx.pid" ]; then
		kill -TERM "$(cat "$TMP/nginx.pid")" 2>/dev/null || true
	fi
	for g in $LIVY_PID $KILLED_LIVY $BARE_PID; do kill -KILL -"$g" 2>/dev/null || true; done
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	sh "$ROOT/app/stack.sh" kill-jobs || true
	[ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# this run's own folder: Livy's conf and log, the front door's, the figures
TMP=$(mktemp -d /tmp/tacitus-bench-vs-nginx.XXXXXX)
mkdir -p "$TMP/tmp" "$TMP/livy-conf"
cat > "$TMP/livy-conf/livy.conf" <<CONF
livy.server.host = 127.0.0.1
livy.server.port = $JPORT
livy.spark.master = local
livy.spark.scala-version = 2.12
livy.file.local-dir-whitelist = $ROOT/tests/jobs
livy.server.session.max-creation = 100000
livy.server.session.state-retain.sec = $RETAIN
CONF
start_livy() {  # its own process group (LIVY_PID), its output appended to $TMP/livy-conf/livy.out
	mkdir -p "$TMP/livy-logs"     # its Jetty's request log (LIVY_LOG_DIR; it fails to start without one)
	LIVY_HOME=$LIVY LIVY_LOG_DIR=$TMP/livy-logs LIVY_CONF_DIR=$TMP/livy-conf setsid java -cp "$LIVY/jars/*:$TMP/livy-conf" \
		org.apache.livy.server.LivyServer >> "$TMP/livy-conf/livy.out" 2>&1 &
	LIVY_PID=$!
}
livy_up() {     # until Livy's Jetty answers
	n=0
	until curl -fs -o /dev/null "http://127.0.0.1:$JPORT/version"; do
		n=$((n + 1)); [ $n -lt 600 ] || { echo "Livy did not start: $TMP/livy-conf/livy.out"; exit 1; }
		kill -0 "$LIVY_PID" 2>/dev/null || { echo "Livy exited"; tail -20 "$TMP/livy-conf/livy.out"; exit 1; }
		sleep 0.1
	done
}
start_livy

export TACITUS_VAR=${BENCH_VAR:-/tmp/tacitus-bench-vs} TACITUS_PORT=${BENCH_PORT:-19995} TACITUS_PGPORT=${BENCH_PGPORT:-55463}
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
        server 127.0.0.1:$JPORT;
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

livy_up
AUTH="Authorization: Basic $(printf %s "$TACITUS_USER:$TACITUS_PASSWORD" | base64 -w0)"
# the same client, certificate and credentials for both
C="curl -fsS --cacert $TACITUS_CA -u $TACITUS_USER:$TACITUS_PASSWORD -H Content-Type:application/json"
$C -o /dev/null "$LIVY_URL/version"
url() {         # url tacitus|livy|direct (direct: Livy's Jetty, plain HTTP, no front door)
	case $1 in tacitus) echo "$TACITUS_URL" ;; livy) echo "$LIVY_URL" ;; direct) echo "http://127.0.0.1:$JPORT" ;; esac
}
ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
med() { cut -d' ' -f"$2" "$TMP/$1" | median; }  # med FILE FIELD
post() {        # post tacitus|livy [FILE [ARGS]]: the new batch's id (ARGS: the inside of a JSON array)
	$C -d "{\"file\": \"${2:-$JOB}\"${3:+, \"args\": [$3]}}" "$(url "$1")/batches" |
		sed 's/^{"id":\([0-9]*\).*/\1/'
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
run_one() {     # run_one tacitus|livy [FILE [ARGS]]: POST answered ms, POST -> success ms, id, t0 (ms since the epoch)
	t0=$(ms)
	id=$(post "$@")
	t1=$(ms)
	wait_end "$1" "$id" >&2
	echo "$((t1 - t0)) $(($(ms) - t0)) $id $t0"
}
run_wait() {    # run_wait: run_one's figures for Tacitus, the client waiting for the end with one request (again if the wait ran out)
	t0=$(ms)
	out=$($C -d "{\"file\": \"$JOB\"}" "$TACITUS_URL/batches")
	t1=$(ms)
	id=$(printf "%s\n" "$out" | sed 's/^{"id":\([0-9]*\).*/\1/')
	st=$(printf "%s\n" "$out" | sed 's/.*"state":"\([a-z_]*\)".*/\1/')
	k=0
	while [ "$st" != success ]; do
		case $st in dead|killed|error) echo "tacitus batch $id ended $st" >&2; return 1 ;; esac
		k=$((k + 1)); [ $k -lt 10 ] || { echo "tacitus batch $id: still $st after $k waits" >&2; return 1; }
		st=$($C "$TACITUS_URL/batches/$id/state?until=end" | sed 's/.*"state":"\([a-z_]*\)".*/\1/')
	done
	echo "$((t1 - t0)) $(($(ms) - t0)) $id $t0 $k"
}
# the Python the jobs get (app/stack.sh: the system's when jobs run as job accounts)
if [ -f "$TACITUS_VAR/run/job-users" ]; then JP=/usr/bin/python3; jp="/usr/bin/python3, as a job account"; else JP=$PYSPARK_PYTHON; jp=$PYSPARK_PYTHON; fi
timed() {       # timed OUT CMD [ARG...]: ms CMD took in a group of its own (cleanup ends it), its output to OUT; a failure ends the run
	tout=$1; shift
	t0=$(ms)
	setsid "$@" > "$tout" 2>&1 &
	BARE_PID=$!
	wait "$BARE_PID" || { echo "bare run $* failed" >&2; [ "$tout" = /dev/null ] || tail -20 "$tout" >&2; exit 1; }
	BARE_PID=""
	echo $(($(ms) - t0))
}
bare_same() {   # bare_same: ms a spark-submit took with the arguments in $TMP/argv0 (NUL-separated, as Tacitus gave them), the jobs' Python, a bare environment, in a folder of its own
	mkdir -p "$TMP/bare-run"
	cd "$TMP/bare-run"
	timed "$TMP/bare-run/out" env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 HOME="$TMP/bare-run" \
		${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} SPARK_HOME="$SPARK_HOME" \
		PYSPARK_PYTHON="$JP" PYSPARK_DRIVER_PYTHON="$JP" \
		xargs -0 -a "$TMP/argv0" "$SPARK_HOME/bin/spark-submit"
	cd "$ROOT"
}
bare() {        # bare FILE [ARG...]: ms a bare spark-submit of FILE took (Livy's command)
	timed /dev/null "$SPARK_HOME/bin/spark-submit" --conf spark.master=local "$@"
}
q() { $TACITUS_PSQL -Atc "$1"; }
# where a Tacitus batch's time went, from the client's clock (t0, just before the POST;
# seen, when it saw success) and the batch's own times (the same host's clock): POST ->
# the row (created_at), -> running (claim, launch), -> success (spark-submit, the end of
# the job), -> seen by the client; and POST -> success written (what end.sh measures)
breakdown() {   # breakdown FILE: a line "in-flight launch run seen written" per run_one line
	while read -r _ done id t0 _; do
		q "SELECT round(extract(epoch FROM b.created_at) * 1000)::bigint || ' ' ||
			  round(extract(epoch FROM r.at) * 1000)::bigint || ' ' ||
			  round(extract(epoch FROM e.at) * 1000)::bigint
		   FROM batch b JOIN batch_event r ON r.batch_id = b.id AND r.to_state = 'running'
		   JOIN batch_event e ON e.batch_id = b.id AND e.to_state = 'success'
		   WHERE b.id = $id" | {
			read -r c r e
			echo "$((c - t0)) $((r - c)) $((e - r)) $((t0 + done - e)) $((e - t0))"
		}
	done < "$1"
}
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

echo "1. quick.py, a round to warm up, then $RUNS rounds of: Tacitus (polled), bare spark-submit (Tacitus's command), Tacitus (waiting), bare spark-submit (Livy's command), Livy (polled)"
i=-1
while [ $i -lt "$RUNS" ]; do
	[ $i != 0 ] || { : > "$TMP/bare"; : > "$TMP/pbare"; : > "$TMP/tacitus"; : > "$TMP/waited"; : > "$TMP/livy"; }
	run_one tacitus >> "$TMP/tacitus"
	[ -s "$TMP/argv0" ] || q "SELECT argv FROM batch WHERE id = $(tail -n1 "$TMP/tacitus" | cut -d' ' -f3)" |
		"$ROOT/.venv/bin/python" -c 'import json, sys; print("\0".join(json.load(sys.stdin)), end="")' > "$TMP/argv0"
	bare_same >> "$TMP/bare"
	run_wait >> "$TMP/waited"
	bare "$JOB" >> "$TMP/pbare"
	run_one livy >> "$TMP/livy"
	i=$((i + 1))
done
bare=$(median < "$TMP/bare"); pbare=$(median < "$TMP/pbare")
# the gap of each round (its run beside its own bare run), median: less of the machine's
# drift from round to round than a difference of two medians
gaps() { cut -d' ' -f2 "$TMP/$1" | paste -d' ' - "$TMP/$2" | awk '{print $1 - $2}' | median; }
tgap=$(gaps tacitus bare); wgap=$(gaps waited bare); lgap=$(gaps livy pbare)
tpost=$(cut -d' ' -f1 "$TMP/tacitus" | median); tdone=$(cut -d' ' -f2 "$TMP/tacitus" | median)
wpost=$(cut -d' ' -f1 "$TMP/waited" | median); wdone=$(cut -d' ' -f2 "$TMP/waited" | median)
lpost=$(cut -d' ' -f1 "$TMP/livy" | median); ldone=$(cut -d' ' -f2 "$TMP/livy" | median)
TID=$(tail -n1 "$TMP/tacitus" | cut -d' ' -f3); LID=$(tail -n1 "$TMP/livy" | cut -d' ' -f3)
echo "   bare (Tacitus's command) $(tr '\n' ' ' < "$TMP/bare")ms; bare (Livy's) $(tr '\n' ' ' < "$TMP/pbare")ms; Tacitus $(cut -d' ' -f2 "$TMP/tacitus" | tr '\n' ' ')ms; waiting $(cut -d' ' -f2 "$TMP/waited" | tr '\n' ' ')ms; Livy $(cut -d' ' -f2 "$TMP/livy" | tr '\n' ' ')ms"
breakdown "$TMP/tacitus" > "$TMP/tacitus.bd"
breakdown "$TMP/waited" > "$TMP/waited.bd"
bd() { echo "POST -> row $(med "$1.bd" 1), -> running $(med "$1.bd" 2), -> success $(med "$1.bd" 3), -> seen $(med "$1.bd" 4) ms"; }
twritten=$(med tacitus.bd 5); wwritten=$(med waited.bd 5)
echo "   where Tacitus's time went (medians; POST -> row: the request until its row's transaction began; -> running: claim and launch; -> success: spark-submit and the job's end; -> seen: until the client saw success):"
echo "   polled: $(bd tacitus); per run (row, running, success, seen): $(cut -d' ' -f1-4 "$TMP/tacitus.bd" | tr ' \n' '/ ')"
echo "   waiting: $(bd waited); per run: $(cut -d' ' -f1-4 "$TMP/waited.bd" | tr ' \n' '/ ')"
echo "   outside spark-submit's run (POST -> row -> running, then success -> seen), median: polled $(awk '{print $1 + $2 + $4}' "$TMP/tacitus.bd" | median) ms, waiting $(awk '{print $1 + $2 + $4}' "$TMP/waited.bd" | median) ms; the rest, running -> success, against the bare run's $bare ms: $(med tacitus.bd 3) and $(med waited.bd 3) ms"
echo "   Tacitus ran spark-submit $(q "SELECT argv FROM batch WHERE id = $TID") with $jp, and so did the first bare run (as this user, a bare environment); the second bare run and Livy: --conf spark.master=local FILE with $PYSPARK_PYTHON"

# the lists: the same number of real, finished quick.py batches on both sides
total() { $C "$(url "$1")/batches?size=100" | sed 's/.*"total":\([0-9]*\).*/\1/'; }
echo "filling both lists to $LISTED batches ($WAVE at a time on each side)"
th=$(total tacitus); lh=$(total livy)
while [ "$th" -lt "$LISTED" ] || [ "$lh" -lt "$LISTED" ]; do
	ids=""
	j=0
	while [ $j -lt "$WAVE" ]; do
		[ "$th" -ge "$LISTED" ] || { ids="$ids tacitus:$(post tacitus)"; th=$((th + 1)); }
		[ "$lh" -ge "$LISTED" ] || { ids="$ids livy:$(post livy)"; lh=$((lh + 1)); }
		j=$((j + 1))
	done
	for x in $ids; do wait_end "${x%%:*}" "${x#*:}"; done
done
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
KEPT=$(ss -Htn state established "( dport = :$JPORT )" | wc -l)
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

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
# memory after the wrk rows (Livy's JVM is started again in row 6)
TMEM="$(rss "$TPIDS") ($(echo "$TPIDS" | tr , '\n' | grep -c .) tacitus processes)"
LMEM=$(rss "$LIVY_PID") NMEM=$(rss "$NPIDS") LNMEM=$(rss "$LNPIDS") PGMEM=$(pss "$PGPIDS")

echo "5. bulk.py ($MIB MiB), $LOUD_RUNS round(s) of: bare spark-submit, Tacitus, Livy (polled every 100 ms), each log read at once"
: > "$TMP/loud.bare"; : > "$TMP/loud.tacitus"; : > "$TMP/loud.livy"
i=1
while [ $i -le "$LOUD_RUNS" ]; do
	# tokens of one length: the same output, line for line, on each side
	bare "$LOUD" "bar-$i" "$MIB" >> "$TMP/loud.bare"
	tok=tac-$i
	set -- $(run_one tacitus "$LOUD" "\"$tok\", \"$MIB\"")
	# the log as a client reads it once it saw success: its total, the job's last line
	# (TACITUS-BULK-END TOKEN N) among its last 100 (spark-submit's own last lines on
	# stderr may follow it); then every one of the N lines counted stored (as loud.sh)
	tot=$($C "$TACITUS_URL/batches/$3/log?from=0&size=1" | sed 's/.*"total":\([0-9]*\).*/\1/')
	n=$($C "$TACITUS_URL/batches/$3/log?from=$((tot > 100 ? tot - 100 : 0))&size=100" |
		grep -o "TACITUS-BULK-END $tok [0-9]*" | tail -n1 | sed 's/.* //')
	got=$(q "SELECT count(*) FROM batch_log WHERE batch_id = $3 AND line LIKE 'TACITUS-BULK $tok %'")
	ok=no; [ -n "$n" ] && [ "$got" = "$n" ] && ok=yes
	echo "$2 $tot ${n:-0} $got $ok" >> "$TMP/loud.tacitus"
	tok=liv-$i
	set -- $(run_one livy "$LOUD" "\"$tok\", \"$MIB\"")
	$C "$LIVY_URL/batches/$3/log?from=0&size=100000" > "$TMP/loud.log"
	tot=$(sed 's/.*"total":\([0-9]*\).*/\1/' "$TMP/loud.log")
	n=$(grep -o "TACITUS-BULK-END $tok [0-9]*" "$TMP/loud.log" | tail -n1 | sed 's/.* //')
	got=$(grep -o "TACITUS-BULK $tok [0-9]*" "$TMP/loud.log" | wc -l)
	echo "$2 $tot ${n:-0} $got" >> "$TMP/loud.livy"
	i=$((i + 1))
done
lbare=$(median < "$TMP/loud.bare")
tloud=$(med loud.tacitus 1); lloud=$(med loud.livy 1)
LINES=$(cut -d' ' -f3 "$TMP/loud.tacitus" | sort -n | tail -n1)
complete=$(grep -c ' yes$' "$TMP/loud.tacitus" || true)
echo "   bare $(tr '\n' ' ' < "$TMP/loud.bare")ms; Tacitus (ms, log total, N, N stored, complete) $(tr '\n' ';' < "$TMP/loud.tacitus"); Livy (ms, log total, N in its log, lines of N in its log) $(tr '\n' ';' < "$TMP/loud.livy")"

echo "6. kill -9 of the instance running a batch (quick.py sleeping 60 s): Tacitus $ADOPT_RUNS times, then Livy once"
: > "$TMP/adopt"
i=1
while [ $i -le "$ADOPT_RUNS" ]; do
	id=$(post tacitus "$JOB" "\"adopt-$i\", \"60\"")
	k=0
	until [ "$(q "SELECT state FROM batch WHERE id = $id")" = running ]; do
		k=$((k + 1)); [ $k -lt 600 ] || { echo "tacitus batch $id not running in 60 s"; exit 1; }
		sleep 0.1
	done
	owner=$(q "SELECT lease_owner FROM batch WHERE id = $id")
	# the whole instance at once (master, workers, monitor: one process group), as adopt.sh
	t0=$(ms)
	kill -9 -"$(cat "$TACITUS_VAR/run/$owner.pid")"
	k=0
	until [ "$(q "SELECT lease_owner FROM batch WHERE id = $id")" != "$owner" ]; do
		k=$((k + 1)); [ $k -lt 600 ] || break
		sleep 0.05
	done
	t1=$(ms)
	by=$(q "SELECT coalesce(lease_owner, 'nobody') FROM batch WHERE id = $id")
	if [ "$by" != "$owner" ]; then took=$((t1 - t0)); else took=999999; fi   # 999999: not adopted in 30 s
	# how the adopter knew (its log): the lock that died with the connection, or the
	# lease; a monitor judges by the lock only an owner it saw hold it (include/leasewatch.h),
	# and it looks every 250 ms at the owners of running batches: the kill's distance
	# from the batch's start says whether it could have
	after=$(($(q "SELECT round(extract(epoch FROM at) * 1000)::bigint FROM batch_event
		WHERE batch_id = $id AND to_state = 'running'") - t0))
	how=$(grep -h "batch $id: adopted from" "$TACITUS_VAR"/log/app-*.log | tail -n1 | sed 's/.*(\(.*\))$/\1/')
	echo "   run $i: batch $id of $owner, killed $((-after)) ms after it was running: held by $by after $took ms ($how); its state then: $(state tacitus "$id")"
	echo "$took" >> "$TMP/adopt"
	rm -f "$TACITUS_VAR/run/$owner.pid"
	sh "$ROOT/app/stack.sh" start >/dev/null
	$C -X DELETE -o /dev/null "$TACITUS_URL/batches/$id"
	i=$((i + 1))
done
adopt=$(median < "$TMP/adopt")
# Livy: one JVM; its session recovery needs YARN ("Session recovery requires YARN.").
# What a supervisor would do: start it again; does it still know the batch?
id=$(post livy "$JOB" "\"adopt-livy\", \"60\"")
k=0
until [ "$(state livy "$id")" = running ]; do
	k=$((k + 1)); [ $k -lt 600 ] || { echo "livy batch $id not running in 60 s"; exit 1; }
	sleep 0.1
done
KILLED_LIVY=$LIVY_PID
t0=$(ms)
kill -9 "$LIVY_PID"
start_livy
livy_up
$C -o /dev/null "$LIVY_URL/version"
t1=$(ms)
LRESTART=$((t1 - t0))
lcode=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TACITUS_CA" -u "$TACITUS_USER:$TACITUS_PASSWORD" "$LIVY_URL/batches/$id")
lknown=$(total livy)
# the killed JVM's spark-submit: left running, which no one tracks
orphans=$(ps -eo pgid=,stat=,args= | awk -v g="$KILLED_LIVY" '$1 == g && $2 !~ /^Z/ && /adopt-livy/' | wc -l)
kill -KILL -"$KILLED_LIVY" 2>/dev/null || true
wait "$KILLED_LIVY" 2>/dev/null || true
KILLED_LIVY=""
echo "   Livy: batch $id running, JVM killed, started again: answering after $LRESTART ms, GET /batches/$id $lcode, $lknown batches known; processes of its spark-submit left running: $orphans"
LOAD2=$(cut -d' ' -f1-3 /proc/loadavg)

met() { if awk "BEGIN {exit !($1)}"; then echo yes; else echo no; fi; }   # met CONDITION (awk)
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
row() {         # row LABEL NAME: req/s medians, the ratio (higher is better), the goal
	t=$(med "$2.tacitus" 1); l=$(med "$2.livy" 1)
	echo "| $1 | $t req/s (p99 $(med "$2.tacitus" 2) ms) | $l req/s (p99 $(med "$2.livy" 2) ms) | $(ratio "$t" "$l") (higher: Tacitus faster) | $(med "$2.direct" 1) req/s (p99 $(med "$2.direct" 2) ms) | ≥ 1.3× Livy | $(met "$t >= 1.3 * $l") |"
}

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%F); load average (1, 5, 15 min) at the start $LOAD0, before the wrk rows $LOADM, after them $LOAD1, at the end $LOAD2"
echo "both behind nginx $(nginx -v 2>&1 | sed 's/.*\///'): TLS 1.2/1.3 (the stack's self-signed RSA 2048 certificate), basic auth ({SSHA} htpasswd); the same curl and wrk for both"
echo "Tacitus: $TACITUS_INSTANCES instances x $TACITUS_WORKERS workers, PostgreSQL, nginx -> FastCGI (nginx's access log on); Livy 0.7.1: one JVM ($(java -version 2>&1 | head -1)), nginx -> HTTP keep-alive ($KEPT connections kept after the wrk rows; no access log)"
echo
echo "| | Tacitus | Livy 0.7.1 | Tacitus / Livy | Livy without its front door (plain HTTP, no auth; for reference) | goal (issue 25) | met? |"
echo "|---|---|---|---|---|---|---|"
echo "| 1. quick.py POST -> \`success\`, polled every 100 ms (a curl each), median of $RUNS (bare spark-submit of the same command: Tacitus's $bare ms, Livy's $pbare ms) | $tdone ms | $ldone ms | $(ratio "$tdone" "$ldone") (lower: Tacitus faster) | | ≤ bare + 50 ms | $(met "$tdone <= $bare + 50") |"
echo "| the same, Tacitus waiting (\`GET .../state?until=end\`: one request), median of $RUNS | $wdone ms | (no such wait) | | | ≤ bare + 50 ms | $(met "$wdone <= $bare + 50") |"
echo "| gap over the bare spark-submit of the same command, medians / median of the rounds' gaps | $((tdone - bare)) / $tgap ms polled, $((wdone - bare)) / $wgap ms waiting | $((ldone - pbare)) / $lgap ms | | | | |"
echo "| POST -> \`success\` written (the state event, as end.sh), polled / waiting runs | $twritten / $wwritten ms (gap $((twritten - bare)) / $((wwritten - bare)) ms) | | | | (for reference) | |"
echo "| POST /batches answered (curl, new TLS connection), median of $RUNS | $tpost ms | $lpost ms | | | | |"
row "2. \`GET /batches/{id}/state\`, median of $ROUNDS" state
row "3. \`GET /batches?size=100\` ($TTOTAL / $LTOTAL batches held; $TSIZE / $LSIZE bytes), median of $ROUNDS" list
row "4. \`GET /version\`, median of $ROUNDS" version
echo "| 5. bulk.py, $MIB MiB ($LINES lines), POST -> \`success\`, polled, median of $LOUD_RUNS (bare spark-submit: $lbare ms) | $tloud ms; log read at once: $(med loud.tacitus 2) lines, the job's last line there, $(med loud.tacitus 4) of its $LINES stored ($complete of $LOUD_RUNS runs complete) | $lloud ms; log read at once: $(med loud.livy 2) lines, $(med loud.livy 4) of its $(med loud.livy 3) (livy.cache-log.size: the last 200 of stdout and of stderr) | $(ratio "$tloud" "$lloud") (lower: Tacitus faster) | | ≤ bare + 2 s, log complete | $(met "$tloud <= $lbare + 2000 && $complete == $LOUD_RUNS") |"
echo "| 6. \`kill -9\` of the instance running a batch -> another holds it, median of $ADOPT_RUNS | $([ "$adopt" != 999999 ] && echo "$adopt ms ($(sort -n "$TMP/adopt" | tr '\n' ' ')ms)" || echo "not adopted in 30 s") | none: one JVM (recovery needs YARN); started again it answered after $LRESTART ms and GET /batches/{id} was $lcode ($lknown batches known)$([ "$orphans" = 0 ] || echo ", its spark-submit left running untracked ($orphans processes)") | | | < 1 s | $(met "$adopt < 1000") |"
echo "| server memory after the wrk rows (RSS) | $TMEM | $LMEM (the JVM) | | | | |"
echo "| its front door (nginx, RSS) | $NMEM | $LNMEM | | | | |"
echo "| PostgreSQL (PSS: shared buffers counted once) | $PGMEM | none (Livy keeps batches in its heap) | | | | |"
