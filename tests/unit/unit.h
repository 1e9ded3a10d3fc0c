/* unit.h - the smallest test harness: CHECK counts, main prints "N passed, N failed". */
#ifndef TACITUS_UNIT_H
#define TACITUS_UNIT_H

#include <stdio.h>
#include <string.h>

extern int unit_passed, unit_failed;

#define CHECK(cond) do { \
	if (cond) unit_passed++; \
	else { unit_failed++; fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *a_ = (a), *b_ = (b); \
	if (a_ && b_ && !strcmp(a_, b_)) unit_passed++; \
	else { unit_failed++; fprintf(stderr, "%s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
				     a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } \
} while (0)

void test_livy(void);
void test_config(void);
void test_reqbody(void);
void test_sessionreq(void);
void test_track(void);
void test_access(void);
void test_launcher(void);

#endif
