/* unit.h - the smallest test harness: CHECK counts, main prints "N passed, N failed".
 *
 * A failed check prints where it was written.  A check inside a helper would print
 * the helper's line, which does not say which table row failed; so helpers take a
 * struct unit_at from their caller (UNIT_HERE, the row's file and line), add the
 * row's input as its label, and check with CHECK_AT / CHECK_STR_AT:
 *
 *	#define refused(...) refused_at(UNIT_HERE, __VA_ARGS__)
 *	static void refused_at(struct unit_at at, const char *body, ...)
 *	{
 *		at.label = body;
 *		CHECK_AT(at, rc == want);     // "test_x.c:81: [{}] CHECK failed: rc == want"
 *	}
 */
#ifndef TACITUS_UNIT_H
#define TACITUS_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_passed, unit_failed;

struct unit_at {
	const char *file;
	int line;
	const char *label;          /* the input of the row; NULL when the check shows it */
};

#define UNIT_HERE ((struct unit_at){__FILE__, __LINE__, NULL})

/* Count one check; print where it failed.  Both return whether it passed. */
int unit_check(struct unit_at at, int ok, const char *cond);
int unit_check_str(struct unit_at at, const char *a, const char *b);
/* More about a failure, printed after the same "file:line: [label]" prefix. */
void unit_note(struct unit_at at, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define CHECK(cond) unit_check(UNIT_HERE, !!(cond), #cond)
#define CHECK_STR(a, b) unit_check_str(UNIT_HERE, (a), (b))
#define CHECK_AT(at, cond) unit_check((at), !!(cond), #cond)
#define CHECK_STR_AT(at, a, b) unit_check_str((at), (a), (b))

void test_livy(void);
void test_config(void);
void test_reqbody(void);
void test_sessionreq(void);
void test_track(void);
void test_access(void);
void test_jobenv(void);
void test_leasewatch(void);
void test_leasewatch_locks(void);
void test_metrics(void);
void test_respawn(void);
void test_yarn(void);
void test_standalone(void);
void test_sweep(void);
void test_sparkjar(void);
void test_histquery(void);
void test_hook(void);
void test_push(void);
void test_logchunk(void);
void test_jobuser(void);
void test_jsonmemo(void);

#endif
