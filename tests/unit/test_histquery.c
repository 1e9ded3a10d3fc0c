/* test_histquery.c - the parameters of GET /history: filters, search, page. */
#include "histquery.h"
#include "unit.h"

#define like(...) like_at(UNIT_HERE, __VA_ARGS__)
#define refused(...) refused_at(UNIT_HERE, __VA_ARGS__)

static void like_at(struct unit_at at, const char *q, const char *want)
{
	char buf[2 * HISTQUERY_Q_MAX + 3];

	at.label = q;
	if (CHECK_AT(at, histquery_like(q, buf, sizeof buf) == 0))
		CHECK_STR_AT(at, buf, want);
}

static void refused_at(struct unit_at at, struct histquery_params p, const char *label)
{
	struct histquery q;
	char msg[512] = "";

	at.label = label;
	CHECK_AT(at, histquery_check(&p, &q, msg, sizeof msg) == -1);
	CHECK_AT(at, *msg != '\0');
}

static void test_like(void)
{
	char small[5];

	like("", "%%");
	like("etl", "%etl%");
	like("50%_off\\x", "%50\\%\\_off\\\\x%");
	like("Nightly-ETL", "%Nightly-ETL%");       /* case: ILIKE's, not the pattern's */
	CHECK(histquery_like("abc", small, sizeof small) == -1);
	CHECK(histquery_like("ab", small, sizeof small) == -1);
	CHECK(histquery_like("a", small, sizeof small) == 0);
}

static void test_ids_and_states(void)
{
	CHECK(histquery_is_id("0") && histquery_is_id("123456789012345678"));
	CHECK(!histquery_is_id("") && !histquery_is_id("1234567890123456789"));
	CHECK(!histquery_is_id("-1") && !histquery_is_id("1a") && !histquery_is_id(" 1"));
	CHECK(histquery_state("success") && histquery_state("idle") &&
	      histquery_state("shutting_down") && histquery_state("running"));
	CHECK(!histquery_state("") && !histquery_state("SUCCESS") &&
	      !histquery_state("not_started") && histquery_state("error"));
}

static void test_check(void)
{
	struct histquery_params p = {.size = HISTQUERY_PAGE};
	struct histquery q;
	char msg[512] = "", big[HISTQUERY_Q_MAX + 2];

	/* nothing given: the newest page of everything */
	CHECK(histquery_check(&p, &q, msg, sizeof msg) == 0);
	CHECK(q.from == 0 && q.size == HISTQUERY_PAGE && !q.kind && !q.state && !q.owner &&
	      !q.id && !q.like);
	/* empty values are absent ones (a form's empty fields) */
	p = (struct histquery_params){.kind = "", .state = "", .owner = "", .q = "", .size = 5};
	CHECK(histquery_check(&p, &q, msg, sizeof msg) == 0);
	CHECK(!q.kind && !q.state && !q.owner && !q.like && q.size == 5);
	/* every filter */
	p = (struct histquery_params){.kind = "session", .state = "idle", .owner = "alice",
				      .q = "42", .from = 100, .size = 100000};
	CHECK(histquery_check(&p, &q, msg, sizeof msg) == 0);
	CHECK_STR(q.kind, "session");
	CHECK_STR(q.state, "idle");
	CHECK_STR(q.owner, "alice");
	CHECK(q.id && !strcmp(q.id, "42"));          /* an id, and a name holding "42" */
	CHECK(q.like && !strcmp(q.like, "%42%"));
	CHECK(q.from == 100 && q.size == HISTQUERY_PAGE_MAX);
	p = (struct histquery_params){.q = "etl_%", .size = 1};
	CHECK(histquery_check(&p, &q, msg, sizeof msg) == 0);
	CHECK(!q.id && q.like && !strcmp(q.like, "%etl\\_\\%%"));

	refused(((struct histquery_params){.kind = "driver"}), "kind driver");
	refused(((struct histquery_params){.kind = "Batch"}), "kind Batch");
	refused(((struct histquery_params){.state = "bogus"}), "state bogus");
	refused(((struct histquery_params){.from = -1}), "from -1");
	refused(((struct histquery_params){.size = -1}), "size -1");
	refused(((struct histquery_params){.owner = "\xff"}), "owner not UTF-8");
	refused(((struct histquery_params){.q = "a\xc3"}), "q not UTF-8");
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	refused(((struct histquery_params){.q = big}), "q too long");
	big[HISTQUERY_Q_MAX] = '\0';
	p = (struct histquery_params){.q = big};
	CHECK(histquery_check(&p, &q, msg, sizeof msg) == 0);
}

void test_histquery(void)
{
	test_like();
	test_ids_and_states();
	test_check();
}
