/* jobenv.h - the environment every job starts with: an allow-list, never the server's.
 *
 * The module owns which variables of the server's environment a job (a batch's
 * spark-submit, a session's driver, through the job shim) is given: those named by
 * the built-in list (what spark-submit, the JVM and pyspark need: PATH, HOME, LANG,
 * LC_*, TZ, JAVA_HOME, SPARK_HOME, PYSPARK_*, HADOOP_CONF_DIR, YARN_CONF_DIR,
 * SPARK_CONF_DIR) and by livy.conf's tacitus.job.env-allow, and never a name that
 * starts with PG (the database's host, port, user, password file ...) or TACITUS_
 * (the server's settings), whatever the lists say.  Everything else stays out.  The
 * job's marker TACITUS_JOB is not the server's to pass: the shim adds it itself
 * (launcher.h).  Pure: it reads the arrays it is given, and no I/O.
 */
#ifndef TACITUS_JOBENV_H
#define TACITUS_JOBENV_H

#include <stdbool.h>

#include "config.h"

/* Why `pattern` cannot be an entry of tacitus.job.env-allow, or NULL when it can.
 * An entry is a variable name ([A-Za-z_][A-Za-z0-9_]*) or such a name followed by
 * one '*' (every name that starts with it); a name or prefix that starts with PG or
 * TACITUS_ is refused (it could only name what never passes). */
const char *jobenv_pattern_error(const char *pattern);

/* True when the variable `name` may pass to a job: it matches the built-in list or
 * c->job_env_allow, and starts with neither PG nor TACITUS_. */
bool jobenv_allowed(const struct cfg *c, const char *name);

/* The job environment drawn from env (a NULL-terminated "NAME=VALUE" array, such as
 * environ): copies of the entries whose name jobenv_allowed passes, in env's order,
 * the first of a repeated name only, entries without '=' left out.  Returns a
 * NULL-terminated array for posix_spawn (release it with jobenv_free), or NULL when
 * memory ran out. */
char **jobenv_build(const struct cfg *c, char *const env[]);

/* Release what jobenv_build returned (NULL is fine). */
void jobenv_free(char **env);

#endif
