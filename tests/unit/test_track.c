/* test_track.c - output lines, UTF-8 repair, facts Spark prints. */
#include "track.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

#define E_ACUTE "\xc3\xa9"            /* U+00E9, 2 bytes */
#define LONG_CHARS 10000               /* "a" + 10,000 of them: 20,001 bytes, over TRACK_MAX_LINE */

static void write_file(const char *dir, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/stdout", dir);
	f = fopen(path, "ab");
	fwrite(text, 1, len, f);
	fclose(f);
}

/* True when s is valid UTF-8 without NUL (what PostgreSQL takes): sanitizing changes nothing. */
static int valid_utf8(const char *s, size_t len)
{
	char *copy = malloc(len + 1);
	int ok;

	memcpy(copy, s, len);
	track_sanitize(copy, len);
	ok = !memcmp(copy, s, len);
	free(copy);
	return ok;
}

/* The lines from index `from` on, each valid UTF-8, each at most TRACK_MAX_LINE bytes,
 * joined: equal to want[0..len). */
static int pieces_are(json_object *lines, size_t from, const char *want, size_t len)
{
	size_t at = 0;

	for (size_t i = from; i < json_object_array_length(lines); i++) {
		json_object *o = json_object_array_get_idx(lines, i);
		const char *p = json_object_get_string(o);
		size_t n = (size_t)json_object_get_string_len(o);

		if (n > TRACK_MAX_LINE || !valid_utf8(p, n) || at + n > len || memcmp(want + at, p, n))
			return 0;
		at += n;
	}
	return at == len;
}

/* A line longer than TRACK_MAX_LINE is cut between characters (it used to be cut
 * after byte 16384, inside a character: PostgreSQL then refused the job's log for
 * ever), and a full read buffer that ends inside a character leaves it for the
 * next read instead of turning its bytes into '?'. */
static void test_cuts_between_characters(void)
{
	char dir[] = "/tmp/tacitus-unit-XXXXXX", path[512];
	struct track_facts f = {{0}};
	size_t len = 1 + 2 * LONG_CHARS, big = TRACK_MAX_READ + TRACK_MAX_READ / 2;
	char *line = malloc(len + 1), *text = malloc(big);
	const char *emoji = "\xf0\x9f\x98\x80";          /* U+1F600, 4 bytes */
	json_object *lines = json_object_new_array();
	long long off = 0;
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	line[0] = 'a';
	for (size_t i = 0; i < LONG_CHARS; i++)
		memcpy(line + 1 + 2 * i, E_ACUTE, 2);
	line[len] = '\n';
	write_file(dir, line, len + 1);
	CHECK(track_read_output(dir, "stdout", &off, false, lines, &f) == 2);
	CHECK(off == (long long)len + 1);
	CHECK(pieces_are(lines, 0, line, len));

	/* 4-byte characters after 2 bytes of ASCII: every cut falls 2 bytes into one */
	n = json_object_array_length(lines);
	memcpy(text, "xy", 2);
	for (size_t i = 2; i + 4 <= 3 * TRACK_MAX_LINE; i += 4)
		memcpy(text + i, emoji, 4);
	text[3 * TRACK_MAX_LINE - 2] = '\n';
	write_file(dir, text, 3 * TRACK_MAX_LINE - 1);
	CHECK(track_read_output(dir, "stdout", &off, false, lines, &f) == 3);
	CHECK(pieces_are(lines, n, text, 3 * TRACK_MAX_LINE - 2));

	/* one line of 1.5 MiB of "é" after one ASCII byte: the 1 MiB buffer ends after the
	 * first byte of a character, which waits for the next read */
	n = json_object_array_length(lines);
	text[0] = 'b';
	for (size_t i = 1; i + 2 <= big; i += 2)
		memcpy(text + i, E_ACUTE, 2);
	write_file(dir, text, big - 1);                  /* 1 + 2k bytes: no half character */
	CHECK(track_read_output(dir, "stdout", &off, false, lines, &f) > 0);
	CHECK(off == (long long)len + 1 + 3 * TRACK_MAX_LINE - 1 + TRACK_MAX_READ - 1);
	CHECK(track_read_output(dir, "stdout", &off, true, lines, &f) > 0);
	CHECK(pieces_are(lines, n, text, big - 1));
	json_object_put(lines);
	free(line);
	free(text);
	snprintf(path, sizeof path, "%s/stdout", dir);
	unlink(path);
	rmdir(dir);
}

/* A job that ended with more than a buffer of output left: its lines are read whole
 * across the buffer's end (the piece at the end of a full buffer used to be taken as
 * the job's last line, splitting a line at every 1 MiB). */
static void test_final_reads_keep_lines_whole(void)
{
	char dir[] = "/tmp/tacitus-unit-XXXXXX", path[512], line[64];
	struct track_facts f = {{0}};
	json_object *lines = json_object_new_array();
	long long off = 0, size = 0;
	int n = 0, got, bad = 0;
	FILE *out;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/stdout", dir);
	out = fopen(path, "w");
	for (; size < 5 * TRACK_MAX_READ / 2; n++)
		size += fprintf(out, "line %08d of a job that ended\n", n);
	fprintf(out, "no newline at the end");
	fclose(out);
	while ((got = track_read_output(dir, "stdout", &off, true, lines, &f)) > 0)
		;
	CHECK(got == 0);
	CHECK((int)json_object_array_length(lines) == n + 1);
	for (int i = 0; i < n && i < (int)json_object_array_length(lines); i++) {
		snprintf(line, sizeof line, "line %08d of a job that ended", i);
		bad += strcmp(json_object_get_string(json_object_array_get_idx(lines, i)), line) != 0;
	}
	CHECK(bad == 0);
	CHECK_STR(json_object_get_string(json_object_array_get_idx(lines, n)), "no newline at the end");
	json_object_put(lines);
	unlink(path);
	rmdir(dir);
}

void test_track(void)
{
	char dir[] = "/tmp/tacitus-unit-XXXXXX", bad[] = "ok\xff\xc3(\xe2\x82\xac\0z", path[512];
	struct track_facts f = {{0}};
	json_object *lines = json_object_new_array();
	long long off = 0;

	track_sanitize(bad, sizeof bad - 1);
	CHECK(!memcmp(bad, "ok?" "?(\xe2\x82\xac?z", sizeof bad - 1));

	track_scan_line("26/11/25 INFO Client: Submitted application application_1700_0042", &f);
	CHECK_STR(f.app_id, "application_1700_0042");

	/* the Spark UI's address never comes from a job's output (struct track_facts has
	 * no place for it: the cluster manager gives it), nor an app id from its lines */
	memset(&f, 0, sizeof f);
	track_scan_line("INFO Utils: Successfully started service 'SparkUI' on port 4041.", &f);
	track_scan_line("INFO SparkUI: Bound SparkUI to 0.0.0.0, and started at http://h:4040", &f);
	track_scan_line("tracking URL: http://rm:8088/proxy/application_1_2/", &f);
	track_scan_line("Bound SparkUI to x, and started at javascript:alert(document.domain)", &f);
	CHECK_STR(f.app_id, "");

	CHECK(mkdtemp(dir) != NULL);
	CHECK(track_read_output(dir, "stdout", &off, false, lines, &f) == 0);     /* no file yet */
	write_file(dir, "one\ntwo\r\nthr", 12);
	CHECK(track_read_output(dir, "stdout", &off, false, lines, &f) == 2);
	CHECK(off == 9);
	write_file(dir, "ee\nfour", 7);
	CHECK(track_read_output(dir, "stdout", &off, false, lines, &f) == 1);
	CHECK(track_read_output(dir, "stdout", &off, true, lines, &f) == 1);      /* the unterminated tail */
	CHECK(off == 19);
	CHECK(json_object_array_length(lines) == 4);
	CHECK_STR(json_object_get_string(json_object_array_get_idx(lines, 1)), "two");
	CHECK_STR(json_object_get_string(json_object_array_get_idx(lines, 2)), "three");
	CHECK_STR(json_object_get_string(json_object_array_get_idx(lines, 3)), "four");
	CHECK(track_read_output(dir, "stdout", &off, true, lines, &f) == 0);
	json_object_put(lines);
	snprintf(path, sizeof path, "%s/stdout", dir);
	unlink(path);
	rmdir(dir);
	test_cuts_between_characters();
	test_final_reads_keep_lines_whole();
}
