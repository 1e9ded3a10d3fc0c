/* statements.h - a session's statements and code completion: /sessions/{id}/statements...
 *
 * The module owns Livy's Statement object (id, code, state, output, progress,
 * started, completed) and the requests that queue work for a session's driver:
 * POST a statement (Livy's ExecuteRequest), list and get them, cancel one, and
 * ask for completions (Livy's CompletionRequest).  Work is written to PostgreSQL
 * and the driver is woken with one UDP datagram (driverapi.h).  The caller
 * (sessions.h) has found the session and checked the caller's rights.
 */
#ifndef TACITUS_STATEMENTS_H
#define TACITUS_STATEMENTS_H

#include "reply.h"

/* POST .../statements: queue a statement, 201 with it (state "waiting"). */
void stmt_create(struct call *k, const struct store_session *x);

/* GET .../statements (query order=desc, from, size): {"total_statements", "statements"}. */
void stmt_list(struct call *k, const struct store_session *x);

/* The statement id n of the path (k->seg[3]: Java's int; a negative one names no
 * statement).  Returns 0, or -1 after answering 400. */
int stmt_id(struct call *k, int *n);

/* GET .../statements/{n}. */
void stmt_get(struct call *k, const struct store_session *x, int n);

/* POST .../statements/{n}/cancel: always {"msg": "canceled"} for a running session. */
void stmt_cancel(struct call *k, const struct store_session *x, int n);

/* POST .../completion: {"candidates": [...]} as the driver answered within a few
 * seconds, [] when it did not. */
void stmt_complete(struct call *k, const struct store_session *x);

/* .../completion/{cid}, only as nginx hands a completion's client back after its
 * wait (push.h; no such route for anyone else; nginx makes it a GET): the answer of
 * completion cid. */
void stmt_completed(struct call *k, long long cid);

#endif
