#!/bin/sh
# integration.sh - start a throwaway stack of its own (ASan+UBSan build of tacitus, real
# PostgreSQL, nginx and Spark), run the black-box tests over HTTPS, stop and clean up.
# Fails when a test fails or when a sanitizer reported anything in the app's logs.
#
#   sh tests/integration.sh        local Spark (livy.spark.master = local[1]): tests/integration
#   sh tests/integration.sh yarn   a real YARN that tests/cluster/yarn.sh starts, with
#                                  livy.spark.master = yarn in cluster mode:
#                                  tests/cluster/test_yarn*.py
#   sh tests/integration.sh standalone   a real Spark standalone master and worker that
#                                  tests/cluster/standalone.sh starts, with livy.spark.master
#                                  = spark://... in cluster mode: tests/cluster/test_standalone*.py
# TACITUS_TESTS narrows the tests (pytest's arguments).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MODE=${1:-local}
case "$MODE" in
local | yarn | standalone) ;;
*) echo "usage: sh tests/integration.sh [local|yarn|standalone]" >&2; exit 2 ;;
esac
VAR=$(mktemp -d /tmp/tacitus-it.XXXXXX)
chmod 755 "$VAR"

free_port() {   # a port of 127.0.0.1 nobody listens on, from a range of our own
	p=$1
	while ss -Hltn "sport = :$p" | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

export TACITUS_VAR="$VAR"
# Harnesses of several work trees may run at once: each looks for free ports from an
# offset of its own, so that one restarting its stack does not find its ports taken.
OFFSET=$(($$ % 400 * 10))
export TACITUS_PORT=$(free_port $((18998 + OFFSET)))
export TACITUS_PGPORT=$(free_port $((55440 + OFFSET)))
export TACITUS_BIN="$ROOT/build/asan/tacitus"
export TACITUS_PG_FAST=1 TACITUS_INSTANCES=3 TACITUS_WORKERS=2
export TACITUS_USER=it-user TACITUS_PASSWORD="it-$(openssl rand -hex 8)"
export LIVY_CONF_DIR="$VAR/conf"
export ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1
export TACITUS_JOBS="$ROOT/tests/jobs"
mkdir -p "$LIVY_CONF_DIR" /tmp/tacitus-wl

status=1
cleanup() {
	sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1 || true
	# jobs outlive a stack stop on purpose (they are adopted at the next start); this
	# stack has no next start, so its jobs and session drivers go with it
	sh "$ROOT/app/stack.sh" kill-jobs
	[ "$MODE" = yarn ] && sh "$ROOT/tests/cluster/yarn.sh" stop "$VAR/yarn" || true
	[ "$MODE" = standalone ] && sh "$ROOT/tests/cluster/standalone.sh" stop "$VAR/standalone" ||
		true
	if [ "$status" = 0 ]; then
		rm -rf "$VAR"
	else
		echo "integration: failed; logs kept in $VAR" >&2
		tail -n 40 "$VAR"/log/app-*.log >&2 || true
	fi
}
trap cleanup EXIT

WHITELIST="$TACITUS_JOBS, /tmp/tacitus-wl"
if [ "$MODE" = yarn ]; then
	# HADOOP_CONF_DIR, YARN_CONF_DIR, SPARK_CONF_DIR, JAVA_HOME, TACITUS_RM_URL: the
	# server passes the first four on to spark-submit
	YARN_ENV=$(sh "$ROOT/tests/cluster/yarn.sh" start "$VAR/yarn") || exit 1
	eval "$(printf '%s\n' "$YARN_ENV" | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
	MASTER="livy.spark.master = yarn
livy.spark.deploy-mode = cluster
livy.server.yarn.poll-interval = 1s
livy.server.yarn.app-lookup-timeout = 45s
livy.server.yarn.app-leakage.check-interval = 2s"
	TESTS="$ROOT/tests/cluster/test_yarn.py $ROOT/tests/cluster/test_yarn_client.py $ROOT/tests/cluster/test_yarn_session.py"
elif [ "$MODE" = standalone ]; then
	# SPARK_HOME, JAVA_HOME, TACITUS_SA_*, TACITUS_TEST_JAR (a jar of test drivers)
	SA_ENV=$(sh "$ROOT/tests/cluster/standalone.sh" start "$VAR/standalone") || exit 1
	eval "$(printf '%s\n' "$SA_ENV" | sed "s/^\([A-Z_]*\)='\(.*\)'$/export \1='\2'/")"
	# the jar where batches may name it (livy.file.local-dir-whitelist)
	mkdir -p "$VAR/sa-jars"
	cp "$TACITUS_TEST_JAR" "$VAR/sa-jars/tacitus-test.jar"
	export TACITUS_TEST_JAR="$VAR/sa-jars/tacitus-test.jar"
	MASTER="livy.spark.master = $TACITUS_SA_MASTER
livy.spark.deploy-mode = cluster
tacitus.standalone.poll-interval = 500ms"
	WHITELIST="$WHITELIST, $VAR/sa-jars"
	TESTS="$ROOT/tests/cluster/test_standalone.py $ROOT/tests/cluster/test_standalone_client.py"
else
	MASTER="livy.spark.master = local[1]"
	TESTS=$ROOT/tests/integration
fi
# completion webhooks to the tests' own receivers (tests/integration/test_webhooks.py)
export TACITUS_HOOK_SECRET="whsec_$(openssl rand -base64 24)"
# The harness's user is the operator: a superuser, who alone may scrape /metrics
cat > "$LIVY_CONF_DIR/livy.conf" <<CONF
$MASTER
livy.server.session.state-retain.sec = 600s
livy.server.session.max-creation = 100
livy.server.session.ttl-check = true
livy.file.local-dir-whitelist = $WHITELIST
tacitus.history.keep-days = 36500
livy.superusers = $TACITUS_USER
tacitus.webhook.allowed-hosts = 127.0.0.1
tacitus.webhook.secret = $TACITUS_HOOK_SECRET
tacitus.webhook.timeout = 2s
tacitus.webhook.retry-for = 10m
tacitus.push.wait-max = 10s
CONF
cp "$ROOT/app/conf/spark-blacklist.conf" "$LIVY_CONF_DIR/"

sh "$ROOT/app/stack.sh" start >/dev/null
eval "$(sh "$ROOT/app/stack.sh" env | sed 's/^\([A-Z_]*\)=\(.*\)$/export \1="\2"/')"
"$ROOT/.venv/bin/python" -m pytest -q -p no:cacheprovider ${TACITUS_TESTS:-$TESTS}
sh "$ROOT/app/stack.sh" stop >/dev/null 2>&1
if grep -l -E "AddressSanitizer|LeakSanitizer|runtime error:" "$VAR"/log/app-*.log >/dev/null 2>&1; then
	echo "integration: sanitizer reports in the app logs:" >&2
	grep -h -A20 -E "AddressSanitizer|LeakSanitizer|runtime error:" "$VAR"/log/app-*.log >&2
	exit 1
fi
status=0
