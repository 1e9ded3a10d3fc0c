/* batches.c - /batches: create, list, get, state, log, delete. */
#include "batches.h"
#include "access.h"
#include "argv.h"
#include "log.h"
#include "reqbody.h"
#include "track_standalone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 8192                /* Livy's messages quote the request's values */
#define LOCATION_MAX 64
#define KEY_MAX 32
#define IDEMPOTENCY_KEY_MAX 255

/* The batch object; its log is [] for a caller without view access (as Livy). */
static json_object *batch_json(const struct store_batch *b, bool view)
{
	json_object *o = json_object_new_object(), *info = json_object_new_object();
	json_object *log = json_object_new_array();

	json_object_object_add(o, "id", json_object_new_int64(b->id));
	json_object_object_add(o, "name", reply_str(b->name));
	json_object_object_add(o, "owner", reply_str(b->owner));
	json_object_object_add(o, "proxyUser", reply_str(b->proxy_user));
	json_object_object_add(o, "state", reply_str(b->state));
	json_object_object_add(o, "appId", reply_str(b->app_id));
	json_object_object_add(info, "driverLogUrl", reply_str(b->driver_log_url));
	json_object_object_add(info, "sparkUiUrl", reply_str(b->spark_ui_url));
	json_object_object_add(info, "executorLogUrls", NULL);
	json_object_object_add(o, "appInfo", info);
	json_object_object_add(o, "log", log);
	if (view)
		reply_log_tail(log, b->log_lines, b->log_tail);
	return o;
}

/* This worker's texts of batches (jsonmemo.h): jsonmemo_begin at the start of each
 * answer that shows batches. */
static struct jsonmemo batch_memo;

#define BATCH_KEY_VALUES 9

/* The values batch_json's text is made from, in v (BATCH_KEY_VALUES): every one it
 * reads, the caller's view right too, but the log tail, which log_lines stands for
 * (a batch's tail is the same for the same log_lines: store.h).  lines holds the
 * number's text (24 bytes).  Returns the view right. */
static bool batch_key(const struct call *k, const struct store_batch *b, const char **v,
		      char *lines)
{
	bool view = acl_can_view(k->c, k->user, b->owner, b->proxy_user);
	const char *x[BATCH_KEY_VALUES] = {view ? "view" : "", b->name, b->owner, b->proxy_user,
					   b->state, b->app_id, b->driver_log_url,
					   b->spark_ui_url, lines};

	snprintf(lines, 24, "%ld", b->log_lines);
	memcpy(v, x, sizeof x);
	return view;
}

/* The text this worker keeps for b as the caller is shown it, or NULL. */
static const char *batch_kept(const struct call *k, const struct store_batch *b)
{
	const char *v[BATCH_KEY_VALUES];
	char lines[24];

	batch_key(k, b, v, lines);
	return jsonmemo_get(&batch_memo, b->id, v, BATCH_KEY_VALUES);
}

/* The batch as the caller is shown it (b with its log tail): the text kept, else
 * batch_json's, kept for the next answers. */
static json_object *batch_node(const struct call *k, const struct store_batch *b)
{
	const char *v[BATCH_KEY_VALUES], *text;
	char lines[24];
	bool view = batch_key(k, b, v, lines);

	if ((text = jsonmemo_get(&batch_memo, b->id, v, BATCH_KEY_VALUES)))
		return http_json_raw(text);
	return reply_memo_keep(&batch_memo, b->id, v, BATCH_KEY_VALUES, batch_json(b, view));
}

static void send_batch(const struct call *k, const struct store_batch *b, int status)
{
	json_object *o;
	char loc[LOCATION_MAX];

	jsonmemo_begin(&batch_memo);
	o = batch_node(k, b);
	snprintf(loc, sizeof loc, "Location: /batches/%lld\r\n", b->id);
	http_send_json(k->r, status, o, status == 201 ? loc : NULL);
	json_object_put(o);
}

/* The page's batches as the caller is shown them into list: the texts this worker
 * keeps, and the others made once their log tails are read.  -1 when the database
 * failed (nothing answered yet). */
static int batch_items(struct call *k, struct store_batches *bs, json_object *list)
{
	const char **kept = calloc((size_t)bs->n + 1, sizeof *kept);
	bool *want = calloc((size_t)bs->n + 1, sizeof *want), missing = false;
	int rc = 0;

	if (!kept || !want) {
		log_error("batch list: out of memory");
		rc = -1;
	}
	for (int i = 0; rc == 0 && i < bs->n; i++) {
		kept[i] = batch_kept(k, &bs->v[i]);
		want[i] = !kept[i];
		missing |= want[i];
	}
	if (rc == 0 && missing && store_batch_tails(k->s, bs, want) != STORE_OK)
		rc = -1;
	for (int i = 0; rc == 0 && i < bs->n; i++)
		json_object_array_add(list, kept[i] ? http_json_raw(kept[i])
						    : batch_node(k, &bs->v[i]));
	free(kept);
	free(want);
	return rc;
}

static void batch_list(struct call *k)
{
	struct store_batches bs;
	json_object *list;
	int from, size;

	if (reply_query_int(k->r, "from", 0, &from, NULL) < 0 ||
	    reply_query_size(k->r, 100, REPLY_MAX_ITEMS, false, &size) < 0)
		return;
	if (store_batch_list(k->s, from, size, k->c, &bs) != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	jsonmemo_begin(&batch_memo);
	list = json_object_new_array_ext(bs.n);
	if (batch_items(k, &bs, list) < 0) {
		json_object_put(list);
		reply_unavailable(k->r);
	} else {
		reply_page(k->r, from, bs.total, list);
	}
	store_batches_free(&bs);
}

/* The batch a repeated Idempotency-Key refers to, as it is now. */
static void batch_replay(struct call *k, long long id)
{
	struct store_batches bs;
	char key[KEY_MAX];
	enum store_rc rc;

	snprintf(key, sizeof key, "%lld", id);
	rc = store_batch_get(k->s, key, true, k->c, &bs);
	if (rc == STORE_NOTFOUND)
		http_send_msg(k->r, 404, NULL, "The batch created with this Idempotency-Key "
			      "(%lld) is no longer available", id);
	else if (rc != STORE_OK)
		reply_unavailable(k->r);
	else {
		send_batch(k, &bs.v[0], 201);
		store_batches_free(&bs);
	}
}

/* Idempotency-Key: at most 255 printable ASCII characters.  NULL = none; "" = bad. */
static const char *idempotency_key(struct http_req *r)
{
	const char *k = FCGX_GetParam("HTTP_IDEMPOTENCY_KEY", r->fcgx->envp);

	if (!k)
		return NULL;
	if (!*k || strlen(k) > IDEMPOTENCY_KEY_MAX)
		return "";
	for (const char *p = k; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return "";
	return k;
}

/* A batch that a standalone master will run (cluster deploy mode) must make a
 * submission the master takes (no --proxy-user: the worker runs every driver as
 * itself; a main class; no Python or R): true, or false after answering 400. */
static bool standalone_fits(struct call *k, json_object *argv)
{
	struct sa_submit_opts o = {k->c->spark_master, "", "check"};
	char err[MSG_MAX];
	char *req;

	if (strcmp(cfg_tracker(k->c), "standalone"))
		return true;
	bool fits;

	req = sa_create_request(argv, &o, err, sizeof err);
	fits = req != NULL;
	free(req);
	if (!fits)
		http_send_msg(k->r, 400, NULL, "Rejected, Reason: %s (livy.spark.master = %s in "
			      "cluster deploy mode)", err, k->c->spark_master);
	return fits;
}

/* Store the accepted request q with its arguments and answer. */
static void batch_store(struct call *k, const struct reqbody *q, struct store_new_batch *nb)
{
	struct http_req *r = k->r;
	struct store_batch b = {0};
	json_object *argv = argv_batch(q, k->c);
	long long id;
	enum store_rc rc;

	if (!standalone_fits(k, argv)) {
		json_object_put(argv);
		return;
	}
	nb->name = q->name;
	nb->owner = r->remote_user;
	nb->proxy_user = q->proxy_user[0] ? q->proxy_user : NULL;
	nb->request_json = r->body;
	nb->argv_json = json_object_to_json_string_ext(argv, JSON_C_TO_STRING_PLAIN);
	nb->tracker = cfg_tracker(k->c);
	rc = store_batch_create(k->s, nb, k->c, &id);
	if (rc == STORE_CONFLICT)
		http_send_msg(r, 422, NULL, "Idempotency-Key '%s' was used for batch %lld with "
			      "another request body", nb->idempotency_key, id);
	else if (rc == STORE_REPLAYED)
		batch_replay(k, id);
	else if (rc != STORE_OK)
		reply_refused(k, rc, nb->name, id);
	else {
		log_info("batch %lld: created by %s for %s", id, r->remote_user,
			 q->file);
		b.id = id;
		b.name = nb->name;
		b.owner = nb->owner;
		b.proxy_user = nb->proxy_user;
		b.state = "starting";
		b.log_tail = "";
		send_batch(k, &b, 201);
	}
	json_object_put(argv);
}

static void batch_create(struct call *k)
{
	struct http_req *r = k->r;
	struct store_new_batch nb = {0};
	struct reqbody q;
	char msg[MSG_MAX];
	enum reqbody_rc rc;

	nb.idempotency_key = idempotency_key(r);
	if (nb.idempotency_key && !*nb.idempotency_key) {
		http_send_msg(r, 400, NULL, "Idempotency-Key must be 1 to %d printable ASCII "
			      "characters", IDEMPOTENCY_KEY_MAX);
		return;
	}
	rc = reqbody_batch(&q, r->body ? r->body : "", r->body_len, r->remote_user, k->doas, k->c,
			   msg, sizeof msg);
	if (rc != REQBODY_OK) {
		http_send_msg(r, rc == REQBODY_FORBIDDEN ? 403 : 400, NULL, "%s", msg);
		return;
	}
	batch_store(k, &q, &nb);
	reqbody_free(&q);
}

/* GET /batches/{key}/state?wait=N&since=STATE or ?until=end: true when answered
 * (push.h). */
static bool wait_state(struct call *k, const struct store_batch *b)
{
	char ch[PUSH_CHANNEL_MAX], end[PUSH_CHANNEL_MAX], path[PUSH_URI_MAX];

	push_job_channel(ch, sizeof ch, b->id, b->push_seq);
	push_end_channel(end, sizeof end, b->id);
	snprintf(path, sizeof path, "/batches/%lld/state", b->id);
	return reply_wait(k, PUSH_BATCH, b->state, ch, end, path);
}

/* GET /batches/{key} (state: only /state). */
static void batch_get(struct call *k, const char *key, bool state)
{
	struct store_batches bs;
	enum store_rc rc = store_batch_get(k->s, key, !state, k->c, &bs);

	if (rc == STORE_NOTFOUND)
		reply_not_found(k->r, key);
	else if (rc != STORE_OK)
		reply_unavailable(k->r);
	else {
		if (state && !wait_state(k, &bs.v[0]))
			reply_state(k->r, bs.v[0].id, bs.v[0].state);
		else if (!state)
			send_batch(k, &bs.v[0], 200);
		store_batches_free(&bs);
	}
}

/* GET /batches/{key}/log, or with events its event stream (the same rights). */
static void batch_log(struct call *k, const char *key, bool events)
{
	struct store_batches bs;
	enum store_rc rc = store_batch_get(k->s, key, false, k->c, &bs);

	if (rc == STORE_NOTFOUND) {
		reply_not_found(k->r, key);
		return;
	}
	if (rc != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	if (!acl_can_view(k->c, k->user, bs.v[0].owner, bs.v[0].proxy_user))
		http_send_msg(k->r, 403, NULL, "User '%s' may not see the log of batch %lld",
			      k->user, bs.v[0].id);
	else if (events)
		reply_events(k, bs.v[0].id);
	else
		reply_log(k, bs.v[0].id, bs.v[0].id, bs.v[0].log_lines);
	store_batches_free(&bs);
}

static void batch_delete(struct call *k, const char *key)
{
	struct http_req *r = k->r;
	struct store_batches bs;
	char idtext[32];
	bool may;
	long long id;
	enum store_rc rc = store_batch_get(k->s, key, false, k->c, &bs);

	if (rc == STORE_OK) {
		may = acl_can_modify(k->c, k->user, bs.v[0].owner, bs.v[0].proxy_user);
		id = bs.v[0].id;
		store_batches_free(&bs);
		if (!may) {
			http_send_msg(r, 403, NULL, "User '%s' may not delete batch %lld", k->user, id);
			return;
		}
		/* the batch whose rights were checked, by its id: a name may name another
		 * batch by now (names are free again once a batch is gone) */
		snprintf(idtext, sizeof idtext, "%lld", id);
		rc = store_batch_delete(k->s, idtext, k->c, &id);
	}
	if (rc == STORE_NOTFOUND)
		reply_not_found(r, key);
	else if (rc != STORE_OK)
		reply_unavailable(r);
	else {
		log_info("batch %lld: deleted by %s", id, r->remote_user);
		http_send_msg(r, 200, NULL, "deleted");
	}
}

void batches_route(struct call *k)
{
	struct http_req *r = k->r;
	const char *key = k->seg[1], *what = k->n == 3 ? k->seg[2] : "";

	if (k->n == 1) {
		if (reply_method_is(r, "GET"))
			batch_list(k);
		else if (reply_method_is(r, "POST"))
			batch_create(k);
		else
			reply_not_allowed(r, "POST, GET, HEAD");
	} else if (reply_check_key(r, key) < 0) {
		return;
	} else if (k->n == 2) {
		if (reply_method_is(r, "GET"))
			batch_get(k, key, false);
		else if (reply_method_is(r, "DELETE"))
			batch_delete(k, key);
		else
			reply_not_allowed(r, "DELETE, GET, HEAD");
	} else if (!strcmp(what, "state") || !strcmp(what, "log") || !strcmp(what, "events")) {
		if (!reply_method_is(r, "GET"))
			reply_not_allowed(r, "GET, HEAD");
		else if (!strcmp(what, "state"))
			batch_get(k, key, true);
		else
			batch_log(k, key, !strcmp(what, "events"));
	} else {
		reply_no_route(r);
	}
}
