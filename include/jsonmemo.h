/* jsonmemo.h - the JSON text of one item of an answer (a batch of GET /batches, say),
 * kept by a worker for the next answers that show the same item made from the very
 * same values.
 *
 * A list of 100 batches cost a worker more in json-c (2,500 objects built, written
 * and freed: 0.3 ms) than everything else it does for that answer, and most items of
 * a list are the same answer after answer (a finished job no longer changes).  The
 * module keeps, for each item id, the text made last and the values it was made
 * from, and gives it back only for exactly those values, byte for byte: never a text
 * the row just read would not give, so it holds no state of its own and needs no
 * invalidation (the values come from PostgreSQL in every answer, as before).  It
 * knows nothing of what the values mean: the caller lists every value its text
 * depends on, rights included.
 *
 * One memo per process (a worker), no locks.  A memo holds JSONMEMO_SLOTS items at
 * most, one per slot (an id's slot is fixed: a newer id in the same slot replaces
 * it), each with its values at most JSONMEMO_ITEM_MAX bytes: 16 MiB a memo at most.  A text handed out stays valid
 * until the memo's next answer begins (jsonmemo_begin): within one answer no text is
 * replaced, so an answer may hold on to all of its items' texts until it is sent.
 */
#ifndef TACITUS_JSONMEMO_H
#define TACITUS_JSONMEMO_H

#include <stddef.h>

#define JSONMEMO_SLOTS 1024             /* a list page holds 1,000 items at most */
#define JSONMEMO_ITEM_MAX (16 * 1024)   /* a text and its values' key, bytes */

struct jsonmemo_slot;

/* A memo: all zero (static or = {0}) is an empty one. */
struct jsonmemo {
	struct jsonmemo_slot *slot;     /* JSONMEMO_SLOTS, allocated at the first keep */
	unsigned long answer;           /* the answer now being made */
};

/* Begin an answer: the texts handed out before may be replaced from now on. */
void jsonmemo_begin(struct jsonmemo *m);

/* The text kept for item id made from values v[0..n) (NUL-terminated strings; NULL
 * for a value that is absent, which differs from ""), or NULL when none is kept for
 * exactly these values.  A text returned is valid until the next jsonmemo_begin. */
const char *jsonmemo_get(struct jsonmemo *m, long long id, const char *const *v, int n);

/* Keep text (NUL-terminated, len bytes) for item id made from values v[0..n) in
 * place of what id's slot held.  Returns the memo's copy, valid until the next
 * jsonmemo_begin; NULL when it is not kept (memory ran out, the text and the
 * values' key exceed JSONMEMO_ITEM_MAX together, or the slot holds a text handed out
 * in this answer): the caller then sends its own text. */
const char *jsonmemo_keep(struct jsonmemo *m, long long id, const char *const *v, int n,
			  const char *text, size_t len);

/* Free everything kept; m is an empty memo again. */
void jsonmemo_free(struct jsonmemo *m);

#endif
