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

#define MAX_PREPARED 64

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

int store_batch_get(struct store *s, const char *key, bool with_log, const struct cfg *c,
		    struct store_batches *out)
{
	char retain[32];
	const char *p[2] = {key, retain};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	if (all_digits(key))
		r = run(s, "batch get", with_log
			? "SELECT " BATCH_COLUMNS " FROM batch b WHERE b.id = $1::bigint AND "
			  VISIBLE("$2")
			: "SELECT " BATCH_COLUMNS_NO_LOG " FROM batch b WHERE b.id = $1::bigint AND "
			  VISIBLE("$2"), 2, p);
	else
		r = run(s, "batch get by name", with_log
			? "SELECT " BATCH_COLUMNS " FROM batch b WHERE b.name = $1 AND "
			  VISIBLE("$2") " ORDER BY b.id DESC LIMIT 1"
			: "SELECT " BATCH_COLUMNS_NO_LOG " FROM batch b WHERE b.name = $1 AND "
			  VISIBLE("$2") " ORDER BY b.id DESC LIMIT 1", 2, p);
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
	char retain[32], off[32], lim[32];
	const char *p[3] = {retain, off, lim};
	PGresult *r;
	long first, count;

	memset(out, 0, sizeof *out);
	livy_list_window(LONG_MAX, from, size, &first, &count);
	snprintf(retain, sizeof retain, "%ld", c->state_retain_sec);
	snprintf(off, sizeof off, "%ld", first);
	snprintf(lim, sizeof lim, "%ld", count);
	/* The visible set is found first (partial indexes: its cost is what is visible,
	 * not the history), then paged; the total rides on every row, and on a row of
	 * NULLs when the page is empty. */
	r = run(s, "batch list",
		"WITH v AS MATERIALIZED (SELECT b.id FROM batch b WHERE " VISIBLE("$1") "), "
		"page AS (SELECT id FROM v ORDER BY id OFFSET $2::bigint LIMIT $3::bigint) "
		"SELECT " BATCH_COLUMNS ", t.total FROM (SELECT count(*) AS total FROM v) t "
		"LEFT JOIN (page JOIN batch b USING (id)) ON true ORDER BY b.id", 3, p);
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
	"COALESCE(extract(epoch FROM now() - b.kill_sent_at), -1), b.state, b.err_offset"

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
		log_warn("batch %lld: %s -> %s refused: not held by %s in state %s", id, from, to,
			 owner, from);
		return STORE_NOTFOUND;
	}
	log_info("batch %lld: %s -> %s: %s", id, from, to, reason);
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
