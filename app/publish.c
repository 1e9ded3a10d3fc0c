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
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#define IDLE_MS 1000                /* how often the loop looks at its connection */
#define CONNECT_MS 500              /* nginx's socket is local: a wake-up is quick or lost */
#define TOTAL_MS 1000
#define NOTE_MAX 256
#define URL_MAX 160
#define APP_MAX 128
#define ANSWER_MAX 4096
#define PUBLISH_LOG_LINES 200       /* lines in one log event at most */
#define HOST_MAX 256
#define PUBLISH_SOCKET_MAX 1100

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* POST body (JSON; NULL: none, a "look again") to nginx's publisher location `where`
 * for channel ch.  The first failure
 * of a run of them is logged, and the first success after it. */
static void post(struct httpout *h, const char *where, const char *ch, const char *body,
		 bool *failing)
{
	char url[URL_MAX], err[256];
	struct httpout_answer a;
	bool ok;

	snprintf(url, sizeof url, "http://nginx/%s?c=%s", where, ch);
	ok = httpout_call(h, "POST", url, body, NULL, ANSWER_MAX, &a, err, sizeof err) == 0 &&
	     a.status >= 200 && a.status < 300;
	if (!ok && a.body)
		snprintf(err, sizeof err, "status %ld", a.status);
	if (!ok && !*failing)
		log_warn("push: nginx did not take a message (%s); waiting clients are answered "
			 "when their wait runs out", err);
	else if (ok && *failing)
		log_info("push: nginx takes messages again");
	*failing = !ok;
	httpout_answer_free(&a);
}

/* POST json to `where` for job's event channel; takes json. */
static void post_event(struct httpout *h, const char *where, long long job, json_object *json,
		       bool *failing)
{
	char ch[PUSH_CHANNEL_MAX];

	push_events_channel(ch, sizeof ch, job);
	if (json)
		post(h, where, ch, json_object_to_json_string_ext(
			     json, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE), failing);
	json_object_put(json);
}

/* A job's change (n): its waits get the answer of GET .../state now, {"id", "state"}
 * (a session's, for a driver), the same for every user who may see the job; a job
 * gone from the API, or one that cannot be read, gets a "look again" (no body) that
 * hands its waits back to a worker.  Then the job's state event. */
static void wake_job(struct store *s, struct httpout *h, const struct push_note *n,
		     bool *failing)
{
	char ch[PUSH_CHANNEL_MAX];
	struct store_push_job j;
	json_object *o;

	if (push_note_channel(n, ch, sizeof ch) < 0)
		return;
	if (store_push_job(s, n->job, &j) != STORE_OK) {
		post(h, "pub", ch, NULL, failing);
		return;
	}
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_new_int64(j.id));
	json_object_object_add(o, "state", json_object_new_string(j.state));
	post(h, "pub", ch, j.visible ? json_object_to_json_string_ext(
		     o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE) : NULL, failing);
	post_event(h, "pub-state", n->job, o, failing);
}

/* The event of lines [from, to) of n's job: {"id", "from", "total", "lines"}, at most
 * PUBLISH_LOG_LINES of them (total says how many there are: the rest is read from
 * the API's /log). */
static void publish_log(struct store *s, struct httpout *h, const struct push_note *n,
			bool *failing)
{
	struct store_push_job j;
	struct store_lines l;
	json_object *o, *a;
	long count = n->to - n->from;

	if (store_push_job(s, n->job, &j) != STORE_OK)
		return;
	if (store_batch_log(s, n->job, n->from, count < PUBLISH_LOG_LINES ? count
				: PUBLISH_LOG_LINES, &l) != STORE_OK)
		return;
	o = json_object_new_object();
	a = json_object_new_array_ext(l.n);
	for (int i = 0; i < l.n; i++)
		json_object_array_add(a, json_object_new_string(l.v[i]));
	json_object_object_add(o, "id", json_object_new_int64(j.id));
	json_object_object_add(o, "from", json_object_new_int64(n->from));
	json_object_object_add(o, "total", json_object_new_int64(n->to));
	json_object_object_add(o, "lines", a);
	store_lines_free(&l);
	post_event(h, "pub-log", n->job, o, failing);
}

/* One notification: the wake-up of its waits, then its job's event. */
static void on_note(struct store *s, struct httpout *h, const char *payload, bool *failing)
{
	char ch[PUSH_CHANNEL_MAX];
	struct push_note n;

	if (push_note_parse(payload, &n) < 0) {
		log_warn("push: a notification not understood: '%s'", payload);
		return;
	}
	if (n.kind == PUSH_NOTE_JOB)
		wake_job(s, h, &n, failing);
	else if (push_note_channel(&n, ch, sizeof ch) == 0)
		post(h, "pub", ch, NULL, failing);
	if (n.kind == PUSH_NOTE_LOG)
		publish_log(s, h, &n, failing);
}

/* What catch_up posts with. */
struct catch_up {
	struct httpout *h;
	bool *failing;
	int jobs, statements;
};

/* Wake the waits on what r has left behind (push.h's catch-up). */
static void wake_left(const struct store_push_recent *r, void *arg)
{
	struct catch_up *c = arg;
	char ch[PUSH_CHANNEL_MAX];
	const char *left[4];

	if (r->kind == 'j') {
		for (long v = r->seq > PUSH_CATCHUP_VERSIONS ? r->seq - PUSH_CATCHUP_VERSIONS : 0;
		     v < r->seq; v++)
			if (push_job_channel(ch, sizeof ch, r->id, v) == 0)
				post(c->h, "pub", ch, NULL, c->failing);
		c->jobs++;
		return;
	}
	for (int i = 0; i < push_statement_left(r->state, left); i++)
		if (push_statement_channel(ch, sizeof ch, r->id, (int)r->seq, left[i]) == 0)
			post(c->h, "pub", ch, NULL, c->failing);
	c->statements++;
}

/* Wake the waits that may have missed a notification while this publisher did not
 * post (push.h); false when the database could not say which. */
static bool catch_up(struct store *s, struct httpout *h, bool *failing)
{
	struct catch_up c = {.h = h, .failing = failing};

	if (store_push_recent(s, PUSH_WAIT_MAX_S, wake_left, &c) != STORE_OK)
		return false;
	if (!*failing)
		log_info("push: woke the waits that may have missed a change (%d jobs, %d statements)",
		 c.jobs, c.statements);
	return true;
}

/* Publish what was notified (unless another publisher posts to this nginx: then
 * only consume it), until nothing is left; -1 when the connection failed. */
static int publish_notes(struct store *s, struct httpout *h, bool mine, bool *failing)
{
	char note[NOTE_MAX];
	int rc;

	while ((rc = store_next_notify(s, note, sizeof note)) == 1)
		if (mine)
			on_note(s, h, note, failing);
	return rc;
}

int publish_main(const char *instance, const char *socket_path)
{
	struct sigaction sa;
	char app[APP_MAX];
	struct store *s = NULL;
	struct httpout *h;
	bool failing = false, mine = false, caught = false;
	unsigned long session = 0;
	time_t tried = 0;
	char host[HOST_MAX], key[HOST_MAX + PUBLISH_SOCKET_MAX];

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
	if (gethostname(host, sizeof host) < 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	snprintf(key, sizeof key, "%s:%s", host, socket_path);
	while (!stopping) {
		struct pollfd p = {.events = POLLIN};
		enum store_rc held;

		if (!s && (s = store_open(app)) && store_listen(s, STORE_PUSH) != STORE_OK) {
			store_close(s);
			s = NULL;
		}
		if (!s || store_ensure(s) != STORE_OK) {
			sleep(1);
			continue;
		}
		held = store_hold_publisher(s, key);
		if (held == STORE_OK && !mine)
			log_info("push: publishing to the nginx at %s", socket_path);
		else if (held == STORE_DUPLICATE && mine)
			log_info("push: another instance's publisher posts to this nginx");
		mine = held == STORE_OK;
		/* from the lock on (LISTEN came first), every change is heard; what changed
		 * before, while another held it, the connection was away or nginx refused,
		 * may have been missed: those waits are woken once */
		if (!mine || failing || store_session(s) != session)
			caught = false;
		if (mine && !caught && time(NULL) != tried) {      /* once a second at most */
			tried = time(NULL);
			session = store_session(s);
			caught = catch_up(s, h, &failing) && !failing;
		}
		/* what libpq read already is published without waiting for more; a broken
		 * connection is mended by store_ensure, which LISTENs again */
		p.fd = store_socket(s);
		if (publish_notes(s, h, mine, &failing) == 0)
			poll(&p, 1, IDLE_MS);
	}
	store_close(s);
	httpout_free(h);
	curl_global_cleanup();
	return 0;
}
