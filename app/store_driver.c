/* store_driver.c - session drivers: their secret, their syncs, the warm pool, expiry. */
#include "store_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_FAILURES_MAX "3"       /* pooled drivers dying within POOL_FAILURE_WINDOW ... */
#define POOL_FAILURE_WINDOW "60"    /* ... seconds stop the refill until they age out */
#define SYNC_STATEMENTS_MAX "100"   /* statements handed to a driver per sync */
#define COMPLETION_TTL "30"         /* seconds a completion request waits for a driver */

/* Results of statements ($2's "results"), applied along a statement's transitions only
 * (waiting or running -> available; waiting -> running; cancelling, or a driver's own
 * cancel -> cancelled): a
 * repeated or late result changes nothing.  A finished statement is activity. */
static int apply_results(struct store *s, const char *session, const char *body)
{
	const char *p[2] = {session, body};
	PGresult *r = store_run(s, "statement results",
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
	PGresult *r = store_run(s, "completion results",
		"UPDATE completion c SET candidates = x.candidates::jsonb "
		"FROM json_to_recordset(($2::json)->'completions') AS x(id bigint, candidates json) "
		"WHERE c.id = x.id AND c.session_id = $1::bigint AND c.candidates IS NULL", 2, p);

	PQclear(r);
	return r ? 0 : -1;
}

enum store_rc store_driver_known(struct store *s, const char *secret)
{
	const char *p[1] = {secret};
	PGresult *r = store_run(s, "driver known",
		"SELECT 1 FROM batch WHERE secret_hash = sha256(convert_to($1, 'UTF8')) "
		"AND state IN ('starting', 'running')", 1, p);
	int n;

	if (!r)
		return STORE_ERROR;
	n = PQntuples(r);
	PQclear(r);
	return n > 0 ? STORE_OK : STORE_NOTFOUND;
}

enum store_rc store_driver_sync(struct store *s, const struct store_sync *y, char **answer)
{
	const char *p[4] = {y->secret};
	char driver[STORE_NUM_MAX], session[STORE_NUM_MAX] = "", stop[STORE_NUM_MAX];
	PGresult *r;

	if (store_begin(s) < 0)
		return STORE_ERROR;
	/* who is it: nothing of the body is read before the secret matched */
	r = store_run(s, "driver sync",
		"SELECT b.id, (SELECT s.id FROM session s WHERE s.driver_id = b.id), "
		"b.deleted_at IS NOT NULL FROM batch b WHERE b.secret_hash = "
		"sha256(convert_to($1, 'UTF8')) AND b.state IN ('starting', 'running') FOR UPDATE", 1, p);
	if (!r)
		goto fail;
	if (PQntuples(r) == 0) {
		PQclear(r);
		store_rollback(s);
		return STORE_NOTFOUND;
	}
	store_copy_col(r, 0, driver, sizeof driver);
	store_copy_col(r, 1, session, sizeof session);
	snprintf(stop, sizeof stop, "%s", PQgetvalue(r, 0, 2));
	PQclear(r);
	p[0] = driver;
	p[1] = y->body;
	p[2] = y->peer;
	r = store_run(s, "driver state",
		"UPDATE batch SET repl_state = CASE WHEN j->>'state' IN ('idle', 'busy', 'error') "
		"THEN j->>'state' ELSE 'busy' END, wake_addr = CASE WHEN $3::text IS NOT NULL AND "
		"j->>'wake_port' ~ '^[0-9]{1,5}$' THEN $3 || ':' || (j->>'wake_port') || "
		"CASE WHEN j->>'wake_token' ~ '^[0-9a-f]{32}$' THEN '/' || (j->>'wake_token') "
		"ELSE '' END ELSE wake_addr END, "
		/* the secret handed over is replaced at the driver's first sync by one it
		 * made (copies of the first may lie in a cluster's file caches) */
		"secret_hash = CASE WHEN j->>'rekey' ~ '^[0-9a-f]{64}$' THEN "
		"sha256(convert_to(j->>'rekey', 'UTF8')) ELSE secret_hash END, "
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
	r = store_run(s, "driver work",
		"WITH j AS (SELECT $2::json AS j), "
		"n AS (SELECT CASE WHEN j->>'next' ~ '^[0-9]{1,9}$' THEN (j->>'next')::int ELSE 0 END "
		"AS next, ARRAY(SELECT v::int FROM json_array_elements_text(CASE WHEN "
		"json_typeof(j->'pending') = 'array' THEN j->'pending' ELSE '[]' END) v "
		"WHERE v ~ '^[0-9]{1,9}$') AS pending FROM j) "
		"SELECT json_build_object('session', $1::bigint, "
		"'statements', COALESCE((SELECT json_agg(json_build_object('id', id, 'code', code, "
		"'kind', kind) ORDER BY id) FROM (SELECT id, code, kind FROM statement, n "
		"WHERE session_id = $1::bigint AND state = 'waiting' AND id >= n.next "
		"ORDER BY id LIMIT " SYNC_STATEMENTS_MAX ") w), '[]'), "
		"'cancel', COALESCE((SELECT json_agg(id) FROM statement, n WHERE session_id = $1::bigint "
		"AND id = ANY(n.pending) AND state IN ('cancelling', 'cancelled')), '[]'), "
		"'completions', COALESCE((SELECT json_agg(json_build_object('id', id, 'code', code, "
		"'kind', kind, 'cursor', cursor_pos)) FROM completion WHERE session_id = $1::bigint "
		"AND candidates IS NULL AND created_at > now() - interval '" COMPLETION_TTL " seconds'), '[]'), "
		"'stop', $3::bool)::text", 3, p);
	if (!r)
		goto fail;
	*answer = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (!*answer || store_commit(s) < 0) {
		free(*answer);
		*answer = NULL;
		goto fail;
	}
	return STORE_OK;
fail:
	store_rollback(s);
	return STORE_ERROR;
}

enum store_rc store_driver_secret(struct store *s, long long id, const char *owner,
				  const char *secret)
{
	char ids[STORE_NUM_MAX];
	const char *p[3] = {ids, owner, secret};

	snprintf(ids, sizeof ids, "%lld", id);
	return store_run_one(s, "driver secret", "UPDATE batch SET secret_hash = "
			     "sha256(convert_to($3, 'UTF8')) WHERE id = $1::bigint AND "
			     "lease_owner = $2 AND state = 'starting'", 3, p);
}

/* Retire pooled drivers whose arguments are not argv_json or that are more than
 * want (their monitors stop them). */
static enum store_rc pool_retire(struct store *s, const char *pool, long want,
				 const char *argv_json)
{
	char wants[STORE_NUM_MAX];
	const char *p[3] = {pool, argv_json, wants};
	PGresult *r;

	snprintf(wants, sizeof wants, "%ld", want);
	r = store_run(s, "pool retire",
		"WITH p AS (SELECT id, argv <> $2::jsonb AS outdated, row_number() OVER "
		"(ORDER BY argv <> $2::jsonb, repl_state = 'idle' DESC NULLS LAST, id) AS n "
		"FROM batch WHERE pool = $1 AND state IN ('starting', 'running') "
		"AND deleted_at IS NULL), "
		"x AS (UPDATE batch b SET deleted_at = now(), pool = NULL FROM p WHERE b.id = p.id "
		"AND (p.outdated OR p.n > $3::int) RETURNING b.id, p.outdated) "
		"SELECT id, outdated, pg_notify('" STORE_CHANNEL "', id::text) FROM x", 3, p);
	if (!r)
		return STORE_ERROR;
	for (int i = 0; i < PQntuples(r); i++)
		log_info("driver %s: retired from pool %s (%s)", PQgetvalue(r, i, 0) + 1, pool,
			 !strcmp(PQgetvalue(r, i, 1), "t") ? "its arguments are outdated"
							   : "more than tacitus.session.warm-pool");
	PQclear(r);
	return STORE_OK;
}

/* The pool's drivers starting or running (*have), and whether too many of its
 * drivers died lately (a broken Spark: then no refill for a while). */
static enum store_rc pool_count(struct store *s, const char *pool, long *have, bool *failing)
{
	const char *p[1] = {pool};
	PGresult *r = store_run(s, "pool count",
		"SELECT (SELECT count(*) FROM batch WHERE pool = $1 AND state IN ('starting', 'running') "
		"AND deleted_at IS NULL), (SELECT count(*) >= " POOL_FAILURES_MAX " FROM batch "
		"WHERE pool = $1 AND state IN ('dead', 'success') AND finished_at > now() - interval '"
		POOL_FAILURE_WINDOW " seconds')", 1, p);

	if (!r)
		return STORE_ERROR;
	*have = atol(PQgetvalue(r, 0, 0));
	*failing = !strcmp(PQgetvalue(r, 0, 1), "t");
	PQclear(r);
	return STORE_OK;
}

/* Inside the admission transaction: retire, count, add. */
static enum store_rc pool_fill(struct store *s, const char *pool, long want,
			       const char *argv_json, const struct cfg *c, int *added)
{
	long live, have;
	bool failing;
	long long id;

	if (store_admission(s, c, NULL, &live) != STORE_OK ||
	    pool_retire(s, pool, want, argv_json) != STORE_OK ||
	    pool_count(s, pool, &have, &failing) != STORE_OK)
		return STORE_ERROR;
	if (failing)
		want = 0;
	for (; have + *added < want && live + *added < c->max_creation; (*added)++) {
		if (store_insert_driver(s, NULL, NULL, "{\"kind\": \"pyspark\"}", argv_json, pool,
					NULL, "warm pool", &id) != STORE_OK)
			return STORE_ERROR;
		log_info("driver %lld: started for the warm pool %s", -id, pool);
	}
	return STORE_OK;
}

enum store_rc store_pool_refill(struct store *s, const char *pool, long want,
				const char *argv_json, const struct cfg *c, int *added)
{
	*added = 0;
	if (store_begin(s) < 0)
		return STORE_ERROR;
	if (pool_fill(s, pool, want, argv_json, c, added) == STORE_OK && store_commit(s) == 0)
		return STORE_OK;
	store_rollback(s);
	*added = 0;
	return STORE_ERROR;
}

enum store_rc store_session_expire(struct store *s, const struct cfg *c, int *stopped)
{
	char idle[STORE_NUM_MAX], ttl[STORE_NUM_MAX], silence[STORE_NUM_MAX];
	const char *p[6] = {c->timeout_check ? "t" : "f", idle, c->timeout_skip_busy ? "t" : "f",
			    c->ttl_check ? "t" : "f", ttl, silence};
	PGresult *r;

	*stopped = 0;
	snprintf(idle, sizeof idle, "%lld", c->session_timeout_ms);
	snprintf(ttl, sizeof ttl, "%lld", c->session_ttl_ms);
	snprintf(silence, sizeof silence, "%lld", c->driver_silence_ms);
	r = store_run(s, "session expiry",
		"WITH x AS (SELECT s.id, s.driver_id, CASE "
		"WHEN $6::bigint > 0 AND b.seen_at < now() - $6::bigint * interval '1 millisecond' "
		"  THEN 'its driver has not synced for ' || $6::bigint / 1000 || ' s "
		"(tacitus.session.driver-silence)' "
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
		"SELECT y.id, y.stop_reason, pg_notify('" STORE_CHANNEL "', y.driver_id::text) FROM y",
		6, p);
	if (!r)
		return STORE_ERROR;
	*stopped = PQntuples(r);
	for (int i = 0; i < *stopped; i++)
		log_info("session %s: stopping: %s", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1));
	PQclear(r);
	return STORE_OK;
}
