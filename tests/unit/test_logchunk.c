/* test_logchunk.c - log lines cut into chunks, and the chunks' COPY text: byte for
 * byte, whatever a line holds (empty, tabs, backslashes, carriage returns, UTF-8). */
#include <stdbool.h>
#include <stdlib.h>

#include "logchunk.h"
#include "unit.h"

/* The rows of a COPY text: one per raw newline (a line's own are written \n). */
static long rows_of(const char *text)
{
	long n = 0;

	for (; text && *text; text++)
		n += *text == '\n';
	return n;
}

#define L(str) ((struct store_line){(str), sizeof(str) - 1})

/* The COPY text of v[0..n) as job 7's lines from 40 is `want`, in `chunks` rows. */
#define copies(...) copies_at(UNIT_HERE, __VA_ARGS__)
static void copies_at(struct unit_at at, const struct store_line *v, long n, const char *want,
		      long chunks)
{
	size_t len = 0;
	char *text = logchunk_copy_text(7, 40, v, n, &len);
	long rows = rows_of(text);

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
	text = logchunk_copy_text(1, 0, v, n, &len);
	rows = rows_of(text);
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
	text = logchunk_copy_text(1, 0, v, 5, &len);
	rows = rows_of(text);
	CHECK(text && rows == 4);
	free(text);
	free(v);
}

/* COPY's text format read back: field text[0..len) unescaped into out; its length. */
static size_t unescape(const char *text, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == '\\' && i + 1 < len) {
			c = text[++i];
			c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
		}
		out[n++] = c;
	}
	return n;
}

/* Random lines (any byte but a newline or a NUL; empty ones, long ones) encoded and read
 * back as PostgreSQL would: the rows follow each other, and their lines, split on the
 * newlines, are the lines given, byte for byte. */
static void round_trip(void)
{
	static const char some[] = "\t\\\r x\xc3\xa9\\n";
	enum { N = 6000 };
	struct store_line *v = calloc(N, sizeof *v);
	char *bytes = malloc((size_t)N * 300), *out = malloc((size_t)N * 300 + N);
	unsigned seed = 7;
	size_t at = 0, len;
	long rows, next = 0, line = 0;
	char *text;
	bool same = true;

	if (!CHECK(v && bytes && out))
		goto done;
	for (long i = 0; i < N; i++) {
		size_t n = (seed = seed * 1103515245u + 12345u) >> 16 & 3 ? seed % 40 :
			   seed % 300;

		v[i] = (struct store_line){bytes + at, n};
		for (size_t k = 0; k < n; k++) {
			seed = seed * 1103515245u + 12345u;
			bytes[at++] = seed >> 20 & 1 ? some[(seed >> 8) % (sizeof some - 1)] :
				      (char)(1 + (seed >> 8) % 255);
			if (bytes[at - 1] == '\n')
				bytes[at - 1] = '\\';
		}
	}
	text = logchunk_copy_text(3, 100, v, N, &len);
	rows = rows_of(text);
	if (!CHECK(text != NULL))
		goto done;
	CHECK(len == strlen(text) && rows >= N / LOGCHUNK_MAX_LINES);
	for (char *row = text; *row; row = strchr(row, '\n') + 1) {
		char *field = strchr(strchr(strchr(row, '\t') + 1, '\t') + 1, '\t') + 1;
		long id, first, count;
		size_t flen = (size_t)(strchr(field, '\n') - field);
		size_t n = unescape(field, flen, out);
		size_t from = 0;

		CHECK(sscanf(row, "%ld\t%ld\t%ld\t", &id, &first, &count) == 3);
		CHECK(id == 3 && first == 100 + next && count >= 1 && count <= LOGCHUNK_MAX_LINES);
		CHECK(n <= LOGCHUNK_MAX_BYTES || count == 1);
		/* to PostgreSQL, a tab ends the column and a carriage return the row */
		CHECK(!memchr(field, '\t', flen) && !memchr(field, '\r', flen));
		for (long k = 0; k < count; k++, line++) {
			size_t end = from;

			while (end < n && out[end] != '\n')
				end++;
			same = same && line < N && end - from == v[line].len &&
			       !memcmp(out + from, v[line].s, v[line].len);
			from = end + 1;
		}
		CHECK(from == n + 1);       /* no line more than the row says */
		next += count;
	}
	CHECK(same);
	CHECK(next == N && line == N);
	free(text);
done:
	free(v);
	free(bytes);
	free(out);
}

void test_logchunk(void)
{
	escaping();
	bounds();
	round_trip();
}
