/* publish.c - the publisher: tacitus_push notifications to nginx's waiting clients
 * (publish.h). */
#include "publish.h"
#include "http.h"
#include "httpout.h"
#include "livy.h"
#include "log.h"
#include "push.h"
#include "config.h"
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
#define MARK_CHANNEL "mark"         /* nginx/push.conf.in's /pub-mark */

static volatile sig_atomic_t stopping;

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

/* A publisher's state. */
struct pub {
	struct store *s;
	struct httpout *h;
	long retain_s;              /* livy.server.session.state-retain.sec: what GET shows */
	bool failing;               /* the last post was refused (logged once) */
	bool missed;                /* a wake-up was not posted: catch up once posts go */
	time_t posted_at;           /* when every change was last known posted (push.h's
				       push_catchup_window) */
	long cap_s;                 /* tacitus.push.wait-max, seconds */
	time_t marked, tried;       /* the last look at nginx's mark, the last catch-up */
};

/* POST body (JSON; NULL: none, a "look again") to nginx's publisher location `where`
 * for channel ch; false when nginx did not take it.  The first failure of a run of
 * them is logged, and the first success after it. */
static bool post(struct pub *p, const char *where, const char *ch, const char *body)
{
	char url[URL_MAX], err[256];
	struct httpout_answer a;
	bool ok;

	snprintf(url, sizeof url, "http://nginx/%s?c=%s", where, ch);
	ok = httpout_call(p->h, "POST", url, body, NULL, ANSWER_MAX, &a, err, sizeof err) == 0 &&
	     a.status >= 200 && a.status < 300;
	if (!ok && a.body)
		snprintf(err, sizeof err, "status %ld", a.status);
	if (!ok && !p->failing)
		log_warn("push: nginx did not take a message (%s); the waits it would have woken "
			 "are woken once nginx takes messages again", err);
	else if (ok && p->failing)
		log_info("push: nginx takes messages again");
	p->failing = !ok;
	httpout_answer_free(&a);
	return ok;
}

/* A wake-up of the waits on channel ch: body is their answer, NULL a "look again". */
static bool wake(struct pub *p, const char *ch, const char *body)
{
	if (post(p, "pub", ch, body))
		return true;
	p->missed = true;
	return false;
}

/* Whether nginx forgot the messages it kept (a reload or a restart of nginx starts
 * nchan's store anew, so a wake-up posted a moment before is lost to a client that
 * reaches its channel after it): its mark, a message that never expires, is gone; it is
 * posted again then.  false when nginx does not answer (the posts will say). */
static bool nginx_forgot(struct pub *p)
{
	struct httpout_answer a;
	char err[256];
	bool gone;

	if (httpout_call(p->h, "GET", "http://nginx/pub-mark?c=" MARK_CHANNEL, NULL, NULL,
			 ANSWER_MAX, &a, err, sizeof err) < 0)
		return false;
	gone = a.status == 404;
	httpout_answer_free(&a);
	if (gone)
		post(p, "pub-mark", MARK_CHANNEL, "{}");
	return gone;
}

/* POST json to `where` for job's event channel; takes json. */
static void post_event(struct pub *p, const char *where, long long job, json_object *json)
{
	char ch[PUSH_CHANNEL_MAX];

	push_events_channel(ch, sizeof ch, job);
	if (json)
		post(p, where, ch, http_json_text(json));
	json_object_put(json);
}

/* The waits for the end of job (j read now; answer its GET .../state's text): woken
 * with the answer when its state is final, with a "look again" when GET no longer
 * shows it (DELETEd: a worker says 404); else left waiting. */
static void wake_end(struct pub *p, long long job, const struct store_push_job *j,
		     const char *answer)
{
	char ch[PUSH_CHANNEL_MAX];

	if ((j->visible && !livy_state_ended(j->state)) ||
	    push_end_channel(ch, sizeof ch, job) < 0)
		return;
	wake(p, ch, j->visible ? answer : NULL);
}

/* A job's change (n): its waits get the answer of GET .../state now, {"id", "state"}
 * (a session's, for a driver), the same for every user who may see the job; a job
 * the API does not show, or one that cannot be read, gets a "look again" that hands
 * its waits back to a worker.  Then the job's state event. */
static void wake_job(struct pub *p, const struct push_note *n)
{
	char ch[PUSH_CHANNEL_MAX];
	struct store_push_job j;
	enum store_rc rc;
	json_object *o;

	if (push_note_channel(n, ch, sizeof ch) < 0)
		return;
	rc = store_push_job(p->s, n->job, p->retain_s, &j);
	if (rc != STORE_OK) {
		wake(p, ch, NULL);
		/* an end not read: the catch-up wakes the end's waits once it can read */
		p->missed = p->missed || rc == STORE_ERROR;
		return;
	}
	o = push_state_json(j.id, j.state);
	wake(p, ch, j.visible ? http_json_text(o) : NULL);
	wake_end(p, n->job, &j, http_json_text(o));
	post_event(p, "pub-state", n->job, o);
}

/* The event of lines [from, to) of n's job: {"id", "from", "total", "lines"}, at most
 * PUBLISH_LOG_LINES of them (total says how many there are: the rest is read from
 * the API's /log). */
static void publish_log(struct pub *p, const struct push_note *n)
{
	struct store_push_job j;
	struct store_lines l;
	json_object *o, *a;
	long count = n->to - n->from;

	if (store_push_job(p->s, n->job, p->retain_s, &j) != STORE_OK)
		return;
	if (store_batch_log(p->s, n->job, n->from, count < PUBLISH_LOG_LINES ? count
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
	post_event(p, "pub-log", n->job, o);
}

/* One notification: the wake-up of its waits, then its job's event. */
static void on_note(struct pub *p, const char *payload)
{
	char ch[PUSH_CHANNEL_MAX];
	struct push_note n;

	if (push_note_parse(payload, &n) < 0) {
		log_warn("push: a notification not understood: '%s'", payload);
		return;
	}
	if (n.kind == PUSH_NOTE_JOB)
		wake_job(p, &n);
	else if (push_note_channel(&n, ch, sizeof ch) == 0)
		wake(p, ch, NULL);
	if (n.kind == PUSH_NOTE_LOG)
		publish_log(p, &n);
}

/* What catch_up counts. */
struct catch_up {
	struct pub *p;
	int jobs, statements;
	bool stopped;               /* a wake-up was refused: the rest waits for next time */
};

/* Wake the waits on what r has left behind (push.h's catch-up), with a "look again". */
static void wake_left(const struct store_push_recent *r, void *arg)
{
	struct catch_up *c = arg;
	char ch[PUSH_CHANNEL_MAX];
	const char *left[4];
	int n;

	if (c->stopped)
		return;
	if (r->kind == 'j') {
		for (long v = r->seq > PUSH_CATCHUP_VERSIONS ? r->seq - PUSH_CATCHUP_VERSIONS : 0;
		     v < r->seq && !c->stopped; v++)
			if (push_job_channel(ch, sizeof ch, r->id, v) == 0)
				c->stopped = !wake(c->p, ch, NULL);
		if (r->finished && !c->stopped && push_end_channel(ch, sizeof ch, r->id) == 0)
			c->stopped = !wake(c->p, ch, NULL);
		c->jobs++;
		return;
	}
	n = push_statement_left(r->state, left);
	for (int i = 0; i < n && !c->stopped; i++)
		if (push_statement_channel(ch, sizeof ch, r->id, (int)r->seq, left[i]) == 0)
			c->stopped = !wake(c->p, ch, NULL);
	c->statements++;
}

/* Wake the waits that may have missed a notification while this publisher did not
 * post (push.h); true when all of them were woken. */
static bool catch_up(struct pub *p)
{
	struct catch_up c = {.p = p};
	long window = push_catchup_window(time(NULL), p->posted_at, p->cap_s);

	if (store_push_recent(p->s, window, wake_left, &c) != STORE_OK || c.stopped)
		return false;
	log_info("push: woke the waits that may have missed a change (%d jobs, %d statements; "
		 "jobs finished in the last %ld s)", c.jobs, c.statements, window);
	return true;
}

/* The holder's turn: once a second, whether nginx forgot the wake-ups it kept; then
 * the catch-up when one may have been missed (once a second at most). */
static void keep_up(struct pub *p)
{
	time_t now = time(NULL);

	if (now != p->marked) {
		p->marked = now;
		if (nginx_forgot(p)) {
			if (!p->missed)
				log_info("push: nginx forgot the wake-ups it kept (reloaded or "
					 "restarted): waking the waits that may have missed one");
			p->missed = true;
		}
	}
	if (p->missed && now != p->tried) {
		p->tried = now;
		p->missed = false;
		p->missed = !catch_up(p) || p->missed;
	}
	if (!p->missed)
		p->posted_at = now;
}

/* Publish what was notified (unless another publisher posts to this nginx: then
 * only consume it), until nothing is left; -1 when the connection failed. */
static int publish_notes(struct pub *p, bool mine)
{
	char note[NOTE_MAX];
	int rc;

	while ((rc = store_next_notify(p->s, note, sizeof note)) == 1)
		if (mine)
			on_note(p, note);
	return rc;
}

/* Hold this nginx's publisher lock if it is free; true while held.  Another
 * publisher holding it posts every change now (p->posted_at). */
static bool hold(struct pub *p, const char *key, const char *socket_path, bool mine)
{
	enum store_rc held = store_hold_publisher(p->s, key);

	if (held == STORE_OK && !mine)
		log_info("push: publishing to the nginx at %s", socket_path);
	else if (held == STORE_DUPLICATE && mine)
		log_info("push: another instance's publisher posts to this nginx");
	if (held == STORE_DUPLICATE)
		p->posted_at = time(NULL);
	return held == STORE_OK;
}

int publish_main(const struct cfg *c, const char *instance, const char *socket_path)
{
	struct sigaction sa;
	char app[APP_MAX];
	/* posted_at 0: what was posted before this publisher began is unknown */
	struct pub p = {.retain_s = c->state_retain_sec, .missed = true, .posted_at = 0,
			.cap_s = (long)(c->push_wait_max_ms / 1000)};
	bool mine = false;
	unsigned long session = 0;
	char host[HOST_MAX], key[HOST_MAX + PUBLISH_SOCKET_MAX];

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    !(p.h = httpout_new(CONNECT_MS, TOTAL_MS)) || httpout_use_unix(p.h, socket_path) < 0) {
		log_error("push: cannot start the publisher (socket %s)", socket_path);
		return 1;
	}
	/* the answers nginx passes on are typed as a worker's (nginx/nginx.conf.in) */
	httpout_set_json_type(p.h, HTTP_JSON_TYPE);
	snprintf(app, sizeof app, "tacitus/%s/publish/%d", instance, (int)getpid());
	if (gethostname(host, sizeof host) < 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	snprintf(key, sizeof key, "%s:%s", host, socket_path);
	while (!stopping) {
		struct pollfd pf = {.events = POLLIN};

		if (!p.s && (p.s = store_open(app)) && store_listen(p.s, STORE_PUSH) != STORE_OK) {
			store_close(p.s);
			p.s = NULL;
		}
		if (!p.s || store_ensure(p.s) != STORE_OK) {
			sleep(1);
			continue;
		}
		mine = hold(&p, key, socket_path, mine);
		/* from the lock on (LISTEN came first) every change is heard; what changed
		 * before (another held it, the connection was away) or was not posted
		 * (nginx refused) may have been missed: those waits are woken once */
		if (!mine || store_session(p.s) != session)
			p.missed = true;
		session = store_session(p.s);
		if (mine)
			keep_up(&p);
		/* what libpq read already is published without waiting for more; a broken
		 * connection is mended by store_ensure, which LISTENs again */
		pf.fd = store_socket(p.s);
		if (publish_notes(&p, mine) == 0)
			poll(&pf, 1, IDLE_MS);
	}
	store_close(p.s);
	httpout_free(p.h);
	curl_global_cleanup();
	return 0;
}
