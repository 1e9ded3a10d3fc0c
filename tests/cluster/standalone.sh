#!/bin/sh
# standalone.sh - a real Spark standalone cluster (one master with its REST submission
# server, one worker; everything on 127.0.0.1) from the pyspark distribution, for the
# cluster integration tests.
#
#   sh tests/cluster/standalone.sh start DIR   build the test jar and read Spark's Java
#        module options if not cached, write DIR/spark-conf, start the master and the
#        worker, wait until the master shows the worker alive; prints the environment of
#        the cluster on stdout (NAME='VALUE' lines, for eval):
#          SPARK_HOME, JAVA_HOME, TACITUS_SA_MASTER (spark://...), TACITUS_SA_REST (the
#          REST submission server), TACITUS_SA_MASTER_UI, TACITUS_SA_WORKER_UI,
#          TACITUS_SA_WORK_DIR (the worker's: DRIVER_ID/stdout, stderr),
#          TACITUS_TEST_JAR, TACITUS_SPARK_MODULE_OPTIONS
#   sh tests/cluster/standalone.sh stop DIR    stop both daemons and any driver or
#        executor JVM of this cluster left behind (safe to repeat)
#
# Ports (fixed; start fails when one is taken): REST 6066, master 7077 and web UI 8080,
# worker web UI 8081 (its RPC port is picked by the worker).
# The test jar (classes in tests/cluster/jar: tacitus.Count [N], tacitus.Exit1,
# tacitus.Throw, tacitus.Sleep [SECONDS]) is compiled with javac --release 8 against
# $SPARK_HOME/jars, and Spark's module options (what its launcher adds on Java 17,
# org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions()) are printed by
# tacitus.ModuleOptions, once per Spark version and sources, into
# ${TACITUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tacitus}/standalone-jar-VERSION-HASH.
# All chatter goes to stderr; the daemons log to DIR/logs.
set -eu
umask 022
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC="$ROOT/tests/cluster/jar"
JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
PY="$ROOT/.venv/bin/python"
HOST=127.0.0.1
REST=6066
MASTER=7077
MASTER_UI=8080
WORKER_UI=8081

say() { printf 'standalone.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { die "usage: sh tests/cluster/standalone.sh start|stop DIR"; }

spark_home() {  # sets SPARK_HOME and VERSION from the project's venv
	[ -x "$PY" ] || die "no $PY (the project's venv)"
	SPARK_HOME=$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))') ||
		die "no pyspark in $PY"
	VERSION=$("$PY" -c 'import pyspark; print(pyspark.__version__)')
	[ -x "$JAVA_HOME/bin/javac" ] || die "no JDK 17 in $JAVA_HOME (openjdk-17-jdk-headless)"
}

jar() {         # sets JAR and MODULE_OPTIONS: built and read once per version and sources
	hash=$(cat "$SRC"/tacitus/*.java | sha256sum | cut -c1-12)
	cache="${TACITUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tacitus}/standalone-jar-$VERSION-$hash"
	JAR="$cache/tacitus-test.jar"
	if [ ! -s "$JAR" ] || [ ! -s "$cache/module-options" ]; then
		say "building the test jar into $cache"
		mkdir -p "$(dirname "$cache")"
		tmp=$(mktemp -d "$cache.tmp.XXXXXX")
		mkdir "$tmp/classes"
		"$JAVA_HOME/bin/javac" -nowarn --release 8 -cp "$SPARK_HOME/jars/*" \
			-d "$tmp/classes" "$SRC"/tacitus/*.java >&2 ||
			{ rm -rf "$tmp"; die "javac failed"; }
		"$JAVA_HOME/bin/jar" cf "$tmp/tacitus-test.jar" -C "$tmp/classes" . ||
			{ rm -rf "$tmp"; die "jar failed"; }
		"$JAVA_HOME/bin/java" -cp "$tmp/tacitus-test.jar:$SPARK_HOME/jars/*" \
			tacitus.ModuleOptions > "$tmp/module-options" ||
			{ rm -rf "$tmp"; die "cannot read Spark's module options"; }
		[ -s "$tmp/module-options" ] || { rm -rf "$tmp"; die "Spark printed no module options"; }
		rm -rf "$tmp/classes"
		chmod -R a+rX "$tmp"
		# renamed into place whole; another start may have won the race meanwhile
		mv -T "$tmp" "$cache" 2>/dev/null || rm -rf "$tmp"
	fi
	[ -s "$JAR" ] || die "no $JAR"
	MODULE_OPTIONS=$(cat "$cache/module-options")
}

write_conf() {
	rm -f "$DIR/run/master.pid" "$DIR/run/worker.pid"
	mkdir -p "$DIR/spark-conf" "$DIR/logs" "$DIR/run" "$DIR/work"
	# the daemons' own settings: none, so that no spark-defaults.conf of the machine counts
	: > "$DIR/spark-conf/spark-defaults.conf"
	# drivers run as other OS users and read the configuration; the worker writes work/
	chmod -R a+rX "$DIR/spark-conf"
	chmod 755 "$DIR" "$DIR/logs" "$DIR/run" "$DIR/work"
}

daemon() {      # daemon NAME CLASS ARG...: one JVM (spark-class execs it) in a session of its own
	n=$1
	shift
	say "starting the $n"
	setsid sh -c 'echo $$ > "$0"; exec "$@"' "$DIR/run/$n.pid" \
		"$SPARK_HOME/bin/spark-class" "$@" > "$DIR/logs/$n.out" 2>&1 < /dev/null &
}

alive() { [ -s "$DIR/run/$1.pid" ] && kill -0 "$(cat "$DIR/run/$1.pid")" 2>/dev/null; }

logs() {
	for n in master worker; do
		[ -s "$DIR/logs/$n.out" ] || continue
		say "---- last lines of $DIR/logs/$n.out"
		tail -n 40 "$DIR/logs/$n.out" >&2
	done
}

start() {
	for p in $REST $MASTER $MASTER_UI $WORKER_UI; do
		ss -Hltn "sport = :$p" | grep -q . &&
			die "port $p is taken (another Spark, or this one still running: sh $0 stop DIR)"
	done
	spark_home
	jar
	write_conf
	export JAVA_HOME SPARK_HOME SPARK_LOCAL_IP=$HOST SPARK_DAEMON_MEMORY=512m \
		SPARK_CONF_DIR="$DIR/spark-conf" SPARK_LOG_DIR="$DIR/logs"
	t0=$(date +%s)
	SPARK_MASTER_OPTS="-Dspark.master.rest.enabled=true -Dspark.master.rest.host=$HOST \
-Dspark.master.rest.port=$REST" daemon master org.apache.spark.deploy.master.Master \
		--host $HOST --port $MASTER --webui-port $MASTER_UI
	daemon worker org.apache.spark.deploy.worker.Worker --host $HOST --cores 2 --memory 2g \
		--webui-port $WORKER_UI --work-dir "$DIR/work" spark://$HOST:$MASTER
	i=0     # the pid files are written by the new sessions themselves
	while [ ! -s "$DIR/run/master.pid" ] || [ ! -s "$DIR/run/worker.pid" ]; do
		[ $i -lt 50 ] || die "the daemons did not start"
		sleep 0.1
		i=$((i + 1))
	done
	say "waiting for the worker to register"
	while :; do
		curl -s "http://$HOST:$MASTER_UI/json/" 2>/dev/null |
			grep -Eq '"aliveworkers" *: *1[^0-9]' && break
		for n in master worker; do
			alive $n || { logs; stop_all; die "the $n JVM died"; }
		done
		if [ $(($(date +%s) - t0)) -ge 120 ]; then
			logs
			stop_all
			die "no alive worker on the master after 120 s"
		fi
		sleep 1
	done
	say "Spark standalone ready after $(($(date +%s) - t0)) s"
	cat <<OUT
SPARK_HOME='$SPARK_HOME'
JAVA_HOME='$JAVA_HOME'
TACITUS_SA_MASTER='spark://$HOST:$MASTER'
TACITUS_SA_REST='http://$HOST:$REST'
TACITUS_SA_MASTER_UI='http://$HOST:$MASTER_UI'
TACITUS_SA_WORKER_UI='http://$HOST:$WORKER_UI'
TACITUS_SA_WORK_DIR='$DIR/work'
TACITUS_TEST_JAR='$JAR'
TACITUS_SPARK_MODULE_OPTIONS='$MODULE_OPTIONS'
OUT
}

stop_pids() {   # stop_pids PID...: TERM, then KILL what is left after 10 s
	[ $# -gt 0 ] || return 0
	kill -TERM "$@" 2>/dev/null || :
	i=0
	while [ $i -lt 20 ]; do
		left=
		for p in "$@"; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		[ -n "$left" ] || return 0
		sleep 0.5
		i=$((i + 1))
	done
	say "killing$left"
	# shellcheck disable=SC2086
	kill -KILL $left 2>/dev/null || :
}

leftovers() {   # pids of driver and executor JVMs of this cluster
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$$" ] && continue
		# drivers and executors run in DIR/work/<id>/, and name it on their command line
		cwd=$(readlink "$d/cwd" 2>/dev/null) || continue
		case "$cwd" in
		"$DIR/work/"*) ;;
		*) continue ;;
		esac
		tr '\0' ' ' 2>/dev/null < "$d/cmdline" | grep -q java && echo "$p"
	done
}

stop_all() {
	# the worker first: stopping, it kills its drivers and executors
	for n in worker master; do
		if alive $n; then
			say "stopping the $n (pid $(cat "$DIR/run/$n.pid"))"
			stop_pids "$(cat "$DIR/run/$n.pid")"
		fi
		rm -f "$DIR/run/$n.pid"
	done
	left=$(leftovers)
	if [ -n "$left" ]; then
		say "killing driver and executor JVMs left: $(echo $left)"
		# shellcheck disable=SC2086
		stop_pids $left
	fi
}

[ $# = 2 ] || usage
case $1 in
start)
	mkdir -p "$2"
	DIR=$(cd "$2" && pwd)
	start
	;;
stop)
	[ -d "$2" ] || exit 0
	DIR=$(cd "$2" && pwd)
	stop_all
	;;
*) usage ;;
esac
