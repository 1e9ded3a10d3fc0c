/* scrape.c - GET /metrics. */
#include "scrape.h"
#include "access.h"
#include "metrics.h"

#include <stdlib.h>

void scrape_route(struct call *k)
{
	struct store_metrics m;
	char *text;

	if (!acl_can_scrape(k->c, k->user)) {
		http_send_msg(k->r, 403, NULL, "User '%s' may not read the metrics: only "
			      "livy.superusers may.", k->user);
		return;
	}
	if (!reply_method_is(k->r, "GET")) {
		reply_not_allowed(k->r, "GET, HEAD");
		return;
	}
	if (!k->s || store_metrics_read(k->s, &m) != STORE_OK) {
		reply_unavailable(k->r);
		return;
	}
	text = metrics_render(m.n, m.instance, m.name, m.labels, m.value);
	store_metrics_free(&m);
	if (!text) {
		reply_unavailable(k->r);
		return;
	}
	http_send_text(k->r, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
}
