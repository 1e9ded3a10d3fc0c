/* scrape.h - GET /metrics: every instance's counts in Prometheus's text format.
 *
 * The module owns the scrape route: it reads the stored series of all instances and
 * the gauges (store_metrics_read) and answers their exposition (metrics_render) as
 * text/plain; version=0.0.4.  Behind the same front door as the API, and only for
 * superusers (acl_can_scrape): the counts show what every user does.
 */
#ifndef TACITUS_SCRAPE_H
#define TACITUS_SCRAPE_H

#include "reply.h"

/* Answer GET (and HEAD) /metrics; 403 to a user who is not a superuser (k->user,
 * doAs applied), 405 for other methods, 503 without the database. */
void scrape_route(struct call *k);

#endif
