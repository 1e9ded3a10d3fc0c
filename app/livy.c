/* livy.c - Livy's pure rules: paging windows, parameters, names, file URIs. */
#include "livy.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int livy_parse_int(const char *s, int *out, char *msg, size_t msglen)
{
	const char *p = s;
	long long v = 0;
	int neg = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto bad;
	for (; *p; p++) {
		if (!isdigit((unsigned char)*p))
			goto bad;
		v = v * 10 + (*p - '0');
		if (v > (long long)INT_MAX + 1)
			goto bad;
	}
	if (neg)
		v = -v;
	if (v > INT_MAX || v < INT_MIN)
		goto bad;
	*out = (int)v;
	return 0;
bad:
	snprintf(msg, msglen, "For input string: \"%s\"", s);
	return -1;
}

static const struct {
	const char *suffix;
	long long num, den;     /* milliseconds = value * num / den */
} time_units[] = {
	{"us", 1, 1000}, {"ms", 1, 1}, {"s", 1000, 1}, {"m", 60000, 1},
	{"min", 60000, 1}, {"h", 3600000, 1}, {"d", 86400000, 1},
};

int livy_parse_time_ms(const char *s, long long *out_ms, char *msg, size_t msglen)
{
	const char *p = s, *digits, *suffix;
	char unit[8];
	size_t ulen = 0;
	long long v = 0;
	int neg = 0;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-')
		neg = 1, p++;
	digits = p;
	while (isdigit((unsigned char)*p)) {
		if (v > LLONG_MAX / 100000)
			goto bad;
		v = v * 10 + (*p++ - '0');
	}
	if (p == digits)
		goto bad;
	suffix = p;
	while (isalpha((unsigned char)*p)) {
		if (ulen + 1 >= sizeof unit)
			goto bad;
		unit[ulen++] = (char)tolower((unsigned char)*p++);
	}
	unit[ulen] = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		goto bad;
	if (neg) {
		snprintf(msg, msglen, "Invalid value: -%lld", v);
		return -1;
	}
	if (!ulen) {
		*out_ms = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof time_units / sizeof time_units[0]; i++)
		if (!strcmp(unit, time_units[i].suffix)) {
			if (v > LLONG_MAX / time_units[i].num)
				goto bad;       /* more milliseconds than a long holds */
			*out_ms = v * time_units[i].num / time_units[i].den;
			return 0;
		}
	snprintf(msg, msglen, "Invalid suffix: \"%.*s\"", (int)ulen, suffix);
	return -1;
bad:
	snprintf(msg, msglen, "Invalid time string: %s", s);
	return -1;
}

void livy_log_window(long total, bool has_from, long from, long size,
		     long *first, long *count)
{
	if (size < 0)
		size = total;
	if (!has_from || from < 0)
		from = total - size > 0 ? total - size : 0;
	*first = from;
	if (from >= total)
		*count = 0;
	else
		*count = total - from < size ? total - from : size;
}

void livy_list_window(long total, long from, long size, long *first, long *count)
{
	long lo = from > 0 ? from : 0;
	long hi = from + size < total ? from + size : total;

	*first = lo;
	*count = hi > lo ? hi - lo : 0;
}

bool livy_state_ended(const char *state)
{
	return state && (!strcmp(state, "success") || !strcmp(state, "dead") ||
			 !strcmp(state, "killed"));
}

bool livy_name_valid(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!isdigit((unsigned char)*p))
			return true;
	return false;
}

/* ASCII only, whatever the locale says a letter is */
static bool ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool livy_spark_key_valid(const char *key)
{
	if (!ascii_letter(key[0]))
		return false;
	for (const char *p = key; *p; p++)
		if (!ascii_letter(*p) && !(*p >= '0' && *p <= '9') && !strchr("._-/", *p))
			return false;
	return true;
}

/* Java's URI parser refuses these in a path. */
static int uri_bad_char(const char *s)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c == 0x7f || strchr("\"<>\\^`{|}", c))
			return (int)(p - s);
		if (c == '%' && !(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])))
			return (int)(p - s);
	}
	return -1;
}

/* Lexical normalisation of an absolute path: "//", "." and ".." removed. */
static void path_normalise(const char *in, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	while (*in) {
		const char *seg;
		size_t n;

		while (*in == '/')
			in++;
		seg = in;
		while (*in && *in != '/')
			in++;
		n = (size_t)(in - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		if (len + n + 2 > outlen)
			break;
		out[len++] = '/';
		memcpy(out + len, seg, n);
		len += n;
		out[len] = '\0';
	}
	if (len == 0)
		snprintf(out, outlen, "/");
}

static int hexval(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10);
}

static void percent_decode(const char *in, char *out, size_t outlen)
{
	size_t o = 0;

	for (; *in && o + 1 < outlen; in++) {
		if (*in == '%' && in[1] && in[2]) {
			out[o++] = (char)(hexval(in[1]) * 16 + hexval(in[2]));
			in += 2;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static bool under_dir(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (n == 1 && dir[0] == '/')
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

int livy_resolve_uri(const char *uri, const char (*wl)[1024], int nwl,
		     char *out, size_t outlen, char *msg, size_t msglen)
{
	char decoded[4096], norm[4096], real[PATH_MAX];
	const char *p = uri, *path, *prefix = "";
	int bad = uri_bad_char(uri);

	if (bad >= 0) {
		snprintf(msg, msglen,
			 "java.net.URISyntaxException: Illegal character in path at index %d: %s",
			 bad, uri);
		return -1;
	}
	if (isalpha((unsigned char)*p)) {
		while (isalnum((unsigned char)*p) || *p == '+' || *p == '.' || *p == '-')
			p++;
	}
	if (*p == ':' && p > uri) {               /* has a scheme */
		if (!strncasecmp(uri, "local:", 6))
			prefix = "local:";
		else if (strncasecmp(uri, "file:", 5)) {
			snprintf(out, outlen, "%s", uri);       /* remote: hdfs:, s3a:, https: ... */
			return 0;
		}
		path = p + 1;
		if (!strncmp(path, "//", 2)) {        /* skip the authority */
			path = strchr(path + 2, '/');
			if (!path)
				path = "";
		}
		if (path[0] != '/') {
			snprintf(msg, msglen, "requirement failed: Path '%s' is not absolute.", uri);
			return -1;
		}
	} else {
		path = uri;
		if (path[0] != '/') {
			snprintf(msg, msglen, "requirement failed: Path '%s' is not absolute.", uri);
			return -1;
		}
	}
	percent_decode(path, decoded, sizeof decoded);
	path_normalise(decoded, norm, sizeof norm);
	/* a symlink inside a whitelisted folder must not lead out of it */
	if (realpath(norm, real))
		snprintf(norm, sizeof norm, "%s", real);
	for (int i = 0; i < nwl; i++)
		if (under_dir(norm, wl[i])) {
			/* the path checked is the one spark-submit gets */
			snprintf(out, outlen, "%s%s", prefix, norm);
			return 0;
		}
	snprintf(msg, msglen, "requirement failed: Local path %s cannot be added to user sessions.",
		 norm);
	return -1;
}
