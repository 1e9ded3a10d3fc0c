/* track_standalone.c - the Spark standalone tracker: the masters' REST submission
 * servers, their web UIs' /json/, and the workers' /log/, read and parsed. */
#include "track_standalone.h"
#include "httpout.h"
#include "track.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A call may hold the monitor's loop, which renews its leases (6 s) between calls:
 * each is kept well inside that. */
#define SA_CONNECT_MS 2000
#define SA_CALL_MS 4000         /* a whole call, every master tried included */
#define SA_CALL_MIN_MS 500      /* ... the least left worth trying one more master */
#define SA_STANDBY_WORDS "a standby master: "
#define SA_ANSWER_MAX (1024 * 1024)         /* a REST answer (an error's stack trace) */
#define SA_JSON_ANSWER_MAX (16 * 1024 * 1024)   /* /json/ of a large cluster */
/* the worker decodes the bytes as UTF-8: a bad byte becomes 3 (U+FFFD) */
#define SA_LOG_ANSWER_MAX (3 * SA_LOG_READ_MAX + 8192)
#define SA_HOST_MAX 256
#define STANDBY "Current state is not alive"    /* how a standby master begins its no */
#define ID_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."

static void copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

bool sa_id_ok(const char *id)
{
	size_t len = strlen(id);

	return len && len < SA_ID_MAX && strspn(id, ID_CHARS) == len;
}

/* ---- where the masters are (pure) ---- */

/* The host of one "host[:port]" entry s[0..len) (an IPv6 literal keeps its
 * brackets) into host.  Returns 0, or -1 when it is not one. */
static int entry_host(const char *s, size_t len, char *host, size_t hostlen)
{
	size_t h;

	if (len && s[0] == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return -1;
		h = (size_t)(close - s) + 1;
		if (strspn(s + 1, "0123456789abcdefABCDEF:.") < h - 2 || h == 2)
			return -1;
	} else {
		h = strcspn(s, ":,");
		if (h > len)
			h = len;
		if (!h || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_")
		    < h)
			return -1;
	}
	if (h < len && (s[h] != ':' || strspn(s + h + 1, "0123456789") != len - h - 1))
		return -1;
	if (h >= hostlen)
		return -1;
	snprintf(host, hostlen, "%.*s", (int)h, s);
	return 0;
}

int sa_master_urls(const char *master, int port, char out[][SA_URL_MAX], int max)
{
	static const char scheme[] = "spark://";
	const char *s;
	char host[SA_HOST_MAX];
	int n = 0;

	if (!master || strncmp(master, scheme, sizeof scheme - 1) || port <= 0 || port > 65535)
		return 0;
	s = master + sizeof scheme - 1;
	while (*s && n < max) {
		size_t len = strcspn(s, ",/");
		if (entry_host(s, len, host, sizeof host) < 0)
			return 0;
		snprintf(out[n++], SA_URL_MAX, "http://%s:%d", host, port);
		s += len;
		if (*s == '/')
			break;
		if (*s == ',')
			s++;
	}
	return n;
}

/* ---- the submission (pure) ---- */

/* What the arguments say, borrowed from the argv array. */
struct submit_args {
	const char *name, *class_name, *file;
	size_t file_at;             /* the file's index; its arguments follow */
	json_object *props;         /* "--conf" k=v, in order (owned) */
};

static bool ends_with(const char *s, const char *end)
{
	size_t n = strlen(s), e = strlen(end);

	return n >= e && !strcmp(s + n - e, end);
}

/* A path without a scheme as Spark resolves it (an absolute file: URI); URIs as they are. */
static char *resolve_uri(const char *s)
{
	size_t colon = strcspn(s, ":/");
	size_t len = strlen(s) + 8;
	char *u = malloc(len);

	if (!u)
		return NULL;
	snprintf(u, len, "%s%s", s[colon] == ':' || s[0] != '/' ? "" : "file:", s);
	return u;
}

/* One "--conf" "k=v" into a->props.  Returns 0, or -1 with why in err. */
static int take_conf(struct submit_args *a, const char *kv, char *err, size_t errlen)
{
	const char *eq = strchr(kv, '=');
	char *k;

	if (!eq || eq == kv) {
		snprintf(err, errlen, "--conf '%.100s' is not key=value", kv);
		return -1;
	}
	if (!(k = strndup(kv, (size_t)(eq - kv)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	json_object_object_add(a->props, k, json_object_new_string(eq + 1));
	free(k);
	return 0;
}

/* The option pair argv[i], argv[i+1] into a.  Returns 0, or -1 with why in err. */
static int take_option(struct submit_args *a, const char *opt, const char *val, char *err,
		       size_t errlen)
{
	if (!strcmp(opt, "--name"))
		a->name = val;
	else if (!strcmp(opt, "--class"))
		a->class_name = val;
	else if (!strcmp(opt, "--conf"))
		return take_conf(a, val, err, errlen);
	else if (!strcmp(opt, "--queue"))
		return 0;           /* YARN's; spark-submit ignores it elsewhere too */
	else if (!strcmp(opt, "--py-files")) {
		snprintf(err, errlen, "Spark runs no Python application in standalone cluster "
			 "mode (pyFiles given); use livy.spark.deploy-mode = client");
		return -1;
	} else if (!strcmp(opt, "--proxy-user")) {
		snprintf(err, errlen, "a standalone cluster runs every driver as its worker's "
			 "user: proxyUser cannot be honoured in cluster mode");
		return -1;
	} else {
		snprintf(err, errlen, "the option %.60s cannot be sent to a standalone master", opt);
		return -1;
	}
	return 0;
}

/* Split argv into *a (a->props new).  Returns 0, or -1 with why in err. */
static int split_args(json_object *argv, struct submit_args *a, char *err, size_t errlen)
{
	size_t n, i = 0;

	memset(a, 0, sizeof *a);
	if (!json_object_is_type(argv, json_type_array) || !(a->props = json_object_new_object())) {
		snprintf(err, errlen, "no argument list");
		return -1;
	}
	n = json_object_array_length(argv);
	for (; i < n; i += 2) {
		const char *s = json_object_get_string(json_object_array_get_idx(argv, i));
		if (!s || strncmp(s, "--", 2))
			break;
		if (i + 1 >= n) {
			snprintf(err, errlen, "the option %.60s has no value", s);
			return -1;
		}
		if (take_option(a, s, json_object_get_string(json_object_array_get_idx(argv, i + 1)),
				err, errlen) < 0)
			return -1;
	}
	a->file = i < n ? json_object_get_string(json_object_array_get_idx(argv, i)) : NULL;
	a->file_at = i;
	return 0;
}

/* Whether a can be run by a standalone master.  0, or -1 with why in err. */
static int runnable(const struct submit_args *a, char *err, size_t errlen)
{
	if (!a->file || !*a->file)
		snprintf(err, errlen, "no application file");
	else if (ends_with(a->file, ".py") || ends_with(a->file, ".R") || ends_with(a->file, ".r"))
		snprintf(err, errlen, "Spark runs no Python or R application in standalone "
			 "cluster mode; use livy.spark.deploy-mode = client");
	else if (!a->class_name || !*a->class_name)
		snprintf(err, errlen, "a standalone cluster batch needs className (the REST "
			 "submission server does not read the jar's manifest)");
	else
		return 0;
	return -1;
}

static void put(json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

static const char *prop(json_object *props, const char *k)
{
	json_object *v;

	return json_object_object_get_ex(props, k, &v) ? json_object_get_string(v) : NULL;
}

/* "a" then " " then "b" (either may be NULL or ""), malloc'd. */
static char *join(const char *a, const char *sep, const char *b)
{
	size_t len;
	char *s;

	a = a ? a : "";
	b = b ? b : "";
	len = strlen(a) + strlen(sep) + strlen(b) + 1;
	if (!(s = malloc(len)))
		return NULL;
	snprintf(s, len, "%s%s%s", a, *a && *b ? sep : "", b);
	return s;
}

/* spark.jars as spark-submit sends it: the user's, resolved, then the resource. */
static char *jars_with(const char *user, const char *resource)
{
	char *list = join(user, ",", resource), *out, *save = NULL;
	size_t cap = list ? strlen(list) * 4 + 16 : 0, at = 0;  /* "/" -> "file:/" */

	if (!list || !(out = malloc(cap))) {
		free(list);
		return NULL;
	}
	out[0] = '\0';
	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *u = resolve_uri(t);
		if (!u) {
			free(out);
			out = NULL;
			break;
		}
		at += (size_t)snprintf(out + at, cap - at, "%s%s", at ? "," : "", u);
		free(u);
	}
	free(list);
	return out;
}

/* The sparkProperties of a, with what a cluster submission must say. */
static int finish_props(struct submit_args *a, const struct sa_submit_opts *o,
			const char *resource)
{
	char *jars = jars_with(prop(a->props, "spark.jars"), resource);
	char *java = join(o->module_options, " ", prop(a->props, "spark.driver.extraJavaOptions"));
	int rc = jars && java ? 0 : -1;

	if (rc == 0) {
		put(a->props, "spark.app.name", a->name ? a->name : a->class_name);
		put(a->props, "spark.master", o->master);
		put(a->props, "spark.submit.deployMode", "cluster");
		put(a->props, "spark.jars", jars);
		if (*java)
			put(a->props, "spark.driver.extraJavaOptions", java);
	}
	free(jars);
	free(java);
	return rc;
}

/* The request's JSON object for a (whose props it takes). */
static json_object *request_of(struct submit_args *a, json_object *argv, const char *resource,
			       const struct sa_submit_opts *o)
{
	json_object *r = json_object_new_object(), *args = json_object_new_array(),
		    *env = json_object_new_object();
	size_t n = json_object_array_length(argv);

	if (!r || !args || !env) {
		json_object_put(r);
		json_object_put(args);
		json_object_put(env);
		return NULL;
	}
	for (size_t i = a->file_at + 1; i < n; i++)
		json_object_array_add(args, json_object_get(json_object_array_get_idx(argv, i)));
	put(env, "SPARK_ENV_LOADED", "1");
	put(r, "action", "CreateSubmissionRequest");
	put(r, "appResource", resource);
	put(r, "mainClass", a->class_name);
	json_object_object_add(r, "appArgs", args);
	json_object_object_add(r, "sparkProperties", a->props);
	a->props = NULL;
	json_object_object_add(r, "environmentVariables", env);
	put(r, "clientSparkVersion", o->spark_version);
	return r;
}

char *sa_create_request(json_object *argv, const struct sa_submit_opts *o, char *err,
			size_t errlen)
{
	struct submit_args a;
	json_object *r = NULL;
	char *resource = NULL, *text = NULL;

	err[0] = '\0';
	if (split_args(argv, &a, err, errlen) < 0 || runnable(&a, err, errlen) < 0)
		goto done;
	if (!(resource = resolve_uri(a.file)) || finish_props(&a, o, resource) < 0 ||
	    !(r = request_of(&a, argv, resource, o)) ||
	    !(text = strdup(json_object_to_json_string_ext(r, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE))))
		snprintf(err, errlen, "out of memory");
done:
	json_object_put(a.props);
	json_object_put(r);
	free(resource);
	return text;
}

/* ---- the masters' answers (pure) ---- */

static const char *str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The answer's object when it is a REST answer of action `action` (with a boolean
 * "success", into *success) or an ErrorResponse, else NULL with why in err. */
static json_object *rest_answer(const char *json, const char *action, bool *success,
				char *err, size_t errlen)
{
	json_object *root = json_tokener_parse(json), *s;
	const char *act;

	*success = false;
	if (!root || !json_object_is_type(root, json_type_object) ||
	    !(act = str(root, "action"))) {
		snprintf(err, errlen, "not an answer of Spark's REST submission server");
		json_object_put(root);
		return NULL;
	}
	if (strcmp(act, action) && strcmp(act, "ErrorResponse")) {
		snprintf(err, errlen, "a %.60s where a %s was expected", act, action);
		json_object_put(root);
		return NULL;
	}
	if (json_object_object_get_ex(root, "success", &s) &&
	    json_object_is_type(s, json_type_boolean))
		*success = json_object_get_boolean(s);
	else if (strcmp(act, "ErrorResponse")) {
		snprintf(err, errlen, "a %s without a true or false \"success\"", action);
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* A "no" that comes from a standby master (in HA): ask the next. */
static bool standby(const char *message)
{
	return message && strstr(message, STANDBY);
}

/* The first line of msg (a master's message may carry a stack trace) after `what`,
 * into err; with the next line when the first only introduces it
 * ("Exception from the cluster:" then the exception). */
static void first_line(char *err, size_t errlen, const char *what, const char *msg)
{
	size_t one, two = 0;

	msg = msg ? msg : "";
	one = strcspn(msg, "\n");
	if (one && msg[one] == '\n' && msg[one - 1] == ':')
		two = strcspn(msg + one + 1, "\n");
	snprintf(err, errlen, "%s%.*s%s%.*s", what, (int)one, msg, two ? " " : "", (int)two,
		 two ? msg + one + 1 : "");
}

int sa_parse_status(const char *json, struct sa_driver *d, char *err, size_t errlen)
{
	bool ok;
	json_object *root = rest_answer(json, "SubmissionStatusResponse", &ok, err, errlen);
	int rc = SA_OK;

	memset(d, 0, sizeof *d);
	if (!root)
		return SA_UNREACHABLE;
	if (standby(str(root, "message"))) {
		first_line(err, errlen, "a standby master: ", str(root, "message"));
		rc = SA_UNREACHABLE;
	} else if (!strcmp(str(root, "action"), "ErrorResponse")) {
		first_line(err, errlen, "the master's error: ", str(root, "message"));
		rc = SA_UNREACHABLE;
	} else if (ok && !str(root, "driverState")) {
		snprintf(err, errlen, "a status answer without driverState");
		rc = SA_UNREACHABLE;
	} else {
		d->known = ok;
		copy(d->state, sizeof d->state, ok ? str(root, "driverState") : "");
		copy(d->worker_id, sizeof d->worker_id, str(root, "workerId"));
		copy(d->worker_host_port, sizeof d->worker_host_port, str(root, "workerHostPort"));
		copy(d->message, sizeof d->message, str(root, "message"));
	}
	json_object_put(root);
	return rc;
}

const char *sa_livy_state(const struct sa_driver *d, const char *last)
{
	static const char *const map[][2] = {
		{"SUBMITTED", "starting"}, {"RUNNING", "running"}, {"FINISHED", "success"},
		{"FAILED", "dead"}, {"ERROR", "dead"}, {"KILLED", "killed"},
	};

	if (!d->known)
		return "dead";
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (!strcmp(d->state, map[i][0]))
			return map[i][1];
	return last;        /* RELAUNCHING, UNKNOWN: nothing new */
}

void sa_reason(const struct sa_driver *d, const char *id, char *buf, size_t len)
{
	if (!d->known)
		snprintf(buf, len, "the standalone master knows no driver %s (did it restart "
			 "without recovery, or forget it among more than spark.deploy.retainedDrivers "
			 "ended ones?)", id);
	else if (d->message[0])
		first_line(buf, len, "", d->message);
	else
		snprintf(buf, len, "driver %s is %s", id, d->state);
}

int sa_parse_create(const char *json, char *id, size_t idlen, char *err, size_t errlen)
{
	bool ok;
	json_object *root = rest_answer(json, "CreateSubmissionResponse", &ok, err, errlen);
	const char *sid, *msg;
	int rc = SA_OK;

	id[0] = '\0';
	if (!root)
		return SA_UNREACHABLE;
	sid = str(root, "submissionId");
	msg = str(root, "message");
	if (standby(msg)) {
		first_line(err, errlen, SA_STANDBY_WORDS, msg);
		rc = SA_UNREACHABLE;
	} else if (!ok) {
		first_line(err, errlen, "the standalone master refused the driver: ", msg);
		rc = SA_REFUSED;
	} else if (!sid || !sa_id_ok(sid) || strlen(sid) >= idlen) {
		snprintf(err, errlen, "the master took the driver but gave no usable id");
		rc = SA_MAYBE;
	} else {
		copy(id, idlen, sid);
	}
	json_object_put(root);
	return rc;
}

int sa_parse_kill(const char *json, char *err, size_t errlen)
{
	bool ok;
	json_object *root = rest_answer(json, "KillSubmissionResponse", &ok, err, errlen);
	const char *msg;
	int rc = SA_OK;

	if (!root)
		return SA_UNREACHABLE;
	msg = str(root, "message");
	if (standby(msg)) {
		first_line(err, errlen, "a standby master: ", msg);
		rc = SA_UNREACHABLE;
	} else if (!strcmp(str(root, "action"), "ErrorResponse")) {
		first_line(err, errlen, "the master's error: ", msg);
		rc = SA_UNREACHABLE;
	} else if (!ok) {
		first_line(err, errlen, "", msg);
		rc = SA_REFUSED;
	}
	json_object_put(root);
	return rc;
}

int sa_parse_worker_ui(const char *json, const char *worker_id, char *ui, size_t len)
{
	json_object *root = json_tokener_parse(json), *workers;
	int rc = 1;

	ui[0] = '\0';
	if (!root || !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "workers", &workers) ||
	    !json_object_is_type(workers, json_type_array)) {
		json_object_put(root);
		return -1;
	}
	for (size_t i = 0; i < json_object_array_length(workers) && rc == 1; i++) {
		json_object *w = json_object_array_get_idx(workers, i);
		const char *id = str(w, "id"), *addr = str(w, "webuiaddress");
		if (!id || strcmp(id, worker_id) || !addr)
			continue;
		if (track_url_plain(addr, strlen(addr)) && !strncmp(addr, "http", 4) &&
		    strlen(addr) < len) {
			copy(ui, len, addr);
			rc = 0;
		} else {
			rc = 1;
			break;
		}
	}
	json_object_put(root);
	return rc;
}

int sa_parse_log(const char *text, size_t len, long long *start, long long *end,
		 long long *length, const char **content, size_t *n, char *err, size_t errlen)
{
	static const char head[] = "==== Bytes ";
	const char *nl = memchr(text, '\n', len);
	char line[SA_URL_MAX + 128];
	int used = 0;

	if (!nl || (size_t)(nl - text) >= sizeof line || strncmp(text, head, sizeof head - 1)) {
		snprintf(err, errlen, "not a worker's log answer (no \"==== Bytes\" line)");
		return -1;
	}
	snprintf(line, sizeof line, "%.*s", (int)(nl - text), text);
	if (sscanf(line, "==== Bytes %lld-%lld of %lld of %n", start, end, length, &used) != 3 ||
	    !used || *start < 0 || *end < *start || *length < *end ||
	    !ends_with(line, " ====")) {
		snprintf(err, errlen, "a worker's log answer with a bad first line: %.200s", line);
		return -1;
	}
	*content = nl + 1;
	*n = len - (size_t)(nl + 1 - text);
	if (*length == 0 && *n) {       /* what the worker sends instead of a file */
		first_line(err, errlen, "the worker has no such log: ", *content);
		return -1;
	}
	return 0;
}

int sa_driver_log_url(const char *ui, const char *id, char *buf, size_t len)
{
	int w;

	if (!track_url_plain(ui, strlen(ui)) || strncmp(ui, "http", 4) || !sa_id_ok(id))
		return -1;
	w = snprintf(buf, len, "%s/logPage/?driverId=%s&logType=stdout", ui, id);
	return w < 0 || (size_t)w >= len ? -1 : 0;
}

int sa_log_url_ui(const char *log_url, char *ui, size_t len)
{
	const char *at = log_url ? strstr(log_url, "/logPage/?driverId=") : NULL;
	size_t n = at ? (size_t)(at - log_url) : 0;

	if (!at || !n || n >= len || strncmp(log_url, "http", 4) ||
	    !track_url_plain(log_url, strlen(log_url)))
		return -1;
	memcpy(ui, log_url, n);
	ui[n] = '\0';
	return 0;
}

/* ---- the client ---- */

struct sa_master {
	struct httpout *http;
	int n, cur;                 /* masters known; the one in use */
	char rest[SA_MASTER_MAX][SA_URL_MAX];
	char ui[SA_MASTER_MAX][SA_URL_MAX];
	bool sent_is_final;         /* a request that reached a master (sent, no answer)
				       goes to no other: SA_MAYBE (submissions) */
};

struct sa_master *sa_open(const char *master, int rest_port, int ui_port)
{
	struct sa_master *m = calloc(1, sizeof *m);

	if (!m) {
		log_error("standalone: out of memory");
		return NULL;
	}
	m->n = sa_master_urls(master, rest_port > 0 ? rest_port : SA_REST_PORT, m->rest,
			      SA_MASTER_MAX);
	if (m->n == 0 || sa_master_urls(master, ui_port > 0 ? ui_port : SA_UI_PORT, m->ui,
					SA_MASTER_MAX) != m->n) {
		log_error("standalone: '%.200s' is not a master URL (spark://HOST:PORT[,HOST:PORT...])",
			  master ? master : "");
		free(m);
		return NULL;
	}
	if (!(m->http = httpout_new(SA_CONNECT_MS, SA_CALL_MS))) {
		free(m);
		return NULL;
	}
	for (int i = 0; i < m->n; i++)
		log_info("standalone: REST submission server %s, web UI %s", m->rest[i], m->ui[i]);
	return m;
}

void sa_close(struct sa_master *m)
{
	if (!m)
		return;
	httpout_free(m->http);
	free(m);
}

const char *sa_url(const struct sa_master *m)
{
	return m->rest[m->cur];
}

/* Reads one answer for call(): SA_OK, SA_REFUSED or SA_UNREACHABLE (ask the next). */
typedef int (*sa_reader)(const struct httpout_answer *a, void *arg, char *err, size_t errlen);

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/* Send method to base[cur] + path, moving on to the next master while the answer
 * reads SA_UNREACHABLE (no answer, a standby, not the protocol), each at most once
 * and all inside one call's time.  Returns what read() made of the last answer. */
static int call(struct sa_master *m, bool ui, const char *method, const char *path,
		const char *json, size_t max, sa_reader read, void *arg, char *err, size_t errlen)
{
	struct timespec t0;
	int rc = SA_UNREACHABLE;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	snprintf(err, errlen, "no master");
	for (int tried = 0; tried < m->n; tried++, m->cur = (m->cur + 1) % m->n) {
		char url[SA_URL_MAX + SA_ID_MAX + 64], why[SA_MSG_MAX];
		struct httpout_answer a;
		long left = SA_CALL_MS - elapsed_ms(&t0);

		if (left < SA_CALL_MIN_MS)
			break;      /* the whole call stays inside SA_CALL_MS */
		httpout_set_total_ms(m->http, left);
		snprintf(url, sizeof url, "%s%s", ui ? m->ui[m->cur] : m->rest[m->cur], path);
		if (httpout_call(m->http, method, url, json, "application/json", max, &a, why,
				 sizeof why) < 0) {
			snprintf(err, errlen, "%s: %s", url, why);
			if (a.sent && m->sent_is_final)
				return SA_MAYBE;
			continue;
		}
		rc = read(&a, arg, why, sizeof why);
		httpout_answer_free(&a);
		if (rc != SA_OK)
			snprintf(err, errlen, "%s: %s", url, why);
		if (rc != SA_UNREACHABLE)
			return rc;
	}
	return SA_UNREACHABLE;
}

struct create_arg {
	char *id;
	size_t idlen;
};

static int read_create(const struct httpout_answer *a, void *arg, char *err, size_t errlen)
{
	struct create_arg *c = arg;

	int rc;

	if (a->status >= 500) {         /* the master's trouble, not a no to the driver: it
					 * may have failed after it made it */
		snprintf(err, errlen, "HTTP %ld", a->status);
		return SA_MAYBE;
	}
	rc = sa_parse_create(a->body, c->id, c->idlen, err, errlen);
	/* a 2xx that is not the protocol's answer: something took the request */
	if (rc == SA_UNREACHABLE && a->status / 100 == 2 && strncmp(err, SA_STANDBY_WORDS,
								   strlen(SA_STANDBY_WORDS)))
		return SA_MAYBE;
	return rc;
}

int sa_submit(struct sa_master *m, const char *request, char *id, size_t idlen, char *err,
	      size_t errlen)
{
	struct create_arg c = {id, idlen};
	int rc;

	id[0] = '\0';
	m->sent_is_final = true;
	rc = call(m, false, "POST", "/v1/submissions/create", request, SA_ANSWER_MAX,
		  read_create, &c, err, errlen);
	m->sent_is_final = false;
	return rc;
}

static int read_status(const struct httpout_answer *a, void *arg, char *err, size_t errlen)
{
	return sa_parse_status(a->body, arg, err, errlen);
}

int sa_status(struct sa_master *m, const char *id, struct sa_driver *d, char *err,
	      size_t errlen)
{
	char path[SA_ID_MAX + 32];

	memset(d, 0, sizeof *d);
	if (!sa_id_ok(id)) {
		snprintf(err, errlen, "'%.80s' is not a driver id", id);
		return SA_UNREACHABLE;
	}
	snprintf(path, sizeof path, "/v1/submissions/status/%s", id);
	return call(m, false, "GET", path, NULL, SA_ANSWER_MAX, read_status, d, err, errlen);
}

static int read_kill(const struct httpout_answer *a, void *arg, char *err, size_t errlen)
{
	(void)arg;
	return sa_parse_kill(a->body, err, errlen);
}

int sa_kill(struct sa_master *m, const char *id, char *err, size_t errlen)
{
	char path[SA_ID_MAX + 32];

	if (!sa_id_ok(id)) {
		snprintf(err, errlen, "'%.80s' is not a driver id", id);
		return SA_REFUSED;
	}
	snprintf(path, sizeof path, "/v1/submissions/kill/%s", id);
	return call(m, false, "POST", path, NULL, SA_ANSWER_MAX, read_kill, NULL, err, errlen);
}

struct worker_arg {
	const char *id;
	char *ui;
	size_t len;
};

static int read_workers(const struct httpout_answer *a, void *arg, char *err, size_t errlen)
{
	struct worker_arg *w = arg;
	json_object *root;
	const char *status;
	int rc;

	if (a->status != 200) {
		snprintf(err, errlen, "HTTP %ld", a->status);
		return SA_UNREACHABLE;
	}
	/* a standby lists no worker: only the ALIVE master's answer counts */
	root = json_tokener_parse(a->body);
	status = root ? str(root, "status") : NULL;
	rc = status && !strcmp(status, "ALIVE") ? SA_OK : SA_UNREACHABLE;
	json_object_put(root);
	if (rc != SA_OK) {
		snprintf(err, errlen, "not the ALIVE master's /json/");
		return rc;
	}
	rc = sa_parse_worker_ui(a->body, w->id, w->ui, w->len);
	if (rc == 1)
		snprintf(err, errlen, "no worker %.100s with a plain web UI address", w->id);
	return rc == 0 ? SA_OK : SA_REFUSED;
}

int sa_worker_ui(struct sa_master *m, const char *worker_id, char *ui, size_t len, char *err,
		 size_t errlen)
{
	struct worker_arg w = {worker_id, ui, len};

	ui[0] = '\0';
	return call(m, true, "GET", "/json/", NULL, SA_JSON_ANSWER_MAX, read_workers, &w, err,
		    errlen);
}

int sa_log_read(struct sa_master *m, const char *ui, const char *id, const char *file,
		long long offset, char **bytes, size_t *n, long long *next, long long *length,
		char *err, size_t errlen)
{
	char url[SA_URL_MAX + SA_ID_MAX + 128];
	struct httpout_answer a;
	long long start, end;
	const char *content;
	int rc = -1;

	*bytes = NULL;
	*n = 0;
	*next = offset;
	*length = 0;
	if (!track_url_plain(ui, strlen(ui)) || strncmp(ui, "http", 4) || !sa_id_ok(id) ||
	    offset < 0 ||
	    (strcmp(file, "stdout") && strcmp(file, "stderr"))) {
		snprintf(err, errlen, "no log %.20s of driver '%.80s' at '%.200s'", file, id, ui);
		return -1;
	}
	snprintf(url, sizeof url, "%s/log/?driverId=%s&logType=%s&offset=%lld&byteLength=%d", ui,
		 id, file, offset, SA_LOG_READ_MAX);
	if (httpout_call(m->http, "GET", url, NULL, "text/plain", SA_LOG_ANSWER_MAX, &a, err,
			 errlen) < 0)
		return -1;
	if (a.status != 200)
		snprintf(err, errlen, "%s answered HTTP %ld", ui, a.status);
	else if (sa_parse_log(a.body, a.len, &start, &end, length, &content, n, err, errlen) == 0) {
		if (!(*bytes = malloc(*n + 1))) {
			snprintf(err, errlen, "out of memory");
		} else {
			memcpy(*bytes, content, *n);
			(*bytes)[*n] = '\0';
			*next = end > offset ? end : offset;   /* never back over read bytes */
			rc = 0;
		}
	}
	httpout_answer_free(&a);
	if (rc < 0)
		*n = 0;
	return rc;
}
