/* batchreq.h - the body of POST /batches, checked field by field.
 *
 * The module owns the validation of a CreateBatchRequest (Livy §2.5): a table of
 * the 16 known fields, each with a small validator (as kcgi does), then Livy's
 * launch-time rules: file required, names, impersonation, the conf blacklist,
 * file URIs against the whitelist, and the final Spark conf of §4.2.  A request
 * that passes is complete: nothing later can reject it.
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
};

/* Parse and check `len` bytes of `text` (NUL-terminated) from user `remote_user` (NULL = no
 * authentication), who asks to act as `doas` (the doAs query parameter; NULL =
 * none, then the body's proxyUser counts).  On success fills *r (release with
 * breq_free) and returns 0.
 * On refusal returns the HTTP status (400, 403) with Livy's message in msg; *r then
 * holds nothing to free. */
int breq_parse(struct breq *r, const char *text, size_t len, const char *remote_user,
	       const char *doas, const struct cfg *c, char *msg, size_t msglen);

/* Release what breq_parse allocated; safe on a zeroed struct. */
void breq_free(struct breq *r);

#endif
