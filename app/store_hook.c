/* store_hook.c - completion webhooks: the outbox's events fanned out into deliveries,
 * deliveries claimed by lease, every attempt recorded (hook.h, sql/011_webhook.sql). */
#include "store_int.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum store_rc store_hook_fan_out(struct store *s, const char *urls_json, long long retry_ms,
				 int *events)
{
	char retry[STORE_NUM_MAX];
	const char *p[2] = {urls_json, retry};
	PGresult *r;

	snprintf(retry, sizeof retry, "%lld", retry_ms);
	/* one statement: the events locked (another sender skips them), their deliveries
	 * written (a URL once per event), the events marked */
	r = store_run(s, "webhook fan-out",
		"WITH e AS (SELECT id, callback, created_at, final FROM hook_event WHERE NOT "
		"fanned_out ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED), "
		"d AS (INSERT INTO hook_delivery (event_id, url, give_up_at) "
		"SELECT e.id, u.url, e.created_at + $2::bigint * interval '1 millisecond' FROM e "
		"CROSS JOIN LATERAL (SELECT e.callback AS url WHERE e.callback IS NOT NULL UNION "
		"SELECT json_array_elements_text($1::json) WHERE e.final) u "
		"ON CONFLICT DO NOTHING RETURNING 1), "
		"f AS (UPDATE hook_event SET fanned_out = true WHERE id IN (SELECT id FROM e) "
		"RETURNING 1) "
		"SELECT (SELECT count(*) FROM f), (SELECT count(*) FROM d)", 2, p);
	if (!r)
		return STORE_ERROR;
	*events = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return STORE_OK;
}

enum store_rc store_hook_claim(struct store *s, const char *instance, long long claim_ms,
			       int max, struct store_hooks *out)
{
	char claim[STORE_NUM_MAX], n[STORE_NUM_MAX];
	const char *p[3] = {instance, claim, n};
	PGresult *r;

	memset(out, 0, sizeof *out);
	snprintf(claim, sizeof claim, "%lld", claim_ms);
	snprintf(n, sizeof n, "%d", max);
	r = store_run(s, "webhook claim",
		"UPDATE hook_delivery d SET claimed_by = $1, "
		"claimed_until = now() + $2::bigint * interval '1 millisecond' FROM hook_event e "
		"WHERE d.id IN (SELECT id FROM hook_delivery WHERE delivered_at IS NULL "
		"AND gave_up_at IS NULL AND next_at <= now() AND (claimed_until IS NULL OR "
		"claimed_until < now()) ORDER BY next_at LIMIT $3::int FOR UPDATE SKIP LOCKED) "
		"AND e.id = d.event_id RETURNING d.id, d.url, e.payload, d.attempts, "
		"d.claimed_until::text", 3, p);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	out->n = PQntuples(r);
	out->v = calloc((size_t)out->n + 1, sizeof *out->v);
	if (!out->v) {
		log_error("database: webhook claim: out of memory");
		store_hooks_free(out);
		return STORE_ERROR;
	}
	for (int i = 0; i < out->n; i++)
		out->v[i] = (struct store_hook){atoll(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1),
						 PQgetvalue(r, i, 2), atoi(PQgetvalue(r, i, 3)),
						 PQgetvalue(r, i, 4)};
	return STORE_OK;
}

void store_hooks_free(struct store_hooks *h)
{
	PQclear(h->res);
	free(h->v);
	memset(h, 0, sizeof *h);
}

enum store_rc store_hook_done(struct store *s, const struct store_hook *h, const char *instance,
			      long status, const char *error, long ms, bool delivered,
			      long long backoff_ms)
{
	char ids[STORE_NUM_MAX], st[STORE_NUM_MAX], t[STORE_NUM_MAX], wait[STORE_NUM_MAX];
	const char *p[8] = {ids, instance, status ? st : NULL, error, t, delivered ? "t" : "f",
			    wait, h->claim};
	PGresult *r;

	snprintf(ids, sizeof ids, "%lld", h->id);
	snprintf(st, sizeof st, "%ld", status);
	snprintf(t, sizeof t, "%ld", ms);
	snprintf(wait, sizeof wait, "%lld", backoff_ms);
	/* the attempt is recorded whatever happened meanwhile; the delivery changes only
	 * while this claim holds it (a sender that stalled past its claim changes nothing
	 * another sender did since) */
	r = store_run(s, "webhook attempt",
		"WITH a AS (INSERT INTO hook_attempt (delivery_id, instance, status, error, ms) "
		"VALUES ($1::bigint, $2, $3::int, $4, $5::int)) "
		"UPDATE hook_delivery SET attempts = attempts + 1, claimed_by = NULL, "
		"claimed_until = NULL, delivered_at = CASE WHEN $6::boolean THEN now() END, "
		"next_at = now() + $7::bigint * interval '1 millisecond', "
		"gave_up_at = CASE WHEN NOT $6::boolean AND now() + $7::bigint * "
		"interval '1 millisecond' > give_up_at THEN now() END "
		"WHERE id = $1::bigint AND claimed_by = $2 AND claimed_until = $8::timestamptz "
		"AND delivered_at IS NULL AND gave_up_at IS NULL", 8, p);
	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}
