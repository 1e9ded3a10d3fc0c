/* httpout.h - HTTP calls out: what the cluster trackers send to their managers, and
 * the webhooks.
 *
 * The module owns the one libcurl handle of a process that calls out (the monitor,
 * the webhook sender), reused from call to call so that connections are kept: a
 * time-out on connecting
 * and one on the whole call, no signals, no redirect followed (a standby
 * ResourceManager's redirect is the caller's to read), answers bounded in size, no
 * proxy from the environment.  It knows nothing of YARN or Spark.
 */
#ifndef TACITUS_HTTPOUT_H
#define TACITUS_HTTPOUT_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPOUT_LOCATION_MAX 1024

struct httpout;

struct httpout_answer {
	long status;                /* the HTTP status */
	char *body;                 /* malloc'd, NUL-terminated ("" when empty) */
	size_t len;
	char location[HTTPOUT_LOCATION_MAX];    /* a redirect's Location, "" = none */
	bool sent;                  /* when no answer came: whether the request went out
				       (the server may have acted on it) */
};

/* A handle with these time-outs (milliseconds), or NULL after logging why not.
 * curl_global_init is the caller's (once per process, before this). */
struct httpout *httpout_new(long connect_ms, long total_ms);
void httpout_free(struct httpout *h);

#define HTTPOUT_UNIX_PATH_MAX 108   /* sockaddr_un's sun_path */

/* Every later httpout_call of h goes to the unix socket at path, whatever host the
 * URL names (the publisher's way to its nginx: publish.h).  -1 when path is too long. */
int httpout_use_unix(struct httpout *h, const char *path);

/* The Content-Type of the bodies of h's next httpout_calls (application/json until
 * then). */
void httpout_set_json_type(struct httpout *h, const char *type);

/* The time limit of h's next calls (milliseconds, > 0): a caller that tries
 * several servers within one budget gives each what is left of it. */
void httpout_set_total_ms(struct httpout *h, long total_ms);

/* Send `method` ("GET", "PUT", "POST") to url, with `json` as an application/json
 * body unless NULL, asking for `accept` (a media type; NULL = any).  Returns 0 and
 * fills *a whatever the status (free it with httpout_answer_free), or -1 when no
 * answer came (refused, timed out, an answer longer than `max` bytes) with why in
 * err and a->sent telling whether the request went out; logs nothing. */
int httpout_call(struct httpout *h, const char *method, const char *url, const char *json,
		 const char *accept, size_t max, struct httpout_answer *a, char *err, size_t errlen);
void httpout_answer_free(struct httpout_answer *a);

#define HTTPOUT_POSTS_MAX 16        /* httpout_post_all's calls at once */

/* One of several POSTs sent together: its request, and what came of it. */
struct httpout_post {
	const char *url, *json;     /* an application/json body */
	const char *const *headers; /* beside it, "Name: value", NULL-ended (NULL = none) */
	long status;                /* the answer's HTTP status, 0 = none came ... */
	char err[256];              /* ... and why ("" when one came) */
};

/* POST v[0..n) (n <= HTTPOUT_POSTS_MAX) all at once, each with h's time-outs and
 * rules, the answers' bodies read and thrown away; returns when every one was
 * answered or gave up, so that one slow server costs the others nothing.  Returns
 * 0, or -1 when they could not be sent at all (every err says so); logs nothing.
 * h's own handle is not used. */
int httpout_post_all(struct httpout *h, struct httpout_post *v, int n);

#endif
