/* test_reqbody.c - POST /batches validation and the spark-submit argv built from it. */
#include "jsontext.h"
#include "reqbody.h"
#include "argv.h"
#include "unit.h"

static struct cfg c;

static enum reqbody_rc parse(const char *body, struct reqbody *r, char *msg, size_t len)
{
	return reqbody_batch(r, body, strlen(body), "alice", NULL, &c, msg, len);
}

static const char *rc_name(enum reqbody_rc rc)
{
	return rc == REQBODY_OK ? "OK" : rc == REQBODY_INVALID ? "INVALID"
	       : rc == REQBODY_FORBIDDEN ? "FORBIDDEN" : "?";
}

/* The helpers are macros so that a failure names the row that called them; the
 * body is the label. */
#define refused(...) refused_at(UNIT_HERE, __VA_ARGS__)
#define argv_is(...) argv_is_at(UNIT_HERE, __VA_ARGS__)

/* The body, parsed by `parse`, must be refused for reason `want` with a message
 * containing `part`. */
static void expect_refused(struct unit_at at, const char *body,
			   enum reqbody_rc (*parse_fn)(const char *, struct reqbody *, char *, size_t),
			   enum reqbody_rc want, const char *part)
{
	struct reqbody r;
	char msg[4096] = "";
	enum reqbody_rc rc = parse_fn(body, &r, msg, sizeof msg);
	int rc_ok, msg_ok;

	at.label = body;
	rc_ok = CHECK_AT(at, rc == want);
	msg_ok = CHECK_AT(at, rc != REQBODY_OK && strstr(msg, part) != NULL);
	if (rc == REQBODY_OK)
		reqbody_free(&r);
	if (!rc_ok || !msg_ok)
		unit_note(at, "got %s (want %s), message: %s", rc_name(rc), rc_name(want), msg);
}

static void refused_at(struct unit_at at, const char *body, enum reqbody_rc want,
		       const char *part)
{
	expect_refused(at, body, parse, want, part);
}

/* The argv of an accepted body as JSON text, or "refused: <message>". */
static const char *argv_text(const char *body)
{
	static char text[8192];
	struct reqbody r;
	char msg[4096];
	json_object *a;

	if (parse(body, &r, msg, sizeof msg) != 0) {
		snprintf(text, sizeof text, "refused: %s", msg);
		return text;
	}
	a = argv_batch(&r, &c);
	snprintf(text, sizeof text, "%s", json_object_to_json_string_ext(a,
		 JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(a);
	reqbody_free(&r);
	return text;
}

static void argv_is_at(struct unit_at at, const char *body, const char *want)
{
	at.label = body;
	CHECK_STR_AT(at, argv_text(body), want);
}

#define sync_is(body, want) sync_is_at(UNIT_HERE, body, want)
static void sync_is_at(struct unit_at at, const char *body, enum reqbody_rc want)
{
	char msg[256] = "";
	enum reqbody_rc rc = reqbody_sync(body, strlen(body), msg, sizeof msg);

	at.label = body;
	if (!CHECK_AT(at, rc == want))
		unit_note(at, "got %d (%s)", (int)rc, msg);
	if (want != REQBODY_OK)
		CHECK_AT(at, msg[0] != '\0');
}

/* a driver's sync: what passes, the sync's SQL takes (json_to_recordset's types) */
static void test_sync_bodies(void)
{
	sync_is("{\"state\": \"idle\", \"wake_port\": 4000, \"next\": 0, \"pending\": [], "
		"\"results\": [{\"id\": 0, \"state\": \"available\", \"progress\": 1.0, "
		"\"started\": 1795964814421, \"completed\": 1795964815001, \"output\": "
		"{\"status\": \"ok\", \"data\": {\"text/plain\": \"10\"}}}], "
		"\"completions\": [{\"id\": 3, \"candidates\": [\"spark\"]}]}", REQBODY_OK);
	sync_is("{}", REQBODY_OK);
	sync_is("{\"results\": null, \"completions\": null}", REQBODY_OK);
	sync_is("{\"results\": [{\"id\": null, \"progress\": 1}]}", REQBODY_OK);
	sync_is("[]", REQBODY_INVALID);
	sync_is("{\"results\": {}}", REQBODY_INVALID);
	sync_is("{\"results\": [1]}", REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": \"1\"}]}", REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": 1.5}]}", REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": 2147483648}]}", REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": 1, \"progress\": \"half\"}]}", REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": 1, \"started\": 1.5}]}", REQBODY_INVALID);
	sync_is("{\"completions\": [{\"id\": \"x\"}]}", REQBODY_INVALID);
	sync_is("{\"completions\": [{\"id\": 1, \"candidates\": \"\\u0000\"}]}", REQBODY_INVALID);
	sync_is("{\"results\": [], }", REQBODY_INVALID);
	/* past int64 (json-c clamps it) or float8: PostgreSQL's casts would fail */
	sync_is("{\"completions\": [{\"id\": 9223372036854775808}]}", REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": 1, \"started\": -9223372036854775809}]}",
		REQBODY_INVALID);
	sync_is("{\"results\": [{\"id\": 1, \"progress\": 1e400}]}", REQBODY_INVALID);
}

void test_reqbody(void)
{
	test_sync_bodies();
	cfg_defaults(&c);
	snprintf(c.whitelist[0], sizeof c.whitelist[0], "/jobs");
	c.n_whitelist = 1;

	argv_is("{\"file\": \"/jobs/pi.py\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");
	argv_is("{\"file\": \"file:///jobs/app.jar\", \"className\": \"org.Pi\", "
		"\"name\": \"nightly\", \"args\": [\"10\", 20], \"queue\": \"q1\", "
		"\"conf\": {\"spark.x\": \"1\", \"spark.jars\": \"/jobs/b.jar\"}, "
		"\"jars\": [\"/jobs/a.jar\"], \"pyFiles\": [\"/jobs/m.zip\"], "
		"\"driverMemory\": \"1g\", \"numExecutors\": \"2\", \"driverCores\": 1}",
		"[\"--name\",\"nightly\",\"--class\",\"org.Pi\",\"--conf\",\"spark.x=1\","
		"\"--conf\",\"spark.jars=/jobs/a.jar,/jobs/b.jar\",\"--py-files\",\"/jobs/m.zip\","
		"\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"--conf\",\"spark.driver.memory=1g\","
		"\"--conf\",\"spark.driver.cores=1\",\"--conf\",\"spark.executor.instances=2\","
		"\"--queue\",\"q1\",\"/jobs/app.jar\",\"10\",\"20\"]");
	/* null means absent */
	argv_is("{\"file\": \"/jobs/pi.py\", \"jars\": null, \"name\": null, \"conf\": null}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");
	/* proxyUser is dropped while impersonation is off */
	argv_is("{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"bob\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");
	c.impersonation = true;
	argv_is("{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"alice\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"--proxy-user\",\"alice\",\"/jobs/pi.py\"]");
	refused("{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"bob\"}", REQBODY_FORBIDDEN,
		"User 'alice' not allowed to impersonate 'Some(bob)'.");
	/* a user name that does not fit is refused, never cut into another */
	{
		char body[600];
		snprintf(body, sizeof body, "{\"file\": \"/jobs/pi.py\", \"proxyUser\": \"%0300d\"}", 7);
		refused(body, REQBODY_INVALID, "proxyUser is longer than 255 bytes");
	}
	c.impersonation = false;
	/* a conf value longer than any buffer reaches spark-submit whole */
	{
		static char body[30000];
		struct reqbody r;
		char msg[512], want[25000];
		json_object *a;
		int n = snprintf(body, sizeof body, "{\"file\": \"/jobs/pi.py\", \"conf\": "
				 "{\"spark.x\": \"%020016d\"}}", 5);

		CHECK(n > 20016 && parse(body, &r, msg, sizeof msg) == 0);
		a = argv_batch(&r, &c);
		snprintf(want, sizeof want, "spark.x=%020016d", 5);
		CHECK(a && json_object_array_length(a) >= 2);
		CHECK_STR(json_object_get_string(json_object_array_get_idx(a, 1)), want);
		json_object_put(a);
		reqbody_free(&r);
	}
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "client");
	argv_is("{\"file\": \"/jobs/pi.py\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"--conf\",\"spark.submit.deployMode=client\","
		"\"/jobs/pi.py\"]");
	c.deploy_mode[0] = '\0';

	refused("", REQBODY_INVALID, "empty");
	refused("{\"file\": ", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\"} x", REQBODY_INVALID, "Malformed JSON");
	refused("null", REQBODY_INVALID, "must be a JSON object");
	refused("[]", REQBODY_INVALID, "must be a JSON object");
	refused("{\"file\": \"/jobs/a.py\", \"foo\": 1}", REQBODY_INVALID, "Unrecognized field \"foo\"");
	refused("{}", REQBODY_INVALID, "Rejected, Reason: requirement failed: File is required.");
	refused("{\"file\": null}", REQBODY_INVALID, "File is required.");
	refused("{\"file\": \"\"}", REQBODY_INVALID, "File is required.");
	refused("{\"file\": \"rel/x.py\"}", REQBODY_INVALID,
		"Rejected, Reason: requirement failed: Path 'rel/x.py' is not absolute.");
	refused("{\"file\": \"/etc/passwd\"}", REQBODY_INVALID,
		"Rejected, Reason: requirement failed: Local path /etc/passwd cannot be added to user sessions.");
	refused("{\"file\": \"/jobs/a.py\", \"jars\": [\"/etc/x.jar\"]}", REQBODY_INVALID, "Local path /etc/x.jar");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.master\": \"yarn\", \"spark.yarn.jar\": \"x\"}}",
		REQBODY_INVALID, "Rejected, Reason: Blacklisted configuration values in session config: "
		"spark.master, spark.yarn.jar");
	/* the walls between tenants' drivers are not the user's to lower */
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.authenticate\": \"false\", "
		"\"spark.ui.enabled\": \"true\", \"spark.ui.killEnabled\": \"true\", "
		"\"spark.authenticate.secret\": \"s\"}}", REQBODY_INVALID,
		"Blacklisted configuration values in session config: spark.authenticate, "
		"spark.ui.enabled, spark.ui.killEnabled, spark.authenticate.secret");
	CHECK_STR(argv_text("{\"file\": \"/jobs/pi.py\", \"conf\": {\"spark.ui.enabled\": \"false\", "
			    "\"spark.authenticate\": \"true\"}}"),
		  "[\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.authenticate=true\","
		  "\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.master=local\","
		  "\"/jobs/pi.py\"]");
	snprintf(c.spark_master, sizeof c.spark_master, "yarn");
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "cluster");
	/* where the driver runs on the cluster, its UI is the cluster's business */
	CHECK(strstr(argv_text("{\"file\": \"/jobs/pi.py\", \"conf\": {\"spark.ui.enabled\": "
			       "\"true\"}}"), "spark.ui.enabled=true") != NULL);
	argv_is("{\"file\": \"/jobs/pi.py\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\","
		"\"--conf\",\"spark.master=yarn\",\"--conf\",\"spark.submit.deployMode=cluster\","
		"\"--conf\",\"spark.yarn.submit.waitAppCompletion=false\",\"/jobs/pi.py\"]");
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "client");
	argv_is("{\"file\": \"/jobs/pi.py\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\","
		"\"--conf\",\"spark.ui.enabled=false\","
		"\"--conf\",\"spark.master=yarn\",\"--conf\",\"spark.submit.deployMode=client\","
		"\"--conf\",\"spark.yarn.submit.waitAppCompletion=false\",\"/jobs/pi.py\"]");
	/* Spark runs no Python (nor R) application in cluster mode on a standalone master */
	snprintf(c.spark_master, sizeof c.spark_master, "spark://m:7077");
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "cluster");
	refused("{\"file\": \"/jobs/pi.py\"}", REQBODY_INVALID,
		"Spark does not run Python or R applications in cluster deploy mode");
	refused("{\"file\": \"/jobs/pi.R\"}", REQBODY_INVALID, "use livy.spark.deploy-mode = client");
	refused("{\"file\": \"/jobs/a.jar\", \"pyFiles\": [\"/jobs/b.py\"]}", REQBODY_INVALID,
		"Python or R");
	CHECK(strstr(argv_text("{\"file\": \"/jobs/a.jar\", \"className\": \"A\"}"),
		     "spark.submit.deployMode=cluster") != NULL);
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "client");
	/* a standalone cluster's spark.authenticate needs the cluster's shared secret */
	snprintf(c.spark_master, sizeof c.spark_master, "spark://m:7077");
	argv_is("{\"file\": \"/jobs/pi.py\"}",
		"[\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\","
		"\"--conf\",\"spark.master=spark://m:7077\",\"--conf\",\"spark.submit.deployMode=client\","
		"\"/jobs/pi.py\"]");
	snprintf(c.spark_master, sizeof c.spark_master, "local");
	c.deploy_mode[0] = '\0';
	refused("{\"file\": \"/jobs/a.py\", \"args\": \"x\"}", REQBODY_INVALID, "\"args\" must be a list");
	refused("{\"file\": \"/jobs/a.py\", \"jars\": [{\"a\": 1}]}", REQBODY_INVALID, "\"jars\" must be a list");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": \"x\"}", REQBODY_INVALID, "\"conf\" must be an object");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"k\": [1]}}", REQBODY_INVALID, "the value of \"k\"");
	refused("{\"file\": \"/jobs/a.py\", \"numExecutors\": \"abc\"}", REQBODY_INVALID, "\"numExecutors\" must be an integer");
	refused("{\"file\": \"/jobs/a.py\", \"numExecutors\": 2.5}", REQBODY_INVALID, "\"numExecutors\" must be an integer");
	refused("{\"file\": \"/jobs/a.py\", \"driverCores\": 0}", REQBODY_INVALID, "out of range");
	refused("{\"file\": \"/jobs/a.py\", \"driverMemory\": \"lots\"}", REQBODY_INVALID, "memory size");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"123\"}", REQBODY_INVALID,
		"Rejected, Reason: Invalid session name: 123");
	refused("{\"file\": \"/jobs/a.py\", \"name\": 5}", REQBODY_INVALID, "Invalid session name: 5");
	/* depth is bounded */
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"a\": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}",
		REQBODY_INVALID, "Malformed JSON");
	{       /* limits: 1001 args, a 70 KB value */
		static char big[80000];
		size_t n = (size_t)snprintf(big, sizeof big, "{\"file\": \"/jobs/a.py\", \"args\": [");
		for (int i = 0; i < 1001; i++)
			n += (size_t)snprintf(big + n, sizeof big - n, "%s\"%d\"", i ? "," : "", i);
		snprintf(big + n, sizeof big - n, "]}");
		refused(big, REQBODY_INVALID, "\"args\" has more than 1000 items");
		n = (size_t)snprintf(big, sizeof big, "{\"file\": \"/jobs/a.py\", \"name\": \"");
		memset(big + n, 'x', 70000);
		snprintf(big + n + 70000, sizeof big - n - 70000, "\"}");
		refused(big, REQBODY_INVALID, "longer than 65536 bytes");
	}
	argv_is("{\"file\": \"/jobs/pi.py\", \"driverMemory\": \"512M\", \"executorMemory\": \"2gb\"}",
		"[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"--conf\",\"spark.driver.memory=512M\","
		"\"--conf\",\"spark.executor.memory=2gb\",\"/jobs/pi.py\"]");

	/* conf keys: Spark's key syntax, or spark-submit's "--conf k=v" means another key */
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.yarn.jars=X\": \"\"}}", REQBODY_INVALID,
		"Rejected, Reason: Invalid configuration key in session config: \"spark.yarn.jars=X\"");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.master \": \"yarn\"}}", REQBODY_INVALID,
		"\"spark.master \"");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.x\\ty\": \"1\"}}", REQBODY_INVALID,
		"Invalid configuration key");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"\": \"1\"}}", REQBODY_INVALID,
		"Invalid configuration key in session config: \"\"");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.caf\u00e9\": \"1\"}}", REQBODY_INVALID,
		"Invalid configuration key");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\".spark.x\": \"1\"}}", REQBODY_INVALID,
		"Invalid configuration key");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.x:y\": \"1\"}}", REQBODY_INVALID,
		"Invalid configuration key");
	/* what real Spark keys use: '-' in bucket names, '/' in Kubernetes label and
	 * annotation names, '_' in environment variables and catalog names */
	argv_is("{\"file\": \"/jobs/pi.py\", \"conf\": {"
			    "\"spark.hadoop.fs.s3a.bucket.my-bucket.endpoint\": \"http://s3\", "
			    "\"spark.kubernetes.driver.label.app.kubernetes.io/name\": \"x\", "
			    "\"spark.executorEnv.MY_VAR2\": \"1\", \"spark.sql.catalog.my_cat\": \"c\"}}",
		  "[\"--conf\",\"spark.hadoop.fs.s3a.bucket.my-bucket.endpoint=http://s3\","
		  "\"--conf\",\"spark.kubernetes.driver.label.app.kubernetes.io/name=x\","
		  "\"--conf\",\"spark.executorEnv.MY_VAR2=1\",\"--conf\",\"spark.sql.catalog.my_cat=c\","
		  "\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"/jobs/pi.py\"]");

	/* local: names a path on this host: the whitelist applies, whatever the scheme */
	refused("{\"file\": \"local:/etc/passwd\"}", REQBODY_INVALID,
		"Rejected, Reason: requirement failed: Local path /etc/passwd cannot be added to user sessions.");
	refused("{\"file\": \"/jobs/a.py\", \"jars\": [\"local:///etc/x.jar\"]}", REQBODY_INVALID,
		"Local path /etc/x.jar");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.files\": \"LOCAL:/etc/x\"}}",
		REQBODY_INVALID, "Local path /etc/x");
	argv_is("{\"file\": \"local:/jobs/a.jar\", \"jars\": [\"hdfs:///x.jar\"]}",
		  "[\"--conf\",\"spark.jars=hdfs:///x.jar\",\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\","
		  "\"local:/jobs/a.jar\"]");

	/* the media type of a body Tacitus reads */
	CHECK(jsontext_media_type("application/json"));
	CHECK(jsontext_media_type("Application/JSON; charset=utf-8"));
	CHECK(jsontext_media_type("application/json ;charset=UTF-8"));
	CHECK(!jsontext_media_type(NULL) && !jsontext_media_type(""));
	CHECK(!jsontext_media_type("text/plain") && !jsontext_media_type("text/json"));
	CHECK(!jsontext_media_type("application/x-www-form-urlencoded"));
	CHECK(!jsontext_media_type("multipart/form-data; boundary=x"));
	CHECK(!jsontext_media_type("application/jsonx") && !jsontext_media_type("application/json-seq"));
	CHECK(!jsontext_media_type(" application/json"));

	/* an echoed client's bytes made well-formed UTF-8 for an error's msg */
	{
		char out[16];

		CHECK(jsontext_utf8_copy(out, sizeof out, "caf\xc3\xa9 ok") == 8 &&
		      !strcmp(out, "caf\xc3\xa9 ok"));
		jsontext_utf8_copy(out, sizeof out, "'\xf0\x9d\x93'");   /* cut by a %.Ns */
		CHECK_STR(out, "'\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd'");
		jsontext_utf8_copy(out, sizeof out, "a\xff" "b\xc0\xaf");      /* stray, overlong */
		CHECK_STR(out, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
		jsontext_utf8_copy(out, sizeof out, "\xed\xa0\x80");       /* a surrogate */
		CHECK(jsontext_utf8(out) && strlen(out) == 9);
		/* a character that does not fit whole is left out, with what follows */
		CHECK(jsontext_utf8_copy(out, 6, "abcd\xc3\xa9z") == 4 && !strcmp(out, "abcd"));
		CHECK(jsontext_utf8_copy(out, 7, "abcd\xc3\xa9z") == 6 && jsontext_utf8(out));
		CHECK(jsontext_utf8_copy(out, 1, "abc") == 0 && !*out);
	}

	/* JSON: strict, and only what PostgreSQL's jsonb takes as well (the body is stored) */
	refused("{'file': '/jobs/a.py'}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\",}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\", \"args\": [\"1\",]}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"caf\xe9\"}", REQBODY_INVALID,
		"Malformed JSON: invalid UTF-8");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"\xc0\xaf\"}", REQBODY_INVALID, "invalid UTF-8");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"\xed\xa0\x80\"}", REQBODY_INVALID, "invalid UTF-8");
	refused("{\"file\": \"/jobs/a.py\", \"conf\": {\"spark.a\\u0000b\": \"x\"}}", REQBODY_INVALID,
		"Malformed JSON: \\u0000");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"a\\ud800\"}", REQBODY_INVALID,
		"Malformed JSON: a lone UTF-16 surrogate");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"a\\udc00\\ud800\"}", REQBODY_INVALID,
		"lone UTF-16 surrogate");
	refused("{\"file\": \"/jobs/a.py\", \"name\": \"a\tb\"}", REQBODY_INVALID,
		"Malformed JSON: a control character");
	refused("{\"file\": \"/jobs/a.py\", \"args\": [NaN]}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\", \"args\": [-Infinity]}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\", \"args\": [1.]}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\", \"args\": [1e999]}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\", \"args\": [123456789012345678901234567890]}",
		REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\"}\f", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\":\v\"/jobs/a.py\"}", REQBODY_INVALID, "Malformed JSON");
	refused("{\"file\": \"/jobs/a.py\"} /* c */", REQBODY_INVALID, "Malformed JSON");
	argv_is(" {\"file\": \"/jobs/a.py\", \"args\": [\"caf\xc3\xa9 \xf0\x9f\x98\x80\", "
			    "\"\\ud83d\\ude00\", 1.5e3, -7, 12, true]}\r\n",
		  "[\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"/jobs/a.py\",\"caf\xc3\xa9 \xf0\x9f\x98\x80\","
		  "\"\xf0\x9f\x98\x80\",\"1.5e3\",\"-7\",\"12\",\"true\"]");
}

/* POST /sessions: kinds, time strings, the 17 fields, and the driver's argv. */
static enum reqbody_rc parse_session(const char *body, struct reqbody *r, char *msg, size_t len)
{
	return reqbody_session(r, body, strlen(body), "alice", NULL, &c, msg, len);
}

#define session_refused(...) session_refused_at(UNIT_HERE, __VA_ARGS__)
#define session_is(...) session_is_at(UNIT_HERE, __VA_ARGS__)

static void session_refused_at(struct unit_at at, const char *body, const char *part)
{
	expect_refused(at, body, parse_session, REQBODY_INVALID, part);
}

/* kind, ttl and idle ms, heartbeat of an accepted body, as text */
static const char *session_fields(const char *body)
{
	static char text[4200];
	struct reqbody r;
	char msg[4096];

	if (parse_session(body, &r, msg, sizeof msg) != 0) {
		snprintf(text, sizeof text, "refused: %s", msg);
		return text;
	}
	snprintf(text, sizeof text, "%s %lld %lld %d", r.kind, r.ttl_ms, r.idle_timeout_ms,
		 r.heartbeat_sec);
	reqbody_free(&r);
	return text;
}

static void session_is_at(struct unit_at at, const char *body, const char *want)
{
	at.label = body;
	CHECK_STR_AT(at, session_fields(body), want);
}

void test_sessionreq(void)
{
	static struct argv_drivers d;
	struct reqbody r;
	char msg[4096];
	json_object *a;

	cfg_defaults(&c);
	snprintf(c.whitelist[0], sizeof c.whitelist[0], "/jobs");
	c.n_whitelist = 1;
	CHECK_STR(reqbody_kind("scala"), "spark");
	CHECK_STR(reqbody_kind("python"), "pyspark");
	CHECK_STR(reqbody_kind("r"), "sparkr");
	CHECK_STR(reqbody_kind("sql"), "sql");
	CHECK(reqbody_kind("pyspark3") == NULL);
	CHECK(reqbody_kind(NULL) == NULL);

	session_is("{}", "shared -1 -1 0");
	session_is("{\"kind\": \"python\", \"ttl\": \"1h\", \"idleTimeout\": \" 5min \", "
		   "\"heartbeatTimeoutInSecond\": \"60\"}",
		   "pyspark 3600000 300000 60");
	session_is("{\"kind\": \"scala\", \"idleTimeout\": \"0\", "
		   "\"heartbeatTimeoutInSecond\": 0, \"name\": null}", "spark -1 0 0");
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
	session_refused("{\"name\": \"a\\u0000b\"}", "(NUL) is not allowed");
	session_refused("{\"conf\": {\"spark.x\": \"a\\u0000\"}}", "(NUL) is not allowed");
	session_refused("{\"file\": \"/jobs/a.py\"}", "Unrecognized field \"file\" (class "
			"org.apache.livy.server.interactive.CreateInteractiveRequest), not marked as "
			"ignorable (17 known properties: ");
	session_refused("{\"name\": \"42\"}", "Invalid session name: 42");
	session_refused("{\"conf\": {\"spark.master\": \"yarn\"}}", "Blacklisted configuration values");
	session_refused("{\"jars\": [\"/etc/x.jar\"]}", "Local path /etc/x.jar");
	session_refused("{'kind': 'pyspark'}", "Malformed JSON");
	session_refused("{\"kind\": \"pyspark\",}", "Malformed JSON");
	session_refused("{\"conf\": {\"spark.x=y\": \"1\"}}", "Invalid configuration key");
	session_refused("{\"pyFiles\": [\"local:/etc/x.py\"]}", "Local path /etc/x.py");
	{       /* the small bodies (statements, completion) are as strict */
		static const char *const keys[] = {"code", "kind", "cursor"};
		static const char *const bad[] = {
			"{'code': '1'}", "{\"code\": \"1\",}", "{\"code\": \"\xff\"}",
			"{\"code\": \"1\", \"kind\\u0000x\": \"sql\"}", "{\"code\": \"1\", \"cursor\": NaN}",
		};
		json_object *o;
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			o = reqbody_object(bad[i], strlen(bad[i]), "C", keys, 3, msg, sizeof msg);
			CHECK(o == NULL && strstr(msg, "Malformed JSON"));
			json_object_put(o);
		}
		o = reqbody_object("{\"code\": \"1\", \"cursor\": 1}", 26, "C", keys, 3, msg, sizeof msg);
		CHECK(o != NULL);
		json_object_put(o);
	}

	/* the driver: repl.py with its callback; a default request fits the pool */
	snprintf(d.script, sizeof d.script, "/opt/tacitus/app/repl.py");
	snprintf(d.callback_url, sizeof d.callback_url, "https://127.0.0.1:8998/driver");
	snprintf(d.callback_cafile, sizeof d.callback_cafile, "/var/ca.crt");
	CHECK(argv_pool_setup(&c, &d) == 0);
	CHECK_STR(d.pool, "[\"--name\",\"livy-session\",\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\","
		  "\"\\/opt\\/tacitus\\/app\\/repl.py\",\"--callback\","
		  "\"https:\\/\\/127.0.0.1:8998\\/driver\",\"--cafile\",\"\\/var\\/ca.crt\","
		  "\"--secret-file\",\"driver.secret\"]");
	CHECK(parse_session("{\"kind\": \"spark\", \"name\": \"nb\"}", &r, msg, sizeof msg) == 0);
	a = argv_driver(&r, &c, &d);
	CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		  "[\"--name\",\"nb\",\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.ui.enabled=false\",\"--conf\",\"spark.master=local\",\"/opt/tacitus/app/repl.py\","
		  "\"--callback\",\"https://127.0.0.1:8998/driver\",\"--cafile\",\"/var/ca.crt\","
		  "\"--secret-file\",\"driver.secret\"]");
	CHECK(argv_fits_pool(a, &d));                       /* its name aside, the pool's */
	json_object_put(a);
	reqbody_free(&r);
	CHECK(parse_session("{\"driverMemory\": \"2g\"}", &r, msg, sizeof msg) == 0);
	a = argv_driver(&r, &c, &d);
	CHECK(!argv_fits_pool(a, &d));
	json_object_put(a);
	reqbody_free(&r);
	CHECK(parse_session("{}", &r, msg, sizeof msg) == 0);
	a = argv_driver(&r, &c, &d);
	CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN), d.pool);
	json_object_put(a);
	reqbody_free(&r);
	d.pool_tail[0] = '\0';                              /* no pool: nothing fits */
	CHECK(parse_session("{}", &r, msg, sizeof msg) == 0);
	a = argv_driver(&r, &c, &d);
	CHECK(!argv_fits_pool(a, &d));
	json_object_put(a);
	reqbody_free(&r);

	/* a standalone cluster in cluster mode: a session's driver runs here (client mode,
	 * no UI here), its executors on the cluster */
	snprintf(c.spark_master, sizeof c.spark_master, "spark://m:7077");
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "cluster");
	CHECK(parse_session("{\"kind\": \"pyspark\"}", &r, msg, sizeof msg) == 0);
	a = argv_driver(&r, &c, &d);
	CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		  "[\"--name\",\"livy-session\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.master=spark://m:7077\","
		  "\"--conf\",\"spark.submit.deployMode=client\",\"--conf\",\"spark.ui.enabled=false\",\"/opt/tacitus/app/repl.py\","
		  "\"--callback\",\"https://127.0.0.1:8998/driver\",\"--cafile\",\"/var/ca.crt\","
		  "\"--secret-file\",\"driver.secret\"]");
	json_object_put(a);
	reqbody_free(&r);

	/* YARN in cluster mode: the driver runs in the application master; its secret and
	 * the CA file travel with it, after the user's files, and it names them there */
	snprintf(c.spark_master, sizeof c.spark_master, "yarn");
	CHECK(argv_driver_on_yarn(&c));
	CHECK(parse_session("{\"kind\": \"pyspark\", \"files\": [\"/jobs/a.txt\"]}", &r, msg,
			    sizeof msg) == 0);
	a = argv_driver(&r, &c, &d);
	CHECK_STR(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
		  "[\"--name\",\"livy-session\",\"--conf\",\"spark.files=/jobs/a.txt,driver.secret,/var/ca.crt\","
		  "\"--conf\",\"spark.authenticate=true\",\"--conf\",\"spark.ui.killEnabled=false\",\"--conf\",\"spark.master=yarn\","
		  "\"--conf\",\"spark.submit.deployMode=cluster\",\"--conf\",\"spark.yarn.submit.waitAppCompletion=false\","
		  "\"--conf\",\"spark.yarn.maxAppAttempts=1\",\"/opt/tacitus/app/repl.py\",\"--callback\",\"https://127.0.0.1:8998/driver\",\"--cafile\",\"ca.crt\","
		  "\"--secret-file\",\"driver.secret\"]");
	json_object_put(a);
	reqbody_free(&r);
	snprintf(c.deploy_mode, sizeof c.deploy_mode, "client");
	CHECK(!argv_driver_on_yarn(&c));
	snprintf(c.spark_master, sizeof c.spark_master, "local");
	c.deploy_mode[0] = '\0';
	CHECK(!argv_driver_on_yarn(&c));
}
