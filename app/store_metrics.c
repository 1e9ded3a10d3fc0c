/* store_metrics.c - the instances' counts: added by each master, read for /metrics. */
#include "store_int.h"

#include <stdlib.h>
#include <string.h>

enum store_rc store_metrics_add(struct store *s, const char *instance, const char *deltas)
{
	const char *p[2] = {instance, deltas};
	/* in one order whoever adds: two masters never wait for each other's rows */
	PGresult *r = store_run(s, "metrics add",
		"INSERT INTO metric (instance, name, labels, value) "
		"SELECT $1, x->>0, x->>1, (x->>2)::float8 FROM json_array_elements($2::json) x "
		"ORDER BY 2, 3 ON CONFLICT (instance, name, labels) "
		"DO UPDATE SET value = metric.value + EXCLUDED.value", 2, p);

	PQclear(r);
	return r ? STORE_OK : STORE_ERROR;
}

enum store_rc store_metrics_read(struct store *s, struct store_metrics *out)
{
	PGresult *r = store_run(s, "metrics read",
		"SELECT * FROM (SELECT instance, name, labels, value FROM metric "
		/* every kind and live state, 0 included: a series that vanishes is no zero */
		"UNION ALL SELECT '', 'tacitus_jobs', format('kind=\"%s\",state=\"%s\"', kind, state), "
		"coalesce(n, 0) FROM (VALUES ('batch', 'starting'), ('batch', 'running'), "
		"('session', 'starting'), ('session', 'idle'), ('session', 'busy'), "
		"('session', 'shutting_down')) v(kind, state) LEFT JOIN (SELECT kind, state, "
		"count(*) AS n FROM report.jobs WHERE finished_at IS NULL GROUP BY kind, state) c "
		"USING (kind, state) "
		"UNION ALL SELECT '', 'tacitus_warm_pool_drivers', '', count(*) FROM batch "
		"WHERE pool IS NOT NULL AND state IN ('starting', 'running')) m "
		"ORDER BY name COLLATE \"C\", instance COLLATE \"C\", labels COLLATE \"C\"", 0, NULL);

	memset(out, 0, sizeof *out);
	if (!r)
		return STORE_ERROR;
	out->res = r;
	out->n = PQntuples(r);
	out->instance = store_col_array(r, 0);
	out->name = store_col_array(r, 1);
	out->labels = store_col_array(r, 2);
	out->value = calloc((size_t)out->n + 1, sizeof *out->value);
	if (!out->instance || !out->name || !out->labels || !out->value) {
		store_metrics_free(out);
		return STORE_ERROR;
	}
	for (int i = 0; i < out->n; i++)
		out->value[i] = atof(PQgetvalue(r, i, 3));
	return STORE_OK;
}

void store_metrics_free(struct store_metrics *m)
{
	PQclear(m->res);
	free(m->instance);
	free(m->name);
	free(m->labels);
	free(m->value);
	memset(m, 0, sizeof *m);
}
