/* worker.h - a request worker: accept a FastCGI request, answer it, repeat.
 *
 * The module owns the accept loop of one forked worker process and its
 * PostgreSQL connection (opened after fork, re-opened when it breaks).  A worker
 * never spawns a process and never blocks on anything but its request.
 */
#ifndef TACITUS_WORKER_H
#define TACITUS_WORKER_H

#include "argv.h"
#include "config.h"

/* Serve requests arriving on listen_fd until SIGTERM (libfcgi's shutdown flag).
 * Returns the process exit code. */
int worker_main(int listen_fd, const struct cfg *c, const struct argv_drivers *d,
		const char *instance);

#endif
