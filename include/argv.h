/* argv.h - spark-submit's arguments: what a job, a session driver or the warm pool runs.
 *
 * The module owns the translation of an accepted request (reqbody.h) and the
 * configuration into the argument vector after spark-submit, as Livy builds it:
 * --name, --class, every Spark conf entry as --conf k=v (spark.submit.pyFiles as
 * --py-files), --proxy-user, --queue, the file, its arguments.  It also owns the
 * session driver's command line (app/repl.py and its way back to the API) and
 * the warm pool's.  Pure (request + options in, a JSON array of strings out) but
 * for argv_pool_setup, which logs why a pool cannot be made.
 * The request workers build arguments here and store them; only the monitor
 * starts processes (launcher.h).
 */
#ifndef TACITUS_ARGV_H
#define TACITUS_ARGV_H

#include <stdbool.h>

#include <json-c/json.h>

#include "config.h"
#include "reqbody.h"

/* The file, in the job folder, that hands a session driver its secret: this many
 * random bytes, as lower-case hex (what /driver/sync then expects in its header). */
#define ARGV_SECRET_FILE "driver.secret"
#define ARGV_SECRET_BYTES 32
#define ARGV_SECRET_HEX_LEN (2 * ARGV_SECRET_BYTES)

/* The one warm pool's name (batch.pool), and the request its drivers serve. */
#define ARGV_POOL "pyspark"
#define ARGV_POOL_BODY "{\"kind\": \"pyspark\"}"

/* What `tacitus serve` was told about session drivers (command-line options, not
 * livy.conf), and the warm pool's arguments made from it once at start. */
struct argv_drivers {
	char script[1024];          /* app/repl.py; "" = no sessions here */
	char callback_url[512];     /* the drivers' way back: https://.../driver */
	char callback_cafile[1024]; /* CA bundle for callback_url ("" = system) */
	char pool[4096];            /* a warm-pool driver's arguments (JSON); "" = no pool
				       (not a local master, or no driver script) */
	char pool_tail[4096];       /* the same without "--name", "livy-session" */
};

/* spark-submit's arguments for batch request r, as a new JSON array of strings
 * (caller owns it).  --proxy-user only when impersonation is on.  Returns NULL
 * only when out of memory. */
json_object *argv_batch(const struct reqbody *r, const struct cfg *c);

/* YARN's tags of a job, made when it is claimed: Livy's form, in lowercase as YARN
 * keeps them. */
#define ARGV_YARN_TAG_CONF "spark.yarn.tags="

/* A copy of spark-submit's arguments `args` (from argv_batch) in which the
 * application's tags (spark.yarn.tags) are the user's, if any, then `tag` (what
 * finds the application on YARN).  Caller owns it; NULL only when out of memory. */
json_object *argv_with_yarn_tag(json_object *args, const char *tag);

/* spark-submit's arguments for the driver of session request r: d's script with
 * its callback options, built as argv_batch builds a batch of the same request;
 * the Spark application is named after the session, or "livy-session".  When the
 * driver runs in YARN's application master (argv_driver_on_yarn), its secret file
 * and the callback's CA file travel with the application (spark.files, after the
 * user's files) and the driver names them in its container's folder.
 * Caller owns the result. */
json_object *argv_driver(const struct reqbody *r, const struct cfg *c,
			 const struct argv_drivers *d);

/* Whether a session's driver under c runs in YARN's application master (livy.spark.
 * master yarn in cluster deploy mode): it is then a job the YARN tracker follows. */
bool argv_driver_on_yarn(const struct cfg *c);

/* Fill d->pool with the arguments of a warm-pool driver: those of POST /sessions
 * {"kind": "pyspark"}, unnamed.  Leaves it "" when there is no pool here (a
 * cluster master, no driver script).  Returns 0, or -1 (logged) when that
 * request is refused or its arguments do not fit. */
int argv_pool_setup(const struct cfg *c, struct argv_drivers *d);

/* True when driver arguments `a` (from argv_driver) equal the warm pool's but for
 * the application's name: a pooled driver can then serve the request. */
bool argv_fits_pool(json_object *a, const struct argv_drivers *d);

#endif
