/* reqbody.c - request bodies: field validators, Livy's rules, the final Spark conf. */
#include "reqbody.h"
#include "hook.h"
#include "access.h"
#include "jsontext.h"
#include "livy.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum ftype { F_STR, F_MEM, F_INT, F_LIST, F_MAP, F_KIND, F_TIME, F_SECONDS };

/* Limits: a request past them is refused with a clear message. */
#define MAX_ENTRIES 1000        /* items of a list, entries of conf */
#define MAX_TEXT 65536          /* bytes of one string */

struct field {
	const char *name;
	enum ftype type;
};

/* Livy's CreateBatchRequest, in the order its error message lists them. */
static const struct field batch_fields[] = {
	{"executorCores", F_INT}, {"className", F_STR}, {"conf", F_MAP},
	{"driverMemory", F_MEM}, {"name", F_STR}, {"driverCores", F_INT},
	{"pyFiles", F_LIST}, {"archives", F_LIST}, {"executorMemory", F_MEM},
	{"files", F_LIST}, {"jars", F_LIST}, {"proxyUser", F_STR},
	{"numExecutors", F_INT}, {"file", F_STR}, {"args", F_LIST}, {"queue", F_STR},
};

/* Livy's CreateInteractiveRequest, likewise. */
static const struct field session_fields[] = {
	{"executorCores", F_INT}, {"conf", F_MAP}, {"driverMemory", F_MEM}, {"name", F_STR},
	{"driverCores", F_INT}, {"idleTimeout", F_TIME}, {"pyFiles", F_LIST},
	{"archives", F_LIST}, {"kind", F_KIND}, {"files", F_LIST}, {"jars", F_LIST},
	{"proxyUser", F_STR}, {"numExecutors", F_INT}, {"heartbeatTimeoutInSecond", F_SECONDS},
	{"ttl", F_TIME}, {"queue", F_STR}, {"executorMemory", F_MEM},
};

/* Beside Livy's fields of both: where the job's end is POSTed (hook.h); never listed
 * among Livy's known properties. */
static const struct field callback_field = {"callbackUrl", F_STR};
static const struct field callback_events_field = {"callbackEvents", F_STR};

/* Whether callbackEvents (NULL = absent) is wrong: "ended" (the default) or "all",
 * and only beside a callbackUrl; says why in msg. */
static bool callback_events_wrong(const char *events, const char *callback, char *msg,
				  size_t msglen)
{
	if (!events)
		return false;
	if (strcmp(events, "ended") && strcmp(events, "all")) {
		snprintf(msg, msglen, "callbackEvents must be \"ended\" or \"all\", not \"%.64s\"",
			 events);
		return true;
	}
	if (!callback) {
		snprintf(msg, msglen, "callbackEvents needs a callbackUrl");
		return true;
	}
	return false;
}

static const struct form {
	const char *class_name;
	const struct field *fields;
	size_t n;
} batch_form = {"org.apache.livy.server.batch.CreateBatchRequest", batch_fields,
		sizeof batch_fields / sizeof batch_fields[0]},
  session_form = {"org.apache.livy.server.interactive.CreateInteractiveRequest",
		  session_fields, sizeof session_fields / sizeof session_fields[0]};

/* Livy's session kinds and their aliases, canonical name first. */
static const char *const kinds[][2] = {
	{"spark", "scala"}, {"pyspark", "python"}, {"sparkr", "r"}, {"sql", NULL},
	{"shared", NULL},
};

const char *reqbody_kind(const char *name)
{
	for (size_t i = 0; name && i < sizeof kinds / sizeof kinds[0]; i++)
		if (!strcmp(name, kinds[i][0]) || (kinds[i][1] && !strcmp(name, kinds[i][1])))
			return kinds[i][0];
	return NULL;
}

/* Livy's spark conf keys that hold file lists, and the request field merged in. */
static const struct {
	const char *key, *field;
} list_keys[] = {
	{"spark.jars", "jars"}, {"spark.files", "files"},
	{"spark.yarn.dist.archives", "archives"}, {"spark.submit.pyFiles", "pyFiles"},
	{"spark.archives", NULL}, {"spark.yarn.dist.files", NULL}, {"spark.yarn.dist.jars", NULL},
};

/* Scalars become text as Jackson coerces them; anything else is refused. */
static const char *scalar_text(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		return json_object_get_string(v);
	default:
		return NULL;
	}
}

static int check_int(json_object *v, const char *name, char *msg, size_t msglen)
{
	long long x;
	char m[128];
	int i;

	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string) &&
		   livy_parse_int(json_object_get_string(v), &i, m, sizeof m) == 0) {
		x = i;          /* Airflow sends "2"; Livy answers that with a 500 */
	} else {
		snprintf(msg, msglen, "Field \"%s\" must be an integer, got %s", name,
			 json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
		return -1;
	}
	if (x < (strcmp(name, "numExecutors") && strcmp(name, "heartbeatTimeoutInSecond") ? 1 : 0) ||
	    x > 100000) {
		snprintf(msg, msglen, "Field \"%s\" is out of range: %lld", name, x);
		return -1;
	}
	return 0;
}

static int check_mem(const char *s, const char *name, char *msg, size_t msglen)
{
	const char *p = s;

	while (isdigit((unsigned char)*p))
		p++;
	if (p > s && (!*p || (strchr("kmgtpKMGTP", *p) &&
			      (!p[1] || (strchr("bB", p[1]) && !p[2])))))
		return 0;
	snprintf(msg, msglen, "Field \"%s\" is not a memory size such as 512m or 2g: \"%s\"",
		 name, s);
	return -1;
}

static int too_long(const char *s, const char *name, char *msg, size_t msglen)
{
	if (strlen(s) <= MAX_TEXT)
		return 0;
	snprintf(msg, msglen, "Field \"%s\": a value is longer than %d bytes", name, MAX_TEXT);
	return -1;
}

/* A string value: not too long (a NUL, which PostgreSQL's text cannot hold, never
 * gets this far: jsontext_object refuses \u0000). */
static int bad_text(json_object *v, const char *name, char *msg, size_t msglen)
{
	return too_long(scalar_text(v), name, msg, msglen);
}

/* Time strings past this many days are refused (their milliseconds overflow dates). */
#define MAX_TIME_DAYS 36500LL

static int check_field(const struct field *f, json_object *v, char *msg, size_t msglen)
{
	switch (f->type) {
	case F_STR:
	case F_MEM:
		if (!scalar_text(v)) {
			snprintf(msg, msglen, "Field \"%s\" must be a string", f->name);
			return -1;
		}
		if (bad_text(v, f->name, msg, msglen) < 0)
			return -1;
		return f->type == F_MEM ? check_mem(scalar_text(v), f->name, msg, msglen) : 0;
	case F_INT:
	case F_SECONDS:
		return check_int(v, f->name, msg, msglen);
	case F_KIND:
		if (!json_object_is_type(v, json_type_string) || !reqbody_kind(json_object_get_string(v))) {
			snprintf(msg, msglen, "Invalid kind: %s (through reference chain: "
				 "org.apache.livy.server.interactive.CreateInteractiveRequest[\"kind\"])",
				 scalar_text(v) ? scalar_text(v) : "?");
			return -1;
		}
		return 0;
	case F_TIME: {
		long long ms;
		char why[256];
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(msg, msglen, "Field \"%s\" must be a time string such as 10m", f->name);
			return -1;
		}
		if (livy_parse_time_ms(json_object_get_string(v), &ms, why, sizeof why) < 0) {
			snprintf(msg, msglen, "Rejected, Reason: %s", why);
			return -1;
		}
		if (ms > MAX_TIME_DAYS * 86400000) {
			snprintf(msg, msglen, "Field \"%s\" is out of range: %lld days at most",
				 f->name, MAX_TIME_DAYS);
			return -1;
		}
		return 0;
	}
	case F_LIST:
		if (!json_object_is_type(v, json_type_array))
			break;
		if (json_object_array_length(v) > MAX_ENTRIES) {
			snprintf(msg, msglen, "Field \"%s\" has more than %d items", f->name, MAX_ENTRIES);
			return -1;
		}
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			const char *t = scalar_text(json_object_array_get_idx(v, i));
			if (!t) {
				snprintf(msg, msglen, "Field \"%s\" must be a list of strings", f->name);
				return -1;
			}
			if (bad_text(json_object_array_get_idx(v, i), f->name, msg, msglen) < 0)
				return -1;
		}
		return 0;
	case F_MAP:
		if (!json_object_is_type(v, json_type_object)) {
			snprintf(msg, msglen, "Field \"%s\" must be an object of strings", f->name);
			return -1;
		}
		if (json_object_object_length(v) > MAX_ENTRIES) {
			snprintf(msg, msglen, "Field \"%s\" has more than %d entries", f->name, MAX_ENTRIES);
			return -1;
		}
		json_object_object_foreach(v, k, val) {
			if (!livy_spark_key_valid(k)) {
				snprintf(msg, msglen, "Rejected, Reason: Invalid configuration key in "
					 "session config: \"%.200s\" (a Spark key is %s)", k,
					 LIVY_SPARK_KEY_SYNTAX);
				return -1;
			}
			if (!val || !scalar_text(val)) {
				snprintf(msg, msglen, "Field \"%s\": the value of \"%s\" must be a string",
					 f->name, k);
				return -1;
			}
			if (too_long(k, f->name, msg, msglen) < 0 ||
			    bad_text(val, f->name, msg, msglen) < 0)
				return -1;
		}
		return 0;
	}
	snprintf(msg, msglen, "Field \"%s\" must be a list of strings", f->name);
	return -1;
}

static void unknown_field_msg(const struct form *f, const char *key, char *msg, size_t msglen)
{
	size_t n = (size_t)snprintf(msg, msglen,
		"Unrecognized field \"%s\" (class %s), not marked as ignorable (%zu known "
		"properties: ", key, f->class_name, f->n);
	for (size_t i = 0; i < f->n && n < msglen; i++)
		n += (size_t)snprintf(msg + n, msglen - n, "%s\"%s\"", i ? ", " : "",
				      f->fields[i].name);
	if (n < msglen)
		snprintf(msg + n, msglen - n, "])");
}

/* Field value, or NULL when absent or JSON null (null means absent). */
static json_object *get(json_object *body, const char *name)
{
	json_object *v = NULL;

	json_object_object_get_ex(body, name, &v);
	return v;
}

static const char *get_str(json_object *body, const char *name)
{
	json_object *v = get(body, name);
	return v ? scalar_text(v) : NULL;
}

/* Append the resolved entries of a comma/space separated value or list to out. */
static int resolve_into(json_object *out, const char *value, const struct cfg *c,
			char *msg, size_t msglen)
{
	char buf[8192], resolved[4096], why[4200], *save = NULL;

	snprintf(buf, sizeof buf, "%s", value);
	for (char *t = strtok_r(buf, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
		if (livy_resolve_uri(t, c->whitelist, c->n_whitelist, resolved, sizeof resolved,
				     why, sizeof why) < 0) {
			snprintf(msg, msglen, "Rejected, Reason: %s", why);
			return -1;
		}
		json_object_array_add(out, json_object_new_string(resolved));
	}
	return 0;
}

/* Resolve one list-valued key: request field entries, then the conf's own value. */
static int merge_list_key(json_object *conf, const char *key, json_object *field,
			  const struct cfg *c, char *msg, size_t msglen)
{
	json_object *all = json_object_new_array(), *v = NULL;
	char joined[16384];
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; field && i < json_object_array_length(field) && !rc; i++)
		rc = resolve_into(all, scalar_text(json_object_array_get_idx(field, i)), c,
				  msg, msglen);
	if (!rc && json_object_object_get_ex(conf, key, &v))
		rc = resolve_into(all, scalar_text(v), c, msg, msglen);
	joined[0] = '\0';
	for (size_t i = 0; !rc && i < json_object_array_length(all); i++)
		n += (size_t)snprintf(joined + n, n < sizeof joined ? sizeof joined - n : 0, "%s%s",
				      i ? "," : "",
				      json_object_get_string(json_object_array_get_idx(all, i)));
	json_object_put(all);
	if (rc)
		return -1;
	if (n >= sizeof joined) {
		snprintf(msg, msglen, "Rejected, Reason: the list %s is too long", key);
		return -1;
	}
	if (n)
		json_object_object_add(conf, key, json_object_new_string(joined));
	else
		json_object_object_del(conf, key);
	return 0;
}

/* Whether the driver runs on this host, which every job shares. */
static bool driver_here(const struct cfg *c)
{
	return !strncmp(c->spark_master, "local", 5) || !strcmp(c->deploy_mode, "client");
}

/* Whether Spark makes each application a secret of its own for spark.authenticate
 * (local and YARN; a standalone cluster needs one secret shared by the master, its
 * workers and every application, which is the cluster admin's to set). */
static bool own_secret(const struct cfg *c)
{
	return !strncmp(c->spark_master, "local", 5) || !strncmp(c->spark_master, "yarn", 4);
}

/* The walls between tenants' drivers (build_conf sets them): Spark's RPC only with
 * the application's own secret, no kill from the UI, and no UI where the driver
 * runs on this host.  True when the user's key=value would lower one; a value
 * that keeps it is the user's to send. */
static bool lowers_a_wall(const struct cfg *c, const char *k, const char *v)
{
	if (!strcmp(k, "spark.authenticate"))
		return own_secret(c) && strcmp(v, "true") != 0;
	if (!strcmp(k, "spark.ui.killEnabled"))
		return strcmp(v, "false") != 0;
	if (!strcmp(k, "spark.ui.enabled"))
		return driver_here(c) && strcmp(v, "false") != 0;
	/* a secret the user knows (or a file of it) is a secret another job may know */
	return !strncmp(k, "spark.authenticate.secret", strlen("spark.authenticate.secret"));
}

static int build_conf(struct reqbody *r, const struct cfg *c, char *msg, size_t msglen)
{
	static const struct {
		const char *field, *key;
	} resources[] = {
		{"driverMemory", "spark.driver.memory"}, {"driverCores", "spark.driver.cores"},
		{"executorMemory", "spark.executor.memory"},
		{"executorCores", "spark.executor.cores"},
		{"numExecutors", "spark.executor.instances"},
	};
	json_object *req = get(r->body, "conf");
	char bad[2048];
	size_t nb = 0;

	r->conf = json_object_new_object();
	if (req) {
		json_object_object_foreach(req, k, v) {
			if (cfg_is_blacklisted(c, k) || lowers_a_wall(c, k, scalar_text(v)))
				nb += (size_t)snprintf(bad + nb, nb < sizeof bad ? sizeof bad - nb : 0,
						       "%s%s", nb ? ", " : "", k);
			json_object_object_add(r->conf, k, json_object_new_string(scalar_text(v)));
		}
	}
	if (nb) {
		snprintf(msg, msglen,
			 "Rejected, Reason: Blacklisted configuration values in session config: %s",
			 bad);
		return -1;
	}
	for (size_t i = 0; i < sizeof list_keys / sizeof list_keys[0]; i++)
		if ((list_keys[i].field && get(r->body, list_keys[i].field)) ||
		    json_object_object_get_ex(r->conf, list_keys[i].key, NULL))
			if (merge_list_key(r->conf, list_keys[i].key,
					   list_keys[i].field ? get(r->body, list_keys[i].field) : NULL,
					   c, msg, msglen) < 0)
				return -1;
	for (int i = 0; i < c->n_file_list_keys; i++)
		if (json_object_object_get_ex(r->conf, c->file_list_keys[i], NULL) &&
		    merge_list_key(r->conf, c->file_list_keys[i], NULL, c, msg, msglen) < 0)
			return -1;
	/* the walls between tenants (lowers_a_wall) */
	if (own_secret(c))
		json_object_object_add(r->conf, "spark.authenticate", json_object_new_string("true"));
	json_object_object_add(r->conf, "spark.ui.killEnabled", json_object_new_string("false"));
	if (driver_here(c))
		json_object_object_add(r->conf, "spark.ui.enabled", json_object_new_string("false"));
	json_object_object_add(r->conf, "spark.master", json_object_new_string(c->spark_master));
	if (c->deploy_mode[0])
		json_object_object_add(r->conf, "spark.submit.deployMode",
				       json_object_new_string(c->deploy_mode));
	if (!strncmp(c->spark_master, "yarn", 4))
		json_object_object_add(r->conf, "spark.yarn.submit.waitAppCompletion",
				       json_object_new_string("false"));
	for (size_t i = 0; i < sizeof resources / sizeof resources[0]; i++) {
		const char *v = get_str(r->body, resources[i].field);
		if (v)
			json_object_object_add(r->conf, resources[i].key, json_object_new_string(v));
	}
	return 0;
}

json_object *reqbody_object(const char *text, size_t len, const char *class_name,
			    const char *const keys[], size_t nkeys, char *msg, size_t msglen)
{
	struct reqbody r = {0};
	struct field f[REQBODY_MAX_KEYS];
	const struct form form = {class_name, f, nkeys};

	if (nkeys > REQBODY_MAX_KEYS || !(r.body = jsontext_object(text, len, msg, msglen)))
		return NULL;
	for (size_t i = 0; i < nkeys; i++)
		f[i] = (struct field){keys[i], F_STR};
	json_object_object_foreach(r.body, key, val) {
		size_t i;
		(void)val;
		for (i = 0; i < nkeys && strcmp(keys[i], key); i++)
			;
		if (i == nkeys) {
			unknown_field_msg(&form, key, msg, msglen);
			json_object_put(r.body);
			return NULL;
		}
	}
	return r.body;
}

/* What both requests share: the field table, names, impersonation, the conf.
 * Returns REQBODY_OK, or why not with the message in msg (r then holds nothing). */
static enum reqbody_rc parse_common(struct reqbody *r, const struct form *form, const char *text,
				    size_t len, const char *remote_user, const char *doas,
				    const struct cfg *c, char *msg, size_t msglen)
{
	const char *proxy;

	memset(r, 0, sizeof *r);
	if (!(r->body = jsontext_object(text, len, msg, msglen)))
		goto bad;
	json_object_object_foreach(r->body, key, val) {
		size_t i;
		if (!strcmp(key, callback_field.name) || !strcmp(key, callback_events_field.name)) {
			/* Tacitus's, beside Livy's */
			if (val && check_field(strcmp(key, callback_field.name) ? &callback_events_field
							 : &callback_field, val, msg, msglen) < 0)
				goto bad;
			continue;
		}
		for (i = 0; i < form->n && strcmp(form->fields[i].name, key); i++)
			;
		if (i == form->n) {
			unknown_field_msg(form, key, msg, msglen);
			goto bad;
		}
		if (val && check_field(&form->fields[i], val, msg, msglen) < 0)
			goto bad;
	}
	r->name = get_str(r->body, "name");
	r->class_name = get_str(r->body, "className");
	r->queue = get_str(r->body, "queue");
	r->callback = get_str(r->body, callback_field.name);
	if (r->callback && !hook_url_allowed(c, r->callback, msg, msglen))
		goto bad;
	if (callback_events_wrong(get_str(r->body, callback_events_field.name), r->callback, msg,
				  msglen))
		goto bad;
	if (r->name && !livy_name_valid(r->name)) {
		snprintf(msg, msglen, "Rejected, Reason: Invalid session name: %s", r->name);
		goto bad;
	}
	/* doAs in the query wins over proxyUser in the body; a user name that does not
	 * fit is refused, never cut (it would be another user) */
	proxy = doas ? doas : get_str(r->body, "proxyUser");
	if (c->impersonation && strlen(proxy ? proxy : remote_user ? remote_user : "") >=
				    sizeof r->proxy_user) {
		snprintf(msg, msglen, "Rejected, Reason: %s is longer than %zu bytes",
			 doas ? "doAs" : proxy ? "proxyUser" : "the user's name",
			 sizeof r->proxy_user - 1);
		goto bad;
	}
	if (!acl_impersonate(c, remote_user, proxy, r->proxy_user, sizeof r->proxy_user, msg,
			     msglen)) {
		reqbody_free(r);
		return REQBODY_FORBIDDEN;
	}
	if (build_conf(r, c, msg, msglen) < 0)
		goto bad;
	return REQBODY_OK;
bad:
	reqbody_free(r);
	return REQBODY_INVALID;
}

/* A standalone master (spark://...) in cluster deploy mode: the driver runs on a worker. */
static bool standalone_cluster(const struct cfg *c)
{
	return !strncmp(c->spark_master, "spark://", 8) && !strcmp(c->deploy_mode, "cluster");
}

/* Whether the application file is Python's or R's (by its name, as spark-submit tells). */
static bool interpreted(const char *file)
{
	size_t n = strlen(file);

	return (n >= 3 && !strcasecmp(file + n - 3, ".py")) ||
	       (n >= 2 && !strcasecmp(file + n - 2, ".r"));
}

enum reqbody_rc reqbody_batch(struct reqbody *r, const char *text, size_t len,
			      const char *remote_user, const char *doas, const struct cfg *c,
			      char *msg, size_t msglen)
{
	const char *file;
	json_object *args;
	char why[4200];
	enum reqbody_rc rc = parse_common(r, &batch_form, text, len, remote_user, doas, c, msg, msglen);

	if (rc)
		return rc;
	file = get_str(r->body, "file");
	if (!file || !*file) {
		snprintf(msg, msglen, "Rejected, Reason: requirement failed: File is required.");
		goto bad;
	}
	if (livy_resolve_uri(file, c->whitelist, c->n_whitelist, r->file, sizeof r->file,
			     why, sizeof why) < 0) {
		snprintf(msg, msglen, "Rejected, Reason: %s", why);
		goto bad;
	}
	if (standalone_cluster(c) && (interpreted(r->file) || get(r->body, "pyFiles"))) {
		snprintf(msg, msglen, "Rejected, Reason: Spark does not run Python or R "
			 "applications in cluster deploy mode on a standalone cluster (%s): use "
			 "livy.spark.deploy-mode = client, or a jar", c->spark_master);
		goto bad;
	}
	r->args = json_object_new_array();
	args = get(r->body, "args");
	for (size_t i = 0; args && i < json_object_array_length(args); i++)
		json_object_array_add(r->args, json_object_new_string(
			scalar_text(json_object_array_get_idx(args, i))));
	return REQBODY_OK;
bad:
	reqbody_free(r);
	return REQBODY_INVALID;
}

/* A time field in ms, -1 when absent (already validated). */
static long long time_field(json_object *body, const char *name)
{
	long long ms = -1;
	char why[256];
	const char *v = get_str(body, name);

	if (v && livy_parse_time_ms(v, &ms, why, sizeof why) < 0)
		ms = -1;
	return ms;
}

enum reqbody_rc reqbody_session(struct reqbody *r, const char *text, size_t len,
				const char *remote_user, const char *doas, const struct cfg *c,
				char *msg, size_t msglen)
{
	enum reqbody_rc rc = parse_common(r, &session_form, text, len, remote_user, doas, c, msg, msglen);
	json_object *hb;

	if (rc)
		return rc;
	r->kind = get_str(r->body, "kind") ? reqbody_kind(get_str(r->body, "kind")) : "shared";
	if (!strcmp(r->kind, "sparkr")) {
		snprintf(msg, msglen, "Rejected, Reason: kind sparkr needs R and SparkR, which this "
			 "server does not have");
		reqbody_free(r);
		return REQBODY_INVALID;
	}
	/* a standalone cluster runs no Python driver in cluster mode: a session's driver
	 * runs here (client mode, walled as every driver here), its executors there */
	if (standalone_cluster(c)) {
		json_object_object_add(r->conf, "spark.submit.deployMode",
				       json_object_new_string("client"));
		json_object_object_add(r->conf, "spark.ui.enabled", json_object_new_string("false"));
	}
	r->ttl_ms = time_field(r->body, "ttl");
	r->idle_timeout_ms = time_field(r->body, "idleTimeout");
	hb = get(r->body, "heartbeatTimeoutInSecond");
	r->heartbeat_sec = hb ? (int)strtol(scalar_text(hb), NULL, 10) : 0;
	r->args = json_object_new_array();
	return REQBODY_OK;
}

void reqbody_free(struct reqbody *r)
{
	json_object_put(r->body);
	json_object_put(r->conf);
	json_object_put(r->args);
	r->body = r->conf = r->args = NULL;
}

/* ---- a driver's sync ---- */

static bool int_or_null(json_object *o, const char *key, long long lo, long long hi)
{
	json_object *v;
	long long n;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return true;
	if (!json_object_is_type(v, json_type_int))
		return false;
	/* json-c clamps what is past int64 to its ends: those are out of range too */
	n = json_object_get_int64(v);
	return n >= lo && n <= hi && n != INT64_MIN && n != INT64_MAX;
}

static bool number_or_null(json_object *o, const char *key)
{
	json_object *v;

	return !json_object_object_get_ex(o, key, &v) || !v ||
	       json_object_is_type(v, json_type_int) ||
	       (json_object_is_type(v, json_type_double) && isfinite(json_object_get_double(v)));
}

/* body's array `key` (absent or null: fine), each element an object that `ok` passes */
static bool records_ok(json_object *body, const char *key, bool (*ok)(json_object *),
		       char *msg, size_t msglen)
{
	json_object *a;
	size_t n;

	if (!json_object_object_get_ex(body, key, &a) || !a)
		return true;
	if (!json_object_is_type(a, json_type_array)) {
		snprintf(msg, msglen, "\"%s\" must be an array", key);
		return false;
	}
	n = json_object_array_length(a);
	for (size_t i = 0; i < n; i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_object) || !ok(e)) {
			snprintf(msg, msglen, "\"%s\"[%zu] is not a valid record", key, i);
			return false;
		}
	}
	return true;
}

static bool result_ok(json_object *e)
{
	return int_or_null(e, "id", INT32_MIN, INT32_MAX) &&
	       int_or_null(e, "started", INT64_MIN, INT64_MAX) &&
	       int_or_null(e, "completed", INT64_MIN, INT64_MAX) && number_or_null(e, "progress");
}

static bool completion_ok(json_object *e)
{
	return int_or_null(e, "id", INT64_MIN, INT64_MAX);
}

enum reqbody_rc reqbody_sync(const char *text, size_t len, char *msg, size_t msglen)
{
	json_object *body = jsontext_object_deep(text, len, REQBODY_SYNC_DEPTH, msg, msglen);
	bool ok;

	if (!body)
		return REQBODY_INVALID;
	ok = records_ok(body, "results", result_ok, msg, msglen) &&
	     records_ok(body, "completions", completion_ok, msg, msglen);
	json_object_put(body);
	return ok ? REQBODY_OK : REQBODY_INVALID;
}
