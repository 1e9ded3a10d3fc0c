/* test_config.c - livy.conf parsing: values, errors that name the key, the blacklist. */
#include "config.h"
#include "unit.h"

void test_config(void)
{
	struct cfg c;
	char err[512];

	cfg_defaults(&c);
	CHECK_STR(c.spark_master, "local");
	CHECK(c.state_retain_sec == 600 && c.max_creation == 100 && c.n_whitelist == 0);
	CHECK(cfg_is_blacklisted(&c, "spark.master"));
	CHECK(cfg_is_blacklisted(&c, "spark.submit.proxyUser.allowCustomClasspathInClusterMode"));
	CHECK(!cfg_is_blacklisted(&c, "spark.executor.memory"));

	CHECK(cfg_parse_livy_conf(&c,
		"# comment\n! also a comment\n"
		"livy.spark.master = yarn\n"
		"livy.spark.deploy-mode cluster\n"
		"livy.server.session.state-retain.sec = 10m\n"
		"livy.server.session.max-creation=7\n"
		"livy.file.local-dir-whitelist = /data/a, /data/b\n"
		"livy.server.recovery.mode = recovery\n"
		"livy.some.unknown.key = 1\n", "test", err, sizeof err) == 0);
	CHECK_STR(c.spark_master, "yarn");
	CHECK_STR(c.deploy_mode, "cluster");
	CHECK(c.state_retain_sec == 600);
	CHECK(c.max_creation == 7);
	CHECK(c.n_whitelist == 2);
	CHECK_STR(c.whitelist[1], "/data/b");

	cfg_defaults(&c);
	CHECK(cfg_parse_livy_conf(&c, "# limits\n\nlivy.server.session.max-creation = lots\n", "t",
				  err, sizeof err) == -1);
	CHECK_STR(err, "t:3: livy.server.session.max-creation: expected a whole number >= 1, "
		  "got 'lots'");
	CHECK(cfg_parse_livy_conf(&c, "livy.spark.deploy-mode = sideways\n", "t", err, sizeof err) == -1);
	CHECK(strstr(err, "livy.spark.deploy-mode") != NULL);
	CHECK(cfg_parse_livy_conf(&c, "livy.file.local-dir-whitelist = relative/dir\n", "t", err,
				  sizeof err) == -1);
	CHECK(strstr(err, "livy.file.local-dir-whitelist") != NULL);
	CHECK(cfg_parse_livy_conf(&c, "livy.server.session.state-retain.sec = 1x\n", "t", err,
				  sizeof err) == -1);
	CHECK(strstr(err, "Invalid suffix") != NULL);
	CHECK(cfg_parse_livy_conf(&c, "livy.impersonation.enabled = maybe\n", "t", err, sizeof err) == -1);
	CHECK(c.max_per_user == 0);                         /* no per-user limit by default */
	CHECK(cfg_parse_livy_conf(&c, "tacitus.session.max-per-user = 3\n", "t", err, sizeof err) == 0);
	CHECK(c.max_per_user == 3);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.session.max-per-user = -1\n", "t", err, sizeof err) == -1);
	CHECK(c.history_keep_days == 0);                    /* history kept for ever by default */
	CHECK(cfg_parse_livy_conf(&c, "tacitus.history.keep-days = 30\n", "t", err, sizeof err) == 0);
	CHECK(c.history_keep_days == 30);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.history.keep-days = -1\n", "t", err, sizeof err) == -1);

	/* a driver's silence before its session is stopped */
	cfg_defaults(&c);
	CHECK(c.driver_silence_ms == 120000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.session.driver-silence = 30s\n", "t", err,
				  sizeof err) == 0);
	CHECK(c.driver_silence_ms == 30000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.session.driver-silence = 0\n", "t", err,
				  sizeof err) == 0);
	CHECK(c.driver_silence_ms == 0);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.session.driver-silence = a while\n", "t", err,
				  sizeof err) == -1);

	/* YARN: the tracker follows the master; Livy's look-up and poll times */
	cfg_defaults(&c);
	CHECK_STR(cfg_tracker(&c), "local");
	CHECK(c.yarn_lookup_timeout_ms == 120000 && c.yarn_poll_ms == 5000 && !c.yarn_rm_urls[0]);
	CHECK(c.yarn_leak_timeout_ms == 600000 && c.yarn_leak_interval_ms == 60000);
	CHECK(cfg_parse_livy_conf(&c, "livy.spark.master = yarn\n"
				  "livy.server.yarn.app-lookup-timeout = 30s\n"
				  "livy.server.yarn.poll-interval = 500ms\n"
				  "livy.server.yarn.app-leakage.check-timeout = 5m\n"
				  "livy.server.yarn.app-leakage.check-interval = 2s\n"
				  "tacitus.yarn.rm-urls = http://rm1:8088,http://rm2:8088\n", "t", err,
				  sizeof err) == 0);
	CHECK_STR(cfg_tracker(&c), "yarn");
	CHECK(c.yarn_lookup_timeout_ms == 30000 && c.yarn_poll_ms == 500);
	CHECK(c.yarn_leak_timeout_ms == 300000 && c.yarn_leak_interval_ms == 2000);
	CHECK_STR(c.yarn_rm_urls, "http://rm1:8088,http://rm2:8088");
	CHECK(cfg_parse_livy_conf(&c, "livy.server.yarn.poll-interval = 0\n", "t", err,
				  sizeof err) == -1);
	CHECK_STR(err, "t:1: livy.server.yarn.poll-interval: expected at least 100ms, got '0'");
	CHECK(cfg_parse_livy_conf(&c, "livy.server.yarn.app-lookup-timeout = soon\n", "t", err,
				  sizeof err) == -1);
	CHECK(strstr(err, "livy.server.yarn.app-lookup-timeout") != NULL);

	/* standalone: cluster deploy mode on a spark:// master; the ports and the poll */
	cfg_defaults(&c);
	CHECK(c.sa_rest_port == 6066 && c.sa_ui_port == 8080 && c.sa_poll_ms == 2000);
	CHECK(cfg_parse_livy_conf(&c, "livy.spark.master = spark://m1:7077,m2:7077\n", "t", err,
				  sizeof err) == 0);
	CHECK_STR(cfg_tracker(&c), "local");     /* client mode: the driver runs here */
	CHECK(cfg_parse_livy_conf(&c, "livy.spark.deploy-mode = cluster\n"
				  "tacitus.standalone.rest-port = 16066\n"
				  "tacitus.standalone.ui-port = 18080\n"
				  "tacitus.standalone.poll-interval = 1s\n", "t", err, sizeof err) == 0);
	CHECK_STR(cfg_tracker(&c), "standalone");
	CHECK(c.sa_rest_port == 16066 && c.sa_ui_port == 18080 && c.sa_poll_ms == 1000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.standalone.rest-port = 65536\n", "t", err,
				  sizeof err) == -1);
	CHECK_STR(err, "t:1: tacitus.standalone.rest-port: expected a port (1 to 65535), got '65536'");
	CHECK(cfg_parse_livy_conf(&c, "tacitus.standalone.ui-port = 0\n", "t", err,
				  sizeof err) == -1);

	/* completion webhooks: none by default; URLs http(s) only */
	cfg_defaults(&c);
	CHECK(c.n_hook_urls == 0 && c.n_hook_hosts == 0 && c.hook_secret[0] == '\0');
	CHECK(c.hook_retry_ms == 86400000 && c.hook_timeout_ms == 5000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.urls = https://a.example/h, http://b:8/x\n"
				  "tacitus.webhook.allowed-hosts = a.example 127.0.0.1\n"
				  "tacitus.webhook.secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
				  "tacitus.webhook.retry-for = 1h\n"
				  "tacitus.webhook.timeout = 500ms\n", "t", err, sizeof err) == 0);
	CHECK(c.n_hook_urls == 2 && !strcmp(c.hook_urls[1], "http://b:8/x"));
	CHECK(c.n_hook_hosts == 2 && !strcmp(c.hook_hosts[1], "127.0.0.1"));
	CHECK_STR(c.hook_secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	CHECK(c.hook_retry_ms == 3600000 && c.hook_timeout_ms == 500);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.urls = ftp://a.example/h\n", "t", err,
				  sizeof err) == -1);
	CHECK_STR(err, "t:1: tacitus.webhook.urls: 'ftp://a.example/h' is not an http(s) URL");
	CHECK(c.n_hook_urls == 0);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.timeout = 10ms\n", "t", err,
				  sizeof err) == -1);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.secret = whsec_abc\n", "t", err,
				  sizeof err) == -1);
	CHECK(strstr(err, "base64") != NULL);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.secret = whsec_ab=c\n", "t", err,
				  sizeof err) == -1);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.secret = whsec_YWJj\n", "t", err,
				  sizeof err) == 0);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.webhook.secret = plain words\n", "t", err,
				  sizeof err) == 0);

	/* waiting clients: 60 s by default, 0 turns waits off, a day at most */
	cfg_defaults(&c);
	CHECK(c.push_wait_max_ms == 60000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.push.wait-max = 0s\n", "t", err, sizeof err) == 0);
	CHECK(c.push_wait_max_ms == 0);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.push.wait-max = 5m\n", "t", err, sizeof err) == 0);
	CHECK(c.push_wait_max_ms == 300000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.push.wait-max = 24h\n", "t", err, sizeof err) == 0);
	CHECK(c.push_wait_max_ms == 86400000);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.push.wait-max = 86401s\n", "t", err, sizeof err)
	      == -1);
	CHECK_STR(err, "t:1: tacitus.push.wait-max: at most 86400s, got '86401s'");

	cfg_defaults(&c);
	CHECK(cfg_parse_blacklist(&c, "# keys\nspark.custom.key\n\n  spark.master \r\n", "bl", err,
				  sizeof err) == 0);
	CHECK(cfg_is_blacklisted(&c, "spark.custom.key"));
	CHECK(c.blacklist.n == 2);                          /* beside the 6 built-in keys */
	/* an entry that is no Spark key could never match one: the start stops */
	CHECK(cfg_parse_blacklist(&c, "spark.a\nspark.b # no inline comments\n", "bl", err,
				  sizeof err) == -1);
	CHECK_STR(err, "bl:2: 'spark.b # no inline comments' is not a Spark configuration key "
		  "(a letter, then letters, digits, '.', '_', '-' or '/')");
	cfg_free(&c);
	CHECK(c.blacklist.n == 0 && cfg_is_blacklisted(&c, "spark.master"));
	c.allow_custom_classpath = true;
	CHECK(!cfg_is_blacklisted(&c, "spark.submit.proxyUser.allowCustomClasspathInClusterMode"));

	/* a blacklist of any length, with keys of any length, is honoured to its last key */
	{
		static char text[200000];
		char key[64];
		size_t n = 0;

		cfg_defaults(&c);
		for (int i = 0; i < 5000; i++)
			n += (size_t)snprintf(text + n, sizeof text - n, "spark.blocked.k%d\n", i);
		n += (size_t)snprintf(text + n, sizeof text - n, "spark.%0200d\n", 7);
		CHECK(cfg_parse_blacklist(&c, text, "bl", err, sizeof err) == 0);
		CHECK(cfg_is_blacklisted(&c, "spark.blocked.k0"));
		CHECK(cfg_is_blacklisted(&c, "spark.blocked.k40"));
		CHECK(cfg_is_blacklisted(&c, "spark.blocked.k4999"));
		snprintf(key, sizeof key, "spark.blocked.k%d", 5000);
		CHECK(!cfg_is_blacklisted(&c, key));
		snprintf(text, sizeof text, "spark.%0200d", 7);
		CHECK(cfg_is_blacklisted(&c, text));
		text[120] = '\0';       /* a prefix of a blacklisted key is another key */
		CHECK(!cfg_is_blacklisted(&c, text));
		CHECK(cfg_is_blacklisted(&c, "spark.master"));
		cfg_free(&c);
	}
}
