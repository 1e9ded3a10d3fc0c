/* test_yarn.c - the YARN tracker's pure parts: the RM's answers (recorded from a real
 * ResourceManager by the cluster tests' harness), YARN's states in Livy's, where the
 * ResourceManagers are (yarn-site.xml, HA, HTTPS), the application tag in
 * spark-submit's arguments. */
#include "argv.h"
#include "hadoopconf.h"
#include "track_yarn.h"
#include "unit.h"

#include <stdbool.h>
#include <stdlib.h>

#define RECORDED "tests/cluster/recorded/"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) && fread(buf, 1, (size_t)len, f) == (size_t)len)
		buf[len] = '\0';
	else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void parse_recorded(void)
{
	char *ok = slurp(RECORDED "rm-apps-finished.json"), *bad = slurp(RECORDED "rm-apps-failed.json");
	const char *tags[] = {"livy-batch-9-zzzzzzzz", "livy-batch-1-abcdefgh"};
	struct yarn_apps a;
	char err[256];

	CHECK(ok && bad);
	if (!ok || !bad) {
		free(ok);
		free(bad);
		return;
	}
	CHECK(yarn_parse_apps(ok, tags, 2, &a, err, sizeof err) == 0);
	CHECK(a.n == 1);
	if (a.n == 1) {
		CHECK(a.v[0].job == 1);
		CHECK_STR(a.v[0].id, "application_1796524281584_0001");
		CHECK_STR(a.v[0].state, "FINISHED");
		CHECK_STR(a.v[0].final_status, "SUCCEEDED");
		CHECK_STR(a.v[0].tracking_url,
			  "http://localhost:18088/proxy/application_1796524281584_0001/");
		CHECK_STR(a.v[0].am_logs, "http://localhost:18042/node/containerlogs/"
			  "container_1796524281584_0001_01_000001/root");
		CHECK_STR(a.v[0].diagnostics, "");
		CHECK_STR(a.v[0].log_aggregation, "DISABLED");
		CHECK(a.v[0].finished_ms == 1796524296139LL);
		CHECK(a.v[0].others == 0);
		CHECK_STR(yarn_livy_state(a.v[0].state, a.v[0].final_status), "success");
	}
	yarn_apps_free(&a);

	/* a tag that is not ours finds nothing */
	CHECK(yarn_parse_apps(ok, tags, 1, &a, err, sizeof err) == 0);
	CHECK(a.n == 0);
	yarn_apps_free(&a);

	tags[0] = "livy-batch-2-abcdefgh";
	CHECK(yarn_parse_apps(bad, tags, 1, &a, err, sizeof err) == 0);
	CHECK(a.n == 1);
	if (a.n == 1) {
		CHECK_STR(a.v[0].diagnostics, "User application exited with status 1");
		CHECK_STR(yarn_livy_state(a.v[0].state, a.v[0].final_status), "dead");
	}
	yarn_apps_free(&a);
	free(ok);
	free(bad);

	/* just ended, with log aggregation on: the NodeManager has not begun */
	ok = slurp(RECORDED "rm-apps-finished-aggregating.json");
	tags[0] = "probe-ok";
	a.n = 0;
	a.v = NULL;
	CHECK(ok && yarn_parse_apps(ok, tags, 1, &a, err, sizeof err) == 0);
	CHECK(a.n == 1);
	if (a.n == 1) {
		CHECK_STR(a.v[0].state, "FINISHED");
		CHECK_STR(a.v[0].log_aggregation, "NOT_START");
		CHECK(a.v[0].finished_ms == 1796545152211LL);
	}
	yarn_apps_free(&a);
	free(ok);
}

static void parse_shapes(void)
{
	const char *tags[] = {"t1", "t2"};
	struct yarn_apps a;
	char err[256];

	/* what an RM answers when no application has the tags */
	CHECK(yarn_parse_apps("{\"apps\":null}", tags, 2, &a, err, sizeof err) == 0);
	CHECK(a.n == 0);
	yarn_apps_free(&a);
	CHECK(yarn_parse_apps("{\"apps\":{}}", tags, 2, &a, err, sizeof err) == 0);
	CHECK(a.n == 0);
	yarn_apps_free(&a);
	/* not an answer: an error, never "no application" */
	CHECK(yarn_parse_apps("<html>", tags, 2, &a, err, sizeof err) < 0);
	CHECK(yarn_parse_apps("{\"RemoteException\":{}}", tags, 2, &a, err, sizeof err) < 0);
	CHECK(yarn_parse_apps("[1]", tags, 2, &a, err, sizeof err) < 0);

	/* an app with several tags (the user's and ours); two apps under one tag:
	 * the newest is kept, the other counted */
	CHECK(yarn_parse_apps("{\"apps\":{\"app\":["
		"{\"id\":\"application_1_0001\",\"state\":\"KILLED\",\"finalStatus\":\"KILLED\","
		"\"applicationTags\":\"team-a,t2\",\"startedTime\":100},"
		"{\"id\":\"application_1_0002\",\"state\":\"RUNNING\",\"finalStatus\":\"UNDEFINED\","
		"\"applicationTags\":\"t2\",\"startedTime\":200},"
		"{\"id\":\"application_1_0003\",\"state\":\"ACCEPTED\",\"finalStatus\":\"UNDEFINED\","
		"\"applicationTags\":\"t1\",\"startedTime\":50,"
		"\"trackingUrl\":\"javascript:alert(1)\",\"amContainerLogs\":\"http://nm:1/a b\"},"
		"{\"id\":\"application_1_0004\",\"state\":\"RUNNING\","
		"\"applicationTags\":\"t10,other\",\"startedTime\":300}]}}",
		tags, 2, &a, err, sizeof err) == 0);
	CHECK(a.n == 2);
	for (int i = 0; i < a.n; i++) {
		if (a.v[i].job == 1) {
			CHECK_STR(a.v[i].id, "application_1_0002");
			CHECK(a.v[i].others == 1);
			CHECK_STR(yarn_livy_state(a.v[i].state, a.v[i].final_status), "running");
		} else {
			CHECK_STR(a.v[i].id, "application_1_0003");
			CHECK(a.v[i].others == 0);
			/* only plain http(s) URLs are kept from the RM's answer */
			CHECK_STR(a.v[i].tracking_url, "");
			CHECK_STR(a.v[i].am_logs, "");
			CHECK_STR(yarn_livy_state(a.v[i].state, a.v[i].final_status), "starting");
		}
	}
	yarn_apps_free(&a);
}

/* n tags of Livy's form, in one malloc'd block (tags[i] point into it). */
static char *make_tags(const char **tags, int n)
{
	char *block = malloc((size_t)n * 32);

	for (int i = 0; block && i < n; i++) {
		tags[i] = block + (size_t)i * 32;
		snprintf(block + (size_t)i * 32, 32, "livy-batch-%d-abcdef%02d", 10000 + i, i % 100);
	}
	return block;
}

static void lookup_paths(void)
{
	const char *two[] = {"livy-batch-1-abcdefgh", "livy-batch-2-ijklmnop"};
	static const char *many[5000];
	char *block = make_tags(many, 5000), *p;
	int fit;

	CHECK(block != NULL);
	if (!block)
		return;
	/* a short list: by tags, as always */
	p = yarn_lookup_path(two, 2, 1796524284723LL);
	CHECK_STR(p, "/ws/v1/cluster/apps?applicationTags=livy-batch-1-abcdefgh,"
		  "livy-batch-2-ijklmnop");
	free(p);
	p = yarn_lookup_path(two, 1, 0);
	CHECK_STR(p, "/ws/v1/cluster/apps?applicationTags=livy-batch-1-abcdefgh");
	free(p);

	/* as many tags as fit: the path is YARN_LOOKUP_PATH_MAX bytes at most */
	for (fit = 1; fit < 5000; fit++) {
		p = yarn_lookup_path(many, fit + 1, 0);
		bool by_tags = p && !strncmp(p, "/ws/v1/cluster/apps?applicationTags=", 36);
		free(p);
		if (!by_tags)
			break;
	}
	p = yarn_lookup_path(many, fit, 0);
	CHECK(p && strlen(p) <= YARN_LOOKUP_PATH_MAX);
	CHECK(p && strlen(p) + 22 > YARN_LOOKUP_PATH_MAX);  /* one more tag would not fit */
	free(p);

	/* too many: every application started since the oldest launch, less the margin */
	p = yarn_lookup_path(many, 5000, 1796524284723LL);
	CHECK_STR(p, "/ws/v1/cluster/apps?startedTimeBegin=1796520684723");
	free(p);
	p = yarn_lookup_path(many, fit + 1, 1796524284723LL);
	CHECK_STR(p, "/ws/v1/cluster/apps?startedTimeBegin=1796520684723");
	free(p);
	/* ... or all the RM holds, when a launch is not known */
	p = yarn_lookup_path(many, 5000, 0);
	CHECK_STR(p, "/ws/v1/cluster/apps");
	free(p);
	free(block);
}

/* An answer holding an app of each of tags[0..n) (RUNNING) and `others` apps that
 * are not ours, in the shape of the recorded one. */
static char *big_answer(const char *const *tags, int n, int others)
{
	size_t len = (size_t)(n + others) * 1024 + 64, at;
	char *s = malloc(len);

	if (!s)
		return NULL;
	at = (size_t)snprintf(s, len, "{\"apps\":{\"app\":[");
	for (int i = 0; i < n + others; i++)
		at += (size_t)snprintf(s + at, len - at, "%s{\"id\":\"application_1796524281584_%04d\","
			"\"user\":\"root\",\"name\":\"ok.py\",\"queue\":\"default\","
			"\"state\":\"RUNNING\",\"finalStatus\":\"UNDEFINED\",\"progress\":10.0,"
			"\"trackingUrl\":\"http://localhost:18088/proxy/application_1796524281584_%04d/\","
			"\"diagnostics\":\"\",\"applicationType\":\"SPARK\",\"applicationTags\":\"%s\","
			"\"startedTime\":1796524284723,\"amContainerLogs\":\"\","
			"\"resourceSecondsMap\":{\"entry\":{\"key\":\"memory-mb\",\"value\":\"15907\"}},"
			"\"timeouts\":{\"timeout\":[{\"type\":\"LIFETIME\",\"expiryTime\":\"UNLIMITED\"}]}}",
			i ? "," : "", i, i, i < n ? tags[i] : "team-b");
	snprintf(s + at, len - at, "]}}");
	return s;
}

/* 5,000 jobs' applications among 1,000 others' in one answer (a look by start time) */
static void parse_many(void)
{
	static const char *tags[5000];
	char *block = make_tags(tags, 5000), *json = block ? big_answer(tags, 5000, 1000) : NULL;
	struct yarn_apps a = {0};
	char err[256];
	bool all = true;

	CHECK(json != NULL);
	if (json && yarn_parse_apps(json, tags, 5000, &a, err, sizeof err) == 0) {
		CHECK(a.n == 5000);
		for (int i = 0; i < a.n; i++)
			all = all && !strcmp(a.v[i].state, "RUNNING") && a.v[i].others == 0 &&
			      atoi(a.v[i].id + 26) == a.v[i].job;
		CHECK(all);
	} else {
		CHECK(!"a 5,000-app answer parses");
	}
	yarn_apps_free(&a);
	free(json);
	free(block);
}

#define state_is(s, f, want) CHECK_STR_AT(((struct unit_at){__FILE__, __LINE__, s "/" f}), \
					  yarn_livy_state(s, f), want)

static void states(void)
{
	state_is("NEW", "UNDEFINED", "starting");
	state_is("NEW_SAVING", "UNDEFINED", "starting");
	state_is("SUBMITTED", "UNDEFINED", "starting");
	state_is("ACCEPTED", "UNDEFINED", "starting");
	state_is("RUNNING", "UNDEFINED", "running");
	state_is("FINISHED", "SUCCEEDED", "success");
	state_is("FINISHED", "FAILED", "dead");
	state_is("FINISHED", "KILLED", "killed");
	state_is("FINISHED", "UNDEFINED", "dead");
	state_is("FAILED", "FAILED", "dead");
	state_is("KILLED", "KILLED", "killed");
}

static int urls_of(const char *xml, const char *key, char out[][YARN_URL_MAX])
{
	struct hadoopconf c;
	char err[256];
	int n;

	if (hadoopconf_parse(xml, strlen(xml), &c, err, sizeof err) < 0)
		return -1;
	n = yarn_rm_urls(key, &c, out, YARN_RM_MAX);
	hadoopconf_free(&c);
	return n;
}

#define PROP(n, v) "<property><name>" n "</name><value>" v "</value></property>"

static void rm_urls(void)
{
	char u[YARN_RM_MAX][YARN_URL_MAX];
	struct hadoopconf c;
	char err[256], buf[64];

	/* the plain address, as the tests' yarn-site.xml sets it */
	CHECK(urls_of("<configuration>" PROP("yarn.resourcemanager.webapp.address",
					     "127.0.0.1:18088") "</configuration>", "", u) == 1);
	CHECK_STR(u[0], "http://127.0.0.1:18088");
	/* only the host: YARN's default web port, through ${...} */
	CHECK(urls_of("<configuration>" PROP("yarn.resourcemanager.hostname", "rm.example")
		      "</configuration>", NULL, u) == 1);
	CHECK_STR(u[0], "http://rm.example:8088");
	CHECK(urls_of("<configuration>" PROP("yarn.resourcemanager.hostname", "rm.example")
		      PROP("yarn.resourcemanager.webapp.address",
			   "${yarn.resourcemanager.hostname}:9999") "</configuration>", "", u) == 1);
	CHECK_STR(u[0], "http://rm.example:9999");
	/* HTTPS_ONLY */
	CHECK(urls_of("<configuration>" PROP("yarn.http.policy", "HTTPS_ONLY")
		      PROP("yarn.resourcemanager.webapp.address", "rm:8088")
		      PROP("yarn.resourcemanager.webapp.https.address", "rm:8090")
		      "</configuration>", "", u) == 1);
	CHECK_STR(u[0], "https://rm:8090");
	/* HA: one per id, in order */
	CHECK(urls_of("<configuration>" PROP("yarn.resourcemanager.ha.enabled", "true")
		      PROP("yarn.resourcemanager.ha.rm-ids", "rm1, rm2")
		      PROP("yarn.resourcemanager.webapp.address.rm1", "a:8088")
		      PROP("yarn.resourcemanager.hostname.rm2", "b")
		      "</configuration>", "", u) == 2);
	CHECK_STR(u[0], "http://a:8088");
	CHECK_STR(u[1], "http://b:8088");
	/* the Tacitus key wins, trailing slashes go */
	CHECK(urls_of("<configuration>" PROP("yarn.resourcemanager.hostname", "rm.example")
		      "</configuration>", "http://x:1/,https://y:2", u) == 2);
	CHECK_STR(u[0], "http://x:1");
	CHECK_STR(u[1], "https://y:2");
	/* nothing known */
	CHECK(urls_of("<configuration></configuration>", "", u) == 0);
	CHECK(yarn_rm_urls(NULL, NULL, u, YARN_RM_MAX) == 0);
	/* not a Hadoop configuration */
	CHECK(hadoopconf_parse("<html/>", 7, &c, err, sizeof err) < 0);
	CHECK(hadoopconf_parse("<configuration>", 15, &c, err, sizeof err) < 0);
	/* the last of a name wins */
	CHECK(hadoopconf_parse("<configuration>" PROP("a", "1") PROP("a", "2") "</configuration>",
			       sizeof "<configuration>" PROP("a", "1") PROP("a", "2")
			       "</configuration>" - 1, &c, err, sizeof err) == 0);
	CHECK_STR(hadoopconf_get(&c, "a", buf, sizeof buf), "2");
	CHECK(hadoopconf_get(&c, "b", buf, sizeof buf) == NULL);
	hadoopconf_free(&c);
}

static const char *args_text(json_object *a)
{
	return json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
}

static void tag_args(void)
{
	json_object *in = json_tokener_parse("[\"--name\",\"n\",\"--conf\",\"spark.master=yarn\","
					     "\"/j/ok.py\",\"--conf\",\"spark.yarn.tags=x\"]");
	json_object *out = argv_with_yarn_tag(in, "livy-batch-3-abcd1234");

	/* ours first; the application's own arguments untouched */
	CHECK_STR(args_text(out), "[\"--conf\",\"spark.yarn.tags=livy-batch-3-abcd1234\",\"--name\","
		  "\"n\",\"--conf\",\"spark.master=yarn\",\"\\/j\\/ok.py\",\"--conf\","
		  "\"spark.yarn.tags=x\"]");
	json_object_put(in);
	json_object_put(out);
	/* the user's tags are kept, before ours, in one conf */
	in = json_tokener_parse("[\"--conf\",\"spark.yarn.tags=team-a,nightly\",\"/j/ok.py\"]");
	out = argv_with_yarn_tag(in, "livy-batch-4-abcd1234");
	CHECK_STR(args_text(out), "[\"--conf\",\"spark.yarn.tags=team-a,nightly,"
		  "livy-batch-4-abcd1234\",\"\\/j\\/ok.py\"]");
	json_object_put(in);
	json_object_put(out);
}

/* The NodeManager's answer with the AGGREGATED copy it may add after a LOCAL one. */
static char *local_then_aggregated(const char *local, const char *agg)
{
	size_t a = strlen(local), b = strlen(agg);
	char *both = malloc(a + b + 1);

	if (both) {
		memcpy(both, local, a);
		memcpy(both + a, agg, b + 1);
	}
	return both;
}

/* The log server's copies of an aggregated file (where the NodeManager redirects
 * once it dropped its own), recorded from a real ApplicationHistoryServer. */
static void aggregated_answers(void)
{
	char *whole = slurp(RECORDED "ahs-containerlogs-stdout.txt");
	char *tail = slurp(RECORDED "ahs-containerlogs-tail.txt");
	char *head = slurp(RECORDED "ahs-containerlogs-head.txt");
	char *not_yet = slurp(RECORDED "ahs-containerlogs-not-yet.html");
	char *local = slurp(RECORDED "nm-containerlogs-stdout.txt"), *both = NULL;
	static const char text[] = "TACITUS-LINE tok 0\nTACITUS-LINE tok 1\nTACITUS-LINE tok 2\n"
				   "TACITUS-OK 1000\n";
	const char *bytes;
	long long length;
	size_t n;

	CHECK(whole && tail && head && not_yet && local);
	if (whole && tail && head && not_yet && local) {
		/* the whole file: the line break before the trailer is the server's */
		CHECK(yarn_parse_log(whole, strlen(whole), "stdout", -65536, &length, &bytes, &n) == 0);
		CHECK(length == 73 && n == 73 && !memcmp(bytes, text, 73));
		/* its last 40 bytes, its first 40 */
		CHECK(yarn_parse_log(tail, strlen(tail), "stdout", -40, &length, &bytes, &n) == 0);
		CHECK(length == 73 && n == 40 && !memcmp(bytes, text + 33, 40));
		CHECK(yarn_parse_log(head, strlen(head), "stdout", 40, &length, &bytes, &n) == 0);
		CHECK(length == 73 && n == 40 && !memcmp(bytes, text, 40));
		/* fewer bytes asked for than sent: the whole file (Hadoop 2 takes no size) */
		CHECK(yarn_parse_log(whole, strlen(whole), "stdout", -72, &length, &bytes, &n) == 0);
		CHECK(length == 73 && n == 73);
		/* more sent than LogLength says (the server's line break taken for a byte) */
		CHECK(yarn_parse_log(head, strlen(head), "stdout", 41, &length, &bytes, &n) < 0);
		/* before the file is aggregated: HTTP 500 and a page, no log */
		CHECK(yarn_parse_log(not_yet, strlen(not_yet), "stdout", -65536, &length, &bytes,
				     &n) < 0);
		CHECK(strstr(not_yet, "Can not find remote application directory") != NULL);
		/* a LOCAL answer with an AGGREGATED copy after it: the LOCAL bytes alone */
		both = local_then_aggregated(local, whole);
		CHECK(both && yarn_parse_log(both, strlen(both), "stdout", -65536, &length, &bytes,
					     &n) == 0);
		CHECK(length == 10 && n == 10 && !memcmp(bytes, "count 100\n", 10));
	}
	free(both);
	free(whole);
	free(tail);
	free(head);
	free(not_yet);
	free(local);
}

static void log_answers(void)
{
	char *done = slurp(RECORDED "nm-containerlogs-stdout.txt");
	char *tail = slurp(RECORDED "nm-containerlogs-running-tail.txt");
	char *head = slurp(RECORDED "nm-containerlogs-running-head.txt");
	char nm[YARN_URL_MAX], c[YARN_ID_MAX];
	const char *bytes;
	long long length;
	size_t n;

	CHECK(done && tail && head);
	if (done && tail && head) {
		/* an ended container: the whole file */
		CHECK(yarn_parse_log(done, strlen(done), "stdout", -65536, &length, &bytes, &n) == 0);
		CHECK(length == 10 && n == 10 && !memcmp(bytes, "count 100\n", 10));
		/* a running one, its last 30 bytes: LogLength is the whole file's */
		CHECK(yarn_parse_log(tail, strlen(tail), "stdout", -30, &length, &bytes, &n) == 0);
		CHECK(length == 574 && n == 30);
		CHECK(n == 30 && !memcmp(bytes, "\xc3\xa9\nerr 31\nline 32 \xc3\xa9\xc3\xa9\nerr 32\n", 30));
		/* its first 20 */
		CHECK(yarn_parse_log(head, strlen(head), "stdout", 20, &length, &bytes, &n) == 0);
		CHECK(length == 574 && n == 20 && !memcmp(bytes, "line 0 \nerr 0\nline 1", 20));
		/* another file's answer, or none */
		CHECK(yarn_parse_log(done, strlen(done), "stderr", -65536, &length, &bytes, &n) < 0);
		CHECK(yarn_parse_log("java.lang.Exception: Cannot find this log on the local disk.",
				     60, "stdout", -65536, &length, &bytes, &n) < 0);
		/* asked for more than the file: the file */
		CHECK(yarn_parse_log(done, strlen(done), "stdout", 11, &length, &bytes, &n) == 0);
		CHECK(n == 10);
		/* fewer bytes than asked for and LogLength say: cut short */
		CHECK(yarn_parse_log(tail, strlen(tail), "stdout", -31, &length, &bytes, &n) < 0);
	}
	free(done);
	free(tail);
	free(head);
	aggregated_answers();

	CHECK(yarn_am_container("http://localhost:18042/node/containerlogs/"
				"container_1796524281584_0001_01_000001/root", nm, sizeof nm, c,
				sizeof c) == 0);
	CHECK_STR(nm, "http://localhost:18042");
	CHECK_STR(c, "container_1796524281584_0001_01_000001");
	CHECK(yarn_am_container("http://nm:8042/node/containerlogs/../x/root", nm, sizeof nm, c,
				sizeof c) < 0);
	CHECK(yarn_am_container("file:///node/containerlogs/c_1/root", nm, sizeof nm, c, sizeof c) < 0);
	CHECK(yarn_am_container("", nm, sizeof nm, c, sizeof c) < 0);
}

void test_yarn(void)
{
	log_answers();
	parse_recorded();
	parse_shapes();
	lookup_paths();
	parse_many();
	states();
	rm_urls();
	tag_args();
}
