/* reply.c - the answers every route shares: errors, pages, states, log windows, query ints. */
#include "reply.h"
#include "livy.h"

#include <stdio.h>
#include <string.h>

#define RETRY_AFTER "Retry-After: 1\r\n"
#define ALLOW_HEADER_MAX 96
#define QUERY_VALUE_MAX 1024        /* an int with leading zeros, as Java reads them */
#define INT_MSG_MAX 128
#define WAIT_MSG_MAX 200

/* Livy's presented log: "stdout: ", the stored lines, "\nstderr: " (Livy 0.7+ for
 * batches, whose stderr is merged into stdout). */
#define LOG_HEAD "stdout: "
#define LOG_TAIL "\nstderr: "

bool reply_method_is(const struct http_req *r, const char *m)
{
	return !strcmp(r->method, m) || (!strcmp(m, "GET") && !strcmp(r->method, "HEAD"));
}

int reply_query(struct http_req *r, const char *name, char *buf, size_t len, const char **out)
{
	*out = http_query(r, name, buf, len);
	if (*out && strlen(*out) + 1 >= len) {
		http_send_msg(r, 400, NULL, "The query parameter %s is longer than %zu bytes", name,
			      len - 2);
		return -1;
	}
	return 0;
}

bool reply_wait(struct call *k, enum push_what w, const char *state, const char *channel,
		const char *end, const char *path)
{
	char wbuf[QUERY_VALUE_MAX], sbuf[QUERY_VALUE_MAX], ubuf[QUERY_VALUE_MAX];
	char msg[WAIT_MSG_MAX];
	const char *wait, *since, *until;
	long long cap = k->c->push_wait_max_ms;
	long secs;
	int rc;

	if (k->r->waited)
		return false;
	if (reply_query(k->r, "wait", wbuf, sizeof wbuf, &wait) < 0 ||
	    reply_query(k->r, "since", sbuf, sizeof sbuf, &since) < 0 ||
	    reply_query(k->r, "until", ubuf, sizeof ubuf, &until) < 0)
		return true;
	if (!wait && !since && !until)
		return false;
	rc = until ? push_end_secs(w, until, wait, since, state, cap, &secs, msg, sizeof msg)
		   : push_wait_secs(w, wait, since, state, cap, &secs, msg, sizeof msg);
	if (rc < 0) {
		http_send_msg(k->r, 400, NULL, "%s", msg);
		return true;
	}
	if (!secs)
		return false;
	if (!reply_hand_over(k, secs, until ? end : channel, path))
		http_send_msg(k->r, 400, NULL, "The query is too long to wait with");
	return true;
}

bool reply_hand_over(struct call *k, long secs, const char *channel, const char *path)
{
	char uri[PUSH_URI_MAX];

	if (push_wait_uri(uri, sizeof uri, secs, channel, path, k->r->query) < 0)
		return false;
	http_send_accel(k->r, uri);
	return true;
}

void reply_events(struct call *k, long long job_id)
{
	const char *accept = FCGX_GetParam("HTTP_ACCEPT", k->r->fcgx->envp);
	char uri[PUSH_URI_MAX];

	if (!accept || !strstr(accept, "text/event-stream")) {
		http_send_msg(k->r, 406, NULL, "An event stream: ask with Accept: text/event-stream");
		return;
	}
	push_events_uri(uri, sizeof uri, job_id);
	http_send_accel(k->r, uri);
}

int reply_query_int(struct http_req *r, const char *name, int dflt, int *out, bool *given)
{
	char buf[QUERY_VALUE_MAX], msg[INT_MSG_MAX];
	const char *v;

	if (reply_query(r, name, buf, sizeof buf, &v) < 0)
		return -1;
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

int reply_query_size(struct http_req *r, int dflt, int max, bool neg_is_max, int *out)
{
	if (reply_query_int(r, "size", dflt, out, NULL) < 0)
		return -1;
	if (*out > max || (*out < 0 && neg_is_max))
		*out = max;
	return 0;
}

int reply_check_key(struct http_req *r, const char *key)
{
	char msg[INT_MSG_MAX];
	int id;

	if (strspn(key, "0123456789") == strlen(key) &&
	    livy_parse_int(key, &id, msg, sizeof msg) < 0) {
		http_send_msg(r, 400, NULL, "%s", msg);
		return -1;
	}
	return 0;
}

json_object *reply_str(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

void reply_not_found(struct http_req *r, const char *key)
{
	http_send_msg(r, 404, NULL, "Session '%s' not found.", key);
}

void reply_no_route(struct http_req *r)
{
	http_send_msg(r, 404, NULL, "Not found: %s", r->path);
}

void reply_not_allowed(struct http_req *r, const char *allow)
{
	char h[ALLOW_HEADER_MAX];

	snprintf(h, sizeof h, "Allow: %s\r\n", allow);
	http_send_msg(r, 405, h, "Method %s is not allowed here; use %s", r->method, allow);
}

void reply_unavailable(struct http_req *r)
{
	http_send_msg(r, 503, RETRY_AFTER, "The database is unavailable; try again shortly.");
}

void reply_refused(struct call *k, enum store_rc rc, const char *name, long long holder)
{
	struct http_req *r = k->r;

	if (rc == STORE_TOO_MANY)
		http_send_msg(r, 400, NULL, "Rejected, too many sessions are being created!");
	else if (rc == STORE_USER_LIMIT)
		http_send_msg(r, 400, NULL, "Rejected, user '%s' already has %ld batches and sessions "
			      "starting or running (tacitus.session.max-per-user)",
			      r->remote_user ? r->remote_user : "", k->c->max_per_user);
	else if (rc == STORE_DUPLICATE)
		http_send_msg(r, 400, NULL, "Rejected, Reason: Duplicate session name: Some(%s) for "
			      "session %lld", name ? name : "", holder);
	else
		reply_unavailable(r);
}

void reply_page(struct http_req *r, int from, long total, json_object *items)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "from", json_object_new_int(from));
	json_object_object_add(o, "total", json_object_new_int64(total));
	json_object_object_add(o, "sessions", items);
	http_send_json(r, 200, o, NULL);
	json_object_put(o);
}

void reply_state(struct http_req *r, long long id, const char *state)
{
	json_object *o = push_state_json(id, state);

	http_send_json(r, 200, o, NULL);
	json_object_put(o);
}

json_object *reply_memo_keep(struct jsonmemo *m, long long id, const char *const *v, int n,
			     json_object *o)
{
	const char *text = o ? http_json_text(o) : NULL;

	if (!text || !(text = jsonmemo_keep(m, id, v, n, text, strlen(text))))
		return o;
	json_object_put(o);
	return http_json_raw(text);
}

void reply_log_tail(json_object *log, long log_lines, const char *tail)
{
	const char *p = tail;
	long shown = log_lines < STORE_LOG_TAIL_LINES ? log_lines : STORE_LOG_TAIL_LINES;

	if (log_lines < STORE_LOG_TAIL_LINES)
		json_object_array_add(log, json_object_new_string(LOG_HEAD));
	for (long i = 0; p && i < shown; i++) {
		size_t len = strcspn(p, "\n");
		json_object_array_add(log, json_object_new_string_len(p, (int)len));
		p = p[len] ? p + len + 1 : NULL;
	}
	json_object_array_add(log, json_object_new_string(LOG_TAIL));
}

void reply_log(struct call *k, long long shown_id, long long job_id, long n)
{
	struct http_req *r = k->r;
	struct store_lines lines;
	json_object *o, *list;
	long first, count, lo, hi;
	int from, size;
	bool has_from;

	if (reply_query_int(r, "from", 0, &from, &has_from) < 0 ||
	    reply_query_size(r, 100, REPLY_MAX_LOG_LINES, true, &size) < 0)
		return;
	livy_log_window(n + 2, has_from, from, size, &first, &count);
	/* presented index i is stored line i-1 for 1 <= i <= n */
	lo = first > 1 ? first : 1;
	hi = first + count < n + 1 ? first + count : n + 1;
	if (store_batch_log(k->s, job_id, lo - 1, hi > lo ? hi - lo : 0, &lines) != STORE_OK) {
		reply_unavailable(r);
		return;
	}
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
