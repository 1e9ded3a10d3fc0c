/* histquery.h - what a query of the history (GET /history) asks for, read from its
 * parameters: the page, the filters by kind, state and owner, and the search.
 *
 * The module owns the rules of those parameters: which kinds and states exist, what
 * a search matches (an id exactly, or any part of a name, case-insensitive: the LIKE
 * pattern it builds escapes LIKE's own wildcards), and the bounds of a page.  Every
 * value that reaches SQL is a parameter, never text of the statement.  Pure.
 */
#ifndef TACITUS_HISTQUERY_H
#define TACITUS_HISTQUERY_H

#include <stdbool.h>
#include <stddef.h>

#define HISTQUERY_Q_MAX 200         /* a search, in bytes */
#define HISTQUERY_VALUE_MAX 256     /* a filter's value, in bytes */
#define HISTQUERY_PAGE 50           /* jobs of a page unless size says */
#define HISTQUERY_PAGE_MAX 1000     /* jobs of a page at most: a larger size gives this */

/* A checked query.  The strings point into the caller's values, except like. */
struct histquery {
	long from;                  /* jobs skipped, newest first */
	int size;                   /* jobs of the page, 0..HISTQUERY_PAGE_MAX */
	const char *kind;           /* "batch", "session", NULL both */
	const char *state;          /* NULL any */
	const char *owner;          /* NULL any */
	const char *id;             /* the search read as a job id, NULL when it is not one */
	const char *like;           /* the search as an ILIKE pattern ("%...%"), NULL none */
	char like_buf[2 * HISTQUERY_Q_MAX + 3];
};

/* The raw parameters as the request gave them: NULL (or "") when absent. */
struct histquery_params {
	const char *kind, *state, *owner, *q;
	long from;                  /* default 0 */
	int size;                   /* default HISTQUERY_PAGE */
};

/* Check p into *out.  Refused: from or size below 0, a kind other than batch or
 * session, a state no job of the history can be in (histquery_state), a value that
 * is not UTF-8 (PostgreSQL would refuse it), a search longer than HISTQUERY_Q_MAX
 * bytes.  A size above HISTQUERY_PAGE_MAX is cut to it.  Returns 0, or -1 with why
 * in msg (for a 400). */
int histquery_check(const struct histquery_params *p, struct histquery *out, char *msg,
		    size_t msglen);

/* The LIKE pattern that finds q anywhere in a name: "%q%" with \, % and _ escaped
 * by \ (PostgreSQL's default escape).  buf holds 2 * strlen(q) + 3 bytes at least:
 * returns 0, or -1 when it is too small. */
int histquery_like(const char *q, char *buf, size_t len);

/* True when q also reads as a job id: 1 to 18 digits (below INT64_MAX). */
bool histquery_is_id(const char *q);

/* True when `state` is one a job of the history shows: a batch's (starting, running,
 * success, dead, killed) or a session's (starting, idle, busy, error, shutting_down, then
 * how its driver ended: success, dead, killed). */
bool histquery_state(const char *state);

#endif
