/* statements.c - statements and completions of a session: queue, list, get, cancel, complete. */
#include "statements.h"
#include "driverapi.h"
#include "livy.h"
#include "log.h"
#include "reqbody.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMPLETION_WAIT_MS 2000     /* a worker waits this long for a driver at most */
#define COMPLETION_POLL_MS 10
#define WAKE_ADDR_MAX 160           /* "ip:port" of a driver's wake-up socket */
#define LOCATION_MAX 96
#define SMALL_MSG_MAX 1024
#define INT_MSG_MAX 128
#define ORDER_MAX 64                /* "desc" with spaces around */

static json_object *statement_json(const struct store_statement *st)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int(st->id));
	json_object_object_add(o, "code", json_object_new_string(st->code));
	json_object_object_add(o, "state", json_object_new_string(st->state));
	json_object_object_add(o, "output", st->output ? json_tokener_parse(st->output) : NULL);
	json_object_object_add(o, "progress", json_object_new_double(st->progress));
	json_object_object_add(o, "started", json_object_new_int64(st->started));
	json_object_object_add(o, "completed", json_object_new_int64(st->completed));
	return o;
}

/* The body of POST .../statements or .../completion, or NULL after a 400. */
static json_object *small_body(struct call *k, const char *class_name, const char *const keys[3])
{
	char msg[SMALL_MSG_MAX];
	json_object *o = reqbody_object(k->r->body ? k->r->body : "", k->r->body_len, class_name,
					keys, 3, msg, sizeof msg);

	if (!o)
		http_send_msg(k->r, 400, NULL, "%s", msg);
	return o;
}

int stmt_id(struct call *k, int *n)
{
	char msg[INT_MSG_MAX];

	if (livy_parse_int(k->seg[3], n, msg, sizeof msg) < 0) {
		http_send_msg(k->r, 400, NULL, "%s", msg);
		return -1;
	}
	return 0;
}

/* The "code" of a statement or completion body: a string (without NUL, which
 * PostgreSQL text cannot hold: reqbody_object refuses \u0000).  NULL after answering 400. */
static const char *code_field(struct call *k, json_object *body)
{
	json_object *code = json_object_object_get(body, "code");

	if (!code || !json_object_is_type(code, json_type_string)) {
		http_send_msg(k->r, 400, NULL, "Field \"code\" is required and must be a string");
		return NULL;
	}
	return json_object_get_string(code);
}

/* The kind a statement runs as: its own, else the session's.  NULL after 400. */
static const char *statement_kind(struct call *k, json_object *body, const char *session_kind)
{
	json_object *v = json_object_object_get(body, "kind");
	const char *kind = session_kind;

	if (v) {
		kind = json_object_is_type(v, json_type_string)
			? reqbody_kind(json_object_get_string(v)) : NULL;
		if (!kind) {
			http_send_msg(k->r, 400, NULL, "Invalid kind: %s", json_object_get_string(v));
			return NULL;
		}
	}
	if (!strcmp(kind, "shared")) {
		http_send_msg(k->r, 400, NULL, v ? "Kind shared cannot run code: use pyspark, spark "
			      "or sql" : "Code type should be specified if session kind is shared");
		return NULL;
	}
	if (!strcmp(kind, "sparkr")) {
		http_send_msg(k->r, 400, NULL, "Kind sparkr needs R and SparkR, which this server "
			      "does not have");
		return NULL;
	}
	return kind;
}

/* Livy's answer to work for a session that is not running: 500 while it starts or
 * stops (sparkmagic retries those), 400 once it is dead (no retry helps). */
static void not_running(struct call *k, const struct store_session *x)
{
	if (!strcmp(x->state, "dead"))
		http_send_msg(k->r, 400, NULL, "Session %lld is dead: it runs no more statements",
			      x->id);
	else
		http_send_msg(k->r, 500, NULL, "Session is in state %s", x->state);
}

static bool running(const struct store_session *x)
{
	return !strcmp(x->state, "idle") || !strcmp(x->state, "busy") || !strcmp(x->state, "error");
}

/* True when the store took the work; else answers why not (not running, 503). */
static bool taken(struct call *k, const struct store_session *x, enum store_rc rc)
{
	if (rc == STORE_OK)
		return true;
	if (rc == STORE_NOT_RUNNING)
		not_running(k, x);
	else
		reply_unavailable(k->r);
	return false;
}

/* Queue code of kind on session x: 201 with the statement. */
static void queue(struct call *k, const struct store_session *x, const char *code,
		  const char *kind)
{
	struct store_statement st = {0};
	char wake[WAKE_ADDR_MAX], loc[LOCATION_MAX];
	json_object *o;
	int stmt;

	if (!taken(k, x, store_statement_create(k->s, x->id, code, kind, &stmt, wake, sizeof wake)))
		return;
	driver_wake(wake);
	log_info("session %lld: statement %d queued (%s, %zu bytes)", x->id, stmt, kind,
		 strlen(code));
	st.id = stmt;
	st.code = code;
	st.state = "waiting";
	o = statement_json(&st);
	snprintf(loc, sizeof loc, "Location: /sessions/%lld/statements/%d\r\n", x->id, stmt);
	http_send_json(k->r, 201, o, loc);
	json_object_put(o);
}

void stmt_create(struct call *k, const struct store_session *x)
{
	static const char *const keys[] = {"code", "kind", "msg_type"};
	json_object *body = small_body(k, "org.apache.livy.ExecuteRequest", keys);
	const char *kind, *code;

	if (!body)
		return;
	if ((code = code_field(k, body)) && (kind = statement_kind(k, body, x->kind))) {
		if (running(x))
			queue(k, x, code, kind);
		else
			not_running(k, x);
	}
	json_object_put(body);
}

/* Livy's order parameter: "desc" (any case, spaces around) or anything else. */
static bool order_desc(const char *p)
{
	if (!p)
		return false;
	while (*p == ' ')
		p++;
	return !strncasecmp(p, "desc", 4) && strspn(p + 4, " ") == strlen(p + 4);
}

void stmt_list(struct call *k, const struct store_session *x)
{
	struct http_req *r = k->r;
	struct store_statements sts;
	json_object *o, *list;
	char buf[ORDER_MAX];
	const char *order;
	int from, size;
	bool has_size;
	enum store_rc rc;

	if (reply_query(r, "order", buf, sizeof buf, &order) < 0 ||
	    reply_query_int(r, "from", 0, &from, NULL) < 0 ||
	    reply_query_int(r, "size", 0, &size, &has_size) < 0)
		return;
	/* Livy's slice, of which as many as an answer holds */
	rc = store_statement_list(k->s, x->id, order_desc(order), from,
				  has_size ? size : STORE_ALL, REPLY_MAX_STATEMENTS, &sts);
	if (rc == STORE_NOTFOUND) {
		reply_not_found(r, "");
		return;
	}
	if (rc != STORE_OK) {
		reply_unavailable(r);
		return;
	}
	o = json_object_new_object();
	list = json_object_new_array_ext(sts.n);
	json_object_object_add(o, "total_statements", json_object_new_int64(sts.total));
	for (int i = 0; i < sts.n; i++)
		json_object_array_add(list, statement_json(&sts.v[i]));
	json_object_object_add(o, "statements", list);
	http_send_json(r, 200, o, NULL);
	json_object_put(o);
	store_statements_free(&sts);
}

/* GET /sessions/{id}/statements/{n}?wait=N&since=STATE: true when answered (push.h). */
static bool wait_statement(struct call *k, const struct store_session *x,
			   const struct store_statement *st)
{
	char ch[PUSH_CHANNEL_MAX], path[PUSH_URI_MAX];

	push_statement_channel(ch, sizeof ch, x->id, st->id, st->state);
	snprintf(path, sizeof path, "/sessions/%lld/statements/%d", x->id, st->id);
	return reply_wait(k, PUSH_STATEMENT, st->state, ch, NULL, path);
}

void stmt_get(struct call *k, const struct store_session *x, int n)
{
	struct store_statements sts;
	json_object *o;
	enum store_rc rc = store_statement_get(k->s, x->id, n, &sts);

	if (rc == STORE_NOTFOUND) {
		http_send_msg(k->r, 404, NULL, "Statement not found");
		return;
	}
	if (rc != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	if (!wait_statement(k, x, &sts.v[0])) {
		o = statement_json(&sts.v[0]);
		http_send_json(k->r, 200, o, NULL);
		json_object_put(o);
	}
	store_statements_free(&sts);
}

void stmt_cancel(struct call *k, const struct store_session *x, int n)
{
	char wake[WAKE_ADDR_MAX];

	if (!running(x)) {
		not_running(k, x);
		return;
	}
	if (store_statement_cancel(k->s, x->id, n, wake, sizeof wake) != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	driver_wake(wake);
	log_info("session %lld: statement %d: cancel asked", x->id, n);
	http_send_msg(k->r, 200, NULL, "canceled");
}

/* Hand the client of completion cid over to nginx until the driver answered it (or
 * PUSH_COMPLETION_WAIT_S passed): stmt_completed answers it then.  false when waits
 * are off. */
static bool hand_over(struct call *k, const struct store_session *x, long long cid)
{
	char ch[PUSH_CHANNEL_MAX], path[PUSH_URI_MAX];

	if (k->c->push_wait_max_ms < 1000)
		return false;
	push_completion_channel(ch, sizeof ch, cid);
	snprintf(path, sizeof path, "/sessions/%lld/completion/%lld", x->id, cid);
	return reply_hand_over(k, PUSH_COMPLETION_WAIT_S, ch, path);
}

/* 200 {"candidates": [...]} from the driver's answer (NULL: none came, []), or 503. */
static void answer_completion(struct call *k, enum store_rc rc, char *answer)
{
	json_object *o;

	if (rc == STORE_ERROR) {
		reply_unavailable(k->r);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "candidates", answer ? json_tokener_parse(answer)
						       : json_object_new_array());
	http_send_json(k->r, 200, o, NULL);
	json_object_put(o);
	free(answer);
}

/* Ask x's driver for completions of code at cursor and answer what it says. */
static void complete(struct call *k, const struct store_session *x, const char *code,
		     const char *kind, int cursor)
{
	char wake[WAKE_ADDR_MAX], *answer = NULL;
	long long cid;
	enum store_rc rc = store_completion_create(k->s, x->id, code, kind, cursor, &cid, wake,
						   sizeof wake);

	if (!taken(k, x, rc))
		return;
	driver_wake(wake);
	/* the driver answers through another worker: nginx holds the client until it did
	 * (push.h), or, with waits off, this worker waits for it briefly */
	if (hand_over(k, x, cid))
		return;
	for (int waited = 0; waited < COMPLETION_WAIT_MS; waited += COMPLETION_POLL_MS) {
		rc = store_completion_result(k->s, cid, &answer);
		if (rc != STORE_NOTFOUND)
			break;
		poll(NULL, 0, COMPLETION_POLL_MS);
	}
	answer_completion(k, rc, answer);
}

void stmt_completed(struct call *k, long long cid)
{
	char *answer = NULL;
	enum store_rc rc = store_completion_result(k->s, cid, &answer);

	answer_completion(k, rc, answer);
}

void stmt_complete(struct call *k, const struct store_session *x)
{
	static const char *const keys[] = {"code", "kind", "cursor"};
	json_object *body = small_body(k, "org.apache.livy.CompletionRequest", keys), *cur;
	const char *kind, *code;

	if (!body)
		return;
	cur = json_object_object_get(body, "cursor");
	if (cur && !json_object_is_type(cur, json_type_int))
		http_send_msg(k->r, 400, NULL, "Field \"cursor\" must be an int");
	else if ((code = code_field(k, body)) && (kind = statement_kind(k, body, x->kind))) {
		if (running(x))
			complete(k, x, code, kind, cur ? json_object_get_int(cur) : 0);
		else
			not_running(k, x);
	}
	json_object_put(body);
}
