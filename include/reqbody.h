/* reqbody.h - request bodies (POST /batches, /sessions, statements), checked field by field.
 *
 * The module owns the validation of Livy's CreateBatchRequest and
 * CreateInteractiveRequest (https://livy.apache.org/docs/latest/rest-api.html):
 * a table of the known fields of each, every field with a small validator (as
 * kcgi does), then Livy's launch-time rules: file required (batches), kinds,
 * time strings, names, impersonation, conf keys (Spark's syntax) and the conf
 * blacklist, file URIs against the whitelist, and the final Spark conf (the
 * request's resources as spark.* keys, spark.master and deploy mode from
 * livy.conf).  A request that passes is complete: nothing later can reject it.
 * No I/O but resolving local paths (realpath) for the whitelist.
 */
#ifndef TACITUS_REQBODY_H
#define TACITUS_REQBODY_H

#include <stdbool.h>

#include <json-c/json.h>

#include "config.h"

/* Why a body was refused; the HTTP edge maps them (400, 403). */
enum reqbody_rc {
	REQBODY_OK = 0,
	REQBODY_INVALID,            /* malformed, unknown field, bad value, a rule said no */
	REQBODY_FORBIDDEN,          /* the user may not impersonate the asked proxy user */
};

struct reqbody {
	json_object *body;          /* the parsed request (owned) */
	json_object *conf;          /* final Spark conf, ordered (owned) */
	json_object *args;          /* application arguments, all strings (owned) */
	char file[4096];            /* resolved application file */
	const char *name;           /* NULL when absent; points into body */
	const char *class_name;
	const char *queue;
	const char *callback;       /* callbackUrl (Tacitus's; hook.h), NULL = none */
	char proxy_user[256];       /* effective proxy user, "" = none */
	/* sessions only */
	const char *kind;           /* canonical kind (static string) */
	long long ttl_ms, idle_timeout_ms;      /* -1 = not given */
	int heartbeat_sec;
};

/* Parse and check `len` bytes of `text` (NUL-terminated; strict JSON, RFC 8259, and
 * only what PostgreSQL's jsonb takes too) from user `remote_user`, who asks to act
 * as `doas` (the doAs query parameter; NULL = none, then the body's proxyUser
 * counts).  On success fills *r (release with reqbody_free) and returns REQBODY_OK.
 * On refusal returns why, with Livy's message in msg; *r then holds nothing to free. */
enum reqbody_rc reqbody_batch(struct reqbody *r, const char *text, size_t len,
			      const char *remote_user, const char *doas, const struct cfg *c,
			      char *msg, size_t msglen);

/* The same for the body of POST /sessions: no file, args empty; kind
 * (default "shared", aliases normalised; sparkr refused: no R here), ttl,
 * idleTimeout and heartbeatTimeoutInSecond are filled in. */
enum reqbody_rc reqbody_session(struct reqbody *r, const char *text, size_t len,
				const char *remote_user, const char *doas, const struct cfg *c,
				char *msg, size_t msglen);

/* A small body (Livy's ExecuteRequest, CompletionRequest): a JSON object whose keys
 * are all among `keys` (at most REQBODY_MAX_KEYS), read by the rules of the bodies
 * above.  Returns it (caller puts it), or NULL with Livy's message in msg. */
#define REQBODY_MAX_KEYS 4
json_object *reqbody_object(const char *text, size_t len, const char *class_name,
			    const char *const keys[], size_t nkeys, char *msg, size_t msglen);

/* The canonical name of a Livy kind or alias ("scala" -> "spark"); NULL if unknown. */
const char *reqbody_kind(const char *name);

/* Release what reqbody_batch or reqbody_session allocated; safe on a zeroed struct. */
void reqbody_free(struct reqbody *r);

#define REQBODY_SYNC_DEPTH 256      /* a sync's nesting, the users' outputs included */

/* A session driver's sync body (app/DRIVER-PROTOCOL.md), checked before PostgreSQL
 * reads it: strict JSON (jsontext.h) up to REQBODY_SYNC_DEPTH deep, an object;
 * "results" and "completions", when present and not null, arrays of objects whose
 * "id" is an integer (an int for a result, a bigint for a completion) or null, a
 * result's "started" and "completed" integers or null, its "progress" a number or
 * null.  Whatever passes, the sync's SQL takes; the other fields are read by it
 * leniently.  Returns REQBODY_OK, or REQBODY_INVALID with the reason in msg. */
enum reqbody_rc reqbody_sync(const char *text, size_t len, char *msg, size_t msglen);

#endif
