/* hooksend.c - the webhook sender: one process per instance delivering the outbox
 * (hooksend.h). */
#include "hooksend.h"
#include "hook.h"
#include "httpout.h"
#include "log.h"
#include "metrics.h"
#include "store.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define IDLE_MS 1000                /* nothing notified: looked at again this often (retries) */
#define CONNECT_MS 2000             /* a receiver's connection, at most */
#define SEND_AT_ONCE 8              /* deliveries POSTed together */
#define HEADER_MAX 160
#define APP_MAX 128

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The server's URLs as a JSON array (what store_hook_fan_out takes); NULL when
 * memory ran out. */
static char *server_urls(const struct cfg *c)
{
	json_object *a = json_object_new_array();
	char *text;

	for (int i = 0; a && i < c->n_hook_urls; i++)
		json_object_array_add(a, json_object_new_string(c->hook_urls[i]));
	text = a ? strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN)) : NULL;
	json_object_put(a);
	return text;
}

/* The headers of one attempt of delivery d: its id, the time, the signature. */
struct attempt {
	char hid[HEADER_MAX], hts[HEADER_MAX], hsig[HEADER_MAX];
	const char *headers[4];
};

static void sign(const struct cfg *c, const struct store_hook *d, struct attempt *t)
{
	char id[HOOK_ID_MAX], sig[HOOK_SIGNATURE_MAX];
	long long ts = (long long)time(NULL);

	snprintf(id, sizeof id, "tacitus-%lld", d->id);
	snprintf(t->hid, sizeof t->hid, "webhook-id: %s", id);
	snprintf(t->hts, sizeof t->hts, "webhook-timestamp: %lld", ts);
	t->headers[0] = t->hid;
	t->headers[1] = t->hts;
	t->headers[2] = t->headers[3] = NULL;
	/* a secret that cannot sign was refused at start (config.c): this is a failure
	 * of OpenSSL's, sent unsigned rather than not at all */
	if (c->hook_secret[0]) {
		if (hook_sign(c->hook_secret, id, ts, d->payload, strlen(d->payload), sig) < 0) {
			log_error("webhook %lld: the signature failed; sent unsigned", d->id);
		} else {
			snprintf(t->hsig, sizeof t->hsig, "webhook-signature: %s", sig);
			t->headers[2] = t->hsig;
		}
	}
}

/* How attempt p of delivery d went, recorded and logged. */
static void record(struct store *s, const char *instance, const struct store_hook *d,
		   struct httpout_post *p, long ms)
{
	bool delivered = p->status >= 200 && p->status < 300;
	long long wait = hook_backoff_ms(d->attempts + 1);

	metrics_count(METRICS_HOOK_ATTEMPTS, 1);
	if (!delivered)
		metrics_count(METRICS_HOOK_FAILURES, 1);
	if (p->status && !delivered)
		snprintf(p->err, sizeof p->err, "answered HTTP %ld", p->status);
	if (delivered)
		log_info("webhook %lld to %s: delivered (HTTP %ld, attempt %d)", d->id, d->url,
			 p->status, d->attempts + 1);
	else
		log_warn("webhook %lld to %s: not delivered (%s, attempt %d); tried again in %lld "
			 "s unless its time is over", d->id, d->url, p->err, d->attempts + 1,
			 wait / 1000);
	store_hook_done(s, d, instance, p->status, delivered ? NULL : p->err, ms, delivered, wait);
}

/* One look: new events fanned out, then up to SEND_AT_ONCE due deliveries POSTed
 * together (a receiver that does not answer delays the others by nothing).  Returns
 * whether there was anything to do. */
static bool send_round(const struct cfg *c, struct store *s, struct httpout *h,
		       const char *instance, const char *urls)
{
	struct store_hooks hs;
	struct attempt t[SEND_AT_ONCE];
	struct httpout_post p[SEND_AT_ONCE];
	int events = 0;
	long long started;
	bool busy;

	store_hook_fan_out(s, urls, c->hook_retry_ms, &events);
	if (store_hook_claim(s, instance, c->hook_timeout_ms + HOOK_CLAIM_MS, SEND_AT_ONCE,
			     &hs) != STORE_OK)
		return false;
	busy = events > 0 || hs.n > 0;
	for (int i = 0; i < hs.n; i++) {
		sign(c, &hs.v[i], &t[i]);
		p[i] = (struct httpout_post){.url = hs.v[i].url, .json = hs.v[i].payload,
					     .headers = t[i].headers};
	}
	started = now_ms();
	if (hs.n > 0)
		httpout_post_all(h, p, hs.n);
	for (int i = 0; i < hs.n; i++)
		record(s, instance, &hs.v[i], &p[i], (long)(now_ms() - started));
	store_hooks_free(&hs);
	return busy;
}

/* Nothing to send: sleep until a job's end is notified, or IDLE_MS for the retries
 * that come due. */
static void wait_for_events(struct store *s)
{
	struct pollfd p = {.fd = store_socket(s), .events = POLLIN};

	if (poll(&p, 1, IDLE_MS) > 0)
		store_drain_notifies(s);
}

int hooksend_main(const struct cfg *c, const char *instance)
{
	struct sigaction sa;
	char app[APP_MAX], *urls;
	struct store *s = NULL;
	struct httpout *h;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("webhooks: libcurl cannot start");
		return 1;
	}
	h = httpout_new(c->hook_timeout_ms < CONNECT_MS ? (long)c->hook_timeout_ms
							     : CONNECT_MS,
			(long)c->hook_timeout_ms);
	urls = server_urls(c);
	if (!h || !urls) {
		log_error("webhooks: cannot start the sender");
		return 1;
	}
	snprintf(app, sizeof app, "tacitus/%s/hook/%d", instance, (int)getpid());
	while (!stopping) {
		if (!s && (s = store_open(app)) && store_listen(s, STORE_HOOKS) != STORE_OK) {
			store_close(s);
			s = NULL;
		}
		if (!s || store_ensure(s) != STORE_OK) {
			sleep(1);
			continue;
		}
		if (!send_round(c, s, h, instance, urls))
			wait_for_events(s);
	}
	store_close(s);
	httpout_free(h);
	free(urls);
	curl_global_cleanup();
	return 0;
}
