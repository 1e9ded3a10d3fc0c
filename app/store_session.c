/* store_session.c - the sessions API's SQL: create (with a warm driver when one fits),
 * get, list, heartbeat, activity, stop. */
#include "store_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_LIST_SQL_MAX 2048  /* the list's statement, its retain time written in */

#define STOP_REASON_MAX 300

/* The visible-session filter over session s joined with its driver b. */
#define SESSION_VISIBLE(R) "s.deleted_at IS NULL AND (b.finished_at IS NULL OR " \
	"b.finished_at > now() - " R "::int * interval '1 second')"

#define SESSION_STATE "CASE WHEN b.finished_at IS NOT NULL THEN 'dead' " \
	"WHEN b.deleted_at IS NOT NULL THEN 'shutting_down' " \
	"WHEN b.state = 'running' AND b.repl_state IS NOT NULL THEN b.repl_state " \
	"ELSE 'starting' END"

/* The columns of a session as the API shows it, in this order (enum scol). */
#define SESSION_HEAD "s.id, s.name, s.owner, s.proxy_user, " SESSION_STATE ", s.kind, " \
	"b.app_id, b.spark_ui_url, b.driver_log_url, b.log_lines, s.request::text, " \
	"s.driver_id, s.heartbeat_sec, b.push_seq, "
#define SESSION_COLUMNS SESSION_HEAD "b.log_tail"
#define SESSION_COLUMNS_NO_LOG SESSION_HEAD "''"

enum scol {
	SC_ID, SC_NAME, SC_OWNER, SC_PROXY_USER, SC_STATE, SC_KIND, SC_APP_ID, SC_SPARK_UI_URL,
	SC_DRIVER_LOG_URL, SC_LOG_LINES, SC_REQUEST, SC_DRIVER_ID, SC_HEARTBEAT_SEC, SC_PUSH_SEQ,
	SC_LOG_TAIL,
	SC_TOTAL                    /* lists only: the number of visible sessions */
};

static void fill_sessions(PGresult *r, struct store_sessions *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_session *x = &out->v[i];
		x->id = atoll(PQgetvalue(r, i, SC_ID));
		x->name = store_col(r, i, SC_NAME);
		x->owner = store_col(r, i, SC_OWNER);
		x->proxy_user = store_col(r, i, SC_PROXY_USER);
		x->state = PQgetvalue(r, i, SC_STATE);
		x->kind = PQgetvalue(r, i, SC_KIND);
		x->app_id = store_col(r, i, SC_APP_ID);
		x->spark_ui_url = store_col(r, i, SC_SPARK_UI_URL);
		x->driver_log_url = store_col(r, i, SC_DRIVER_LOG_URL);
		x->log_lines = atol(PQgetvalue(r, i, SC_LOG_LINES));
		x->request = PQgetvalue(r, i, SC_REQUEST);
		x->driver_id = atoll(PQgetvalue(r, i, SC_DRIVER_ID));
		x->heartbeat_sec = atoi(PQgetvalue(r, i, SC_HEARTBEAT_SEC));
		x->push_seq = atol(PQgetvalue(r, i, SC_PUSH_SEQ));
		x->log_tail = PQgetvalue(r, i, SC_LOG_TAIL);
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

enum store_rc store_insert_driver(struct store *s, const char *owner, const char *proxy_user,
				  const char *request_json, const char *argv_json,
				  const char *pool, const char *tracker, const char *reason,
				  long long *id)
{
	const char *p[7] = {owner, proxy_user, request_json, argv_json, pool, reason,
			    tracker ? tracker : "local"};
	PGresult *r = store_run(s, "driver insert",
		"WITH b AS (INSERT INTO batch (id, owner, proxy_user, request, argv, pool, tracker) "
		"VALUES (-nextval('driver_id_seq'), $1, $2, $3::jsonb, $4::jsonb, $5, $7) "
		"RETURNING id), "
		"e AS (INSERT INTO batch_event (batch_id, to_state, actor, reason) "
		"SELECT id, 'starting', $1, $6 FROM b) "
		"SELECT id, pg_notify('" STORE_CHANNEL "', id::text) FROM b", 7, p);

	if (!r)
		return STORE_ERROR;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

/* Take a pooled driver with the pool's arguments, idle ones first; 0 = none. */
static enum store_rc take_warm(struct store *s, const struct store_new_session *ns,
			       long long *driver)
{
	const char *p[4] = {ns->pool, ns->pool_argv_json, ns->owner, ns->proxy_user};
	PGresult *r = store_run(s, "warm driver",
		"UPDATE batch SET pool = NULL, owner = $3, proxy_user = $4 WHERE id = "
		"(SELECT id FROM batch WHERE pool = $1 AND state IN ('starting', 'running') "
		"AND deleted_at IS NULL AND argv = $2::jsonb "
		"ORDER BY repl_state = 'idle' DESC NULLS LAST, id LIMIT 1 FOR UPDATE) "
		"RETURNING id, pg_notify('" STORE_CHANNEL "', 'pool')", 4, p);

	if (!r)
		return STORE_ERROR;
	*driver = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
	PQclear(r);
	return STORE_OK;
}

/* The session holding `name` among those whose driver still runs: its id, or -1. */
static enum store_rc name_holder(struct store *s, const char *name, const struct cfg *c,
				 long long *holder)
{
	char retain[STORE_NUM_MAX];
	const char *p[2] = {name, retain};
	PGresult *r;

	*holder = -1;
	if (!name)
		return STORE_OK;
	store_retain(c, retain);
	r = store_run(s, "session name",
		"SELECT s.id FROM session s JOIN batch b ON b.id = s.driver_id WHERE s.name = $1 "
		"AND b.finished_at IS NULL AND " SESSION_VISIBLE("$2") " LIMIT 1", 2, p);
	if (!r)
		return STORE_ERROR;
	*holder = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : -1;
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

static enum store_rc insert_session(struct store *s, const struct store_new_session *ns,
				    long long driver, long long *id)
{
	char drv[STORE_NUM_MAX], hb[STORE_NUM_MAX], idle[STORE_NUM_MAX], ttl[STORE_NUM_MAX];
	const char *p[9] = {ns->name, ns->owner, ns->proxy_user, ns->kind, ns->request_json, drv, hb,
			    ms_or_null(ns->idle_timeout_ms, idle, sizeof idle),
			    ms_or_null(ns->ttl_ms, ttl, sizeof ttl)};
	PGresult *r;

	snprintf(drv, sizeof drv, "%lld", driver);
	snprintf(hb, sizeof hb, "%d", ns->heartbeat_sec);
	r = store_run(s, "session insert",
		"INSERT INTO session (name, owner, proxy_user, kind, request, driver_id, heartbeat_sec, "
		"idle_timeout_ms, ttl_ms) VALUES ($1, $2, $3, $4, $5::jsonb, $6::bigint, $7::int, "
		"$8::bigint, $9::bigint) RETURNING id", 9, p);
	if (!r)
		return STORE_ERROR;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

/* Inside the admission transaction: the session's driver, warm (*warm) or new. */
static enum store_rc find_driver(struct store *s, const struct store_new_session *ns,
				 const struct cfg *c, long live, long long *driver, bool *warm)
{
	*driver = 0;
	if (ns->pool && take_warm(s, ns, driver) != STORE_OK)
		return STORE_ERROR;
	*warm = *driver != 0;
	if (*warm)
		return STORE_OK;
	if (live >= c->max_creation)
		return STORE_TOO_MANY;
	return store_insert_driver(s, ns->owner, ns->proxy_user, ns->request_json, ns->argv_json,
				   NULL, ns->tracker, "POST /sessions", driver);
}

enum store_rc store_session_create(struct store *s, const struct store_new_session *ns,
				   const struct cfg *c, long long *id, bool *warm)
{
	enum store_rc rc = STORE_ERROR, admitted;
	long long driver = 0, holder = -1;
	long live;

	*warm = false;
	*id = -1;
	if (store_begin(s) < 0)
		return STORE_ERROR;
	admitted = store_admission(s, c, ns->owner, &live);
	if (admitted != STORE_ERROR && (rc = name_holder(s, ns->name, c, &holder)) == STORE_OK) {
		if (holder >= 0) {
			*id = holder;
			rc = STORE_DUPLICATE;
		} else if (admitted != STORE_OK) {
			rc = admitted;          /* a warm driver would run for this user too */
		} else if ((rc = find_driver(s, ns, c, live, &driver, warm)) == STORE_OK) {
			rc = insert_session(s, ns, driver, id);
		}
	}
	if (rc == STORE_OK && store_commit(s) < 0)
		rc = STORE_ERROR;
	if (rc != STORE_OK) {
		*warm = false;
		store_rollback(s);
	}
	return rc;
}

enum store_rc store_session_get(struct store *s, const char *key, bool with_log,
				const struct cfg *c, struct store_sessions *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = with_log
		? store_by_key(s, "session get", key, c,
			"SELECT " SESSION_COLUMNS " FROM session s JOIN batch b ON b.id = s.driver_id "
			"WHERE s.id = $1::bigint AND " SESSION_VISIBLE("$2"),
			"SELECT " SESSION_COLUMNS " FROM session s JOIN batch b ON b.id = s.driver_id "
			"WHERE s.name = $1 AND " SESSION_VISIBLE("$2") " ORDER BY s.id DESC LIMIT 1")
		: store_by_key(s, "session get", key, c,
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

/* The list's statement (store_fixed_sql): the visible set first, then the page; the
 * total rides on every row, and on a row of NULLs when the page is empty. */
static const char *session_list_sql(const struct cfg *c)
{
	static char sql[SESSION_LIST_SQL_MAX];

	return sql[0] ? sql : store_fixed_sql(sql, sizeof sql, "session list", snprintf(sql,
		sizeof sql, "WITH v AS MATERIALIZED (SELECT s.id FROM session s JOIN batch b ON b.id = s.driver_id "
		"WHERE " SESSION_VISIBLE("%ld") "), "
		"page AS (SELECT id FROM v ORDER BY id OFFSET $1::bigint LIMIT $2::bigint) "
		"SELECT " SESSION_COLUMNS ", t.total FROM (SELECT count(*) AS total FROM v) t "
		"LEFT JOIN (page JOIN session s USING (id) JOIN batch b ON b.id = s.driver_id) ON true "
		"ORDER BY s.id", c->state_retain_sec));
}

enum store_rc store_session_list(struct store *s, long from, long size, const struct cfg *c,
				 struct store_sessions *out)
{
	const char *sql = session_list_sql(c);
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = sql ? store_page_fixed(s, "session list", sql, from, size) : NULL;
	if (!r)
		return STORE_ERROR;
	out->total = atol(PQgetvalue(r, 0, SC_TOTAL));
	if (PQgetisnull(r, 0, SC_ID)) {
		out->res = r;
		return STORE_OK;
	}
	fill_sessions(r, out);
	return STORE_OK;
}

/* One UPDATE of session id without rows back. */
static enum store_rc update_one(struct store *s, const char *what, const char *sql, long long id)
{
	char ids[STORE_NUM_MAX];
	const char *p[1] = {ids};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	r = store_run(s, what, sql, 1, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

enum store_rc store_session_touch(struct store *s, long long id)
{
	return update_one(s, "heartbeat", "UPDATE session SET heartbeat_at = now() "
			  "WHERE id = $1::bigint AND heartbeat_sec > 0", id);
}

enum store_rc store_session_activity(struct store *s, long long id)
{
	return update_one(s, "session activity", "UPDATE session SET activity_at = now(), "
			  "heartbeat_at = now() WHERE id = $1::bigint", id);
}

enum store_rc store_session_delete(struct store *s, long long id, const char *request,
				   const char *actor, bool hide)
{
	char ids[STORE_NUM_MAX], reason[STOP_REASON_MAX];
	const char *p[3] = {ids, reason, hide ? "t" : "f"};
	PGresult *r;
	int n;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(reason, sizeof reason, "%s by %s", request, actor ? actor : "-");
	r = store_run(s, "session delete",
		"WITH x AS (UPDATE session SET deleted_at = CASE WHEN $3::bool THEN now() END, "
		"stop_reason = COALESCE(stop_reason, $2) WHERE id = $1::bigint AND deleted_at IS NULL "
		"RETURNING driver_id), "
		"k AS (UPDATE batch b SET deleted_at = COALESCE(b.deleted_at, now()) FROM x "
		"WHERE b.id = x.driver_id RETURNING b.id) "
		"SELECT (SELECT count(*) FROM x), (SELECT pg_notify('" STORE_CHANNEL "', id::text) "
		"FROM k)", 3, p);
	if (!r)
		return STORE_ERROR;
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n ? STORE_OK : STORE_NOTFOUND;
}

enum store_rc store_push_job(struct store *s, long long job, long retain_s,
			     struct store_push_job *out)
{
	char ids[STORE_NUM_MAX], retain[STORE_NUM_MAX];
	const char *p[2] = {ids, retain};
	enum store_rc rc = STORE_NOTFOUND;
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", job);
	snprintf(retain, sizeof retain, "%ld", retain_s);
	r = store_run(s, "push job", "SELECT s.id IS NOT NULL, coalesce(s.id, b.id), "
		      "CASE WHEN s.id IS NULL THEN b.state ELSE " SESSION_STATE " END, "
		      "CASE WHEN s.id IS NULL THEN " STORE_VISIBLE("$2") " ELSE "
		      SESSION_VISIBLE("$2") " END "
		      "FROM batch b LEFT JOIN session s ON s.driver_id = b.id "
		      "WHERE b.id = $1::bigint AND (b.id >= 0 OR s.id IS NOT NULL)", 2, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r) == 1) {
		out->session = PQgetvalue(r, 0, 0)[0] == 't';
		out->id = atoll(PQgetvalue(r, 0, 1));
		snprintf(out->state, sizeof out->state, "%s", PQgetvalue(r, 0, 2));
		out->visible = PQgetvalue(r, 0, 3)[0] == 't';
		rc = STORE_OK;
	}
	PQclear(r);
	return rc;
}

enum store_rc store_push_recent(struct store *s, long window_s,
				void (*fn)(const struct store_push_recent *r, void *arg), void *arg)
{
	char win[STORE_NUM_MAX];
	const char *p[1] = {win};
	PGresult *r;

	snprintf(win, sizeof win, "%ld", window_s);
	r = store_run(s, "push catch-up",
		"WITH j AS (SELECT id FROM batch WHERE finished_at IS NULL "
		"UNION SELECT id FROM batch WHERE finished_at > now() - make_interval(secs => $1::int)) "
		"SELECT 'j', b.id, b.push_seq, NULL, b.finished_at IS NOT NULL "
		"FROM j JOIN batch b USING (id) WHERE b.push_seq > 0 "
		"UNION ALL "
		"SELECT 't', t.session_id, t.id, t.state, false FROM j JOIN session s ON s.driver_id = j.id "
		"JOIN statement t ON t.session_id = s.id WHERE t.state <> 'waiting'", 1, p);
	if (!r)
		return STORE_ERROR;
	for (int i = 0; i < PQntuples(r); i++) {
		struct store_push_recent x = {
			.kind = PQgetvalue(r, i, 0)[0],
			.id = atoll(PQgetvalue(r, i, 1)),
			.seq = atol(PQgetvalue(r, i, 2)),
			.state = PQgetvalue(r, i, 3),
			.finished = PQgetvalue(r, i, 4)[0] == 't',
		};
		fn(&x, arg);
	}
	PQclear(r);
	return STORE_OK;
}
