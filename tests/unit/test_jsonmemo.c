/* test_jsonmemo.c - a worker's kept JSON texts: given back for exactly the values they
 * were made from, never replaced within an answer. */
#include <stdlib.h>

#include "jsonmemo.h"
#include "unit.h"

#define N(v) ((int)(sizeof(v) / sizeof((v)[0])))

static const char *keep(struct jsonmemo *m, long long id, const char *const *v, int n,
			const char *text)
{
	return jsonmemo_keep(m, id, v, n, text, strlen(text));
}

static void exact_values(void)
{
	struct jsonmemo m = {0};
	const char *v[] = {"view", "job", NULL, "success", ""};
	const char *null_for_empty[] = {"view", "job", NULL, "success", NULL};
	const char *empty_for_null[] = {"view", "job", "", "success", ""};
	const char *other_state[] = {"view", "job", NULL, "dead", ""};
	const char *split_ab_c[] = {"ab", "c"}, *split_a_bc[] = {"a", "bc"};
	const char *fewer[] = {"view", "job", NULL, "success"};
	const char *t;

	jsonmemo_begin(&m);
	CHECK(jsonmemo_get(&m, 7, v, N(v)) == NULL);
	t = keep(&m, 7, v, N(v), "{\"id\":7}");
	CHECK_STR(t, "{\"id\":7}");
	CHECK(jsonmemo_get(&m, 7, v, N(v)) == t);
	CHECK(jsonmemo_get(&m, 8, v, N(v)) == NULL);
	CHECK(jsonmemo_get(&m, 7, null_for_empty, N(null_for_empty)) == NULL);
	CHECK(jsonmemo_get(&m, 7, empty_for_null, N(empty_for_null)) == NULL);
	CHECK(jsonmemo_get(&m, 7, other_state, N(other_state)) == NULL);
	CHECK(jsonmemo_get(&m, 7, fewer, N(fewer)) == NULL);

	jsonmemo_begin(&m);
	CHECK(keep(&m, 9, split_ab_c, 2, "abc") != NULL);
	CHECK(jsonmemo_get(&m, 9, split_a_bc, 2) == NULL);
	CHECK_STR(jsonmemo_get(&m, 9, split_ab_c, 2), "abc");
	jsonmemo_free(&m);
	CHECK(m.slot == NULL);
	CHECK(jsonmemo_get(&m, 9, split_ab_c, 2) == NULL);
}

static void one_answer(void)
{
	struct jsonmemo m = {0};
	const char *v[] = {"x"}, *w[] = {"y"};
	const char *a, *b;
	long long other = 5 + JSONMEMO_SLOTS;       /* the same slot as 5 */

	jsonmemo_begin(&m);
	a = keep(&m, 5, v, 1, "five");
	/* the slot's text was handed out in this answer: kept, not replaced */
	CHECK(keep(&m, other, v, 1, "other") == NULL);
	CHECK(keep(&m, 5, w, 1, "five again") == NULL);
	CHECK_STR(a, "five");
	CHECK(jsonmemo_get(&m, 5, v, 1) == a);

	/* the next answer may replace it */
	jsonmemo_begin(&m);
	b = keep(&m, other, v, 1, "other");
	CHECK_STR(b, "other");
	CHECK(jsonmemo_get(&m, 5, v, 1) == NULL);
	CHECK(jsonmemo_get(&m, other, v, 1) == b);

	/* a text got (not kept) in this answer is not replaced either */
	jsonmemo_begin(&m);
	CHECK(jsonmemo_get(&m, other, v, 1) == b);
	CHECK(keep(&m, 5, v, 1, "five") == NULL);
	CHECK_STR(b, "other");
	jsonmemo_free(&m);
}

static void too_long(void)
{
	struct jsonmemo m = {0};
	const char *v[] = {"x"};                /* a key of 3 bytes: tag, x, NUL */
	const char *long_value[1];
	char *big = malloc(JSONMEMO_ITEM_MAX + 1);

	if (!CHECK(big != NULL))
		return;
	memset(big, 'a', JSONMEMO_ITEM_MAX);
	big[JSONMEMO_ITEM_MAX - 2] = '\0';
	jsonmemo_begin(&m);
	CHECK(jsonmemo_keep(&m, 1, v, 1, big, JSONMEMO_ITEM_MAX - 2) == NULL);
	CHECK(jsonmemo_get(&m, 1, v, 1) == NULL);
	big[JSONMEMO_ITEM_MAX - 3] = '\0';
	CHECK(jsonmemo_keep(&m, 1, v, 1, big, JSONMEMO_ITEM_MAX - 3) != NULL);
	CHECK(strlen(jsonmemo_get(&m, 1, v, 1)) == JSONMEMO_ITEM_MAX - 3);
	/* a long value (a session's request) with a short text: not kept either */
	long_value[0] = big;
	CHECK(jsonmemo_keep(&m, 2, long_value, 1, "{}", 2) == NULL);
	CHECK(jsonmemo_get(&m, 2, long_value, 1) == NULL);
	jsonmemo_free(&m);
	free(big);
}

void test_jsonmemo(void)
{
	exact_values();
	one_answer();
	too_long();
}
