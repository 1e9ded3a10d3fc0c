/* hooksend.h - the webhook sender: one process per instance that delivers the
 * completion webhooks of the outbox (what, to whom and how: hook.h).
 *
 * The module owns the sender's loop: every look (at once after work or when a
 * job's end is notified, else every second, for the retries that come due) fans the new events out into deliveries (store.h), claims up to 8 due
 * deliveries for a call's time-out plus HOOK_CLAIM_MS, POSTs them signed and all
 * at once (httpout_post_all: no redirect, no proxy, answers judged by their
 * status), so that a receiver that does not answer holds up no other, and records
 * each attempt: delivered on a 2xx, else tried again after hook_backoff_ms until
 * its time is over.  A process apart from the monitor, so
 * that a slow receiver never slows the monitor's loop; like a worker, it holds no
 * capability and no way to the keeper (master.c).
 */
#ifndef TACITUS_HOOKSEND_H
#define TACITUS_HOOKSEND_H

#include "config.h"

/* The sender of instance `instance`: runs until SIGTERM; returns the exit code. */
int hooksend_main(const struct cfg *c, const char *instance);

#endif
