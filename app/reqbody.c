/* reqbody.c - request bodies: field validators, Livy's rules, the final Spark conf. */
#include "reqbody.h"
#include "access.h"
#include "livy.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
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

#define JSON_MEDIA_TYPE "application/json"

bool reqbody_json_type(const char *ct)
{
	size_t n = strlen(JSON_MEDIA_TYPE);

	if (!ct || strncasecmp(ct, JSON_MEDIA_TYPE, n))
		return false;
	for (ct += n; *ct == ' ' || *ct == '\t'; ct++)
		;
	return !*ct || *ct == ';';
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
 * gets this far: parse_body refuses \u0000). */
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
			if (cfg_is_blacklisted(c, k))
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

/* JSON's own whitespace (RFC 8259); isspace() would also take \f and \v, which
 * PostgreSQL refuses. */
static bool json_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The length of the well-formed UTF-8 sequence at s (at most n bytes), 0 if there is
 * none: no overlong forms, no UTF-16 surrogates, nothing past U+10FFFF (RFC 3629),
 * which is what PostgreSQL's UTF8 encoding takes. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned lo = 0x80, hi = 0xbf;          /* the range of the second byte */

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;              /* overlong */
		else if (s[0] == 0xed)
			hi = 0x9f;              /* surrogates */
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		if (s[0] == 0xf0)
			lo = 0x90;              /* overlong */
		else if (s[0] == 0xf4)
			hi = 0x8f;              /* past U+10FFFF */
	} else
		return 0;
	if (len > n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++)
		v = v * 16 + (unsigned)(isdigit((unsigned char)s[i]) ? s[i] - '0'
						 : tolower((unsigned char)s[i]) - 'a' + 10);
	return v;
}

#define MAX_NUMBER_LEN 64       /* characters of one JSON number */

/* A number token at s (n bytes) that both json-c and PostgreSQL read as written: a
 * digit after any '.', an integer within 64 bits (json-c clamps larger ones), anything
 * else within a double's range (PostgreSQL refuses exponents past +-1000). */
static bool number_ok(const char *s, size_t n)
{
	char buf[MAX_NUMBER_LEN + 1], *end;
	bool integer = true;

	if (n == 0 || n > MAX_NUMBER_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.' && (i + 1 == n || !isdigit((unsigned char)s[i + 1])))
			return false;
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			integer = false;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	if (integer)
		(void)strtoll(buf, &end, 10);
	else
		(void)strtod(buf, &end);
	return errno == 0 && *end == '\0';
}

/* What json-c's strict mode still takes and PostgreSQL's jsonb refuses (the bodies
 * of batches and sessions are stored as jsonb, and every string goes to a text
 * column): \u0000, lone UTF-16 surrogates, raw control characters and ill-formed
 * UTF-8 in strings, NaN and Infinity, "1.", numbers no column holds as sent,
 * whitespace other than JSON's.  Runs over text json-c accepted whole (so every
 * escape is complete and the structure sound).  Returns NULL, or what is wrong with
 * its offset in *at. */
static const char *json_refused(const char *s, size_t len, size_t *at)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		*at = i;
		if (c == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				size_t u8;
				*at = i;
				if ((unsigned char)s[i] < 0x20)
					return "a control character in a string must be escaped";
				if ((unsigned char)s[i] >= 0x80) {
					if (!(u8 = utf8_len((const unsigned char *)s + i, len - i)))
						return "invalid UTF-8";
					i += u8 - 1;
					continue;
				}
				if (s[i] != '\\')
					continue;
				if (++i < len && s[i] == 'u' && i + 4 < len) {
					unsigned u = hex4(s + i + 1);
					i += 4;
					if (u == 0)
						return "\\u0000 (NUL) is not allowed in a string";
					if (u >= 0xdc00 && u <= 0xdfff)
						return "a lone UTF-16 surrogate";
					if (u >= 0xd800 && u <= 0xdbff) {
						if (i + 6 >= len || s[i + 1] != '\\' || s[i + 2] != 'u' ||
						    hex4(s + i + 3) < 0xdc00 || hex4(s + i + 3) > 0xdfff)
							return "a lone UTF-16 surrogate";
						i += 6;
					}
				}
			}
			i++;
		} else if (c == '-' || isdigit(c)) {
			size_t n = strspn(s + i, "+-.0123456789eE");
			if (n > len - i)
				n = len - i;
			if (!number_ok(s + i, n))
				return "a number that is not written as JSON or out of range";
			i += n;
		} else if (c == 'N' || c == 'I') {
			return "NaN and Infinity are not JSON";
		} else if (isspace(c) && !json_ws((char)c)) {
			return "whitespace other than space, tab, CR and LF";
		} else {
			i++;
		}
	}
	return NULL;
}

static int parse_body(struct reqbody *r, const char *text, size_t len, char *msg, size_t msglen)
{
	json_tokener *tok;
	enum json_tokener_error jerr;
	const char *why = NULL;
	size_t at;

	if (len == 0) {
		snprintf(msg, msglen, "The request body is empty: a JSON object is expected");
		return -1;
	}
	tok = json_tokener_new_ex(32);
	/* strict: RFC 8259, not json-c's leniency (single quotes, trailing commas, ...),
	 * which PostgreSQL would refuse when the body is stored, after a 503 */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* the terminating NUL tells the tokener the input ends ("null", "12") */
	r->body = json_tokener_parse_ex(tok, text, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	at = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		why = "unexpected end of input";
	else if (jerr == json_tokener_error_parse_utf8_string)
		why = "invalid UTF-8";
	else if (jerr != json_tokener_success)
		why = json_tokener_error_desc(jerr);
	else {
		while (at < len && json_ws(text[at]))
			at++;
		if (at < len)
			why = "unexpected data";
		else
			why = json_refused(text, len, &at);
	}
	if (why) {
		snprintf(msg, msglen, "Malformed JSON: %s at offset %zu", why, at);
		json_object_put(r->body);
		r->body = NULL;
		return -1;
	}
	if (!json_object_is_type(r->body, json_type_object)) {
		snprintf(msg, msglen, "The request body must be a JSON object");
		return -1;
	}
	return 0;
}

json_object *reqbody_object(const char *text, size_t len, const char *class_name,
			    const char *const keys[], size_t nkeys, char *msg, size_t msglen)
{
	struct reqbody r = {0};
	struct field f[REQBODY_MAX_KEYS];
	const struct form form = {class_name, f, nkeys};

	if (nkeys > REQBODY_MAX_KEYS || parse_body(&r, text, len, msg, msglen) < 0) {
		json_object_put(r.body);
		return NULL;
	}
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
	memset(r, 0, sizeof *r);
	if (parse_body(r, text, len, msg, msglen) < 0)
		goto bad;
	json_object_object_foreach(r->body, key, val) {
		size_t i;
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
	if (r->name && !livy_name_valid(r->name)) {
		snprintf(msg, msglen, "Rejected, Reason: Invalid session name: %s", r->name);
		goto bad;
	}
	/* doAs in the query wins over proxyUser in the body */
	if (!acl_impersonate(c, remote_user, doas ? doas : get_str(r->body, "proxyUser"),
			     r->proxy_user, sizeof r->proxy_user, msg, msglen)) {
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
