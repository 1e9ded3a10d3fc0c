/* track_yarn.c - the YARN tracker: the ResourceManager's REST API, read and parsed. */
#include "track_yarn.h"
#include "httpout.h"
#include "track.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

/* A call may hold the monitor's loop, which renews its leases (6 s) between calls:
 * each is kept well inside that. */
#define RM_CONNECT_MS 2000
#define RM_CALL_MS 4000
#define RM_ANSWER_MAX (64 * 1024 * 1024)   /* the apps of thousands of jobs */
#define RM_KILL_ANSWER_MAX 65536
#define CONF_VALUE_MAX 1024
#define CONF_NAME_MAX 160
#define YARN_LOG_TAIL 65536         /* what a look at a driver's log asks for first */
#define LOG_FRAME_MAX 65536         /* the NodeManager's header and trailer around the bytes */

void yarn_apps_free(struct yarn_apps *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i].diagnostics);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* ---- parsing (pure) ---- */

struct tag_index {
	const char *tag;
	size_t len;
	int job;
};

static int by_tag(const void *a, const void *b)
{
	const struct tag_index *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->tag, y->tag, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The index of the first of tags (comma list `list`) that is ours, or -1. */
static int find_job(const struct tag_index *idx, int n, const char *list)
{
	for (const char *s = list; *s;) {
		size_t len = strcspn(s, ",");
		struct tag_index key = {s, len, 0};
		const struct tag_index *hit = bsearch(&key, idx, (size_t)n, sizeof *idx, by_tag);
		if (hit)
			return hit->job;
		s += len + (s[len] == ',');
	}
	return -1;
}

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src);
}

/* An address the RM gives, kept only when it is a plain http(s) URL: it is shown to
 * users as a link (appInfo), and read from (the driver's log). */
static void copy_url(char *dst, size_t len, const char *src)
{
	dst[0] = '\0';
	if (track_url_plain(src, strlen(src)))
		copy(dst, len, src);
}

static bool terminal(const char *state)
{
	return !strcmp(state, "FINISHED") || !strcmp(state, "FAILED") || !strcmp(state, "KILLED");
}

/* Keep app o for job (its slot in out, by job) unless a newer one is there. */
static int keep(struct yarn_apps *out, int *slot, int job, json_object *o)
{
	json_object *t;
	long long started = json_object_object_get_ex(o, "startedTime", &t) ?
		json_object_get_int64(t) : 0;
	struct yarn_app *a;
	char *diag;

	if (slot[job] >= 0) {
		a = &out->v[slot[job]];
		a->others++;
		/* the newest wins; a live one beats an ended one started at the same time */
		if (started < a->started_ms || (started == a->started_ms && terminal(str(o, "state"))))
			return 0;
		if (!(diag = strdup(str(o, "diagnostics"))))
			return -1;
		free(a->diagnostics);
	} else {
		if (!(diag = strdup(str(o, "diagnostics"))))
			return -1;
		slot[job] = out->n++;
		a = &out->v[slot[job]];
		memset(a, 0, sizeof *a);
	}
	a->job = job;
	a->diagnostics = diag;
	a->started_ms = started;
	a->finished_ms = json_object_object_get_ex(o, "finishedTime", &t) ?
		json_object_get_int64(t) : 0;
	copy(a->log_aggregation, sizeof a->log_aggregation, str(o, "logAggregationStatus"));
	copy(a->id, sizeof a->id, str(o, "id"));
	copy(a->state, sizeof a->state, str(o, "state"));
	copy(a->final_status, sizeof a->final_status, str(o, "finalStatus"));
	copy_url(a->tracking_url, sizeof a->tracking_url, str(o, "trackingUrl"));
	copy_url(a->am_logs, sizeof a->am_logs, str(o, "amContainerLogs"));
	return 0;
}

/* The array apps.app of an answer; NULL when it has none ({"apps": null}). */
static json_object *app_array(json_object *root, char *err, size_t errlen)
{
	json_object *apps, *app;

	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "apps", &apps)) {
		snprintf(err, errlen, "not a list of applications (no \"apps\")");
		return NULL;
	}
	if (!json_object_object_get_ex(apps, "app", &app) || !json_object_is_type(app, json_type_array))
		return NULL;
	return app;
}

int yarn_parse_apps(const char *json, const char *const *tags, int n, struct yarn_apps *out,
		    char *err, size_t errlen)
{
	json_object *root = json_tokener_parse(json), *list;
	struct tag_index *idx = calloc((size_t)n + 1, sizeof *idx);
	int *slot = calloc((size_t)n + 1, sizeof *slot), rc = 0;
	size_t len;

	memset(out, 0, sizeof *out);
	err[0] = '\0';
	if (!root || !idx || !slot) {
		snprintf(err, errlen, root ? "out of memory" : "not JSON");
		rc = -1;
		goto done;
	}
	list = app_array(root, err, errlen);
	if (err[0]) {
		rc = -1;
		goto done;
	}
	for (int i = 0; i < n; i++) {
		idx[i] = (struct tag_index){tags[i], strlen(tags[i]), i};
		slot[i] = -1;
	}
	qsort(idx, (size_t)n, sizeof *idx, by_tag);
	len = list ? json_object_array_length(list) : 0;
	out->v = calloc(len < (size_t)n ? len + 1 : (size_t)n + 1, sizeof *out->v);
	if (!out->v) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	for (size_t i = 0; i < len && rc == 0; i++) {
		json_object *o = json_object_array_get_idx(list, i);
		int job = find_job(idx, n, str(o, "applicationTags"));
		if (job >= 0 && str(o, "id")[0] && keep(out, slot, job, o) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	}
done:
	if (rc < 0)
		yarn_apps_free(out);
	json_object_put(root);
	free(idx);
	free(slot);
	return rc;
}

const char *yarn_livy_state(const char *state, const char *final_status)
{
	if (!strcmp(state, "RUNNING"))
		return "running";
	if (!strcmp(state, "KILLED"))
		return "killed";
	if (!strcmp(state, "FAILED"))
		return "dead";
	if (!strcmp(state, "FINISHED"))
		return !strcmp(final_status, "SUCCEEDED") ? "success" :
		       !strcmp(final_status, "KILLED") ? "killed" : "dead";
	return "starting";  /* NEW, NEW_SAVING, SUBMITTED, ACCEPTED */
}

/* ---- where the ResourceManagers are ---- */

/* One RM's address: http(s)://host:port from a host:port or a URL. */
static int add_url(char out[][YARN_URL_MAX], int n, int max, const char *addr, bool https)
{
	if (n >= max || !addr || !*addr)
		return n;
	if (strstr(addr, "://"))
		snprintf(out[n], YARN_URL_MAX, "%s", addr);
	else
		snprintf(out[n], YARN_URL_MAX, "%s://%s", https ? "https" : "http", addr);
	for (size_t len = strlen(out[n]); len && out[n][len - 1] == '/'; len--)
		out[n][len - 1] = '\0';
	return n + 1;
}

/* The web address of the RM with HA id `id` ("" = not HA). */
static const char *rm_address(const struct hadoopconf *conf, const char *id, bool https,
			      char *buf, size_t len)
{
	char name[CONF_NAME_MAX], host[CONF_VALUE_MAX - 8];
	const char *dot = *id ? "." : "";

	snprintf(name, sizeof name, "yarn.resourcemanager.webapp.%saddress%s%s",
		 https ? "https." : "", dot, id);
	if (hadoopconf_get(conf, name, buf, len))
		return buf;
	snprintf(name, sizeof name, "yarn.resourcemanager.hostname%s%s", dot, id);
	if (!hadoopconf_get(conf, name, host, sizeof host))
		return NULL;
	snprintf(buf, len, "%s:%d", host, https ? 8090 : 8088);
	return buf;
}

int yarn_rm_urls(const char *urls, const struct hadoopconf *conf,
		 char out[][YARN_URL_MAX], int max)
{
	char buf[CONF_VALUE_MAX], ids[CONF_VALUE_MAX], addr[CONF_VALUE_MAX], *save = NULL;
	const char *policy, *ha;
	bool https;
	int n = 0;

	if (urls && *urls) {
		snprintf(buf, sizeof buf, "%s", urls);
		for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
			n = add_url(out, n, max, t, false);
		return n;
	}
	if (!conf)
		return 0;
	policy = hadoopconf_get(conf, "yarn.http.policy", buf, sizeof buf);
	https = policy && !strcmp(policy, "HTTPS_ONLY");
	ha = hadoopconf_get(conf, "yarn.resourcemanager.ha.enabled", buf, sizeof buf);
	if (ha && !strcmp(ha, "true") &&
	    hadoopconf_get(conf, "yarn.resourcemanager.ha.rm-ids", ids, sizeof ids)) {
		for (char *t = strtok_r(ids, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save))
			n = add_url(out, n, max, rm_address(conf, t, https, addr, sizeof addr), https);
		return n;
	}
	return add_url(out, n, max, rm_address(conf, "", https, addr, sizeof addr), https);
}

/* ---- the client ---- */

struct yarn_rm {
	struct httpout *http;
	int n, cur;                 /* RMs known; the one in use */
	char url[YARN_RM_MAX][YARN_URL_MAX];
};

/* yarn-site.xml of YARN_CONF_DIR, else of HADOOP_CONF_DIR, into conf. */
static void load_site(struct hadoopconf *conf)
{
	static const char *const dirs[] = {"YARN_CONF_DIR", "HADOOP_CONF_DIR"};
	char path[CONF_VALUE_MAX + 32], err[CONF_VALUE_MAX + 300];

	memset(conf, 0, sizeof *conf);
	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
		const char *d = getenv(dirs[i]);
		if (!d || !*d || strlen(d) > CONF_VALUE_MAX)
			continue;
		snprintf(path, sizeof path, "%s/yarn-site.xml", d);
		if (hadoopconf_load(path, conf, err, sizeof err) < 0)
			log_warn("yarn: %s", err);
		else if (conf->n)
			return;
	}
}

struct yarn_rm *yarn_rm_open(const struct cfg *c)
{
	struct yarn_rm *rm = calloc(1, sizeof *rm);
	struct hadoopconf conf;

	if (!rm)
		return NULL;
	load_site(&conf);
	rm->n = yarn_rm_urls(c->yarn_rm_urls, &conf, rm->url, YARN_RM_MAX);
	hadoopconf_free(&conf);
	if (rm->n == 0) {
		log_error("yarn: no ResourceManager known: set tacitus.yarn.rm-urls, or "
			  "yarn.resourcemanager.webapp.address in yarn-site.xml of YARN_CONF_DIR "
			  "or HADOOP_CONF_DIR");
		free(rm);
		return NULL;
	}
	if (!(rm->http = httpout_new(RM_CONNECT_MS, RM_CALL_MS))) {
		free(rm);
		return NULL;
	}
	for (int i = 0; i < rm->n; i++)
		log_info("yarn: ResourceManager %s", rm->url[i]);
	return rm;
}

void yarn_rm_close(struct yarn_rm *rm)
{
	if (!rm)
		return;
	httpout_free(rm->http);
	free(rm);
}

const char *yarn_rm_url(const struct yarn_rm *rm)
{
	return rm->url[rm->cur];
}

/* Call path on the RM in use, moving on to the next on a connection error or a
 * standby's redirect, each RM at most once.  0 with the answer, or -1. */
static int call(struct yarn_rm *rm, const char *method, const char *path, const char *json,
		size_t max, struct httpout_answer *a, char *err, size_t errlen)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int tried = 0; tried < rm->n; tried++, rm->cur = (rm->cur + 1) % rm->n) {
		size_t len = strlen(rm->url[rm->cur]) + strlen(path) + 1;
		char *url = malloc(len);
		int rc;

		if (!url) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		/* the next RM only while the whole call stays inside one call's time */
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (tried && (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >=
			     RM_CALL_MS) {
			free(url);
			return -1;
		}
		snprintf(url, len, "%s%s", rm->url[rm->cur], path);
		rc = httpout_call(rm->http, method, url, json, "application/json", max, a, err,
				  errlen);
		free(url);
		if (rc < 0)
			continue;
		/* a standby RM redirects every REST call to the active one */
		if (a->status >= 300 && a->status < 400) {
			snprintf(err, errlen, "%s is a standby (redirects to %s)", rm->url[rm->cur],
				 a->location);
			httpout_answer_free(a);
			continue;
		}
		return 0;
	}
	return -1;
}

/* The look-up by tags, or NULL when its path would be longer than max bytes. */
static char *path_by_tags(const char *const *tags, int n, size_t max)
{
	static const char head[] = "/ws/v1/cluster/apps?applicationTags=";
	size_t len = sizeof head - 1, at;
	char *path;

	for (int i = 0; i < n && len <= max; i++)
		len += strlen(tags[i]) + (i ? 1 : 0);
	if (len > max || !(path = malloc(len + 1)))
		return NULL;
	at = (size_t)snprintf(path, len + 1, "%s", head);
	/* tags are [a-z0-9-] (Livy's form, made here): nothing to escape */
	for (int i = 0; i < n; i++)
		at += (size_t)snprintf(path + at, len + 1 - at, "%s%s", i ? "," : "", tags[i]);
	return path;
}

char *yarn_lookup_path(const char *const *tags, int n, long long since_ms)
{
	char *path = path_by_tags(tags, n, YARN_LOOKUP_PATH_MAX), buf[64];

	if (path)
		return path;
	if (since_ms > YARN_SINCE_MARGIN_MS)
		snprintf(buf, sizeof buf, "/ws/v1/cluster/apps?startedTimeBegin=%lld",
			 since_ms - YARN_SINCE_MARGIN_MS);
	else
		snprintf(buf, sizeof buf, "/ws/v1/cluster/apps");
	return strdup(buf);
}

int yarn_rm_lookup(struct yarn_rm *rm, const char *const *tags, int n, long long since_ms,
		   struct yarn_apps *out, char *err, size_t errlen)
{
	struct httpout_answer a;
	char *path = yarn_lookup_path(tags, n, since_ms);
	int rc;

	memset(out, 0, sizeof *out);
	if (!path) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = call(rm, "GET", path, NULL, RM_ANSWER_MAX, &a, err, errlen);
	free(path);
	if (rc < 0)
		return -1;
	if (a.status != 200) {
		snprintf(err, errlen, "%s answered HTTP %ld to a look-up", rm->url[rm->cur], a.status);
		rc = -1;
	} else if (yarn_parse_apps(a.body, tags, n, out, err, errlen) < 0) {
		char why[256];
		snprintf(why, sizeof why, "%s", err);
		snprintf(err, errlen, "%s: %s", rm->url[rm->cur], why);
		rc = -1;
	}
	httpout_answer_free(&a);
	return rc;
}

int yarn_rm_kill(struct yarn_rm *rm, const char *id, char *err, size_t errlen)
{
	char path[YARN_ID_MAX + 64];
	struct httpout_answer a;
	int rc = 0;

	if (!*id || strlen(id) >= YARN_ID_MAX || id[strspn(id, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")]) {
		snprintf(err, errlen, "'%.80s' is not an application id", id);
		return -1;
	}
	snprintf(path, sizeof path, "/ws/v1/cluster/apps/%s/state", id);
	if (call(rm, "PUT", path, "{\"state\":\"KILLED\"}", RM_KILL_ANSWER_MAX, &a, err, errlen) < 0)
		return -1;
	if (a.status != 200 && a.status != 202) {
		snprintf(err, errlen, "%s answered HTTP %ld to killing %s: %.200s", rm->url[rm->cur],
			 a.status, id, a.body);
		rc = -1;
	}
	httpout_answer_free(&a);
	return rc;
}

/* ---- the driver's log ---- */

int yarn_parse_log(const char *text, size_t len, const char *file, long long size,
		   long long *length, const char **content, size_t *n)
{
	static const char aggregated[] = "\nLogAggregationType: AGGREGATED\n";
	char type[YARN_ID_MAX + 16], trailer[YARN_ID_MAX + 24];
	const char *head, *p, *body;
	long long wanted = size < 0 ? -size : size;
	size_t tlen, left;
	bool sep;

	snprintf(type, sizeof type, "\nLogType:%s\n", file);
	if (!(head = memmem(text, len, type, strlen(type))) ||
	    !(p = memmem(head, len - (size_t)(head - text), "\nLogLength:", 11)) ||
	    sscanf(p + 11, "%lld", length) != 1 || *length < 0 ||
	    !(body = memmem(p, len - (size_t)(p - text), "\nLogContents:\n", 14)))
		return -1;
	body += 14;
	left = len - (size_t)(body - text);
	/* the bytes asked for, of the file as long as LogLength says (or the whole file,
	 * from a server that does not take `size`: Hadoop 2's NodeManager); then the
	 * trailer, after a line break of its own in a log server's copy of an
	 * aggregated log */
	sep = memmem(text, (size_t)(head - text) + 1, aggregated, sizeof aggregated - 1) != NULL;
	tlen = (size_t)snprintf(trailer, sizeof trailer, "%sEnd of LogType:%s", sep ? "\n" : "",
				file);
	for (int whole = 0; whole < 2; whole++) {
		long long want = whole || wanted > *length ? *length : wanted;
		if ((unsigned long long)want <= left && left - (size_t)want >= tlen &&
		    !memcmp(body + want, trailer, tlen)) {
			*content = body;
			*n = (size_t)want;
			return 0;
		}
	}
	return -1;
}

int yarn_am_container(const char *url, char *nm, size_t nmlen, char *container, size_t clen)
{
	static const char mark[] = "/node/containerlogs/";
	const char *p = strstr(url, mark), *c;
	size_t len;

	if (!p || strncmp(url, "http", 4))
		return -1;
	c = p + sizeof mark - 1;
	len = strspn(c, "abcdefghijklmnopqrstuvwxyz0123456789_");
	if (!len || c[len] != '/' || len >= clen || (size_t)(p - url) >= nmlen)
		return -1;
	snprintf(nm, nmlen, "%.*s", (int)(p - url), url);
	snprintf(container, clen, "%.*s", (int)len, c);
	return 0;
}

/* One GET of file's bytes ("?size=N": the first N bytes; -N: the last N), through
 * the NodeManager's redirect (to its log server, once the file is aggregated) when
 * it sends one to a plain http(s) address.  Sets *moved when it did. */
static int log_get(struct yarn_rm *rm, const char *nm, const char *container, const char *file,
		   long long size, struct httpout_answer *a, bool *moved, char *err, size_t errlen)
{
	char url[YARN_URL_MAX + YARN_ID_MAX + 96], to[sizeof a->location];
	size_t max = (size_t)(size < 0 ? -size : size) + LOG_FRAME_MAX;

	*moved = false;
	snprintf(url, sizeof url, "%s/ws/v1/node/containerlogs/%s/%s?size=%lld", nm, container,
		 file, size);
	if (httpout_call(rm->http, "GET", url, NULL, "text/plain", max, a, err, errlen) < 0)
		return -1;
	if (a->status < 300 || a->status >= 400 || !track_url_plain(a->location,
								     strlen(a->location)))
		return 0;
	snprintf(to, sizeof to, "%s", a->location);
	httpout_answer_free(a);
	*moved = true;
	return httpout_call(rm->http, "GET", to, NULL, "text/plain", max, a, err, errlen);
}

/* The bytes [offset, ...) of an answer whose bytes start at `first`, into *bytes. */
static int take_from(const char *content, size_t n, long long first, long long offset,
		     char **bytes, size_t *got)
{
	size_t skip = (size_t)(offset - first), keep = n > skip ? n - skip : 0;

	if (keep > YARN_LOG_READ_MAX)
		keep = YARN_LOG_READ_MAX;
	if (!(*bytes = malloc(keep + 1)))
		return -1;
	memcpy(*bytes, content + skip, keep);
	(*bytes)[keep] = '\0';
	*got = keep;
	return 0;
}

enum { READ_OK, READ_MORE, READ_ABSENT };

/* One read of file's bytes from offset: `size` as log_get takes it.  Returns
 * READ_OK with the bytes; READ_MORE when the answer's bytes start after offset (ask
 * again for more); READ_ABSENT when neither the NodeManager nor its log server has
 * the file (why in err); or -1 with why in err. */
static int read_at(struct yarn_rm *rm, const char *nm, const char *container, const char *file,
		   long long size, long long offset, char **bytes, size_t *n, long long *length,
		   char *err, size_t errlen)
{
	struct httpout_answer a;
	const char *content;
	size_t clen;
	long long first;
	bool moved;
	int rc = -1;

	err[0] = '\0';
	if (log_get(rm, nm, container, file, size, &a, &moved, err, errlen) < 0)
		return -1;
	if (a.status == 200 &&
	    yarn_parse_log(a.body, a.len, file, size, length, &content, &clen) == 0) {
		/* a tail read holds the file's last bytes; a head read its first */
		first = size < 0 ? *length - (long long)clen : 0;
		if (*length <= offset)
			rc = take_from("", 0, offset, offset, bytes, n);
		else if (first <= offset && first + (long long)clen > offset)
			rc = take_from(content, clen, first, offset, bytes, n);
		else
			rc = READ_MORE;
	} else if (a.status == 404 || moved) {
		/* not written yet, or gone from the node; its log server answers an error
		 * (HTTP 500: no such application folder) until the file is aggregated */
		snprintf(err, errlen, "%s of %s is %s (HTTP %ld)", file, container,
			 moved ? "not on the NodeManager's log server (yet)" :
			 "not on its NodeManager", a.status);
		rc = READ_ABSENT;
	} else {
		snprintf(err, errlen, "%s answered HTTP %ld for %s of %s", nm, a.status, file,
			 container);
	}
	httpout_answer_free(&a);
	if (rc < 0 && !err[0])
		snprintf(err, errlen, "out of memory");
	return rc;
}

int yarn_am_log_read(struct yarn_rm *rm, const char *am_logs, const char *file, long long offset,
		     char **bytes, size_t *n, long long *length, char *err, size_t errlen)
{
	char nm[YARN_URL_MAX], container[YARN_ID_MAX];
	int rc;

	*bytes = NULL;
	*n = 0;
	*length = 0;
	if (yarn_am_container(am_logs, nm, sizeof nm, container, sizeof container) < 0) {
		snprintf(err, errlen, "'%.200s' is not a container's log address", am_logs);
		return -1;
	}
	/* the tail, which holds all that is new when little was written since offset;
	 * else all that was (with room for what came meanwhile), if it fits a read;
	 * else a chunk from offset, read from the start of the file */
	rc = read_at(rm, nm, container, file, -(long long)YARN_LOG_TAIL, offset, bytes, n, length,
		     err, errlen);
	if (rc == READ_MORE && *length - offset + YARN_LOG_TAIL <= YARN_LOG_READ_MAX)
		rc = read_at(rm, nm, container, file, -(*length - offset + YARN_LOG_TAIL), offset,
			     bytes, n, length, err, errlen);
	if (rc == READ_MORE)
		rc = read_at(rm, nm, container, file, offset + YARN_LOG_CHUNK, offset, bytes, n,
			     length, err, errlen);
	if (rc == READ_MORE) {
		snprintf(err, errlen, "%s: %s of %s is shorter than what was read of it", nm, file,
			 container);
		rc = -1;
	}
	if (rc == READ_ABSENT) {
		*length = offset;
		return 1;
	}
	return rc;
}
