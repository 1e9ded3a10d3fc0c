/* test_leasewatch.c - another monitor's silence, counted on the observer's own clock, and
 * the end of its connection's lock, seen in one session of the observer. */
#include "leasewatch.h"
#include "unit.h"

#define TTL 6000
#define GRACE 120000

/* one look at now: each owner with its mark ("owner=mark" pairs, NULL-ended) */
static void look(struct leasewatch *w, long long now, const char *const *pairs)
{
	leasewatch_begin(w, now);
	for (int i = 0; pairs[i]; i += 2)
		leasewatch_see(w, pairs[i], pairs[i + 1]);
	leasewatch_end(w);
}

#define LOOK(w, now, ...) look(w, now, (const char *const[]){__VA_ARGS__, NULL})

void test_leasewatch(void)
{
	static struct leasewatch w;
	long long t = 1000000;

	/* a live owner renews every second: never silent, however long we watch */
	for (int i = 0; i < 30; i++, t += 1000) {
		char mark[32];
		snprintf(mark, sizeof mark, "12:00:%02d", i);
		LOOK(&w, t, "app-2", mark);
	}
	CHECK(!leasewatch_silent(&w, "app-2", TTL, true));

	/* it stops renewing: silent once we saw the same mark for a lease (the
	 * look 1 s after its last renewal counts the first second) */
	for (int i = 0; i < 5; i++, t += 1000)
		LOOK(&w, t, "app-2", "12:00:29");
	CHECK(!leasewatch_silent(&w, "app-2", TTL, true));
	LOOK(&w, t, "app-2", "12:00:29");
	t += 1000;
	CHECK(leasewatch_silent(&w, "app-2", TTL, true));
	CHECK(!leasewatch_silent(&w, "app-2", TTL + GRACE, false));

	/* our database was away for an hour: the hour is not silence we saw (one
	 * look adds at most LEASEWATCH_STEP_MAX_MS), and the owner, renewing again
	 * after the outage as we do, is live at once */
	memset(&w, 0, sizeof w);
	LOOK(&w, t, "app-3", "13:00:00");
	t += 3600 * 1000LL;
	LOOK(&w, t, "app-3", "13:00:00");
	CHECK(!leasewatch_silent(&w, "app-3", TTL, true));
	CHECK(w.v[0].silent_ms == LEASEWATCH_STEP_MAX_MS);
	t += 1000;
	LOOK(&w, t, "app-3", "14:00:01");
	CHECK(w.v[0].silent_ms == 0);

	/* the database's clock jumped back: a mark that changes is a renewal whatever
	 * its value; and our own clock standing still adds nothing */
	LOOK(&w, t, "app-3", "09:00:00");
	CHECK(w.v[0].silent_ms == 0);
	LOOK(&w, t, "app-3", "09:00:00");
	CHECK(w.v[0].silent_ms == 0);

	/* a graceful stop: adoptable at once on its host, ended elsewhere only after
	 * the lease and the grace */
	LOOK(&w, t, "app-3", LEASEWATCH_RELEASED);
	CHECK(leasewatch_silent(&w, "app-3", TTL, true));
	CHECK(!leasewatch_silent(&w, "app-3", TTL + GRACE, false));

	/* an owner gone from the marks (its jobs ended) is forgotten; one never seen
	 * is never judged gone */
	LOOK(&w, t + 1000, "app-4", "x");
	CHECK(w.n == 1 && !strcmp(w.v[0].owner, "app-4"));
	CHECK(!leasewatch_silent(&w, "app-3", 0, true));
	CHECK(!leasewatch_silent(&w, "nobody", 0, true));

	/* names and marks that do not fit are not watched */
	{
		char long_name[LEASEWATCH_OWNER_MAX + 10];
		memset(long_name, 'a', sizeof long_name - 1);
		long_name[sizeof long_name - 1] = '\0';
		LOOK(&w, t + 2000, long_name, "x", "app-4", "x");
		CHECK(w.n == 1);
	}
}

/* one look at the owners' locks in session: "owner", "held"/"free" pairs, NULL-ended;
 * "held-idle"/"free-idle": an owner holding no job we may adopt (a registered monitor) */
static void look_locks(struct leasewatch_locks *w, unsigned long session,
		       const char *const *pairs)
{
	leasewatch_locks_begin(w, session);
	for (int i = 0; pairs[i]; i += 2)
		leasewatch_locks_see(w, pairs[i], !strncmp(pairs[i + 1], "held", 4),
				     !strstr(pairs[i + 1], "-idle"));
	leasewatch_locks_end(w);
}

#define LOCKS(w, session, ...) look_locks(w, session, (const char *const[]){__VA_ARGS__, NULL})

void test_leasewatch_locks(void)
{
	static struct leasewatch_locks w;

	/* a live owner holds its lock: never gone */
	for (int i = 0; i < 5; i++)
		LOCKS(&w, 1, "app-2", "held");
	CHECK(!leasewatch_lock_gone(&w, "app-2"));

	/* its connection drops (kill -9): gone at the next look, and stays gone while free */
	LOCKS(&w, 1, "app-2", "free");
	CHECK(leasewatch_lock_gone(&w, "app-2"));
	LOCKS(&w, 1, "app-2", "free");
	CHECK(leasewatch_lock_gone(&w, "app-2"));

	/* it took its lock again (a reconnect): not gone any more */
	LOCKS(&w, 1, "app-2", "held");
	CHECK(!leasewatch_lock_gone(&w, "app-2"));

	/* an owner first seen free (an instance of an earlier version, or one that died
	 * before we looked) is left to its lease */
	LOCKS(&w, 1, "app-2", "held", "old-app", "free");
	LOCKS(&w, 1, "app-2", "held", "old-app", "free");
	CHECK(!leasewatch_lock_gone(&w, "old-app"));

	/* PostgreSQL restarted: our own session is new and every lock is free until its
	 * holder takes it again; nothing seen before counts, so nobody is gone */
	LOCKS(&w, 2, "app-2", "free", "old-app", "free");
	CHECK(!leasewatch_lock_gone(&w, "app-2"));
	LOCKS(&w, 2, "app-2", "free");
	CHECK(!leasewatch_lock_gone(&w, "app-2"));
	LOCKS(&w, 2, "app-2", "held");
	LOCKS(&w, 2, "app-2", "free");
	CHECK(leasewatch_lock_gone(&w, "app-2"));

	/* a look in another session between two of ours: the history goes with it */
	LOCKS(&w, 2, "app-3", "held");
	LOCKS(&w, 3, "app-3", "free");
	CHECK(!leasewatch_lock_gone(&w, "app-3"));

	/* a registered monitor holding nothing yet is watched by its lock: killed within one
	 * look of its first claim and launch, it is gone at the next look */
	LOCKS(&w, 3, "app-5", "held-idle");
	LOCKS(&w, 3, "app-5", "held-idle");
	CHECK(!leasewatch_lock_gone(&w, "app-5"));
	LOCKS(&w, 3, "app-5", "free");
	CHECK(leasewatch_lock_gone(&w, "app-5"));
	LOCKS(&w, 3, "app-5", "free");
	CHECK(leasewatch_lock_gone(&w, "app-5"));
	/* its jobs adopted, its lock still free: forgotten, not gone for ever */
	LOCKS(&w, 3, "app-5", "free-idle");
	CHECK(w.n == 0 && !leasewatch_lock_gone(&w, "app-5"));

	/* one whose lock went while it held nothing (died idle, or between two connections)
	 * is forgotten: an instance of an earlier version, which takes no lock, started
	 * later under its name and holding jobs is left to its lease */
	LOCKS(&w, 3, "app-6", "held-idle");
	LOCKS(&w, 3, "app-6", "free-idle");
	CHECK(w.n == 0);
	LOCKS(&w, 3, "app-6", "free");
	LOCKS(&w, 3, "app-6", "free");
	CHECK(!leasewatch_lock_gone(&w, "app-6"));
	/* ... and one that takes its lock again is watched again */
	LOCKS(&w, 3, "app-6", "held-idle");
	LOCKS(&w, 3, "app-6", "free");
	CHECK(leasewatch_lock_gone(&w, "app-6"));

	/* PostgreSQL restarted: idle monitors' locks free until they reconnect prove
	 * nothing either; one seen holding its lock again in the new session is watched */
	LOCKS(&w, 4, "app-5", "free-idle", "app-6", "free");
	CHECK(!leasewatch_lock_gone(&w, "app-6") && w.n == 1);
	LOCKS(&w, 4, "app-5", "held-idle", "app-6", "free");
	LOCKS(&w, 4, "app-5", "free", "app-6", "free");
	CHECK(leasewatch_lock_gone(&w, "app-5") && !leasewatch_lock_gone(&w, "app-6"));

	/* owners that left the look (their jobs moved or ended) are forgotten; never-seen
	 * and unfit names are never gone */
	LOCKS(&w, 3, "app-4", "held");
	CHECK(w.n == 1 && !strcmp(w.v[0].owner, "app-4"));
	CHECK(!leasewatch_lock_gone(&w, "app-3"));
	CHECK(!leasewatch_lock_gone(&w, "nobody"));
	{
		char long_name[LEASEWATCH_OWNER_MAX + 10];
		memset(long_name, 'a', sizeof long_name - 1);
		long_name[sizeof long_name - 1] = '\0';
		LOCKS(&w, 3, long_name, "held", "app-4", "held");
		LOCKS(&w, 3, long_name, "free", "app-4", "held");
		CHECK(w.n == 1 && !leasewatch_lock_gone(&w, long_name));
	}
}
