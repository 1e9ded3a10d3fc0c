#!/bin/sh
# stack.sh - install, start and stop the whole Tacitus stack from this checkout:
# PostgreSQL 15 (run by the OS user postgres), N app instances, nginx (TLS + basic auth).
#
#   sh app/stack.sh deps     install missing Debian packages and the pinned Python venv
#   sh app/stack.sh start    start everything that is not running yet (safe to repeat)
#   sh app/stack.sh stop     stop everything started from TACITUS_VAR
#   sh app/stack.sh env      print the environment of this stack (for psql, tests)
#   sh app/stack.sh kill-jobs   kill its jobs and session drivers (stop leaves them running)
#   sh app/stack.sh pg-stop  stop PostgreSQL alone (sh app/stack.sh pg-start starts it again)
#   sh app/stack.sh client-cert NAME   issue a client certificate for NAME (TACITUS_AUTH=cert)
#
# Settings (environment): TACITUS_VAR (runtime folder, default ./var), TACITUS_PORT
# (8998), TACITUS_INSTANCES (2), TACITUS_WORKERS (workers per instance, 3),
# TACITUS_USER / TACITUS_PASSWORD (default: tacitus / generated, kept in
# TACITUS_VAR/credentials), TACITUS_PGPORT (55432), TACITUS_BIN (build/tacitus),
# LIVY_CONF_DIR (default: TACITUS_VAR/conf, made from app/conf on first start),
# TACITUS_TLS_CERT / TACITUS_TLS_KEY (default: a self-signed pair made on first start),
# TACITUS_CALLBACK_CAFILE (what session drivers trust for nginx; default: the certificate),
# TACITUS_AUTH (basic, cert or request: nginx/auth-*.conf) and TACITUS_AUTH_URL,
# TACITUS_PG_FAST=1 (no fsync: throwaway test clusters only), TACITUS_NO_MONITOR=1
# (API-only instances: nothing is launched from this host), TACITUS_JOB_USERS (64),
# TACITUS_LOG_MAX_BYTES / TACITUS_LOG_KEEP (each log rotated at 64 MiB, 4 kept),
# TACITUS_PG_LISTEN (a TCP address for reporting tools: only tacitus_report may log in
# over it; default none).
#
# Started as root, the stack runs nothing as root but nginx's master: it creates the
# OS users tacitus (the server), tacitus-web (nginx's workers) and tacitus-job-1 ..
# tacitus-job-N (jobs: each running job has one to itself), and starts the server as
# tacitus with only CAP_SETUID, CAP_SETGID, CAP_KILL and CAP_CHOWN, which one small
# process of each instance keeps, the others giving them up (include/keeper.h says why).  The database role tacitus is not a superuser and logs in with a
# password kept in TACITUS_VAR/secrets/pgpass (tacitus's, 0600); only the OS users
# postgres and tacitus reach PostgreSQL's socket, only tacitus and tacitus-web the
# FastCGI sockets.  Started as another user, everything runs as that user.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VAR=${TACITUS_VAR:-$ROOT/var}
PORT=${TACITUS_PORT:-8998}
INSTANCES=${TACITUS_INSTANCES:-2}
WORKERS=${TACITUS_WORKERS:-3}
PGPORT=${TACITUS_PGPORT:-55432}
BIN=${TACITUS_BIN:-$ROOT/build/tacitus}
AUTH=${TACITUS_AUTH:-basic}
PGBIN=/usr/lib/postgresql/15/bin
VENV=$ROOT/.venv
JOB_USERS=${TACITUS_JOB_USERS:-64}
LOG_MAX=${TACITUS_LOG_MAX_BYTES:-67108864}    # each log file rotates at this size,
LOG_KEEP=${TACITUS_LOG_KEEP:-4}               # keeping this many old ones
JOB_LOCKS=/run/tacitus/job-users     # shared by every stack of the host: the accounts are
# chromium: the browser the web UI's tests drive (tests/integration/test_ui.py)
DEBS="nginx libnginx-mod-nchan postgresql-15 libfcgi-dev libjson-c-dev libcurl4-openssl-dev libxml2-dev zlib1g-dev libpq-dev libssl-dev openssl valgrind python3-venv curl iproute2 clang wrk chromium"

say() { printf 'tacitus: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_pg() {
	if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

is_root() { [ "$(id -u)" = 0 ]; }
sep() { [ "${SEP:-0}" = 1 ]; }     # the stack runs as its own users (decide_separation)

make_user() {
	id -u "$1" >/dev/null 2>&1 ||
		useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
			--user-group "$1" || die "cannot create the OS user $1"
}

# SEP=1 when the stack runs as its own users (started as root, and those users can
# reach the checkout and TACITUS_VAR); else everything runs as the caller.
decide_separation() {
	SEP=0
	is_root || return 0
	make_user tacitus
	make_user tacitus-web
	i=1
	while [ "$i" -le "$JOB_USERS" ]; do make_user "tacitus-job-$i"; i=$((i + 1)); done
	if runuser -u tacitus -- test -x "$BIN" -a -x "$BIN-shim" -a -r "$ROOT/sql" -a -x "$VAR" &&
	   runuser -u tacitus-web -- test -r "$ROOT/nginx/fastcgi_params" -a -x "$VAR" &&
	   runuser -u tacitus-job-1 -- test -x /usr/bin/python3 -a -r "$ROOT/app/repl.py" \
		-a -r "$(spark_home)/bin/spark-submit" -a -x "$VAR"; then
		SEP=1
	else
		say "warning: the users tacitus, tacitus-web and tacitus-job-* cannot reach $ROOT" \
		    "or $VAR: everything runs as root (put the checkout where they can, e.g. /srv)"
	fi
}

# The runtime folder's owners and modes: the server writes run/ and jobs/, nginx's
# workers reach run/ (the sockets), jobs pass through jobs/ to their own folder.
own_layout() {
	# start/: what an instance says before its log writer runs (root's: the shell
	# writes it)
	mkdir -p "$VAR/run" "$VAR/log" "$VAR/files" "$VAR/secrets" "$VAR/nginx/tmp" \
		"$VAR/nginx/logs" "$VAR/start"
	if sep; then
		install -d -o tacitus -g tacitus-web -m 2750 "$VAR/run"
		install -d -o tacitus -g tacitus -m 0711 "$VAR/jobs"
		install -d -o tacitus -g tacitus -m 0700 "$VAR/secrets"
		# root's: nginx's master makes its temporary folders in it and gives them to
		# its workers (a folder of theirs could hold links for root to follow)
		install -d -o root -g root -m 0755 "$VAR/nginx/tmp"
		install -d -m 0755 /run/tacitus
		install -d -o tacitus -g tacitus -m 0700 "$JOB_LOCKS"
		# the server's and nginx's log writers run as them (include/logfile.h)
		install -d -o tacitus -g tacitus -m 0750 "$VAR/log"
		install -d -o tacitus-web -g tacitus-web -m 0750 "$VAR/nginx/logs"
		# files only, never through a link (the folders are theirs)
		find "$VAR/log" -type f -name 'app-*.log*' -exec chown -h tacitus: {} +
		find "$VAR/nginx/logs" -type f -name '*.log*' -exec chown -h tacitus-web: {} +
		put_file "$VAR/run/job-users" "tacitus-job- $JOB_USERS"
	else
		chmod 700 "$VAR/run" "$VAR/secrets"
		rm -f "$VAR/run/job-users"
	fi
}

# What runs the server (in a session of its own, backgrounded: $! must be its pid):
# as tacitus with its four capabilities (include/keeper.h) and the job accounts,
# when the stack runs as its own users
server_prefix() {
	AS_SERVER=""
	JOB_OPTS=""
	if sep; then
		caps=-all,+setuid,+setgid,+kill,+chown
		AS_SERVER="setpriv --reuid=tacitus --regid=tacitus --clear-groups --inh-caps=$caps"
		AS_SERVER="$AS_SERVER --ambient-caps=$caps --bounding-set=$caps --"
		JOB_OPTS="--job-users tacitus-job-:$JOB_USERS --job-locks $JOB_LOCKS"
	fi
}

deps() {
	missing=""
	for p in $DEBS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		say "installing Debian packages:$missing"
		is_root || die "run as root to install:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
	fi
	stamp=$(cat "$ROOT/app/requirements.txt" "$ROOT/tests/requirements.txt" \
		"$ROOT/tests/requirements-nodeps.txt" | md5sum | cut -c1-32)
	if [ "$(cat "$VENV/.tacitus-reqs" 2>/dev/null)" != "$stamp" ]; then
		say "installing the pinned Python packages into .venv"
		[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
		"$VENV/bin/pip" install -q --disable-pip-version-check \
			-r "$ROOT/app/requirements.txt" -r "$ROOT/tests/requirements.txt"
		# sparkmagic as its docs say: without its declared dependencies (see the file)
		"$VENV/bin/pip" install -q --disable-pip-version-check --no-deps \
			-r "$ROOT/tests/requirements-nodeps.txt"
		echo "$stamp" > "$VENV/.tacitus-reqs"
	fi
}

spark_home() {
	"$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'
}

# A folder of ours in /tmp, at a name anyone can predict (a hash of VAR): made by mkdir,
# which fails when the name is taken, or, made at an earlier start, accepted only as a
# real folder (no symbolic link) that root or postgres owns (the caller, without root)
# and nobody else may write.  Anything else was planted, for our chown, chmod or
# PostgreSQL's files to land where its author chose: the start stops and names it.
tmp_dir() {
	if [ ! -e "$1" ] && [ ! -L "$1" ]; then
		mkdir -m 700 "$1" || die "cannot create $1"
		return 0
	fi
	[ ! -L "$1" ] || die "$1 is a symbolic link, not a folder this stack made:" \
		"someone else may have planted it; remove it and start again"
	[ -d "$1" ] || die "$1 is not a folder: remove it and start again"
	owner=$(stat -c %U "$1")
	if is_root; then mine="root postgres"; else mine=$(id -un); fi
	case " $mine " in
	*" $owner "*) ;;
	*) die "$1 belongs to $owner, not to $(printf %s "$mine" | sed 's/ / or /'):" \
		"someone else may have made it; remove it and start again" ;;
	esac
	case $(stat -c %A "$1") in
	?????w* | ????????w*) die "$1 may be written by others than its owner $owner:" \
		"remove it and start again" ;;
	esac
}

# PostgreSQL's folder must be reachable by the postgres user; a checkout under a
# private home is not, so the cluster then lives under /tmp (linked from VAR/pg).
pg_dirs() {
	alt=/tmp/tacitus-pg-$(printf %s "$VAR" | md5sum | cut -c1-8)
	if [ -L "$VAR/pg" ] && [ "$(readlink "$VAR/pg")" = "$alt" ]; then
		tmp_dir "$alt"          # again: /tmp may have been emptied since
	elif [ ! -e "$VAR/pg" ]; then
		if is_root && ! runuser -u postgres -- test -x "$VAR"; then
			say "warning: postgres cannot reach $VAR; its cluster lives in $alt"
			tmp_dir "$alt"
			ln -s "$alt" "$VAR/pg"
		else
			mkdir -p "$VAR/pg"
		fi
	fi
	PGDIR=$(cd "$VAR/pg" && pwd -P)
	SOCKDIR=$PGDIR
	# unix socket paths are limited to 107 bytes
	if [ ${#SOCKDIR} -gt 80 ]; then
		SOCKDIR=/tmp/tacitus-sock-$(printf %s "$VAR" | md5sum | cut -c1-8)
		tmp_dir "$SOCKDIR"
	fi
	# PostgreSQL's socket: the server's user reaches it, no job does.  -h: never
	# through a link (tmp_dir checked; this holds if that ever changes)
	for d in "$PGDIR" "$SOCKDIR"; do
		if is_root && id -u tacitus >/dev/null 2>&1; then
			chown -h postgres:tacitus "$d" && chmod 750 "$d"
		elif is_root; then
			chown -h postgres: "$d" && chmod 700 "$d"
		else
			chmod 700 "$d"
		fi
	done
}

pg_start() {
	pg_dirs
	if [ ! -f "$PGDIR/data/PG_VERSION" ]; then
		say "creating the PostgreSQL cluster in $PGDIR/data"
		as_pg "$PGBIN/initdb" -D "$PGDIR/data" -U postgres --auth-local=peer \
			--auth-host=reject -E UTF8 --locale=C.UTF-8 --no-sync \
			>"$PGDIR/initdb.log" 2>&1 || die "initdb failed: see $PGDIR/initdb.log"
	elif ! grep -q 'map=tacitus_admin' "$PGDIR/data/pg_hba.conf" 2>/dev/null; then
		die "$PGDIR/data was made by an earlier Tacitus, whose database role was a" \
		    "superuser without a password: dump what you need, remove $VAR/pg and start again"
	fi
	pg_auth
	if ! as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
		# TCP only when asked (for a BI tool; only tacitus_report may log in over it)
		opts="-c listen_addresses='${TACITUS_PG_LISTEN:-}' -k $SOCKDIR -p $PGPORT"
		opts="$opts -c max_connections=200"
		[ "${TACITUS_PG_FAST:-0}" = 1 ] &&
			opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
		as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -l "$PGDIR/postgresql.log" -w -t 60 \
			start -o "$opts" >/dev/null || die "PostgreSQL did not start: see $PGDIR/postgresql.log"
	else
		as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" reload >/dev/null
	fi
	pg_role
}

# Who may log in, over the Unix socket only: the superuser postgres only as the OS
# user that runs PostgreSQL (for stack.sh itself), the server's role tacitus only
# with its password.  Written at every start.
pg_auth() {
	os_user=postgres
	is_root || os_user=$(id -un)
	printf '%s\n' "# written by app/stack.sh at every start" \
		"local all postgres peer map=tacitus_admin" \
		"local tacitus tacitus scram-sha-256" \
		"local tacitus tacitus_report scram-sha-256" \
		"host tacitus tacitus_report 127.0.0.1/32 scram-sha-256" |
		as_pg tee "$PGDIR/data/pg_hba.conf" >/dev/null
	printf 'tacitus_admin %s postgres\n' "$os_user" |
		as_pg tee "$PGDIR/data/pg_ident.conf" >/dev/null
}

# The roles: tacitus (the server: no superuser, no role or database creation; owner of
# the database tacitus) and tacitus_report (reads the views of schema report and nothing
# else: sql/004_report.sql).  Their passwords (made once) in secrets/pgpass (the
# server's to read alone) and secrets/report.pgpass (root's: hand it to reporting users).
# In the database tacitus only tacitus may take advisory locks (the server's admission,
# migration and instance-name locks are advisory locks) or call pg_notify, and only
# tacitus may make temporary tables; a report session's statements and waits are cut
# short.  Idempotent: run at every start, it also upgrades an older stack.
pg_role() {
	mkdir -p "$VAR/secrets"
	pg_login tacitus "$VAR/secrets/pgpass"
	sep && chown -h tacitus:tacitus "$VAR/secrets/pgpass"
	pg_login tacitus_report "$VAR/secrets/report.pgpass"
	psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'tacitus'" |
		grep -q 1 || psql_admin -d postgres -qc "CREATE DATABASE tacitus OWNER tacitus"
	# the report schema is the server's (made at its first start); grants also reach
	# a database made before the role was
	psql_admin -d tacitus -q <<'SQL'
DO $$ BEGIN
    IF EXISTS (SELECT FROM pg_namespace WHERE nspname = 'report') THEN
        GRANT USAGE ON SCHEMA report TO tacitus_report;
        GRANT SELECT ON ALL TABLES IN SCHEMA report TO tacitus_report;
    END IF;
END $$;
REVOKE TEMPORARY ON DATABASE tacitus FROM PUBLIC;
DO $$ DECLARE f regprocedure; BEGIN
    -- every variant: bigint and (int, int); session, xact; shared, try; unlock, unlock_all
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'pg_catalog'::regnamespace
               AND (p.proname LIKE 'pg\_%advisory\_%' OR p.proname = 'pg_notify') LOOP
        EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO tacitus', f);
    END LOOP;
END $$;
ALTER ROLE tacitus_report SET statement_timeout = '30s';
ALTER ROLE tacitus_report SET lock_timeout = '5s';
ALTER ROLE tacitus_report SET idle_in_transaction_session_timeout = '60s';
SQL
}

# pg_login ROLE PASSFILE: ROLE logs in, with no privilege of its own, with the password
# kept in PASSFILE (made once, 0600)
pg_login() {
	if [ ! -s "$2" ]; then
		umask 077
		printf '*:*:*:%s:%s\n' "$1" "$(openssl rand -hex 24)" > "$2"
		umask 022
	fi
	# the file is its user's to write: what goes into SQL run as postgres is checked
	pw=$(cut -d: -f5 "$2")
	printf %s "$pw" | grep -Eqx '[0-9a-f]{48}' ||
		die "$2 does not hold a password made by this script (48 hex digits)"
	# through stdin: the password never shows in a command line
	printf '%s\n' "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1')" \
		"THEN CREATE ROLE $1; END IF; END \$\$;" \
		"ALTER ROLE $1 LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION" \
		"NOBYPASSRLS PASSWORD '$pw';" | psql_admin -d postgres -q
}

psql_admin() { as_pg psql -h "$SOCKDIR" -p "$PGPORT" -U postgres -X -v ON_ERROR_STOP=1 "$@"; }

credentials() {
	umask 077
	if [ -n "${TACITUS_USER:-}" ] && [ -n "${TACITUS_PASSWORD:-}" ]; then
		printf '%s\n%s\n' "$TACITUS_USER" "$TACITUS_PASSWORD" > "$VAR/credentials"
	elif [ ! -f "$VAR/credentials" ]; then
		printf '%s\n%s\n' "${TACITUS_USER:-tacitus}" \
			"$(openssl rand -base64 24 | tr -d '/+=' | cut -c1-20)" > "$VAR/credentials"
	fi
	USER_NAME=$(sed -n 1p "$VAR/credentials")
	PASSWORD=$(sed -n 2p "$VAR/credentials")
	# nginx's {SSHA}: base64(sha1(password . salt) . salt); cheap to check per request
	salt=$(openssl rand -hex 4)
	hash=$(printf %s%s "$PASSWORD" "$salt" | openssl dgst -sha1 -binary |
		{ cat; printf %s "$salt"; } | base64 -w0)
	printf '%s:{SSHA}%s\n' "$USER_NAME" "$hash" > "$VAR/nginx/htpasswd"
	umask 022
	# nginx's workers read it at each request
	if sep; then
		chown root:tacitus-web "$VAR/nginx/htpasswd"
		chmod 640 "$VAR/nginx/htpasswd"
	fi
}

nginx_start() {
	mkdir -p "$VAR/nginx/conf"      # logs/ and tmp/: own_layout
	CERT=${TACITUS_TLS_CERT:-$VAR/nginx/server.crt}
	KEY=${TACITUS_TLS_KEY:-$VAR/nginx/server.key}
	if [ -z "${TACITUS_TLS_CERT:-}" ] && [ ! -f "$VAR/nginx/server.crt" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=localhost" \
			-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
			-keyout "$VAR/nginx/server.key" -out "$VAR/nginx/server.crt" 2>/dev/null
		chmod 600 "$VAR/nginx/server.key"
	fi
	credentials
	case "$AUTH" in
	basic) ;;
	cert) client_cert "$USER_NAME" >/dev/null ;;
	request) [ -n "${TACITUS_AUTH_URL:-}" ] || die "TACITUS_AUTH=request needs TACITUS_AUTH_URL" ;;
	*) die "TACITUS_AUTH must be basic, cert or request, not '$AUTH'" ;;
	esac
	sed -e "s|@VAR@|$VAR|g" -e "s|@AUTH_URL@|${TACITUS_AUTH_URL:-}|g" \
	    "$ROOT/nginx/auth-$AUTH.conf" > "$VAR/nginx/conf/auth.conf"
	upstreams=""
	i=1
	while [ "$i" -le "$INSTANCES" ]; do
		upstreams="$upstreams    server unix:$VAR/run/app-$i.sock max_fails=1 fail_timeout=2s;\\n"
		i=$((i + 1))
	done
	# the waits' places (include/push.h's push_bucket): each second to 60, then every
	# 30 s to 5 min, every 5 min to an hour, every hour to a day (102 places)
	waits=""
	for t in $(seq 1 60) $(seq 90 30 300) $(seq 600 300 3600) $(seq 7200 3600 86400); do
		waits="$waits            location /_wait/$t/ { internal; proxy_pass http://unix:$VAR/run/push.sock; proxy_read_timeout ${t}s; }\\n"
	done
	# file descriptors: as many as the system lets nginx have, up to 65536 (three a
	# waiting client); root raises its own limit first
	is_root && ulimit -n 65536 2>/dev/null || true
	nofile=$(ulimit -Hn)
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
	nginx_user=""
	if sep; then
		nginx_user="user tacitus-web tacitus-web;"
	elif is_root; then
		nginx_user="user root root;"
	fi
	sed -e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" \
	    -e "s|@VAR@|$VAR|g" -e "s|@ROOT@|$ROOT|g" -e "s|@PORT@|$PORT|g" \
	    -e "s|@USER@|$nginx_user|g" -e "s|@UPSTREAMS@|$upstreams|" -e "s|@WAITS@|$waits|" \
	    -e "s|@NOFILE@|$nofile|g" \
	    "$ROOT/nginx/nginx.conf.in" > "$VAR/nginx/conf/nginx.conf"
	sed -e "s|@VAR@|$VAR|g" -e "s|@USER@|$nginx_user|g" -e "s|@NOFILE@|$nofile|g" \
	    "$ROOT/nginx/push.conf.in" > "$VAR/nginx/conf/push.conf.new"
	cp "$ROOT/nginx/fastcgi_params" "$VAR/nginx/conf/fastcgi_params"
	nginx_logs
	# the front door first: a front of an earlier build listened on push.sock itself,
	# and its reload unlinks that path, the waits' nginx's socket once it is there
	if alive "$VAR/nginx/nginx.pid"; then
		old_workers=$(pgrep -P "$(cat "$VAR/nginx/nginx.pid")" | tr '\n' ' ')
		nginx -p "$VAR/nginx/" -c conf/nginx.conf -e pipes/error -s reload
		reloaded $old_workers
	else
		nginx -p "$VAR/nginx/" -c conf/nginx.conf -e pipes/error ||
			die "nginx did not start: see $VAR/nginx/logs/error.log"
	fi
	push_start
}

# push_start: the waits' nginx (nginx/push.conf.in), started when it is not running,
# reloaded only when its configuration changed: a reload answers every wait it holds
# with a "look again" (the waits' nginx holds no time-out that would keep its old
# workers) and forgets the wake-ups it kept, which the publishers notice
push_start() {
	conf=$VAR/nginx/conf
	if alive "$VAR/nginx/push.pid"; then
		if ! cmp -s "$conf/push.conf.new" "$conf/push.conf"; then
			mv "$conf/push.conf.new" "$conf/push.conf"
			nginx -p "$VAR/nginx/" -c conf/push.conf -e pipes/error -s reload
		fi
	else
		mv "$conf/push.conf.new" "$conf/push.conf"
		rm -f "$VAR/run/push.sock"      # a killed nginx's: it would refuse to bind
		nginx -p "$VAR/nginx/" -c conf/push.conf -e pipes/error ||
			die "the waits' nginx did not start: see $VAR/nginx/logs/error.log"
	fi
	rm -f "$conf/push.conf.new"
}

# reloaded PID...: wait (10 s at most) until nginx's workers of before a reload take no
# more requests (gone, or shutting down: they finish what they hold, a waiting client's
# stream included), so that what comes after the start meets the new configuration
reloaded() {
	n=0
	for w in "$@"; do
		while [ $n -lt 100 ] && ps -o args= -p "$w" 2>/dev/null | grep -qv "shutting down"; do
			sleep 0.1
			n=$((n + 1))
		done
	done
}

# nginx's logs: nginx writes each to a pipe, read by a `tacitus log-writer` that
# appends it to logs/NAME.log and rotates that by size (include/logfile.h)
nginx_logs() {
	as_web=""
	sep && as_web="setpriv --reuid=tacitus-web --regid=tacitus-web --clear-groups \
		--inh-caps=-all --bounding-set=-all --"
	mkdir -p "$VAR/nginx/pipes"
	chmod 700 "$VAR/nginx/pipes"
	for name in error access; do
		pipe=$VAR/nginx/pipes/$name
		# a pipe's writer runs as long as one nginx holds the pipe open: one is
		# started for each pipe that has none (the front door and the waits' nginx
		# share the error pipe; only the front writes the access pipe)
		writer_alive "$pipe" && continue
		[ -p "$pipe" ] || { rm -f "$pipe"; mkfifo -m 0600 "$pipe"; }
		# the shell opens the pipe (as root), then the writer drops to tacitus-web
		setsid $as_web "$BIN" log-writer "$VAR/nginx/logs/$name.log" "$LOG_MAX" "$LOG_KEEP" \
			<"$pipe" >/dev/null 2>&1 &
		echo $! > "$pipe.writer"
	done
}

# writer_alive PIPE: the log writer started for PIPE runs
writer_alive() {
	alive "$1.writer" &&
		tr '\0' ' ' < "/proc/$(cat "$1.writer")/cmdline" 2>/dev/null | grep -q "log-writer"
}

# alive PIDFILE: the process runs (a killed one waiting to be reaped does not count)
# client_cert NAME: a client certificate for NAME (its CN), signed by the stack's
# client CA (made on first use); prints the paths of the certificate and key.
client_cert() {
	d=$VAR/nginx/clients
	mkdir -p "$d"
	chmod 700 "$d"
	if [ ! -f "$VAR/nginx/client-ca.crt" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Tacitus client CA" \
			-keyout "$VAR/nginx/client-ca.key" -out "$VAR/nginx/client-ca.crt" 2>/dev/null
		chmod 600 "$VAR/nginx/client-ca.key"
	fi
	if [ ! -f "$d/$1.crt" ]; then
		openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" -keyout "$d/$1.key" \
			-out "$d/$1.csr" 2>/dev/null
		openssl x509 -req -in "$d/$1.csr" -CA "$VAR/nginx/client-ca.crt" \
			-CAkey "$VAR/nginx/client-ca.key" -CAcreateserial -days 825 \
			-out "$d/$1.crt" 2>/dev/null
		rm -f "$d/$1.csr"
	fi
	echo "$d/$1.crt $d/$1.key"
}

# put_file PATH TEXT: root writes TEXT to PATH in a folder the server's user owns: what
# is there (a symlink it planted, say) goes, and the new file is made exclusively, so
# that a link planted meanwhile fails the write instead of being followed
put_file() {
	rm -f "$1"
	(set -C; printf '%s\n' "$2" > "$1") 2>/dev/null || die "cannot write $1 (planted again?)"
}

alive() {
	[ -f "$1" ] || return 1
	state=$(sed 's/.*) \(.\).*/\1/' "/proc/$(cat "$1")/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

app_start() {
	if [ -z "${LIVY_CONF_DIR:-}" ]; then
		LIVY_CONF_DIR=$VAR/conf
		if [ ! -f "$VAR/conf/livy.conf" ]; then
			mkdir -p "$VAR/conf"
			# the operator (credentials, made later: the same default) is a superuser
			sed -e "s|@VAR@|$VAR|g" -e "s|@ROOT@|$ROOT|g" \
				-e "s|@OPERATOR@|${TACITUS_USER:-tacitus}|g" \
				"$ROOT/app/conf/livy.conf" > "$VAR/conf/livy.conf"
			cp "$ROOT/app/conf/spark-blacklist.conf" "$VAR/conf/"
		fi
	fi
	SPARK_HOME=${SPARK_HOME:-$(spark_home)}
	# the jobs' python: the venv's, or Debian's when jobs run as their own accounts
	# (the venv's may be a python under a private home, e.g. pyenv's in /root);
	# spark-submit puts pyspark on its path either way
	job_python=$VENV/bin/python
	sep && job_python=/usr/bin/python3
	export LIVY_CONF_DIR SPARK_HOME PYSPARK_PYTHON="$job_python" \
		PYSPARK_DRIVER_PYTHON="$job_python" PGHOST="$SOCKDIR" PGPORT="$PGPORT" \
		PGDATABASE=tacitus PGUSER=tacitus PGPASSFILE="$VAR/secrets/pgpass"
	"$BIN" check-config || die "invalid configuration in $LIVY_CONF_DIR"
	NO_MONITOR=""
	[ "${TACITUS_NO_MONITOR:-0}" = 1 ] && NO_MONITOR=--no-monitor
	server_prefix
	i=1
	while [ "$i" -le "$INSTANCES" ]; do
		if ! alive "$VAR/run/app-$i.pid"; then
			rm -f "$VAR/run/app-$i.sock"    # a dead instance's; the wait below is for the new one
			setsid $AS_SERVER "$BIN" serve --instance "app-$i" --socket "$VAR/run/app-$i.sock" \
				--var "$VAR" --sql "$ROOT/sql" --workers "$WORKERS" $NO_MONITOR $JOB_OPTS \
				--driver-script "$ROOT/app/repl.py" \
				--callback "https://127.0.0.1:$PORT/driver" --push-socket "$VAR/run/push.sock" \
				--callback-cafile "${TACITUS_CALLBACK_CAFILE:-${TACITUS_TLS_CERT:-$VAR/nginx/server.crt}}" \
				--log "$VAR/log/app-$i.log" --log-max-bytes "$LOG_MAX" --log-keep "$LOG_KEEP" \
				</dev/null >>"$VAR/start/app-$i.log" 2>&1 &
			put_file "$VAR/run/app-$i.pid" "$!"
		fi
		i=$((i + 1))
	done
	i=1
	while [ "$i" -le "$INSTANCES" ]; do
		n=0
		until [ -S "$VAR/run/app-$i.sock" ]; do
			n=$((n + 1))
			[ $n -lt 300 ] && alive "$VAR/run/app-$i.pid" ||
				die "instance app-$i did not start: see $VAR/log/app-$i.log" \
				    "(and $VAR/start/app-$i.log)"
			sleep 0.1
		done
		i=$((i + 1))
	done
}

wait_https() {
	n=0
	# any HTTP answer will do (401 included): nginx and an instance are up
	until [ "$(curl -s -k -o /dev/null -w '%{http_code}' "https://127.0.0.1:$PORT/version")" -gt 0 ]; do
		n=$((n + 1))
		[ $n -lt 100 ] || die "https://127.0.0.1:$PORT/version does not answer"
		sleep 0.1
	done
}

start() {
	[ -x "$BIN" ] || die "$BIN is not built (make all)"
	# the jobs' shim: the binary's path with -shim after it (include/launcher.h)
	[ -x "$BIN-shim" ] || die "$BIN-shim is not built (make all)"
	mkdir -p "$VAR"
	decide_separation
	own_layout
	pg_start
	app_start
	nginx_start
	wait_https
	cat <<MSG
Tacitus serves the Livy API at https://127.0.0.1:$PORT ($AUTH authentication)
  user:      $USER_NAME
  password:  the second line of $VAR/credentials
  CA file:   $CERT
  livy.conf: $LIVY_CONF_DIR/livy.conf (whitelisted local folders: $VAR/files, $ROOT/tests/jobs)
  logs:      $VAR/log/  (nginx: $VAR/nginx/logs/), rotated at $LOG_MAX bytes
Try:
  U="$USER_NAME:\$(sed -n 2p $VAR/credentials)"
  curl --cacert $VAR/nginx/server.crt -u "\$U" \\
       -H 'Content-Type: application/json' \\
       -d '{"file": "$ROOT/tests/jobs/ok.py"}' https://127.0.0.1:$PORT/batches
  curl --cacert $VAR/nginx/server.crt -u "\$U" \\
       -H 'Content-Type: application/json' \\
       -d '{"kind": "pyspark"}' https://127.0.0.1:$PORT/sessions
MSG
}

stop_pid() {    # stop_pid FILE SIGNAL: signal, then wait up to 15 s
	[ -f "$1" ] || return 0
	pid=$(cat "$1")
	if kill -"$2" "$pid" 2>/dev/null; then
		n=0
		while kill -0 "$pid" 2>/dev/null && [ $n -lt 150 ]; do sleep 0.1; n=$((n + 1)); done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$1"
}

stop() {
	# the waits' nginx first: it answers its waits (410), which the front door then
	# hands to the instances, still up, and so has none left to hold it
	stop_pid "$VAR/nginx/push.pid" QUIT
	stop_pid "$VAR/nginx/nginx.pid" QUIT
	for f in "$VAR"/run/app-*.pid; do
		[ -e "$f" ] && stop_pid "$f" TERM
	done
	if [ -e "$VAR/pg" ]; then
		pg_dirs
		if as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" status >/dev/null 2>&1; then
			pg_stop
		fi
	fi
	say "stopped (running Spark jobs keep running; they are taken over at the next start)"
}

# kill_jobs: kill every job and session driver of this stack (their process groups), for
# a stack that will not be started again (tests, benchmarks): `stop` leaves them running
kill_jobs() {
	for shim in $(pgrep -f -- "-shim $VAR/jobs/" || true); do
		kill -KILL "-$shim" 2>/dev/null || true
	done
}

print_env() {
	pg_dirs
	USER_NAME=$(sed -n 1p "$VAR/credentials")
	PASSWORD=$(sed -n 2p "$VAR/credentials")
	cat <<ENV
TACITUS_URL=https://127.0.0.1:$PORT
TACITUS_USER=$USER_NAME
TACITUS_PASSWORD=$PASSWORD
TACITUS_CA=$VAR/nginx/server.crt
TACITUS_VAR=$VAR
TACITUS_PSQL=psql -X postgresql:///tacitus?host=$SOCKDIR&port=$PGPORT&user=tacitus&passfile=$VAR/secrets/pgpass
TACITUS_REPORT_PSQL=psql -X postgresql:///tacitus?host=$SOCKDIR&port=$PGPORT&user=tacitus_report&passfile=$VAR/secrets/report.pgpass
ENV
}

pg_stop() {
	pg_dirs
	as_pg "$PGBIN/pg_ctl" -D "$PGDIR/data" -m fast -w stop >/dev/null
}

case "${1:-}" in
deps) deps ;;
pg-stop) pg_stop ;;
client-cert) [ -n "${2:-}" ] || die "usage: sh app/stack.sh client-cert NAME"; client_cert "$2" ;;
pg-start) pg_start ;;
start) start ;;
stop) stop ;;
env) print_env ;;
kill-jobs) kill_jobs ;;
*) die "usage: sh app/stack.sh deps|start|stop|kill-jobs|env|pg-stop|pg-start|client-cert NAME" ;;
esac
