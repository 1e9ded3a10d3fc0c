/* httpout.c - HTTP calls out through one reused libcurl handle. */
#include "httpout.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

struct httpout {
	CURL *curl;
	long connect_ms, total_ms;
	char error[CURL_ERROR_SIZE];        /* libcurl's words, kept with its handle */
	char unix_path[HTTPOUT_UNIX_PATH_MAX];   /* "" = TCP as the URL says */
	char json_type[HTTPOUT_LOCATION_MAX];    /* "Content-Type: ..." of httpout_call's bodies */
};

/* What an answer collects while it arrives. */
struct sink {
	char *buf;
	size_t len, cap, max;
	char *location;
};

struct httpout *httpout_new(long connect_ms, long total_ms)
{
	struct httpout *h = calloc(1, sizeof *h);

	if (!h || !(h->curl = curl_easy_init())) {
		log_error("httpout: cannot make a libcurl handle");
		free(h);
		return NULL;
	}
	h->connect_ms = connect_ms;
	h->total_ms = total_ms;
	httpout_set_json_type(h, "application/json");
	return h;
}

void httpout_set_json_type(struct httpout *h, const char *type)
{
	snprintf(h->json_type, sizeof h->json_type, "Content-Type: %s", type);
}

int httpout_use_unix(struct httpout *h, const char *path)
{
	if (strlen(path) >= sizeof h->unix_path)
		return -1;
	strcpy(h->unix_path, path);
	return 0;
}

void httpout_free(struct httpout *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	size_t len = size * n;

	if (len > k->max - k->len)
		return 0;           /* too long: libcurl ends the call with an error */
	if (k->len + len + 1 > k->cap) {
		size_t cap = k->cap ? k->cap : 4096;
		char *b;
		while (cap < k->len + len + 1)
			cap *= 2;
		if (!(b = realloc(k->buf, cap)))
			return 0;
		k->buf = b;
		k->cap = cap;
	}
	memcpy(k->buf + k->len, data, len);
	k->len += len;
	k->buf[k->len] = '\0';
	return len;
}

/* Keep the Location header of a redirect (a standby ResourceManager's). */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct sink *k = arg;
	size_t len = size * n, name = sizeof "Location:" - 1;

	if (len > name && !strncasecmp(data, "Location:", name)) {
		const char *v = data + name;
		size_t vlen = len - name;
		while (vlen && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		snprintf(k->location, HTTPOUT_LOCATION_MAX, "%.*s", (int)vlen, v);
	}
	return len;
}

void httpout_set_total_ms(struct httpout *h, long total_ms)
{
	h->total_ms = total_ms;
}

/* What every call of h sets: the URL, h's time-outs, no signal, no redirect, no
 * proxy, http(s) only, libcurl's words into error (CURL_ERROR_SIZE bytes). */
static void common_options(const struct httpout *h, CURL *c, const char *url, char *error)
{
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, h->total_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (h->unix_path[0])
		curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, h->unix_path);
	error[0] = '\0';
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
}

int httpout_call(struct httpout *h, const char *method, const char *url, const char *json,
		 const char *accept, size_t max, struct httpout_answer *a, char *err, size_t errlen)
{
	char accept_header[HTTPOUT_LOCATION_MAX];
	struct sink k = {NULL, 0, 0, max, a->location};
	struct curl_slist *headers = NULL;
	CURL *c = h->curl;
	CURLcode rc;

	memset(a, 0, sizeof *a);
	curl_easy_reset(c);
	common_options(h, c, url, h->error);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &k);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &k);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	snprintf(accept_header, sizeof accept_header, "Accept: %s", accept ? accept : "*/*");
	headers = curl_slist_append(headers, accept_header);
	if (json) {
		headers = curl_slist_append(headers, h->json_type);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	rc = curl_easy_perform(c);
	curl_slist_free_all(headers);
	if (rc != CURLE_OK) {
		long sent = 0;

		/* bytes of the request that went out: 0 when it never reached the server */
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
		a->sent = sent > 0;
		snprintf(err, errlen, "%s %s: %s", method, url,
			 rc == CURLE_WRITE_ERROR ? "answer too long" : h->error[0] ? h->error :
			 curl_easy_strerror(rc));
		free(k.buf);
		a->location[0] = '\0';
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &a->status);
	a->body = k.buf ? k.buf : strdup("");
	a->len = k.len;
	if (!a->body) {
		snprintf(err, errlen, "%s %s: out of memory", method, url);
		return -1;
	}
	return 0;
}

void httpout_answer_free(struct httpout_answer *a)
{
	free(a->body);
	a->body = NULL;
}

_Static_assert(sizeof ((struct httpout_post *)0)->err >= CURL_ERROR_SIZE,
	       "httpout_post.err holds libcurl's words");

static size_t discard(char *data, size_t size, size_t n, void *arg)
{
	(void)data;
	(void)arg;
	return size * n;
}

/* An easy handle POSTing p (its header list into *list), or NULL. */
static CURL *post_handle(const struct httpout *h, struct httpout_post *p, struct curl_slist **list)
{
	CURL *c = curl_easy_init();

	if (!c)
		return NULL;
	common_options(h, c, p->url, p->err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	*list = curl_slist_append(NULL, "Content-Type: application/json");
	for (int i = 0; p->headers && p->headers[i]; i++)
		*list = curl_slist_append(*list, p->headers[i]);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *list);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->json);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (void *)p);
	return c;
}

int httpout_post_all(struct httpout *h, struct httpout_post *v, int n)
{
	CURLM *m = curl_multi_init();
	CURL *e[HTTPOUT_POSTS_MAX] = {0};
	struct curl_slist *lists[HTTPOUT_POSTS_MAX] = {0};
	int running = 0;
	CURLMsg *msg;

	for (int i = 0; i < n; i++) {
		v[i].status = 0;
		snprintf(v[i].err, sizeof v[i].err, "not sent: no libcurl handle");
	}
	if (!m || n > HTTPOUT_POSTS_MAX) {
		curl_multi_cleanup(m);
		return -1;
	}
	for (int i = 0; i < n; i++)
		if ((e[i] = post_handle(h, &v[i], &lists[i])))
			curl_multi_add_handle(m, e[i]);
	do {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			break;
		if (running && curl_multi_poll(m, NULL, 0, 1000, NULL) != CURLM_OK)
			break;
	} while (running);
	while ((msg = curl_multi_info_read(m, &running))) {
		struct httpout_post *p = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		if (msg->data.result == CURLE_OK) {
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &p->status);
			p->err[0] = '\0';
		} else if (!p->err[0]) {
			snprintf(p->err, sizeof p->err, "%s", curl_easy_strerror(msg->data.result));
		}
	}
	for (int i = 0; i < n; i++) {
		if (e[i]) {
			curl_multi_remove_handle(m, e[i]);
			curl_easy_cleanup(e[i]);
		}
		curl_slist_free_all(lists[i]);
	}
	curl_multi_cleanup(m);
	return 0;
}
