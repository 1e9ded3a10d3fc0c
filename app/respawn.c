/* respawn.c - the master's respawn throttle, on monotonic milliseconds. */
#include "respawn.h"

void respawn_init(struct respawn_crashes *c, long long now)
{
	c->since = now;
	c->n = 0;
}

bool respawn_crashed(struct respawn_crashes *c, long long now)
{
	if (now - c->since > RESPAWN_WINDOW_MS)
		respawn_init(c, now);
	c->n++;
	return c->n > RESPAWN_CRASH_LIMIT;
}

bool respawn_due(long long started, long long now)
{
	return now - started >= RESPAWN_GAP_MS;
}
