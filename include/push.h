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
 * GET /batches/{id}/state and /sessions/{id}/state also take until=end: the answer
 * comes when the job's state is final (livy_state_ended: a batch's success, dead or
 * killed, a session's dead), at once when it is already, else when the job ends or
 * after wait=N seconds (wait-max when wait is absent, at most wait-max) with the
 * state then; so one request waits for a whole job of up to wait-max.
 *
 * How: the worker checks the request as for a plain GET (access included), reads
 * the state and, when the client is to wait, answers nginx with
 * X-Accel-Redirect to push_wait_uri: nginx holds the client on a channel of its
 * pub/sub module (nchan; nginx/nginx.conf.in) named after the version the worker
 * read (push_job_channel, push_statement_channel) until a wake-up comes or the
 * wait runs out.  Each change is notified in its own transaction (sql/013_push.sql); each
 * instance's publisher (publish.h) posts one wake-up per change to its nginx, so
 * a version's channel gets one message, kept for late subscribers: a client that
 * reached nginx a moment after the change it waits for is answered at once.  A
 * job's wake-up is the answer itself (GET .../state's JSON, the same for everyone
 * who may see the job: the access was checked when the wait began), which nginx
 * gives to the client; any other message (a statement's, a job GET does not show)
 * says "look again" and, like a wait that runs out, hands the request back to a
 * worker flagged as waited (it never waits twice), which answers it as a plain GET.
 * A wait for the end is held on the job's end channel (push_end_channel), to which
 * the publisher posts the job's answer when it changes to a final state (and a "look
 * again" when the job is DELETEd or no longer shown): kept for late subscribers as a
 * version's wake-up is.  nchan runs in an nginx of its own (nginx/push.conf.in), so
 * that a reload of the front door leaves the waits it holds working; a restart of the
 * waits' nginx hands its waits back to a worker (nchan's 410), as a "look again".
 *
 * GET /batches/{id}/events and /sessions/{id}/events (Accept: text/event-stream,
 * the rights of /log) stream a job's changes: the worker checks the request, then
 * hands the client to nginx's event stream of the job (push_events_uri), to which
 * the publishers post each change of its state and its new log lines.
 */
#ifndef TACITUS_PUSH_H
#define TACITUS_PUSH_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define PUSH_CHANNEL_MAX 64
#define PUSH_WAIT_MAX_S 86400       /* tacitus.push.wait-max at most: a day */
#define PUSH_URI_MAX 4096

/* What a client waits on: its state names are Livy's. */
enum push_what { PUSH_BATCH, PUSH_SESSION, PUSH_STATEMENT };

/* The seconds a client is to wait, from the decoded query values wait and since
 * (NULL when absent), the state read now and the cap in ms (0: waits are off):
 * sets *secs (0: answer at once).  Returns -1 with a message for a 400 in msg
 * when wait is not a whole number of seconds or since names no state of w. */
int push_wait_secs(enum push_what w, const char *wait, const char *since, const char *state,
		   long long cap_ms, long *secs, char *msg, size_t len);

/* The seconds a client that asks until=end is to wait, from the decoded query values
 * until (not NULL), wait and since (NULL when absent), the state read now and the cap
 * in ms (0: waits are off): sets *secs (0: answer at once, as when the state is final
 * already, waits are off or wait is 0); without wait, the cap.  Returns -1 with a
 * message for a 400 in msg when until is not "end", w is a statement, since is given
 * too or wait is not a whole number of seconds. */
int push_end_secs(enum push_what w, const char *until, const char *wait, const char *since,
		  const char *state, long long cap_ms, long *secs, char *msg, size_t len);

/* The seconds nginx holds a client asked to wait secs (1 .. PUSH_WAIT_MAX_S): nginx
 * has a place for each of 1 to 60 s, then every 30 s to 5 min, every 5 min to an
 * hour, every hour to PUSH_WAIT_MAX_S (app/stack.sh writes the same 102); a wait in
 * between is cut to the place below. */
long push_bucket(long secs);

/* A job's channel: its id (a batch, or a session's driver) and the push_seq read
 * with its state ("j12.3").  Returns 0, or -1 when buf is too small. */
int push_job_channel(char *buf, size_t len, long long id, long seq);

/* A job's end channel ("j12.end"; id as push_job_channel's): the waits for its end
 * (until=end) are held there.  Returns 0, or -1 when buf is too small. */
int push_end_channel(char *buf, size_t len, long long id);

/* A statement's channel: session id, statement id and the state read ("t4.0.running"). */
int push_statement_channel(char *buf, size_t len, long long session, int stmt,
			   const char *state);

/* The answer of GET /batches/{id}/state and /sessions/{id}/state, {"id", "state"}: a
 * worker's (reply_state) and the one a job's wake-up carries (publish.h) alike. */
json_object *push_state_json(long long id, const char *state);

/* A publisher that may have missed notifications (it took the lock of another whose
 * connection died, its own connection came back, or nginx refused a wake-up) wakes
 * the waits that may have missed one, with a "look again": for each job unfinished
 * or finished within push_catchup_window, the channels of its PUSH_CATCHUP_VERSIONS
 * versions before the one it has now, and a finished one's end channel; for each
 * statement of such a job's session, the channels of the states it has left.  A wait
 * on a version or a state left behind, or for the end of a finished job, is always
 * due an answer, so these wake-ups wake no wait early.  Not woken: a wait on an older
 * version, or on a job finished long before its DELETE; those are answered when they
 * run out. */
#define PUSH_CATCHUP_VERSIONS 4

/* The catch-up's window in seconds: the jobs that finished within it are woken.  A
 * job that finished while somebody posted had its waits woken then, so the window
 * covers the time since posted_at, when this publisher last knew that every change
 * was posted (its own posts went, or another publisher held the lock; 0 when it
 * never knew, as at its start), and 5 minutes more (a holder that died unseen).  A
 * wait lasts cap_s (tacitus.push.wait-max) at most and one for a job already ended
 * is answered at once, so a job that ended longer ago than that has no waiter left:
 * the window is at most cap_s and the 5 minutes.  Times in seconds of the same
 * clock.  A long wait-max thus costs the catch-up nothing while posts go. */
long push_catchup_window(long long now, long long posted_at, long cap_s);

/* The states a statement now in `state` has left behind, in out (NULL-terminated, 3
 * at most): its states never come back, so a wait since any of them is due.
 * Returns how many ("waiting" and unknown states: 0). */
int push_statement_left(const char *state, const char *out[4]);

/* A tacitus_push notification (sql/013_push.sql's and 014_push_events.sql's payloads). */
struct push_note {
	enum push_note_kind {
		PUSH_NOTE_JOB,          /* "j <job> <seq>": what the API shows of a job changed */
		PUSH_NOTE_STATEMENT,    /* "t <session> <statement> <state>": a statement's state */
		PUSH_NOTE_LOG,          /* "l <job> <from> <to>": log lines [from, to) stored */
		PUSH_NOTE_COMPLETION,   /* "c <completion>": a driver answered a completion */
	} kind;
	long long job;              /* j, l: a batch, or a session's driver */
	long long session;          /* t */
	int stmt;                   /* t */
	long seq;                   /* j: push_seq before the change */
	long from, to;              /* l */
	char state[24];             /* t: the state before the change */
	long long completion;       /* c */
};

/* Read payload into *n: 0, or -1 when malformed. */
int push_note_parse(const char *payload, struct push_note *n);

/* The wait channel note n wakes (push_job_channel's, push_statement_channel's or
 * push_completion_channel's name); -1 when it wakes none (a log note) or buf is too
 * small. */
int push_note_channel(const struct push_note *n, char *buf, size_t len);

/* A completion's channel ("c7"): POST /sessions/{id}/completion waits there for the
 * driver's answer, PUSH_COMPLETION_WAIT_S at most. */
#define PUSH_COMPLETION_WAIT_S 2
int push_completion_channel(char *buf, size_t len, long long completion);

/* A job's event stream ("e12", a session's driver "e-4"): its changes of state and
 * its new log lines, as Server-Sent Events (publish.h says what each carries). */
int push_events_channel(char *buf, size_t len, long long job);

/* The X-Accel-Redirect target that streams a job's events to a client: "/_events/"
 * and its channel. */
int push_events_uri(char *buf, size_t len, long long job);

/* The X-Accel-Redirect target that holds a client for secs (push_bucket's) on
 * channel and then gives the request back to a worker as path?query: path is the
 * route the worker rebuilt from ids, query the request's own (raw, as received).
 * Returns 0, or -1 when it does not fit len or query holds a control character. */
int push_wait_uri(char *buf, size_t len, long secs, const char *channel, const char *path,
		  const char *query);

#endif
