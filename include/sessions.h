/* sessions.h - Livy's interactive sessions API: /sessions and its statements.
 *
 * The module owns the routes under /sessions (§2.1-2.3): the 23-key session
 * object, statements (7 keys, outputs as the driver produced them), cancel and
 * completion, with Livy's status codes and {"msg": ...} errors.  Work for a
 * driver is written to PostgreSQL and the driver is woken with one UDP datagram
 * (driverapi.h); nothing waits for a driver except a completion (a few seconds
 * at most).
 */
#ifndef TACITUS_SESSIONS_H
#define TACITUS_SESSIONS_H

#include "api.h"

/* Answer a request whose first path segment is "sessions" (seg[0..n-1]). */
void sessions_route(struct call *k, char seg[API_SEGMENTS][256], int n);

#endif
