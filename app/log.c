/* log.c - one-line event log on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static char prefix[96] = "tacitus";

void log_init(const char *instance, const char *role)
{
	snprintf(prefix, sizeof prefix, "%s %s", instance, role);
}

void log_escape(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;
		if (c == '\n' || c == '\r' || c == '\t') {
			out[o++] = '\\';
			out[o++] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		} else if (c < 0x20 || c == 0x7f) {
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
		} else {
			out[o++] = (char)c;
		}
	}
	if (len)
		out[o < len ? o : len - 1] = '\0';
}

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char raw[2048], msg[4 * sizeof raw], when[32];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(raw, sizeof raw, fmt, ap);
	/* what users named (a session, a file) cannot start a line of its own */
	log_escape(raw, msg, sizeof msg);
	/* one fprintf: lines from concurrent processes do not interleave */
	fprintf(stderr, "%s.%03ldZ %s[%ld] %s %s\n", when, (long)(tv.tv_usec / 1000),
		prefix, (long)getpid(), level, msg);
}

void log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("INFO", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("WARN", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_line("ERROR", fmt, ap);
	va_end(ap);
}
