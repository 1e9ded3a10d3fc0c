/* sessions.c - /sessions: interactive sessions, statements, cancel, completion. */
#include "sessions.h"
#include "access.h"
#include "batchreq.h"
#include "driverapi.h"
#include "launcher.h"
#include "livy.h"
#include "log.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COMPLETION_WAIT_MS 2000      /* a worker waits this long for a driver at most */

/* A request field of the body of POST .../statements or .../completion. */
static json_object *field(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* Copy an int field of the request ("2" counts, as when it was accepted), else 0. */
static void add_int(json_object *o, const char *key, json_object *req)
{
	json_object *v = field(req, key);

	json_object_object_add(o, key, json_object_new_int(v ? atoi(json_object_get_string(v)) : 0));
}

static void add_copy(json_object *o, const char *key, json_object *req, json_type dflt)
{
	json_object *v = field(req, key);

	if (v)
		json_object_object_add(o, key, json_object_get(v));
	else if (dflt == json_type_array)
		json_object_object_add(o, key, json_object_new_array());
	else if (dflt == json_type_object)
		json_object_object_add(o, key, json_object_new_object());
	else
		json_object_object_add(o, key, NULL);
}

/* The session object (§2.1.a: 23 keys in Livy's order); log [] without view access. */
static json_object *session_json(const struct call *k, const struct store_session *x)
{
	json_object *o = json_object_new_object(), *info = json_object_new_object();
	json_object *log = json_object_new_array(), *req = json_tokener_parse(x->request);

	json_object_object_add(o, "id", json_object_new_int64(x->id));
	json_object_object_add(o, "name", api_str_or_null(x->name));
	json_object_object_add(o, "appId", api_str_or_null(x->app_id));
	json_object_object_add(o, "owner", api_str_or_null(x->owner));
	json_object_object_add(o, "proxyUser", api_str_or_null(x->proxy_user));
	json_object_object_add(o, "state", json_object_new_string(x->state));
	json_object_object_add(o, "kind", json_object_new_string(x->kind));
	json_object_object_add(info, "driverLogUrl", api_str_or_null(x->driver_log_url));
	json_object_object_add(info, "sparkUiUrl", api_str_or_null(x->spark_ui_url));
	json_object_object_add(info, "executorLogUrls", NULL);
	json_object_object_add(o, "appInfo", info);
	if (acl_can_view(k->c, k->user, x->owner, x->proxy_user))
		api_log_tail(log, x->log_lines, x->log_tail);
	json_object_object_add(o, "log", log);
	add_copy(o, "ttl", req, json_type_null);
	add_copy(o, "idleTimeout", req, json_type_null);
	add_copy(o, "driverMemory", req, json_type_null);
	add_int(o, "driverCores", req);
	add_copy(o, "executorMemory", req, json_type_null);
	add_int(o, "executorCores", req);
	add_copy(o, "conf", req, json_type_object);
	add_copy(o, "archives", req, json_type_array);
	add_copy(o, "files", req, json_type_array);
	add_int(o, "heartbeatTimeoutInSecond", req);
	add_copy(o, "jars", req, json_type_array);
	add_int(o, "numExecutors", req);
	add_copy(o, "pyFiles", req, json_type_array);
	add_copy(o, "queue", req, json_type_null);
	json_object_put(req);
	return o;
}

static void send_session(const struct call *k, const struct store_session *x, int status,
			 const char *headers)
{
	json_object *o = session_json(k, x);

	http_send_json(k->r, status, o, headers);
	json_object_put(o);
}

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

static void session_list(struct call *k)
{
	struct http_req *r = k->r;
	struct store_sessions ss;
	json_object *list;
	int from, size;

	if (api_query_int(r, "from", 0, &from, NULL) < 0 ||
	    api_query_int(r, "size", 100, &size, NULL) < 0)
		return;
	if (store_session_list(k->s, from, size, k->c, &ss) != STORE_OK)
		return api_unavailable(r);
	list = json_object_new_array_ext(ss.n);
	for (int i = 0; i < ss.n; i++)
		json_object_array_add(list, session_json(k, &ss.v[i]));
	api_send_page(r, from, ss.total, list);
	store_sessions_free(&ss);
}

static void session_create(struct call *k)
{
	struct http_req *r = k->r;
	struct breq q;
	struct store_new_session ns = {0};
	struct store_sessions ss;
	json_object *argv, *match;
	char msg[8192], loc[64], key[32];
	long long id;
	bool warm;
	int rc;

	if (!k->c->driver_script[0] || !k->c->callback_url[0])
		return http_send_msg(r, 503, NULL, "Sessions are not configured on this server: "
				     "tacitus serve needs --driver-script and --callback");
	rc = breq_parse_session(&q, r->body ? r->body : "", r->body_len, r->remote_user, k->doas,
				k->c, msg, sizeof msg);
	if (rc)
		return http_send_msg(r, rc, NULL, "%s", msg);
	argv = launch_driver_argv(&q, k->c, false);
	match = launch_driver_argv(&q, k->c, true);
	ns.name = q.name;
	ns.owner = r->remote_user;
	ns.proxy_user = q.proxy_user[0] ? q.proxy_user : NULL;
	ns.kind = q.kind;
	ns.request_json = r->body;
	ns.argv_json = json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN);
	ns.pool_argv_json = json_object_to_json_string_ext(match, JSON_C_TO_STRING_PLAIN);
	/* a warm driver fits when this request gives the pool's arguments (a proxy user,
	 * conf, jars or resources of its own show in them) */
	if (k->c->warm_pool > 0 && k->c->pool_argv[0] && !strcmp(ns.pool_argv_json, k->c->pool_argv))
		ns.pool = LAUNCH_POOL;
	ns.ttl_ms = q.ttl_ms;
	ns.idle_timeout_ms = q.idle_timeout_ms;
	ns.heartbeat_sec = q.heartbeat_sec;
	rc = store_session_create(k->s, &ns, k->c, &id, &warm, msg, sizeof msg);
	if (rc == STORE_REJECT)
		http_send_msg(r, 400, NULL, "%s", msg);
	else if (rc != STORE_OK)
		api_unavailable(r);
	else {
		log_info("session %lld: created by %s, kind %s, %s driver", id,
			 r->remote_user ? r->remote_user : "-", q.kind, warm ? "a warm" : "a new");
		snprintf(key, sizeof key, "%lld", id);
		if (store_session_get(k->s, key, true, k->c, &ss) != STORE_OK)
			api_unavailable(r);
		else {
			snprintf(loc, sizeof loc, "Location: /sessions/%lld\r\n", id);
			send_session(k, &ss.v[0], 201, loc);
			store_sessions_free(&ss);
		}
	}
	json_object_put(argv);
	json_object_put(match);
	breq_free(&q);
}

/* The body of POST .../statements or .../completion, or NULL after a 400. */
static json_object *small_body(struct call *k, const char *class_name, const char *const keys[3])
{
	char msg[1024];
	json_object *o = breq_object(k->r->body ? k->r->body : "", k->r->body_len, class_name, keys,
				     3, msg, sizeof msg);

	if (!o)
		http_send_msg(k->r, 400, NULL, "%s", msg);
	return o;
}

/* A statement id from the path (Java's int; a negative one names no statement):
 * 0 and *n, or -1 after answering 400. */
static int statement_id(struct call *k, const char *s, int *n)
{
	char msg[128];

	if (livy_parse_int(s, n, msg, sizeof msg) < 0) {
		http_send_msg(k->r, 400, NULL, "%s", msg);
		return -1;
	}
	return 0;
}

/* The "code" of a statement or completion body: a string without NUL (PostgreSQL
 * text cannot hold one).  NULL after answering 400. */
static const char *code_field(struct call *k, json_object *body)
{
	json_object *code = field(body, "code");

	if (!code || !json_object_is_type(code, json_type_string)) {
		http_send_msg(k->r, 400, NULL, "Field \"code\" is required and must be a string");
		return NULL;
	}
	if (strlen(json_object_get_string(code)) != (size_t)json_object_get_string_len(code)) {
		http_send_msg(k->r, 400, NULL, "Field \"code\" must not contain NUL characters");
		return NULL;
	}
	return json_object_get_string(code);
}

/* The kind a statement runs as: its own, else the session's.  NULL after 400. */
static const char *statement_kind(struct call *k, json_object *body, const char *session_kind)
{
	json_object *v = field(body, "kind");
	const char *kind = session_kind;

	if (v) {
		kind = json_object_is_type(v, json_type_string) ? breq_kind(json_object_get_string(v))
								  : NULL;
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

static void statement_create(struct call *k, const struct store_session *x)
{
	static const char *const keys[] = {"code", "kind", "msg_type"};
	json_object *body, *o;
	const char *kind, *code;
	char wake[160], loc[96];
	int stmt, rc;
	struct store_statement st = {0};

	if (!(body = small_body(k, "org.apache.livy.ExecuteRequest", keys)))
		return;
	if ((code = code_field(k, body)) && (kind = statement_kind(k, body, x->kind))) {
		if (!running(x))
			not_running(k, x);
		else if ((rc = store_statement_create(k->s, x->id, code, kind, &stmt, wake,
						      sizeof wake)) == STORE_REJECT)
			not_running(k, x);
		else if (rc != STORE_OK)
			api_unavailable(k->r);
		else {
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
	}
	json_object_put(body);
}

static void statement_list(struct call *k, const struct store_session *x)
{
	struct http_req *r = k->r;
	struct store_statements sts;
	json_object *o, *list;
	char order[16];
	int from, size, rc;
	bool desc = false, has_size;

	if (http_query(r, "order", order, sizeof order)) {
		char *p = order;
		while (*p == ' ')
			p++;
		desc = !strncasecmp(p, "desc", 4) && strspn(p + 4, " ") == strlen(p + 4);
	}
	if (api_query_int(r, "from", 0, &from, NULL) < 0 ||
	    api_query_int(r, "size", 0, &size, &has_size) < 0)
		return;
	rc = store_statement_list(k->s, x->id, desc, from, has_size ? size : STORE_ALL, &sts);
	if (rc != STORE_OK)
		return rc == STORE_NOTFOUND ? api_not_found(r, "") : api_unavailable(r);
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

static void statement_get(struct call *k, const struct store_session *x, int n)
{
	struct store_statements sts;
	json_object *o;
	int rc = store_statement_get(k->s, x->id, n, &sts);

	if (rc == STORE_NOTFOUND)
		return http_send_msg(k->r, 404, NULL, "Statement not found");
	if (rc != STORE_OK)
		return api_unavailable(k->r);
	o = statement_json(&sts.v[0]);
	http_send_json(k->r, 200, o, NULL);
	json_object_put(o);
	store_statements_free(&sts);
}

static void statement_cancel(struct call *k, const struct store_session *x, int n)
{
	char wake[160];

	if (!running(x))
		return not_running(k, x);
	if (store_statement_cancel(k->s, x->id, n, wake, sizeof wake) != STORE_OK)
		return api_unavailable(k->r);
	driver_wake(wake);
	log_info("session %lld: statement %d: cancel asked", x->id, n);
	http_send_msg(k->r, 200, NULL, "canceled");
}

static void completion(struct call *k, const struct store_session *x)
{
	static const char *const keys[] = {"code", "kind", "cursor"};
	json_object *body, *cur, *o;
	const char *kind, *code;
	char wake[160], *answer = NULL;
	long long cid;
	int rc = STORE_NOTFOUND;

	if (!(body = small_body(k, "org.apache.livy.CompletionRequest", keys)))
		return;
	cur = field(body, "cursor");
	if (cur && !json_object_is_type(cur, json_type_int)) {
		http_send_msg(k->r, 400, NULL, "Field \"cursor\" must be an int");
	} else if ((code = code_field(k, body)) && (kind = statement_kind(k, body, x->kind))) {
		if (!running(x))
			not_running(k, x);
		else if ((rc = store_completion_create(k->s, x->id, code, kind,
						       cur ? json_object_get_int(cur) : 0, &cid, wake,
						       sizeof wake)) == STORE_REJECT)
			not_running(k, x);
		else if (rc != STORE_OK)
			api_unavailable(k->r);
		else {
			driver_wake(wake);
			/* the driver answers through another worker; wait for it briefly */
			for (int waited = 0; waited < COMPLETION_WAIT_MS; waited += 10) {
				rc = store_completion_result(k->s, cid, &answer);
				if (rc != STORE_NOTFOUND)
					break;
				poll(NULL, 0, 10);
			}
			if (rc == STORE_ERROR) {
				api_unavailable(k->r);
				json_object_put(body);
				return;
			}
			o = json_object_new_object();
			json_object_object_add(o, "candidates", answer ? json_tokener_parse(answer)
								       : json_object_new_array());
			http_send_json(k->r, 200, o, NULL);
			json_object_put(o);
			free(answer);
		}
	}
	json_object_put(body);
}

/* DELETE (hide: gone from the API at once) or Livy's POST .../stop and .../interrupt
 * (which stop the session and leave it listed, dead). */
static void session_stop(struct call *k, const struct store_session *x, const char *how)
{
	bool hide = !strcmp(how, "deleted");
	char request[600];
	int rc;

	if (!acl_can_modify(k->c, k->user, x->owner, x->proxy_user))
		return http_send_msg(k->r, 403, NULL, "User '%s' may not stop session %lld",
				     k->user, x->id);
	snprintf(request, sizeof request, "%s %s", k->r->method, k->r->path);
	rc = store_session_delete(k->s, x->id, request, k->r->remote_user, hide);
	if (rc == STORE_NOTFOUND)
		return http_send_msg(k->r, 404, NULL, "Session %lld already stopped.", x->id);
	if (rc != STORE_OK)
		return api_unavailable(k->r);
	log_info("session %lld: %s by %s", x->id, hide ? "deleted" : "stopped",
		 k->r->remote_user ? k->r->remote_user : "-");
	http_send_msg(k->r, 200, NULL, "%s", how);
}

/* 403 unless the caller may view (modify = false) or modify the session. */
static bool allowed(struct call *k, const struct store_session *x, bool modify)
{
	if (modify ? acl_can_modify(k->c, k->user, x->owner, x->proxy_user)
		   : acl_can_view(k->c, k->user, x->owner, x->proxy_user))
		return true;
	http_send_msg(k->r, 403, NULL, "User '%s' may not %s session %lld", k->user,
		      modify ? "change" : "see the statements and log of", x->id);
	return false;
}

/* /sessions/{id}/...: method and rights, then the handler. */
static void one_session(struct call *k, const struct store_session *x, char seg[API_SEGMENTS][256],
			int n)
{
	struct http_req *r = k->r;
	const char *what = n > 2 ? seg[2] : "";
	int stmt;

	if (n == 2) {
		if (api_is(r, "DELETE"))
			return session_stop(k, x, "deleted");
		if (!api_is(r, "GET"))
			return api_not_allowed(r, "DELETE, GET, HEAD");
		return send_session(k, x, 200, NULL);
	}
	if (n == 3 && (!strcmp(what, "state") || !strcmp(what, "log"))) {
		if (!api_is(r, "GET"))
			return api_not_allowed(r, "GET, HEAD");
		if (!strcmp(what, "state"))
			return api_send_state(r, x->id, x->state);
		if (allowed(k, x, false))
			api_send_log(k, x->id, x->driver_id, x->log_lines);
		return;
	}
	if (n == 3 && !strcmp(what, "statements")) {
		if (!api_is(r, "GET") && !api_is(r, "POST"))
			return api_not_allowed(r, "POST, GET, HEAD");
		if (allowed(k, x, api_is(r, "POST")))
			(api_is(r, "POST") ? statement_create : statement_list)(k, x);
		return;
	}
	if (n == 3 && (!strcmp(what, "stop") || !strcmp(what, "interrupt") ||
		       !strcmp(what, "connect"))) {
		if (!api_is(r, "POST"))
			return api_not_allowed(r, "POST");
		if (strcmp(what, "connect"))        /* Livy: both stop the whole session */
			return session_stop(k, x, !strcmp(what, "stop") ? "stopped" : "interrupted");
		if (!allowed(k, x, true))
			return;
		if (store_session_activity(k->s, x->id) != STORE_OK)
			return api_unavailable(r);
		return send_session(k, x, 200, NULL);
	}
	if (n == 3 && !strcmp(what, "completion")) {
		if (!api_is(r, "POST"))
			return api_not_allowed(r, "POST");
		if (allowed(k, x, true))
			completion(k, x);
		return;
	}
	if (n == 4 && !strcmp(what, "statements")) {
		if (!api_is(r, "GET"))
			return api_not_allowed(r, "GET, HEAD");
		if (statement_id(k, seg[3], &stmt) == 0 && allowed(k, x, false))
			statement_get(k, x, stmt);
		return;
	}
	if (n == 5 && !strcmp(what, "statements") && !strcmp(seg[4], "cancel")) {
		if (!api_is(r, "POST"))
			return api_not_allowed(r, "POST");
		if (statement_id(k, seg[3], &stmt) == 0 && allowed(k, x, true))
			statement_cancel(k, x, stmt);
		return;
	}
	http_send_msg(r, 404, NULL, "Not found: %s", r->path);
}

void sessions_route(struct call *k, char seg[API_SEGMENTS][256], int n)
{
	struct http_req *r = k->r;
	struct store_sessions ss;
	int rc;

	if (n == 1) {
		if (api_is(r, "GET"))
			return session_list(k);
		if (api_is(r, "POST"))
			return session_create(k);
		return api_not_allowed(r, "POST, GET, HEAD");
	}
	if (api_check_key(r, seg[1]) < 0)
		return;
	rc = store_session_get(k->s, seg[1], n == 2, k->c, &ss);
	if (rc == STORE_NOTFOUND)
		return api_not_found(r, seg[1]);
	if (rc != STORE_OK)
		return api_unavailable(r);
	if (ss.v[0].heartbeat_sec > 0)
		store_session_touch(k->s, ss.v[0].id);
	one_session(k, &ss.v[0], seg, n);
	store_sessions_free(&ss);
}
