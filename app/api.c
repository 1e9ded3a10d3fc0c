/* api.c - the router: path split, user, access filter, CSRF, JSON bodies, Accept, /version,
 * then a handler. */
#include "api.h"
#include "access.h"
#include "batches.h"
#include "driverapi.h"
#include "history.h"
#include "jsontext.h"
#include "livy.h"
#include "reply.h"
#include "scrape.h"
#include "reqbody.h"
#include "sessions.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define LIVY_MEDIA_TYPE "application/vnd.livy.v"
#define LIVY_API_VERSION "0.1"
#define ACCEPT_VERSION_MAX 32

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

/* Livy's API versioning: Accept: application/vnd.livy.v<ver>[+json], only 0.1.
 * Returns 0, or -1 after answering 406. */
static int check_accept(struct http_req *r)
{
	const char *a = FCGX_GetParam("HTTP_ACCEPT", r->fcgx->envp);
	const char *p = a ? strstr(a, LIVY_MEDIA_TYPE) : NULL;
	char ver[ACCEPT_VERSION_MAX];

	if (!p)
		return 0;
	p += strlen(LIVY_MEDIA_TYPE);
	snprintf(ver, sizeof ver, "%.*s", (int)strcspn(p, "+,; "), p);
	if (!strcmp(ver, LIVY_API_VERSION))
		return 0;
	http_send_msg(r, 406, NULL, "No value found for '%s'", ver);
	return -1;
}

/* Split "/a/b/c" into k's segments; returns their count, -1 if too many or too
 * long, or when a path of two or more segments ends in "/" ("/batches/1/state/"
 * is 404, "/batches/" is the list). */
static int split_path(const char *path, struct call *k)
{
	int n = 0;
	const char *p = path;

	while (*p == '/')
		p++;
	while (*p) {
		size_t len = strcspn(p, "/");
		if (n == REPLY_SEGMENTS || len >= REPLY_SEGMENT_LEN)
			return -1;
		memcpy(k->seg[n], p, len);
		k->seg[n++][len] = '\0';
		p += len;
		if (*p == '/' && p[1] == '\0' && n > 1)
			return -1;
		while (*p == '/')
			p++;
	}
	return n;
}

/* Livy's CSRF filter: a changing request must carry X-Requested-By. */
static bool csrf_ok(const struct http_req *r, const struct cfg *c)
{
	return !c->csrf || reply_method_is(r, "GET") || !strcmp(r->method, "OPTIONS") ||
	       FCGX_GetParam("HTTP_X_REQUESTED_BY", r->fcgx->envp);
}

/* Whatever livy.server.csrf-protection says: a browser names the page a request came
 * from in Origin (on every POST, form or script); one that changes something (any
 * method but GET, HEAD, OPTIONS) from a page of another origin than this API's is
 * refused, body or not (POST .../stop has none).  Clients that are not browsers
 * send no Origin. */
static bool same_origin(const struct http_req *r)
{
	const char *origin = FCGX_GetParam("HTTP_ORIGIN", r->fcgx->envp);
	const char *host = FCGX_GetParam("HTTP_HOST", r->fcgx->envp);
	size_t n = sizeof "https://" - 1;

	if (!origin || reply_method_is(r, "GET") || !strcmp(r->method, "OPTIONS"))
		return true;
	return host && !strncasecmp(origin, "https://", n) && !strcasecmp(origin + n, host);
}

/* The routes whose POST body is a JSON request (Livy's CreateBatchRequest,
 * CreateInteractiveRequest, ExecuteRequest, CompletionRequest). */
static bool reads_json_body(const struct call *k)
{
	if (!reply_method_is(k->r, "POST"))
		return false;
	if (k->n == 1)
		return !strcmp(k->seg[0], "batches") || !strcmp(k->seg[0], "sessions");
	return k->n == 3 && !strcmp(k->seg[0], "sessions") &&
	       (!strcmp(k->seg[2], "statements") || !strcmp(k->seg[2], "completion"));
}

/* /batches, /sessions and /history: versioning, the database, then their module. */
static void job_route(struct call *k, void (*route)(struct call *))
{
	if (check_accept(k->r) < 0)
		return;
	if (!k->s)
		reply_unavailable(k->r);
	else
		route(k);
}

void api_handle(struct http_req *r, struct store *s, const struct cfg *c,
		const struct argv_drivers *d)
{
	struct call k = {.r = r, .s = s, .c = c, .d = d};
	char doas[REPLY_SEGMENT_LEN];

	if (!strcmp(r->path, HTTP_DRIVER_PATH)) {   /* no user: the driver's secret */
		driver_sync(r, s);
		return;
	}
	k.n = split_path(r->path, &k);
	/* nginx authenticates every request but the driver's; one that arrives without a
	 * user is a front door gone wrong (say, an auth service answering 2xx without
	 * X-Auth-User), not a user with every right */
	if (!*r->remote_user)
		http_send_msg(r, 401, NULL, "Authentication required: the front door named no user");
	else if (!acl_allowed(c, r->remote_user))
		http_send_msg(r, 403, NULL, "User not authorised to use Livy.");
	else if (!csrf_ok(r, c))
		http_send_msg(r, 400, NULL, "Missing Required Header for CSRF protection.");
	else if (!same_origin(r))
		http_send_msg(r, 403, NULL, "A request from a page of another origin may not "
			      "change anything here");
	/* nginx decodes %XX: a path that is not UTF-8 names nothing here (and must not
	 * reach a query, which PostgreSQL would refuse: a 503 and an ERROR) */
	else if (!jsontext_utf8(r->path))
		http_send_msg(r, 404, NULL, "Not found: the path is not UTF-8");
	/* whatever livy.server.csrf-protection says: a body that is not declared JSON may
	 * come from a cross-site form, which cannot send application/json */
	else if (reads_json_body(&k) &&
		 !jsontext_media_type(FCGX_GetParam("CONTENT_TYPE", r->fcgx->envp)))
		http_send_msg(r, 415, NULL, "The request body must be JSON, sent with "
			      "Content-Type: application/json");
	else {
		if (reply_query(r, "doAs", doas, sizeof doas, &k.doas) < 0)
			return;
		if (k.doas && !jsontext_utf8(k.doas)) {
			http_send_msg(r, 400, NULL, "doAs is not UTF-8");
			return;
		}
		k.user = acl_effective_user(c, r->remote_user, k.doas);
		if (k.n == 1 && !strcmp(k.seg[0], "version")) {
			if (reply_method_is(r, "GET"))
				version(r);
			else
				reply_not_allowed(r, "GET, HEAD");
		} else if (k.n >= 1 && !strcmp(k.seg[0], "batches")) {
			job_route(&k, batches_route);
		} else if (k.n >= 1 && !strcmp(k.seg[0], "sessions")) {
			job_route(&k, sessions_route);
		} else if (k.n >= 1 && !strcmp(k.seg[0], "history")) {
			job_route(&k, history_route);
		} else if (k.n == 1 && !strcmp(k.seg[0], "metrics")) {
			scrape_route(&k);
		} else {
			reply_no_route(r);
		}
	}
}
