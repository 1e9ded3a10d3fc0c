/* test_logchunk.c - log lines cut into chunks, and the chunks' COPY text: byte for
 * byte, whatever a line holds (empty, tabs, backslashes, carriage returns, UTF-8). */
#include <stdlib.h>

#include "logchunk.h"
#include "unit.h"

#define L(str) ((struct store_line){(str), sizeof(str) - 1})

/* The COPY text of v[0..n) as job 7's lines from 40 is `want`, in `chunks` rows. */
#define copies(...) copies_at(UNIT_HERE, __VA_ARGS__)
static void copies_at(struct unit_at at, const struct store_line *v, long n, const char *want,
		      long chunks)
{
	size_t len = 0;
	long rows = -1;
	char *text = logchunk_copy_text(7, 40, v, n, &len, &rows);

	at.label = want;
	if (!CHECK_AT(at, text != NULL))
		return;
	CHECK_STR_AT(at, text, want);
	CHECK_AT(at, len == strlen(want));
	CHECK_AT(at, rows == chunks);
	free(text);
}

static void escaping(void)
{
	struct store_line one_empty[] = {L("")};
	struct store_line two_empty[] = {L(""), L("")};
	struct store_line odd[] = {L("a\tb"), L("back\\slash"), L("cr\r"), L(""),
				   L("\xc3\xa9t\xc3\xa9 \xe2\x82\xac"), L("\\n is not a newline")};

	copies(one_empty, 0, "", 0);
	/* one empty line: a chunk of one line, empty (not a chunk of none) */
	copies(one_empty, 1, "7\t40\t1\t\n", 1);
	copies(two_empty, 2, "7\t40\t2\t\\n\n", 1);
	copies(odd, 6, "7\t40\t6\ta\\tb\\nback\\\\slash\\ncr\\r\\n\\n\xc3\xa9t\xc3\xa9 \xe2\x82\xac"
		       "\\n\\\\n is not a newline\n", 1);
}

static void bounds(void)
{
	long n = 2 * LOGCHUNK_MAX_LINES + 5;
	struct store_line *v = calloc((size_t)n, sizeof *v);
	static char big[LOGCHUNK_MAX_BYTES + 10];
	size_t len;
	long rows, first = 0;
	char *text, *at;

	if (!CHECK(v != NULL))
		return;
	CHECK(logchunk_take(v, 0) == 0);
	for (long i = 0; i < n; i++)
		v[i] = L("x");
	/* by lines: 2000, 2000, 5 */
	CHECK(logchunk_take(v, n) == LOGCHUNK_MAX_LINES);
	CHECK(logchunk_take(v, 3) == 3);
	text = logchunk_copy_text(1, 0, v, n, &len, &rows);
	CHECK(text && rows == 3);
	/* each row says where it starts and how many it holds, and they follow each other */
	for (at = text; text && *at; at = strchr(at, '\n') + 1) {
		long id, from, count;

		if (!CHECK(sscanf(at, "%ld\t%ld\t%ld\t", &id, &from, &count) == 3))
			break;
		CHECK(id == 1 && from == first);
		first += count;
	}
	CHECK(first == n);
	free(text);

	/* by bytes: lines of 100 KiB, two to a chunk (the newline between them counted) */
	memset(big, 'y', sizeof big);
	for (long i = 0; i < 5; i++)
		v[i] = (struct store_line){big, 100 * 1024};
	CHECK(logchunk_take(v, 5) == 2);
	v[1].len = LOGCHUNK_MAX_BYTES - v[0].len - 1;               /* exactly full */
	CHECK(logchunk_take(v, 5) == 2);
	v[1].len++;
	CHECK(logchunk_take(v, 5) == 1);
	/* a line longer than a chunk goes alone */
	v[0].len = sizeof big;
	CHECK(logchunk_take(v, 5) == 1);
	text = logchunk_copy_text(1, 0, v, 5, &len, &rows);
	CHECK(text && rows == 4);
	free(text);
	free(v);
}

void test_logchunk(void)
{
	escaping();
	bounds();
}
