/* worker.c - the FastCGI accept loop of one request worker. */
#include "worker.h"
#include "api.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define APP_NAME_MAX 128            /* PostgreSQL application_name */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A usable connection, or NULL: the request then gets a 503. */
static struct store *connected(struct store **s, const char *app)
{
	if (!*s)
		*s = store_open(app);
	else if (store_ensure(*s) != STORE_OK)
		return NULL;
	return *s;
}

int worker_main(int listen_fd, const struct cfg *c, const struct argv_drivers *d,
		const char *instance)
{
	FCGX_Request f;
	struct store *s = NULL;
	char app[APP_NAME_MAX];

	snprintf(app, sizeof app, "tacitus/%s/worker/%d", instance, (int)getpid());
	if (FCGX_InitRequest(&f, listen_fd, 0) != 0) {
		log_error("FCGX_InitRequest failed");
		return 1;
	}
	s = store_open(app);
	while (FCGX_Accept_r(&f) == 0) {
		struct http_req r;
		double start = now_s();
		int rc = http_begin(&r, &f);

		if (rc)
			http_send_body_error(&r, rc, HTTP_MAX_BODY);
		else
			api_handle(&r, connected(&s, app), c, d);
		metrics_request(r.path, r.status, now_s() - start);
		/* a request read to its end closes at once: nothing more comes, so
		 * nothing is lost and the worker takes the next request without waiting
		 * for nginx's turn to close.  A body left unread (a refused
		 * /driver/sync) costs nothing either: nginx keeps no connection to us,
		 * so libfcgi shuts its side down and drains only until nginx, which has
		 * the whole answer, closes its own */
		if (http_read_all(&r))
			FCGX_Detach(&f);
		http_done(&r);
		FCGX_Finish_r(&f);
	}
	store_close(s);
	return 0;
}
