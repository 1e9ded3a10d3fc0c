/* api.h - Livy's REST API: routes, handlers and the JSON shapes of §2.
 *
 * The module owns the mapping from a request (method, path, query, body) to one
 * store call and a Livy-shaped answer: the 8-key batch object, lists under
 * "sessions", log windows, {"msg": ...} for every error, 405 with Allow.
 */
#ifndef TACITUS_API_H
#define TACITUS_API_H

#include "config.h"
#include "http.h"
#include "store.h"

/* Answer one request.  `s` may be NULL when the database is unreachable (503). */
void api_handle(struct http_req *r, struct store *s, const struct cfg *c);

#endif
