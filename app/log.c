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

static void log_line(const char *level, const char *fmt, va_list ap)
{
	char msg[2048], when[32];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof msg, fmt, ap);
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
