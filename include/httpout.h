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
#define HTTPOUT_DISCARD 0           /* httpout_call's max: the answer's body is not kept */

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

/* The time limit of h's next calls (milliseconds, > 0): a caller that tries
 * several servers within one budget gives each what is left of it. */
void httpout_set_total_ms(struct httpout *h, long total_ms);

/* Headers ("Name: value", a NULL-ended list, NULL = none) that h's next calls send
 * beside their own, until set again; the caller keeps them alive meanwhile. */
void httpout_set_headers(struct httpout *h, const char *const *headers);

/* Send `method` ("GET", "PUT", "POST") to url, with `json` as an application/json
 * body unless NULL, asking for `accept` (a media type; NULL = any).  Returns 0 and
 * fills *a whatever the status (free it with httpout_answer_free), or -1 when no
 * answer came (refused, timed out, an answer longer than `max` bytes; max
 * HTTPOUT_DISCARD: any length, the body read and thrown away, a->body "") with why in
 * err and a->sent telling whether the request went out; logs nothing. */
int httpout_call(struct httpout *h, const char *method, const char *url, const char *json,
		 const char *accept, size_t max, struct httpout_answer *a, char *err, size_t errlen);
void httpout_answer_free(struct httpout_answer *a);

#endif
