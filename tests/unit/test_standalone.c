/* test_standalone.c - the standalone tracker's pure parts: where the masters are, the
 * CreateSubmissionRequest made from spark-submit's arguments, and the answers of a real
 * master and worker (recorded by tests/cluster/standalone.sh and curl into
 * tests/cluster/recorded/standalone-*): status, Livy's states, create, kill, the
 * master's /json/ and the worker's log. */
#include "argv.h"
#include "reqbody.h"
#include "track_standalone.h"
#include "unit.h"

#include <stdlib.h>

#define RECORDED "tests/cluster/recorded/"
#define MODULE_OPTS "-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* ---- masters ---- */

#define urls_are(...) urls_are_at(UNIT_HERE, __VA_ARGS__)
static void urls_are_at(struct unit_at at, const char *master, int port, int want,
			const char *first, const char *second)
{
	char out[3][SA_URL_MAX];
	int n = sa_master_urls(master, port, out, 3);

	at.label = master;
	CHECK_AT(at, n == want);
	if (n >= 1 && first)
		CHECK_STR_AT(at, out[0], first);
	if (n >= 2 && second)
		CHECK_STR_AT(at, out[1], second);
}

static void masters(void)
{
	urls_are("spark://127.0.0.1:7077", 6066, 1, "http://127.0.0.1:6066", NULL);
	urls_are("spark://h1:7077,h2.example.com:7078", 6066, 2, "http://h1:6066",
		 "http://h2.example.com:6066");
	urls_are("spark://h1:7077,h2:7077", 8080, 2, "http://h1:8080", "http://h2:8080");
	urls_are("spark://h1", 6066, 1, "http://h1:6066", NULL);
	urls_are("spark://h1:7077/", 6066, 1, "http://h1:6066", NULL);
	urls_are("spark://[::1]:7077,h2:7077", 6066, 2, "http://[::1]:6066", "http://h2:6066");
	urls_are("spark://a:1,b:2,c:3,d:4", 6066, 3, "http://a:6066", "http://b:6066"); /* max */
	urls_are("local[*]", 6066, 0, NULL, NULL);
	urls_are("yarn", 6066, 0, NULL, NULL);
	urls_are("spark://", 6066, 0, NULL, NULL);
	urls_are("spark://h1:7077,,h2:7077", 6066, 0, NULL, NULL);
	urls_are("spark://h1:70x7", 6066, 0, NULL, NULL);
	urls_are("spark://h 1:7077", 6066, 0, NULL, NULL);
	urls_are("spark://h1@evil:7077", 6066, 0, NULL, NULL);
	urls_are("spark://[::1:7077", 6066, 0, NULL, NULL);
	urls_are("spark://[]:7077", 6066, 0, NULL, NULL);
	urls_are("spark://h1:7077", 0, 0, NULL, NULL);
	urls_are("spark://h1:7077", 70000, 0, NULL, NULL);
	urls_are(NULL, 6066, 0, NULL, NULL);
}

/* ---- the submission ---- */

static const struct sa_submit_opts opts = {"spark://127.0.0.1:7077", MODULE_OPTS, "3.5.7"};

/* The request made from argv (JSON text), parsed, or NULL (why in err). */
static json_object *request(const char *argv, const struct sa_submit_opts *o, char *err,
			    size_t errlen)
{
	json_object *a = json_tokener_parse(argv), *r = NULL;
	char *text = a ? sa_create_request(a, o, err, errlen) : NULL;

	if (text)
		r = json_tokener_parse(text);
	free(text);
	json_object_put(a);
	return r;
}

static const char *field(json_object *o, const char *path)
{
	char key[128];
	json_object *v = o;

	for (const char *p = path; v && *p;) {
		size_t len = strcspn(p, "/");
		snprintf(key, sizeof key, "%.*s", (int)len, p);
		if (!json_object_object_get_ex(v, key, &v))
			return NULL;
		p += len + (p[len] == '/');
	}
	return v ? json_object_get_string(v) : NULL;
}

#define field_is(o, path, want) CHECK_STR(field(o, path) ? field(o, path) : "(none)", want)

static void request_full(void)
{
	char err[256] = "";
	json_object *r = request("[\"--name\",\"nightly\",\"--class\",\"org.Pi\","
				 "\"--conf\",\"spark.driver.extraJavaOptions=-Dx=1 -Dy=a=b\","
				 "\"--conf\",\"spark.jars=/jobs/a.jar,hdfs://nn/b.jar\","
				 "\"--conf\",\"spark.master=local\",\"--queue\",\"q1\","
				 "\"--conf\",\"spark.x=1=2\",\"/jobs/app.jar\",\"10\",\"--x\"]",
				 &opts, err, sizeof err);

	CHECK(r);
	if (!r) {
		unit_note(UNIT_HERE, "%s", err);
		return;
	}
	field_is(r, "action", "CreateSubmissionRequest");
	field_is(r, "appResource", "file:/jobs/app.jar");
	field_is(r, "mainClass", "org.Pi");
	field_is(r, "appArgs", "[ \"10\", \"--x\" ]");
	field_is(r, "clientSparkVersion", "3.5.7");
	field_is(r, "environmentVariables", "{ \"SPARK_ENV_LOADED\": \"1\" }");
	field_is(r, "sparkProperties/spark.app.name", "nightly");
	field_is(r, "sparkProperties/spark.master", "spark://127.0.0.1:7077");
	field_is(r, "sparkProperties/spark.submit.deployMode", "cluster");
	field_is(r, "sparkProperties/spark.x", "1=2");
	field_is(r, "sparkProperties/spark.jars",
		 "file:/jobs/a.jar,hdfs://nn/b.jar,file:/jobs/app.jar");
	field_is(r, "sparkProperties/spark.driver.extraJavaOptions", MODULE_OPTS " -Dx=1 -Dy=a=b");
	CHECK(!field(r, "sparkProperties/spark.yarn.queue"));
	json_object_put(r);
}

static void request_small(void)
{
	struct sa_submit_opts none = {"spark://h1:7077,h2:7077", "", "3.5.7"};
	char err[256] = "";
	json_object *r = request("[\"--class\",\"org.Pi\",\"local:/opt/app.jar\"]", &opts, err,
				 sizeof err);

	CHECK(r);
	field_is(r, "appResource", "local:/opt/app.jar");
	field_is(r, "appArgs", "[ ]");
	field_is(r, "sparkProperties/spark.app.name", "org.Pi");   /* spark-submit's default */
	field_is(r, "sparkProperties/spark.jars", "local:/opt/app.jar");
	field_is(r, "sparkProperties/spark.driver.extraJavaOptions", MODULE_OPTS);
	json_object_put(r);

	/* no module options and none of the user's: no such property */
	r = request("[\"--class\",\"org.Pi\",\"/jobs/app.jar\"]", &none, err, sizeof err);
	CHECK(r);
	field_is(r, "sparkProperties/spark.master", "spark://h1:7077,h2:7077");
	CHECK(!field(r, "sparkProperties/spark.driver.extraJavaOptions"));
	json_object_put(r);
	r = request("[\"--class\",\"org.Pi\",\"--conf\",\"spark.driver.extraJavaOptions=-Dz\","
		    "\"/jobs/app.jar\"]", &none, err, sizeof err);
	field_is(r, "sparkProperties/spark.driver.extraJavaOptions", "-Dz");
	json_object_put(r);
}

#define refused(argv, why) refused_at(UNIT_HERE, argv, why)
static void refused_at(struct unit_at at, const char *argv, const char *why)
{
	char err[256] = "";
	json_object *r = request(argv, &opts, err, sizeof err);

	at.label = argv;
	CHECK_AT(at, !r);
	CHECK_AT(at, strstr(err, why));
	if (!strstr(err, why))
		unit_note(at, "err: %s", err);
	json_object_put(r);
}

static void request_refused(void)
{
	refused("[\"/jobs/pi.py\",\"3\"]", "Python");
	refused("[\"--class\",\"x\",\"/jobs/a.R\"]", "Python or R");
	refused("[\"--class\",\"org.Pi\",\"--py-files\",\"/jobs/m.zip\",\"/jobs/app.jar\"]", "pyFiles");
	refused("[\"--class\",\"org.Pi\",\"--proxy-user\",\"bob\",\"/jobs/app.jar\"]", "proxyUser");
	refused("[\"/jobs/app.jar\"]", "className");
	refused("[\"--class\",\"\",\"/jobs/app.jar\"]", "className");
	refused("[\"--class\",\"org.Pi\"]", "no application file");
	refused("[]", "no application file");
	refused("[\"--class\",\"org.Pi\",\"--conf\",\"novalue\",\"/jobs/app.jar\"]", "key=value");
	refused("[\"--class\",\"org.Pi\",\"--conf\",\"=v\",\"/jobs/app.jar\"]", "key=value");
	refused("[\"--class\",\"org.Pi\",\"--deploy-mode\",\"client\",\"/jobs/app.jar\"]",
		"--deploy-mode");
	refused("[\"--class\"]", "has no value");
	refused("{\"file\": \"/jobs/app.jar\"}", "no argument list");
}

/* From a Livy body through reqbody and argv, as the server will store and read it. */
static void request_from_body(void)
{
	static const char body[] = "{\"file\": \"/jobs/app.jar\", \"className\": \"org.Pi\", "
		"\"args\": [\"5\"], \"jars\": [\"/jobs/dep.jar\"], \"driverMemory\": \"512m\", "
		"\"conf\": {\"spark.driver.extraJavaOptions\": \"-Duser=1\"}}";
	struct reqbody rb;
	struct cfg c;
	char msg[256], err[256] = "", *text;
	json_object *a, *r;

	cfg_defaults(&c);
	snprintf(c.spark_master, sizeof c.spark_master, "spark://127.0.0.1:7077");
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "cluster");
	snprintf(c.whitelist[0], sizeof c.whitelist[0], "/jobs");
	c.n_whitelist = 1;
	if (!CHECK(reqbody_batch(&rb, body, sizeof body - 1, "alice", NULL, &c, msg, sizeof msg) ==
		   REQBODY_OK)) {
		unit_note(UNIT_HERE, "%s", msg);
		return;
	}
	a = argv_batch(&rb, &c);
	text = sa_create_request(a, &opts, err, sizeof err);
	CHECK(text);
	r = text ? json_tokener_parse(text) : NULL;
	field_is(r, "mainClass", "org.Pi");
	field_is(r, "appArgs", "[ \"5\" ]");
	field_is(r, "sparkProperties/spark.jars", "file:/jobs/dep.jar,file:/jobs/app.jar");
	field_is(r, "sparkProperties/spark.driver.memory", "512m");
	field_is(r, "sparkProperties/spark.submit.deployMode", "cluster");
	field_is(r, "sparkProperties/spark.driver.extraJavaOptions", MODULE_OPTS " -Duser=1");
	json_object_put(r);
	free(text);
	json_object_put(a);
	reqbody_free(&rb);
}

/* ---- status ---- */

#define status_is(...) status_is_at(UNIT_HERE, __VA_ARGS__)
static void status_is_at(struct unit_at at, const char *file, const char *state,
			 const char *livy, const char *worker)
{
	char *text = slurp(file, NULL), err[256];
	struct sa_driver d;

	at.label = file;
	if (!CHECK_AT(at, text))
		return;
	CHECK_AT(at, sa_parse_status(text, &d, err, sizeof err) == SA_OK);
	CHECK_AT(at, d.known);
	CHECK_STR_AT(at, d.state, state);
	CHECK_STR_AT(at, sa_livy_state(&d, "running"), livy);
	CHECK_STR_AT(at, d.worker_id, worker);
	free(text);
}

#define WORKER "worker-20261206055939-127.0.0.1-40471"

static void status_recorded(void)
{
	char *text, err[256], why[SA_MSG_MAX];
	struct sa_driver d;

	status_is(RECORDED "standalone-status-submitted.json", "SUBMITTED", "starting", "");
	status_is(RECORDED "standalone-status-running.json", "RUNNING", "running", WORKER);
	status_is(RECORDED "standalone-status-finished.json", "FINISHED", "success", WORKER);
	status_is(RECORDED "standalone-status-failed.json", "FAILED", "dead", WORKER);
	status_is(RECORDED "standalone-status-killed.json", "KILLED", "killed", WORKER);
	status_is(RECORDED "standalone-status-error.json", "ERROR", "dead", WORKER);

	text = slurp(RECORDED "standalone-status-running.json", NULL);
	CHECK(sa_parse_status(text, &d, err, sizeof err) == SA_OK);
	CHECK_STR(d.worker_host_port, "127.0.0.1:40471");
	CHECK_STR(d.message, "");
	sa_reason(&d, "driver-1", why, sizeof why);
	CHECK_STR(why, "driver driver-1 is RUNNING");
	free(text);

	text = slurp(RECORDED "standalone-status-error.json", NULL);
	CHECK(sa_parse_status(text, &d, err, sizeof err) == SA_OK);
	sa_reason(&d, "driver-1", why, sizeof why);
	CHECK_STR(why, "Exception from the cluster: java.nio.file.NoSuchFileException: "
		  "/nonexistent/none.jar");
	free(text);

	/* an unknown id: HTTP 200, "success": false, a driver that is dead, with why */
	text = slurp(RECORDED "standalone-status-unknown.json", NULL);
	CHECK(sa_parse_status(text, &d, err, sizeof err) == SA_OK);
	CHECK(!d.known);
	CHECK_STR(d.state, "");
	CHECK_STR(sa_livy_state(&d, "running"), "dead");
	sa_reason(&d, "driver-20990101000000-0042", why, sizeof why);
	CHECK(strstr(why, "knows no driver driver-20990101000000-0042"));
	free(text);
}

#define status_rc(json, want) status_rc_at(UNIT_HERE, json, want)
static void status_rc_at(struct unit_at at, const char *json, int want)
{
	char err[256] = "";
	struct sa_driver d;

	at.label = json;
	CHECK_AT(at, sa_parse_status(json, &d, err, sizeof err) == want);
	CHECK_AT(at, want == SA_OK || err[0]);
}

static void status_edges(void)
{
	size_t len;
	char *text = slurp(RECORDED "standalone-status-finished.json", &len), *bad;
	struct sa_driver d = {0};

	/* truncated, or another answer: nothing may be concluded */
	if (text) {
		text[len / 2] = '\0';
		status_rc(text, SA_UNREACHABLE);
	}
	free(text);
	bad = slurp(RECORDED "standalone-create.json", NULL);
	status_rc(bad, SA_UNREACHABLE);
	free(bad);
	bad = slurp(RECORDED "standalone-create-bad.json", NULL);   /* an ErrorResponse */
	status_rc(bad, SA_UNREACHABLE);
	free(bad);
	status_rc("", SA_UNREACHABLE);
	status_rc("[]", SA_UNREACHABLE);
	status_rc("{\"success\": true, \"driverState\": \"RUNNING\"}", SA_UNREACHABLE);
	status_rc("{\"action\": \"SubmissionStatusResponse\", \"success\": true}", SA_UNREACHABLE);
	status_rc("{\"action\": \"SubmissionStatusResponse\", \"success\": true, "
		  "\"driverState\": 7}", SA_UNREACHABLE);
	/* a standby master (HA) says so, as Spark's Master words it: ask the next */
	status_rc("{\"action\": \"SubmissionStatusResponse\", \"success\": false, "
		  "\"message\": \"Exception from the cluster:\\njava.lang.Exception: Current "
		  "state is not alive: STANDBY. Can only request driver status in ALIVE state.\"}",
		  SA_UNREACHABLE);
	/* a "success" that is not a boolean is not the protocol: no "dead" from it */
	status_rc("{\"action\": \"SubmissionStatusResponse\", \"success\": \"true\"}",
		  SA_UNREACHABLE);
	status_rc("{\"action\": \"SubmissionStatusResponse\"}", SA_UNREACHABLE);

	/* RELAUNCHING, UNKNOWN (and anything new) keep the last state */
	d.known = true;
	snprintf(d.state, sizeof d.state, "RELAUNCHING");
	CHECK_STR(sa_livy_state(&d, "running"), "running");
	snprintf(d.state, sizeof d.state, "UNKNOWN");
	CHECK_STR(sa_livy_state(&d, "starting"), "starting");
	snprintf(d.state, sizeof d.state, "WHATEVER");
	CHECK_STR(sa_livy_state(&d, "running"), "running");
}

/* ---- create and kill ---- */

static void create_kill(void)
{
	char *ok = slurp(RECORDED "standalone-create.json", NULL),
	     *bad = slurp(RECORDED "standalone-create-bad.json", NULL),
	     *kill = slurp(RECORDED "standalone-kill.json", NULL),
	     *unknown = slurp(RECORDED "standalone-kill-unknown.json", NULL);
	char id[SA_ID_MAX], small[8], err[256];

	CHECK(ok && bad && kill && unknown);
	if (ok && bad && kill && unknown) {
		CHECK(sa_parse_create(ok, id, sizeof id, err, sizeof err) == SA_OK);
		CHECK_STR(id, "driver-20261206055957-0000");
		/* it took the driver: an id we cannot use is not a reason to submit again */
		CHECK(sa_parse_create(ok, small, sizeof small, err, sizeof err) == SA_MAYBE);
		/* Spark's answer to a bad request: a no, its first line only */
		CHECK(sa_parse_create(bad, id, sizeof id, err, sizeof err) == SA_REFUSED);
		CHECK(strstr(err, "Validation of message CreateSubmissionRequest failed!"));
		CHECK(!strchr(err, '\n') && !strstr(err, "jetty"));
		CHECK(sa_parse_create(kill, id, sizeof id, err, sizeof err) == SA_UNREACHABLE);
		ok[strlen(ok) - 3] = '\0';
		CHECK(sa_parse_create(ok, id, sizeof id, err, sizeof err) == SA_UNREACHABLE);

		CHECK(sa_parse_kill(kill, err, sizeof err) == SA_OK);
		CHECK(sa_parse_kill(unknown, err, sizeof err) == SA_REFUSED);
		CHECK_STR(err, "Driver driver-20990101000000-0042 has already finished or does "
			  "not exist");
		CHECK(sa_parse_kill(bad, err, sizeof err) == SA_UNREACHABLE);
		CHECK(sa_parse_kill("{", err, sizeof err) == SA_UNREACHABLE);
	}
	CHECK(sa_parse_create("{\"action\": \"CreateSubmissionResponse\", \"success\": true, "
			      "\"submissionId\": \"../x?y\"}", id, sizeof id, err, sizeof err) ==
	      SA_MAYBE);
	CHECK(sa_parse_create("{\"action\": \"CreateSubmissionResponse\", \"success\": true}", id,
			      sizeof id, err, sizeof err) == SA_MAYBE);
	CHECK(sa_parse_create("{\"action\": \"CreateSubmissionResponse\", \"success\": false, "
			      "\"message\": \"Current state is not alive: STANDBY. Can only "
			      "accept driver submissions in ALIVE state.\"}", id, sizeof id, err,
			      sizeof err) == SA_UNREACHABLE);
	CHECK(sa_parse_kill("{\"action\": \"KillSubmissionResponse\", \"success\": false, "
			    "\"message\": \"Current state is not alive: STANDBY. Can only kill "
			    "drivers in ALIVE state.\"}", err, sizeof err) == SA_UNREACHABLE);
	free(ok);
	free(bad);
	free(kill);
	free(unknown);
}

/* ---- the workers' web UIs ---- */

static void worker_ui(void)
{
	char *json = slurp(RECORDED "standalone-master-json.json", NULL), ui[SA_URL_MAX], tiny[8];

	CHECK(json);
	if (json) {
		CHECK(sa_parse_worker_ui(json, WORKER, ui, sizeof ui) == 0);
		CHECK_STR(ui, "http://127.0.0.1:8081");
		CHECK(sa_parse_worker_ui(json, "worker-1", ui, sizeof ui) == 1);
		CHECK_STR(ui, "");
		CHECK(sa_parse_worker_ui(json, WORKER, tiny, sizeof tiny) == 1);
		json[strlen(json) / 2] = '\0';
		CHECK(sa_parse_worker_ui(json, WORKER, ui, sizeof ui) == -1);
	}
	free(json);
	CHECK(sa_parse_worker_ui("{\"status\": \"STANDBY\"}", "w", ui, sizeof ui) == -1);
	CHECK(sa_parse_worker_ui("{\"workers\": [{\"id\": \"w\"}]}", "w", ui, sizeof ui) == 1);
	CHECK(sa_parse_worker_ui("{\"workers\": [{\"id\": \"w\", \"webuiaddress\": "
				 "\"javascript:alert(1)\"}]}", "w", ui, sizeof ui) == 1);
	CHECK(sa_parse_worker_ui("{\"workers\": [{\"id\": \"w\", \"webuiaddress\": "
				 "\"http://h:1/\\\"><x\"}]}", "w", ui, sizeof ui) == 1);
	CHECK(sa_parse_worker_ui("{\"workers\": [7, {\"id\": \"w\", \"webuiaddress\": "
				 "\"http://h:8081\"}]}", "w", ui, sizeof ui) == 0);
	CHECK_STR(ui, "http://h:8081");

	CHECK(sa_driver_log_url("http://127.0.0.1:8081", "driver-20261206055957-0000", ui,
				sizeof ui) == 0);
	CHECK_STR(ui, "http://127.0.0.1:8081/logPage/?driverId=driver-20261206055957-0000"
		  "&logType=stdout");
	/* and back: the worker's UI from the stored log page (an adopter has nothing else) */
	{
		char back[SA_URL_MAX];
		CHECK(sa_log_url_ui(ui, back, sizeof back) == 0);
		CHECK_STR(back, "http://127.0.0.1:8081");
		CHECK(sa_log_url_ui("http://h:1/log?x", back, sizeof back) == -1);
		CHECK(sa_log_url_ui("/logPage/?driverId=d", back, sizeof back) == -1);
		CHECK(sa_log_url_ui("file:///x/logPage/?driverId=d", back, sizeof back) == -1);
		CHECK(sa_log_url_ui(NULL, back, sizeof back) == -1);
		CHECK(sa_log_url_ui(ui, back, 8) == -1);
	}
	CHECK(sa_driver_log_url("javascript:x", "driver-1", ui, sizeof ui) == -1);
	CHECK(sa_driver_log_url("http://h:1", "driver-1&logType=../../x", ui, sizeof ui) == -1);
	CHECK(sa_driver_log_url("http://h:1", "driver-1", tiny, sizeof tiny) == -1);
	CHECK(sa_id_ok("driver-20261206055957-0000"));
	CHECK(!sa_id_ok(""));
	CHECK(!sa_id_ok("driver 1"));
	CHECK(!sa_id_ok("driver/1"));
}

/* ---- the driver's log ---- */

#define log_is(...) log_is_at(UNIT_HERE, __VA_ARGS__)
static void log_is_at(struct unit_at at, const char *file, long long start, long long end,
		      long long length, const char *content)
{
	size_t len = 0, n = 0;
	char *text = slurp(file, &len), err[256];
	long long s = -1, e = -1, l = -1;
	const char *c = NULL;

	at.label = file;
	if (!CHECK_AT(at, text))
		return;
	CHECK_AT(at, sa_parse_log(text, len, &s, &e, &l, &c, &n, err, sizeof err) == 0);
	CHECK_AT(at, s == start && e == end && l == length);
	CHECK_AT(at, c && n == strlen(content) && !memcmp(c, content, n));
	free(text);
}

#define log_bad(text, why) log_bad_at(UNIT_HERE, text, why)
static void log_bad_at(struct unit_at at, const char *text, const char *why)
{
	long long s, e, l;
	const char *c;
	size_t n;
	char err[256] = "";

	at.label = text;
	CHECK_AT(at, sa_parse_log(text, strlen(text), &s, &e, &l, &c, &n, err, sizeof err) == -1);
	CHECK_AT(at, strstr(err, why));
}

static void driver_log(void)
{
	size_t len;
	char *text;

	log_is(RECORDED "standalone-log-stdout.txt", 0, 18, 18, "TACITUS-COUNT 100\n");
	log_is(RECORDED "standalone-log-stdout-mid.txt", 5, 9, 18, "US-C");
	/* an offset past the end: the worker clamps it, no bytes */
	log_is(RECORDED "standalone-log-stdout-past.txt", 18, 18, 18, "");
	log_is(RECORDED "standalone-log-running.txt", 0, 18, 18, "TACITUS-SLEEP 300\n");
	/* "ab\xc3\xa9cd..." cut after 3 bytes: the worker sends the cut character as U+FFFD */
	log_is(RECORDED "standalone-log-utf8-cut.txt", 0, 3, 8, "ab\xef\xbf\xbd");

	/* a driver the worker does not have: HTTP 200, "0-0 of 0", then the error */
	text = slurp(RECORDED "standalone-log-unknown.txt", &len);
	if (CHECK(text))
		log_bad(text, "the worker has no such log: Error: invalid log directory");
	free(text);

	log_bad("", "not a worker's log answer");
	log_bad("TACITUS-COUNT 100\n", "not a worker's log answer");
	log_bad("==== Bytes 0-18 of 18 of /w/d/stdout ====", "not a worker's log answer");
	log_bad("==== Bytes 9-5 of 18 of /w/d/stdout ====\n", "bad first line");
	log_bad("==== Bytes 0-19 of 18 of /w/d/stdout ====\n", "bad first line");
	log_bad("==== Bytes -1-5 of 18 of /w/d/stdout ====\n", "bad first line");
	log_bad("==== Bytes 0-5 of 18 of /w/d/stdout\n", "bad first line");
	log_bad("==== Bytes 0-5 of x of /w/d/stdout ====\n", "bad first line");
	log_bad("==== Bytes 0-5 ====\n", "bad first line");
	log_bad("==== Bytes 0-0 of 0 of /w/d/stdout ====\nError: Log type must be one of stdout",
		"Log type must be one of stdout");
}

void test_standalone(void)
{
	masters();
	request_full();
	request_small();
	request_refused();
	request_from_body();
	status_recorded();
	status_edges();
	create_kill();
	worker_ui();
	driver_log();
}
