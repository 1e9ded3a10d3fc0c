/* track.h - the local tracker: what a job's output files say.
 *
 * The module owns reading DIR/stdout and DIR/stderr of a locally launched job: new complete
 * lines from a byte offset, made valid UTF-8 text for PostgreSQL, and the facts
 * Spark prints there (application id, Spark UI address).  Cluster trackers
 * (track_yarn.h) sit beside it and cut what they read into lines here.
 */
#ifndef TACITUS_TRACK_H
#define TACITUS_TRACK_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define TRACK_MAX_READ (1024 * 1024)    /* bytes read per job per monitor cycle */
#define TRACK_MAX_LINE 16384            /* longer lines are split, between characters */

struct track_facts {
	char app_id[128];           /* "" = not seen; never the UI's address: a job
				     * prints what it likes (the cluster manager gives it) */
};

/* Read at most TRACK_MAX_READ bytes of dir/name from *offset.  Complete lines
 * (and, when `final`, a last unterminated one) are appended to `lines` (a JSON
 * array) and *offset moves past them; facts found in them are set in *facts.
 * A line longer than TRACK_MAX_LINE bytes goes in pieces cut between UTF-8
 * characters, and a read that fills the buffer inside a character leaves that
 * character for the next read.  Returns the number of strings appended (a long
 * line counts as its pieces), or -1 when the file cannot be read (a missing file
 * is 0 lines). */
int track_read_output(const char *dir, const char *name, long long *offset, bool final,
		      json_object *lines, struct track_facts *facts);

/* The lines of buf[0..len), read from a job's output (a file, or a cluster's copy
 * of it), appended to `lines` as track_read_output does: complete lines, and when
 * `final` and not `more` (nothing follows buf) a last unterminated one; with `more`,
 * a character cut at the end waits for the next read.  buf is sanitized in place.
 * Sets *used to the bytes consumed; returns the number of strings appended. */
int track_take_lines(char *buf, size_t len, bool final, bool more, json_object *lines,
		     struct track_facts *facts, size_t *used);

/* True when s[0..len) is a plain http(s) URL: no space, control, quote, angle
 * bracket, backslash or backquote, nothing but ASCII.  An address Tacitus shows as a
 * link (a job's Spark UI, its driver's log) must be one: what a job prints, or a
 * cluster manager answers, must not become a javascript: link or break out of an
 * attribute in a page that shows it. */
bool track_url_plain(const char *s, size_t len);

/* Look for the application id and the Spark UI address in one line. */
void track_scan_line(const char *line, struct track_facts *facts);

/* Replace invalid UTF-8 and NUL bytes in buf[0..len) by '?', in place. */
void track_sanitize(char *buf, size_t len);

#endif
