/* history.h - GET /history...: the read API over every batch and session ever
 * submitted, beyond the retain window and Livy's lists (the web UI's; issue 14).
 *
 * The module owns the history's routes (GET and HEAD only), documented in
 * nginx/openapi.json:
 *   /history                          a page of jobs, newest first, with its total:
 *                                     from, size (50; at most 1000), and the filters
 *                                     kind, state, owner, q (an id, or any part of a
 *                                     name) read by histquery.h
 *   /history/batches/{id}             one batch with every field (when it ran, why it
 *                                     ended, its UIs, how many log lines) and its state
 *                                     timeline
 *   /history/sessions/{id}            one session likewise (its driver's timeline)
 *   /history/{batches|sessions}/{id}/log    its whole log in Livy's pages (from, size)
 *   /history/sessions/{id}/statements       its statements in Livy's shape
 * Deleted jobs are there, and those whose retain time passed, until the history's
 * end (tacitus.history.keep-days) purges them.  A caller sees the jobs Livy's view
 * rules let it see (access.h): the list leaves the others out, a job page answers
 * 403 for them.
 */
#ifndef TACITUS_HISTORY_H
#define TACITUS_HISTORY_H

#include "reply.h"

/* Answer a request under /history (k->n >= 1, k->seg[0] "history"): 405 for methods
 * other than GET and HEAD, 404 for paths it does not serve or jobs the history does
 * not hold, 403 for a job the caller may not view, 400 with what is wrong in a
 * parameter, 503 when the database failed. */
void history_route(struct call *k);

#endif
