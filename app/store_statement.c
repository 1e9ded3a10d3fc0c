/* store_statement.c - a session's statements and completions: queue, list, get, cancel. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The columns of a statement, in this order (enum tcol). */
#define STATEMENT_COLUMNS "st.id, st.code, st.state, st.output::text, st.progress, " \
	"st.started_ms, st.completed_ms"

/* Session s, joined with its driver b, can take a statement or a completion now: its
 * driver runs and has synced, and no stop was asked. */
#define TAKES_WORK "s.deleted_at IS NULL AND b.id = s.driver_id AND b.state = 'running' " \
	"AND b.repl_state IS NOT NULL AND b.deleted_at IS NULL"

/* What queuing work answers (columns: the new id, the driver's wake-up address):
 * STORE_OK with *id set, or STORE_NOT_RUNNING; the address is copied either way. */
static enum store_rc queued(PGresult *r, long long *id, char *wake, size_t wakelen)
{
	enum store_rc rc = PQntuples(r) ? STORE_OK : STORE_NOT_RUNNING;

	if (rc == STORE_OK)
		*id = atoll(PQgetvalue(r, 0, 0));
	store_copy_col(r, 1, wake, wakelen);
	PQclear(r);
	return rc;
}

enum tcol {
	TC_ID, TC_CODE, TC_STATE, TC_OUTPUT, TC_PROGRESS, TC_STARTED, TC_COMPLETED,
	TC_TOTAL                    /* lists only: the session's number of statements */
};

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
		x->id = atoi(PQgetvalue(r, i, TC_ID));
		x->code = PQgetvalue(r, i, TC_CODE);
		x->state = PQgetvalue(r, i, TC_STATE);
		x->output = store_col(r, i, TC_OUTPUT);
		x->progress = atof(PQgetvalue(r, i, TC_PROGRESS));
		x->started = atoll(PQgetvalue(r, i, TC_STARTED));
		x->completed = atoll(PQgetvalue(r, i, TC_COMPLETED));
	}
	if (!out->v)
		out->n = 0;
}

/* The result r of an insert run in the transaction the caller began, committed; or
 * NULL, rolled back.  A connection that breaks inside a transaction is not tried
 * again (store_run): the insert, which a second run would repeat, ran at most once
 * (and a failed COMMIT is a 503 the client sees, never a silent second row). */
static PGresult *once(struct store *s, PGresult *r)
{
	if (r && store_commit(s) == 0)
		return r;
	PQclear(r);
	store_rollback(s);
	return NULL;
}

enum store_rc store_statement_create(struct store *s, long long id, const char *code,
				     const char *kind, int *stmt, char *wake, size_t wakelen)
{
	char ids[STORE_NUM_MAX];
	const char *p[3] = {ids, code, kind};
	PGresult *r;
	long long n;
	enum store_rc rc;

	snprintf(ids, sizeof ids, "%lld", id);
	if (store_begin(s) < 0)
		return STORE_ERROR;
	r = once(s, store_run(s, "statement insert",
		"WITH ok AS (UPDATE session s SET next_statement = s.next_statement + 1, "
		"activity_at = now(), heartbeat_at = now() FROM batch b WHERE s.id = $1::bigint "
		"AND " TAKES_WORK " "
		"RETURNING s.id, s.next_statement - 1 AS n, b.wake_addr), "
		"ins AS (INSERT INTO statement (session_id, id, code, kind) "
		"SELECT id, n, $2, $3 FROM ok RETURNING id) "
		"SELECT n, wake_addr FROM ok", 3, p));
	if (!r)
		return STORE_ERROR;
	rc = queued(r, &n, wake, wakelen);
	if (rc == STORE_OK)
		*stmt = (int)n;
	return rc;
}

enum store_rc store_statement_list(struct store *s, long long id, bool desc, long from,
				   long size, long limit, struct store_statements *out)
{
	char ids[STORE_NUM_MAX], lo[STORE_NUM_MAX], n[STORE_NUM_MAX], max[STORE_NUM_MAX];
	const char *p[4] = {ids, lo, size == STORE_ALL ? NULL : n, max};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(lo, sizeof lo, "%ld", from);
	snprintf(n, sizeof n, "%ld", size);
	snprintf(max, sizeof max, "%ld", limit);
	/* Statement ids of a session are 0 .. next_statement-1 without gaps, so Scala's
	 * slice(from, from+size) over them (size NULL: all of them, Livy's default) is a
	 * range of ids, counted from the other end when desc, cut to its first $4.  The
	 * total rides on every row, and on a row of NULLs when the page is empty. */
	r = store_run(s, desc ? "statement list desc" : "statement list", desc
		? "SELECT " STATEMENT_COLUMNS ", t.next_statement FROM session t LEFT JOIN LATERAL "
		  "(SELECT * FROM statement WHERE session_id = t.id "
		  "AND id <= t.next_statement - 1 - GREATEST($2::bigint, 0) AND id > t.next_statement - 1 "
		  "- LEAST($2::bigint + COALESCE($3::bigint, t.next_statement), t.next_statement) "
		  "ORDER BY id DESC LIMIT $4::bigint) st ON true WHERE t.id = $1::bigint "
		  "ORDER BY st.id DESC"
		: "SELECT " STATEMENT_COLUMNS ", t.next_statement FROM session t LEFT JOIN LATERAL "
		  "(SELECT * FROM statement WHERE session_id = t.id AND id >= GREATEST($2::bigint, 0) "
		  "AND id < LEAST($2::bigint + COALESCE($3::bigint, t.next_statement), "
		  "t.next_statement) ORDER BY id LIMIT $4::bigint) st ON true WHERE t.id = $1::bigint "
		  "ORDER BY st.id", 4, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	out->total = atol(PQgetvalue(r, 0, TC_TOTAL));
	if (PQgetisnull(r, 0, TC_ID)) {
		out->res = r;
		return STORE_OK;
	}
	fill_statements(r, out);
	return STORE_OK;
}

enum store_rc store_statement_get(struct store *s, long long id, int stmt,
				  struct store_statements *out)
{
	char ids[STORE_NUM_MAX], sid[STORE_NUM_MAX];
	const char *p[2] = {ids, sid};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(sid, sizeof sid, "%d", stmt);
	r = store_run(s, "statement get", "SELECT " STATEMENT_COLUMNS " FROM statement st "
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

enum store_rc store_statement_cancel(struct store *s, long long id, int stmt, char *wake,
				     size_t wakelen)
{
	char ids[STORE_NUM_MAX], sid[STORE_NUM_MAX];
	const char *p[2] = {ids, sid};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(sid, sizeof sid, "%d", stmt);
	r = store_run(s, "statement cancel",
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
	store_copy_col(r, 0, wake, wakelen);
	PQclear(r);
	return STORE_OK;
}

enum store_rc store_completion_create(struct store *s, long long id, const char *code,
				      const char *kind, int cursor, long long *cid, char *wake,
				      size_t wakelen)
{
	char ids[STORE_NUM_MAX], cur[STORE_NUM_MAX];
	const char *p[4] = {ids, code, kind, cur};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(cur, sizeof cur, "%d", cursor);
	if (store_begin(s) < 0)
		return STORE_ERROR;
	r = once(s, store_run(s, "completion insert",
		"WITH ok AS (UPDATE session s SET activity_at = now(), heartbeat_at = now() "
		"FROM batch b WHERE s.id = $1::bigint AND " TAKES_WORK " "
		"RETURNING s.id, b.wake_addr), "
		"ins AS (INSERT INTO completion (session_id, code, kind, cursor_pos) "
		"SELECT id, $2, $3, $4::int FROM ok RETURNING id) "
		"SELECT (SELECT id FROM ins), wake_addr FROM ok", 4, p));
	return r ? queued(r, cid, wake, wakelen) : STORE_ERROR;
}

enum store_rc store_completion_result(struct store *s, long long cid, char **candidates)
{
	char ids[STORE_NUM_MAX];
	const char *p[1] = {ids};
	PGresult *r;
	enum store_rc rc = STORE_NOTFOUND;

	snprintf(ids, sizeof ids, "%lld", cid);
	r = store_run(s, "completion result", "SELECT candidates::text FROM completion "
		      "WHERE id = $1::bigint AND candidates IS NOT NULL", 1, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r)) {
		*candidates = strdup(PQgetvalue(r, 0, 0));
		rc = *candidates ? STORE_OK : STORE_ERROR;
	}
	PQclear(r);
	return rc;
}

