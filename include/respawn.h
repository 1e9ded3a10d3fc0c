/* respawn.h - when the master starts a dead child again, and when it gives up.
 *
 * The module owns the master's respawn throttle: a child is started again at most
 * once per RESPAWN_GAP_MS, and more than RESPAWN_CRASH_LIMIT exits within a window
 * of RESPAWN_WINDOW_MS make the master give up.  Times are the master's monotonic
 * milliseconds (CLOCK_MONOTONIC), which a step of the wall clock (NTP, an operator's
 * date) cannot move: a clock set back must not hold a respawn or stretch a window,
 * nor one set forward forgive a crash loop.  Pure: no I/O, no clock of its own.
 */
#ifndef TACITUS_RESPAWN_H
#define TACITUS_RESPAWN_H

#include <stdbool.h>

#define RESPAWN_GAP_MS 1000         /* between two starts of one child */
#define RESPAWN_WINDOW_MS 60000     /* crashes are counted per window */
#define RESPAWN_CRASH_LIMIT 10      /* more in one window: give up */

struct respawn_crashes {
	long long since;            /* the window's start */
	int n;                      /* exits counted in it */
};

/* A window of no crashes that starts at `now`. */
void respawn_init(struct respawn_crashes *c, long long now);

/* Count a child's exit at `now` (a new window starts when the current one is older
 * than RESPAWN_WINDOW_MS).  Returns true when the window holds more than
 * RESPAWN_CRASH_LIMIT exits: the master gives up. */
bool respawn_crashed(struct respawn_crashes *c, long long now);

/* May a child last started at `started` be started again at `now`? */
bool respawn_due(long long started, long long now);

#endif
