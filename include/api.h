/* api.h - Livy's REST API: routes, handlers and the JSON shapes of §2.
 *
 * The module owns the mapping from a request (method, path, query, body) to one
 * store call and a Livy-shaped answer: the 8-key batch object, lists under
 * "sessions", log windows, {"msg": ...} for every error, 405 with Allow.  The
 * /sessions routes live in sessions.c and the drivers' /driver/sync in
 * driverapi.c; the helpers below are what they share.
 */
#ifndef TACITUS_API_H
#define TACITUS_API_H

#include <stdbool.h>

#include "config.h"
#include "http.h"
#include "store.h"

#define API_SEGMENTS 5          /* /sessions/{id}/statements/{n}/cancel */

/* One request as the handlers see it. */
struct call {
	struct http_req *r;
	struct store *s;
	const struct cfg *c;
	const char *user;           /* rights are checked for this user (doAs applied) */
	const char *doas;           /* the doAs query parameter, NULL when absent */
};

/* Answer one request.  `s` may be NULL when the database is unreachable (503). */
void api_handle(struct http_req *r, struct store *s, const struct cfg *c);

/* 503 with Retry-After: the database failed (the store logged why). */
void api_unavailable(struct http_req *r);

/* A new JSON string, or NULL (JSON null) for NULL. */
json_object *api_str_or_null(const char *s);

/* Query integer `name` (default dflt; *given says whether it was there).  Returns
 * 0, or -1 after answering 400 with Java's message. */
int api_query_int(struct http_req *r, const char *name, int dflt, int *out, bool *given);

/* An all-digit key must fit Livy's int: 0, or -1 after answering 400. */
int api_check_key(struct http_req *r, const char *key);

/* 404 {"msg": "Session '<key>' not found."} */
void api_not_found(struct http_req *r, const char *key);

/* The method is m (HEAD counts as GET). */
bool api_is(const struct http_req *r, const char *m);

/* 405 with Allow: allow. */
void api_not_allowed(struct http_req *r, const char *allow);

/* Answer 200 with Livy's list page {"from", "total", "sessions": items} (the key is
 * "sessions" for batches too); takes ownership of items. */
void api_send_page(struct http_req *r, int from, long total, json_object *items);

/* Answer 200 {"id": id, "state": state}. */
void api_send_state(struct http_req *r, long long id, const char *state);

/* Append the last 10 presented lines of a log of log_lines stored lines whose
 * last min(9, log_lines) are `tail` (joined by newlines) to the array log. */
void api_log_tail(json_object *log, long log_lines, const char *tail);

/* Answer GET .../log (from, size: Livy's window) for the job job_id whose log
 * has n stored lines; "id" in the answer is shown_id. */
void api_send_log(struct call *k, long long shown_id, long long job_id, long n);

#endif
