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

#define IDLE_MS 250                 /* nothing to send: looked at again this often */
#define CONNECT_MS 2000             /* a receiver's connection, at most */
#define ERROR_MAX 256
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

/* POST delivery d once, signed, and record how it went. */
static void deliver(const struct cfg *c, struct store *s, struct httpout *h,
		    const char *instance, const struct store_hook *d)
{
	char id[HOOK_ID_MAX], hid[HEADER_MAX], hts[HEADER_MAX], sig[HOOK_SIGNATURE_MAX];
	char hsig[HEADER_MAX], err[ERROR_MAX] = "";
	const char *headers[4] = {hid, hts, NULL, NULL};
	long long ts = (long long)time(NULL), started = now_ms(), wait;
	struct httpout_answer a;
	bool delivered;
	int rc;

	snprintf(id, sizeof id, "tacitus-%lld", d->id);
	snprintf(hid, sizeof hid, "webhook-id: %s", id);
	snprintf(hts, sizeof hts, "webhook-timestamp: %lld", ts);
	if (c->hook_secret[0]) {
		if (hook_sign(c->hook_secret, id, ts, d->payload, strlen(d->payload), sig) < 0) {
			log_error("webhook %lld: tacitus.webhook.secret cannot sign (whsec_ with "
				  "bad base64?); sent unsigned", d->id);
		} else {
			snprintf(hsig, sizeof hsig, "webhook-signature: %s", sig);
			headers[2] = hsig;
		}
	}
	httpout_set_headers(h, headers);
	rc = httpout_call(h, "POST", d->url, d->payload, NULL, HTTPOUT_DISCARD, &a, err,
			  sizeof err);
	httpout_set_headers(h, NULL);
	delivered = rc == 0 && a.status >= 200 && a.status < 300;
	metrics_count(METRICS_HOOK_ATTEMPTS, 1);
	if (!delivered)
		metrics_count(METRICS_HOOK_FAILURES, 1);
	if (rc == 0 && !delivered)
		snprintf(err, sizeof err, "answered HTTP %ld", a.status);
	wait = hook_backoff_ms(d->attempts + 1);
	if (delivered)
		log_info("webhook %lld to %s: delivered (HTTP %ld, attempt %d)", d->id, d->url,
			 a.status, d->attempts + 1);
	else
		log_warn("webhook %lld to %s: not delivered (%s, attempt %d); tried again in %lld "
			 "s unless its time is over", d->id, d->url, err, d->attempts + 1,
			 wait / 1000);
	store_hook_done(s, d, instance, rc == 0 ? a.status : 0, delivered ? NULL : err,
			(long)(now_ms() - started), delivered, wait);
	if (rc == 0)
		httpout_answer_free(&a);
}

/* One look: new events fanned out, then one due delivery sent.  Returns whether
 * there was anything to do. */
static bool send_round(const struct cfg *c, struct store *s, struct httpout *h,
		       const char *instance, const char *urls)
{
	struct store_hooks hs;
	int events = 0;
	bool busy;

	store_hook_fan_out(s, urls, c->hook_retry_ms, &events);
	if (store_hook_claim(s, instance, c->hook_timeout_ms + HOOK_CLAIM_MS, 1, &hs) != STORE_OK)
		return false;
	busy = events > 0 || hs.n > 0;
	for (int i = 0; i < hs.n && !stopping; i++)
		deliver(c, s, h, instance, &hs.v[i]);
	store_hooks_free(&hs);
	return busy;
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
		if (!s && !(s = store_open(app))) {
			sleep(1);
			continue;
		}
		if (store_ensure(s) != STORE_OK) {
			sleep(1);
			continue;
		}
		if (!send_round(c, s, h, instance, urls))
			poll(NULL, 0, IDLE_MS);
	}
	store_close(s);
	httpout_free(h);
	free(urls);
	curl_global_cleanup();
	return 0;
}
