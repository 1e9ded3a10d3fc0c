/* histquery.c - the parameters of GET /history: checked, and the search's pattern (histquery.h). */
#include "histquery.h"
#include "jsontext.h"

#include <stdio.h>
#include <string.h>

#define ID_DIGITS_MAX 18            /* below INT64_MAX whatever the digits */

int histquery_like(const char *q, char *buf, size_t len)
{
	size_t j = 0;

	if (len < 2 * strlen(q) + 3)
		return -1;
	buf[j++] = '%';
	for (const char *p = q; *p; p++) {
		if (*p == '\\' || *p == '%' || *p == '_')
			buf[j++] = '\\';
		buf[j++] = *p;
	}
	buf[j++] = '%';
	buf[j] = '\0';
	return 0;
}

bool histquery_is_id(const char *q)
{
	size_t n = strlen(q);

	return n >= 1 && n <= ID_DIGITS_MAX && strspn(q, "0123456789") == n;
}

bool histquery_state(const char *state)
{
	static const char *const known[] = {
		"starting", "running", "success", "dead", "killed",
		"idle", "busy", "error", "shutting_down",
	};

	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(state, known[i]))
			return true;
	return false;
}

/* v, or NULL when it is absent or empty. */
static const char *given(const char *v)
{
	return v && *v ? v : NULL;
}

/* A filter's value: UTF-8 and at most max bytes.  0, or -1 with msg. */
static int check_value(const char *name, const char *v, size_t max, char *msg, size_t msglen)
{
	if (!v)
		return 0;
	if (strlen(v) > max) {
		snprintf(msg, msglen, "%s is longer than %zu bytes", name, max);
		return -1;
	}
	if (!jsontext_utf8(v)) {
		snprintf(msg, msglen, "%s is not UTF-8", name);
		return -1;
	}
	return 0;
}

/* kind and state: 0, or -1 with msg.  Both were checked by check_value. */
static int check_names(const struct histquery *q, char *msg, size_t msglen)
{
	if (q->kind && strcmp(q->kind, "batch") && strcmp(q->kind, "session")) {
		snprintf(msg, msglen, "kind must be batch or session, not '%s'", q->kind);
		return -1;
	}
	if (q->state && !histquery_state(q->state)) {
		snprintf(msg, msglen, "Unknown state '%s'", q->state);
		return -1;
	}
	return 0;
}

int histquery_check(const struct histquery_params *p, struct histquery *out, char *msg,
		    size_t msglen)
{
	const char *q = given(p->q);

	memset(out, 0, sizeof *out);
	if (p->from < 0 || p->size < 0) {
		snprintf(msg, msglen, "from and size must not be negative");
		return -1;
	}
	out->from = p->from;
	out->size = p->size > HISTQUERY_PAGE_MAX ? HISTQUERY_PAGE_MAX : p->size;
	out->kind = given(p->kind);
	out->state = given(p->state);
	out->owner = given(p->owner);
	if (check_value("kind", out->kind, HISTQUERY_VALUE_MAX, msg, msglen) < 0 ||
	    check_value("state", out->state, HISTQUERY_VALUE_MAX, msg, msglen) < 0 ||
	    check_value("owner", out->owner, HISTQUERY_VALUE_MAX, msg, msglen) < 0 ||
	    check_value("q", q, HISTQUERY_Q_MAX, msg, msglen) < 0 ||
	    check_names(out, msg, msglen) < 0)
		return -1;
	if (q) {
		histquery_like(q, out->like_buf, sizeof out->like_buf);
		out->like = out->like_buf;
		out->id = histquery_is_id(q) ? q : NULL;
	}
	return 0;
}
