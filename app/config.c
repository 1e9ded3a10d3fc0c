/* config.c - livy.conf and spark-blacklist.conf. */
#include "config.h"
#include "jobenv.h"
#include "livy.h"
#include "log.h"
#include "push.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CFG_MSG_MAX 512             /* one error message about a key */
#define CFG_ORIGIN_MAX 1100         /* "<path of livy.conf>:<line>" */
#define CFG_PATH_MAX 1200
#define YARN_MIN_MS 100             /* the YARN times: no busy loop on the RM */

static const char *builtin_blacklist[] = {
	"spark.master", "spark.submit.deployMode", "spark.yarn.jar", "spark.yarn.jars",
	"spark.yarn.archive", "livy.rsc.server.idle-timeout",
};

/* Livy keys that are accepted for compatibility and have no effect here. */
static const char *ignored_keys[] = {
	"livy.server.host", "livy.server.port", "livy.keystore", "livy.keystore.password",
	"livy.key-password", "livy.keystore.type", "livy.server.request-header.size",
	"livy.server.response-header.size", "livy.server.send-server-version",
	"livy.environment", "livy.spark.version", "livy.spark.scala-version",
	"livy.spark.scalaVersion", "livy.server.heartbeat-watchdog.interval",
	"livy.session.staging-dir",
	"livy.file.upload.max.size", "livy.cache-log.size", "livy.server.recovery.mode",
	"livy.server.recovery.state-store", "livy.server.recovery.state-store.url",
	"livy.server.zookeeper.url", "livy.server.security-headers.enabled",
	"livy.server.auth.type", "livy.server.request-log-retain.days", "livy.ui.enabled",
	"livy.ui.basePath", "livy.repl.enable-hive-context", "livy.rsc.retained-statements",
	"livy.rsc.sql.num-rows", "livy.rsc.jars", "livy.repl.jars", "livy.pyspark.archives",
};

void cfg_defaults(struct cfg *c)
{
	const char *home = getenv("SPARK_HOME");

	memset(c, 0, sizeof *c);
	snprintf(c->spark_master, sizeof c->spark_master, "local");
	snprintf(c->spark_home, sizeof c->spark_home, "%s", home ? home : "");
	c->state_retain_sec = 600;
	c->max_creation = 100;
	c->timeout_check = true;
	c->session_timeout_ms = 3600LL * 1000;
	c->session_ttl_ms = 8 * 3600LL * 1000;
	c->warm_pool = 1;
	c->driver_silence_ms = 120 * 1000;
	c->yarn_lookup_timeout_ms = 120 * 1000;
	c->yarn_poll_ms = 5 * 1000;
	c->yarn_leak_timeout_ms = 600 * 1000;
	c->yarn_leak_interval_ms = 60 * 1000;
	c->sa_rest_port = 6066;
	c->sa_ui_port = 8080;
	c->sa_poll_ms = 2000;
	c->hook_retry_ms = 86400000;
	c->hook_timeout_ms = 5000;
	c->push_wait_max_ms = 60000;
	c->allowed_users.n = 1;
	snprintf(c->allowed_users.name[0], sizeof c->allowed_users.name[0], "*");
}

void cfg_free(struct cfg *c)
{
	for (size_t i = 0; i < c->blacklist.n; i++)
		free(c->blacklist.key[i]);
	free(c->blacklist.key);
	memset(&c->blacklist, 0, sizeof c->blacklist);
}

static int set_bool(bool *dst, const char *key, const char *v, char *err, size_t errlen)
{
	if (!strcasecmp(v, "true"))
		*dst = true;
	else if (!strcasecmp(v, "false"))
		*dst = false;
	else {
		snprintf(err, errlen, "%s: expected true or false, got '%s'", key, v);
		return -1;
	}
	return 0;
}

static int set_str(char *dst, size_t len, const char *key, const char *v, char *err,
		   size_t errlen)
{
	if (strlen(v) >= len) {
		snprintf(err, errlen, "%s: value longer than %zu bytes", key, len - 1);
		return -1;
	}
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

/* Split a comma/space separated list into fixed slots. */
static int set_list(char (*dst)[1024], int *n, const char *key, const char *v,
		    bool want_abs_dir, char *err, size_t errlen)
{
	char buf[4096], *save = NULL;

	*n = 0;
	if (set_str(buf, sizeof buf, key, v, err, errlen) < 0)
		return -1;
	for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		char real[PATH_MAX];
		if (*n == CFG_MAX_LIST) {
			snprintf(err, errlen, "%s: more than %d entries", key, CFG_MAX_LIST);
			return -1;
		}
		if (want_abs_dir && tok[0] != '/') {
			snprintf(err, errlen, "%s: '%s' is not an absolute path", key, tok);
			return -1;
		}
		if (want_abs_dir && realpath(tok, real))
			tok = real;
		if (set_str(dst[(*n)++], 1024, key, tok, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* set_list into *n strings of width bytes each from dst, each one first put to
 * check (NULL = none), which answers -1 with the message in err when it refuses it;
 * *n is 0 after a refusal. */
static int set_checked_list(char *dst, size_t width, int *n, const char *key, const char *v,
			    int (*check)(const char *, const char *, char *, size_t), char *err,
			    size_t errlen)
{
	char tmp[CFG_MAX_LIST][1024];

	if (set_list(tmp, n, key, v, false, err, errlen) < 0)
		return -1;
	for (int i = 0; i < *n; i++)
		if ((check && check(key, tmp[i], err, errlen) < 0) ||
		    set_str(dst + (size_t)i * width, width, key, tmp[i], err, errlen) < 0) {
			*n = 0;
			return -1;
		}
	return 0;
}

/* A tacitus.job.env-allow entry: a name or a prefix (jobenv.h). */
static int env_pattern(const char *key, const char *item, char *err, size_t errlen)
{
	const char *why = jobenv_pattern_error(item);

	if (why)
		snprintf(err, errlen, "%s: '%.200s': %s", key, item, why);
	return why ? -1 : 0;
}

/* A tacitus.webhook.urls entry: an http(s) URL. */
static int http_url(const char *key, const char *item, char *err, size_t errlen)
{
	if (!strncmp(item, "http://", 7) || !strncmp(item, "https://", 8))
		return 0;
	snprintf(err, errlen, "%s: '%.200s' is not an http(s) URL", key, item);
	return -1;
}

static int set_long(long *dst, const char *key, const char *v, long min, char *err,
		    size_t errlen)
{
	char *end;
	long x;

	errno = 0;
	x = strtol(v, &end, 10);
	if (errno || end == v || *end || x < min) {
		snprintf(err, errlen, "%s: expected a whole number >= %ld, got '%s'", key, min, v);
		return -1;
	}
	*dst = x;
	return 0;
}

/* A TCP port: 1 to 65535. */
static int set_port(long *dst, const char *key, const char *v, char *err, size_t errlen)
{
	long x;

	if (set_long(&x, key, v, 1, err, errlen) < 0)
		return -1;
	if (x > 65535) {
		snprintf(err, errlen, "%s: expected a port (1 to 65535), got '%s'", key, v);
		return -1;
	}
	*dst = x;
	return 0;
}

/* A Livy time string ("120s", "10m", ...) of at least min_ms, into *dst in ms. */
static int set_ms(long long *dst, const char *key, const char *v, long long min_ms, char *err,
		  size_t errlen)
{
	char msg[CFG_MSG_MAX];
	long long ms;

	if (livy_parse_time_ms(v, &ms, msg, sizeof msg) < 0) {
		snprintf(err, errlen, "%s: %s", key, msg);
		return -1;
	}
	if (ms < min_ms) {
		snprintf(err, errlen, "%s: expected at least %lldms, got '%s'", key, min_ms, v);
		return -1;
	}
	*dst = ms;
	return 0;
}

/* True when s is base64 text (RFC 4648, padded): what Standard Webhooks' whsec_
 * secrets hold. */
static bool base64_text(const char *s)
{
	size_t n = strlen(s);
	size_t data = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789+/");

	return n > 0 && n % 4 == 0 && n - data <= 2 && strspn(s + data, "=") == n - data;
}

static int cfg_set(struct cfg *c, const char *key, const char *v, const char *where,
		   char *err, size_t errlen)
{
	if (!strcmp(key, "livy.spark.master")) {
		if (!*v) {
			snprintf(err, errlen, "%s: must not be empty", key);
			return -1;
		}
		return set_str(c->spark_master, sizeof c->spark_master, key, v, err, errlen);
	}
	if (!strcmp(key, "livy.spark.deploy-mode") || !strcmp(key, "livy.spark.deployMode")) {
		if (*v && strcmp(v, "client") && strcmp(v, "cluster")) {
			snprintf(err, errlen, "%s: expected client or cluster, got '%s'", key, v);
			return -1;
		}
		return set_str(c->deploy_mode, sizeof c->deploy_mode, key, v, err, errlen);
	}
	if (!strcmp(key, "livy.server.spark-home"))
		return set_str(c->spark_home, sizeof c->spark_home, key, v, err, errlen);
	if (!strcmp(key, "livy.server.session.state-retain.sec")) {
		long long ms;
		if (set_ms(&ms, key, v, 0, err, errlen) < 0)
			return -1;
		c->state_retain_sec = (long)(ms / 1000);
		return 0;
	}
	if (!strcmp(key, "livy.server.session.timeout-check"))
		return set_bool(&c->timeout_check, key, v, err, errlen);
	if (!strcmp(key, "livy.server.session.timeout-check.skip-busy"))
		return set_bool(&c->timeout_skip_busy, key, v, err, errlen);
	if (!strcmp(key, "livy.server.session.ttl-check"))
		return set_bool(&c->ttl_check, key, v, err, errlen);
	if (!strcmp(key, "livy.server.session.timeout"))
		return set_ms(&c->session_timeout_ms, key, v, 0, err, errlen);
	if (!strcmp(key, "livy.server.session.ttl"))
		return set_ms(&c->session_ttl_ms, key, v, 0, err, errlen);
	if (!strcmp(key, "livy.server.yarn.app-lookup-timeout"))
		return set_ms(&c->yarn_lookup_timeout_ms, key, v, YARN_MIN_MS, err, errlen);
	if (!strcmp(key, "livy.server.yarn.poll-interval"))
		return set_ms(&c->yarn_poll_ms, key, v, YARN_MIN_MS, err, errlen);
	if (!strcmp(key, "livy.server.yarn.app-leakage.check-timeout"))
		return set_ms(&c->yarn_leak_timeout_ms, key, v, YARN_MIN_MS, err, errlen);
	if (!strcmp(key, "livy.server.yarn.app-leakage.check-interval"))
		return set_ms(&c->yarn_leak_interval_ms, key, v, YARN_MIN_MS, err, errlen);
	if (!strcmp(key, "tacitus.yarn.rm-urls"))
		return set_str(c->yarn_rm_urls, sizeof c->yarn_rm_urls, key, v, err, errlen);
	if (!strcmp(key, "tacitus.standalone.rest-port"))
		return set_port(&c->sa_rest_port, key, v, err, errlen);
	if (!strcmp(key, "tacitus.standalone.ui-port"))
		return set_port(&c->sa_ui_port, key, v, err, errlen);
	if (!strcmp(key, "tacitus.standalone.poll-interval"))
		return set_ms(&c->sa_poll_ms, key, v, YARN_MIN_MS, err, errlen);
	if (!strcmp(key, "tacitus.webhook.urls"))
		return set_checked_list(c->hook_urls[0], sizeof c->hook_urls[0], &c->n_hook_urls, key,
					v, http_url, err, errlen);
	if (!strcmp(key, "tacitus.webhook.allowed-hosts"))
		return set_checked_list(c->hook_hosts[0], sizeof c->hook_hosts[0], &c->n_hook_hosts,
					key, v, NULL, err, errlen);
	if (!strcmp(key, "tacitus.webhook.secret")) {
		if (!strncmp(v, "whsec_", 6) && !base64_text(v + 6)) {
			snprintf(err, errlen, "%s: whsec_ must be followed by the key in base64", key);
			return -1;
		}
		return set_str(c->hook_secret, sizeof c->hook_secret, key, v, err, errlen);
	}
	if (!strcmp(key, "tacitus.webhook.retry-for"))
		return set_ms(&c->hook_retry_ms, key, v, 0, err, errlen);
	if (!strcmp(key, "tacitus.webhook.timeout"))
		return set_ms(&c->hook_timeout_ms, key, v, 100, err, errlen);
	if (!strcmp(key, "tacitus.push.wait-max")) {
		if (set_ms(&c->push_wait_max_ms, key, v, 0, err, errlen) < 0)
			return -1;
		if (c->push_wait_max_ms > PUSH_WAIT_MAX_S * 1000LL) {
			snprintf(err, errlen, "%s: at most %ds, got '%s'", key, PUSH_WAIT_MAX_S, v);
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "tacitus.session.driver-silence"))
		return set_ms(&c->driver_silence_ms, key, v, 0, err, errlen);
	if (!strcmp(key, "tacitus.session.max-per-user"))
		return set_long(&c->max_per_user, key, v, 0, err, errlen);
	if (!strcmp(key, "tacitus.session.warm-pool"))
		return set_long(&c->warm_pool, key, v, 0, err, errlen);
	if (!strcmp(key, "tacitus.history.keep-days"))
		return set_long(&c->history_keep_days, key, v, 0, err, errlen);
	if (!strcmp(key, "tacitus.job.env-allow"))
		return set_checked_list(c->job_env_allow[0], sizeof c->job_env_allow[0],
					&c->n_job_env_allow, key, v, env_pattern, err, errlen);
	if (!strcmp(key, "livy.server.session.max-creation"))
		return set_long(&c->max_creation, key, v, 1, err, errlen);
	if (!strcmp(key, "livy.impersonation.enabled"))
		return set_bool(&c->impersonation, key, v, err, errlen);
	if (!strcmp(key, "livy.server.session.allow-custom-classpath"))
		return set_bool(&c->allow_custom_classpath, key, v, err, errlen);
	if (!strcmp(key, "livy.server.csrf-protection.enabled") ||
	    !strcmp(key, "livy.server.csrf_protection.enabled"))
		return set_bool(&c->csrf, key, v, err, errlen);
	if (!strcmp(key, "livy.server.access-control.enabled") ||
	    !strcmp(key, "livy.server.access_control.enabled"))
		return set_bool(&c->access_control, key, v, err, errlen);
	if (!strcmp(key, "livy.server.access-control.allowed-users"))
		return set_list(c->allowed_users.name, &c->allowed_users.n, key, v, false, err, errlen);
	if (!strcmp(key, "livy.server.access-control.view-users"))
		return set_list(c->view_users.name, &c->view_users.n, key, v, false, err, errlen);
	if (!strcmp(key, "livy.server.access-control.modify-users"))
		return set_list(c->modify_users.name, &c->modify_users.n, key, v, false, err, errlen);
	if (!strcmp(key, "livy.superusers"))
		return set_list(c->superusers.name, &c->superusers.n, key, v, false, err, errlen);
	if (!strcmp(key, "livy.file.local-dir-whitelist"))
		return set_list(c->whitelist, &c->n_whitelist, key, v, true, err, errlen);
	if (!strcmp(key, "livy.spark.file-list-configs"))
		return set_checked_list(c->file_list_keys[0], sizeof c->file_list_keys[0],
					&c->n_file_list_keys, key, v, NULL, err, errlen);
	for (size_t i = 0; i < sizeof ignored_keys / sizeof ignored_keys[0]; i++)
		if (!strcmp(key, ignored_keys[i]))
			return 0;
	log_warn("%s: unknown key %s ignored", where, key);
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int cfg_parse_livy_conf(struct cfg *c, const char *text, const char *origin,
			char *err, size_t errlen)
{
	char *copy = strdup(text), *next, *line;
	int lineno = 0, rc = 0;

	if (!copy) {
		snprintf(err, errlen, "%s: out of memory", origin);
		return -1;
	}
	for (line = copy; line && rc == 0; line = next) {
		char *key, *val, where[CFG_ORIGIN_MAX], what[2 * CFG_MSG_MAX];
		size_t k;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		key = trim(line);
		if (!*key || *key == '#' || *key == '!')
			continue;
		k = strcspn(key, "= \t:");
		val = key + k;
		if (*val) {
			*val++ = '\0';
			val = trim(val);
			if (*val == '=' || *val == ':')
				val = trim(val + 1);
		}
		snprintf(where, sizeof where, "%s:%d", origin, lineno);
		if (cfg_set(c, key, val, where, what, sizeof what) < 0) {
			snprintf(err, errlen, "%s: %s", where, what);
			rc = -1;
		}
	}
	free(copy);
	return rc;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append key (n bytes) to the file's blacklist; -1 when memory ran out. */
static int add_key(struct cfg_keys *l, const char *key, size_t n)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **k = realloc(l->key, cap * sizeof *k);
		if (!k)
			return -1;
		l->key = k;
		l->cap = cap;
	}
	if (!(l->key[l->n] = strndup(key, n)))
		return -1;
	l->n++;
	return 0;
}

int cfg_parse_blacklist(struct cfg *c, const char *text, const char *origin,
			char *err, size_t errlen)
{
	const char *line = text;
	int lineno = 0, rc = 0;

	for (; *line && !rc; line += strcspn(line, "\n"), line += *line == '\n') {
		size_t n = strcspn(line, "\n");
		char *k;

		lineno++;
		while (n && isspace((unsigned char)*line))
			line++, n--;
		while (n && isspace((unsigned char)line[n - 1]))
			n--;
		if (!n || *line == '#')
			continue;
		if (add_key(&c->blacklist, line, n) < 0) {
			snprintf(err, errlen, "%s:%d: out of memory", origin, lineno);
			rc = -1;
		} else if (!livy_spark_key_valid(k = c->blacklist.key[c->blacklist.n - 1])) {
			snprintf(err, errlen, "%s:%d: '%.200s' is not a Spark configuration key (%s)",
				 origin, lineno, k, LIVY_SPARK_KEY_SYNTAX);
			free(k);
			c->blacklist.n--;
			rc = -1;
		}
	}
	/* sorted, for bsearch: a request's conf keys are looked up one by one */
	if (c->blacklist.n)
		qsort(c->blacklist.key, c->blacklist.n, sizeof *c->blacklist.key, key_cmp);
	return rc;
}

const char *cfg_tracker(const struct cfg *c)
{
	if (!strncmp(c->spark_master, "yarn", 4))
		return "yarn";
	if (!strncmp(c->spark_master, "spark://", 8) && !strcmp(c->deploy_mode, "cluster"))
		return "standalone";
	return "local";
}

bool cfg_is_blacklisted(const struct cfg *c, const char *key)
{
	for (size_t i = 0; i < sizeof builtin_blacklist / sizeof builtin_blacklist[0]; i++)
		if (!strcmp(builtin_blacklist[i], key))
			return true;
	if (c->blacklist.n && bsearch(&key, c->blacklist.key, c->blacklist.n,
				      sizeof *c->blacklist.key, key_cmp))
		return true;
	if (!c->allow_custom_classpath &&
	    !strcmp(key, "spark.submit.proxyUser.allowCustomClasspathInClusterMode"))
		return true;
	return false;
}

/* Whole file into a NUL-terminated buffer; NULL if absent (errno ENOENT) or on error. */
static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (cap - len < 4096) {
			char *nb = realloc(buf, cap += 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Apply dir/name with parse when the file exists.  Returns 0, or -1 after logging
 * why (the parser's message names the file, line and key). */
static int apply_file(struct cfg *c, const char *dir, const char *name,
		      int (*parse)(struct cfg *, const char *, const char *, char *, size_t))
{
	char path[CFG_PATH_MAX], err[CFG_MSG_MAX + CFG_ORIGIN_MAX];
	char *text;
	int rc;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	text = read_file(path);
	if (!text) {
		if (errno == ENOENT)
			return 0;
		log_error("config %s: %s", path, strerror(errno));
		return -1;
	}
	rc = parse(c, text, path, err, sizeof err);
	free(text);
	if (rc < 0)
		log_error("config: %s", err);
	return rc < 0 ? -1 : 0;
}

int cfg_load(struct cfg *c)
{
	const char *dir = getenv("LIVY_CONF_DIR");

	cfg_defaults(c);
	if (!dir || !*dir)
		return 0;
	if (apply_file(c, dir, "livy.conf", cfg_parse_livy_conf) < 0 ||
	    apply_file(c, dir, "spark-blacklist.conf", cfg_parse_blacklist) < 0)
		return -1;
	if (!c->spark_home[0]) {
		log_error("config: neither livy.server.spark-home nor SPARK_HOME is set");
		return -1;
	}
	return 0;
}
