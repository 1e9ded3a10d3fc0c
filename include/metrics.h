/* metrics.h - what an instance counts, and the Prometheus text of every instance's counts.
 *
 * The module owns the instance's counters and histograms: requests by route and
 * status, request latency by route, launches, adoptions, log lines stored, jobs
 * ended by kind and state, monitor cycle time, database errors, looks at YARN's
 * ResourceManager and those that failed.  Counting is a
 * memory increment: the master maps one shared area before it forks (metrics_init),
 * each child counts in a slot of its own (metrics_use; a replacement child takes
 * over its predecessor's slot and goes on from its counts), and once a second the
 * master adds what changed since its last flush to PostgreSQL (metrics_deltas ->
 * store_metrics_add), so that a scrape of any instance shows every instance's
 * series with an `instance` label, at most a couple of seconds stale.  Counters
 * only grow, across restarts too.  metrics_route names a path by its route
 * ("/batches/{id}/log"), so that series stay few.  metrics_render writes the
 * Prometheus text exposition (version 0.0.4) of stored rows.  Without metrics_init
 * (unit tests, the job shim) counting does nothing.  No I/O.
 */
#ifndef TACITUS_METRICS_H
#define TACITUS_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

enum metrics_counter {
	METRICS_LAUNCHES,           /* jobs launched by this instance's monitor */
	METRICS_ADOPTIONS,          /* jobs adopted from a monitor gone silent */
	METRICS_LOG_LINES,          /* log lines stored */
	METRICS_DB_ERRORS,          /* statements PostgreSQL failed (store.h STORE_ERROR) */
	METRICS_YARN_LOOKS,         /* looks at the ResourceManager (track_yarn.h) */
	METRICS_YARN_LOOK_ERRORS,   /* ... that got no answer */
	METRICS_SA_CALLS,           /* calls to a standalone master (track_standalone.h) */
	METRICS_SA_CALL_ERRORS,     /* ... that got no answer from an ALIVE master */
	METRICS_HOOK_ATTEMPTS,      /* webhook POSTs (hooksend.h) */
	METRICS_HOOK_FAILURES,      /* ... that got no 2xx */
	METRICS_COUNTERS
};

/* Map the shared area for `slots` processes (the master, before it forks).
 * Returns 0, or -1 (nothing is counted then). */
int metrics_init(int slots);

/* Count in slot i from now on (a child, right after fork). */
void metrics_use(int slot);

void metrics_count(enum metrics_counter c, unsigned long long n);

/* A request answered: its path (DOCUMENT_URI), status and seconds taken. */
void metrics_request(const char *path, int status, double seconds);

/* A job ended: session (a driver) or batch, and its state (success, dead, killed). */
void metrics_ended(bool session, const char *state);

/* One monitor cycle took `seconds`. */
void metrics_cycle(double seconds);

/* The route template of path: "/batches", "/batches/{id}", "/sessions/{id}/statements/{id}",
 * ... or "other".  Returns a static string. */
const char *metrics_route(const char *path);

/* What every slot counted since the last call that was confirmed (metrics_deltas_done),
 * as a JSON array of [name, labels, delta] (labels in Prometheus's syntax without
 * braces, e.g. `route="/batches",status="201"`); NULL when nothing changed.  The caller
 * puts it, and calls metrics_deltas_done once they are stored (else they come again). */
json_object *metrics_deltas(void);
void metrics_deltas_done(void);

/* The exposition of `n` rows (instance, name, labels, value), sorted by name then
 * instance, with the HELP and TYPE of each family; a row with instance "" (the gauges:
 * jobs alive by kind and state, warm-pool drivers) carries no instance label, and a
 * row of a name no family owns is left out.  Returns malloc'd text (the caller frees
 * it), or NULL when memory ran out. */
char *metrics_render(int n, const char *const *instance, const char *const *name,
		     const char *const *labels, const double *value);

#endif
