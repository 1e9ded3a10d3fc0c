/* livy.h - Livy's rules that need no I/O: states, paging windows, integer and
 * time parameters, names, file URIs and the local-directory whitelist.
 *
 * The module owns Livy's arithmetic and texts so that the API, the config and
 * the unit tests share one definition of each.  Every function is pure, except
 * that livy_resolve_uri follows symlinks of paths that exist.
 */
#ifndef TACITUS_LIVY_H
#define TACITUS_LIVY_H

#include <stdbool.h>
#include <stddef.h>

#define LIVY_VERSION "0.9.0-tacitus"

/* Parse a query integer as Java's Integer.parseInt does (optional sign, digits,
 * 32-bit range).  Returns 0, or -1 with msg = `For input string: "<s>"`. */
int livy_parse_int(const char *s, int *out, char *msg, size_t msglen);

/* Livy's time string (^\s*-?[0-9]+([a-z]+)?\s*$, case-insensitive; suffixes
 * us ms s m min h d; no suffix = ms) in milliseconds.  Returns 0, or -1 with one
 * of Livy's three messages ("Invalid time string: ...", "Invalid suffix: ...",
 * "Invalid value: ..."). */
int livy_parse_time_ms(const char *s, long long *out_ms, char *msg, size_t msglen);

/* The window of GET .../log: `lines` presented lines, `from` (has_from false =
 * tail), `size` (negative = all).  Sets *first and *count of the slice; *first is
 * the "from" to echo. */
void livy_log_window(long total, bool has_from, long from, long size,
		     long *first, long *count);

/* The window of GET /batches and /sessions: Scala's slice(from, from+size) over
 * `total` items.  Sets *first and *count (count 0 when empty). */
void livy_list_window(long total, long from, long size, long *first, long *count);

/* A job's state that never changes again, as GET .../state shows it: a batch's
 * success, dead or killed, a session's dead (its driver ended; a session in "error"
 * still runs statements).  The same rule as the store's: a job is finished (its
 * finished_at set) exactly when it takes one of these (app/store_job.c). */
bool livy_state_ended(const char *state);

/* A session or batch name is valid unless it is empty or all digits. */
bool livy_name_valid(const char *name);

/* Spark's configuration key syntax, as Tacitus takes it from requests and
 * spark-blacklist.conf: a letter, then letters, digits, '.', '_', '-' and '/' (what
 * real keys use: spark.hadoop.fs.s3a.bucket.my-bucket.endpoint,
 * spark.kubernetes.driver.label.app.kubernetes.io/name, spark.executorEnv.MY_VAR).
 * Nothing else: spark-submit splits "--conf k=v" at the first '=', so a key with
 * '=' would set another key, one the blacklist names perhaps. */
#define LIVY_SPARK_KEY_SYNTAX "a letter, then letters, digits, '.', '_', '-' or '/'"
bool livy_spark_key_valid(const char *key);

/* Resolve one file URI as Livy's Session.resolveURI does, and more strictly:
 *  - no scheme: must be an absolute path, becomes a local file;
 *  - the schemes of a path on this host, file: and local: (a path on every node,
 *    this one among them; any case), and scheme-less paths are percent-decoded,
 *    normalised ("." and ".."), their symlinks resolved, and must lie under one of
 *    the `nwl` whitelisted directories (Livy lets local: pass unchecked);
 *  - every other scheme (hdfs:, s3a:, gs:, abfss:, http:, https: ...) names a remote
 *    file and passes unchanged.
 * On success writes the value for spark-submit into out (a plain absolute path for
 * file: and plain paths, "local:" and the path for local:) and returns 0.  On refusal
 * returns -1 with Livy's message in msg (without the "Rejected, Reason: " prefix). */
int livy_resolve_uri(const char *uri, const char (*wl)[1024], int nwl,
		     char *out, size_t outlen, char *msg, size_t msglen);

#endif
