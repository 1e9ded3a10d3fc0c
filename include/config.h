/* config.h - livy.conf and spark-blacklist.conf: the settings Tacitus honours.
 *
 * The module owns struct cfg: it reads LIVY_CONF_DIR/livy.conf (Java-properties
 * style, "key = value" or "key value", '#' and '!' comments), checks every value,
 * warns about keys it does not know and refuses values it cannot use, naming the
 * key.  Nothing else in Tacitus parses livy.conf.
 */
#ifndef TACITUS_CONFIG_H
#define TACITUS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define CFG_MAX_LIST 32
#define CFG_ENV_NAME_MAX 128           /* an entry of tacitus.job.env-allow */

struct cfg {
	char spark_master[256];        /* livy.spark.master (local) */
	char deploy_mode[32];          /* livy.spark.deploy-mode ("" = not set) */
	char spark_home[1024];         /* livy.server.spark-home, else $SPARK_HOME */
	long state_retain_sec;         /* livy.server.session.state-retain.sec (600) */
	long max_creation;             /* livy.server.session.max-creation (100) */
	bool impersonation;            /* livy.impersonation.enabled (false) */
	bool allow_custom_classpath;   /* livy.server.session.allow-custom-classpath */
	int n_whitelist;               /* livy.file.local-dir-whitelist */
	char whitelist[CFG_MAX_LIST][1024];
	struct cfg_keys {              /* spark-blacklist.conf, beside the built-in keys:
					  as long as the file, sorted (cfg_free releases it) */
		size_t n, cap;
		char **key;
	} blacklist;
	int n_file_list_keys;          /* livy.spark.file-list-configs */
	char file_list_keys[CFG_MAX_LIST][128];
	/* interactive sessions */
	bool timeout_check;            /* livy.server.session.timeout-check (true) */
	bool timeout_skip_busy;        /* livy.server.session.timeout-check.skip-busy (false) */
	long long session_timeout_ms;  /* livy.server.session.timeout (1h) */
	bool ttl_check;                /* livy.server.session.ttl-check (false) */
	long long session_ttl_ms;      /* livy.server.session.ttl (8h) */
	long max_per_user;             /* tacitus.session.max-per-user: jobs of one user
					  starting or running at once (0 = no limit) */
	long long driver_silence_ms;   /* tacitus.session.driver-silence: a session whose
					  driver has not synced for this long is stopped, and
					  ends dead with that reason (120s; 0 = never) */
	long warm_pool;                /* tacitus.session.warm-pool: pyspark drivers kept
					  started on a local master (1; 0 = none) */
	long history_keep_days;        /* tacitus.history.keep-days: finished jobs older
					  than this are purged, logs and all (0 = kept for ever) */
	int n_job_env_allow;           /* tacitus.job.env-allow: variables a job gets beside
					  the built-in list (jobenv.h); "NAME" or "PREFIX*" */
	char job_env_allow[CFG_MAX_LIST][CFG_ENV_NAME_MAX];
	/* YARN (livy.spark.master = yarn) */
	char yarn_rm_urls[1024];       /* tacitus.yarn.rm-urls: the ResourceManagers' web
					  addresses, a comma list ("" = from yarn-site.xml) */
	long long yarn_lookup_timeout_ms;  /* livy.server.yarn.app-lookup-timeout (120s) */
	long long yarn_poll_ms;        /* livy.server.yarn.poll-interval (5s) */
	long long yarn_leak_timeout_ms;    /* livy.server.yarn.app-leakage.check-timeout (600s) */
	long long yarn_leak_interval_ms;   /* livy.server.yarn.app-leakage.check-interval (60s) */
	/* Spark standalone (livy.spark.master = spark://... in cluster deploy mode) */
	long sa_rest_port;             /* tacitus.standalone.rest-port: each master's REST
					  submission server (6066, Spark's spark.master.rest.port) */
	long sa_ui_port;               /* tacitus.standalone.ui-port: each master's web UI,
					  where its workers' UIs are listed (8080) */
	long long sa_poll_ms;          /* tacitus.standalone.poll-interval: a driver's status
					  is asked for this often (2s) */
	/* completion webhooks (hook.h) */
	int n_hook_urls;               /* tacitus.webhook.urls: every job's end is POSTed to
					  these, beside its own callbackUrl */
	char hook_urls[CFG_MAX_LIST][1024];
	int n_hook_hosts;              /* tacitus.webhook.allowed-hosts: the hosts a
					  callbackUrl may name (none: callbackUrl refused) */
	char hook_hosts[CFG_MAX_LIST][256];
	char hook_secret[256];         /* tacitus.webhook.secret: the signing key, Standard
					  Webhooks' whsec_<base64> or plain text ("" = unsigned) */
	long long hook_retry_ms;       /* tacitus.webhook.retry-for: a delivery is tried
					  again for this long (1d) */
	long long hook_timeout_ms;     /* tacitus.webhook.timeout: one attempt (5s) */
	long long push_wait_max_ms;    /* tacitus.push.wait-max: a client's wait=N at most
					  (60s; 0 = waits off; push.h) */
	bool csrf;                     /* livy.server.csrf-protection.enabled */
	bool access_control;           /* livy.server.access-control.enabled */
	struct cfg_users {             /* user lists; "*" = everybody */
		int n;
		char name[CFG_MAX_LIST][1024];
	} allowed_users, view_users, modify_users, superusers;
};

/* Fill *c with Livy's defaults (spark_home from $SPARK_HOME, the built-in blacklist).
 * *c holds nothing to release yet: call cfg_free before filling a used one again. */
void cfg_defaults(struct cfg *c);

/* Release what cfg_parse_blacklist allocated; *c then holds the defaults' blacklist. */
void cfg_free(struct cfg *c);

/* Apply the text of a livy.conf to *c.  `origin` names the text in messages.
 * Unknown keys are logged as warnings ("origin:line: unknown key ...").  Returns
 * 0, or -1 after writing a message that names the line, the key and the bad value
 * into err (size errlen), e.g. "livy.conf:3: livy.server.session.max-creation:
 * expected a whole number >= 1, got 'lots'".  Pure: no I/O but logging. */
int cfg_parse_livy_conf(struct cfg *c, const char *text, const char *origin,
			char *err, size_t errlen);

/* Apply the text of a spark-blacklist.conf: one Spark key per line ('#' comments,
 * blank lines), as many as it has.  Returns 0, or -1 after writing into err a message
 * that names the line ("origin:line: ...") of an entry that is not a Spark key (it could
 * never match one) or that memory ran out: a start must not go on with less than the
 * file says. */
int cfg_parse_blacklist(struct cfg *c, const char *text, const char *origin,
			char *err, size_t errlen);

/* Load the configuration: defaults, then $LIVY_CONF_DIR/livy.conf and
 * $LIVY_CONF_DIR/spark-blacklist.conf when they exist.  Returns 0, or -1 after
 * logging why (a message naming the key for an invalid value). */
int cfg_load(struct cfg *c);

/* Who tracks the jobs accepted under c: "yarn" when livy.spark.master is yarn (the
 * ResourceManager says how they end), "standalone" when it is spark://... in cluster
 * deploy mode (the master runs the driver and says how it ends), else "local" (their
 * spark-submit process does). */
const char *cfg_tracker(const struct cfg *c);

/* True when `key` is blacklisted for user requests (built in, or in the file). */
bool cfg_is_blacklisted(const struct cfg *c, const char *key);

#endif
