/* unit.c - the checks of unit.h: count, and say where and on what input one failed. */
#include <stdarg.h>

#include "unit.h"

int unit_passed, unit_failed;

/* Labels are inputs, some of them 70 KB request bodies: a failure shows their start. */
#define LABEL_MAX 200

static void where(struct unit_at at)
{
	fprintf(stderr, "%s:%d: ", at.file, at.line);
	if (at.label)
		fprintf(stderr, "[%.*s%s] ", LABEL_MAX, at.label,
			strlen(at.label) > LABEL_MAX ? "..." : "");
}

int unit_check(struct unit_at at, int ok, const char *cond)
{
	if (ok) {
		unit_passed++;
		return 1;
	}
	unit_failed++;
	where(at);
	fprintf(stderr, "CHECK failed: %s\n", cond);
	return 0;
}

int unit_check_str(struct unit_at at, const char *a, const char *b)
{
	if (a && b && !strcmp(a, b)) {
		unit_passed++;
		return 1;
	}
	unit_failed++;
	where(at);
	fprintf(stderr, "\"%s\" != \"%s\"\n", a ? a : "(null)", b ? b : "(null)");
	return 0;
}

void unit_note(struct unit_at at, const char *fmt, ...)
{
	va_list ap;

	where(at);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}
