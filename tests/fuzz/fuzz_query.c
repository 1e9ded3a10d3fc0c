/* fuzz_query.c - libFuzzer: query strings through http_query and Livy's int parser,
 * each compared with a reference written here to be plainly right, not fast; any
 * disagreement aborts.
 *
 * The rules of http_query (app/http.c, include/http.h): the parameters are the pieces
 * between '&'s, where a query that ends in '&' has no empty last piece; a piece is
 * name=value (split at its first '=') or a bare name, whose value is ""; names are
 * compared as they are, undecoded; the first piece with the name counts, NULL when
 * none has it.  The value is form-decoded: '+' is a space, '%' and two hex digits
 * (either case) is that byte (%00 too), any other '%' stays as it is; the decoded
 * value is cut to len - 1 bytes, and buf is always terminated. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "livy.h"

/* the largest buffer a caller gives http_query (REPLY_SEGMENT_LEN, for doAs) */
#define BUF_MAX 256

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* The value of hex digit c, -1 when c is none. */
static int hex(unsigned char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower(c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* Form-decode the string s into out (strlen(s) + 1 bytes); returns the decoded length,
 * which may count NUL bytes. */
static size_t form_decode(const char *s, char *out)
{
	size_t n = strlen(s), o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi = n - i >= 3 && s[i] == '%' ? hex((unsigned char)s[i + 1]) : -1;
		int lo = hi >= 0 ? hex((unsigned char)s[i + 2]) : -1;

		if (s[i] == '+')
			out[o++] = ' ';
		else if (lo >= 0) {
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return o;
}

/* What http_query should give: the decoded value cut to len - 1 bytes into buf and its
 * length in *n, or NULL when no piece has the name. */
static const char *ref_query(const char *q, const char *name, char *buf, size_t len, size_t *n)
{
	for (const char *p = q, *end; *p; p = *end ? end + 1 : end) {
		char *piece, *value, *decoded;

		end = strchrnul(p, '&');
		piece = strndup(p, (size_t)(end - p));
		value = strchr(piece, '=');
		if (value)
			*value++ = '\0';
		if (strcmp(piece, name)) {
			free(piece);
			continue;
		}
		decoded = malloc(strlen(value ? value : "") + 1);
		*n = form_decode(value ? value : "", decoded);
		if (*n > len - 1)
			*n = len - 1;
		memcpy(buf, decoded, *n);
		buf[*n] = '\0';
		free(decoded);
		free(piece);
		return buf;
	}
	return NULL;
}

/* Java's Integer.parseInt: an optional sign, then ASCII digits only, within 32 bits. */
static int ref_parse_int(const char *s, int *out)
{
	const char *digits = s + (*s == '+' || *s == '-');
	long long v;

	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return -1;
	errno = 0;
	v = strtoll(s, NULL, 10);
	if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static void check_int(const char *s)
{
	char msg[400], want_msg[400];
	int v = 0, want_v = 0;
	int rc = livy_parse_int(s, &v, msg, sizeof msg), want = ref_parse_int(s, &want_v);

	if (rc != want || (rc == 0 && v != want_v))
		abort();
	snprintf(want_msg, sizeof want_msg, "For input string: \"%s\"", s);
	if (rc != 0 && strcmp(msg, want_msg))
		abort();
}

/* http_query against the reference for one name and one buffer size; buf is exactly
 * len bytes so that ASan sees a write past it. */
static void check_query(const struct http_req *r, const char *name, size_t len)
{
	char *buf = malloc(len), *want = malloc(len);
	size_t n = 0;
	const char *got, *ref;

	memset(buf, 'X', len);          /* no stale byte can pass for an answer */
	got = http_query(r, name, buf, len);
	ref = ref_query(r->query, name, want, len, &n);
	if (!got != !ref || (got && (got != buf || memcmp(got, want, n + 1))))
		abort();
	if (got && len == BUF_MAX)
		check_int(got);
	free(buf);
	free(want);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const char *names[] = {"from", "size", "doAs", "order", ""};
	struct http_req r;
	char *q = malloc(size + 1);

	memcpy(q, data, size);
	q[size] = '\0';
	memset(&r, 0, sizeof r);
	r.query = q;
	/* the callers' buffers hold 16 to 256 bytes; a short one tries the cut */
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		check_query(&r, names[i], BUF_MAX);
		check_query(&r, names[i], 1 + size % 16);
	}
	free(q);
	return 0;
}
