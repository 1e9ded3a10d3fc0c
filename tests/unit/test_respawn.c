/* test_respawn.c - the master's respawn throttle, on its monotonic clock. */
#include "respawn.h"
#include "unit.h"

void test_respawn(void)
{
	struct respawn_crashes c;
	long long t = 5000;

	/* one start per child per second, however often it dies */
	CHECK(!respawn_due(t, t));
	CHECK(!respawn_due(t, t + RESPAWN_GAP_MS - 1));
	CHECK(respawn_due(t, t + RESPAWN_GAP_MS));
	CHECK(respawn_due(t, t + 3600000));

	/* a crash loop: the 11th exit within a minute gives up, not the 10th */
	respawn_init(&c, t);
	for (int i = 0; i < RESPAWN_CRASH_LIMIT; i++)
		CHECK(!respawn_crashed(&c, t + i * 1000));
	CHECK(respawn_crashed(&c, t + RESPAWN_CRASH_LIMIT * 1000));

	/* crashes spread over more than a window never give up: each window counts anew */
	respawn_init(&c, t);
	for (int w = 0; w < 5; w++)
		for (int i = 0; i < RESPAWN_CRASH_LIMIT; i++)
			CHECK(!respawn_crashed(&c, t + w * (RESPAWN_WINDOW_MS + 1) + i));
	/* the window ends RESPAWN_WINDOW_MS after its start, not after the last crash */
	respawn_init(&c, t);
	for (int i = 0; i < RESPAWN_CRASH_LIMIT; i++)
		CHECK(!respawn_crashed(&c, t + RESPAWN_WINDOW_MS));
	CHECK(respawn_crashed(&c, t + RESPAWN_WINDOW_MS));
	respawn_init(&c, t);
	for (int i = 0; i < RESPAWN_CRASH_LIMIT; i++)
		CHECK(!respawn_crashed(&c, t + RESPAWN_WINDOW_MS));
	CHECK(!respawn_crashed(&c, t + RESPAWN_WINDOW_MS + 1));    /* a new window: 1 */
	CHECK(c.n == 1 && c.since == t + RESPAWN_WINDOW_MS + 1);
}
