/* push.h - waiting clients: a GET that waits for a change instead of a client that
 * polls, held by nginx, never by a worker.
 *
 * The module owns the rules of a wait (tacitus.push.wait-max, config.h) and the names
 * the waits and the changes meet at.  GET /batches/{id}/state, /sessions/{id}/state
 * and /sessions/{id}/statements/{n} take two query parameters beside Livy's:
 * wait=N (whole seconds) and since=STATE.  The answer comes at once when since is
 * absent, when the state differs from since, when N is 0 or when waits are off;
 * else when the state changes; else after N seconds (at most wait-max), with the
 * state then.  A client that sends neither (every Livy client) sees no change.
 *
 * How: the worker checks the request as for a plain GET (access included), reads
 * the state and, when the client is to wait, answers nginx with
 * X-Accel-Redirect to push_wait_uri: nginx holds the client on a channel of its
 * pub/sub module (nchan; nginx/nginx.conf.in) named after the version the worker
 * read (push_job_channel, push_statement_channel), then hands the request back to
 * a worker flagged as waited (it never waits twice), which answers it as a plain
 * GET.  Each change is notified in its own transaction (sql/013_push.sql); each
 * instance's publisher (publish.h) posts one wake-up per change to its nginx, so
 * a version's channel gets one message, kept for late subscribers: a client that
 * reached nginx a moment after the change it waits for is answered at once.  The
 * messages say nothing but "look again": the answer always comes from a worker.
 */
#ifndef TACITUS_PUSH_H
#define TACITUS_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#define PUSH_CHANNEL_MAX 64
#define PUSH_WAIT_MAX_S 300         /* tacitus.push.wait-max at most */
#define PUSH_URI_MAX 4096

/* What a client waits on: its state names are Livy's. */
enum push_what { PUSH_BATCH, PUSH_SESSION, PUSH_STATEMENT };

/* The seconds a client is to wait, from the decoded query values wait and since
 * (NULL when absent), the state read now and the cap in ms (0: waits are off):
 * sets *secs (0: answer at once).  Returns -1 with a message for a 400 in msg
 * when wait is not a whole number of seconds or since names no state of w. */
int push_wait_secs(enum push_what w, const char *wait, const char *since, const char *state,
		   long long cap_ms, long *secs, char *msg, size_t len);

/* The seconds nginx holds a client asked to wait secs (1 .. PUSH_WAIT_MAX_S): nginx
 * has a place for each of 1 to 60 and for every 30 s after it up to
 * PUSH_WAIT_MAX_S (app/stack.sh writes them); a longer wait is cut to the one below. */
long push_bucket(long secs);

/* A job's channel: its id (a batch, or a session's driver) and the push_seq read
 * with its state ("j12.3").  Returns 0, or -1 when buf is too small. */
int push_job_channel(char *buf, size_t len, long long id, long seq);

/* A statement's channel: session id, statement id and the state read ("t4.0.running"). */
int push_statement_channel(char *buf, size_t len, long long session, int stmt,
			   const char *state);

/* The channel a tacitus_push notification wakes (sql/013_push.sql's payloads:
 * "j <id> <seq>" and "t <session> <statement> <state>").  -1 when malformed. */
int push_note_channel(const char *payload, char *buf, size_t len);

/* The X-Accel-Redirect target that holds a client for secs (push_bucket's) on
 * channel and then gives the request back to a worker as path?query: path is the
 * route the worker rebuilt from ids, query the request's own (raw, as received).
 * Returns 0, or -1 when it does not fit len or query holds a control character. */
int push_wait_uri(char *buf, size_t len, long secs, const char *channel, const char *path,
		  const char *query);

#endif
