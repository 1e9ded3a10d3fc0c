/* store_job.c - the monitor's SQL: leases, claims, take-over, launches, log appends, and
 * the one guarded state change of a job. */
#include "store_int.h"
#include "leasewatch.h"
#include "log.h"
#include "logchunk.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define TAIL_LINES_SQL "9"      /* STORE_LOG_TAIL_LINES */

#define REASON_MAX 96

/* The columns of a job as the monitor sees it, in this order (enum jcol). */
#define JOB_COLUMNS "b.id, b.argv::text, b.job_dir, b.host, b.boot_id, b.pid, b.pid_start, " \
	"b.out_offset, b.err_offset, b.log_lines, b.deleted_at IS NOT NULL, " \
	"COALESCE(extract(epoch FROM now() - b.kill_sent_at), -1), b.state, " \
	"(SELECT stop_reason FROM session WHERE driver_id = b.id), b.tracker, b.yarn_tag, " \
	"b.app_id, b.spark_ui_url, COALESCE(b.exit_code, -1), " \
	"COALESCE(extract(epoch FROM now() - b.launched_at), -1), b.am_out_offset, b.am_err_offset, " \
	"b.driver_log_url, b.submit_tried_at IS NOT NULL"

enum jcol {
	JC_ID, JC_ARGV, JC_JOB_DIR, JC_HOST, JC_BOOT_ID, JC_PID, JC_PID_START, JC_OUT_OFFSET,
	JC_ERR_OFFSET, JC_LOG_LINES, JC_DELETED, JC_KILL_AGE, JC_STATE, JC_STOP_REASON,
	JC_TRACKER, JC_YARN_TAG, JC_APP_ID, JC_UI_URL, JC_EXIT_CODE, JC_LAUNCH_AGE,
	JC_AM_OUT_OFFSET, JC_AM_ERR_OFFSET, JC_LOG_URL, JC_SUBMIT_TRIED,
	JC_PREV_OWNER               /* take-overs only: after JOB_COLUMNS */
};

/* Rows of batch with a negative id are session drivers ("driver 3" is id -3). */
#define JOB_KIND(id) ((id) < 0 ? "driver" : "batch")
#define JOB_NUMBER(id) ((id) < 0 ? -(id) : (id))

static void fill_jobs(PGresult *r, struct store_jobs *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_job *j = &out->v[i];
		j->id = atoll(PQgetvalue(r, i, JC_ID));
		j->argv_json = store_col(r, i, JC_ARGV);
		j->job_dir = store_col(r, i, JC_JOB_DIR);
		j->host = store_col(r, i, JC_HOST);
		j->boot_id = store_col(r, i, JC_BOOT_ID);
		j->pid = (pid_t)atol(PQgetvalue(r, i, JC_PID));
		j->pid_start = atoll(PQgetvalue(r, i, JC_PID_START));
		j->out_offset = atoll(PQgetvalue(r, i, JC_OUT_OFFSET));
		j->err_offset = atoll(PQgetvalue(r, i, JC_ERR_OFFSET));
		j->log_lines = atol(PQgetvalue(r, i, JC_LOG_LINES));
		j->deleted = !strcmp(PQgetvalue(r, i, JC_DELETED), "t");
		j->kill_age = atof(PQgetvalue(r, i, JC_KILL_AGE));
		j->state = PQgetvalue(r, i, JC_STATE);
		j->stop_reason = store_col(r, i, JC_STOP_REASON);
		j->tracker = PQgetvalue(r, i, JC_TRACKER);
		j->yarn_tag = store_col(r, i, JC_YARN_TAG);
		j->app_id = store_col(r, i, JC_APP_ID);
		j->ui_url = store_col(r, i, JC_UI_URL);
		j->exit_code = atoi(PQgetvalue(r, i, JC_EXIT_CODE));
		j->launch_age = atof(PQgetvalue(r, i, JC_LAUNCH_AGE));
		j->am_out_offset = atoll(PQgetvalue(r, i, JC_AM_OUT_OFFSET));
		j->am_err_offset = atoll(PQgetvalue(r, i, JC_AM_ERR_OFFSET));
		j->log_url = store_col(r, i, JC_LOG_URL);
		j->submit_tried = !strcmp(PQgetvalue(r, i, JC_SUBMIT_TRIED), "t");
		j->prev_owner = PQnfields(r) > JC_PREV_OWNER ? store_col(r, i, JC_PREV_OWNER) : NULL;
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

static enum store_rc jobs_query(struct store *s, const char *what, const char *sql, int n,
				const char *const *p, struct store_jobs *out)
{
	PGresult *r = store_run(s, what, sql, n, p);

	memset(out, 0, sizeof *out);
	if (!r)
		return STORE_ERROR;
	fill_jobs(r, out);
	return STORE_OK;
}

/* Whether this connection's session still holds the lock it took in *held_session:
 * an idle session sends nothing; a socket that became readable is the server's
 * goodbye (or a notice), which PQconsumeInput reads. */
static bool still_held(struct store *s, unsigned long held_session)
{
	struct pollfd pf = {.fd = PQsocket(s->conn), .events = POLLIN};

	return held_session == s->session && PQstatus(s->conn) == CONNECTION_OK &&
	       (poll(&pf, 1, 0) <= 0 || PQconsumeInput(s->conn));
}

/* The session-level advisory lock keyed by a hash of prefix || name, taken once per
 * session (such locks stack) and noted in *held_session: STORE_OK while this session
 * holds it, STORE_DUPLICATE while another does, STORE_ERROR.  The caller has checked
 * the connection (store_ensure). */
static enum store_rc hold_session_lock(struct store *s, const char *prefix, const char *name,
				       unsigned long *held_session)
{
	const char *p[2] = {prefix, name};
	PGresult *r;
	bool held;

	if (*held_session == s->session)
		return STORE_OK;
	r = store_run(s, "session lock",
		      "SELECT pg_try_advisory_lock(hashtextextended($1 || $2, 0))", 2, p);
	if (!r)
		return STORE_ERROR;
	held = !strcmp(PQgetvalue(r, 0, 0), "t");
	PQclear(r);
	if (!held)
		return STORE_DUPLICATE;
	*held_session = s->session;
	return STORE_OK;
}

enum store_rc store_hold_name(struct store *s, const char *instance)
{
	if (still_held(s, s->name_session))
		return STORE_OK;
	if (store_ensure(s) != STORE_OK)
		return STORE_ERROR;
	return hold_session_lock(s, "tacitus instance ", instance, &s->name_session);
}

enum store_rc store_hold_publisher(struct store *s, const char *key)
{
	if (store_ensure(s) != STORE_OK)
		return STORE_ERROR;
	return hold_session_lock(s, "tacitus publisher ", key, &s->pub_session);
}

enum store_rc store_hold_owner(struct store *s, const char *owner, const char *host,
			       const char *boot_id)
{
	if (strlen(owner) >= sizeof s->owner || strlen(host) >= sizeof s->host ||
	    strlen(boot_id) >= sizeof s->boot_id) {
		log_error("monitor %s: the name, host or boot id is too long for its lock", owner);
		return STORE_ERROR;
	}
	if (strcmp(s->owner, owner) || strcmp(s->host, host) || strcmp(s->boot_id, boot_id)) {
		snprintf(s->owner, sizeof s->owner, "%s", owner);
		snprintf(s->host, sizeof s->host, "%s", host);
		snprintf(s->boot_id, sizeof s->boot_id, "%s", boot_id);
		s->owner_session = 0;
	}
	/* no look at the socket here (as still_held does): what it holds is the
	 * monitor's NOTIFYs, for its own poll; a broken connection shows at the
	 * monitor's next statement, whose reconnect takes the lock again */
	if (s->owner_session == s->session && PQstatus(s->conn) == CONNECTION_OK)
		return STORE_OK;
	if (store_ensure(s) != STORE_OK)
		return STORE_ERROR;
	return store_take_owner_lock(s);
}

enum store_rc store_renew_leases(struct store *s, const char *owner, int ttl_sec)
{
	char ttl[STORE_NUM_MAX];
	const char *p[2] = {owner, ttl};
	PGresult *r;

	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	r = store_run(s, "lease renewal", "UPDATE batch SET lease_expires_at = now() + "
		      "$2::int * interval '1 second' WHERE lease_owner = $1 "
		      "AND state IN ('starting', 'running')", 2, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

enum store_rc store_claim(struct store *s, const char *owner, const char *host,
			  const char *boot_id, int ttl_sec, int limit, struct store_jobs *out)
{
	char ttl[STORE_NUM_MAX], lim[STORE_NUM_MAX];
	const char *p[5] = {owner, host, boot_id, ttl, lim};

	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	snprintf(lim, sizeof lim, "%d", limit);
	return jobs_query(s, "claim",
		"WITH c AS (SELECT id FROM batch WHERE state = 'starting' AND lease_owner IS NULL "
		"ORDER BY id LIMIT $5::int FOR UPDATE SKIP LOCKED) "
		"UPDATE batch b SET lease_owner = $1, host = $2, boot_id = $3, "
		"lease_expires_at = now() + $4::int * interval '1 second', "
		"yarn_tag = CASE WHEN b.tracker = 'yarn' THEN COALESCE(b.yarn_tag, "
		"'livy-' || CASE WHEN b.id < 0 THEN 'session-' || -b.id ELSE 'batch-' || b.id END "
		"|| '-' || substr(md5(gen_random_uuid()::text), 1, 8)) END "
		"FROM c WHERE b.id = c.id RETURNING " JOB_COLUMNS, 5, p, out);
}

enum store_rc store_my_jobs(struct store *s, const char *owner, struct store_jobs *out)
{
	const char *p[1] = {owner};

	return jobs_query(s, "my jobs", "SELECT " JOB_COLUMNS " FROM batch b WHERE "
			  "b.lease_owner = $1 AND b.state IN ('starting', 'running') ORDER BY b.id",
			  1, p, out);
}

enum store_rc store_leak_watch(struct store *s, const char *owner, long long within_ms,
			       struct store_jobs *out)
{
	char ms[STORE_NUM_MAX];
	const char *p[2] = {owner, ms};

	snprintf(ms, sizeof ms, "%lld", within_ms);
	return jobs_query(s, "leak watch", "SELECT " JOB_COLUMNS " FROM batch b WHERE "
			  "b.lease_owner = $1 AND b.tracker = 'yarn' AND b.state IN ('dead', 'killed') "
			  "AND b.app_id IS NULL AND b.yarn_tag IS NOT NULL AND b.finished_at > "
			  "now() - $2::bigint * interval '1 millisecond' ORDER BY b.id", 2, p, out);
}

enum store_rc store_lease_marks(struct store *s, const char *me, struct store_marks *out)
{
	const char *p[1] = {me};
	PGresult *r = store_run(s, "lease marks",
		"SELECT lease_owner, CASE WHEN max(lease_expires_at) = '-infinity' THEN '"
		LEASEWATCH_RELEASED "' ELSE max(lease_expires_at)::text END FROM batch "
		"WHERE state IN ('starting', 'running') AND lease_owner <> $1 GROUP BY lease_owner",
		1, p);

	memset(out, 0, sizeof *out);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	out->n = PQntuples(r);
	out->owner = store_col_array(r, 0);
	out->mark = store_col_array(r, 1);
	if (!out->owner || !out->mark) {
		store_marks_free(out);
		return STORE_ERROR;
	}
	return STORE_OK;
}

enum store_rc store_owner_locks(struct store *s, const char *me, const char *host,
			       const char *boot_id, struct store_locks *out)
{
	const char *p[3] = {me, host, boot_id};
	/* a shared lock for the statement's transaction is refused while the owner holds
	 * its lock, and given (then let go at once) when nobody does; the owners of jobs
	 * first, should there be more owners than a look watches */
	PGresult *r = store_run(s, "owners' locks",
		"SELECT o, NOT pg_try_advisory_xact_lock_shared(" STORE_OWNER_KEY("o") "), j FROM "
		"(SELECT o, bool_or(j) AS j FROM (SELECT lease_owner AS o, true AS j FROM batch "
		"WHERE state IN ('starting', 'running') AND lease_owner <> $1 "
		"AND ((host = $2 AND boot_id = $3) OR tracker <> 'local') "
		"UNION ALL SELECT owner, false FROM monitor WHERE owner <> $1) u GROUP BY o) w "
		"ORDER BY j DESC, o", 3, p);

	memset(out, 0, sizeof *out);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	out->n = PQntuples(r);
	out->owner = store_col_array(r, 0);
	out->held = calloc((size_t)out->n + 1, sizeof *out->held);
	out->jobs = calloc((size_t)out->n + 1, sizeof *out->jobs);
	if (!out->owner || !out->held || !out->jobs) {
		log_error("owners' locks: out of memory");
		store_locks_free(out);
		return STORE_ERROR;
	}
	for (int i = 0; i < out->n; i++) {
		out->held[i] = !strcmp(PQgetvalue(r, i, 1), "t");
		out->jobs[i] = !strcmp(PQgetvalue(r, i, 2), "t");
	}
	return STORE_OK;
}

void store_locks_free(struct store_locks *l)
{
	PQclear(l->res);
	free(l->owner);
	free(l->held);
	free(l->jobs);
	memset(l, 0, sizeof *l);
}

void store_marks_free(struct store_marks *m)
{
	PQclear(m->res);
	free(m->owner);
	free(m->mark);
	memset(m, 0, sizeof *m);
}

/* names as a JSON array (the one way a list of strings reaches a query here): the
 * caller puts it */
static json_object *json_names(const char *const *names, int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; a && i < n; i++)
		json_object_array_add(a, json_object_new_string(names[i]));
	return a;
}

enum store_rc store_take_over(struct store *s, const char *owner, const char *host, int ttl_sec,
			      const char *const *adopt, int n_adopt, const char *const *end,
			      int n_end, struct store_jobs *out)
{
	json_object *a = json_names(adopt, n_adopt), *e = json_names(end, n_end);
	char ttl[STORE_NUM_MAX];
	const char *p[5] = {owner, host, ttl,
			    a ? json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN) : NULL,
			    e ? json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN) : NULL};
	enum store_rc rc = STORE_ERROR;

	memset(out, 0, sizeof *out);
	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	if (a && e)
		rc = jobs_query(s, "take over",
			"WITH x AS (SELECT id, lease_owner AS was FROM batch WHERE state IN "
			"('starting', 'running') "
			"AND lease_owner <> $1 AND (((host = $2 OR tracker <> 'local') AND lease_owner IN "
			"(SELECT jsonb_array_elements_text($4::jsonb))) OR lease_owner IN "
			"(SELECT jsonb_array_elements_text($5::jsonb))) FOR UPDATE SKIP LOCKED) "
			"UPDATE batch b SET lease_owner = $1, lease_expires_at = now() + "
			"$3::int * interval '1 second' FROM x WHERE b.id = x.id RETURNING " JOB_COLUMNS
			", x.was",
			5, p, out);
	else
		log_error("take over: out of memory");
	json_object_put(a);
	json_object_put(e);
	return rc;
}

enum store_rc store_take_orphans(struct store *s, const char *owner, const char *host,
				const char *boot_id, int ttl_sec, const char *const *gone, int n_gone,
				struct store_jobs *out)
{
	json_object *g = json_names(gone, n_gone);
	char ttl[STORE_NUM_MAX];
	const char *p[5] = {owner, host, boot_id, ttl,
			    g ? json_object_to_json_string_ext(g, JSON_C_TO_STRING_PLAIN) : NULL};
	enum store_rc rc = STORE_ERROR;

	memset(out, 0, sizeof *out);
	snprintf(ttl, sizeof ttl, "%d", ttl_sec);
	/* launched: a pid (the shim's; 0 for a standalone submission) recorded with its
	 * launch, or the application known; the owner's lock is looked at again here,
	 * row by row, so that an owner that took it again keeps its jobs */
	if (g)
		rc = jobs_query(s, "take orphans",
			"WITH x AS (SELECT id, lease_owner AS was FROM batch WHERE state IN "
			"('starting', 'running') AND lease_owner <> $1 AND lease_owner IN "
			"(SELECT jsonb_array_elements_text($5::jsonb)) "
			"AND ((host = $2 AND boot_id = $3) OR tracker <> 'local') "
			"AND (launched_at IS NOT NULL OR app_id IS NOT NULL) "
			"AND pg_try_advisory_xact_lock_shared(" STORE_OWNER_KEY("lease_owner") ") "
			"FOR UPDATE SKIP LOCKED) "
			"UPDATE batch b SET lease_owner = $1, lease_expires_at = now() + "
			"$4::int * interval '1 second' FROM x WHERE b.id = x.id RETURNING " JOB_COLUMNS
			", x.was", 5, p, out);
	else
		log_error("take orphans: out of memory");
	json_object_put(g);
	return rc;
}

enum store_rc store_release_leases(struct store *s, const char *owner)
{
	const char *p[1] = {owner};
	PGresult *r = store_run(s, "lease release", "UPDATE batch SET lease_expires_at = "
				"'-infinity' WHERE lease_owner = $1 AND state IN ('starting', 'running')",
				1, p);

	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

/* The process a launch started, and where; NULL for other state changes. */
struct launch {
	pid_t pid;
	long long pid_start;
	const char *job_dir, *host, *boot_id;
};

/* Every state change: one guarded statement that also records the event (and, for
 * a launch, the process), so that no crash can leave half of it behind. */
static enum store_rc transition(struct store *s, long long id, const char *owner,
				const char *from, const char *to, int exit_code,
				const char *reason, const struct launch *l)
{
	char ids[STORE_NUM_MAX], code[STORE_NUM_MAX], pids[STORE_NUM_MAX], starts[STORE_NUM_MAX];
	const char *p[11] = {ids, owner, from, to, exit_code >= 0 ? code : NULL, reason,
			     l ? pids : NULL, l ? starts : NULL, l ? l->job_dir : NULL,
			     l ? l->host : NULL, l ? l->boot_id : NULL};
	PGresult *r;
	int n;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(code, sizeof code, "%d", exit_code);
	snprintf(pids, sizeof pids, "%d", l ? (int)l->pid : 0);
	snprintf(starts, sizeof starts, "%lld", l ? l->pid_start : 0);
	r = store_run(s, "state change",
		"WITH u AS (UPDATE batch SET state = $4, exit_code = COALESCE($5::int, exit_code), "
		"finished_at = CASE WHEN $4 IN ('success', 'dead', 'killed') THEN now() END, "
		"lease_expires_at = CASE WHEN $4 IN ('success', 'dead', 'killed') THEN NULL "
		"ELSE lease_expires_at END, "
		"pid = COALESCE($7::int, pid), pid_start = COALESCE($8::bigint, pid_start), "
		"job_dir = COALESCE($9, job_dir), host = COALESCE($10, host), "
		"boot_id = COALESCE($11, boot_id), "
		"launched_at = CASE WHEN $7::int IS NULL THEN launched_at ELSE now() END "
		"WHERE id = $1::bigint AND lease_owner = $2 AND state = $3 RETURNING id) "
		"INSERT INTO batch_event (batch_id, from_state, to_state, actor, reason) "
		"SELECT id, $3, $4, $2, $6 FROM u", 11, p);
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

enum store_rc store_launched(struct store *s, long long id, const char *owner, pid_t pid,
			     long long pid_start, const char *job_dir, const char *host,
			     const char *boot_id, const char *to)
{
	char reason[REASON_MAX];
	struct launch l = {pid, pid_start, job_dir, host, boot_id};

	snprintf(reason, sizeof reason, "spark-submit started (job shim pid %d)", (int)pid);
	return transition(s, id, owner, "starting", to, -1, reason, &l);
}

enum store_rc store_submitted(struct store *s, long long id, const char *owner, const char *host,
			      const char *boot_id, const char *reason)
{
	struct launch l = {0, 0, NULL, host, boot_id};

	return transition(s, id, owner, "starting", "starting", -1, reason, &l);
}

enum store_rc store_submit_tried(struct store *s, long long id, const char *owner, bool tried)
{
	char ids[STORE_NUM_MAX];
	const char *p[3] = {ids, owner, tried ? "t" : "f"};

	snprintf(ids, sizeof ids, "%lld", id);
	return store_run_one(s, "submission mark", "UPDATE batch SET submit_tried_at = CASE "
			     "WHEN $3::boolean THEN now() END WHERE id = $1::bigint AND "
			     "lease_owner = $2 AND state = 'starting' AND app_id IS NULL", 3, p);
}

enum store_rc store_submit_ended(struct store *s, long long id, const char *owner, int code)
{
	char ids[STORE_NUM_MAX], codes[STORE_NUM_MAX];
	const char *p[3] = {ids, owner, codes};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(codes, sizeof codes, "%d", code);
	r = store_run(s, "spark-submit's end", "UPDATE batch SET exit_code = $3::int "
		      "WHERE id = $1::bigint AND lease_owner = $2 AND exit_code IS NULL", 3, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

enum store_rc store_app_seen(struct store *s, long long id, const char *owner,
			     const char *app_id, const char *ui_url, const char *log_url)
{
	char ids[STORE_NUM_MAX];
	const char *p[5] = {ids, owner, app_id, ui_url, log_url};

	snprintf(ids, sizeof ids, "%lld", id);
	/* another attempt's container: its log is read from its start */
	return store_run_one(s, "application seen", "UPDATE batch SET app_id = $3, "
		      "spark_ui_url = COALESCE(NULLIF($4, ''), spark_ui_url), "
		      "driver_log_url = COALESCE(NULLIF($5, ''), driver_log_url), "
		      "am_out_offset = CASE WHEN driver_log_url <> NULLIF($5, '') THEN 0 "
		      "ELSE am_out_offset END, "
		      "am_err_offset = CASE WHEN driver_log_url <> NULLIF($5, '') THEN 0 "
		      "ELSE am_err_offset END "
		      "WHERE id = $1::bigint AND lease_owner = $2", 5, p);
}

enum store_rc store_transition(struct store *s, long long id, const char *owner,
			       const char *from, const char *to, int exit_code, const char *reason)
{
	return transition(s, id, owner, from, to, exit_code, reason, NULL);
}

/* The last min(9, n) of lines v[0..n) joined by newlines into a malloc'd string
 * (what the guard turns into the new log_tail with the old one); NULL when memory
 * ran out. */
static char *tail_text(const struct store_line *v, long n)
{
	long from = n > STORE_LOG_TAIL_LINES ? n - STORE_LOG_TAIL_LINES : 0;
	size_t len = 0, at = 0;
	char *t;

	for (long i = from; i < n; i++)
		len += v[i].len + 1;
	t = malloc(len + 1);
	if (!t)
		return NULL;
	for (long i = from; i < n; i++) {
		memcpy(t + at, v[i].s, v[i].len);
		at += v[i].len;
		t[at++] = '\n';
	}
	t[at ? at - 1 : 0] = '\0';
	return t;
}

/* The lines by COPY, in chunks (logchunk.h). */
static enum store_rc copy_lines(struct store *s, long long id, long first,
				const struct store_line *v, long n)
{
	size_t len;
	char *text = logchunk_copy_text(id, first, v, n, &len);
	int rc;

	if (!text) {
		log_error("database: log append: out of memory");
		return STORE_ERROR;
	}
	rc = store_copy_in(s, "log lines", "COPY batch_log_chunk (batch_id, first_line, "
			   "line_count, lines) FROM STDIN", text, len);
	free(text);
	if (rc < 0)
		return store_refused(s) ? STORE_REFUSED : STORE_ERROR;
	return STORE_OK;
}

enum store_rc store_append_log(struct store *s, long long id, const char *owner, long first_line,
			       const struct store_line *v, long n, long long out_offset,
			       long long err_offset, bool am, const char *app_id)
{
	char ids[STORE_NUM_MAX], first[STORE_NUM_MAX], count[STORE_NUM_MAX];
	char off[STORE_NUM_MAX], eoff[STORE_NUM_MAX], tails[STORE_NUM_MAX];
	char *tail = tail_text(v, n);
	const char *p[10] = {ids, owner, first, count, off, app_id, eoff, am ? "t" : "f",
			     tail, tails};
	enum store_rc rc;

	if (!tail) {
		log_error("database: log append: out of memory");
		return STORE_ERROR;
	}
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(first, sizeof first, "%ld", first_line);
	snprintf(count, sizeof count, "%ld", n);
	snprintf(off, sizeof off, "%lld", out_offset);
	snprintf(eoff, sizeof eoff, "%lld", err_offset);
	snprintf(tails, sizeof tails, "%ld", n < STORE_LOG_TAIL_LINES ? n : STORE_LOG_TAIL_LINES);
	if (store_begin(s) < 0) {
		free(tail);
		return STORE_ERROR;
	}
	/* the guard first (the lease, and that nobody stored these lines meanwhile), with
	 * log_tail: the last 9 of the old tail's lines and the new ones ($9: the last $10
	 * of them, joined; a tail of one empty line is {""}, of none {}) */
	rc = store_run_one(s, "log append",
		"UPDATE batch SET log_lines = $3::int + $4::int, log_tail = array_to_string(t.a["
		"greatest(cardinality(t.a) - " TAIL_LINES_SQL " + 1, 1):], E'\\n'), "
		"out_offset = CASE WHEN $8::boolean THEN out_offset ELSE $5::bigint END, "
		"err_offset = CASE WHEN $8::boolean THEN err_offset ELSE $7::bigint END, "
		"am_out_offset = CASE WHEN $8::boolean THEN $5::bigint ELSE am_out_offset END, "
		"am_err_offset = CASE WHEN $8::boolean THEN $7::bigint ELSE am_err_offset END, "
		"app_id = COALESCE($6, app_id) "
		"FROM (SELECT CASE WHEN b.log_lines = 0 THEN '{}' WHEN b.log_tail = '' THEN '{\"\"}' "
		"ELSE string_to_array(b.log_tail, E'\\n') END || CASE WHEN $10::int = 0 THEN '{}' "
		"WHEN $9 = '' THEN '{\"\"}' ELSE string_to_array($9, E'\\n') END AS a "
		"FROM batch b WHERE b.id = $1::bigint) t "
		"WHERE id = $1::bigint AND lease_owner = $2 AND log_lines = $3::int", 10, p);
	free(tail);
	if (rc == STORE_ERROR && store_refused(s))
		rc = STORE_REFUSED;     /* e.g. a tail PostgreSQL's text cannot hold */
	if (rc == STORE_OK && n > 0)
		rc = copy_lines(s, id, first_line, v, n);
	if (rc != STORE_OK) {
		store_rollback(s);
		return rc;
	}
	return store_commit(s) == 0 ? STORE_OK : STORE_ERROR;
}

enum store_rc store_kill_sent(struct store *s, long long id, const char *owner)
{
	char ids[STORE_NUM_MAX];
	const char *p[2] = {ids, owner};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", id);
	r = store_run(s, "kill record", "UPDATE batch SET kill_sent_at = now() WHERE id = $1::bigint "
		      "AND lease_owner = $2 AND kill_sent_at IS NULL", 2, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}
