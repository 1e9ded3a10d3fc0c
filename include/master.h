/* master.h - the prefork master of one instance.
 *
 * The module owns the instance's process tree: it takes the instance's name in
 * the database for its whole life (store_hold_name: a second instance with the same
 * name, on this host or another, exits 1 with a line saying so, and a crashed one's
 * name is free again once its connection is gone), applies the migrations, opens
 * the unix socket nginx connects to (mode 0660, a stale socket replaced, a live
 * one refused), forks M request workers, one monitor, one webhook sender and
 * (with a push socket) one publisher, respawns them when they
 * die or could not be forked (with backoff; it gives up after too many crashes in
 * a minute: respawn.h), and on SIGTERM/SIGINT stops them gracefully, SIGKILL after a
 * grace period.  Its throttle and deadlines run on CLOCK_MONOTONIC, never the wall
 * clock.
 */
#ifndef TACITUS_MASTER_H
#define TACITUS_MASTER_H

#include <stdbool.h>

#include "argv.h"
#include "config.h"
#include "monitor.h"

struct master_opts {
	const char *instance;       /* e.g. "app-1": log prefix and lease owner */
	const char *socket_path;
	const char *sql_dir;        /* migrations */
	int workers;
	bool no_monitor;            /* an API-only instance: this host launches nothing */
	const char *push_socket;    /* nginx's internal socket for wake-ups: a publisher
				       (publish.h) is started; NULL = none */
	const struct argv_drivers *drivers;     /* session drivers (--driver-script ...) */
	struct monitor_opts mon;
};

/* Run the instance until SIGTERM.  Returns the process exit code. */
int master_main(const struct cfg *c, const struct master_opts *o);

#endif
