/* test_track.c - output lines, UTF-8 repair, facts Spark prints. */
#include "track.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

static void write_file(const char *dir, const char *text, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/stdout", dir);
	f = fopen(path, "ab");
	fwrite(text, 1, len, f);
	fclose(f);
}

void test_track(void)
{
	char dir[] = "/tmp/tacitus-unit-XXXXXX", bad[] = "ok\xff\xc3(\xe2\x82\xac\0z", path[512];
	struct track_facts f = {{0}, {0}};
	json_object *lines = json_object_new_array();
	long long off = 0;

	track_sanitize(bad, sizeof bad - 1);
	CHECK(!memcmp(bad, "ok?" "?(\xe2\x82\xac?z", sizeof bad - 1));

	track_scan_line("26/11/25 INFO Client: Submitted application application_1700_0042", &f);
	CHECK_STR(f.app_id, "application_1700_0042");
	track_scan_line("INFO Utils: Successfully started service 'SparkUI' on port 4041.", &f);
	CHECK(strstr(f.ui_url, ":4041") != NULL && !strncmp(f.ui_url, "http://", 7));

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
}
