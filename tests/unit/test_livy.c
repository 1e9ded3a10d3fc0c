/* test_livy.c - windows, parameters, names, URIs. */
#include "livy.h"
#include "log.h"
#include "unit.h"

/* The helpers are macros so that a failure names the row that called them. */
#define window(...) window_at(UNIT_HERE, __VA_ARGS__)
#define list(...) list_at(UNIT_HERE, __VA_ARGS__)
#define uri(...) uri_at(UNIT_HERE, __VA_ARGS__)

/* the window as text, so that a failure shows what came out beside what was wanted */
static const char *first_count(char *buf, size_t len, long first, long count)
{
	snprintf(buf, len, "first %ld count %ld", first, count);
	return buf;
}

static void window_at(struct unit_at at, long total, bool has_from, long from, long size,
		      long want_first, long want_count)
{
	char in[128], got[64], want[64];
	long first, count;

	snprintf(in, sizeof in, "total %ld, from %ld%s, size %ld", total, from,
		 has_from ? "" : " (absent)", size);
	at.label = in;
	livy_log_window(total, has_from, from, size, &first, &count);
	CHECK_STR_AT(at, first_count(got, sizeof got, first, count),
		     first_count(want, sizeof want, want_first, want_count));
}

static void list_at(struct unit_at at, long total, long from, long size, long want_first,
		    long want_count)
{
	char in[128], got[64], want[64];
	long first, count;

	snprintf(in, sizeof in, "total %ld, from %ld, size %ld", total, from, size);
	at.label = in;
	livy_list_window(total, from, size, &first, &count);
	CHECK_STR_AT(at, first_count(got, sizeof got, first, count),
		     first_count(want, sizeof want, want_first, want_count));
}

static void uri_at(struct unit_at at, const char *in, int want, const char *out)
{
	static const char wl[2][1024] = {"/tmp/wl", "/data/jobs"};
	char got[4096], msg[4096];
	int rc = livy_resolve_uri(in, wl, 2, got, sizeof got, msg, sizeof msg);

	at.label = in;
	if (!CHECK_AT(at, rc == want))
		unit_note(at, "returned %d: %s", rc, rc == 0 ? got : msg);
	CHECK_STR_AT(at, rc == 0 ? got : msg, out);
}

/* A log line is one line, whatever a name in it holds (log.h). */
static void log_lines(void)
{
	char out[64];

	log_escape("session x\n2026-12-06T00:00:00Z app-1 master[1] INFO forged", out, sizeof out);
	CHECK(strchr(out, '\n') == NULL);
	CHECK(!strncmp(out, "session x\\n2026-12-06T00:00:00Z", 31));
	log_escape("a\rb\tc\x01" "d\x7f\xc3\xa9", out, sizeof out);
	CHECK_STR(out, "a\\rb\\tc\\x01d\\x7f\xc3\xa9");
	log_escape("\x01\x01\x01\x01", out, 9);             /* cut, never inside an escape */
	CHECK_STR(out, "\\x01");
}

void test_livy(void)
{
	char msg[128];
	long long ms;

	log_lines();
	int v;

	/* Livy's log window: default is the tail of 100 */
	window(250, false, 0, 100, 150, 100);
	window(30, false, 0, 100, 0, 30);
	window(30, true, 10, 5, 10, 5);
	window(30, true, 28, 5, 28, 2);
	window(30, true, 100, 5, 100, 0);           /* past the end: echoed, empty */
	window(30, true, 0, -1, 0, 30);             /* negative size = all */
	window(30, false, 0, 0, 30, 0);             /* size 0 echoes from = total */
	window(30, true, -5, 10, 20, 10);           /* negative from = tail */
	window(0, false, 0, 100, 0, 0);
	/* lists: Scala slice(from, from + size) */
	list(8, 0, 100, 0, 8);
	list(8, 2, 3, 2, 3);
	list(8, 0, -1, 0, 0);                       /* size -1 is empty on lists */
	list(8, -1, 8, 0, 7);
	list(8, 100, 5, 100, 0);
	list(8, -2, 2, 0, 0);

	CHECK(livy_parse_int("42", &v, msg, sizeof msg) == 0 && v == 42);
	CHECK(livy_parse_int("-7", &v, msg, sizeof msg) == 0 && v == -7);
	CHECK(livy_parse_int("2147483647", &v, msg, sizeof msg) == 0 && v == 2147483647);
	CHECK(livy_parse_int("2147483648", &v, msg, sizeof msg) == -1);
	CHECK(livy_parse_int("abc", &v, msg, sizeof msg) == -1);
	CHECK_STR(msg, "For input string: \"abc\"");
	CHECK(livy_parse_int("", &v, msg, sizeof msg) == -1);
	CHECK(livy_parse_int(" 1", &v, msg, sizeof msg) == -1);

	CHECK(livy_parse_time_ms("600s", &ms, msg, sizeof msg) == 0 && ms == 600000);
	CHECK(livy_parse_time_ms(" 5min ", &ms, msg, sizeof msg) == 0 && ms == 300000);
	CHECK(livy_parse_time_ms("1H", &ms, msg, sizeof msg) == 0 && ms == 3600000);
	/* found by fuzzing: more milliseconds than a long holds is not a time */
	CHECK(livy_parse_time_ms("599999999998999m", &ms, msg, sizeof msg) < 0 &&
	      strstr(msg, "Invalid time string") != NULL);
	CHECK(livy_parse_time_ms("100", &ms, msg, sizeof msg) == 0 && ms == 100);
	CHECK(livy_parse_time_ms("2us", &ms, msg, sizeof msg) == 0 && ms == 0);
	CHECK(livy_parse_time_ms("10 s", &ms, msg, sizeof msg) == -1);
	CHECK_STR(msg, "Invalid time string: 10 s");
	CHECK(livy_parse_time_ms("1.5h", &ms, msg, sizeof msg) == -1);
	CHECK(livy_parse_time_ms("1x", &ms, msg, sizeof msg) == -1);
	CHECK_STR(msg, "Invalid suffix: \"x\"");
	CHECK(livy_parse_time_ms("-5s", &ms, msg, sizeof msg) == -1);
	CHECK_STR(msg, "Invalid value: -5");

	/* a job's final states: a session in error still runs statements */
	CHECK(livy_state_ended("success") && livy_state_ended("dead") && livy_state_ended("killed"));
	CHECK(!livy_state_ended("starting") && !livy_state_ended("running"));
	CHECK(!livy_state_ended("idle") && !livy_state_ended("busy") && !livy_state_ended("error"));
	CHECK(!livy_state_ended("shutting_down") && !livy_state_ended("") && !livy_state_ended(NULL));
	CHECK(!livy_state_ended("Success"));

	CHECK(livy_name_valid("nightly"));
	CHECK(livy_name_valid("job1"));
	CHECK(!livy_name_valid("123"));
	CHECK(!livy_name_valid(""));

	uri("/tmp/wl/a.py", 0, "/tmp/wl/a.py");
	uri("file:///tmp/wl/a.py", 0, "/tmp/wl/a.py");
	uri("file:/data/jobs/x.jar", 0, "/data/jobs/x.jar");
	uri("file://host/data/jobs/x.jar", 0, "/data/jobs/x.jar");
	uri("/tmp/wl/sub/../b.py", 0, "/tmp/wl/b.py");
	uri("/tmp/wl/../../etc/passwd", -1,
	    "requirement failed: Local path /etc/passwd cannot be added to user sessions.");
	uri("/tmp/wlx/a.py", -1,
	    "requirement failed: Local path /tmp/wlx/a.py cannot be added to user sessions.");
	uri("rel/x.py", -1, "requirement failed: Path 'rel/x.py' is not absolute.");
	uri("hdfs://nn/apps/x.jar", 0, "hdfs://nn/apps/x.jar");
	/* local: is a path on the node, this host among them: whitelisted like file: */
	uri("local:/opt/x.jar", -1,
	    "requirement failed: Local path /opt/x.jar cannot be added to user sessions.");
	uri("local:/tmp/wl/x.jar", 0, "local:/tmp/wl/x.jar");
	uri("local:///tmp/wl/../wl/x.jar", 0, "local:/tmp/wl/x.jar");
	uri("local://host/tmp/wl/x.jar", 0, "local:/tmp/wl/x.jar");
	uri("LOCAL:/tmp/wl/../../etc/passwd", -1,
	    "requirement failed: Local path /etc/passwd cannot be added to user sessions.");
	uri("local:x.jar", -1, "requirement failed: Path 'local:x.jar' is not absolute.");
	uri("FILE:/etc/passwd", -1,
	    "requirement failed: Local path /etc/passwd cannot be added to user sessions.");
	uri("s3a://bucket/x.jar", 0, "s3a://bucket/x.jar");
	uri("https://repo/x.jar", 0, "https://repo/x.jar");
	uri("/tmp/wl/a b.py", -1,
	    "java.net.URISyntaxException: Illegal character in path at index 9: /tmp/wl/a b.py");
	uri("/tmp/wl/a%20b.py", 0, "/tmp/wl/a b.py");

}
