/* leasewatch.h - whether another monitor stopped renewing, judged on our own clock.
 *
 * The module owns the rule by which a monitor decides that another monitor (a
 * lease owner) is gone.  It does not compare lease expiry times with the
 * database's clock: after a long PostgreSQL outage every lease looks expired
 * (nobody could renew), and a jump of the database's clock makes live leases
 * look old or dead ones young.  Instead each monitor looks, once per
 * maintenance, at a mark per owner that changes whenever the owner renews (the
 * latest expiry of its leases, as text), and counts how long it has itself seen
 * that mark unchanged, on its monotonic clock, counting at most
 * LEASEWATCH_STEP_MAX_MS per look: time during which it could not look (its
 * database away, its own loop held up) is time it saw nothing, and proves
 * nothing.  An owner that released its leases (a graceful stop) shows the mark
 * LEASEWATCH_RELEASED and may be adopted at once.  Pure: no I/O, no clock of
 * its own (the caller passes monotonic milliseconds).
 *
 * A faster rule for an owner that died (struct leasewatch_locks): each monitor
 * holds a session-level advisory lock of its own (store_hold_owner) on its
 * database connection, which PostgreSQL frees the moment that connection drops (a
 * killed process's socket is closed by the kernel).  An owner is gone by its lock
 * when this monitor saw its lock held at a look and free at a later look, both
 * made in the same database session of this monitor, and it held jobs this monitor
 * may adopt at that later look.  Freed without having been seen held proves
 * nothing: after PostgreSQL restarted (or this monitor's own connection broke) every
 * lock is free until its holder reconnects and takes it again, so a new session of
 * the observer starts from "not seen".  A look covers the owners of such jobs and
 * every monitor registered with its lock (store_hold_owner registers it before it
 * claims anything; store_owner_locks), so a monitor killed within one look of its
 * first claim was seen holding its lock already, unless it died within one look of
 * its registration.  An owner seen with its lock free and no such jobs is forgotten
 * (it died with nothing to adopt, or is between two connections): the history of a
 * name starts again, and an instance of an earlier version started later under it
 * takes no lock and is never seen holding one.  An owner never seen holding its lock
 * (such an instance, or one that died before this monitor first looked) is left to
 * its lease.  An owner stalled but connected (SIGSTOP, a hung host whose TCP
 * connection stands) keeps its lock and is caught by its lease alone.  What may be
 * taken from an owner gone by its lock is store_take_orphans' rule (store.h).
 */
#ifndef TACITUS_LEASEWATCH_H
#define TACITUS_LEASEWATCH_H

#include <stdbool.h>

#define LEASEWATCH_OWNERS_MAX 256
#define LEASEWATCH_OWNER_MAX 128        /* an instance name */
#define LEASEWATCH_MARK_MAX 64          /* a timestamptz as text */
#define LEASEWATCH_STEP_MAX_MS 2000     /* at most this much silence counted per look */
#define LEASEWATCH_RELEASED "released"

struct leasewatch_owner {
	char owner[LEASEWATCH_OWNER_MAX];
	char mark[LEASEWATCH_MARK_MAX];
	long long silent_ms;            /* how long we saw the mark unchanged */
	bool seen;                      /* in the current look */
};

struct leasewatch {
	int n;
	long long last_ms;              /* the previous look; 0: none yet */
	long long step_ms;              /* silence the current look adds */
	struct leasewatch_owner v[LEASEWATCH_OWNERS_MAX];
};

/* Start a look at now_ms (monotonic). */
void leasewatch_begin(struct leasewatch *w, long long now_ms);

/* One owner's mark in the current look.  A new owner, or a changed mark, starts
 * its silence at 0; an unchanged one adds the time since the previous look (at
 * most LEASEWATCH_STEP_MAX_MS).  Owners past LEASEWATCH_OWNERS_MAX, or whose
 * name or mark does not fit, are not watched (never judged gone). */
void leasewatch_see(struct leasewatch *w, const char *owner, const char *mark);

/* End the look: owners not seen in it are forgotten. */
void leasewatch_end(struct leasewatch *w);

/* Whether owner's silence reached silent_ms (a released lease: at once when
 * released_counts).  False for an owner not watched. */
bool leasewatch_silent(const struct leasewatch *w, const char *owner, long long silent_ms,
		       bool released_counts);

struct leasewatch_lock {
	char owner[LEASEWATCH_OWNER_MAX];
	bool held;                      /* its lock was held at the last look */
	bool gone;                      /* seen held, then free, in this session */
	bool seen;                      /* in the current look */
};

struct leasewatch_locks {
	unsigned long session;          /* the observer's database session, 0: none yet */
	int n;
	struct leasewatch_lock v[LEASEWATCH_OWNERS_MAX];
};

/* Start a look at the owners' locks made in the observer's database session
 * `session` (store_session): a session other than the previous look's forgets
 * every owner's history. */
void leasewatch_locks_begin(struct leasewatch_locks *w, unsigned long session);

/* One owner's lock in the current look, and whether the owner holds jobs this
 * monitor may adopt.  Held: not gone.  Free with such jobs: gone when the previous
 * look of this session saw it held, or it was gone already; an owner not seen before
 * starts as not gone.  Free without such jobs: not seen in this look (so forgotten at
 * its end).  Owners past LEASEWATCH_OWNERS_MAX, or whose name does not fit, are not
 * watched (never judged gone). */
void leasewatch_locks_see(struct leasewatch_locks *w, const char *owner, bool held, bool jobs);

/* End the look: owners not seen in it are forgotten. */
void leasewatch_locks_end(struct leasewatch_locks *w);

/* Whether owner is gone by its lock.  False for an owner not watched. */
bool leasewatch_lock_gone(const struct leasewatch_locks *w, const char *owner);

#endif
