/* fuzz_query.c - libFuzzer: query strings through http_query and Livy's int parser. */
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "livy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *names[] = {"from", "size", "doAs", "order", ""};
	struct http_req r;
	char *q = malloc(size + 1), buf[256], msg[400];
	int v;

	memcpy(q, data, size);
	q[size] = '\0';
	memset(&r, 0, sizeof r);
	r.query = q;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *got = http_query(&r, names[i], buf, sizeof buf);
		if (got && strlen(got) >= sizeof buf)
			abort();
		if (got)
			livy_parse_int(got, &v, msg, sizeof msg);
	}
	free(q);
	return 0;
}
