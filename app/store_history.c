/* store_history.c - the history's end: purging finished jobs older than keep-days. */
#include "store_int.h"

#include <stdio.h>
#include <stdlib.h>

#define PURGE_LINES "50000"     /* log lines removed per step */
#define PURGE_JOBS "100"        /* jobs removed per step, with all that hangs off them */

/* Old: finished more than $1 days ago (batches, session drivers alike). */
#define OLD "b.finished_at < now() - $1::int * interval '1 day'"

static enum store_rc count_of(PGresult *r, long *removed)
{
	if (!r)
		return STORE_ERROR;
	*removed = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

enum store_rc store_purge_step(struct store *s, int keep_days, long *removed)
{
	char days[STORE_NUM_MAX];
	const char *p[1] = {days};
	enum store_rc rc;

	*removed = 0;
	snprintf(days, sizeof days, "%d", keep_days);
	/* the log lines of old jobs first, a bounded number at a time */
	rc = count_of(store_run(s, "purge log lines",
		"WITH x AS (SELECT l.batch_id, l.line_no FROM batch b JOIN batch_log l "
		"ON l.batch_id = b.id WHERE " OLD " LIMIT " PURGE_LINES "), "
		"d AS (DELETE FROM batch_log l USING x WHERE l.batch_id = x.batch_id "
		"AND l.line_no = x.line_no RETURNING 1) SELECT count(*) FROM d", 1, p), removed);
	if (rc != STORE_OK || *removed > 0)
		return rc;
	/* then the jobs whose lines are gone: their events, and for a session driver its
	 * session with its statements and completions (one statement: the foreign keys
	 * are checked at its end) */
	return count_of(store_run(s, "purge jobs",
		"WITH old AS (SELECT b.id FROM batch b WHERE " OLD " AND NOT EXISTS "
		"(SELECT 1 FROM batch_log l WHERE l.batch_id = b.id) ORDER BY b.finished_at "
		"LIMIT " PURGE_JOBS " FOR UPDATE SKIP LOCKED), "
		"ss AS (SELECT id FROM session WHERE driver_id IN (SELECT id FROM old)), "
		"st AS (DELETE FROM statement WHERE session_id IN (SELECT id FROM ss) RETURNING 1), "
		"co AS (DELETE FROM completion WHERE session_id IN (SELECT id FROM ss) RETURNING 1), "
		"se AS (DELETE FROM session WHERE id IN (SELECT id FROM ss) RETURNING 1), "
		"ev AS (DELETE FROM batch_event WHERE batch_id IN (SELECT id FROM old) RETURNING 1), "
		"jb AS (DELETE FROM batch WHERE id IN (SELECT id FROM old) RETURNING 1) "
		"SELECT (SELECT count(*) FROM st) + (SELECT count(*) FROM co) + "
		"(SELECT count(*) FROM se) + (SELECT count(*) FROM ev) + (SELECT count(*) FROM jb)",
		1, p), removed);
}
