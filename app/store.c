/* store.c - every SQL statement of Tacitus, over one libpq connection per process. */
#include "store.h"
#include "livy.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

/* advisory lock keys */
#define MIGRATION_LOCK "7420001"
#define ADMISSION_LOCK "7420002"

#define MAX_PREPARED 128

struct store {
	PGconn *conn;
	bool listening;
	bool in_tx;                 /* between begin() and commit()/rollback() */
	int n_prepared;             /* statements prepared on this session, by text */
	const char *prepared[MAX_PREPARED];
};

/* The visible-batch filter; $R is the retain time in seconds. */
#define VISIBLE(R) "b.deleted_at IS NULL AND (b.finished_at IS NULL OR " \
	"b.finished_at > now() - " R "::int * interval '1 second')"

#define BATCH_HEAD "b.id, b.name, b.owner, b.proxy_user, b.state, b.app_id, " \
	"b.spark_ui_url, b.driver_log_url, b.log_lines, "
#define BATCH_COLUMNS BATCH_HEAD "b.log_tail"
#define BATCH_COLUMNS_NO_LOG BATCH_HEAD "''"

/* Server notices ("already exists, skipping") are not events worth a line. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

struct store *store_open(const char *app_name)
{
	const char *keys[] = {"application_name", "connect_timeout", NULL};
	const char *vals[] = {app_name, "5", NULL};
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
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	PQfinish(s->conn);
	free(s);
}

static int setup_session(struct store *s)
{
	PGresult *r;

	if (!s->listening)
		return 0;
	r = PQexec(s->conn, "LISTEN tacitus_batch");
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_error("database: LISTEN failed: %s", PQerrorMessage(s->conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

int store_ensure(struct store *s)
{
	if (PQstatus(s->conn) == CONNECTION_OK)
		return 0;
	PQreset(s->conn);
	if (PQstatus(s->conn) != CONNECTION_OK) {
		log_error("database: reconnect failed: %s", PQerrorMessage(s->conn));
		return -1;
	}
	log_info("database: reconnected");
	s->n_prepared = 0;          /* a new session: nothing is prepared */
	return setup_session(s);
}

/* The name of sql as a prepared statement of this session (prepared on first
 * use: planning costs as much as running the hot queries); NULL on failure. */
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
	if (i == MAX_PREPARED) {
		log_error("database: more than %d statements to prepare (%s)", MAX_PREPARED, what);
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
			   const char *const *params)
{
	char name[16];

	if (n == 0)
		return PQexec(s->conn, sql);
	if (!prepared(s, what, sql, n, name, sizeof name))
		return NULL;
	return PQexecPrepared(s->conn, name, n, params, NULL, NULL, 0);
}

/* Run one statement; on failure log it with `what` and return NULL.  When the
 * connection broke outside a transaction, reconnect and try once more: every
 * such statement is a read or a write guarded by owner and state, so a second
 * run changes nothing the first one did. */
static PGresult *run(struct store *s, const char *what, const char *sql, int n,
		     const char *const *params)
{
	PGresult *r = exec_once(s, what, sql, n, params);

	if (!ok(r) && PQstatus(s->conn) == CONNECTION_BAD && !s->in_tx) {
		PQclear(r);
		r = store_ensure(s) == 0 ? exec_once(s, what, sql, n, params) : NULL;
	}
	if (ok(r))
		return r;
	log_error("database: %s failed: %s", what, PQerrorMessage(s->conn));
	PQclear(r);
	if (PQstatus(s->conn) == CONNECTION_BAD)
		s->in_tx = false;   /* the server dropped it with the session */
	return NULL;
}

static int run_cmd(struct store *s, const char *what, const char *sql)
{
	PGresult *r = run(s, what, sql, 0, NULL);

	PQclear(r);
	return r ? 0 : -1;
}

static int begin(struct store *s)
{
	if (run_cmd(s, "BEGIN", "BEGIN") < 0)
		return -1;
	s->in_tx = true;
	return 0;
}

static int commit(struct store *s)
{
	int rc = run_cmd(s, "COMMIT", "COMMIT");

	s->in_tx = false;
	return rc;
}

static void rollback(struct store *s)
{
	if (PQtransactionStatus(s->conn) != PQTRANS_IDLE)
		PQclear(PQexec(s->conn, "ROLLBACK"));
	s->in_tx = false;
}

static const char *col(PGresult *r, int row, int c)
{
	return PQgetisnull(r, row, c) ? NULL : PQgetvalue(r, row, c);
}

/* ---- migrations ---- */

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = '\0';
	fclose(f);
	return buf;
}

static int apply_one(struct store *s, const char *dir, const char *file)
{
	char path[4200];
	const char *p[2];
	PGresult *r;
	char *text;
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	text = slurp(path);
	if (!text) {
		log_error("migration %s: %s", path, strerror(errno));
		return -1;
	}
	p[0] = file;
	p[1] = text;
	r = run(s, "migration check",
		"SELECT checksum = md5($2) FROM schema_migrations WHERE version = $1", 2, p);
	if (!r)
		goto out;
	if (PQntuples(r) == 1) {
		if (strcmp(PQgetvalue(r, 0, 0), "t"))
			log_error("migration %s: the file changed after it was applied", path);
		else
			rc = 0;
		PQclear(r);
		goto out;
	}
	PQclear(r);
	r = PQexec(s->conn, text);      /* trusted file, several statements */
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		log_error("migration %s failed: %s", path, PQerrorMessage(s->conn));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	r = run(s, "migration record",
		"INSERT INTO schema_migrations (version, checksum) VALUES ($1, md5($2))", 2, p);
	if (r) {
		log_info("migration %s applied", file);
		PQclear(r);
		rc = 0;
	}
out:
	free(text);
	return rc;
}

int store_migrate(struct store *s, const char *dir)
{
	DIR *d = opendir(dir);
	char *names[256];
	int n = 0, rc = -1;
	struct dirent *e;

	if (!d) {
		log_error("migrations: cannot open %s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) && n < 256) {
		size_t len = strlen(e->d_name);
		if (len > 4 && !strcmp(e->d_name + len - 4, ".sql") && isdigit((unsigned char)e->d_name[0]))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	if (begin(s) < 0)
		goto out;
	if (run_cmd(s, "migration lock", "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK ")") < 0 ||
	    run_cmd(s, "migration table",
		    "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
		    "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())") < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (apply_one(s, dir, names[i]) < 0)
			goto out;
	rc = commit(s);
out:
	if (rc < 0)
		rollback(s);
	for (int i = 0; i < n; i++)
		free(names[i]);
	return rc;
}

/* ---- the API side ---- */

static void fill_batches(PGresult *r, struct store_batches *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_batch *b = &out->v[i];
		b->id = atoll(PQgetvalue(r, i, 0));
		b->name = col(r, i, 1);
		b->owner = col(r, i, 2);
		b->proxy_user = col(r, i, 3);
		b->state = col(r, i, 4);
		b->app_id = col(r, i, 5);
		b->spark_ui_url = col(r, i, 6);
		b->driver_log_url = col(r, i, 7);
		b->log_lines = atol(PQgetvalue(r, i, 8));
		b->log_tail = PQgetvalue(r, i, 9);
	}
	if (!out->v)
		out->n = 0;
}

void store_batches_free(struct store_batches *b)
{
	PQclear(b->res);
	free(b->v);
	memset(b, 0, sizeof *b);
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int store_batch_create(struct store *s, const struct store_new_batch *nb,
		       const struct cfg *c, long long *id, char *msg, size_t msglen)
{
	char retain[32], maxc[32];
	const char *p[6];
	PGresult *r = NULL;

	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	snprintf(maxc, sizeof maxc, "%ld", c->max_creation);
	if (begin(s) < 0)
		return STORE_ERROR;
	/* admission: one creation at a time across every instance */
	if (run_cmd(s, "admission lock", "SELECT pg_advisory_xact_lock(" ADMISSION_LOCK ")") < 0)
		goto fail;
	p[0] = nb->name;
	p[1] = retain;
	p[2] = nb->idempotency_key;
	p[3] = nb->owner;
	p[4] = nb->request_json;
	p[5] = maxc;
	r = run(s, "admission check",
		"SELECT (SELECT count(*) FROM (SELECT 1 FROM batch WHERE state IN ('starting', 'running') "
		"LIMIT $6::bigint) live), "
		"(SELECT b.id FROM batch b WHERE b.name = $1 AND " VISIBLE("$2") " LIMIT 1), "
		"k.id, k.request = $5::jsonb FROM (SELECT 1) one LEFT JOIN LATERAL "
		"(SELECT id, request FROM batch WHERE idempotency_key = $3 AND "
		"owner IS NOT DISTINCT FROM $4 AND created_at > now() - interval '24 hours' "
		"ORDER BY id DESC LIMIT 1) k ON true", 6, p);
	if (!r)
		goto fail;
	if (!PQgetisnull(r, 0, 2)) {            /* the key was used: a replay or a conflict */
		*id = atoll(PQgetvalue(r, 0, 2));
		if (!strcmp(PQgetvalue(r, 0, 3), "t")) {
			PQclear(r);
			rollback(s);
			return STORE_REPLAYED;
		}
		snprintf(msg, msglen, "Idempotency-Key '%s' was used for batch %lld with another "
			 "request body", nb->idempotency_key, *id);
		PQclear(r);
		rollback(s);
		return STORE_CONFLICT;
	}
	if (atol(PQgetvalue(r, 0, 0)) >= c->max_creation) {
		snprintf(msg, msglen, "Rejected, too many sessions are being created!");
		goto reject;
	}
	if (!PQgetisnull(r, 0, 1)) {
		snprintf(msg, msglen, "Rejected, Reason: Duplicate session name: Some(%s) for session %s",
			 nb->name, PQgetvalue(r, 0, 1));
		goto reject;
	}
	PQclear(r);
	p[0] = nb->name;
	p[1] = nb->owner;
	p[2] = nb->proxy_user;
	p[3] = nb->request_json;
	p[4] = nb->argv_json;
	p[5] = nb->idempotency_key;
	r = run(s, "batch insert",
		"WITH b AS (INSERT INTO batch (name, owner, proxy_user, request, argv, idempotency_key) "
		"VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6) RETURNING id), "
		"e AS (INSERT INTO batch_event (batch_id, to_state, actor, reason) "
		"SELECT id, 'starting', $2, 'POST /batches' FROM b) "
		"SELECT id, pg_notify('tacitus_batch', id::text) FROM b", 6, p);
	if (!r)
		goto fail;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (commit(s) < 0)
		goto fail;
	return STORE_OK;
reject:
	PQclear(r);
	rollback(s);
	return STORE_REJECT;
fail:
	rollback(s);
	return STORE_ERROR;
}

/* The row of `key`: by id when it is all digits (sql_id), else the newest by name
 * (sql_name); both take the key as $1 and the retain time as $2.  NULL on error. */
static PGresult *by_key(struct store *s, const char *what, const char *key, const struct cfg *c,
			const char *sql_id, const char *sql_name)
{
	char retain[32];
	const char *p[2] = {key, retain};

	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	return run(s, what, all_digits(key) ? sql_id : sql_name, 2, p);
}

/* Livy's list window over what `sql` selects: $1 is the retain time, $2 and $3 the
 * offset and limit of the page.  NULL on error. */
static PGresult *page(struct store *s, const char *what, const char *sql, long from, long size,
		      const struct cfg *c)
{
	char retain[32], off[32], lim[32];
	const char *p[3] = {retain, off, lim};
	long first, count;

	livy_list_window(LONG_MAX, from, size, &first, &count);
	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	snprintf(off, sizeof off, "%ld", first);
	snprintf(lim, sizeof lim, "%ld", count);
	return run(s, what, sql, 3, p);
}

int store_batch_get(struct store *s, const char *key, bool with_log, const struct cfg *c,
		    struct store_batches *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = with_log
		? by_key(s, "batch get", key, c,
			 "SELECT " BATCH_COLUMNS " FROM batch b WHERE b.id = $1::bigint AND " VISIBLE("$2"),
			 "SELECT " BATCH_COLUMNS " FROM batch b WHERE b.name = $1 AND " VISIBLE("$2")
			 " ORDER BY b.id DESC LIMIT 1")
		: by_key(s, "batch get", key, c,
			 "SELECT " BATCH_COLUMNS_NO_LOG " FROM batch b WHERE b.id = $1::bigint AND "
			 VISIBLE("$2"),
			 "SELECT " BATCH_COLUMNS_NO_LOG " FROM batch b WHERE b.name = $1 AND "
			 VISIBLE("$2") " ORDER BY b.id DESC LIMIT 1");
	if (!r)
		return STORE_ERROR;
	fill_batches(r, out);
	if (out->n == 0) {
		store_batches_free(out);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

int store_batch_list(struct store *s, long from, long size, const struct cfg *c,
		     struct store_batches *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	/* The visible set is found first (partial indexes: its cost is what is visible,
	 * not the history), then paged; the total rides on every row, and on a row of
	 * NULLs when the page is empty. */
	r = page(s, "batch list",
		 "WITH v AS MATERIALIZED (SELECT b.id FROM batch b WHERE b.id >= 0 AND " VISIBLE("$1") "), "
		 "page AS (SELECT id FROM v ORDER BY id OFFSET $2::bigint LIMIT $3::bigint) "
		 "SELECT " BATCH_COLUMNS ", t.total FROM (SELECT count(*) AS total FROM v) t "
		 "LEFT JOIN (page JOIN batch b USING (id)) ON true ORDER BY b.id", from, size, c);
	if (!r)
		return STORE_ERROR;
	out->total = atol(PQgetvalue(r, 0, 10));
	if (PQgetisnull(r, 0, 0)) {
		out->res = r;
		return STORE_OK;
	}
	fill_batches(r, out);
	return STORE_OK;
}

void store_lines_free(struct store_lines *l)
{
	PQclear(l->res);
	free(l->v);
	memset(l, 0, sizeof *l);
}

int store_batch_log(struct store *s, long long id, long first, long count,
		    struct store_lines *out)
{
	char ids[32], lo[32], hi[32];
	const char *p[3] = {ids, lo, hi};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(lo, sizeof lo, "%ld", first);
	snprintf(hi, sizeof hi, "%ld", first + count);
	r = run(s, "batch log", "SELECT line FROM batch_log WHERE batch_id = $1::bigint "
		"AND line_no >= $2::int AND line_no < $3::int ORDER BY line_no", 3, p);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++)
		out->v[i] = PQgetvalue(r, i, 0);
	if (!out->v)
		out->n = 0;
	return STORE_OK;
}

int store_batch_delete(struct store *s, const char *key, const struct cfg *c,
		       long long *id)
{
	char retain[32];
	const char *p[2] = {key, retain};
	PGresult *r;

	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	r = run(s, "batch delete",
		all_digits(key)
		? "UPDATE batch b SET deleted_at = now() WHERE b.id = $1::bigint AND " VISIBLE("$2")
		  " RETURNING b.id, pg_notify('tacitus_batch', b.id::text)"
		: "UPDATE batch b SET deleted_at = now() WHERE b.id = (SELECT b.id FROM batch b "
		  "WHERE b.name = $1 AND " VISIBLE("$2") " ORDER BY b.id DESC LIMIT 1) "
		  "RETURNING b.id, pg_notify('tacitus_batch', b.id::text)", 2, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

/* ---- the monitor side ---- */

int store_listen(struct store *s)
{
	s->listening = true;
	return setup_session(s);
}

int store_socket(struct store *s)
{
	return PQsocket(s->conn);
}

int store_drain_notifies(struct store *s)
{
	PGnotify *n;
	int count = 0;

	if (!PQconsumeInput(s->conn)) {
		log_error("database: %s", PQerrorMessage(s->conn));
		return -1;
	}
	while ((n = PQnotifies(s->conn))) {
		count++;
		PQfreemem(n);
	}
	return count;
}

int store_renew_leases(struct store *s, const char *owner, int ttl_sec)
{
	char ttl[16];
	const char *p[2] = {owner, ttl};
	PGresult *r;

	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	r = run(s, "lease renewal", "UPDATE batch SET lease_expires_at = now() + "
		"$2::int * interval '1 second' WHERE lease_owner = $1 "
		"AND state IN ('starting', 'running')", 2, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

#define JOB_COLUMNS "b.id, b.argv::text, b.job_dir, b.host, b.boot_id, b.pid, b.pid_start, " \
	"b.out_offset, b.log_lines, b.deleted_at IS NOT NULL, " \
	"COALESCE(extract(epoch FROM now() - b.kill_sent_at), -1), b.state, b.err_offset, " \
	"(SELECT stop_reason FROM session WHERE driver_id = b.id)"

static void fill_jobs(PGresult *r, struct store_jobs *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_job *j = &out->v[i];
		j->id = atoll(PQgetvalue(r, i, 0));
		j->argv_json = col(r, i, 1);
		j->job_dir = col(r, i, 2);
		j->host = col(r, i, 3);
		j->boot_id = col(r, i, 4);
		j->pid = (pid_t)atol(PQgetvalue(r, i, 5));
		j->pid_start = atoll(PQgetvalue(r, i, 6));
		j->out_offset = atoll(PQgetvalue(r, i, 7));
		j->err_offset = atoll(PQgetvalue(r, i, 12));
		j->log_lines = atol(PQgetvalue(r, i, 8));
		j->deleted = !strcmp(PQgetvalue(r, i, 9), "t");
		j->kill_age = atof(PQgetvalue(r, i, 10));
		j->state = PQgetvalue(r, i, 11);
		j->stop_reason = col(r, i, 13);
	}
	if (!out->v)
		out->n = 0;
}

void store_jobs_free(struct store_jobs *j)
{
	PQclear(j->res);
	free(j->v);
	memset(j, 0, sizeof *j);
}

static int jobs_query(struct store *s, const char *what, const char *sql, int n,
		      const char *const *p, struct store_jobs *out)
{
	PGresult *r = run(s, what, sql, n, p);

	memset(out, 0, sizeof *out);
	if (!r)
		return STORE_ERROR;
	fill_jobs(r, out);
	return STORE_OK;
}

int store_claim(struct store *s, const char *owner, const char *host, const char *boot_id,
		int ttl_sec, int limit, struct store_jobs *out)
{
	char ttl[16], lim[16];
	const char *p[5] = {owner, host, boot_id, ttl, lim};

	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	snprintf(lim, sizeof lim, "%d", limit);
	return jobs_query(s, "claim",
		"WITH c AS (SELECT id FROM batch WHERE state = 'starting' AND lease_owner IS NULL "
		"ORDER BY id LIMIT $5::int FOR UPDATE SKIP LOCKED) "
		"UPDATE batch b SET lease_owner = $1, host = $2, boot_id = $3, "
		"lease_expires_at = now() + $4::int * interval '1 second' "
		"FROM c WHERE b.id = c.id RETURNING " JOB_COLUMNS, 5, p, out);
}

int store_my_jobs(struct store *s, const char *owner, struct store_jobs *out)
{
	const char *p[1] = {owner};

	return jobs_query(s, "my jobs", "SELECT " JOB_COLUMNS " FROM batch b WHERE "
			  "b.lease_owner = $1 AND b.state IN ('starting', 'running') ORDER BY b.id",
			  1, p, out);
}

int store_take_over(struct store *s, const char *owner, const char *host, int ttl_sec,
		    int grace_sec, struct store_jobs *out)
{
	char ttl[16], grace[16];
	const char *p[4] = {owner, host, ttl, grace};

	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	snprintf(grace, sizeof grace, "%d", grace_sec);
	return jobs_query(s, "take over",
		"WITH x AS (SELECT id FROM batch WHERE state IN ('starting', 'running') "
		"AND lease_owner <> $1 AND (lease_expires_at < now() - $4::int * interval '1 second' "
		"OR (host = $2 AND lease_expires_at < now())) FOR UPDATE SKIP LOCKED) "
		"UPDATE batch b SET lease_owner = $1, lease_expires_at = now() + "
		"$3::int * interval '1 second' FROM x WHERE b.id = x.id RETURNING " JOB_COLUMNS,
		4, p, out);
}

/* Rows of batch with a negative id are session drivers ("driver 3" is id -3). */
#define JOB_KIND(id) ((id) < 0 ? "driver" : "batch")
#define JOB_NUMBER(id) ((id) < 0 ? -(id) : (id))

/* The process a launch started; NULL for other state changes. */
struct launch {
	pid_t pid;
	long long pid_start;
	const char *job_dir;
};

/* Every state change: one guarded statement that also records the event (and, for
 * a launch, the process), so that no crash can leave half of it behind. */
static int transition(struct store *s, long long id, const char *owner, const char *from,
		      const char *to, int exit_code, const char *reason, const struct launch *l)
{
	char ids[32], code[16], pids[16], starts[32];
	const char *p[9] = {ids, owner, from, to, exit_code >= 0 ? code : NULL, reason,
			    l ? pids : NULL, l ? starts : NULL, l ? l->job_dir : NULL};
	PGresult *r;
	int n;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(code, sizeof code, "%d", exit_code);
	snprintf(pids, sizeof pids, "%d", l ? (int)l->pid : 0);
	snprintf(starts, sizeof starts, "%lld", l ? l->pid_start : 0);
	r = run(s, "state change",
		"WITH u AS (UPDATE batch SET state = $4, exit_code = COALESCE($5::int, exit_code), "
		"finished_at = CASE WHEN $4 IN ('success', 'dead', 'killed') THEN now() END, "
		"lease_expires_at = CASE WHEN $4 IN ('success', 'dead', 'killed') THEN NULL "
		"ELSE lease_expires_at END, "
		"pid = COALESCE($7::int, pid), pid_start = COALESCE($8::bigint, pid_start), "
		"job_dir = COALESCE($9, job_dir), "
		"launched_at = CASE WHEN $7::int IS NULL THEN launched_at ELSE now() END "
		"WHERE id = $1::bigint AND lease_owner = $2 AND state = $3 RETURNING id) "
		"INSERT INTO batch_event (batch_id, from_state, to_state, actor, reason) "
		"SELECT id, $3, $4, $2, $6 FROM u", 9, p);
	if (!r)
		return STORE_ERROR;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	if (n != 1) {
		log_warn("%s %lld: %s -> %s refused: not held by %s in state %s", JOB_KIND(id),
			 JOB_NUMBER(id), from, to, owner, from);
		return STORE_NOTFOUND;
	}
	log_info("%s %lld: %s -> %s: %s", JOB_KIND(id), JOB_NUMBER(id), from, to, reason);
	return STORE_OK;
}

int store_release_leases(struct store *s, const char *owner)
{
	const char *p[1] = {owner};
	PGresult *r = run(s, "lease release", "UPDATE batch SET lease_expires_at = now() "
			  "WHERE lease_owner = $1 AND state IN ('starting', 'running')", 1, p);

	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

int store_launched(struct store *s, long long id, const char *owner, pid_t pid,
		   long long pid_start, const char *job_dir)
{
	char reason[96];
	struct launch l = {pid, pid_start, job_dir};

	snprintf(reason, sizeof reason, "spark-submit started (job shim pid %d)", (int)pid);
	return transition(s, id, owner, "starting", "running", -1, reason, &l);
}

int store_append_log(struct store *s, long long id, const char *owner, long first_line,
		     const char *lines_json, long long out_offset, long long err_offset,
		     const char *app_id, const char *spark_ui_url)
{
	char ids[32], first[32], off[32], eoff[32];
	const char *p[8] = {ids, owner, first, lines_json, off, app_id, spark_ui_url, eoff};
	PGresult *r;
	int ok;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(first, sizeof first, "%ld", first_line);
	snprintf(off, sizeof off, "%lld", out_offset);
	snprintf(eoff, sizeof eoff, "%lld", err_offset);
	r = run(s, "log append",
		"WITH ok AS (UPDATE batch SET log_lines = $3::int + json_array_length($4::json), "
		"log_tail = (SELECT COALESCE(string_agg(x, E'\\n' ORDER BY n), '') FROM (SELECT x, n "
		"FROM unnest(CASE WHEN log_lines = 0 THEN '{}' WHEN log_tail = '' THEN '{\"\"}' "
		"ELSE string_to_array(log_tail, E'\\n') END || "
		"ARRAY(SELECT json_array_elements_text($4::json))) WITH ORDINALITY AS t(x, n) "
		"ORDER BY n DESC LIMIT 9) q), "
		"out_offset = $5::bigint, err_offset = $8::bigint, app_id = COALESCE($6, app_id), "
		"spark_ui_url = COALESCE($7, spark_ui_url) "
		"WHERE id = $1::bigint AND lease_owner = $2 AND log_lines = $3::int RETURNING id), "
		"ins AS (INSERT INTO batch_log (batch_id, line_no, line) "
		"SELECT ok.id, $3::int + t.n::int - 1, t.l FROM ok, "
		"json_array_elements_text($4::json) WITH ORDINALITY AS t(l, n) RETURNING 1) "
		"SELECT (SELECT count(*) FROM ok), (SELECT count(*) FROM ins)", 8, p);
	if (!r)
		return STORE_ERROR;
	ok = atoi(PQgetvalue(r, 0, 0)) == 1;
	PQclear(r);
	return ok ? STORE_OK : STORE_NOTFOUND;
}

int store_transition(struct store *s, long long id, const char *owner, const char *from,
		     const char *to, int exit_code, const char *reason)
{
	return transition(s, id, owner, from, to, exit_code, reason, NULL);
}

int store_kill_sent(struct store *s, long long id, const char *owner)
{
	char ids[32];
	const char *p[2] = {ids, owner};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	r = run(s, "kill record", "UPDATE batch SET kill_sent_at = now() WHERE id = $1::bigint "
		"AND lease_owner = $2 AND kill_sent_at IS NULL", 2, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

/* ---- sessions ---- */

/* The visible-session filter over session s joined with its driver b. */
#define SESSION_VISIBLE(R) "s.deleted_at IS NULL AND (b.finished_at IS NULL OR " \
	"b.finished_at > now() - " R "::int * interval '1 second')"

#define SESSION_STATE "CASE WHEN b.finished_at IS NOT NULL THEN 'dead' " \
	"WHEN b.deleted_at IS NOT NULL THEN 'shutting_down' " \
	"WHEN b.state = 'running' AND b.repl_state IS NOT NULL THEN b.repl_state " \
	"ELSE 'starting' END"

#define SESSION_HEAD "s.id, s.name, s.owner, s.proxy_user, " SESSION_STATE ", s.kind, " \
	"b.app_id, b.spark_ui_url, b.driver_log_url, b.log_lines, s.request::text, " \
	"s.driver_id, s.heartbeat_sec, "
#define SESSION_COLUMNS SESSION_HEAD "b.log_tail"
#define SESSION_COLUMNS_NO_LOG SESSION_HEAD "''"

static void fill_sessions(PGresult *r, struct store_sessions *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_session *x = &out->v[i];
		x->id = atoll(PQgetvalue(r, i, 0));
		x->name = col(r, i, 1);
		x->owner = col(r, i, 2);
		x->proxy_user = col(r, i, 3);
		x->state = PQgetvalue(r, i, 4);
		x->kind = PQgetvalue(r, i, 5);
		x->app_id = col(r, i, 6);
		x->spark_ui_url = col(r, i, 7);
		x->driver_log_url = col(r, i, 8);
		x->log_lines = atol(PQgetvalue(r, i, 9));
		x->request = PQgetvalue(r, i, 10);
		x->driver_id = atoll(PQgetvalue(r, i, 11));
		x->heartbeat_sec = atoi(PQgetvalue(r, i, 12));
		x->log_tail = PQgetvalue(r, i, 13);
	}
	if (!out->v)
		out->n = 0;
}

void store_sessions_free(struct store_sessions *ss)
{
	PQclear(ss->res);
	free(ss->v);
	memset(ss, 0, sizeof *ss);
}

/* A new driver row for a session (pool NULL) or for a pool; its id into *id. */
static int insert_driver(struct store *s, const char *owner, const char *proxy_user,
			 const char *request_json, const char *argv_json, const char *pool,
			 const char *reason, long long *id)
{
	const char *p[6] = {owner, proxy_user, request_json, argv_json, pool, reason};
	PGresult *r = run(s, "driver insert",
		"WITH b AS (INSERT INTO batch (id, owner, proxy_user, request, argv, pool) "
		"VALUES (-nextval('driver_id_seq'), $1, $2, $3::jsonb, $4::jsonb, $5) RETURNING id), "
		"e AS (INSERT INTO batch_event (batch_id, to_state, actor, reason) "
		"SELECT id, 'starting', $1, $6 FROM b) "
		"SELECT id, pg_notify('tacitus_batch', id::text) FROM b", 6, p);

	if (!r)
		return STORE_ERROR;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

/* Take a pooled driver with these arguments, idle ones first; 0 = none. */
static int take_warm(struct store *s, const struct store_new_session *ns, long long *driver)
{
	const char *p[4] = {ns->pool, ns->pool_argv_json, ns->owner, ns->proxy_user};
	PGresult *r = run(s, "warm driver",
		"UPDATE batch SET pool = NULL, owner = $3, proxy_user = $4 WHERE id = "
		"(SELECT id FROM batch WHERE pool = $1 AND state IN ('starting', 'running') "
		"AND deleted_at IS NULL AND argv = $2::jsonb "
		"ORDER BY repl_state = 'idle' DESC NULLS LAST, id LIMIT 1 FOR UPDATE) "
		"RETURNING id, pg_notify('tacitus_batch', 'pool')", 4, p);

	if (!r)
		return STORE_ERROR;
	*driver = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return STORE_OK;
}

static const char *ms_or_null(long long ms, char *buf, size_t len)
{
	if (ms < 0)
		return NULL;
	snprintf(buf, len, "%lld", ms);
	return buf;
}

int store_session_create(struct store *s, const struct store_new_session *ns,
			 const struct cfg *c, long long *id, bool *warm, char *msg, size_t msglen)
{
	char retain[32], maxc[32], hb[16], ttl[32], idle[32], drv[32];
	const char *p[10];
	long long driver = 0;
	PGresult *r;
	long live;

	*warm = false;
	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	snprintf(maxc, sizeof maxc, "%ld", c->max_creation);
	if (begin(s) < 0)
		return STORE_ERROR;
	if (run_cmd(s, "admission lock", "SELECT pg_advisory_xact_lock(" ADMISSION_LOCK ")") < 0)
		goto fail;
	p[0] = ns->name;
	p[1] = retain;
	p[2] = maxc;
	r = run(s, "session admission",
		"SELECT (SELECT count(*) FROM (SELECT 1 FROM batch WHERE state IN ('starting', 'running') "
		"LIMIT $3::bigint) live), (SELECT s.id FROM session s JOIN batch b ON b.id = s.driver_id "
		"WHERE s.name = $1 AND b.finished_at IS NULL AND " SESSION_VISIBLE("$2") " LIMIT 1)",
		3, p);
	if (!r)
		goto fail;
	live = atol(PQgetvalue(r, 0, 0));
	if (!PQgetisnull(r, 0, 1)) {
		snprintf(msg, msglen, "Rejected, Reason: Duplicate session name: Some(%s) for session %s",
			 ns->name, PQgetvalue(r, 0, 1));
		PQclear(r);
		goto reject;
	}
	PQclear(r);
	if (ns->pool && take_warm(s, ns, &driver) != STORE_OK)
		goto fail;
	*warm = driver != 0;
	if (!driver) {
		if (live >= c->max_creation) {
			snprintf(msg, msglen, "Rejected, too many sessions are being created!");
			goto reject;
		}
		if (insert_driver(s, ns->owner, ns->proxy_user, ns->request_json, ns->argv_json, NULL,
				  "POST /sessions", &driver) != STORE_OK)
			goto fail;
	}
	snprintf(drv, sizeof drv, "%lld", driver);
	snprintf(hb, sizeof hb, "%d", ns->heartbeat_sec);
	p[0] = ns->name;
	p[1] = ns->owner;
	p[2] = ns->proxy_user;
	p[3] = ns->kind;
	p[4] = ns->request_json;
	p[5] = drv;
	p[6] = hb;
	p[7] = ms_or_null(ns->idle_timeout_ms, idle, sizeof idle);
	p[8] = ms_or_null(ns->ttl_ms, ttl, sizeof ttl);
	r = run(s, "session insert",
		"INSERT INTO session (name, owner, proxy_user, kind, request, driver_id, heartbeat_sec, "
		"idle_timeout_ms, ttl_ms) VALUES ($1, $2, $3, $4, $5::jsonb, $6::bigint, $7::int, "
		"$8::bigint, $9::bigint) RETURNING id", 9, p);
	if (!r)
		goto fail;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (commit(s) < 0)
		goto fail;
	return STORE_OK;
reject:
	rollback(s);
	return STORE_REJECT;
fail:
	rollback(s);
	return STORE_ERROR;
}

int store_session_get(struct store *s, const char *key, bool with_log, const struct cfg *c,
		      struct store_sessions *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = with_log
		? by_key(s, "session get", key, c,
			 "SELECT " SESSION_COLUMNS " FROM session s JOIN batch b ON b.id = s.driver_id "
			 "WHERE s.id = $1::bigint AND " SESSION_VISIBLE("$2"),
			 "SELECT " SESSION_COLUMNS " FROM session s JOIN batch b ON b.id = s.driver_id "
			 "WHERE s.name = $1 AND " SESSION_VISIBLE("$2") " ORDER BY s.id DESC LIMIT 1")
		: by_key(s, "session get", key, c,
			 "SELECT " SESSION_COLUMNS_NO_LOG " FROM session s JOIN batch b ON "
			 "b.id = s.driver_id WHERE s.id = $1::bigint AND " SESSION_VISIBLE("$2"),
			 "SELECT " SESSION_COLUMNS_NO_LOG " FROM session s JOIN batch b ON "
			 "b.id = s.driver_id WHERE s.name = $1 AND " SESSION_VISIBLE("$2")
			 " ORDER BY s.id DESC LIMIT 1");
	if (!r)
		return STORE_ERROR;
	fill_sessions(r, out);
	if (out->n == 0) {
		store_sessions_free(out);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

int store_session_list(struct store *s, long from, long size, const struct cfg *c,
		       struct store_sessions *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = page(s, "session list",
		 "WITH v AS MATERIALIZED (SELECT s.id FROM session s JOIN batch b ON b.id = s.driver_id "
		 "WHERE " SESSION_VISIBLE("$1") "), "
		 "page AS (SELECT id FROM v ORDER BY id OFFSET $2::bigint LIMIT $3::bigint) "
		 "SELECT " SESSION_COLUMNS ", t.total FROM (SELECT count(*) AS total FROM v) t "
		 "LEFT JOIN (page JOIN session s USING (id) JOIN batch b ON b.id = s.driver_id) ON true "
		 "ORDER BY s.id", from, size, c);
	if (!r)
		return STORE_ERROR;
	out->total = atol(PQgetvalue(r, 0, 14));
	if (PQgetisnull(r, 0, 0)) {
		out->res = r;
		return STORE_OK;
	}
	fill_sessions(r, out);
	return STORE_OK;
}

int store_session_touch(struct store *s, long long id)
{
	char ids[32];
	const char *p[1] = {ids};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	r = run(s, "heartbeat", "UPDATE session SET heartbeat_at = now() WHERE id = $1::bigint "
		"AND heartbeat_sec > 0", 1, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

int store_session_delete(struct store *s, long long id, const char *request, const char *actor,
			 bool hide)
{
	char ids[32], reason[300];
	const char *p[3] = {ids, reason, hide ? "t" : "f"};
	PGresult *r;
	int n;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(reason, sizeof reason, "%s by %s", request, actor ? actor : "-");
	r = run(s, "session delete",
		"WITH x AS (UPDATE session SET deleted_at = CASE WHEN $3::bool THEN now() END, "
		"stop_reason = COALESCE(stop_reason, $2) WHERE id = $1::bigint AND deleted_at IS NULL "
		"RETURNING driver_id), "
		"k AS (UPDATE batch b SET deleted_at = COALESCE(b.deleted_at, now()) FROM x "
		"WHERE b.id = x.driver_id RETURNING b.id) "
		"SELECT (SELECT count(*) FROM x), (SELECT pg_notify('tacitus_batch', id::text) FROM k)",
		3, p);
	if (!r)
		return STORE_ERROR;
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n ? STORE_OK : STORE_NOTFOUND;
}

int store_session_activity(struct store *s, long long id)
{
	char ids[32];
	const char *p[1] = {ids};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	r = run(s, "session activity", "UPDATE session SET activity_at = now(), heartbeat_at = now() "
		"WHERE id = $1::bigint", 1, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

/* ---- statements ---- */

#define STATEMENT_COLUMNS "st.id, st.code, st.state, st.output::text, st.progress, " \
	"st.started_ms, st.completed_ms"

void store_statements_free(struct store_statements *st)
{
	PQclear(st->res);
	free(st->v);
	memset(st, 0, sizeof *st);
}

static void fill_statements(PGresult *r, struct store_statements *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_statement *x = &out->v[i];
		x->id = atoi(PQgetvalue(r, i, 0));
		x->code = PQgetvalue(r, i, 1);
		x->state = PQgetvalue(r, i, 2);
		x->output = col(r, i, 3);
		x->progress = atof(PQgetvalue(r, i, 4));
		x->started = atoll(PQgetvalue(r, i, 5));
		x->completed = atoll(PQgetvalue(r, i, 6));
	}
	if (!out->v)
		out->n = 0;
}

static void copy_col(PGresult *r, int c, char *buf, size_t len)
{
	snprintf(buf, len, "%s", PQntuples(r) && !PQgetisnull(r, 0, c) ? PQgetvalue(r, 0, c) : "");
}

int store_statement_create(struct store *s, long long id, const char *code, const char *kind,
			   int *stmt, char *wake, size_t wakelen)
{
	char ids[32];
	const char *p[3] = {ids, code, kind};
	PGresult *r;
	int rc;

	snprintf(ids, sizeof ids, "%lld", id);
	r = run(s, "statement insert",
		"WITH ok AS (UPDATE session s SET next_statement = s.next_statement + 1, "
		"activity_at = now(), heartbeat_at = now() FROM batch b WHERE s.id = $1::bigint "
		"AND s.deleted_at IS NULL AND b.id = s.driver_id AND b.state = 'running' "
		"AND b.repl_state IS NOT NULL AND b.deleted_at IS NULL "
		"RETURNING s.id, s.next_statement - 1 AS n, b.wake_addr), "
		"ins AS (INSERT INTO statement (session_id, id, code, kind) "
		"SELECT id, n, $2, $3 FROM ok RETURNING id) "
		"SELECT n, wake_addr FROM ok", 3, p);
	if (!r)
		return STORE_ERROR;
	rc = PQntuples(r) ? STORE_OK : STORE_REJECT;
	if (rc == STORE_OK)
		*stmt = atoi(PQgetvalue(r, 0, 0));
	copy_col(r, 1, wake, wakelen);
	PQclear(r);
	return rc;
}

int store_statement_list(struct store *s, long long id, bool desc, long from, long size,
			 struct store_statements *out)
{
	char ids[32], lo[32], n[32];
	const char *p[3] = {ids, lo, size == STORE_ALL ? NULL : n};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(lo, sizeof lo, "%ld", from);
	snprintf(n, sizeof n, "%ld", size);
	/* Statement ids of a session are 0 .. next_statement-1 without gaps, so Scala's
	 * slice(from, from+size) over them (size NULL: all of them, Livy's default) is a
	 * range of ids, counted from the other end when desc.  The total rides on every
	 * row, and on a row of NULLs when the page is empty. */
	r = run(s, desc ? "statement list desc" : "statement list", desc
		? "SELECT " STATEMENT_COLUMNS ", t.next_statement FROM session t LEFT JOIN LATERAL "
		  "(SELECT * FROM statement WHERE session_id = t.id "
		  "AND id <= t.next_statement - 1 - GREATEST($2::bigint, 0) AND id > t.next_statement - 1 "
		  "- LEAST($2::bigint + COALESCE($3::bigint, t.next_statement), t.next_statement)) st "
		  "ON true WHERE t.id = $1::bigint ORDER BY st.id DESC"
		: "SELECT " STATEMENT_COLUMNS ", t.next_statement FROM session t LEFT JOIN LATERAL "
		  "(SELECT * FROM statement WHERE session_id = t.id AND id >= GREATEST($2::bigint, 0) "
		  "AND id < LEAST($2::bigint + COALESCE($3::bigint, t.next_statement), "
		  "t.next_statement)) st ON true WHERE t.id = $1::bigint ORDER BY st.id", 3, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->total = atol(PQgetvalue(r, 0, 7));
	if (PQgetisnull(r, 0, 0)) {
		out->res = r;
		return STORE_OK;
	}
	fill_statements(r, out);
	return STORE_OK;
}

int store_statement_get(struct store *s, long long id, int stmt, struct store_statements *out)
{
	char ids[32], sid[16];
	const char *p[2] = {ids, sid};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(sid, sizeof sid, "%d", stmt);
	r = run(s, "statement get", "SELECT " STATEMENT_COLUMNS " FROM statement st "
		"WHERE st.session_id = $1::bigint AND st.id = $2::int", 2, p);
	if (!r)
		return STORE_ERROR;
	fill_statements(r, out);
	if (out->n == 0) {
		store_statements_free(out);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

int store_statement_cancel(struct store *s, long long id, int stmt, char *wake, size_t wakelen)
{
	char ids[32], sid[16];
	const char *p[2] = {ids, sid};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(sid, sizeof sid, "%d", stmt);
	r = run(s, "statement cancel",
		"WITH c AS (UPDATE statement SET state = CASE state WHEN 'waiting' THEN 'cancelled' "
		"ELSE 'cancelling' END, progress = CASE state WHEN 'waiting' THEN 1 ELSE progress END, "
		"completed_ms = CASE state WHEN 'waiting' THEN "
		"(extract(epoch FROM clock_timestamp()) * 1000)::bigint ELSE completed_ms END "
		"WHERE session_id = $1::bigint AND id = $2::int AND state IN ('waiting', 'running') "
		"RETURNING id), "
		"a AS (UPDATE session SET activity_at = now(), heartbeat_at = now() "
		"WHERE id = $1::bigint RETURNING driver_id) "
		"SELECT b.wake_addr FROM a JOIN batch b ON b.id = a.driver_id", 2, p);
	if (!r)
		return STORE_ERROR;
	copy_col(r, 0, wake, wakelen);
	PQclear(r);
	return STORE_OK;
}

int store_completion_create(struct store *s, long long id, const char *code, const char *kind,
			    int cursor, long long *cid, char *wake, size_t wakelen)
{
	char ids[32], cur[16];
	const char *p[4] = {ids, code, kind, cur};
	PGresult *r;
	int rc;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(cur, sizeof cur, "%d", cursor);
	r = run(s, "completion insert",
		"WITH ok AS (UPDATE session s SET activity_at = now(), heartbeat_at = now() "
		"FROM batch b WHERE s.id = $1::bigint AND s.deleted_at IS NULL AND b.id = s.driver_id "
		"AND b.state = 'running' AND b.repl_state IS NOT NULL AND b.deleted_at IS NULL "
		"RETURNING s.id, b.wake_addr), "
		"ins AS (INSERT INTO completion (session_id, code, kind, cursor_pos) "
		"SELECT id, $2, $3, $4::int FROM ok RETURNING id) "
		"SELECT (SELECT id FROM ins), wake_addr FROM ok", 4, p);
	if (!r)
		return STORE_ERROR;
	rc = PQntuples(r) ? STORE_OK : STORE_REJECT;
	if (rc == STORE_OK)
		*cid = atoll(PQgetvalue(r, 0, 0));
	copy_col(r, 1, wake, wakelen);
	PQclear(r);
	return rc;
}

int store_completion_result(struct store *s, long long cid, char **candidates)
{
	char ids[32];
	const char *p[1] = {ids};
	PGresult *r;
	int rc = STORE_NOTFOUND;

	snprintf(ids, sizeof ids, "%lld", cid);
	r = run(s, "completion result", "SELECT candidates::text FROM completion WHERE id = $1::bigint "
		"AND candidates IS NOT NULL", 1, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r)) {
		*candidates = strdup(PQgetvalue(r, 0, 0));
		rc = *candidates ? STORE_OK : STORE_ERROR;
	}
	PQclear(r);
	return rc;
}

/* ---- the driver protocol ---- */

/* Results of statements ($2's "results"), applied along §3.3's transitions only: a
 * repeated or late result changes nothing.  A finished statement is activity. */
static int apply_results(struct store *s, const char *session, const char *body)
{
	const char *p[2] = {session, body};
	PGresult *r = run(s, "statement results",
		"WITH x AS (SELECT * FROM json_to_recordset(($2::json)->'results') AS x(id int, "
		"state text, output json, progress float8, started bigint, completed bigint)), "
		"u AS (UPDATE statement st SET "
		"state = CASE WHEN x.state = 'running' THEN "
		"  CASE WHEN st.state = 'waiting' THEN 'running' ELSE st.state END "
		"  WHEN x.state = 'available' AND st.state <> 'cancelling' THEN 'available' "
		"  ELSE 'cancelled' END, "
		"output = CASE WHEN x.state = 'running' THEN st.output ELSE x.output END, "
		"progress = CASE WHEN x.state = 'running' THEN COALESCE(x.progress, st.progress) "
		"  ELSE 1 END, "
		"started_ms = CASE WHEN st.started_ms = 0 THEN COALESCE(x.started, 0) "
		"  ELSE st.started_ms END, "
		"completed_ms = CASE WHEN x.state = 'running' THEN 0 ELSE COALESCE(x.completed, 0) END "
		"FROM x WHERE st.session_id = $1::bigint AND st.id = x.id "
		"AND st.state IN ('waiting', 'running', 'cancelling') "
		"AND x.state IN ('running', 'available', 'cancelled') RETURNING st.state) "
		"UPDATE session SET activity_at = now() WHERE id = $1::bigint AND EXISTS "
		"(SELECT 1 FROM u WHERE state IN ('available', 'cancelled'))", 2, p);

	PQclear(r);
	return r ? 0 : -1;
}

/* Completion answers ($2's "completions"). */
static int apply_completions(struct store *s, const char *session, const char *body)
{
	const char *p[2] = {session, body};
	PGresult *r = run(s, "completion results",
		"UPDATE completion c SET candidates = x.candidates::jsonb "
		"FROM json_to_recordset(($2::json)->'completions') AS x(id bigint, candidates json) "
		"WHERE c.id = x.id AND c.session_id = $1::bigint AND c.candidates IS NULL", 2, p);

	PQclear(r);
	return r ? 0 : -1;
}

int store_driver_sync(struct store *s, const struct store_sync *y, char **answer)
{
	const char *p[4] = {y->secret};
	char driver[32], session[32] = "", stop[8];
	PGresult *r;

	if (begin(s) < 0)
		return STORE_ERROR;
	/* who is it: nothing of the body is read before the secret matched */
	r = run(s, "driver sync",
		"SELECT b.id, (SELECT s.id FROM session s WHERE s.driver_id = b.id), "
		"b.deleted_at IS NOT NULL FROM batch b WHERE b.secret_hash = "
		"sha256(convert_to($1, 'UTF8')) AND b.state IN ('starting', 'running') FOR UPDATE", 1, p);
	if (!r)
		goto fail;
	if (PQntuples(r) == 0) {
		PQclear(r);
		rollback(s);
		return STORE_NOTFOUND;
	}
	copy_col(r, 0, driver, sizeof driver);
	copy_col(r, 1, session, sizeof session);
	snprintf(stop, sizeof stop, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	p[0] = driver;
	p[1] = y->body;
	p[2] = y->peer;
	r = run(s, "driver state",
		"UPDATE batch SET repl_state = CASE WHEN j->>'state' IN ('idle', 'busy', 'error') "
		"THEN j->>'state' ELSE 'busy' END, wake_addr = CASE WHEN $3::text IS NOT NULL AND "
		"j->>'wake_port' ~ '^[0-9]{1,5}$' THEN $3 || ':' || (j->>'wake_port') ELSE wake_addr END, "
		"seen_at = now() FROM (SELECT $2::json AS j) q WHERE id = $1::bigint", 3, p);
	PQclear(r);
	if (!r)
		goto fail;
	if (session[0] && (apply_results(s, session, y->body) < 0 ||
			   apply_completions(s, session, y->body) < 0))
		goto fail;
	p[0] = session[0] ? session : NULL;
	p[1] = y->body;
	p[2] = stop;
	r = run(s, "driver work",
		"WITH j AS (SELECT $2::json AS j), "
		"n AS (SELECT CASE WHEN j->>'next' ~ '^[0-9]{1,9}$' THEN (j->>'next')::int ELSE 0 END "
		"AS next, ARRAY(SELECT v::int FROM json_array_elements_text(CASE WHEN "
		"json_typeof(j->'pending') = 'array' THEN j->'pending' ELSE '[]' END) v "
		"WHERE v ~ '^[0-9]{1,9}$') AS pending FROM j) "
		"SELECT json_build_object('session', $1::bigint, "
		"'statements', COALESCE((SELECT json_agg(json_build_object('id', id, 'code', code, "
		"'kind', kind) ORDER BY id) FROM (SELECT id, code, kind FROM statement, n "
		"WHERE session_id = $1::bigint AND state = 'waiting' AND id >= n.next "
		"ORDER BY id LIMIT 100) w), '[]'), "
		"'cancel', COALESCE((SELECT json_agg(id) FROM statement, n WHERE session_id = $1::bigint "
		"AND id = ANY(n.pending) AND state IN ('cancelling', 'cancelled')), '[]'), "
		"'completions', COALESCE((SELECT json_agg(json_build_object('id', id, 'code', code, "
		"'kind', kind, 'cursor', cursor_pos)) FROM completion WHERE session_id = $1::bigint "
		"AND candidates IS NULL AND created_at > now() - interval '30 seconds'), '[]'), "
		"'stop', $3::bool)::text", 3, p);
	if (!r)
		goto fail;
	*answer = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!*answer || commit(s) < 0) {
		free(*answer);
		*answer = NULL;
		goto fail;
	}
	return STORE_OK;
fail:
	rollback(s);
	return STORE_ERROR;
}

/* ---- sessions (the monitor side) ---- */

int store_driver_secret(struct store *s, long long id, const char *owner, const char *secret)
{
	char ids[32];
	const char *p[3] = {ids, owner, secret};
	PGresult *r;
	int n;

	snprintf(ids, sizeof ids, "%lld", id);
	r = run(s, "driver secret", "UPDATE batch SET secret_hash = sha256(convert_to($3, 'UTF8')) "
		"WHERE id = $1::bigint AND lease_owner = $2 AND state = 'starting'", 3, p);
	if (!r)
		return STORE_ERROR;
	n = atoi(PQcmdTuples(r));
	PQclear(r);
	return n == 1 ? STORE_OK : STORE_NOTFOUND;
}

int store_pool_refill(struct store *s, const char *pool, long want, const char *argv_json,
		      const struct cfg *c, int *added)
{
	char maxc[32], wants[32];
	const char *p[3] = {pool, argv_json, maxc}, *q[3];
	PGresult *r;
	long have, live;
	long long id;

	*added = 0;
	snprintf(maxc, sizeof maxc, "%ld", c->max_creation);
	if (begin(s) < 0)
		return STORE_ERROR;
	if (run_cmd(s, "admission lock", "SELECT pg_advisory_xact_lock(" ADMISSION_LOCK ")") < 0)
		goto fail;
	snprintf(wants, sizeof wants, "%ld", want);
	q[0] = pool;
	q[1] = argv_json;
	q[2] = wants;
	r = run(s, "pool retire",
		"WITH p AS (SELECT id, argv <> $2::jsonb AS outdated, row_number() OVER "
		"(ORDER BY argv <> $2::jsonb, repl_state = 'idle' DESC NULLS LAST, id) AS n "
		"FROM batch WHERE pool = $1 AND state IN ('starting', 'running') "
		"AND deleted_at IS NULL), "
		"x AS (UPDATE batch b SET deleted_at = now(), pool = NULL FROM p WHERE b.id = p.id "
		"AND (p.outdated OR p.n > $3::int) RETURNING b.id, p.outdated) "
		"SELECT id, outdated, pg_notify('tacitus_batch', id::text) FROM x", 3, q);
	if (!r)
		goto fail;
	for (int i = 0; i < PQntuples(r); i++)
		log_info("driver %s: retired from pool %s (%s)", PQgetvalue(r, i, 0) + 1, pool,
			 !strcmp(PQgetvalue(r, i, 1), "t") ? "its arguments are outdated"
							   : "more than tacitus.session.warm-pool");
	PQclear(r);
	r = run(s, "pool count",
		"SELECT (SELECT count(*) FROM batch WHERE pool = $1 AND state IN ('starting', 'running') "
		"AND deleted_at IS NULL), (SELECT count(*) FROM (SELECT 1 FROM batch WHERE state IN "
		"('starting', 'running') LIMIT $3::bigint) live), $2::text IS NULL, "
		"(SELECT count(*) FROM batch WHERE pool = $1 AND state IN ('dead', 'success') "
		"AND finished_at > now() - interval '60 seconds')", 3, p);
	if (!r)
		goto fail;
	have = atol(PQgetvalue(r, 0, 0));
	live = atol(PQgetvalue(r, 0, 1));
	/* pooled drivers that die at once (a broken Spark): three tries a minute at most */
	if (atol(PQgetvalue(r, 0, 3)) >= 3)
		want = 0;
	PQclear(r);
	for (; have + *added < want && live + *added < c->max_creation; (*added)++) {
		if (insert_driver(s, NULL, NULL, "{\"kind\": \"pyspark\"}", argv_json, pool,
				  "warm pool", &id) != STORE_OK)
			goto fail;
		log_info("driver %lld: started for the warm pool %s", -id, pool);
	}
	if (commit(s) < 0)
		goto fail;
	return STORE_OK;
fail:
	rollback(s);
	return STORE_ERROR;
}

int store_session_expire(struct store *s, const struct cfg *c)
{
	char idle[32], ttl[32];
	const char *p[5] = {c->timeout_check ? "t" : "f", idle, c->timeout_skip_busy ? "t" : "f",
			    c->ttl_check ? "t" : "f", ttl};
	PGresult *r;
	int n;

	snprintf(idle, sizeof idle, "%lld", c->session_timeout_ms);
	snprintf(ttl, sizeof ttl, "%lld", c->session_ttl_ms);
	r = run(s, "session expiry",
		"WITH x AS (SELECT s.id, s.driver_id, CASE "
		"WHEN s.heartbeat_sec > 0 AND s.heartbeat_at < now() - s.heartbeat_sec * interval '1 second' "
		"  THEN 'no request for ' || s.heartbeat_sec || ' s (heartbeatTimeoutInSecond)' "
		"WHEN $1::bool AND COALESCE(s.idle_timeout_ms, $2::bigint) > 0 AND s.activity_at < now() - "
		"  COALESCE(s.idle_timeout_ms, $2::bigint) * interval '1 millisecond' "
		"  AND NOT ($3::bool AND COALESCE(b.repl_state, '') = 'busy') "
		"  THEN 'idle for longer than ' || COALESCE(s.idle_timeout_ms, $2::bigint) / 1000 || ' s' "
		"WHEN $4::bool AND s.created_at < now() - COALESCE(s.ttl_ms, $5::bigint) * "
		"  interval '1 millisecond' "
		"  THEN 'older than its ttl of ' || COALESCE(s.ttl_ms, $5::bigint) / 1000 || ' s' "
		"END AS reason FROM session s JOIN batch b ON b.id = s.driver_id "
		"WHERE s.deleted_at IS NULL AND s.stop_reason IS NULL AND b.deleted_at IS NULL "
		"AND b.state IN ('starting', 'running')), "
		"y AS (UPDATE session s SET stop_reason = x.reason FROM x WHERE s.id = x.id "
		"AND x.reason IS NOT NULL AND s.stop_reason IS NULL RETURNING s.id, s.driver_id, "
		"s.stop_reason), "
		"k AS (UPDATE batch b SET deleted_at = now() FROM y WHERE b.id = y.driver_id) "
		"SELECT y.id, y.stop_reason, pg_notify('tacitus_batch', y.driver_id::text) FROM y", 5, p);
	if (!r)
		return STORE_ERROR;
	n = PQntuples(r);
	for (int i = 0; i < n; i++)
		log_info("session %s: stopping: %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return n;
}
