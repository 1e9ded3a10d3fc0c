/* sessions.h - Livy's interactive sessions API: /sessions and its statements.
 *
 * The module owns the routes under /sessions: the 23-key session object,
 * statements (7 keys, outputs as the driver produced them), cancel and
 * completion, Livy's /stop, /interrupt and /connect, with Livy's status codes and
 * {"msg": ...} errors.  Work for a driver is written to PostgreSQL and the driver
 * is woken with one UDP datagram (driverapi.h); nothing waits for a driver except
 * a completion (a few seconds at most).
 */
#ifndef TACITUS_SESSIONS_H
#define TACITUS_SESSIONS_H

#include "reply.h"

/* Answer a request whose first path segment is "sessions" (k->s is connected). */
void sessions_route(struct call *k);

#endif
