/* store_history.c - the history: reading all of it (GET /history...), and its end,
 * purging finished jobs older than keep-days. */
#include "store_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PURGE_CHUNKS "100"      /* log chunks removed per step (logchunk.h: 200,000
				   lines, 25 MiB at most) */
#define PURGE_JOBS "100"        /* jobs removed per step, with all that hangs off them */

/* Old: finished more than $1 days ago (batches, session drivers alike). */
#define OLD "b.finished_at < now() - $1::int * interval '1 day'"

static enum store_rc count_of(PGresult *r, long *removed)
{
	if (!r)
		return STORE_ERROR;
	*removed = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

enum store_rc store_purge_step(struct store *s, int keep_days, long *removed)
{
	char days[STORE_NUM_MAX];
	const char *p[1] = {days};
	enum store_rc rc;

	*removed = 0;
	snprintf(days, sizeof days, "%d", keep_days);
	/* the log of old jobs first, a bounded number of chunks at a time */
	rc = count_of(store_run(s, "purge log lines",
		"WITH x AS (SELECT l.batch_id, l.first_line FROM batch b JOIN batch_log_chunk l "
		"ON l.batch_id = b.id WHERE " OLD " LIMIT " PURGE_CHUNKS "), "
		"d AS (DELETE FROM batch_log_chunk l USING x WHERE l.batch_id = x.batch_id "
		"AND l.first_line = x.first_line RETURNING 1) SELECT count(*) FROM d", 1, p),
		removed);
	if (rc != STORE_OK || *removed > 0)
		return rc;
	/* the webhooks of old jobs' ends that are over (delivered or given up), with their
	 * deliveries and attempts */
	rc = count_of(store_run(s, "purge webhooks",
		"WITH old AS (SELECT e.id FROM hook_event e WHERE e.fanned_out AND e.created_at < "
		"now() - $1::int * interval '1 day' AND NOT EXISTS (SELECT 1 FROM hook_delivery d "
		"WHERE d.event_id = e.id AND d.delivered_at IS NULL AND d.gave_up_at IS NULL) "
		"LIMIT " PURGE_JOBS " FOR UPDATE SKIP LOCKED), "
		"dl AS (SELECT id FROM hook_delivery WHERE event_id IN (SELECT id FROM old)), "
		"a AS (DELETE FROM hook_attempt WHERE delivery_id IN (SELECT id FROM dl) RETURNING 1), "
		"d AS (DELETE FROM hook_delivery WHERE id IN (SELECT id FROM dl) RETURNING 1), "
		"e AS (DELETE FROM hook_event WHERE id IN (SELECT id FROM old) RETURNING 1) "
		"SELECT (SELECT count(*) FROM a) + (SELECT count(*) FROM d) + "
		"(SELECT count(*) FROM e)", 1, p), removed);
	if (rc != STORE_OK || *removed > 0)
		return rc;
	/* then the jobs whose lines are gone: their events, and for a session driver its
	 * session with its statements and completions (one statement: the foreign keys
	 * are checked at its end) */
	return count_of(store_run(s, "purge jobs",
		"WITH old AS (SELECT b.id FROM batch b WHERE " OLD " AND NOT EXISTS "
		"(SELECT 1 FROM batch_log_chunk l WHERE l.batch_id = b.id) ORDER BY b.finished_at "
		"LIMIT " PURGE_JOBS " FOR UPDATE SKIP LOCKED), "
		"ss AS (SELECT id FROM session WHERE driver_id IN (SELECT id FROM old)), "
		"st AS (DELETE FROM statement WHERE session_id IN (SELECT id FROM ss) RETURNING 1), "
		"co AS (DELETE FROM completion WHERE session_id IN (SELECT id FROM ss) RETURNING 1), "
		"se AS (DELETE FROM session WHERE id IN (SELECT id FROM ss) RETURNING 1), "
		"ev AS (DELETE FROM batch_event WHERE batch_id IN (SELECT id FROM old) RETURNING 1), "
		"jb AS (DELETE FROM batch WHERE id IN (SELECT id FROM old) RETURNING 1) "
		"SELECT (SELECT count(*) FROM st) + (SELECT count(*) FROM co) + "
		"(SELECT count(*) FROM se) + (SELECT count(*) FROM ev) + (SELECT count(*) FROM jb)",
		1, p), removed);
}

/* ---- reading it: GET /history ---- */

/* A time as the history shows it: UTC, ISO 8601, milliseconds. */
#define TIME(c) "to_char(" c " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* The filters of a page over one kind's rows (alias j, with kind, id, name, owner,
 * proxy_user, state): $1 kind, $2 state, $3 owner, $4 name pattern, $5 id, $6 view all,
 * $7 user.  Planned with its values: a filter left NULL folds away. */
#define FILTERS(KIND) "($1::text IS NULL OR $1 = " KIND ") " \
	"AND ($3::text IS NULL OR j.owner = $3) " \
	"AND ($4::text IS NULL OR j.name ILIKE $4 OR j.id = $5::bigint) " \
	"AND ($6::bool OR j.owner = $7 OR j.proxy_user = $7)"
#define STATE "($2::text IS NULL OR j.state = $2)"

#define ROW_COLUMNS "j.kind, j.id, j.name, j.owner, j.proxy_user, j.state, " \
	TIME("j.submitted_at") ", " TIME("j.finished_at") ", j.app_id"
enum { RC_KIND, RC_ID, RC_NAME, RC_OWNER, RC_PROXY, RC_STATE, RC_SUBMITTED, RC_FINISHED,
       RC_APP, RC_NEXT };

/* Every job as the reporting view has it (sql/004_report.sql), $8 from and $9 size
 * beside the filters.  The jobs matching are found by their keys (kind, id,
 * submitted_at) alone: the batches in table batch itself (the view's batches are its
 * rows but the session drivers, id >= 0, with their own columns), so that a page walks
 * the indexes of sql/009_history.sql and 010_history_speed.sql newest first and the
 * count reads indexes only (through the view's UNION ALL the planner would sort all of
 * them); the sessions, few, in report.jobs and its rule for their state (a state
 * filtered above the view: pushed into it, the planner misjudged the rule and walked
 * every batch row looking for a session's driver).  A page in the older half of the
 * jobs is read from the oldest end (a page near the end costs what one near the start
 * does), then every column of its jobs from report.jobs, one job at a time.  One
 * statement: the count and the page see the same jobs. */
#define LIST_SQL \
	"WITH b AS NOT MATERIALIZED (SELECT 'batch'::text AS kind, j.id, " \
	"j.created_at AS submitted_at FROM batch j WHERE j.id >= 0 AND " STATE " AND " \
	FILTERS("'batch'") "), " \
	"s AS NOT MATERIALIZED (SELECT j.kind, j.id, j.submitted_at FROM (SELECT kind, id, " \
	"state, submitted_at FROM report.jobs j WHERE j.kind = 'session' AND " \
	FILTERS("'session'") " OFFSET 0) j WHERE " STATE "), " \
	"t AS MATERIALIZED (SELECT (SELECT count(*) FROM b) + (SELECT count(*) FROM s) AS total), " \
	"k AS MATERIALIZED ((" \
	"SELECT * FROM ((SELECT * FROM b ORDER BY submitted_at DESC, id DESC " \
	"LIMIT $8::bigint + $9::bigint) UNION ALL (SELECT * FROM s " \
	"ORDER BY submitted_at DESC, id DESC LIMIT $8::bigint + $9::bigint)) n " \
	"WHERE $8::bigint <= (SELECT total FROM t) / 2 " \
	"ORDER BY submitted_at DESC, id DESC, kind DESC OFFSET $8::bigint LIMIT $9::bigint) " \
	"UNION ALL (" \
	"SELECT * FROM ((SELECT * FROM b ORDER BY submitted_at, id " \
	"LIMIT greatest((SELECT total FROM t) - $8::bigint, 0)) UNION ALL (SELECT * FROM s " \
	"ORDER BY submitted_at, id LIMIT greatest((SELECT total FROM t) - $8::bigint, 0))) o " \
	"WHERE $8::bigint > (SELECT total FROM t) / 2 ORDER BY submitted_at, id, kind " \
	"OFFSET greatest((SELECT total FROM t) - $8::bigint - $9::bigint, 0) " \
	"LIMIT least($9::bigint, greatest((SELECT total FROM t) - $8::bigint, 0)))) " \
	"SELECT " ROW_COLUMNS ", t.total FROM t LEFT JOIN (k CROSS JOIN LATERAL " \
	"(SELECT kind, id, name, owner, proxy_user, state, submitted_at, finished_at, app_id " \
	"FROM report.jobs r WHERE r.kind = k.kind AND r.id = k.id OFFSET 0) j) ON true " \
	"ORDER BY j.submitted_at DESC, j.id DESC, j.kind DESC"

static void read_row(PGresult *r, int i, struct store_history_row *o)
{
	o->kind = store_col(r, i, RC_KIND);
	o->id = atoll(PQgetvalue(r, i, RC_ID));
	o->name = store_col(r, i, RC_NAME);
	o->owner = store_col(r, i, RC_OWNER);
	o->proxy_user = store_col(r, i, RC_PROXY);
	o->state = store_col(r, i, RC_STATE);
	o->submitted = store_col(r, i, RC_SUBMITTED);
	o->finished = store_col(r, i, RC_FINISHED);
	o->app_id = store_col(r, i, RC_APP);
}

/* The rows of r (a row of NULLs but the total when the page is empty) into out. */
static enum store_rc fill_page(PGresult *r, struct store_history_page *out)
{
	int n = PQgetisnull(r, 0, RC_KIND) ? 0 : PQntuples(r);

	out->res = r;
	out->total = atol(PQgetvalue(r, 0, RC_NEXT));
	out->n = n;
	if (n == 0)
		return STORE_OK;
	out->v = calloc((size_t)n, sizeof *out->v);
	if (!out->v) {
		log_error("database: history list: out of memory");
		store_history_page_free(out);
		return STORE_ERROR;
	}
	for (int i = 0; i < n; i++)
		read_row(r, i, &out->v[i]);
	return STORE_OK;
}

enum store_rc store_history_list(struct store *s, const struct store_history_query *q,
				 struct store_history_page *out)
{
	char from[STORE_NUM_MAX], size[STORE_NUM_MAX];
	const char *p[9] = {q->kind, q->state, q->owner, q->like, q->id,
			    q->view_all ? "true" : "false", q->user ? q->user : "", from, size};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(from, sizeof from, "%ld", q->from);
	snprintf(size, sizeof size, "%d", q->size);
	r = store_run_planned(s, "history list", LIST_SQL, 9, p);
	if (!r)
		return STORE_ERROR;
	return fill_page(r, out);
}

void store_history_page_free(struct store_history_page *p)
{
	PQclear(p->res);
	free(p->v);
	memset(p, 0, sizeof *p);
}

/* The job $2 of kind $1 with its events, one row each (one row of NULL events when
 * it has none), oldest first.  job_id: the row holding the events and the log lines
 * (a session's driver). */
#define JOB_SQL \
	"SELECT " ROW_COLUMNS ", j.queue, " TIME("j.started_at") ", j.reason, " \
	"round(j.duration_s::numeric, 3)::text, j.session_kind, d.spark_ui_url, " \
	"d.driver_log_url, d.id, d.log_lines, " \
	"e.from_state, e.to_state, " TIME("e.at") ", e.reason " \
	"FROM (SELECT j.*, coalesce(s.driver_id, j.id) AS job_id FROM report.jobs j " \
	"LEFT JOIN session s ON j.kind = 'session' AND s.id = j.id " \
	"WHERE j.kind = $1 AND j.id = $2::bigint) j JOIN batch d ON d.id = j.job_id " \
	"LEFT JOIN batch_event e ON e.batch_id = j.job_id ORDER BY e.at"
enum { JC_QUEUE = RC_NEXT, JC_STARTED, JC_REASON, JC_DURATION, JC_SESSION_KIND, JC_UI,
       JC_LOG_URL, JC_LOG_ID, JC_LOG_LINES, JC_NEXT };
enum { EC_FROM = JC_NEXT, EC_TO, EC_AT, EC_REASON };

enum store_rc store_history_job(struct store *s, bool session, long long id,
				struct store_history_job *out)
{
	char ids[STORE_NUM_MAX];
	const char *p[2] = {session ? "session" : "batch", ids};
	PGresult *r;
	int n;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	r = store_run(s, "history job", JOB_SQL, 2, p);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	if (PQntuples(r) == 0) {
		store_history_job_free(out);
		return STORE_NOTFOUND;
	}
	read_row(r, 0, &out->job);
	out->queue = store_col(r, 0, JC_QUEUE);
	out->started = store_col(r, 0, JC_STARTED);
	out->reason = store_col(r, 0, JC_REASON);
	out->duration_s = store_col(r, 0, JC_DURATION);
	out->session_kind = store_col(r, 0, JC_SESSION_KIND);
	out->spark_ui_url = store_col(r, 0, JC_UI);
	out->driver_log_url = store_col(r, 0, JC_LOG_URL);
	out->log_id = atoll(PQgetvalue(r, 0, JC_LOG_ID));
	out->log_lines = atol(PQgetvalue(r, 0, JC_LOG_LINES));
	n = PQgetisnull(r, 0, EC_TO) ? 0 : PQntuples(r);
	out->events = calloc((size_t)n + 1, sizeof *out->events);
	if (!out->events) {
		log_error("database: history job: out of memory");
		store_history_job_free(out);
		return STORE_ERROR;
	}
	for (int i = 0; i < n; i++)
		out->events[i] = (struct store_history_event){
			store_col(r, i, EC_FROM), store_col(r, i, EC_TO), store_col(r, i, EC_AT),
			store_col(r, i, EC_REASON)};
	out->n = n;
	return STORE_OK;
}

void store_history_job_free(struct store_history_job *j)
{
	PQclear(j->res);
	free(j->events);
	memset(j, 0, sizeof *j);
}
