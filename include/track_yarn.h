/* track_yarn.h - the YARN tracker: Spark applications as the ResourceManager sees them.
 *
 * The module owns everything Tacitus knows of YARN: where the ResourceManagers are
 * (tacitus.yarn.rm-urls, else yarn-site.xml in YARN_CONF_DIR or HADOOP_CONF_DIR,
 * with HA), the application tag a job is submitted with, ONE request per look that
 * finds the applications of all of an instance's jobs (by their tags, or by when
 * they started when the tags are too many for one URL: yarn_lookup_path), what YARN's
 * states mean in Livy's, and killing an application.  It returns observations; it
 * never writes SQL and never sees an HTTP request: the monitor drives it, as it
 * drives the local tracker (track.h).  The parsing of the RM's answers is pure and
 * unit-tested with answers recorded from a real ResourceManager.
 *
 * ResourceManager errors and time-outs are reported as such (-1), never as an
 * application gone: the caller retries at its next look and ends no job for them.
 */
#ifndef TACITUS_TRACK_YARN_H
#define TACITUS_TRACK_YARN_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "hadoopconf.h"

#define YARN_RM_MAX 8               /* ResourceManagers (HA) */
#define YARN_URL_MAX 512
#define YARN_TAG_MAX 96             /* livy-batch-<id>-<random> */
#define YARN_ID_MAX 64
#define YARN_STATE_MAX 16

/* One application of a job, as the ResourceManager shows it. */
struct yarn_app {
	int job;                    /* the index of its tag in the looked-up list */
	char id[YARN_ID_MAX];       /* application_<cluster>_<n> */
	char state[YARN_STATE_MAX]; /* NEW ... RUNNING, FINISHED, FAILED, KILLED */
	char final_status[YARN_STATE_MAX];  /* UNDEFINED, SUCCEEDED, FAILED, KILLED */
	char tracking_url[YARN_URL_MAX];    /* the Spark UI (through the RM's proxy) */
	char am_logs[YARN_URL_MAX]; /* the AM container's logs on its NodeManager */
	char *diagnostics;          /* malloc'd, "" when none */
	char log_aggregation[YARN_STATE_MAX];   /* logAggregationStatus: DISABLED, NOT_START,
						   RUNNING, RUNNING_WITH_FAILURE, SUCCEEDED,
						   FAILED, TIME_OUT; "" when the RM gives none */
	long long started_ms;
	long long finished_ms;      /* finishedTime (ms since the epoch, RM's clock), 0 = not */
	int others;                 /* more applications under the same tag (leaked) */
};

struct yarn_apps {
	int n;
	struct yarn_app *v;
};
void yarn_apps_free(struct yarn_apps *a);

/* Parse an answer of GET /ws/v1/cluster/apps (JSON text) and keep the applications
 * whose applicationTags hold one of tags[0..n): at most one per tag (the newest; a
 * tag's other applications are counted in `others`), in no particular order.
 * Returns 0, or -1 with why in err when the text is not such an answer. */
int yarn_parse_apps(const char *json, const char *const *tags, int n, struct yarn_apps *out,
		    char *err, size_t errlen);

/* Livy's batch state for a YARN (state, finalStatus): "starting" up to ACCEPTED,
 * "running", or one of the ends "success", "dead", "killed". */
const char *yarn_livy_state(const char *state, const char *final_status);

/* The ResourceManagers' web addresses (without a trailing '/'): the comma list
 * `urls` when not "", else from the yarn-site.xml read into conf:
 * yarn.resourcemanager.webapp.address (https.address when yarn.http.policy is
 * HTTPS_ONLY), with HA (yarn.resourcemanager.ha.enabled) one per id of
 * yarn.resourcemanager.ha.rm-ids (webapp.address.<id>, else hostname.<id> with
 * the default port), else yarn.resourcemanager.hostname with port 8088 (8090).
 * Returns how many were put in out (0 = none known). */
int yarn_rm_urls(const char *urls, const struct hadoopconf *conf,
		 char out[][YARN_URL_MAX], int max);

/* A client of the ResourceManagers. */
struct yarn_rm;

/* A client for c's ResourceManagers (yarn_rm_urls, yarn-site.xml looked up in
 * $YARN_CONF_DIR, then $HADOOP_CONF_DIR), or NULL after logging that none is
 * known (then no YARN job can be tracked from this instance). */
struct yarn_rm *yarn_rm_open(const struct cfg *c);
void yarn_rm_close(struct yarn_rm *rm);

/* The RM in use now, for messages. */
const char *yarn_rm_url(const struct yarn_rm *rm);

/* A look-up's path by tags stays at most this long: a ResourceManager refuses a
 * request line longer than its Jetty's request header buffer (HttpServer2's
 * hadoop.http.max.request.header.size, 64 KiB by default; a proxy in front of it
 * may allow 8 KiB only), which a few thousand tags would pass. */
#define YARN_LOOKUP_PATH_MAX 8192
/* What is taken off the oldest launch for startedTimeBegin: the clocks of the
 * database (launches) and of the RM (startedTime) may disagree. */
#define YARN_SINCE_MARGIN_MS (60LL * 60 * 1000)

/* The path (from /ws/v1/...) of ONE look for the applications of tags[0..n):
 *   - by their tags, "/ws/v1/cluster/apps?applicationTags=t0,t1,..." (byte for byte
 *     as before), when that is at most YARN_LOOKUP_PATH_MAX bytes long;
 *   - else "/ws/v1/cluster/apps?startedTimeBegin=S", S = since_ms (the oldest
 *     launch of these jobs, ms since the epoch) less YARN_SINCE_MARGIN_MS: every
 *     application started since, whatever its tags, type or user;
 *   - else, when since_ms <= 0 (a job's launch is not known),
 *     "/ws/v1/cluster/apps": every application the RM holds.
 * The last two answer more than these jobs' applications (a RM holds the running
 * ones and yarn.resourcemanager.max-completed-applications ended ones, 1000 by
 * default): yarn_parse_apps keeps only those under tags.  No applicationTypes
 * filter: a job may name its own type (spark.yarn.applicationType).  Pure.
 * Returns the path (malloc'd; the caller frees), or NULL when out of memory. */
char *yarn_lookup_path(const char *const *tags, int n, long long since_ms);

/* ONE look for the applications of all n tags: GET yarn_lookup_path(tags, n,
 * since_ms) (since_ms: the oldest launch of these jobs, ms since the epoch; 0 =
 * not known); on a connection error or a standby's redirect, the next RM is
 * tried (each at most once).  Returns 0 and fills *out, or -1 with why in err: no
 * ResourceManager answered (nothing may be concluded about any job). */
int yarn_rm_lookup(struct yarn_rm *rm, const char *const *tags, int n, long long since_ms,
		   struct yarn_apps *out, char *err, size_t errlen);

/* Ask the RM to kill application id (PUT .../apps/{id}/state KILLED).  Returns 0
 * when the RM took it (the application then reads KILLED), or -1 with why in err. */
int yarn_rm_kill(struct yarn_rm *rm, const char *id, char *err, size_t errlen);

/* ---- the driver's log (the application master's container, on its NodeManager) ---- */

#define YARN_LOG_CHUNK (1024 * 1024)    /* read from the start when far behind */
#define YARN_LOG_READ_MAX (4 * 1024 * 1024)     /* bytes of a driver's log per read */

/* Parse an answer of the NodeManager's GET /ws/v1/node/containerlogs/{container}/{file}
 * (LogAggregationType: LOCAL), or of its log server's copy of the aggregated file
 * (yarn.log.server.web-service.url .../containers/{container}/logs/{file}, where the
 * NodeManager redirects once it no longer has the file; LogAggregationType:
 * AGGREGATED): a header (Container:, LogType: file, LogLength: the file's length
 * when it was read, LogContents:), the bytes asked for (`size` as sent: N the first
 * N bytes, -N the last N, of LogLength; or the whole file, from a server that takes
 * no size), then the trailer (End of LogType:file...;
 * after a line break of its own in an aggregated copy).  What follows the trailer
 * (the NodeManager may add the aggregated copy of a file it still has) is not read.
 * Sets *length, and *content (into text) and *n to the bytes.  Returns 0, or -1 when
 * text is not such an answer. */
int yarn_parse_log(const char *text, size_t len, const char *file, long long size,
		   long long *length, const char **content, size_t *n);

/* The NodeManager's address (http://HOST:PORT) and the container's id in an
 * application master's log URL (amContainerLogs:
 * http://HOST:PORT/node/containerlogs/CONTAINER/USER).  Returns 0, or -1 when url
 * is not such an address. */
int yarn_am_container(const char *url, char *nm, size_t nmlen, char *container, size_t clen);

/* Read the application master container's `file` ("stdout" or "stderr") from byte
 * `offset` through its NodeManager (am_logs: the application's amContainerLogs), or
 * through the log server it redirects to once the file is aggregated: at most
 * YARN_LOG_READ_MAX bytes into *bytes (malloc'd, *n of them; the caller frees) and
 * the file's length then into *length.  One request when little was written since
 * offset (the file's tail), a second when more was (the tail from offset on, or when
 * that is more than a read, YARN_LOG_CHUNK bytes from offset, which the NodeManager
 * can only send from the start of the file).  Returns 0; 1 when neither the
 * NodeManager nor its log server has the file (not written yet, gone, or not
 * aggregated yet: why in err; nothing read, *length = offset); or -1 with why in
 * err. */
int yarn_am_log_read(struct yarn_rm *rm, const char *am_logs, const char *file, long long offset,
		     char **bytes, size_t *n, long long *length, char *err, size_t errlen);

#endif
