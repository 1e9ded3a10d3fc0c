/* driverapi.h - the server side of the driver protocol (app/DRIVER-PROTOCOL.md).
 *
 * The module owns POST /driver/sync, the one call a session driver makes: it is
 * authenticated by the driver's secret (header X-Tacitus-Secret, checked against
 * its hash in PostgreSQL, never logged), not by a user.  It also owns the wake-up
 * datagram a worker sends a driver when there is work for it.
 */
#ifndef TACITUS_DRIVERAPI_H
#define TACITUS_DRIVERAPI_H

#include "http.h"
#include "store.h"

/* Answer POST /driver/sync.  `s` may be NULL (503).  The body is not read before
 * the secret is known to belong to a running driver: a request without such a
 * secret gets its 403 with its body unread (the caller then ends the request,
 * which closes the connection to nginx).  Then the body is read (413 above
 * HTTP_MAX_DRIVER_BODY, 400 when short or empty) and the sync is run, the secret
 * being checked again in its transaction. */
void driver_sync(struct http_req *r, struct store *s);

/* Send one wake-up datagram to "ip:port/token" (a hint: the driver syncs; it
 * heeds only a datagram with its token, which its syncs told the server).  Returns 0,
 * or -1 when addr is empty or malformed or sendto failed (not logged: the
 * driver's periodic sync is the fallback). */
int driver_wake(const char *addr);

#endif
