/* api.h - the router: one FastCGI request to the handler of its route.
 *
 * The module owns what every request passes before a handler: the path split
 * into segments, a user (401 without one: every front door names one), Livy's access
 * filter (livy.server.access-control.allowed-users), the CSRF header
 * (livy.server.csrf-protection.enabled), Content-Type: application/json on the
 * bodies of POST /batches, /sessions, statements and completion (415), the Accept
 * versioning (application/vnd.livy.v0.1), doAs, GET /version, and the choice of handler:
 * batches.h, sessions.h, driverapi.h.  New routes are added here.
 */
#ifndef TACITUS_API_H
#define TACITUS_API_H

#include "argv.h"
#include "config.h"
#include "http.h"
#include "store.h"

/* Answer one request.  `s` may be NULL when the database is unreachable (503). */
void api_handle(struct http_req *r, struct store *s, const struct cfg *c,
		const struct argv_drivers *d);

#endif
