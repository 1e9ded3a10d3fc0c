/* test_batchreq.c - POST /batches validation and the spark-submit argv built from it. */
#include "batchreq.h"
#include "launcher.h"
#include "unit.h"

static struct cfg c;

static int parse(const char *body, struct breq *r, char *msg, size_t len)
{
	return breq_parse(r, body, strlen(body), "alice", NULL, &c, msg, len);
}

/* The body must be refused with `status` and a message containing `part`. */
static void refused(const char *body, int status, const char *part)
{
	struct breq r;
	char msg[4096];
	int rc = parse(body, &r, msg, sizeof msg);

	CHECK(rc == status);
	if (rc == status && !strstr(msg, part))
		fprintf(stderr, "message for %s: %s\n", body, msg);
	CHECK(rc != 0 && strstr(msg, part) != NULL);
}

static const char *argv_text(const char *body)
{
	static char text[8192];
	struct breq r;
	char msg[4096];
	json_object *a;

	if (parse(body, &r, msg, sizeof msg) != 0) {
		snprintf(text, sizeof text, "refused: %s", msg);
		return text;
	}
	a = launch_build_argv(&r, &c);
	snprintf(text, sizeof text, "%s", json_object_to_json_string_ext(a,
		 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	breq_free(&r);
	return text;
}

void test_batchreq(void)
{
	cfg_defaults(&c);
	snprintf(c.whitelist[0], sizeof c.whitelist[0], "/jobs");
	c.n_whitelist = 1;

	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\"}"),
		  "[\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");
	CHECK_STR(argv_text("{\"file\": \"file:///jobs/app.jar\", \"className\": \"org.Pi\", "
			    "\"name\": \"nightly\", \"args\": [\"10\", 20], \"queue\": \"q1\", "
			    "\"conf\": {\"spark.x\": \"1\", \"spark.jars\": \"/jobs/b.jar\"}, "
			    "\"jars\": [\"/jobs/a.jar\"], \"pyFiles\": [\"/jobs/m.zip\"], "
			    "\"driverMemory\": \"1g\", \"numExecutors\": \"2\", \"driverCores\": 1}"),
		  "[\"--name\",\"nightly\",\"--class\",\"org.Pi\",\"--conf\",\"spark.x=1\","
		  "\"--conf\",\"spark.jars=/jobs/a.jar,/jobs/b.jar\",\"--py-files\",\"/jobs/m.zip\","
		  "\"--conf\",\"spark.master=local\",\"--conf\",\"spark.driver.memory=1g\","
		  "\"--conf\",\"spark.driver.cores=1\",\"--conf\",\"spark.executor.instances=2\","
		  "\"--queue\",\"q1\",\"/jobs/app.jar\",\"10\",\"20\"]");
	/* null means absent */
	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\", \"jars\": null, \"name\": null, \"conf\": null}"),
		  "[\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");
	/* proxyUser is dropped while impersonation is off */
	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"bob\"}"),
		  "[\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");
	c.impersonation = true;
	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"alice\"}"),
		  "[\"--conf\",\"spark.master=local\",\"--proxy-user\",\"alice\",\"/jobs/pi.py\"]");
	refused("{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"bob\"}", 403,
		"User 'alice' not allowed to impersonate 'Some(bob)'.");
	c.impersonation = false;
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "client");
	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\"}"),
		  "[\"--conf\",\"spark.master=local\",\"--conf\",\"spark.submit.deployMode=client\","
		  "\"/jobs/pi.py\"]");
	c.deploy_mode[0] = '\0';

	refused("", 400, "empty");
	refused("{\"file\": ", 400, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\"} x", 400, "Malformed JSON");
	refused("null", 400, "must be a JSON object");
	refused("[]", 400, "must be a JSON object");
	refused("{\"file\": \"/jobs/a.py\", \"foo\": 1}", 400, "Unrecognized field \"foo\"");
	refused("{}", 400, "Rejected, Reason: requirement failed: File is required.");
	refused("{\"file\": null}", 400, "File is required.");
	refused("{\"file\": \"\"}", 400, "File is required.");
	refused("{\"file\": \"rel/x.py\"}", 400,
		"Rejected, Reason: requirement failed: Path 'rel/x.py' is not absolute.");
	refused("{\"file\": \"/etc/passwd\"}", 400,
		"Rejected, Reason: requirement failed: Local path /etc/passwd cannot be added to user sessions.");
	refused("{\"file\": \"/jobs/a.py\", \"jars\": [\"/etc/x.jar\"]}", 400, "Local path /etc/x.jar");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.master\": \"yarn\", \"spark.yarn.jar\": \"x\"}}",
		400, "Rejected, Reason: Blacklisted configuration values in session config: "
		"spark.master, spark.yarn.jar");
	refused("{\"file\": \"/jobs/a.py\", \"args\": \"x\"}", 400, "\"args\" must be a list");
	refused("{\"file\": \"/jobs/a.py\", \"jars\": [{\"a\": 1}]}", 400, "\"jars\" must be a list");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": \"x\"}", 400, "\"conf\" must be an object");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"k\": [1]}}", 400, "the value of \"k\"");
	refused("{\"file\": \"/jobs/a.py\", \"numExecutors\": \"abc\"}", 400, "\"numExecutors\" must be an integer");
	refused("{\"file\": \"/jobs/a.py\", \"numExecutors\": 2.5}", 400, "\"numExecutors\" must be an integer");
	refused("{\"file\": \"/jobs/a.py\", \"driverCores\": 0}", 400, "out of range");
	refused("{\"file\": \"/jobs/a.py\", \"driverMemory\": \"lots\"}", 400, "memory size");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"123\"}", 400,
		"Rejected, Reason: Invalid session name: 123");
	refused("{\"file\": \"/jobs/a.py\", \"name\": 5}", 400, "Invalid session name: 5");
	/* depth is bounded */
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
		400, "Malformed JSON");
	{       /* limits: 1001 args, a 70 KB value */
		static char big[80000];
		size_t n = (size_t)snprintf(big, sizeof big, "{\"file\": \"/jobs/a.py\", \"args\": [");
		for (int i = 0; i < 1001; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "%s\"%d\"", i ? "," : "", i);
		snprintf(big + n, sizeof big - n, "]}");
		refused(big, 400, "\"args\" has more than 1000 items");
		n = (size_t)snprintf(big, sizeof big, "{\"file\": \"/jobs/a.py\", \"name\": \"");
		memset(big + n, 'x', 70000);
		snprintf(big + n + 70000, sizeof big - n - 70000, "\"}");
		refused(big, 400, "longer than 65536 bytes");
	}
	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\", \"driverMemory\": \"512M\", \"executorMemory\": \"2gb\"}"),
		  "[\"--conf\",\"spark.master=local\",\"--conf\",\"spark.driver.memory=512M\","
		  "\"--conf\",\"spark.executor.memory=2gb\",\"/jobs/pi.py\"]");
}

/* POST /sessions: kinds, time strings, the 17 fields, and the driver's argv. */
static int parse_session(const char *body, struct breq *r, char *msg, size_t len)
{
	return breq_parse_session(r, body, strlen(body), "alice", NULL, &c, msg, len);
}

static void session_refused(const char *body, const char *part)
{
	struct breq r;
	char msg[4096];
	int rc = parse_session(body, &r, msg, sizeof msg);

	CHECK(rc == 400);
	if (rc == 400 && !strstr(msg, part))
		fprintf(stderr, "message for %s: %s\n", body, msg);
	CHECK(rc != 0 && strstr(msg, part) != NULL);
}

/* kind, ttl and idle ms, heartbeat of an accepted body, as text */
static const char *session_fields(const char *body)
{
	static char text[4200];
	struct breq r;
	char msg[4096];

	if (parse_session(body, &r, msg, sizeof msg) != 0) {
		snprintf(text, sizeof text, "refused: %s", msg);
		return text;
	}
	snprintf(text, sizeof text, "%s %lld %lld %d", r.kind, r.ttl_ms, r.idle_timeout_ms,
		 r.heartbeat_sec);
	breq_free(&r);
	return text;
}

void test_sessionreq(void)
{
	struct breq r;
	char msg[4096];
	json_object *a, *pool;

	cfg_defaults(&c);
	snprintf(c.whitelist[0], sizeof c.whitelist[0], "/jobs");
	c.n_whitelist = 1;
	CHECK_STR(breq_kind("scala"), "spark");
	CHECK_STR(breq_kind("python"), "pyspark");
	CHECK_STR(breq_kind("r"), "sparkr");
	CHECK_STR(breq_kind("sql"), "sql");
	CHECK(breq_kind("pyspark3") == NULL);
	CHECK(breq_kind(NULL) == NULL);

	CHECK_STR(session_fields("{}"), "shared -1 -1 0");
	CHECK_STR(session_fields("{\"kind\": \"python\", \"ttl\": \"1h\", \"idleTimeout\": \" 5min \", "
				 "\"heartbeatTimeoutInSecond\": \"60\"}"),
		  "pyspark 3600000 300000 60");
	CHECK_STR(session_fields("{\"kind\": \"scala\", \"idleTimeout\": \"0\", "
				 "\"heartbeatTimeoutInSecond\": 0, \"name\": null}"), "spark -1 0 0");
	session_refused("{\"kind\": \"bogus\"}", "Invalid kind: bogus (through reference chain: "
			"org.apache.livy.server.interactive.CreateInteractiveRequest[\"kind\"])");
	session_refused("{\"kind\": \"pyspark3\"}", "Invalid kind: pyspark3");
	session_refused("{\"kind\": 5}", "Invalid kind: 5");
	session_refused("{\"kind\": \"sparkr\"}", "kind sparkr needs R");
	session_refused("{\"idleTimeout\": \"1x\"}", "Rejected, Reason: Invalid suffix: \"x\"");
	session_refused("{\"ttl\": \"-5s\"}", "Rejected, Reason: Invalid value: -5");
	session_refused("{\"ttl\": \"abc\"}", "Rejected, Reason: Invalid time string: abc");
	session_refused("{\"ttl\": 5}", "\"ttl\" must be a time string");
	session_refused("{\"heartbeatTimeoutInSecond\": -1}", "out of range");
	session_refused("{\"idleTimeout\": \"3500000d\"}", "\"idleTimeout\" is out of range");
	session_refused("{\"name\": \"a\\u0000b\"}", "contains a NUL character");
	session_refused("{\"conf\": {\"spark.x\": \"a\\u0000\"}}", "contains a NUL character");
	session_refused("{\"file\": \"/jobs/a.py\"}", "Unrecognized field \"file\" (class "
			"org.apache.livy.server.interactive.CreateInteractiveRequest), not marked as "
			"ignorable (17 known properties: ");
	session_refused("{\"name\": \"42\"}", "Invalid session name: 42");
	session_refused("{\"conf\": {\"spark.master\": \"yarn\"}}", "Blacklisted configuration values");
	session_refused("{\"jars\": [\"/etc/x.jar\"]}", "Local path /etc/x.jar");

	/* the driver: repl.py with its callback; a default request matches the pool */
	snprintf(c.driver_script, sizeof c.driver_script, "/opt/tacitus/app/repl.py");
	snprintf(c.callback_url, sizeof c.callback_url, "https://127.0.0.1:8998/driver");
	snprintf(c.callback_cafile, sizeof c.callback_cafile, "/var/ca.crt");
	CHECK(parse_session("{\"kind\": \"spark\", \"name\": \"nb\"}", &r, msg, sizeof msg) == 0);
	a = launch_driver_argv(&r, &c, false);
	CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		  "[\"--name\",\"nb\",\"--conf\",\"spark.master=local\",\"/opt/tacitus/app/repl.py\","
		  "\"--callback\",\"https://127.0.0.1:8998/driver\",\"--cafile\",\"/var/ca.crt\","
		  "\"--secret-file\",\"driver.secret\"]");
	json_object_put(a);
	a = launch_driver_argv(&r, &c, true);
	pool = launch_pool_argv(&c);
	CHECK_STR(json_object_to_json_string(a), json_object_to_json_string(pool));
	json_object_put(a);
	json_object_put(pool);
	breq_free(&r);
	CHECK(parse_session("{\"driverMemory\": \"2g\"}", &r, msg, sizeof msg) == 0);
	a = launch_driver_argv(&r, &c, true);
	pool = launch_pool_argv(&c);
	CHECK(strcmp(json_object_to_json_string(a), json_object_to_json_string(pool)) != 0);
	json_object_put(a);
	json_object_put(pool);
	breq_free(&r);
}
