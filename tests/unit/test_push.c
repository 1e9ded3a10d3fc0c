/* test_push.c - waiting clients: wait and since as a client sends them, the seconds
 * nginx can hold, the channel names of reads and of notifications, the redirect. */
#include "push.h"
#include "unit.h"

#include <stdio.h>
#include <string.h>

#define CAP 60000                   /* tacitus.push.wait-max 60s */

#define waits(...) waits_at(UNIT_HERE, __VA_ARGS__)

static void waits_at(struct unit_at at, enum push_what w, const char *wait, const char *since,
		     const char *state, long long cap, long want)
{
	char msg[200] = "";
	long secs = -1;

	at.label = wait ? wait : since ? since : "(none)";
	if (!CHECK_AT(at, push_wait_secs(w, wait, since, state, cap, &secs, msg, sizeof msg) == 0))
		unit_note(at, "message: %s", msg);
	if (!CHECK_AT(at, secs == want))
		unit_note(at, "got %ld seconds, want %ld", secs, want);
}

#define refused(...) refused_at(UNIT_HERE, __VA_ARGS__)

static void refused_at(struct unit_at at, enum push_what w, const char *wait, const char *since,
		       const char *words)
{
	char msg[200] = "";
	long secs = -1;

	at.label = wait ? wait : since;
	CHECK_AT(at, push_wait_secs(w, wait, since, "running", CAP, &secs, msg, sizeof msg) == -1);
	CHECK_AT(at, secs == 0);
	if (!CHECK_AT(at, strstr(msg, words) != NULL))
		unit_note(at, "message: %s", msg);
}

static void test_wait_secs(void)
{
	waits(PUSH_BATCH, "30", "running", "running", CAP, 30);
	waits(PUSH_BATCH, "30", "starting", "running", CAP, 0);    /* changed: at once */
	waits(PUSH_BATCH, "30", NULL, "running", CAP, 0);          /* no since: at once */
	waits(PUSH_BATCH, NULL, "running", "running", CAP, 0);     /* no wait: Livy's GET */
	waits(PUSH_BATCH, "0", "running", "running", CAP, 0);
	waits(PUSH_BATCH, "600", "running", "running", CAP, 60);   /* capped */
	waits(PUSH_BATCH, "999999999", "running", "running", CAP, 60);
	waits(PUSH_BATCH, "30", "running", "running", 0, 0);       /* waits off */
	waits(PUSH_BATCH, "30", "running", "running", 999, 0);
	waits(PUSH_BATCH, "007", "running", "running", CAP, 7);
	waits(PUSH_SESSION, "5", "idle", "idle", CAP, 5);
	waits(PUSH_SESSION, "5", "busy", "idle", CAP, 0);
	waits(PUSH_STATEMENT, "5", "waiting", "waiting", CAP, 5);
	waits(PUSH_STATEMENT, "5", "available", "running", CAP, 0);
	refused(PUSH_BATCH, "-1", "running", "whole number");
	refused(PUSH_BATCH, "1.5", "running", "whole number");
	refused(PUSH_BATCH, "", "running", "whole number");
	refused(PUSH_BATCH, "1e3", "running", "whole number");
	refused(PUSH_BATCH, "9999999999", "running", "whole number");
	refused(PUSH_BATCH, " 5", "running", "whole number");
	refused(PUSH_BATCH, "5", "runing", "batch state");
	refused(PUSH_BATCH, "5", "", "batch state");
	refused(PUSH_BATCH, "5", "available", "batch state");
	refused(PUSH_SESSION, "5", "RUNNING", "session state");
	refused(PUSH_STATEMENT, "5", "idle", "statement state");
	refused(PUSH_STATEMENT, NULL, "idle", "statement state");  /* checked even without wait */
}

#define ends(...) ends_at(UNIT_HERE, __VA_ARGS__)

/* until=end (with wait when not NULL) on state: answered after want seconds (0: at once). */
static void ends_at(struct unit_at at, enum push_what w, const char *wait, const char *state,
		    long long cap, long want)
{
	char msg[200] = "";
	long secs = -1;

	at.label = state;
	if (!CHECK_AT(at, push_end_secs(w, "end", wait, NULL, state, cap, &secs, msg, sizeof msg)
		      == 0))
		unit_note(at, "message: %s", msg);
	if (!CHECK_AT(at, secs == want))
		unit_note(at, "got %ld seconds, want %ld", secs, want);
}

#define end_refused(...) end_refused_at(UNIT_HERE, __VA_ARGS__)

static void end_refused_at(struct unit_at at, enum push_what w, const char *until,
			   const char *wait, const char *since, const char *words)
{
	char msg[200] = "";
	long secs = -1;

	at.label = until;
	CHECK_AT(at, push_end_secs(w, until, wait, since, "running", CAP, &secs, msg, sizeof msg)
		 == -1);
	CHECK_AT(at, secs == 0);
	if (!CHECK_AT(at, strstr(msg, words) != NULL))
		unit_note(at, "message: %s", msg);
}

static void test_end_secs(void)
{
	ends(PUSH_BATCH, NULL, "starting", CAP, 60);        /* no wait: the cap */
	ends(PUSH_BATCH, NULL, "running", 86400000LL, 86400);
	ends(PUSH_BATCH, "30", "running", CAP, 30);
	ends(PUSH_BATCH, "600", "running", CAP, 60);        /* capped */
	ends(PUSH_BATCH, "0", "running", CAP, 0);
	ends(PUSH_BATCH, NULL, "success", CAP, 0);          /* final already: at once */
	ends(PUSH_BATCH, "30", "dead", CAP, 0);
	ends(PUSH_BATCH, NULL, "killed", CAP, 0);
	ends(PUSH_BATCH, NULL, "running", 0, 0);            /* waits off */
	ends(PUSH_SESSION, NULL, "idle", CAP, 60);
	ends(PUSH_SESSION, NULL, "error", CAP, 60);         /* a session in error still runs */
	ends(PUSH_SESSION, NULL, "shutting_down", CAP, 60);
	ends(PUSH_SESSION, NULL, "dead", CAP, 0);
	end_refused(PUSH_BATCH, "End", NULL, NULL, "until takes one value, end");
	end_refused(PUSH_BATCH, "", NULL, NULL, "until takes one value, end");
	end_refused(PUSH_BATCH, "success", NULL, NULL, "not 'success'");
	end_refused(PUSH_BATCH, "end", "1.5", NULL, "whole number");
	end_refused(PUSH_BATCH, "end", "-1", NULL, "whole number");
	end_refused(PUSH_BATCH, "end", NULL, "running", "leave since out");
	end_refused(PUSH_SESSION, "end", "5", "idle", "leave since out");
	end_refused(PUSH_STATEMENT, "end", NULL, NULL, "a statement's state");
}

static void test_buckets(void)
{
	long places = 0, bad = 0;

	CHECK(push_bucket(1) == 1);
	CHECK(push_bucket(0) == 1);
	CHECK(push_bucket(59) == 59);
	CHECK(push_bucket(60) == 60);
	CHECK(push_bucket(61) == 60);
	CHECK(push_bucket(89) == 60);
	CHECK(push_bucket(90) == 90);
	CHECK(push_bucket(299) == 270);
	CHECK(push_bucket(300) == 300);
	CHECK(push_bucket(301) == 300);
	CHECK(push_bucket(599) == 300);
	CHECK(push_bucket(600) == 600);
	CHECK(push_bucket(3599) == 3300);
	CHECK(push_bucket(3600) == 3600);
	CHECK(push_bucket(7199) == 3600);
	CHECK(push_bucket(7200) == 7200);
	CHECK(push_bucket(86399) == 82800);
	CHECK(push_bucket(86400) == 86400);
	CHECK(push_bucket(100000) == PUSH_WAIT_MAX_S);
	/* a bucket is a place nginx has, never longer than asked: as many places as
	 * app/stack.sh writes */
	for (long t = 1; t <= PUSH_WAIT_MAX_S && !bad; t++) {
		long b = push_bucket(t);

		places += b == t;
		bad = b > t || push_bucket(b) != b ? t : 0;
	}
	if (!CHECK(bad == 0))
		unit_note(UNIT_HERE, "push_bucket(%ld) = %ld", bad, push_bucket(bad));
	CHECK(places == 102);
}

static void test_catchup_window(void)
{
	CHECK(push_catchup_window(1000, 1000, 60) == 300);      /* posts go: 5 minutes */
	CHECK(push_catchup_window(1000, 1005, 60) == 300);      /* a clock step back */
	CHECK(push_catchup_window(5000, 1000, 86400) == 4300);  /* away for 4000 s */
	/* no waiter outlives the cap: away longer, the cap and 5 minutes */
	CHECK(push_catchup_window(5000, 1000, 60) == 360);
	CHECK(push_catchup_window(1100, 1000, 60) == 360);
	CHECK(push_catchup_window(1000000, 0, PUSH_WAIT_MAX_S) == PUSH_WAIT_MAX_S + 300);
	CHECK(push_catchup_window(1000000, 0, 0) == 300);      /* waits off */
}

#define note(...) note_at(UNIT_HERE, __VA_ARGS__)

/* A notification's channel (want), or -1 from parse or channel (want NULL). */
static void note_at(struct unit_at at, const char *payload, const char *want)
{
	char ch[PUSH_CHANNEL_MAX] = "";
	struct push_note n;

	at.label = payload;
	if (!want) {
		CHECK_AT(at, push_note_parse(payload, &n) == -1 ||
			     push_note_channel(&n, ch, sizeof ch) == -1);
		return;
	}
	CHECK_AT(at, push_note_parse(payload, &n) == 0);
	CHECK_AT(at, push_note_channel(&n, ch, sizeof ch) == 0);
	CHECK_STR_AT(at, ch, want);
}

static void test_channels(void)
{
	char ch[PUSH_CHANNEL_MAX], small[6];

	CHECK(push_job_channel(ch, sizeof ch, 12, 3) == 0);
	CHECK_STR(ch, "j12.3");
	CHECK(push_job_channel(ch, sizeof ch, -4, 0) == 0);       /* a session's driver */
	CHECK_STR(ch, "j-4.0");
	CHECK(push_statement_channel(ch, sizeof ch, 4, 0, "running") == 0);
	CHECK_STR(ch, "t4.0.running");
	CHECK(push_job_channel(small, sizeof small, 123456, 7) == -1);
	CHECK(push_end_channel(ch, sizeof ch, 12) == 0);
	CHECK_STR(ch, "j12.end");
	CHECK(push_end_channel(ch, sizeof ch, -4) == 0);
	CHECK_STR(ch, "j-4.end");
	CHECK(push_end_channel(small, sizeof small, 1234) == -1);
	/* what a notification names is what a read of the version before it names */
	note("j 12 3", "j12.3");
	note("j -4 0", "j-4.0");
	note("t 4 0 running", "t4.0.running");
	note("t 4 17 waiting", "t4.17.waiting");
	note("", NULL);
	note("j", NULL);
	note("j 12", NULL);
	note("j 12 3 4", NULL);
	note("j 12 x", NULL);
	note("j 12 -1", NULL);
	note("j12 3", NULL);
	note("x 1 2", NULL);
	note("t 4 0", NULL);
	note("t 4 0 sleeping", NULL);
	note("t 4 0 running ", NULL);
	note("t 4 99999999999 running", NULL);
	note("l 12 0 5", NULL);                 /* new lines wake no wait */
	note("c 7", "c7");                      /* a completion's answer */
	note("c", NULL);
	note("c 7 1", NULL);
}

static void test_log_notes(void)
{
	struct push_note n;
	char ch[PUSH_CHANNEL_MAX], u[PUSH_URI_MAX];

	CHECK(push_note_parse("l 12 100 250", &n) == 0);
	CHECK(n.kind == PUSH_NOTE_LOG && n.job == 12 && n.from == 100 && n.to == 250);
	CHECK(push_note_parse("l -3 0 1", &n) == 0 && n.job == -3);
	CHECK(push_note_parse("l 12 5 4", &n) == -1);       /* fewer lines than before */
	CHECK(push_note_parse("l 12 5", &n) == -1);
	CHECK(push_note_parse("l 12 5 6 7", &n) == -1);
	CHECK(push_note_parse("j 12 3", &n) == 0 && n.kind == PUSH_NOTE_JOB && n.seq == 3);
	CHECK(push_note_parse("t 4 1 running", &n) == 0 && n.kind == PUSH_NOTE_STATEMENT &&
	      n.session == 4 && n.stmt == 1 && !strcmp(n.state, "running"));
	CHECK(push_events_channel(ch, sizeof ch, 12) == 0);
	CHECK_STR(ch, "e12");
	CHECK(push_events_channel(ch, sizeof ch, -4) == 0);
	CHECK_STR(ch, "e-4");
	CHECK(push_events_uri(u, sizeof u, -4) == 0);
	CHECK_STR(u, "/_events/e-4");
}

static void test_uri(void)
{
	char u[PUSH_URI_MAX], small[20];

	CHECK(push_wait_uri(u, sizeof u, 30, "j12.3", "/batches/12/state", "wait=30&since=running")
	      == 0);
	CHECK_STR(u, "/_wait/30/j12.3/batches/12/state?wait=30&since=running");
	CHECK(push_wait_uri(u, sizeof u, 75, "t4.0.running", "/sessions/4/statements/0", "") == 0);
	CHECK_STR(u, "/_wait/60/t4.0.running/sessions/4/statements/0");
	CHECK(push_wait_uri(u, sizeof u, 7000, "j12.end", "/batches/12/state", "until=end") == 0);
	CHECK_STR(u, "/_wait/3600/j12.end/batches/12/state?until=end");
	CHECK(push_wait_uri(u, sizeof u, 5, "j1.0", "/batches/1/state", "a=b\r\nX: y") == -1);
	CHECK(push_wait_uri(u, sizeof u, 5, "j1.0", "/batches/1/state", "a b") == -1);
	CHECK(push_wait_uri(small, sizeof small, 5, "j1.0", "/batches/1/state", "") == -1);
}

#define left(...) left_at(UNIT_HERE, __VA_ARGS__)

/* push_statement_left(state), joined by spaces, is want. */
static void left_at(struct unit_at at, const char *state, const char *want)
{
	const char *out[4] = {"x", "x", "x", "x"};
	char got[64] = "";
	int n = push_statement_left(state, out);

	at.label = state;
	for (int i = 0; i < n; i++)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "", out[i]);
	CHECK_AT(at, out[n] == NULL);
	if (!CHECK_AT(at, !strcmp(got, want)))
		unit_note(at, "got '%s', want '%s'", got, want);
}

/* A statement's states never come back: a wait since one it left is due. */
static void test_statement_left(void)
{
	left("waiting", "");
	left("running", "waiting");
	left("available", "waiting running");
	left("error", "waiting running");
	left("cancelling", "waiting running");
	left("cancelled", "waiting running cancelling");
	left("nonsense", "");
}

void test_push(void)
{
	test_statement_left();
	test_wait_secs();
	test_end_secs();
	test_buckets();
	test_catchup_window();
	test_channels();
	test_log_notes();
	test_uri();
}
