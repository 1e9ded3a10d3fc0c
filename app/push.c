/* push.c - waiting clients: the rules of a wait and the names it meets a change at
 * (push.h). */
#include "push.h"
#include "livy.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WAIT_DIGITS 9               /* wait=999999999 at most is read (then capped) */
#define CATCHUP_MIN_S 300           /* the catch-up's window at least (push.h) */

/* Livy's SessionState names (batches and sessions) and statement states. */
static const char *const job_states[] = {
	"not_started", "starting", "recovering", "idle", "running", "busy",
	"shutting_down", "error", "dead", "killed", "success", NULL,
};
static const char *const statement_states[] = {
	"waiting", "running", "available", "error", "cancelling", "cancelled", NULL,
};

static bool known(const char *const *names, const char *s)
{
	for (; *names; names++)
		if (!strcmp(*names, s))
			return true;
	return false;
}

/* wait's value as seconds: all digits, not too many. */
static int parse_wait(const char *v, long *out)
{
	size_t n = strlen(v);

	if (n == 0 || n > WAIT_DIGITS || strspn(v, "0123456789") != n)
		return -1;
	*out = strtol(v, NULL, 10);
	return 0;
}

int push_wait_secs(enum push_what w, const char *wait, const char *since, const char *state,
		   long long cap_ms, long *secs, char *msg, size_t len)
{
	const char *const *names = w == PUSH_STATEMENT ? statement_states : job_states;
	long asked = 0;

	*secs = 0;
	if (wait && parse_wait(wait, &asked) < 0) {
		snprintf(msg, len, "wait must be a whole number of seconds, e.g. wait=30, not '%.40s'",
			 wait);
		return -1;
	}
	if (since && !known(names, since)) {
		snprintf(msg, len, "since must name a %s state (as the state field says), not '%.40s'",
			 w == PUSH_STATEMENT ? "statement" : w == PUSH_BATCH ? "batch" : "session",
			 since);
		return -1;
	}
	if (!wait || !since || !state || strcmp(state, since) || cap_ms < 1000)
		return 0;
	*secs = asked < cap_ms / 1000 ? asked : (long)(cap_ms / 1000);
	return 0;
}

int push_end_secs(enum push_what w, const char *until, const char *wait, const char *since,
		  const char *state, long long cap_ms, long *secs, char *msg, size_t len)
{
	long asked = cap_ms / 1000;

	*secs = 0;
	if (strcmp(until, "end")) {
		snprintf(msg, len, "until takes one value, end (until=end), not '%.40s'", until);
		return -1;
	}
	if (w == PUSH_STATEMENT) {
		snprintf(msg, len, "until=end waits for a batch's or a session's end: "
			 "a statement's state is waited for with wait and since");
		return -1;
	}
	if (since) {
		snprintf(msg, len, "until=end waits for the end, whatever the state: "
			 "leave since out");
		return -1;
	}
	if (wait && parse_wait(wait, &asked) < 0) {
		snprintf(msg, len, "wait must be a whole number of seconds, e.g. wait=30, not '%.40s'",
			 wait);
		return -1;
	}
	if (!state || livy_state_ended(state) || cap_ms < 1000)
		return 0;
	*secs = asked < cap_ms / 1000 ? asked : (long)(cap_ms / 1000);
	return 0;
}

/* The lengths nginx holds a wait for (app/stack.sh writes a place for each): up to
 * `upto` seconds, every `step`. */
static const struct {
	long upto, step;
} buckets[] = {{60, 1}, {300, 30}, {3600, 300}, {PUSH_WAIT_MAX_S, 3600}};

long push_bucket(long secs)
{
	if (secs < 1)
		return 1;
	for (size_t i = 0; i < sizeof buckets / sizeof buckets[0]; i++)
		if (secs <= buckets[i].upto)
			return secs - secs % buckets[i].step;
	return PUSH_WAIT_MAX_S;
}

long push_catchup_window(long long now, long long posted_at, long cap_s)
{
	long long away = now > posted_at ? now - posted_at : 0;
	long long most = cap_s > 0 ? cap_s : 0;

	return (long)((away < most ? away : most) + CATCHUP_MIN_S);
}

static int fits(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int push_job_channel(char *buf, size_t len, long long id, long seq)
{
	return fits(snprintf(buf, len, "j%lld.%ld", id, seq), len);
}

int push_end_channel(char *buf, size_t len, long long id)
{
	return fits(snprintf(buf, len, "j%lld.end", id), len);
}

int push_statement_channel(char *buf, size_t len, long long session, int stmt,
			   const char *state)
{
	return fits(snprintf(buf, len, "t%lld.%d.%s", session, stmt, state), len);
}

/* A whole number (minus allowed) at *p, followed by a space or the end; advances *p. */
static int number(const char **p, long long *out)
{
	char *end;

	errno = 0;
	if (!((**p >= '0' && **p <= '9') || **p == '-'))
		return -1;
	*out = strtoll(*p, &end, 10);
	if (errno || end == *p || (*end && *end != ' '))
		return -1;
	*p = *end ? end + 1 : end;
	return 0;
}

/* The state name at p (a statement's), into out. */
static int statement_state(const char *p, char *out, size_t len)
{
	if (!known(statement_states, p) || strlen(p) >= len)
		return -1;
	strcpy(out, p);
	return 0;
}

/* A whole number at *p in [lo, hi], as number() reads it. */
static int bounded(const char **p, long long lo, long long hi, long long *out)
{
	return number(p, out) < 0 || *out < lo || *out > hi ? -1 : 0;
}

int push_note_parse(const char *payload, struct push_note *n)
{
	const char *p = payload + (*payload ? 1 : 0);
	long long a, b, c;

	memset(n, 0, sizeof *n);
	if (*p != ' ')
		return -1;
	p++;
	if (number(&p, &a) < 0)
		return -1;
	switch (payload[0]) {
	case 'j':
		if (bounded(&p, 0, INT_MAX, &b) < 0 || *p)
			return -1;
		n->kind = PUSH_NOTE_JOB;
		n->job = a;
		n->seq = (long)b;
		return 0;
	case 't':
		if (bounded(&p, 0, INT_MAX, &b) < 0)
			return -1;
		n->kind = PUSH_NOTE_STATEMENT;
		n->session = a;
		n->stmt = (int)b;
		return statement_state(p, n->state, sizeof n->state);
	case 'l':
		if (bounded(&p, 0, INT_MAX, &b) < 0 || bounded(&p, b, INT_MAX, &c) < 0 || *p)
			return -1;
		n->kind = PUSH_NOTE_LOG;
		n->job = a;
		n->from = (long)b;
		n->to = (long)c;
		return 0;
	case 'c':
		if (*p)
			return -1;
		n->kind = PUSH_NOTE_COMPLETION;
		n->completion = a;
		return 0;
	default:
		return -1;
	}
}

int push_note_channel(const struct push_note *n, char *buf, size_t len)
{
	if (n->kind == PUSH_NOTE_JOB)
		return push_job_channel(buf, len, n->job, n->seq);
	if (n->kind == PUSH_NOTE_STATEMENT)
		return push_statement_channel(buf, len, n->session, n->stmt, n->state);
	if (n->kind == PUSH_NOTE_COMPLETION)
		return push_completion_channel(buf, len, n->completion);
	return -1;
}

json_object *push_state_json(long long id, const char *state)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "state", json_object_new_string(state));
	return o;
}

int push_statement_left(const char *state, const char *out[4])
{
	static const struct {
		const char *state, *left[4];
	} order[] = {
		{"running", {"waiting", NULL}},
		{"available", {"waiting", "running", NULL}},
		{"error", {"waiting", "running", NULL}},
		{"cancelling", {"waiting", "running", NULL}},
		{"cancelled", {"waiting", "running", "cancelling", NULL}},
	};
	int n = 0;

	out[0] = NULL;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (!strcmp(order[i].state, state))
			for (n = 0; (out[n] = order[i].left[n]); n++)
				;
	return n;
}

int push_completion_channel(char *buf, size_t len, long long completion)
{
	return fits(snprintf(buf, len, "c%lld", completion), len);
}

int push_events_channel(char *buf, size_t len, long long job)
{
	return fits(snprintf(buf, len, "e%lld", job), len);
}

int push_events_uri(char *buf, size_t len, long long job)
{
	char ch[PUSH_CHANNEL_MAX];

	return push_events_channel(ch, sizeof ch, job) < 0 ? -1
	       : fits(snprintf(buf, len, "/_events/%s", ch), len);
}

int push_wait_uri(char *buf, size_t len, long secs, const char *channel, const char *path,
		  const char *query)
{
	for (const char *q = query; *q; q++)
		if ((unsigned char)*q <= ' ' || *q == 0x7f)
			return -1;
	return fits(snprintf(buf, len, "/_wait/%ld/%s%s%s%s", push_bucket(secs), channel, path,
			     *query ? "?" : "", query), len);
}
