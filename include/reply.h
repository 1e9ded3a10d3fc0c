/* reply.h - what every route handler shares: the call, its query and key checks, Livy's answers.
 *
 * The module owns the pieces of Livy's REST API that batches, sessions and the
 * driver API answer alike (https://livy.apache.org/docs/latest/rest-api.html):
 * the request as a handler sees it (struct call), query integers and path keys
 * read as Livy reads them, the list page {"from", "total", "sessions"}, the
 * {"id", "state"} answer, the log window, and the errors: 404 for an unknown
 * session or batch, 405 with Allow, 503 with Retry-After when the database
 * failed.  Every error body is Livy's {"msg": "..."}.
 */
#ifndef TACITUS_REPLY_H
#define TACITUS_REPLY_H

#include <stdbool.h>

#include <json-c/json.h>

#include "argv.h"
#include "config.h"
#include "http.h"
#include "jsonmemo.h"
#include "push.h"
#include "store.h"

#define REPLY_SEGMENTS 5            /* /sessions/{id}/statements/{n}/cancel */
#define REPLY_SEGMENT_LEN 256

/* One request as the handlers see it. */
struct call {
	struct http_req *r;
	struct store *s;            /* never NULL in a handler: the router answered 503 */
	const struct cfg *c;
	const struct argv_drivers *d;
	const char *user;           /* rights are checked for this user (doAs applied) */
	const char *doas;           /* the doAs query parameter, NULL when absent */
	int n;                      /* path segments: /batches/7/log is 3 */
	char seg[REPLY_SEGMENTS][REPLY_SEGMENT_LEN];
};

/* The method is m (HEAD counts as GET). */
bool reply_method_is(const struct http_req *r, const char *m);

/* Query parameter `name` into buf (len bytes): sets *out to it, or to NULL when it
 * is absent.  A value longer than len - 2 bytes (it may have been cut) is never
 * used: returns -1 after answering 400; else 0. */
int reply_query(struct http_req *r, const char *name, char *buf, size_t len, const char **out);

/* Query integer `name` (default dflt; *given says whether it was there, given may
 * be NULL).  Returns 0, or -1 after answering 400 with Java's message. */
int reply_query_int(struct http_req *r, const char *name, int dflt, int *out, bool *given);

/* Items in one answer at most, whatever `size` asks: Livy has no bound, and
 * size=2147483647 would build a whole history in one response (Livy itself keeps
 * 200 log lines and 100 statements, so its clients never see more). */
#define REPLY_MAX_ITEMS 1000        /* batches or sessions of a list page */
#define REPLY_MAX_LOG_LINES 10000   /* lines of a log window */
#define REPLY_MAX_STATEMENTS 1000   /* statements of a list */

/* The query parameter size (default dflt), at most max.  A negative size stays (an
 * empty slice, as Livy's lists have it) unless neg_is_max (Livy's logs: "all", which
 * is then max).  Returns 0, or -1 after answering 400. */
int reply_query_size(struct http_req *r, int dflt, int max, bool neg_is_max, int *out);

/* An all-digit key must fit Livy's int (a name is anything else): 0, or -1 after
 * answering 400. */
int reply_check_key(struct http_req *r, const char *key);

/* A wait=N&since=STATE or until=end[&wait=N] the request asks for (push.h), on what
 * the handler read: its state, the channel of the version read, the job's end channel
 * (push_end_channel; NULL where until is not taken: a statement), and the route that
 * answers it after the wait (rebuilt from ids, e.g. "/batches/12/state").  Returns
 * true when it answered: a 400 for a bad wait, since or until, or the hand-over to
 * nginx that holds the client; false when the handler answers now (no wait asked,
 * the state differs or is final, waits are off, or the request comes back from its
 * wait). */
bool reply_wait(struct call *k, enum push_what w, const char *state, const char *channel,
		const char *end, const char *path);

/* Hand the client over to nginx to wait up to secs on channel, then come back to a
 * worker as path with the request's own query (push_wait_uri).  false, with nothing
 * sent, when that does not fit. */
bool reply_hand_over(struct call *k, long secs, const char *channel, const char *path);

/* A new JSON string, or NULL (JSON null) for NULL. */
json_object *reply_str(const char *s);

/* 404 {"msg": "Session '<key>' not found."} (Livy says "Session" for batches too). */
void reply_not_found(struct http_req *r, const char *key);

/* 404 for a path no route serves. */
void reply_no_route(struct http_req *r);

/* 405 with Allow: allow. */
void reply_not_allowed(struct http_req *r, const char *allow);

/* 503 with Retry-After: the database failed (the store logged why). */
void reply_unavailable(struct http_req *r);

/* Livy's 400 for a creation the admission rule refused (STORE_TOO_MANY: every
 * slot of livy.server.session.max-creation is taken; STORE_USER_LIMIT: the caller
 * has tacitus.session.max-per-user jobs starting or running; STORE_DUPLICATE:
 * session or batch `holder` has that name); any other rc: 503. */
void reply_refused(struct call *k, enum store_rc rc, const char *name, long long holder);

/* 200 with Livy's list page {"from", "total", "sessions": items} (the key is
 * "sessions" for batches too); takes ownership of items. */
void reply_page(struct http_req *r, int from, long total, json_object *items);

/* 200 {"id": id, "state": state}. */
void reply_state(struct http_req *r, long long id, const char *state);

/* The node of an item of an answer whose text o makes: o's text kept in m for item id
 * made from values v[0..n) (jsonmemo.h: every value o's text depends on), for the next
 * answers to find with jsonmemo_get and http_json_raw; o is put then.  When the memo
 * does not keep it, o itself.  Either way the caller owns what it gets. */
json_object *reply_memo_keep(struct jsonmemo *m, long long id, const char *const *v, int n,
			     json_object *o);

/* Append the last 10 presented lines of a log of log_lines stored lines whose
 * last min(9, log_lines) are `tail` (joined by newlines) to the array log:
 * Livy presents a log as "stdout: ", the lines, "\nstderr: ". */
void reply_log_tail(json_object *log, long log_lines, const char *tail);

/* Answer GET .../log (query from, size: Livy's window) for the job job_id whose
 * log has n stored lines; "id" in the answer is shown_id. */
void reply_log(struct call *k, long long shown_id, long long job_id, long n);

/* Answer GET .../events (beyond Livy; the caller checked the rights of .../log): hand
 * the client over to nginx's event stream of job job_id (push.h), or 406 when it
 * does not ask for text/event-stream. */
void reply_events(struct call *k, long long job_id);

#endif
