/* logchunk.h - a job's log lines as PostgreSQL stores them: in chunks, one row of
 * batch_log_chunk (sql/015_log_chunks.sql) holding many consecutive lines.
 *
 * The module owns the chunks' shape and their COPY text.  A chunk holds line_count >= 1
 * lines numbered from first_line, joined by '\n' (a line never holds one: output is
 * split on it; it may be empty, hold tabs, backslashes, any UTF-8, and is kept byte for
 * byte).  An append's lines are cut into chunks of at most LOGCHUNK_MAX_LINES lines and
 * LOGCHUNK_MAX_BYTES bytes (a longer line alone), so that a read of a few lines anywhere
 * in a log splits little.  Pure: no I/O.
 */
#ifndef TACITUS_LOGCHUNK_H
#define TACITUS_LOGCHUNK_H

#include <stddef.h>

#include "store.h"

#define LOGCHUNK_MAX_LINES 2000            /* lines per chunk at most */
#define LOGCHUNK_MAX_BYTES (256 * 1024)    /* bytes of lines per chunk at most, unless one
					      line alone is longer */

/* How many of lines v[0..n) the chunk that starts with v[0] holds: 0 when n is 0,
 * else at least 1 and at most LOGCHUNK_MAX_LINES, and no more than keep the lines'
 * bytes (newlines between them counted) within LOGCHUNK_MAX_BYTES. */
long logchunk_take(const struct store_line *v, long n);

/* The COPY text (format text) of the chunks of lines v[0..n) of job id numbered from
 * first: one row "id TAB first_line TAB line_count TAB lines NL" per chunk, the lines
 * joined by a newline written \n, their backslashes, newlines, carriage returns and
 * tabs escaped.  Columns in the order of sql/015's batch_log_chunk (batch_id, first_line,
 * line_count, lines): a row per raw newline.  Sets *len; a malloc'd string, "" for
 * n 0; NULL when memory ran out. */
char *logchunk_copy_text(long long id, long first, const struct store_line *v, long n,
			 size_t *len);

#endif
