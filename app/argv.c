/* argv.c - spark-submit's arguments for batches, session drivers and the warm pool. */
#include "argv.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_NAME "livy-session"   /* the application name of an unnamed session */
#define NAME_ARGS 2                 /* "--name", NAME: a driver's arguments start so */

static void add(json_object *a, const char *s)
{
	json_object_array_add(a, json_object_new_string(s));
}

/* "--conf", "k=v" (or k=v1,v2 when v2 is not NULL): whole, whatever its length.
 * Returns 0, or -1 when out of memory (nothing added). */
static int add_conf(json_object *a, const char *k, const char *v, const char *v2)
{
	size_t len = strlen(k) + strlen(v) + (v2 ? strlen(v2) + 1 : 0) + 2;
	char *kv = malloc(len);

	if (!kv)
		return -1;
	snprintf(kv, len, "%s=%s%s%s", k, v, v2 && *v ? "," : "", v2 ? v2 : "");
	add(a, "--conf");
	add(a, kv);
	free(kv);
	return 0;
}

json_object *argv_batch(const struct reqbody *r, const struct cfg *c)
{
	json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	if (r->name)
		add(a, "--name"), add(a, r->name);
	if (r->class_name)
		add(a, "--class"), add(a, r->class_name);
	json_object_object_foreach(r->conf, k, v) {
		if (!strcmp(k, "spark.submit.pyFiles")) {
			add(a, "--py-files"), add(a, json_object_get_string(v));
			continue;
		}
		if (add_conf(a, k, json_object_get_string(v), NULL) < 0) {
			json_object_put(a);
			return NULL;
		}
	}
	if (c->impersonation && r->proxy_user[0])
		add(a, "--proxy-user"), add(a, r->proxy_user);
	if (r->queue)
		add(a, "--queue"), add(a, r->queue);
	add(a, r->file);
	for (size_t i = 0; i < json_object_array_length(r->args); i++)
		add(a, json_object_get_string(json_object_array_get_idx(r->args, i)));
	return a;
}

/* The value of a "--conf" "spark.yarn.tags=..." pair at args[i], or NULL. */
static const char *yarn_tags_at(json_object *args, size_t i)
{
	const char *k = json_object_get_string(json_object_array_get_idx(args, i));
	const char *v = json_object_get_string(json_object_array_get_idx(args, i + 1));

	if (!k || !v || strcmp(k, "--conf") || strncmp(v, ARGV_YARN_TAG_CONF,
						       sizeof ARGV_YARN_TAG_CONF - 1))
		return NULL;
	return v + sizeof ARGV_YARN_TAG_CONF - 1;
}

/* Where the application's file is in args: argv_batch puts every option as a pair
 * ("--conf", "k=v") before it, and the application's own arguments after it. */
static size_t file_index(json_object *args)
{
	size_t n = json_object_array_length(args), i = 0;

	while (i + 1 < n && !strncmp(json_object_get_string(json_object_array_get_idx(args, i)),
				     "--", 2))
		i += 2;
	return i;
}

json_object *argv_with_yarn_tag(json_object *args, const char *tag)
{
	size_t n = json_object_array_length(args), file = file_index(args);
	json_object *a = json_object_new_array();
	const char *user = NULL;

	if (!a)
		return NULL;
	for (size_t i = 0; i < file; i += 2)
		if (yarn_tags_at(args, i))
			user = yarn_tags_at(args, i);
	if (add_conf(a, "spark.yarn.tags", user ? user : "", tag) < 0) {
		json_object_put(a);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (i < file && i % 2 == 0 && yarn_tags_at(args, i)) {
			i++;
			continue;
		}
		json_object_array_add(a, json_object_get(json_object_array_get_idx(args, i)));
	}
	return a;
}

bool argv_driver_on_yarn(const struct cfg *c)
{
	return !strncmp(c->spark_master, "yarn", 4) && !strcmp(c->deploy_mode, "cluster");
}

/* The conf of a driver in YARN's application master: r's, with its secret file (in
 * spark-submit's folder) and the CA file after the user's files, and one attempt
 * unless the user asks for more (a second attempt would be a new REPL that lost the
 * session's state, and whose secret was read by the first).  NULL when out of
 * memory. */
static json_object *yarn_driver_conf(json_object *conf, const char *cafile)
{
	json_object *copy = NULL, *files;
	const char *user;
	char *all;
	size_t n;

	if (json_object_deep_copy(conf, &copy, NULL) < 0)
		return NULL;
	user = json_object_object_get_ex(copy, "spark.files", &files) ?
	       json_object_get_string(files) : "";
	n = strlen(user) + strlen(ARGV_SECRET_FILE) + strlen(cafile) + 3;
	if (!(all = malloc(n))) {
		json_object_put(copy);
		return NULL;
	}
	snprintf(all, n, "%s%s%s,%s", user, *user ? "," : "", ARGV_SECRET_FILE, cafile);
	json_object_object_add(copy, "spark.files", json_object_new_string(all));
	free(all);
	if (!json_object_object_get_ex(copy, "spark.yarn.maxAppAttempts", NULL))
		json_object_object_add(copy, "spark.yarn.maxAppAttempts",
				       json_object_new_string("1"));
	return copy;
}

json_object *argv_driver(const struct reqbody *r, const struct cfg *c,
			 const struct argv_drivers *d)
{
	struct reqbody b = *r;
	json_object *args = json_object_new_array(), *a = NULL;
	bool yarn = argv_driver_on_yarn(c) && d->callback_cafile[0];
	const char *base = strrchr(d->callback_cafile, '/');

	add(args, "--callback"), add(args, d->callback_url);
	/* in YARN's container the CA file is where YARN put it: its folder */
	add(args, "--cafile"), add(args, yarn && base ? base + 1 : d->callback_cafile);
	add(args, "--secret-file"), add(args, ARGV_SECRET_FILE);
	b.name = r->name ? r->name : POOL_NAME;
	b.class_name = NULL;
	b.args = args;
	snprintf(b.file, sizeof b.file, "%s", d->script);
	if (yarn)
		b.conf = yarn_driver_conf(r->conf, d->callback_cafile);
	if (!yarn || b.conf)
		a = argv_batch(&b, c);
	if (yarn)
		json_object_put(b.conf);
	json_object_put(args);
	return a;
}

/* The text of a's elements after the name, as a JSON array; "" if it does not fit. */
static void tail_text(json_object *a, char *buf, size_t len)
{
	json_object *t = json_object_new_array();
	const char *text;

	for (size_t i = NAME_ARGS; i < json_object_array_length(a); i++)
		json_object_array_add(t, json_object_get(json_object_array_get_idx(a, i)));
	text = json_object_to_json_string_ext(t, JSON_C_TO_STRING_PLAIN);
	snprintf(buf, len, "%s", strlen(text) < len ? text : "");
	json_object_put(t);
}

int argv_pool_setup(const struct cfg *c, struct argv_drivers *d)
{
	static const char body[] = ARGV_POOL_BODY;
	struct reqbody r;
	char msg[256];
	const char *text;
	json_object *a;
	int rc = 0;

	d->pool[0] = d->pool_tail[0] = '\0';
	if (strncmp(c->spark_master, "local", 5) || !d->script[0])
		return 0;
	if (reqbody_session(&r, body, sizeof body - 1, NULL, NULL, c, msg, sizeof msg)) {
		log_error("warm pool: the default session request is refused: %s", msg);
		return -1;
	}
	a = argv_driver(&r, c, d);
	text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) >= sizeof d->pool) {
		log_error("warm pool: its spark-submit arguments are longer than %zu bytes",
			  sizeof d->pool - 1);
		rc = -1;
	} else {
		snprintf(d->pool, sizeof d->pool, "%s", text);
		tail_text(a, d->pool_tail, sizeof d->pool_tail);
	}
	json_object_put(a);
	reqbody_free(&r);
	return rc;
}

bool argv_fits_pool(json_object *a, const struct argv_drivers *d)
{
	char tail[sizeof d->pool_tail];

	if (!d->pool_tail[0])
		return false;
	tail_text(a, tail, sizeof tail);
	return !strcmp(tail, d->pool_tail);
}
