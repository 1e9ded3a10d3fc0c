/* history.c - GET /history...: pages of the whole history, a job with its timeline (history.h). */
#include "history.h"
#include "access.h"
#include "histquery.h"
#include "statements.h"

#include <stdlib.h>
#include <string.h>

#define MSG_MAX 512

/* One job as the history shows it. */
static json_object *row_json(const struct store_history_row *j)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", reply_str(j->kind));
	json_object_object_add(o, "id", json_object_new_int64(j->id));
	json_object_object_add(o, "name", reply_str(j->name));
	json_object_object_add(o, "owner", reply_str(j->owner));
	json_object_object_add(o, "proxyUser", reply_str(j->proxy_user));
	json_object_object_add(o, "state", reply_str(j->state));
	json_object_object_add(o, "submitted", reply_str(j->submitted));
	json_object_object_add(o, "finished", reply_str(j->finished));
	json_object_object_add(o, "appId", reply_str(j->app_id));
	return o;
}

/* The query's values as the request gave them: what struct histquery points into. */
struct query_text {
	char kind[HISTQUERY_VALUE_MAX + 2], state[HISTQUERY_VALUE_MAX + 2];
	char owner[HISTQUERY_VALUE_MAX + 2], q[HISTQUERY_Q_MAX + 2];
};

/* The query parameters into *q, pointing into *t; 0, or -1 after answering 400. */
static int read_query(struct call *k, struct query_text *t, struct histquery *q)
{
	char msg[MSG_MAX];
	struct histquery_params p;
	int from;

	if (reply_query_int(k->r, "from", 0, &from, NULL) < 0 ||
	    reply_query_int(k->r, "size", HISTQUERY_PAGE, &p.size, NULL) < 0 ||
	    reply_query(k->r, "kind", t->kind, sizeof t->kind, &p.kind) < 0 ||
	    reply_query(k->r, "state", t->state, sizeof t->state, &p.state) < 0 ||
	    reply_query(k->r, "owner", t->owner, sizeof t->owner, &p.owner) < 0 ||
	    reply_query(k->r, "q", t->q, sizeof t->q, &p.q) < 0)
		return -1;
	p.from = from;
	if (histquery_check(&p, q, msg, sizeof msg) < 0) {
		http_send_msg(k->r, 400, NULL, "%s", msg);
		return -1;
	}
	return 0;
}

/* GET /history: {"from", "total", "jobs"}. */
static void list(struct call *k)
{
	struct query_text t;
	struct histquery q;
	struct store_history_query sq;
	struct store_history_page page;
	json_object *o, *jobs;

	if (read_query(k, &t, &q) < 0)
		return;
	sq = (struct store_history_query){
		.kind = q.kind, .state = q.state, .owner = q.owner, .like = q.like, .id = q.id,
		.view_all = acl_can_view_all(k->c, k->user), .user = k->user,
		.from = q.from, .size = q.size};
	if (store_history_list(k->s, &sq, &page) != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	o = json_object_new_object();
	jobs = json_object_new_array_ext(page.n);
	for (int i = 0; i < page.n; i++)
		json_object_array_add(jobs, row_json(&page.v[i]));
	json_object_object_add(o, "from", json_object_new_int64(q.from));
	json_object_object_add(o, "total", json_object_new_int64(page.total));
	json_object_object_add(o, "jobs", jobs);
	store_history_page_free(&page);
	http_send_json(k->r, 200, o, NULL);
	json_object_put(o);
}

/* A number the database gave as text, or null. */
static json_object *number_or_null(const char *text)
{
	return text ? json_object_new_double_s(atof(text), text) : NULL;
}

/* The fields beyond the list's: when it ran, why it ended, where its UIs are, how
 * long its log is. */
static void add_details(json_object *o, const struct store_history_job *j)
{
	json_object *app = json_object_new_object();

	json_object_object_add(o, "queue", reply_str(j->queue));
	json_object_object_add(o, "started", reply_str(j->started));
	json_object_object_add(o, "durationS", number_or_null(j->duration_s));
	json_object_object_add(o, "reason", reply_str(j->reason));
	if (!strcmp(j->job.kind, "session"))
		json_object_object_add(o, "sessionKind", reply_str(j->session_kind));
	json_object_object_add(app, "driverLogUrl", reply_str(j->driver_log_url));
	json_object_object_add(app, "sparkUiUrl", reply_str(j->spark_ui_url));
	json_object_object_add(o, "appInfo", app);
	json_object_object_add(o, "logLines", json_object_new_int64(j->log_lines));
}

/* The job with its details and "events": its state timeline, oldest first. */
static json_object *job_json(const struct store_history_job *j)
{
	json_object *o = row_json(&j->job), *events = json_object_new_array_ext(j->n);

	add_details(o, j);

	for (int i = 0; i < j->n; i++) {
		json_object *e = json_object_new_object();

		json_object_object_add(e, "from", reply_str(j->events[i].from));
		json_object_object_add(e, "to", reply_str(j->events[i].to));
		json_object_object_add(e, "at", reply_str(j->events[i].at));
		json_object_object_add(e, "reason", reply_str(j->events[i].reason));
		json_object_array_add(events, e);
	}
	json_object_object_add(o, "events", events);
	return o;
}

/* The job of GET /history/{batches|sessions}/{id}[/...] that the caller may view
 * into *j (*session: which kind); 0, or -1 after answering 404, 403 or 503. */
static int find_job(struct call *k, bool *session, struct store_history_job *j)
{
	enum store_rc rc;

	*session = !strcmp(k->seg[1], "sessions");
	if (!*session && strcmp(k->seg[1], "batches")) {
		reply_no_route(k->r);
		return -1;
	}
	if (!histquery_is_id(k->seg[2])) {
		reply_not_found(k->r, k->seg[2]);
		return -1;
	}
	rc = store_history_job(k->s, *session, atoll(k->seg[2]), j);
	if (rc != STORE_OK) {
		if (rc == STORE_NOTFOUND)
			reply_not_found(k->r, k->seg[2]);
		else
			reply_unavailable(k->r);
		return -1;
	}
	if (!acl_can_view(k->c, k->user, j->job.owner, j->job.proxy_user)) {
		http_send_msg(k->r, 403, NULL, "User '%s' may not see %s %lld", k->user,
			      *session ? "session" : "batch", j->job.id);
		store_history_job_free(j);
		return -1;
	}
	return 0;
}

/* GET /history/{batches|sessions}/{id}. */
static void job(struct call *k)
{
	struct store_history_job j;
	bool session;
	json_object *o;

	if (find_job(k, &session, &j) < 0)
		return;
	o = job_json(&j);
	http_send_json(k->r, 200, o, NULL);
	json_object_put(o);
	store_history_job_free(&j);
}

/* GET /history/{batches|sessions}/{id}/log and /history/sessions/{id}/statements:
 * Livy's shapes (from, size, order as Livy's routes read them), deleted jobs too. */
static void job_part(struct call *k)
{
	struct store_history_job j;
	bool session;

	if (find_job(k, &session, &j) < 0)
		return;
	if (!strcmp(k->seg[3], "log")) {
		reply_log(k, j.job.id, j.log_id, j.log_lines);
	} else if (session && !strcmp(k->seg[3], "statements")) {
		struct store_session x = {.id = j.job.id};

		stmt_list(k, &x);
	} else {
		reply_no_route(k->r);
	}
	store_history_job_free(&j);
}

void history_route(struct call *k)
{
	if (!reply_method_is(k->r, "GET"))
		reply_not_allowed(k->r, "GET, HEAD");
	else if (k->n == 1)
		list(k);
	else if (k->n == 3)
		job(k);
	else if (k->n == 4)
		job_part(k);
	else
		reply_no_route(k->r);
}
