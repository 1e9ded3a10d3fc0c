/* publish.c - the publisher: tacitus_push notifications to nginx's waiting clients
 * (publish.h). */
#include "publish.h"
#include "httpout.h"
#include "log.h"
#include "push.h"
#include "store.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#define IDLE_MS 1000                /* how often the loop looks at its connection */
#define CONNECT_MS 500              /* nginx's socket is local: a wake-up is quick or lost */
#define TOTAL_MS 1000
#define NOTE_MAX 256
#define URL_MAX 160
#define APP_MAX 128
#define ANSWER_MAX 4096

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* POST a wake-up to channel ch; true when nginx took it.  The first failure of a
 * run of them is logged, and the first success after it. */
static bool wake(struct httpout *h, const char *ch, bool *failing)
{
	char url[URL_MAX], err[256];
	struct httpout_answer a;
	bool ok;

	snprintf(url, sizeof url, "http://nginx/pub?c=%s", ch);
	ok = httpout_call(h, "POST", url, "{}", NULL, ANSWER_MAX, &a, err, sizeof err) == 0 &&
	     a.status >= 200 && a.status < 300;
	if (!ok && a.body)
		snprintf(err, sizeof err, "status %ld", a.status);
	if (!ok && !*failing)
		log_warn("push: nginx did not take a wake-up (%s); waiting clients are answered "
			 "when their wait runs out", err);
	else if (ok && *failing)
		log_info("push: nginx takes wake-ups again");
	*failing = !ok;
	httpout_answer_free(&a);
	return ok;
}

/* Publish what was notified, until nothing is left; -1 when the connection failed. */
static int publish_notes(struct store *s, struct httpout *h, bool *failing)
{
	char note[NOTE_MAX], ch[PUSH_CHANNEL_MAX];
	int rc;

	while ((rc = store_next_notify(s, note, sizeof note)) == 1) {
		if (push_note_channel(note, ch, sizeof ch) < 0) {
			log_warn("push: a notification not understood: '%s'", note);
			continue;
		}
		wake(h, ch, failing);
	}
	return rc;
}

int publish_main(const char *instance, const char *socket_path)
{
	struct sigaction sa;
	char app[APP_MAX];
	struct store *s = NULL;
	struct httpout *h;
	bool failing = false;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    !(h = httpout_new(CONNECT_MS, TOTAL_MS)) || httpout_use_unix(h, socket_path) < 0) {
		log_error("push: cannot start the publisher (socket %s)", socket_path);
		return 1;
	}
	snprintf(app, sizeof app, "tacitus/%s/publish/%d", instance, (int)getpid());
	while (!stopping) {
		struct pollfd p = {.events = POLLIN};

		if (!s && (s = store_open(app)) && store_listen(s, STORE_PUSH) != STORE_OK) {
			store_close(s);
			s = NULL;
		}
		if (!s || store_ensure(s) != STORE_OK) {
			sleep(1);
			continue;
		}
		/* what libpq read already is published without waiting for more; a broken
		 * connection is mended by store_ensure, which LISTENs again */
		p.fd = store_socket(s);
		if (publish_notes(s, h, &failing) == 0)
			poll(&p, 1, IDLE_MS);
	}
	store_close(s);
	httpout_free(h);
	curl_global_cleanup();
	return 0;
}
