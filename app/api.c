/* api.c - Livy's REST API over the store: routing, batches, /version, shared helpers. */
#include "api.h"
#include "driverapi.h"
#include "sessions.h"
#include "access.h"
#include "batchreq.h"
#include "launcher.h"
#include "livy.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define RETRY "Retry-After: 1\r\n"

void api_unavailable(struct http_req *r)
{
	http_send_msg(r, 503, RETRY, "The database is unavailable; try again shortly.");
}

json_object *api_str_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* The presented log: "stdout: ", the stored lines, "\nstderr: " (Livy 0.7+ for
 * batches, whose stderr is merged into stdout). */
#define LOG_HEAD "stdout: "
#define LOG_TAIL "\nstderr: "


void api_log_tail(json_object *log, long log_lines, const char *tail)
{
	const char *p = tail;

	if (log_lines < 9)
		json_object_array_add(log, json_object_new_string(LOG_HEAD));
	for (long i = 0; p && i < (log_lines < 9 ? log_lines : 9); i++) {
		size_t len = strcspn(p, "\n");
		json_object_array_add(log, json_object_new_string_len(p, (int)len));
		p = p[len] ? p + len + 1 : NULL;
	}
	json_object_array_add(log, json_object_new_string(LOG_TAIL));
}

/* The batch object; its log is [] for a caller without view access (as Livy). */
static json_object *batch_json(const struct call *k, const struct store_batch *b)
{
	json_object *o = json_object_new_object(), *info = json_object_new_object();
	json_object *log = json_object_new_array();

	json_object_object_add(o, "id", json_object_new_int64(b->id));
	json_object_object_add(o, "name", api_str_or_null(b->name));
	json_object_object_add(o, "owner", api_str_or_null(b->owner));
	json_object_object_add(o, "proxyUser", api_str_or_null(b->proxy_user));
	json_object_object_add(o, "state", api_str_or_null(b->state));
	json_object_object_add(o, "appId", api_str_or_null(b->app_id));
	json_object_object_add(info, "driverLogUrl", api_str_or_null(b->driver_log_url));
	json_object_object_add(info, "sparkUiUrl", api_str_or_null(b->spark_ui_url));
	json_object_object_add(info, "executorLogUrls", NULL);
	json_object_object_add(o, "appInfo", info);
	json_object_object_add(o, "log", log);
	if (acl_can_view(k->c, k->user, b->owner, b->proxy_user))
		api_log_tail(log, b->log_lines, b->log_tail);
	return o;
}

/* Query integer `name` (default dflt).  Returns 0, or -1 after answering 400. */
int api_query_int(struct http_req *r, const char *name, int dflt, int *out, bool *given)
{
	char buf[64], msg[128];
	const char *v = http_query(r, name, buf, sizeof buf);

	if (given)
		*given = v != NULL;
	if (!v) {
		*out = dflt;
		return 0;
	}
	if (livy_parse_int(v, out, msg, sizeof msg) < 0) {
		http_send_msg(r, 400, NULL, "%s", msg);
		return -1;
	}
	return 0;
}

/* An all-digit key must fit Livy's int; a name is anything else. */
int api_check_key(struct http_req *r, const char *key)
{
	char msg[128];
	int id;

	if (strspn(key, "0123456789") == strlen(key) &&
	    livy_parse_int(key, &id, msg, sizeof msg) < 0) {
		http_send_msg(r, 400, NULL, "%s", msg);
		return -1;
	}
	return 0;
}

void api_not_found(struct http_req *r, const char *key)
{
	http_send_msg(r, 404, NULL, "Session '%s' not found.", key);
}

void api_send_page(struct http_req *r, int from, long total, json_object *items)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "from", json_object_new_int(from));
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "sessions", items);
	http_send_json(r, 200, o, NULL);
	json_object_put(o);
}

void api_send_state(struct http_req *r, long long id, const char *state)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "state", json_object_new_string(state));
	http_send_json(r, 200, o, NULL);
	json_object_put(o);
}

static void batch_list(struct call *k)
{
	struct http_req *r = k->r;
	struct store_batches bs;
	json_object *list;
	int from, size;

	if (api_query_int(r, "from", 0, &from, NULL) < 0 || api_query_int(r, "size", 100, &size, NULL) < 0)
		return;
	if (store_batch_list(k->s, from, size, k->c, &bs) != STORE_OK)
		return api_unavailable(r);
	list = json_object_new_array_ext(bs.n);
	for (int i = 0; i < bs.n; i++)
		json_object_array_add(list, batch_json(k, &bs.v[i]));
	api_send_page(r, from, bs.total, list);
	store_batches_free(&bs);
}

/* The batch a repeated Idempotency-Key refers to, as it is now. */
static void batch_replay(struct call *k, long long id)
{
	struct http_req *r = k->r;
	struct store_batches bs;
	char key[32], loc[64];
	json_object *o;
	int rc;

	snprintf(key, sizeof key, "%lld", id);
	rc = store_batch_get(k->s, key, true, k->c, &bs);
	if (rc == STORE_NOTFOUND)
		return http_send_msg(r, 404, NULL, "The batch created with this Idempotency-Key "
				     "(%lld) is no longer available", id);
	if (rc != STORE_OK)
		return api_unavailable(r);
	o = batch_json(k, &bs.v[0]);
	snprintf(loc, sizeof loc, "Location: /batches/%lld\r\n", id);
	http_send_json(r, 201, o, loc);
	json_object_put(o);
	store_batches_free(&bs);
}

/* Idempotency-Key: at most 255 printable ASCII characters.  NULL = none; "" = bad. */
static const char *idempotency_key(struct http_req *r)
{
	const char *k = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->fcgx->envp);

	if (!k)
		return NULL;
	if (!*k || strlen(k) > 255)
		return "";
	for (const char *p = k; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return "";
	return k;
}

static void batch_create(struct call *k)
{
	struct http_req *r = k->r;
	const struct cfg *c = k->c;
	struct breq q;
	struct store_new_batch nb;
	struct store_batch b;
	json_object *argv, *o;
	char msg[8192], loc[64];
	long long id;
	int rc;

	nb.idempotency_key = idempotency_key(r);
	if (nb.idempotency_key && !*nb.idempotency_key)
		return http_send_msg(r, 400, NULL, "Idempotency-Key must be 1 to 255 printable "
				     "ASCII characters");
	rc = breq_parse(&q, r->body ? r->body : "", r->body_len, r->remote_user, k->doas, c, msg,
			sizeof msg);
	if (rc)
		return http_send_msg(r, rc, NULL, "%s", msg);
	argv = launch_build_argv(&q, c);
	nb.name = q.name;
	nb.owner = r->remote_user;
	nb.proxy_user = q.proxy_user[0] ? q.proxy_user : NULL;
	nb.request_json = r->body;
	nb.argv_json = json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN);
	rc = store_batch_create(k->s, &nb, c, &id, msg, sizeof msg);
	if (rc == STORE_REJECT)
		http_send_msg(r, 400, NULL, "%s", msg);
	else if (rc == STORE_CONFLICT)
		http_send_msg(r, 422, NULL, "%s", msg);
	else if (rc == STORE_REPLAYED)
		batch_replay(k, id);
	else if (rc != STORE_OK)
		api_unavailable(r);
	else {
		log_info("batch %lld: created by %s for %s", id, r->remote_user ? r->remote_user : "-",
			 q.file);
		memset(&b, 0, sizeof b);
		b.id = id;
		b.name = nb.name;
		b.owner = nb.owner;
		b.proxy_user = nb.proxy_user;
		b.state = "starting";
		b.log_tail = "";
		o = batch_json(k, &b);
		snprintf(loc, sizeof loc, "Location: /batches/%lld\r\n", id);
		http_send_json(r, 201, o, loc);
		json_object_put(o);
	}
	json_object_put(argv);
	breq_free(&q);
}

static void batch_get(struct call *k, const char *key, const char *what)
{
	struct http_req *r = k->r;
	struct store_batches bs;
	json_object *o;
	int rc = store_batch_get(k->s, key, strcmp(what, "state") != 0, k->c, &bs);

	if (rc == STORE_NOTFOUND)
		return api_not_found(r, key);
	if (rc != STORE_OK)
		return api_unavailable(r);
	if (!strcmp(what, "state")) {
		api_send_state(r, bs.v[0].id, bs.v[0].state);
	} else {
		o = batch_json(k, &bs.v[0]);
		http_send_json(r, 200, o, NULL);
		json_object_put(o);
	}
	store_batches_free(&bs);
}

void api_send_log(struct call *k, long long shown_id, long long job_id, long n)
{
	struct http_req *r = k->r;
	struct store_lines lines;
	json_object *o, *list;
	long first, count, lo, hi;
	int from, size;
	bool has_from;

	if (api_query_int(r, "from", 0, &from, &has_from) < 0 ||
	    api_query_int(r, "size", 100, &size, NULL) < 0)
		return;
	livy_log_window(n + 2, has_from, from, size, &first, &count);
	/* presented index i is stored line i-1 for 1 <= i <= n */
	lo = first > 1 ? first : 1;
	hi = first + count < n + 1 ? first + count : n + 1;
	if (store_batch_log(k->s, job_id, lo - 1, hi > lo ? hi - lo : 0, &lines) != STORE_OK)
		return api_unavailable(r);
	list = json_object_new_array_ext((int)count);
	for (long i = first, next = 0; i < first + count; i++) {
		if (i == 0)
			json_object_array_add(list, json_object_new_string(LOG_HEAD));
		else if (i == n + 1)
			json_object_array_add(list, json_object_new_string(LOG_TAIL));
		else if (next < lines.n)
			json_object_array_add(list, json_object_new_string(lines.v[next++]));
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(shown_id));
	json_object_object_add(o, "from", json_object_new_int64(first));
	json_object_object_add(o, "total", json_object_new_int64(n + 2));
	json_object_object_add(o, "log", list);
	http_send_json(r, 200, o, NULL);
	json_object_put(o);
	store_lines_free(&lines);
}

static void batch_log(struct call *k, const char *key)
{
	struct http_req *r = k->r;
	struct store_batches bs;
	int rc = store_batch_get(k->s, key, false, k->c, &bs);

	if (rc == STORE_NOTFOUND)
		return api_not_found(r, key);
	if (rc != STORE_OK)
		return api_unavailable(r);
	if (!acl_can_view(k->c, k->user, bs.v[0].owner, bs.v[0].proxy_user))
		http_send_msg(r, 403, NULL, "User '%s' may not see the log of batch %lld",
			      k->user, bs.v[0].id);
	else
		api_send_log(k, bs.v[0].id, bs.v[0].id, bs.v[0].log_lines);
	store_batches_free(&bs);
}

static void batch_delete(struct call *k, const char *key)
{
	struct http_req *r = k->r;
	struct store_batches bs;
	long long id;
	int rc = store_batch_get(k->s, key, false, k->c, &bs);

	if (rc == STORE_NOTFOUND)
		return api_not_found(r, key);
	if (rc != STORE_OK)
		return api_unavailable(r);
	if (!acl_can_modify(k->c, k->user, bs.v[0].owner, bs.v[0].proxy_user)) {
		http_send_msg(r, 403, NULL, "User '%s' may not delete batch %lld", k->user, bs.v[0].id);
		return store_batches_free(&bs);
	}
	store_batches_free(&bs);
	rc = store_batch_delete(k->s, key, k->c, &id);
	if (rc == STORE_NOTFOUND)
		return api_not_found(r, key);
	if (rc != STORE_OK)
		return api_unavailable(r);
	log_info("batch %lld: deleted by %s", id, r->remote_user ? r->remote_user : "-");
	http_send_msg(r, 200, NULL, "deleted");
}

static void version(struct http_req *r)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "url", json_object_new_string(""));
	json_object_object_add(o, "branch", json_object_new_string(""));
	json_object_object_add(o, "revision", json_object_new_string(""));
	json_object_object_add(o, "version", json_object_new_string(LIVY_VERSION));
	json_object_object_add(o, "date", json_object_new_string(""));
	json_object_object_add(o, "user", json_object_new_string(""));
	http_send_json(r, 200, o, NULL);
	json_object_put(o);
}

bool api_is(const struct http_req *r, const char *m)
{
	return !strcmp(r->method, m) || (!strcmp(m, "GET") && !strcmp(r->method, "HEAD"));
}

void api_not_allowed(struct http_req *r, const char *allow)
{
	char h[96];

	snprintf(h, sizeof h, "Allow: %s\r\n", allow);
	http_send_msg(r, 405, h, "Method %s is not allowed here; use %s", r->method, allow);
}

/* Livy's API versioning: Accept: application/vnd.livy.v<ver>[+json], only 0.1. */
static int check_accept(struct http_req *r)
{
	const char *a = FCGX_GetParam("HTTP_ACCEPT", r->fcgx->envp);
	const char *p = a ? strstr(a, "application/vnd.livy.v") : NULL;
	char ver[32];

	if (!p)
		return 0;
	p += strlen("application/vnd.livy.v");
	snprintf(ver, sizeof ver, "%.*s", (int)strcspn(p, "+,; "), p);
	if (!strcmp(ver, "0.1"))
		return 0;
	http_send_msg(r, 406, NULL, "No value found for '%s'", ver);
	return -1;
}

/* Split "/a/b/c" into at most API_SEGMENTS segments; returns the count, -1 if too many. */
static int split_path(const char *path, char seg[API_SEGMENTS][256])
{
	int n = 0;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p) {
		size_t len = strcspn(p, "/");
		if (n == API_SEGMENTS || len >= 256)
			return -1;
		memcpy(seg[n], p, len);
		seg[n++][len] = '\0';
		p += len;
		if (*p == '/' && p[1] == '\0' && n > 1)
			return -1;          /* "/batches/1/state/" is 404, "/batches/" is the list */
		while (*p == '/')
			p++;
	}
	return n;
}

static void batches(struct call *k, char seg[API_SEGMENTS][256], int n)
{
	struct http_req *r = k->r;

	if (n == 1) {
		if (api_is(r, "GET"))
			return batch_list(k);
		if (api_is(r, "POST"))
			return batch_create(k);
		return api_not_allowed(r, "POST, GET, HEAD");
	}
	if (api_check_key(r, seg[1]) < 0)
		return;
	if (n == 2) {
		if (api_is(r, "GET"))
			return batch_get(k, seg[1], "batch");
		if (api_is(r, "DELETE"))
			return batch_delete(k, seg[1]);
		return api_not_allowed(r, "DELETE, GET, HEAD");
	}
	if (n == 3 && (!strcmp(seg[2], "state") || !strcmp(seg[2], "log"))) {
		if (!api_is(r, "GET"))
			return api_not_allowed(r, "GET, HEAD");
		if (!strcmp(seg[2], "state"))
			return batch_get(k, seg[1], "state");
		return batch_log(k, seg[1]);
	}
	http_send_msg(r, 404, NULL, "Not found: %s", r->path);
}

/* Livy's CSRF filter: a changing request must carry X-Requested-By. */
static bool csrf_ok(const struct http_req *r, const struct cfg *c)
{
	return !c->csrf || api_is(r, "GET") || !strcmp(r->method, "OPTIONS") ||
	       FCGX_GetParam("HTTP_X_REQUESTED_BY", r->fcgx->envp);
}

void api_handle(struct http_req *r, struct store *s, const struct cfg *c)
{
	char seg[API_SEGMENTS][256], doas[256];
	int n;
	struct call k = {.r = r, .s = s, .c = c};

	if (!strcmp(r->path, "/driver/sync"))       /* no user: the driver's secret */
		return driver_sync(r, s);
	n = split_path(r->path, seg);

	if (!acl_allowed(c, r->remote_user))
		return http_send_msg(r, 403, NULL, "User not authorised to use Livy.");
	if (!csrf_ok(r, c))
		return http_send_msg(r, 400, NULL, "Missing Required Header for CSRF protection.");
	k.doas = http_query(r, "doAs", doas, sizeof doas);
	k.user = acl_effective_user(c, r->remote_user, k.doas);

	if (n == 1 && !strcmp(seg[0], "version")) {
		if (!api_is(r, "GET"))
			return api_not_allowed(r, "GET, HEAD");
		return version(r);
	}
	if (n >= 1 && !strcmp(seg[0], "batches")) {
		if (check_accept(r) < 0)
			return;
		if (!s)
			return api_unavailable(r);
		return batches(&k, seg, n);
	}
	if (n >= 1 && !strcmp(seg[0], "sessions")) {
		if (check_accept(r) < 0)
			return;
		if (!s)
			return api_unavailable(r);
		return sessions_route(&k, seg, n);
	}
	http_send_msg(r, 404, NULL, "Not found: %s", r->path);
}
