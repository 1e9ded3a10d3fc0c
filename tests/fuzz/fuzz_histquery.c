/* fuzz_histquery.c - libFuzzer: GET /history's parameters, checked; a search's LIKE
 * pattern escapes every wildcard and fits its buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histquery.h"

#define VALUE_MAX 512

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* A LIKE pattern "%...%" whose inner wildcards are all escaped, and which unescapes to q. */
static void check_like(const char *like, const char *q)
{
	size_t n = strlen(like), j = 0;

	if (n < 2 || like[0] != '%' || like[n - 1] != '%')
		abort();
	for (size_t i = 1; i < n - 1; i++) {
		if (like[i] == '\\')
			i++;
		else if (like[i] == '%' || like[i] == '_')
			abort();
		if (i >= n - 1 || like[i] != q[j++])
			abort();
	}
	if (q[j])
		abort();
}

/* Input: from and size (4 bytes each), then kind, state, owner, q separated by NUL. */
int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char buf[4][VALUE_MAX] = {{0}}, msg[512];
	struct histquery_params p = {0};
	struct histquery q;
	int32_t n[2] = {0};
	size_t at = sizeof n;

	memcpy(n, data, size < sizeof n ? size : sizeof n);
	for (int f = 0; f < 4 && at < size; f++) {
		size_t len = strnlen((const char *)data + at, size - at);

		memcpy(buf[f], data + at, len < VALUE_MAX - 1 ? len : VALUE_MAX - 1);
		at += len + 1;
	}
	p = (struct histquery_params){buf[0], buf[1], buf[2], buf[3], n[0], n[1]};
	if (histquery_check(&p, &q, msg, sizeof msg) < 0)
		return 0;
	if (q.from < 0 || q.size < 0 || q.size > HISTQUERY_PAGE_MAX)
		abort();
	if (q.like)
		check_like(q.like, buf[3]);
	if (q.id && !histquery_is_id(q.id))
		abort();
	return 0;
}
