/* test_leasewatch.c - another monitor's silence, counted on the observer's own clock. */
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
