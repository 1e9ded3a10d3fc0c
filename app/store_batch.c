/* store_batch.c - the batch API's SQL: create under the admission rule, get, list, log, delete. */
#include "store_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#define IDEMPOTENCY_HOURS "24"      /* how long an Idempotency-Key is remembered */
#define BATCH_LIST_SQL_MAX 2048     /* the list's statement, its retain time written in */

/* The columns of a batch as the API shows it, in this order (enum bcol). */
#define BATCH_HEAD "b.id, b.name, b.owner, b.proxy_user, b.state, b.app_id, " \
	"b.spark_ui_url, b.driver_log_url, b.log_lines, b.push_seq, "
#define BATCH_COLUMNS BATCH_HEAD "b.log_tail"
#define BATCH_COLUMNS_NO_LOG BATCH_HEAD "''"

enum bcol {
	BC_ID, BC_NAME, BC_OWNER, BC_PROXY_USER, BC_STATE, BC_APP_ID, BC_SPARK_UI_URL,
	BC_DRIVER_LOG_URL, BC_LOG_LINES, BC_PUSH_SEQ, BC_LOG_TAIL,
	BC_TOTAL                    /* lists only: the number of visible batches */
};

static void fill_batches(PGresult *r, struct store_batches *out)
{
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++) {
		struct store_batch *b = &out->v[i];
		b->id = atoll(PQgetvalue(r, i, BC_ID));
		b->name = store_col(r, i, BC_NAME);
		b->owner = store_col(r, i, BC_OWNER);
		b->proxy_user = store_col(r, i, BC_PROXY_USER);
		b->state = store_col(r, i, BC_STATE);
		b->app_id = store_col(r, i, BC_APP_ID);
		b->spark_ui_url = store_col(r, i, BC_SPARK_UI_URL);
		b->driver_log_url = store_col(r, i, BC_DRIVER_LOG_URL);
		b->log_lines = atol(PQgetvalue(r, i, BC_LOG_LINES));
		b->push_seq = atol(PQgetvalue(r, i, BC_PUSH_SEQ));
		b->log_tail = PQgetvalue(r, i, BC_LOG_TAIL);
	}
	if (!out->v)
		out->n = 0;
}

void store_batches_free(struct store_batches *b)
{
	PQclear(b->res);
	PQclear(b->tails);
	free(b->v);
	memset(b, 0, sizeof *b);
}

/* The columns of the creation check (enum ccol). */
enum ccol { CC_NAME_HOLDER, CC_KEY_BATCH, CC_KEY_SAME_REQUEST, CC_ADMISSION };

/* Inside the admission transaction, after its lock: the admission counts and the
 * rules of a new batch, in one query, a replay first.  STORE_OK, or why not with *id
 * set to the batch concerned. */
static enum store_rc check_new(struct store *s, const struct store_new_batch *nb,
			       const struct cfg *c, long long *id)
{
	char retain[STORE_NUM_MAX];
	struct store_admission a;
	const char *p[9] = {nb->name, retain, nb->idempotency_key, nb->owner, nb->request_json,
			    nb->proxy_user};
	enum store_rc rc = STORE_OK, admitted;
	long live;
	PGresult *r;

	store_retain(c, retain);
	store_admission_params(c, nb->owner, &a);
	p[6] = a.maxc;
	p[7] = a.owner;
	p[8] = a.maxu;
	/* a key belongs to the user and to whom the user acts as (doAs or proxyUser):
	 * the same key acting as someone else is another request, not a replay */
	r = store_run(s, "batch check",
		"SELECT (SELECT b.id FROM batch b WHERE b.name = $1 AND " STORE_VISIBLE("$2") " LIMIT 1), "
		"k.id, k.request = $5::jsonb, " STORE_ADMISSION_COLUMNS("$7", "$8", "$9") " "
		"FROM (SELECT 1) one LEFT JOIN LATERAL "
		"(SELECT id, request FROM batch WHERE idempotency_key = $3 AND "
		"owner IS NOT DISTINCT FROM $4 AND proxy_user IS NOT DISTINCT FROM $6 AND "
		"created_at > now() - interval '" IDEMPOTENCY_HOURS " hours' "
		"ORDER BY id DESC LIMIT 1) k ON true", 9, p);
	if (!r)
		return STORE_ERROR;
	admitted = store_admission_read(r, CC_ADMISSION, &live);
	if (!PQgetisnull(r, 0, CC_KEY_BATCH)) {     /* the key was used: a replay or a conflict */
		*id = atoll(PQgetvalue(r, 0, CC_KEY_BATCH));
		rc = !strcmp(PQgetvalue(r, 0, CC_KEY_SAME_REQUEST), "t") ? STORE_REPLAYED
									 : STORE_CONFLICT;
	} else if (live >= c->max_creation) {
		rc = STORE_TOO_MANY;
	} else if (admitted != STORE_OK) {
		rc = admitted;
	} else if (!PQgetisnull(r, 0, CC_NAME_HOLDER)) {
		*id = atoll(PQgetvalue(r, 0, CC_NAME_HOLDER));
		rc = STORE_DUPLICATE;
	}
	PQclear(r);
	return rc;
}

static enum store_rc insert_batch(struct store *s, const struct store_new_batch *nb, long long *id)
{
	const char *p[7] = {nb->name, nb->owner, nb->proxy_user, nb->request_json, nb->argv_json,
			    nb->idempotency_key, nb->tracker ? nb->tracker : "local"};
	PGresult *r = store_run(s, "batch insert",
		"WITH b AS (INSERT INTO batch (name, owner, proxy_user, request, argv, idempotency_key, "
		"tracker) VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7) RETURNING id), "
		"e AS (INSERT INTO batch_event (batch_id, to_state, actor, reason) "
		"SELECT id, 'starting', $2, 'POST /batches' FROM b) "
		"SELECT id, pg_notify('" STORE_CHANNEL "', id::text) FROM b", 7, p);

	if (!r)
		return STORE_ERROR;
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

enum store_rc store_batch_create(struct store *s, const struct store_new_batch *nb,
				 const struct cfg *c, long long *id)
{
	enum store_rc rc = STORE_ERROR;

	*id = -1;
	if (store_begin(s) < 0)
		return STORE_ERROR;
	if (store_admission_lock(s) == 0 &&
	    (rc = check_new(s, nb, c, id)) == STORE_OK &&
	    (rc = insert_batch(s, nb, id)) == STORE_OK &&
	    store_commit(s) < 0)
		rc = STORE_ERROR;
	if (rc != STORE_OK)
		store_rollback(s);
	return rc;
}

enum store_rc store_batch_get(struct store *s, const char *key, bool with_log,
			      const struct cfg *c, struct store_batches *out)
{
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = with_log
		? store_by_key(s, "batch get", key, c,
			"SELECT " BATCH_COLUMNS " FROM batch b WHERE b.id = $1::bigint AND "
			STORE_VISIBLE("$2"),
			"SELECT " BATCH_COLUMNS " FROM batch b WHERE b.name = $1 AND " STORE_VISIBLE("$2")
			" ORDER BY b.id DESC LIMIT 1")
		: store_by_key(s, "batch get", key, c,
			"SELECT " BATCH_COLUMNS_NO_LOG " FROM batch b WHERE b.id = $1::bigint AND "
			STORE_VISIBLE("$2"),
			"SELECT " BATCH_COLUMNS_NO_LOG " FROM batch b WHERE b.name = $1 AND "
			STORE_VISIBLE("$2") " ORDER BY b.id DESC LIMIT 1");
	if (!r)
		return STORE_ERROR;
	fill_batches(r, out);
	if (out->n == 0) {
		store_batches_free(out);
		return STORE_NOTFOUND;
	}
	return STORE_OK;
}

/* The list's statement with c's retain time written in (store_page_fixed), made at the
 * first call: one configuration per process.  The ids shown (STORE_VISIBLE_IDS: two
 * index-only scans) are counted and paged first; then the page's rows are read by
 * id, in no order (store_batch_list sorts them), without their log tails
 * (store_batch_tails).  The total rides on every row, and on a row of NULLs when the
 * page is empty.  NULL if it does not fit. */
static const char *batch_list_sql(const struct cfg *c)
{
	static char sql[BATCH_LIST_SQL_MAX];

	return sql[0] ? sql : store_fixed_sql(sql, sizeof sql, "batch list", snprintf(sql, sizeof sql,
		"SELECT " BATCH_COLUMNS_NO_LOG ", t.total FROM (SELECT count(*) AS total FROM ("
		STORE_VISIBLE_IDS("%ld") ") v) t LEFT JOIN batch b ON b.id = ANY (ARRAY(SELECT v.id FROM ("
		STORE_VISIBLE_IDS("%ld") ") v ORDER BY v.id OFFSET $1::bigint LIMIT $2::bigint))",
		c->state_retain_sec, c->state_retain_sec));
}

/* qsort's and bsearch's order of batches: by id. */
static int by_id(const void *a, const void *b)
{
	long long x = ((const struct store_batch *)a)->id, y = ((const struct store_batch *)b)->id;

	return (x > y) - (x < y);
}

enum store_rc store_batch_list(struct store *s, long from, long size, const struct cfg *c,
			       struct store_batches *out)
{
	const char *sql = batch_list_sql(c);
	PGresult *r;

	memset(out, 0, sizeof *out);
	r = sql ? store_page_fixed(s, "batch list", sql, from, size) : NULL;
	if (!r)
		return STORE_ERROR;
	out->total = atol(PQgetvalue(r, 0, BC_TOTAL));
	if (PQgetisnull(r, 0, BC_ID)) {
		out->res = r;
		return STORE_OK;
	}
	fill_batches(r, out);
	if (out->n > 1)
		qsort(out->v, (size_t)out->n, sizeof *out->v, by_id);
	return STORE_OK;
}

/* The batch of b (in id order) with this id, or NULL. */
static struct store_batch *batch_by_id(struct store_batches *b, long long id)
{
	struct store_batch key = {.id = id};

	return b->n ? bsearch(&key, b->v, (size_t)b->n, sizeof *b->v, by_id) : NULL;
}

enum store_rc store_batch_tails(struct store *s, struct store_batches *b, const bool *want)
{
	/* the ids as a JSON array, the way a list reaches a query here */
	json_object *ids = json_object_new_array();
	const char *p[1];
	PGresult *r = NULL;
	size_t n;

	for (int i = 0; ids && i < b->n; i++)
		if (want[i]) {
			json_object_array_add(ids, json_object_new_int64(b->v[i].id));
			b->v[i].log_lines = 0;
		}
	if (!ids) {
		log_error("batch tails: out of memory");
		return STORE_ERROR;
	}
	p[0] = json_object_to_json_string_ext(ids, JSON_C_TO_STRING_PLAIN);
	if ((n = json_object_array_length(ids)))
		r = store_run(s, "batch tails", "SELECT id, log_lines, log_tail FROM batch WHERE "
			      "id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)", 1, p);
	json_object_put(ids);
	if (n && !r)
		return STORE_ERROR;
	for (int i = 0; r && i < PQntuples(r); i++) {
		struct store_batch *x = batch_by_id(b, atoll(PQgetvalue(r, i, 0)));

		if (x) {
			x->log_lines = atol(PQgetvalue(r, i, 1));
			x->log_tail = PQgetvalue(r, i, 2);
		}
	}
	PQclear(b->tails);
	b->tails = r;
	return STORE_OK;
}

void store_lines_free(struct store_lines *l)
{
	PQclear(l->res);
	free(l->v);
	memset(l, 0, sizeof *l);
}

enum store_rc store_batch_log(struct store *s, long long id, long first, long count,
			      struct store_lines *out)
{
	char ids[STORE_NUM_MAX], lo[STORE_NUM_MAX], hi[STORE_NUM_MAX];
	const char *p[3] = {ids, lo, hi};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(lo, sizeof lo, "%ld", first);
	snprintf(hi, sizeof hi, "%ld", first + count);
	/* the chunks from the one holding line first (the last that starts at or before it)
	 * to the last that starts before first + count, each split and cut to the window
	 * (a slice outside an array's bounds is clamped to them) */
	r = store_run(s, "batch log", "SELECT o.line FROM batch_log_chunk c, "
		      "unnest((CASE WHEN c.line_count = 1 THEN ARRAY[c.lines] "
		      "ELSE string_to_array(c.lines, E'\\n') END)"
		      "[$2::int - c.first_line + 1 : $3::int - c.first_line]) "
		      "WITH ORDINALITY o(line, i) "
		      "WHERE c.batch_id = $1::bigint AND c.first_line < $3::int "
		      "AND c.first_line >= coalesce((SELECT max(x.first_line) FROM batch_log_chunk x "
		      "WHERE x.batch_id = $1::bigint AND x.first_line <= $2::int), 0) "
		      "ORDER BY c.first_line, o.i", 3, p);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	for (int i = 0; out->v && i < out->n; i++)
		out->v[i] = PQgetvalue(r, i, 0);
	if (!out->v)
		out->n = 0;
	return STORE_OK;
}

enum store_rc store_batch_delete(struct store *s, const char *key, const struct cfg *c,
				 long long *id)
{
	char retain[STORE_NUM_MAX];
	const char *p[2] = {key, retain};
	PGresult *r;

	store_retain(c, retain);
	r = store_run(s, "batch delete",
		store_is_id(key)
		? "UPDATE batch b SET deleted_at = now() WHERE b.id = $1::bigint AND " STORE_VISIBLE("$2")
		  " RETURNING b.id, pg_notify('" STORE_CHANNEL "', b.id::text)"
		: "UPDATE batch b SET deleted_at = now() WHERE b.id = (SELECT b.id FROM batch b "
		  "WHERE b.name = $1 AND " STORE_VISIBLE("$2") " ORDER BY b.id DESC LIMIT 1) "
		  "RETURNING b.id, pg_notify('" STORE_CHANNEL "', b.id::text)", 2, p);
	if (!r)
		return STORE_ERROR;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return STORE_NOTFOUND;
	}
	*id = atoll(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}
