/* test_metrics.c - route names, counting in a shared area, the text exposition. */
#include <stdlib.h>

#include "metrics.h"
#include "unit.h"

#define route_is(path, want) CHECK_STR(metrics_route(path), want)

void test_metrics(void)
{
	json_object *d;
	char *text;

	route_is("/batches", "/batches");
	route_is("/batches/", "/batches");
	route_is("/batches/12", "/batches/{id}");
	route_is("/batches/nightly-etl/log", "/batches/{id}/log");
	route_is("/sessions/3/statements/7/cancel", "/sessions/{id}/statements/{id}/cancel");
	route_is("/sessions/3/completion", "/sessions/{id}/completion");
	route_is("/driver/sync", "/driver/sync");
	route_is("/metrics", "/metrics");
	route_is("/version", "/version");
	route_is("/batches/1/secret", "other");
	route_is("/etc/passwd", "other");
	route_is("/", "other");
	route_is(NULL, "other");

	/* nothing is counted (nor flushed) before metrics_init */
	metrics_request("/batches", 200, 0.01);
	CHECK(metrics_deltas() == NULL);

	CHECK(metrics_init(2) == 0);
	metrics_use(0);
	metrics_request("/batches", 201, 0.003);
	metrics_use(1);
	metrics_request("/batches", 201, 2.0);
	metrics_count(METRICS_LAUNCHES, 3);
	metrics_ended(true, "killed");
	d = metrics_deltas();
	CHECK(d != NULL);
	text = d ? strdup(json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN)) : NULL;
	CHECK(text && strstr(text, "[\"tacitus_http_requests_total\",\"route=\\\"\\/batches\\\","
				  "status=\\\"201\\\"\",2]"));
	CHECK(text && strstr(text, "[\"tacitus_launches_total\",\"\",3]"));
	CHECK(text && strstr(text, "kind=\\\"session\\\",state=\\\"killed\\\"\",1]"));
	/* cumulative buckets: 0.003 s is within le=0.005, 2 s only from le=2.5 */
	CHECK(text && strstr(text, "le=\\\"0.005\\\"\",1]"));
	CHECK(text && strstr(text, "le=\\\"2.5\\\"\",2]"));
	free(text);
	json_object_put(d);
	/* not confirmed: the same deltas come again; confirmed: nothing is left */
	d = metrics_deltas();
	CHECK(d != NULL);
	json_object_put(d);
	metrics_deltas_done();
	CHECK(metrics_deltas() == NULL);

	{
		const char *inst[] = {"app-1", "app-\"2\"", ""};
		const char *name[] = {"tacitus_launches_total", "tacitus_launches_total",
				      "tacitus_warm_pool_drivers"};
		const char *labels[] = {"", "", ""};
		const double value[] = {3, 1.5, 2};
		text = metrics_render(3, inst, name, labels, value);
		CHECK(text && strstr(text, "# TYPE tacitus_launches_total counter\n"
					   "tacitus_launches_total{instance=\"app-1\"} 3\n"
					   "tacitus_launches_total{instance=\"app-\\\"2\\\"\"} 1.5\n"));
		CHECK(text && strstr(text, "# TYPE tacitus_warm_pool_drivers gauge\n"
					   "tacitus_warm_pool_drivers 2\n"));
		free(text);
	}
}
