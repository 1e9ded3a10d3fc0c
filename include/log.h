/* log.h - one line per event on stderr: time, instance, role, pid, message.
 *
 * The module owns the process-wide log prefix.  Callers say what happened and to
 * which batch or session ("batch 12: ..."); the prefix says who said it.
 * Every function is safe to call before log_init (it then logs "tacitus").
 */
#ifndef TACITUS_LOG_H
#define TACITUS_LOG_H

#include <stddef.h>

/* Set the prefix used by every later line, e.g. log_init("app-1", "worker").
 * Both strings are copied. */
void log_init(const char *instance, const char *role);

/* in with its control characters escaped (\n, \r, \t, \xNN) into out (size len,
 * cut at a character when it does not fit): every message is one line, whatever a
 * user string in it holds. */
void log_escape(const char *in, char *out, size_t len);

/* printf-style; the message is escaped (log_escape) and a newline added.  log_error is for failures handled by the caller. */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
