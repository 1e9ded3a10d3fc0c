/* logchunk.c - a job's log lines cut into chunks, and their COPY text. */
#include "logchunk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_MAX 24      /* a long long in decimal, with its sign and a NUL */

long logchunk_take(const struct store_line *v, long n)
{
	size_t bytes;
	long k;

	if (n <= 0)
		return 0;
	bytes = v[0].len;
	for (k = 1; k < n && k < LOGCHUNK_MAX_LINES; k++) {
		if (bytes + 1 + v[k].len > LOGCHUNK_MAX_BYTES)
			break;
		bytes += 1 + v[k].len;
	}
	return k;
}

/* Append line s[0..len) to buf at *at, escaped for COPY's text format. */
static void put_escaped(char *buf, size_t *at, const char *s, size_t len)
{
	for (size_t k = 0; k < len; k++) {
		char c = s[k];
		const char *esc = c == '\\' ? "\\\\" : c == '\n' ? "\\n" :
				  c == '\r' ? "\\r" : c == '\t' ? "\\t" : NULL;

		if (esc) {
			memcpy(buf + *at, esc, 2);
			*at += 2;
		} else {
			buf[(*at)++] = c;
		}
	}
}

char *logchunk_copy_text(long long id, long first, const struct store_line *v, long n,
			 size_t *len)
{
	size_t cap = 0, at = 0;
	char *buf;

	/* at worst every line its own chunk, every byte escaped, every separator \n */
	for (long i = 0; i < n; i++)
		cap += 2 * v[i].len + 3 * NUM_MAX + 6;
	buf = malloc(cap + 1);
	if (!buf)
		return NULL;
	for (long i = 0, take; i < n; i += take) {
		take = logchunk_take(v + i, n - i);
		at += (size_t)snprintf(buf + at, cap + 1 - at, "%lld\t%ld\t%ld\t", id, first + i,
				       take);
		for (long k = i; k < i + take; k++) {
			if (k > i) {
				memcpy(buf + at, "\\n", 2);
				at += 2;
			}
			put_escaped(buf, &at, v[k].s, v[k].len);
		}
		buf[at++] = '\n';
	}
	buf[at] = '\0';
	*len = at;
	return buf;
}
