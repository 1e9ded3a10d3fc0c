/* access.h - who may use Tacitus, see a batch's log, change a batch, act as whom.
 *
 * The module owns Livy's access rules (livy.server.access-control.*, livy.superusers,
 * livy.impersonation.enabled) over the user that nginx authenticated (REMOTE_USER):
 * the access filter, view and modify rights by owner, proxy user and the configured
 * user lists, and impersonation (proxyUser, doAs).  Unlike Livy, there is no
 * "authentication off": every front door authenticates, so no user (NULL or "")
 * passes no check and may act as nobody.
 * Every function is pure.
 */
#ifndef TACITUS_ACCESS_H
#define TACITUS_ACCESS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* May `user` use the API at all?  Always true with access control off. */
bool acl_allowed(const struct cfg *c, const char *user);

/* May `user` read the metrics (GET /metrics)?  Only a superuser (livy.superusers),
 * whether access control is on or off: the counts show every user's activity, and
 * Livy has no other role above the users.  Nobody with no superuser listed. */
bool acl_can_scrape(const struct cfg *c, const char *user);

/* May `user` see the log of a batch of `owner` run as `proxy` (either NULL)? */
bool acl_can_view(const struct cfg *c, const char *user, const char *owner, const char *proxy);

/* May `user` see every job, whoever owns it (access control off, or a superuser, a
 * modify user or a view user)?  A list that filters by view rights in SQL asks this
 * once, then keeps the rows owned by or run as `user` (acl_can_view is this, or
 * user = owner, or user = proxy).  False for no user. */
bool acl_can_view_all(const struct cfg *c, const char *user);

/* May `user` delete (or otherwise change) a batch of `owner` run as `proxy`? */
bool acl_can_modify(const struct cfg *c, const char *user, const char *owner, const char *proxy);

/* Impersonation of `target` (NULL = none asked) by `user`.  Writes the proxy user
 * the job runs as into out ("" when impersonation is off or nobody) and returns
 * true; returns false with Livy's message in msg when `user` may not act as
 * `target` (the HTTP edge answers 403). */
bool acl_impersonate(const struct cfg *c, const char *user, const char *target, char *out,
		     size_t outlen, char *msg, size_t msglen);

/* The user rights are checked for: the doAs user when `user` may act as it,
 * else `user`. */
const char *acl_effective_user(const struct cfg *c, const char *user, const char *doas);

#endif
