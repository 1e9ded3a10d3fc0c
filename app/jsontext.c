/* jsontext.c - JSON request text read strictly: RFC 8259 and only what PostgreSQL takes. */
#include "jsontext.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JSON_MEDIA_TYPE "application/json"

bool jsontext_media_type(const char *ct)
{
	size_t n = strlen(JSON_MEDIA_TYPE);

	if (!ct || strncasecmp(ct, JSON_MEDIA_TYPE, n))
		return false;
	for (ct += n; *ct == ' ' || *ct == '\t'; ct++)
		;
	return !*ct || *ct == ';';
}

/* JSON's own whitespace (RFC 8259); isspace() would also take \f and \v, which
 * PostgreSQL refuses. */
static bool json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if there is
 * none: no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF (RFC 3629),
 * which is what PostgreSQL's UTF8 encoding takes. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;          /* the range of the second byte */

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;              /* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;              /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;              /* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;              /* past U+10FFFF */
	} else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

bool jsontext_utf8(const char *s)
{
	size_t n = strlen(s), step;

	for (size_t i = 0; i < n; i += step)
		if (!(step = utf8_len((const unsigned char *)s + i, n - i)))
			return false;
	return true;
}

#define REPLACEMENT "\xef\xbf\xbd"     /* U+FFFD */

size_t jsontext_utf8_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src), o = 0, step;

	for (size_t i = 0; i < n; i += step) {
		const char *from = src + i;
		size_t w = step = utf8_len((const unsigned char *)from, n - i);

		if (!step) {
			step = 1;
			from = REPLACEMENT;
			w = sizeof REPLACEMENT - 1;
		}
		if (o + w >= size)
			break;
		memcpy(dst + o, from, w);
		o += w;
	}
	dst[o] = '\0';
	return o;
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
						 : tolower((unsigned char)s[i]) - 'a' + 10);
	return v;
}

#define MAX_NUMBER_LEN 64       /* characters of one JSON number */

/* A number token at s (n bytes) that both json-c and PostgreSQL read as written: a
 * digit after any '.', an integer within 64 bits (json-c clamps larger ones), anything
 * else within a double's range (PostgreSQL refuses exponents past +-1000). */
static bool number_ok(const char *s, size_t n)
{
	char buf[MAX_NUMBER_LEN + 1], *end;
	bool integer = true;

	if (n == 0 || n > MAX_NUMBER_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && (i + 1 == n || !isdigit((unsigned char)s[i + 1])))
			return false;
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			integer = false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	if (integer)
		(void)strtoll(buf, &end, 10);
	else
		(void)strtod(buf, &end);
	return errno == 0 && *end == '\0';
}

/* What json-c's strict mode still takes and PostgreSQL's jsonb refuses (the bodies
 * of batches and sessions are stored as jsonb, and every string goes to a text
 * column): \u0000, lone UTF-16 surrogates, raw control characters and ill-formed
 * UTF-8 in strings, NaN and Infinity, "1.", numbers no column holds as sent,
 * whitespace other than JSON's.  Runs over text json-c accepted whole (so every
 * escape is complete and the structure sound).  Returns NULL, or what is wrong with
 * its offset in *at. */
static const char *json_refused(const char *s, size_t len, size_t *at)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		*at = i;
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				size_t u8;
				*at = i;
				if ((unsigned char)s[i] < 0x20)
					return "a control character in a string must be escaped";
				if ((unsigned char)s[i] >= 0x80) {
					if (!(u8 = utf8_len((const unsigned char *)s + i, len - i)))
						return "invalid UTF-8";
					i += u8 - 1;
					continue;
				}
				if (s[i] != '\\')
					continue;
				if (++i < len && s[i] == 'u' && i + 4 < len) {
					unsigned u = hex4(s + i + 1);
					i += 4;
					if (u == 0)
						return "\\u0000 (NUL) is not allowed in a string";
					if (u >= 0xdc00 && u <= 0xdfff)
						return "a lone UTF-16 surrogate";
					if (u >= 0xd800 && u <= 0xdbff) {
						if (i + 6 >= len || s[i + 1] != '\\' || s[i + 2] != 'u' ||
						    hex4(s + i + 3) < 0xdc00 || hex4(s + i + 3) > 0xdfff)
							return "a lone UTF-16 surrogate";
						i += 6;
					}
				}
			}
			i++;
		} else if (c == '-' || isdigit(c)) {
			size_t n = strspn(s + i, "+-.0123456789eE");
			if (n > len - i)
				n = len - i;
			if (!number_ok(s + i, n))
				return "a number that is not written as JSON or out of range";
			i += n;
		} else if (c == 'N' || c == 'I') {
			return "NaN and Infinity are not JSON";
		} else if (isspace(c) && !json_ws((char)c)) {
			return "whitespace other than space, tab, CR and LF";
		} else {
			i++;
		}
	}
	return NULL;
}

json_object *jsontext_object(const char *text, size_t len, char *msg, size_t msglen)
{
	return jsontext_object_deep(text, len, JSONTEXT_MAX_DEPTH, msg, msglen);
}

json_object *jsontext_object_deep(const char *text, size_t len, int depth, char *msg,
				  size_t msglen)
{
	json_object *o;
	json_tokener *tok;
	enum json_tokener_error jerr;
	const char *why = NULL;
	size_t at;

	if (len == 0) {
		snprintf(msg, msglen, "The request body is empty: a JSON object is expected");
		return NULL;
	}
	tok = json_tokener_new_ex(depth);
	/* strict: RFC 8259, not json-c's leniency (single quotes, trailing commas, ...),
	 * which PostgreSQL would refuse when the body is stored, after a 503 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* the terminating NUL tells the tokener the input ends ("null", "12") */
	o = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	at = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		why = "unexpected end of input";
	else if (jerr == json_tokener_error_parse_utf8_string)
		why = "invalid UTF-8";
	else if (jerr != json_tokener_success)
		why = json_tokener_error_desc(jerr);
	else {
		while (at < len && json_ws(text[at]))
			at++;
		if (at < len)
			why = "unexpected data";
		else
			why = json_refused(text, len, &at);
	}
	if (why)
		snprintf(msg, msglen, "Malformed JSON: %s at offset %zu", why, at);
	else if (!json_object_is_type(o, json_type_object))
		snprintf(msg, msglen, "The request body must be a JSON object");
	else
		return o;
	json_object_put(o);
	return NULL;
}
