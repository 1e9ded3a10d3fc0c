/* batchreq.h - the bodies of POST /batches and POST /sessions, checked field by field.
 *
 * The module owns the validation of a CreateBatchRequest (Livy §2.5) and of a
 * CreateInteractiveRequest (§2.1): a table of the known fields of each, every
 * field with a small validator (as kcgi does), then Livy's launch-time rules:
 * file required (batches), kinds, time strings, names, impersonation, the conf
 * blacklist, file URIs against the whitelist, and the final Spark conf of §4.2.
 * A request that passes is complete: nothing later can reject it.
 */
#ifndef TACITUS_BATCHREQ_H
#define TACITUS_BATCHREQ_H

#include <json-c/json.h>

#include "config.h"

struct breq {
	json_object *body;          /* the parsed request (owned) */
	json_object *conf;          /* final Spark conf, ordered (owned) */
	json_object *args;          /* application arguments, all strings (owned) */
	char file[4096];            /* resolved application file */
	const char *name;           /* NULL when absent; points into body */
	const char *class_name;
	const char *queue;
	char proxy_user[256];       /* effective proxy user, "" = none */
	/* sessions only */
	const char *kind;           /* canonical kind (static string) */
	long long ttl_ms, idle_timeout_ms;      /* -1 = not given */
	int heartbeat_sec;
};

/* Parse and check `len` bytes of `text` (NUL-terminated) from user `remote_user` (NULL = no
 * authentication), who asks to act as `doas` (the doAs query parameter; NULL =
 * none, then the body's proxyUser counts).  On success fills *r (release with
 * breq_free) and returns 0.
 * On refusal returns the HTTP status (400, 403) with Livy's message in msg; *r then
 * holds nothing to free. */
int breq_parse(struct breq *r, const char *text, size_t len, const char *remote_user,
	       const char *doas, const struct cfg *c, char *msg, size_t msglen);

/* The same for the body of POST /sessions: no file, args empty; kind
 * (default "shared", aliases normalised; sparkr refused without R), ttl,
 * idleTimeout and heartbeatTimeoutInSecond are filled in. */
int breq_parse_session(struct breq *r, const char *text, size_t len, const char *remote_user,
		       const char *doas, const struct cfg *c, char *msg, size_t msglen);

/* A small body (Livy's ExecuteRequest, CompletionRequest): a JSON object whose keys
 * are all among `keys` (at most BREQ_MAX_KEYS), read by the rules of the bodies
 * above.  Returns it (caller puts it), or NULL with Livy's message in msg. */
#define BREQ_MAX_KEYS 4
json_object *breq_object(const char *text, size_t len, const char *class_name,
			 const char *const keys[], size_t nkeys, char *msg, size_t msglen);

/* The canonical name of a Livy kind or alias ("scala" -> "spark"); NULL if unknown. */
const char *breq_kind(const char *name);

/* Release what breq_parse allocated; safe on a zeroed struct. */
void breq_free(struct breq *r);

#endif
