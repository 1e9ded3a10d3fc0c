/* store_conn.c - the store's connection: open, reconnect, LISTEN, prepared statements,
 * transactions, and the helpers every store file shares (store_int.h). */
#include "store_int.h"
#include "livy.h"
#include "log.h"
#include "metrics.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONNECT_TIMEOUT "5"         /* seconds, libpq's connect_timeout */
#define ADMISSION_LOCK "7420002"    /* advisory lock key (the migrations use 7420001) */
/* How long a statement waits for a lock before it fails (SQLSTATE 55P03): a request
 * answers 503 then, instead of stalling behind whoever holds it */
#define LOCK_TIMEOUT "-c lock_timeout=5000"     /* milliseconds */
#define PREPARED_NAME_MAX 16
/* A registered monitor whose lock is free is forgotten this long after its registration */
#define MONITOR_PRUNE "1 hour"

/* Server notices ("already exists, skipping") are not events worth a line. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

struct store *store_open(const char *app_name)
{
	const char *keys[] = {"application_name", "connect_timeout", "options", NULL};
	const char *vals[] = {app_name, CONNECT_TIMEOUT, LOCK_TIMEOUT, NULL};
	struct store *s = calloc(1, sizeof *s);

	if (!s)
		return NULL;
	s->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		log_error("database: cannot connect: %s", PQerrorMessage(s->conn));
		store_close(s);
		return NULL;
	}
	PQsetNoticeProcessor(s->conn, quiet_notice, NULL);
	s->session = 1;
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	PQfinish(s->conn);
	free(s);
}

/* s->owner's lock on this session: STORE_OK, STORE_DUPLICATE, STORE_ERROR (logged). */
static enum store_rc try_owner_lock(struct store *s)
{
	const char *p[1] = {s->owner};
	PGresult *r;
	bool held;

	r = PQexecParams(s->conn, "SELECT pg_try_advisory_lock(" STORE_OWNER_KEY("$1") ")", 1, NULL,
			 p, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_error("database: the lock of monitor %s could not be taken: %s", s->owner,
			  PQerrorMessage(s->conn));
		PQclear(r);
		return STORE_ERROR;
	}
	held = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	return held ? STORE_OK : STORE_DUPLICATE;
}

/* Register s->owner's monitor (table monitor, sql/017_monitors.sql), and remove the rows
 * of monitors whose lock is free and that registered MONITOR_PRUNE ago or more: such a
 * monitor is dead, or between two sessions and registers again before it claims.  The
 * same row whatever runs it twice.  STORE_OK or STORE_ERROR (logged). */
static enum store_rc register_owner(struct store *s)
{
	const char *p[3] = {s->owner, s->host, s->boot_id};
	PGresult *r = PQexecParams(s->conn,
		"WITH pruned AS (DELETE FROM monitor WHERE owner <> $1 AND registered_at < now() - "
		"interval '" MONITOR_PRUNE "' AND pg_try_advisory_xact_lock_shared("
		STORE_OWNER_KEY("owner") ")) "
		"INSERT INTO monitor (owner, host, boot_id) VALUES ($1, $2, $3) ON CONFLICT (owner) "
		"DO UPDATE SET host = excluded.host, boot_id = excluded.boot_id, registered_at = now()",
		3, NULL, p, NULL, NULL, 0);
	enum store_rc rc = PQresultStatus(r) == PGRES_COMMAND_OK ? STORE_OK : STORE_ERROR;

	if (rc != STORE_OK)
		log_error("database: monitor %s could not be registered: %s", s->owner,
			  PQerrorMessage(s->conn));
	PQclear(r);
	return rc;
}

enum store_rc store_take_owner_lock(struct store *s)
{
	enum store_rc rc;

	if (!s->owner[0] || s->owner_session == s->session)
		return STORE_OK;
	rc = try_owner_lock(s);
	if (rc == STORE_OK)
		rc = register_owner(s);
	if (rc == STORE_OK)
		s->owner_session = s->session;
	return rc;
}

/* What a new server session needs: the monitor's lock taken again first (a monitor
 * that lost it may be judged gone meanwhile: store_hold_owner), then LISTEN again
 * when this process listens.  A lock another session holds for a moment (a peer's
 * look) is taken at the monitor's next store_hold_owner. */
static enum store_rc setup_session(struct store *s)
{
	PGresult *r;

	(void)store_take_owner_lock(s);     /* a failure is logged; tried again later */
	if (!s->listen)
		return STORE_OK;
	r = PQexec(s->conn, s->listen);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_error("database: LISTEN failed: %s", PQerrorMessage(s->conn));
		PQclear(r);
		return STORE_ERROR;
	}
	PQclear(r);
	return STORE_OK;
}

enum store_rc store_ensure(struct store *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return STORE_OK;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		log_error("database: reconnect failed: %s", PQerrorMessage(s->conn));
		return STORE_ERROR;
	}
	log_info("database: reconnected");
	s->n_prepared = 0;          /* a new session: nothing is prepared, no lock is held */
	s->session++;
	return setup_session(s);
}

enum store_rc store_listen(struct store *s, enum store_channel ch)
{
	/* the webhook events' and the waits' channels are named in sql/011_webhook.sql's
	 * and sql/013_push.sql's triggers */
	s->listen = ch == STORE_HOOKS ? "LISTEN tacitus_hook"
		    : ch == STORE_PUSH ? "LISTEN tacitus_push" : "LISTEN " STORE_CHANNEL;
	return setup_session(s);
}

unsigned long store_session(struct store *s)
{
	return s->session;
}

int store_socket(struct store *s)
{
	return PQsocket(s->conn);
}

enum store_rc store_drain_notifies(struct store *s)
{
	PGnotify *n;

	if (!PQconsumeInput(s->conn)) {
		log_error("database: %s", PQerrorMessage(s->conn));
		return STORE_ERROR;
	}
	while ((n = PQnotifies(s->conn)))
		PQfreemem(n);
	return STORE_OK;
}

int store_next_notify(struct store *s, char *buf, size_t len)
{
	PGnotify *n;

	if (!PQconsumeInput(s->conn)) {
		log_error("database: %s", PQerrorMessage(s->conn));
		return -1;
	}
	if (!(n = PQnotifies(s->conn)))
		return 0;
	snprintf(buf, len, "%s", n->extra);
	PQfreemem(n);
	return 1;
}

/* The name of sql as a prepared statement of this session (prepared on first
 * use: planning costs as much as running the hot queries); NULL on failure.  The
 * cache is keyed by the address of sql (see store_run). */
static const char *prepared(struct store *s, const char *what, const char *sql, int n,
			    char *name, size_t len)
{
	PGresult *r;
	int i;

	for (i = 0; i < s->n_prepared && s->prepared[i] != sql; i++)
		;
	snprintf(name, len, "t%d", i);
	if (i < s->n_prepared)
		return name;
	if (i == STORE_MAX_PREPARED) {
		log_error("database: more than %d statements to prepare (%s)", STORE_MAX_PREPARED,
			  what);
		return NULL;
	}
	r = PQprepare(s->conn, name, sql, n, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	s->prepared[s->n_prepared++] = sql;
	return name;
}

static bool ok(PGresult *r)
{
	return PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK;
}

static PGresult *exec_once(struct store *s, const char *what, const char *sql, int n,
			   const char *const *params, bool prepare)
{
	char name[PREPARED_NAME_MAX];

	if (n == 0)
		return PQexec(s->conn, sql);
	if (!prepare)
		return PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
	if (!prepared(s, what, sql, n, name, sizeof name))
		return NULL;
	return PQexecPrepared(s->conn, name, n, params, NULL, NULL, 0);
}

/* Keep what store_refused and store_last_error say about a failure. */
static void remember_error(struct store *s, const PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *text = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	snprintf(s->err_state, sizeof s->err_state, "%s", state ? state : "");
	snprintf(s->err_text, sizeof s->err_text, "%s", text ? text : PQerrorMessage(s->conn));
	s->err_text[strcspn(s->err_text, "\n")] = '\0';
}

/* A failure of `what`: logged, counted, remembered for store_refused. */
static void failed(struct store *s, const char *what, const PGresult *r)
{
	log_error("database: %s failed: %s", what, PQerrorMessage(s->conn));
	metrics_count(METRICS_DB_ERRORS, 1);
	remember_error(s, r);
}

bool store_refused(struct store *s)
{
	/* SQLSTATE classes of trouble that passes: 08 connection, 40 serialization or
	 * deadlock, 53 resources, 57 cancel or shutdown, 58 system; and 55P03 lock timeout */
	static const char *const passing[] = {"08", "40", "53", "57", "58"};

	if (PQstatus(s->conn) != CONNECTION_OK || strlen(s->err_state) != 5 ||
	    !strcmp(s->err_state, "55P03"))
		return false;
	for (size_t i = 0; i < sizeof passing / sizeof passing[0]; i++)
		if (!strncmp(s->err_state, passing[i], 2))
			return false;
	return true;
}

const char *store_last_error(struct store *s)
{
	return s->err_text;
}

static PGresult *run(struct store *s, const char *what, const char *sql, int n,
		     const char *const *params, bool prepare)
{
	PGresult *r = exec_once(s, what, sql, n, params, prepare);

	if (!ok(r) && PQstatus(s->conn) == CONNECTION_BAD && !s->in_tx) {
		PQclear(r);
		r = store_ensure(s) == STORE_OK ? exec_once(s, what, sql, n, params, prepare)
						: NULL;
	}
	if (ok(r))
		return r;
	failed(s, what, r);
	PQclear(r);
	if (PQstatus(s->conn) == CONNECTION_BAD)
		s->in_tx = false;   /* the server dropped it with the session */
	return NULL;
}

PGresult *store_run(struct store *s, const char *what, const char *sql, int n,
		    const char *const *params)
{
	return run(s, what, sql, n, params, true);
}

PGresult *store_run_planned(struct store *s, const char *what, const char *sql, int n,
			    const char *const *params)
{
	return run(s, what, sql, n, params, false);
}

enum store_rc store_run_one(struct store *s, const char *what, const char *sql, int n,
			    const char *const *params)
{
	PGresult *r = store_run(s, what, sql, n, params);
	int rows;

	if (!r)
		return STORE_ERROR;
	rows = atoi(PQcmdTuples(r));
	PQclear(r);
	return rows == 1 ? STORE_OK : STORE_NOTFOUND;
}

int store_run_cmd(struct store *s, const char *what, const char *sql)
{
	PGresult *r = store_run(s, what, sql, 0, NULL);

	PQclear(r);
	return r ? 0 : -1;
}

int store_copy_in(struct store *s, const char *what, const char *sql, const char *data,
		  size_t len)
{
	PGresult *r = PQexec(s->conn, sql);
	bool done;

	if (PQresultStatus(r) != PGRES_COPY_IN) {
		failed(s, what, r);
		PQclear(r);
		return -1;
	}
	PQclear(r);
	done = len <= INT_MAX && PQputCopyData(s->conn, data, (int)len) == 1;
	/* ended either way: with an error message the server fails the COPY */
	if (PQputCopyEnd(s->conn, done ? NULL : "the data could not be sent") != 1)
		done = false;
	r = PQgetResult(s->conn);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		failed(s, what, r);
		done = false;
	}
	PQclear(r);
	while ((r = PQgetResult(s->conn)))
		PQclear(r);
	return done ? 0 : -1;
}

int store_begin(struct store *s)
{
	if (store_run_cmd(s, "BEGIN", "BEGIN") < 0)
		return -1;
	s->in_tx = true;
	return 0;
}

int store_commit(struct store *s)
{
	int rc = store_run_cmd(s, "COMMIT", "COMMIT");

	s->in_tx = false;
	return rc;
}

void store_rollback(struct store *s)
{
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	s->in_tx = false;
}

int store_admission_lock(struct store *s)
{
	return store_run_cmd(s, "admission lock", "SELECT pg_advisory_xact_lock(" ADMISSION_LOCK ")");
}

void store_admission_params(const struct cfg *c, const char *owner, struct store_admission *a)
{
	snprintf(a->maxc, sizeof a->maxc, "%ld", c->max_creation);
	snprintf(a->maxu, sizeof a->maxu, "%ld", c->max_per_user);
	a->owner = c->max_per_user > 0 ? owner : NULL;
}

enum store_rc store_admission_read(PGresult *r, int col, long *live)
{
	*live = atol(PQgetvalue(r, 0, col));
	return !strcmp(PQgetvalue(r, 0, col + 1), "t") ? STORE_USER_LIMIT : STORE_OK;
}

enum store_rc store_admission(struct store *s, const struct cfg *c, const char *owner,
			      long *live)
{
	struct store_admission a;
	const char *p[3];
	enum store_rc rc;
	PGresult *r;

	store_admission_params(c, owner, &a);
	p[0] = a.maxc;
	p[1] = a.owner;
	p[2] = a.maxu;
	if (store_admission_lock(s) < 0)
		return STORE_ERROR;
	r = store_run(s, "admission count", "SELECT " STORE_ADMISSION_COLUMNS("$1", "$2", "$3"), 3, p);
	if (!r)
		return STORE_ERROR;
	rc = store_admission_read(r, 0, live);
	PQclear(r);
	return rc;
}

const char *store_col(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

const char **store_col_array(PGresult *r, int c)
{
	int n = PQntuples(r);
	const char **v = calloc((size_t)n + 1, sizeof *v);

	for (int i = 0; v && i < n; i++)
		v[i] = PQgetvalue(r, i, c);     /* "" for NULL, as libpq gives it */
	return v;
}

void store_copy_col(PGresult *r, int c, char *buf, size_t len)
{
	snprintf(buf, len, "%s", PQntuples(r) && !PQgetisnull(r, 0, c) ? PQgetvalue(r, 0, c) : "");
}

bool store_is_id(const char *key)
{
	if (!*key)
		return false;
	for (; *key; key++)
		if (!isdigit((unsigned char)*key))
			return false;
	return true;
}

void store_retain(const struct cfg *c, char buf[STORE_NUM_MAX])
{
	snprintf(buf, STORE_NUM_MAX, "%ld", c->state_retain_sec);
}

PGresult *store_by_key(struct store *s, const char *what, const char *key, const struct cfg *c,
		       const char *sql_id, const char *sql_name)
{
	char retain[STORE_NUM_MAX];
	const char *p[2] = {key, retain};

	store_retain(c, retain);
	return store_run(s, what, store_is_id(key) ? sql_id : sql_name, 2, p);
}

/* Livy's list window as the offset and limit of a page, as text. */
static void page_window(long from, long size, char off[STORE_NUM_MAX], char lim[STORE_NUM_MAX])
{
	long first, count;

	livy_list_window(LONG_MAX, from, size, &first, &count);
	snprintf(off, STORE_NUM_MAX, "%ld", first);
	snprintf(lim, STORE_NUM_MAX, "%ld", count);
}

const char *store_fixed_sql(char *buf, size_t len, const char *what, int n)
{
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		log_error("database: the %s's statement is longer than %zu bytes", what, len);
		return NULL;
	}
	return buf;
}

PGresult *store_page_fixed(struct store *s, const char *what, const char *sql, long from,
			   long size)
{
	char off[STORE_NUM_MAX], lim[STORE_NUM_MAX];
	const char *p[2] = {off, lim};

	page_window(from, size, off, lim);
	return store_run(s, what, sql, 2, p);
}
