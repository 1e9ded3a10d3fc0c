/* sessions.c - /sessions: create, list, get, state, log, stop; statements go to statements.c. */
#include "sessions.h"
#include "access.h"
#include "argv.h"
#include "log.h"
#include "reqbody.h"
#include "statements.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 8192                /* Livy's messages quote the request's values */
#define LOCATION_MAX 64
#define KEY_MAX 32
#define STOP_REQUEST_MAX 600        /* "<method> <path>", recorded as the stop reason */

/* Copy an int field of the request ("2" counts, as when it was accepted), else 0. */
static void add_int(json_object *o, const char *key, json_object *req)
{
	json_object *v = json_object_object_get(req, key);

	json_object_object_add(o, key, json_object_new_int(v ? atoi(json_object_get_string(v)) : 0));
}

static void add_copy(json_object *o, const char *key, json_object *req, json_type dflt)
{
	json_object *v = json_object_object_get(req, key);

	if (v)
		json_object_object_add(o, key, json_object_get(v));
	else if (dflt == json_type_array)
		json_object_object_add(o, key, json_object_new_array());
	else if (dflt == json_type_object)
		json_object_object_add(o, key, json_object_new_object());
	else
		json_object_object_add(o, key, NULL);
}

/* The session object (23 keys in Livy's order); log [] and conf {} without view access. */
static json_object *session_json(const struct store_session *x, bool view)
{
	json_object *o = json_object_new_object(), *info = json_object_new_object();
	json_object *log = json_object_new_array(), *req = json_tokener_parse(x->request);

	json_object_object_add(o, "id", json_object_new_int64(x->id));
	json_object_object_add(o, "name", reply_str(x->name));
	json_object_object_add(o, "appId", reply_str(x->app_id));
	json_object_object_add(o, "owner", reply_str(x->owner));
	json_object_object_add(o, "proxyUser", reply_str(x->proxy_user));
	json_object_object_add(o, "state", json_object_new_string(x->state));
	json_object_object_add(o, "kind", json_object_new_string(x->kind));
	json_object_object_add(info, "driverLogUrl", reply_str(x->driver_log_url));
	json_object_object_add(info, "sparkUiUrl", reply_str(x->spark_ui_url));
	json_object_object_add(info, "executorLogUrls", NULL);
	json_object_object_add(o, "appInfo", info);
	if (view)
		reply_log_tail(log, x->log_lines, x->log_tail);
	json_object_object_add(o, "log", log);
	add_copy(o, "ttl", req, json_type_null);
	add_copy(o, "idleTimeout", req, json_type_null);
	add_copy(o, "driverMemory", req, json_type_null);
	add_int(o, "driverCores", req);
	add_copy(o, "executorMemory", req, json_type_null);
	add_int(o, "executorCores", req);
	/* Spark conf may carry credentials: only those who may view the session see it */
	if (view)
		add_copy(o, "conf", req, json_type_object);
	else
		json_object_object_add(o, "conf", json_object_new_object());
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

/* This worker's texts of sessions (jsonmemo.h): jsonmemo_begin at the start of each
 * answer that shows sessions. */
static struct jsonmemo session_memo;

/* The session as the caller is shown it: session_json's text, kept by the values it
 * is made from (every value session_json reads, the caller's view right too). */
static json_object *session_node(const struct call *k, const struct store_session *x)
{
	bool view = acl_can_view(k->c, k->user, x->owner, x->proxy_user);
	char lines[24];                 /* a long as text */
	const char *v[] = {view ? "view" : "", x->name, x->app_id, x->owner, x->proxy_user,
			   x->state, x->kind, x->driver_log_url, x->spark_ui_url, lines,
			   view ? x->log_tail : NULL, x->request};
	int n = (int)(sizeof v / sizeof v[0]);
	const char *text;

	snprintf(lines, sizeof lines, "%ld", x->log_lines);
	if ((text = jsonmemo_get(&session_memo, x->id, v, n)))
		return http_json_raw(text);
	return reply_memo_keep(&session_memo, x->id, v, n, session_json(x, view));
}

static void send_session(const struct call *k, const struct store_session *x, int status)
{
	json_object *o;
	char loc[LOCATION_MAX];

	jsonmemo_begin(&session_memo);
	o = session_node(k, x);
	snprintf(loc, sizeof loc, "Location: /sessions/%lld\r\n", x->id);
	http_send_json(k->r, status, o, status == 201 ? loc : NULL);
	json_object_put(o);
}

static void session_list(struct call *k)
{
	struct store_sessions ss;
	json_object *list;
	int from, size;

	if (reply_query_int(k->r, "from", 0, &from, NULL) < 0 ||
	    reply_query_size(k->r, 100, REPLY_MAX_ITEMS, false, &size) < 0)
		return;
	if (store_session_list(k->s, from, size, k->c, &ss) != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	jsonmemo_begin(&session_memo);
	list = json_object_new_array_ext(ss.n);
	for (int i = 0; i < ss.n; i++)
		json_object_array_add(list, session_node(k, &ss.v[i]));
	reply_page(k->r, from, ss.total, list);
	store_sessions_free(&ss);
}

/* Store the accepted request q with its driver's arguments and answer 201. */
static void session_store(struct call *k, const struct reqbody *q)
{
	struct http_req *r = k->r;
	struct store_new_session ns = {0};
	struct store_sessions ss;
	json_object *argv = argv_driver(q, k->c, k->d);
	char key[KEY_MAX];
	long long id;
	bool warm;
	enum store_rc rc;

	ns.name = q->name;
	ns.owner = r->remote_user;
	ns.proxy_user = q->proxy_user[0] ? q->proxy_user : NULL;
	ns.kind = q->kind;
	ns.request_json = r->body;
	ns.argv_json = json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN);
	/* a warm driver fits when this request gives the pool's arguments (a proxy user,
	 * conf, jars or resources of its own show in them) */
	if (k->c->warm_pool > 0 && argv_fits_pool(argv, k->d)) {
		ns.pool = ARGV_POOL;
		ns.pool_argv_json = k->d->pool;
	}
	ns.ttl_ms = q->ttl_ms;
	ns.idle_timeout_ms = q->idle_timeout_ms;
	ns.heartbeat_sec = q->heartbeat_sec;
	ns.tracker = argv_driver_on_yarn(k->c) ? "yarn" : NULL;
	rc = store_session_create(k->s, &ns, k->c, &id, &warm);
	if (rc != STORE_OK) {
		reply_refused(k, rc, ns.name, id);
	} else {
		log_info("session %lld: created by %s, kind %s, %s driver", id,
			 r->remote_user, q->kind, warm ? "a warm" : "a new");
		snprintf(key, sizeof key, "%lld", id);
		if (store_session_get(k->s, key, true, k->c, &ss) != STORE_OK) {
			reply_unavailable(r);
		} else {
			send_session(k, &ss.v[0], 201);
			store_sessions_free(&ss);
		}
	}
	json_object_put(argv);
}

static void session_create(struct call *k)
{
	struct http_req *r = k->r;
	struct reqbody q;
	char msg[MSG_MAX];
	enum reqbody_rc rc;

	if (!k->d->script[0] || !k->d->callback_url[0]) {
		http_send_msg(r, 503, NULL, "Sessions are not configured on this server: "
			      "tacitus serve needs --driver-script and --callback");
		return;
	}
	rc = reqbody_session(&q, r->body ? r->body : "", r->body_len, r->remote_user, k->doas,
			     k->c, msg, sizeof msg);
	if (rc != REQBODY_OK) {
		http_send_msg(r, rc == REQBODY_FORBIDDEN ? 403 : 400, NULL, "%s", msg);
		return;
	}
	session_store(k, &q);
	reqbody_free(&q);
}

/* DELETE (hide: gone from the API at once) or Livy's POST .../stop and .../interrupt
 * (which stop the session and leave it listed, dead). */
static void session_stop(struct call *k, const struct store_session *x, const char *how)
{
	bool hide = !strcmp(how, "deleted");
	char request[STOP_REQUEST_MAX];
	enum store_rc rc;

	if (!acl_can_modify(k->c, k->user, x->owner, x->proxy_user)) {
		http_send_msg(k->r, 403, NULL, "User '%s' may not stop session %lld", k->user, x->id);
		return;
	}
	snprintf(request, sizeof request, "%s %s", k->r->method, k->r->path);
	rc = store_session_delete(k->s, x->id, request, k->r->remote_user, hide);
	if (rc == STORE_NOTFOUND) {
		http_send_msg(k->r, 404, NULL, "Session %lld already stopped.", x->id);
	} else if (rc != STORE_OK) {
		reply_unavailable(k->r);
	} else {
		log_info("session %lld: %s by %s", x->id, hide ? "deleted" : "stopped",
			 k->r->remote_user);
		http_send_msg(k->r, 200, NULL, "%s", how);
	}
}

/* Livy's POST .../connect: activity and heartbeat, then the session. */
static void session_connect(struct call *k, const struct store_session *x)
{
	if (store_session_activity(k->s, x->id) != STORE_OK)
		reply_unavailable(k->r);
	else
		send_session(k, x, 200);
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

/* True when the method is m; else answers 405 with allow. */
static bool method(struct call *k, const char *m, const char *allow)
{
	if (reply_method_is(k->r, m))
		return true;
	reply_not_allowed(k->r, allow);
	return false;
}

/* /sessions/{id}: GET, DELETE. */
static void session_root(struct call *k, const struct store_session *x)
{
	if (reply_method_is(k->r, "DELETE"))
		session_stop(k, x, "deleted");
	else if (method(k, "GET", "DELETE, GET, HEAD"))
		send_session(k, x, 200);
}

/* /sessions/{id}/statements: POST (modify right), GET (view right). */
static void statements(struct call *k, const struct store_session *x)
{
	bool post = reply_method_is(k->r, "POST");

	if (!post && !reply_method_is(k->r, "GET"))
		reply_not_allowed(k->r, "POST, GET, HEAD");
	else if (allowed(k, x, post))
		(post ? stmt_create : stmt_list)(k, x);
}

/* GET /sessions/{id}/state?wait=N&since=STATE or ?until=end: true when answered
 * (push.h). */
static bool wait_state(struct call *k, const struct store_session *x)
{
	char ch[PUSH_CHANNEL_MAX], end[PUSH_CHANNEL_MAX], path[PUSH_URI_MAX];

	push_job_channel(ch, sizeof ch, x->driver_id, x->push_seq);
	push_end_channel(end, sizeof end, x->driver_id);
	snprintf(path, sizeof path, "/sessions/%lld/state", x->id);
	return reply_wait(k, PUSH_SESSION, x->state, ch, end, path);
}

/* /sessions/{id}/...: method and rights, then the handler. */
static void one_session(struct call *k, const struct store_session *x)
{
	const char *what = k->n > 2 ? k->seg[2] : "";
	int n;

	if (k->n == 2)
		session_root(k, x);
	else if (k->n == 3 && !strcmp(what, "state")) {
		if (method(k, "GET", "GET, HEAD") && !wait_state(k, x))
			reply_state(k->r, x->id, x->state);
	} else if (k->n == 3 && !strcmp(what, "log")) {
		if (method(k, "GET", "GET, HEAD") && allowed(k, x, false))
			reply_log(k, x->id, x->driver_id, x->log_lines);
	} else if (k->n == 3 && !strcmp(what, "events")) {
		if (method(k, "GET", "GET, HEAD") && allowed(k, x, false))
			reply_events(k, x->driver_id);
	} else if (k->n == 3 && !strcmp(what, "statements")) {
		statements(k, x);
	} else if (k->n == 3 && (!strcmp(what, "stop") || !strcmp(what, "interrupt"))) {
		/* Livy: both stop the whole session */
		if (method(k, "POST", "POST"))
			session_stop(k, x, !strcmp(what, "stop") ? "stopped" : "interrupted");
	} else if (k->n == 3 && !strcmp(what, "connect")) {
		if (method(k, "POST", "POST") && allowed(k, x, true))
			session_connect(k, x);
	} else if (k->n == 3 && !strcmp(what, "completion")) {
		if (method(k, "POST", "POST") && allowed(k, x, true))
			stmt_complete(k, x);
	} else if (k->n == 4 && !strcmp(what, "completion") && k->r->waited) {
		/* the POST comes back as a GET: nginx makes every X-Accel-Redirect one */
		if (allowed(k, x, true))
			stmt_completed(k, atoll(k->seg[3]));
	} else if (k->n == 4 && !strcmp(what, "statements")) {
		if (method(k, "GET", "GET, HEAD") && stmt_id(k, &n) == 0 && allowed(k, x, false))
			stmt_get(k, x, n);
	} else if (k->n == 5 && !strcmp(what, "statements") && !strcmp(k->seg[4], "cancel")) {
		if (method(k, "POST", "POST") && stmt_id(k, &n) == 0 && allowed(k, x, true))
			stmt_cancel(k, x, n);
	} else {
		reply_no_route(k->r);
	}
}

void sessions_route(struct call *k)
{
	struct store_sessions ss;
	enum store_rc rc;

	if (k->n == 1) {
		if (reply_method_is(k->r, "GET"))
			session_list(k);
		else if (reply_method_is(k->r, "POST"))
			session_create(k);
		else
			reply_not_allowed(k->r, "POST, GET, HEAD");
		return;
	}
	if (reply_check_key(k->r, k->seg[1]) < 0)
		return;
	rc = store_session_get(k->s, k->seg[1], k->n == 2, k->c, &ss);
	if (rc == STORE_NOTFOUND) {
		reply_not_found(k->r, k->seg[1]);
		return;
	}
	if (rc != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	/* a client's polling keeps its session alive (Livy's heartbeat); another
	 * user's GET, which sees nothing of it, does not */
	if (ss.v[0].heartbeat_sec > 0 &&
	    acl_can_view(k->c, k->user, ss.v[0].owner, ss.v[0].proxy_user))
		store_session_touch(k->s, ss.v[0].id);
	one_session(k, &ss.v[0]);
	store_sessions_free(&ss);
}
