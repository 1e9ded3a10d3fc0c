/* leasewatch.c - another monitor's silence, and its lock's end, as this monitor saw them. */
#include "leasewatch.h"

#include <stdio.h>
#include <string.h>

void leasewatch_begin(struct leasewatch *w, long long now_ms)
{
	long long step = w->last_ms ? now_ms - w->last_ms : 0;

	w->step_ms = step < 0 ? 0 : step > LEASEWATCH_STEP_MAX_MS ? LEASEWATCH_STEP_MAX_MS : step;
	w->last_ms = now_ms;
	for (int i = 0; i < w->n; i++)
		w->v[i].seen = false;
}

static struct leasewatch_owner *find(const struct leasewatch *w, const char *owner)
{
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].owner, owner))
			return (struct leasewatch_owner *)&w->v[i];
	return NULL;
}

void leasewatch_see(struct leasewatch *w, const char *owner, const char *mark)
{
	struct leasewatch_owner *o = find(w, owner);

	if (strlen(owner) >= LEASEWATCH_OWNER_MAX || strlen(mark) >= LEASEWATCH_MARK_MAX)
		return;
	if (!o) {
		if (w->n == LEASEWATCH_OWNERS_MAX)
			return;
		o = &w->v[w->n++];
		snprintf(o->owner, sizeof o->owner, "%s", owner);
		o->mark[0] = '\0';
		o->silent_ms = 0;
	}
	if (strcmp(o->mark, mark)) {
		snprintf(o->mark, sizeof o->mark, "%s", mark);
		o->silent_ms = 0;
	} else {
		o->silent_ms += w->step_ms;
	}
	o->seen = true;
}

void leasewatch_end(struct leasewatch *w)
{
	int k = 0;

	for (int i = 0; i < w->n; i++)
		if (w->v[i].seen)
			w->v[k++] = w->v[i];
	w->n = k;
}

bool leasewatch_silent(const struct leasewatch *w, const char *owner, long long silent_ms,
		       bool released_counts)
{
	const struct leasewatch_owner *o = find(w, owner);

	if (!o)
		return false;
	if (released_counts && !strcmp(o->mark, LEASEWATCH_RELEASED))
		return true;
	return o->silent_ms >= silent_ms;
}

void leasewatch_locks_begin(struct leasewatch_locks *w, unsigned long session)
{
	if (session != w->session)
		w->n = 0;
	w->session = session;
	for (int i = 0; i < w->n; i++)
		w->v[i].seen = false;
}

static struct leasewatch_lock *find_lock(const struct leasewatch_locks *w, const char *owner)
{
	for (int i = 0; i < w->n; i++)
		if (!strcmp(w->v[i].owner, owner))
			return (struct leasewatch_lock *)&w->v[i];
	return NULL;
}

void leasewatch_locks_see(struct leasewatch_locks *w, const char *owner, bool held, bool jobs)
{
	struct leasewatch_lock *o = find_lock(w, owner);

	if (strlen(owner) >= LEASEWATCH_OWNER_MAX || (!held && !jobs))
		return;
	if (!o) {
		if (w->n == LEASEWATCH_OWNERS_MAX)
			return;
		o = &w->v[w->n++];
		snprintf(o->owner, sizeof o->owner, "%s", owner);
		o->held = held;
		o->gone = false;
	}
	o->gone = !held && (o->held || o->gone);
	o->held = held;
	o->seen = true;
}

void leasewatch_locks_end(struct leasewatch_locks *w)
{
	int k = 0;

	for (int i = 0; i < w->n; i++)
		if (w->v[i].seen)
			w->v[k++] = w->v[i];
	w->n = k;
}

bool leasewatch_lock_gone(const struct leasewatch_locks *w, const char *owner)
{
	const struct leasewatch_lock *o = find_lock(w, owner);

	return o && o->gone;
}
