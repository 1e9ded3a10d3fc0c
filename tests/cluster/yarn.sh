#!/bin/sh
# yarn.sh - a real single-node Hadoop YARN (one ResourceManager and one NodeManager JVM,
# everything on 127.0.0.1) for the cluster integration tests, with log aggregation on
# (into DIR/app-logs) and an ApplicationHistoryServer JVM as the NodeManager's log
# server (yarn.log.server.web-service.url), as on most real clusters.
#
#   sh tests/cluster/yarn.sh start DIR   fetch the Hadoop jars if needed, write
#        DIR/hadoop-conf and DIR/spark-conf, start RM + NM, wait until the node is up;
#        prints the environment of the cluster on stdout (NAME=VALUE lines, for eval):
#        HADOOP_CONF_DIR, YARN_CONF_DIR, SPARK_CONF_DIR, TACITUS_RM_URL, JAVA_HOME
#   sh tests/cluster/yarn.sh stop DIR    stop the daemons and any container processes
#        they left behind (safe to repeat)
#
# Ports (fixed; start fails when one is taken): RM 18030-18033 and web 18088, NM 18040,
# 18041, 18048, 18049 and web 18042, AHS 18200 and web 18188.  Containers run as the user who started the NM.
# The jars (Hadoop version from hadoop-pom.xml) are fetched once with Maven into
# ${TACITUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tacitus}/hadoop-VERSION/jars.
# Run as root, start installs openjdk-17-jdk-headless and maven when they are missing.
# All chatter goes to stderr; the daemons log to DIR/logs.
set -eu
umask 022
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
POM="$ROOT/tests/cluster/hadoop-pom.xml"
JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64   # Hadoop 3.3 fails on Java 21+
PY="$ROOT/.venv/bin/python"
HOST=127.0.0.1
RM_WEB=18088
AHS_WEB=18188
PORTS="18030 18031 18032 18033 $RM_WEB 18040 18041 18042 18048 18049 18200 $AHS_WEB"
JAVA_OPENS="--add-opens=java.base/java.lang=ALL-UNNAMED
--add-opens=java.base/java.lang.reflect=ALL-UNNAMED
--add-opens=java.base/java.util=ALL-UNNAMED
--add-opens=java.base/java.util.concurrent=ALL-UNNAMED
--add-opens=java.base/java.net=ALL-UNNAMED
--add-opens=java.base/java.io=ALL-UNNAMED
--add-opens=java.base/java.nio=ALL-UNNAMED
--add-opens=java.base/sun.nio.ch=ALL-UNNAMED"

say() { printf 'yarn.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { die "usage: sh tests/cluster/yarn.sh start|stop DIR"; }

deps() {        # the JDK and Maven, installed with apt-get when missing (root only)
	missing=
	for p in openjdk-17-jdk-headless maven; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		[ "$(id -u)" = 0 ] || die "missing packages:$missing (install them, or run as root)"
		say "installing$missing"
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >&2
	fi
	[ -x "$JAVA_HOME/bin/java" ] || die "no Java 17 in $JAVA_HOME"
}

jars() {        # sets JARS: the cached Hadoop jars, fetched once per version
	ver=$(sed -n 's:.*<hadoop.version>\(.*\)</hadoop.version>.*:\1:p' "$POM")
	[ -n "$ver" ] || die "no hadoop.version in $POM"
	cache="${TACITUS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tacitus}/hadoop-$ver"
	JARS="$cache/jars"
	[ -d "$JARS" ] && return 0
	mkdir -p "$cache"
	chmod 755 "$cache"
	say "fetching the Hadoop $ver jars into $JARS"
	tmp=$(mktemp -d "$cache/jars.tmp.XXXXXX")
	if ! JAVA_HOME="$JAVA_HOME" mvn -q -B -Dstyle.color=never -f "$POM" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$tmp" \
		-Dmaven.repo.local="$cache/m2" > "$tmp.log" 2>&1; then
		cat "$tmp.log" >&2
		rm -rf "$tmp" "$tmp.log"
		die "fetching the Hadoop jars failed"
	fi
	rm -f "$tmp.log"
	chmod -R a+rX "$tmp" "$cache/m2"
	# Renamed into place whole, so that a half fetch is never used; another start may
	# have won the race meanwhile.
	mv -T "$tmp" "$JARS" 2>/dev/null || rm -rf "$tmp"
	[ -d "$JARS" ] || die "no $JARS"
}

prop() { printf '  <property><name>%s</name><value>%s</value></property>\n' "$1" "$2"; }

write_conf() {
	C="$DIR/hadoop-conf"
	rm -f "$DIR/run/rm.pid" "$DIR/run/nm.pid"
	mkdir -p "$C" "$DIR/spark-conf" "$DIR/logs" "$DIR/run" "$DIR/tmp" \
		"$DIR/nm-local" "$DIR/nm-logs" \
		"$DIR/app-logs"
	{
		echo '<?xml version="1.0"?>'
		echo '<configuration>'
		prop fs.defaultFS file:///
		prop hadoop.tmp.dir "$DIR/tmp"
		echo '</configuration>'
	} > "$C/core-site.xml"
	{
		echo '<?xml version="1.0"?>'
		echo '<configuration>'
		prop yarn.resourcemanager.hostname $HOST
		prop yarn.resourcemanager.address $HOST:18032
		prop yarn.resourcemanager.scheduler.address $HOST:18030
		prop yarn.resourcemanager.resource-tracker.address $HOST:18031
		prop yarn.resourcemanager.admin.address $HOST:18033
		prop yarn.resourcemanager.webapp.address $HOST:$RM_WEB
		prop yarn.resourcemanager.am.max-attempts 1
		prop yarn.resourcemanager.recovery.enabled false
		prop yarn.resourcemanager.scheduler.class \
			org.apache.hadoop.yarn.server.resourcemanager.scheduler.capacity.CapacityScheduler
		prop yarn.nodemanager.hostname $HOST
		prop yarn.nodemanager.address $HOST:18041
		prop yarn.nodemanager.localizer.address $HOST:18040
		prop yarn.nodemanager.webapp.address $HOST:18042
		prop yarn.nodemanager.collector-service.address $HOST:18048
		prop yarn.nodemanager.amrmproxy.address $HOST:18049
		prop yarn.nodemanager.local-dirs "$DIR/nm-local"
		prop yarn.nodemanager.log-dirs "$DIR/nm-logs"
		prop yarn.nodemanager.log.retain-seconds 86400
		# Log aggregation on, as on most clusters: once an application ends, the NM
		# copies its containers' logs into DIR/app-logs and drops its own copies.
		prop yarn.log-aggregation-enable true
		prop yarn.nodemanager.remote-app-log-dir "$DIR/app-logs"
		# where the NM sends a reader of logs it no longer has: the AHS below
		prop yarn.log.server.web-service.url http://$HOST:$AHS_WEB/ws/v1/applicationhistory
		prop yarn.nodemanager.resource.memory-mb 6144
		prop yarn.nodemanager.resource.cpu-vcores 8
		prop yarn.nodemanager.pmem-check-enabled false
		prop yarn.nodemanager.vmem-check-enabled false
		prop yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage 99.9
		prop yarn.nodemanager.recovery.enabled false
		prop yarn.scheduler.minimum-allocation-mb 128
		prop yarn.scheduler.maximum-allocation-mb 6144
		prop yarn.scheduler.maximum-allocation-vcores 8
		echo '</configuration>'
	} > "$C/yarn-site.xml"
	{
		echo '<?xml version="1.0"?>'
		echo '<configuration>'
		prop yarn.scheduler.capacity.root.queues default
		prop yarn.scheduler.capacity.root.default.capacity 100
		prop yarn.scheduler.capacity.root.default.maximum-capacity 100
		prop yarn.scheduler.capacity.root.default.state RUNNING
		prop yarn.scheduler.capacity.root.default.acl_submit_applications '*'
		prop yarn.scheduler.capacity.root.default.acl_administer_queue '*'
		prop yarn.scheduler.capacity.maximum-am-resource-percent 1.0
		echo '</configuration>'
	} > "$C/capacity-scheduler.xml"
	cat > "$C/log4j.properties" <<'EOF'
# The daemons' log4j 1.x settings: one file each, DIR/logs/rm.log and DIR/logs/nm.log.
log4j.rootLogger=INFO,FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File=${yarn.log.dir}/${yarn.log.file}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %p %c: %m%n
EOF
	# The ApplicationHistoryServer serves the aggregated logs (its own configuration:
	# the timeline service stays off for the RM, the NM and the clients).
	mkdir -p "$DIR/ahs-conf"
	cp "$C/core-site.xml" "$C/log4j.properties" "$DIR/ahs-conf/"
	{
		sed '$d' "$C/yarn-site.xml"
		prop yarn.timeline-service.enabled true
		prop yarn.timeline-service.hostname $HOST
		prop yarn.timeline-service.address $HOST:18200
		prop yarn.timeline-service.webapp.address $HOST:$AHS_WEB
		prop yarn.timeline-service.store-class org.apache.hadoop.yarn.server.timeline.MemoryTimelineStore
		echo '</configuration>'
	} > "$DIR/ahs-conf/yarn-site.xml"
	[ -x "$PY" ] || die "no $PY (the project's venv)"
	SPARK_HOME=$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))') ||
		die "no pyspark in $PY"
	cat > "$DIR/spark-conf/spark-defaults.conf" <<EOF
spark.yarn.jars local:$SPARK_HOME/jars/*
spark.driver.memory 512m
spark.executor.memory 512m
spark.executor.instances 1
spark.executor.cores 1
spark.yarn.maxAppAttempts 1
spark.yarn.am.memory 512m
spark.yarn.appMasterEnv.SPARK_LOCAL_IP $HOST
spark.executorEnv.SPARK_LOCAL_IP $HOST
spark.yarn.appMasterEnv.PYSPARK_PYTHON $PY
spark.executorEnv.PYSPARK_PYTHON $PY
spark.driver.host $HOST
EOF
	# Jobs run as other OS users and read the configuration.
	chmod -R a+rX "$C" "$DIR/spark-conf"
	chmod 755 "$DIR" "$DIR/logs" "$DIR/run" "$DIR/tmp" "$DIR/nm-local" "$DIR/nm-logs"
	chmod 1777 "$DIR/app-logs"
}

daemon() {      # daemon NAME MAINCLASS [CONF]: start one JVM in a session of its own
	say "starting the $1"
	conf=${3:-$DIR/hadoop-conf}
	# shellcheck disable=SC2086 # JAVA_OPENS is a list of flags
	setsid sh -c 'echo $$ > "$0"; exec "$@"' "$DIR/run/$1.pid" \
		"$JAVA_HOME/bin/java" -Xmx${XMX:-512m} $JAVA_OPENS \
		-Dyarn.log.dir="$DIR/logs" -Dhadoop.log.dir="$DIR/logs" \
		-Dyarn.log.file="$1.log" -Dhadoop.log.file="$1.log" \
		-Dyarn.home.dir="$JARS" -Dhadoop.home.dir="$JARS" \
		-cp "$conf:$JARS/*" "$2" \
		> "$DIR/logs/$1.out" 2>&1 < /dev/null &
}

alive() { [ -s "$DIR/run/$1.pid" ] && kill -0 "$(cat "$DIR/run/$1.pid")" 2>/dev/null; }

logs() {
	for n in rm nm ahs; do
		for f in "$DIR/logs/$n.out" "$DIR/logs/$n.log"; do
			[ -s "$f" ] || continue
			say "---- last lines of $f"
			tail -n 40 "$f" >&2
		done
	done
}

start() {
	for p in $PORTS; do
		ss -Hltn "sport = :$p" | grep -q . &&
			die "port $p is taken (another YARN, or this one still running: sh $0 stop DIR)"
	done
	deps
	jars
	write_conf
	export JAVA_HOME        # the NM hands it on to the containers
	t0=$(date +%s)
	daemon rm org.apache.hadoop.yarn.server.resourcemanager.ResourceManager
	daemon nm org.apache.hadoop.yarn.server.nodemanager.NodeManager
	XMX=256m daemon ahs \
		org.apache.hadoop.yarn.server.applicationhistoryservice.ApplicationHistoryServer \
		"$DIR/ahs-conf"
	i=0     # the pid files are written by the new sessions themselves
	while [ ! -s "$DIR/run/rm.pid" ] || [ ! -s "$DIR/run/nm.pid" ] || [ ! -s "$DIR/run/ahs.pid" ]; do
		[ $i -lt 50 ] || die "the daemons did not start"
		sleep 0.1
		i=$((i + 1))
	done
	say "waiting for the node to register and the AHS to listen"
	while :; do
		curl -s "http://$HOST:$RM_WEB/ws/v1/cluster/metrics" 2>/dev/null |
			grep -q '"activeNodes":1[,}]' &&
			ss -Hltn "sport = :$AHS_WEB" | grep -q . &&
			break
		for n in rm nm ahs; do
			alive $n || { logs; stop_all; die "the $n JVM died"; }
		done
		if [ $(($(date +%s) - t0)) -ge 120 ]; then
			logs
			stop_all
			die "YARN not ready after 120 s"
		fi
		sleep 1
	done
	say "YARN ready after $(($(date +%s) - t0)) s"
	cat <<EOF
HADOOP_CONF_DIR=$DIR/hadoop-conf
YARN_CONF_DIR=$DIR/hadoop-conf
SPARK_CONF_DIR=$DIR/spark-conf
TACITUS_RM_URL=http://$HOST:$RM_WEB
JAVA_HOME=$JAVA_HOME
EOF
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

leftovers() {   # pids of container processes (and other JVMs) of this cluster
	me=$$
	mypg=$(ps -o pgid= -p $$ | tr -d ' ')
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		[ "$p" = "$me" ] && continue
		cmd=$(tr '\0' ' ' 2>/dev/null < "$d/cmdline") || continue
		# Containers run in DIR/nm-local, log to DIR/nm-logs and have both in their
		# environment (PWD, LOCAL_DIRS, LOG_DIRS); any JVM naming DIR is ours too.
		case "$cmd" in
		*"$DIR/nm-"*) ;;
		*java*"$DIR/"*) ;;
		*) grep -qzF "$DIR/nm-" "$d/environ" 2>/dev/null || continue ;;
		esac
		pg=$(ps -o pgid= -p "$p" 2>/dev/null | tr -d ' ') || continue
		[ -n "$pg" ] && [ "$pg" != "$mypg" ] && [ "$pg" -gt 1 ] && echo "-$pg"
		echo "$p"
	done | sort -u
}

stop_all() {
	# The NM first: stopping, it waits for its containers and unregisters from the RM
	# (which hangs when the RM is gone already).
	for n in nm rm ahs; do
		if alive $n; then
			say "stopping the $n (pid $(cat "$DIR/run/$n.pid"))"
			stop_pids "$(cat "$DIR/run/$n.pid")"
		fi
		rm -f "$DIR/run/$n.pid"
	done
	left=$(leftovers)
	if [ -n "$left" ]; then
		say "killing container processes left: $(echo $left)"
		# shellcheck disable=SC2086
		kill -TERM $left 2>/dev/null || :
		sleep 2
		left=$(leftovers)
		# shellcheck disable=SC2086
		[ -z "$left" ] || kill -KILL $left 2>/dev/null || :
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
