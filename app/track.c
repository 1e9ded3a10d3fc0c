/* track.c - the local tracker: new lines of a job's output files and what Spark says in them. */
#include "track.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATH_MAX_LEN 4200           /* DIR (a path) + "/" + stdout or stderr */

void track_sanitize(char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)buf[i];
		size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		bool ok = n > 0 && i + n <= len && c != 0;

		for (size_t k = 1; ok && k < n; k++)
			ok = ((unsigned char)buf[i + k] >> 6) == 2;
		if (ok && n == 2 && c < 0xc2)
			ok = false;                         /* overlong */
		if (ok && n == 3) {
			unsigned char d = (unsigned char)buf[i + 1];
			ok = !(c == 0xe0 && d < 0xa0) && !(c == 0xed && d >= 0xa0);
		}
		if (ok && n == 4) {
			unsigned char d = (unsigned char)buf[i + 1];
			ok = c <= 0xf4 && !(c == 0xf0 && d < 0x90) && !(c == 0xf4 && d >= 0x90);
		}
		if (!ok) {
			buf[i++] = '?';
			continue;
		}
		i += n;
	}
}

bool track_url_plain(const char *s, size_t len)
{
	if (len < 8 || (strncmp(s, "http://", 7) && strncmp(s, "https://", 8)))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= ' ' || c >= 0x7f || strchr("\"'<>\\`", c))
			return false;
	}
	return true;
}

void track_scan_line(const char *line, struct track_facts *f)
{
	const char *p;

	if ((p = strstr(line, "Submitted application application_")) ||
	    (p = strstr(line, "Application report for application_"))) {
		p = strstr(p, "application_");
		snprintf(f->app_id, sizeof f->app_id, "%.*s", (int)strspn(p,
			 "application_0123456789"), p);
	}
	/* never the UI's address: a job prints what it likes, and the address is
	 * shown to every user as a link; the cluster manager gives it (track_yarn.h),
	 * and a driver on this host has no UI (reqbody.c) */
}

/* The length of buf[0..len) without a last character that the buffer cuts short
 * (its lead byte announces more bytes than are left): the rest of it is in the
 * next read. */
static size_t whole_chars(const char *buf, size_t len)
{
	for (size_t back = 1; back <= 4 && back <= len; back++) {
		unsigned char c = (unsigned char)buf[len - back];
		size_t n;

		if ((c >> 6) == 2)
			continue;                           /* a continuation byte: look further back */
		n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
		return n > back ? len - back : len;
	}
	return len;
}

static void add_piece(json_object *lines, char *s, size_t len, struct track_facts *facts)
{
	char saved = s[len];

	s[len] = '\0';
	track_scan_line(s, facts);
	s[len] = saved;
	json_object_array_add(lines, json_object_new_string_len(s, (int)len));
}

/* One line of sanitized (valid UTF-8) text; a line longer than TRACK_MAX_LINE goes
 * in pieces cut between characters, never inside one (PostgreSQL refuses the
 * half of a character, and with it every later append of the job).  Returns the
 * number of pieces. */
static int add_line(json_object *lines, char *s, size_t len, struct track_facts *facts)
{
	int pieces = 1;

	if (len && s[len - 1] == '\r')
		len--;
	while (len > TRACK_MAX_LINE) {
		size_t cut = TRACK_MAX_LINE;

		/* s[cut] starts the next piece: back off over continuation bytes (at most 3) */
		while (cut > 0 && ((unsigned char)s[cut] >> 6) == 2)
			cut--;
		if (cut == 0)
			cut = TRACK_MAX_LINE;               /* not UTF-8 (cannot happen once sanitized) */
		add_piece(lines, s, cut, facts);
		s += cut;
		len -= cut;
		pieces++;
	}
	add_piece(lines, s, len, facts);
	return pieces;
}

int track_take_lines(char *buf, size_t len, bool final, bool more, json_object *lines,
		     struct track_facts *facts, size_t *used)
{
	size_t start = 0;
	int count = 0;

	/* a buffer with more behind it may end inside a character: its rest comes with
	 * the next read, so the character waits for it instead of being cut (and
	 * sanitized into '?') */
	if (more)
		len = whole_chars(buf, len);
	track_sanitize(buf, len);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		count += add_line(lines, buf + start, i - start, facts);
		start = i + 1;
	}
	/* a last piece without newline: kept for the next read, unless it is the end
	 * of the output of a job that ended, or the piece alone fills the buffer (a full
	 * buffer is not the end of the output: the line goes on in the next read) */
	if (start < len && ((final && !more) || (start == 0 && more))) {
		count += add_line(lines, buf + start, len - start, facts);
		start = len;
	}
	*used = start;
	return count;
}

int track_read_output(const char *dir, const char *name, long long *offset, bool final,
		      json_object *lines, struct track_facts *facts)
{
	char path[PATH_MAX_LEN], *buf;
	ssize_t got;
	size_t used;
	int fd, count;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	buf = malloc(TRACK_MAX_READ + 1);
	if (!buf) {
		close(fd);
		return -1;
	}
	got = pread(fd, buf, TRACK_MAX_READ, (off_t)*offset);
	close(fd);
	if (got < 0) {
		free(buf);
		return -1;
	}
	count = track_take_lines(buf, (size_t)got, final, got == TRACK_MAX_READ, lines, facts,
				 &used);
	*offset += (long long)used;
	free(buf);
	return count;
}
