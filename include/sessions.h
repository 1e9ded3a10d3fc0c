/* sessions.h - Livy's interactive sessions API: /sessions and its statements.
 *
 * The module owns the routes under /sessions: create (validated by reqbody.h, the
 * driver's arguments built by argv.h, a warm driver taken when one fits), list,
 * get, state, log, DELETE and Livy's /stop, /interrupt and /connect, with the
 * 23-key session object, Livy's status codes and {"msg": ...} errors, and the
 * rights of each route; statements and completion are statements.h's.
 */
#ifndef TACITUS_SESSIONS_H
#define TACITUS_SESSIONS_H

#include "reply.h"

/* Answer a request whose first path segment is "sessions" (k->s is connected). */
void sessions_route(struct call *k);

#endif
