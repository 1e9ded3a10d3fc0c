/* batches.h - Livy's batch API: /batches and /batches/{id|name}[/state|/log].
 *
 * The module owns the routes of batch jobs: create (validated by reqbody.h, its
 * spark-submit arguments built by argv.h, stored for a monitor to launch), list,
 * get, state, log and delete, with the 8-key batch object, Idempotency-Key
 * replays, and Livy's status codes.  Nothing here starts or signals a process:
 * a monitor does, once the row is in PostgreSQL.
 */
#ifndef TACITUS_BATCHES_H
#define TACITUS_BATCHES_H

#include "reply.h"

/* Answer a request whose first path segment is "batches" (k->s is connected). */
void batches_route(struct call *k);

#endif
