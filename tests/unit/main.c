/* main.c - runs the unit test suites: all of them, or those named on the command line
 * (build/unit reqbody track). */
#include <stdlib.h>

#include "unit.h"

static const struct {
	const char *name;
	void (*run)(void);
} suites[] = {
	{"livy", test_livy},
	{"config", test_config},
	{"reqbody", test_reqbody},
	{"sessionreq", test_sessionreq},
	{"track", test_track},
	{"access", test_access},
	{"jobenv", test_jobenv},
	{"leasewatch", test_leasewatch},
	{"leasewatch_locks", test_leasewatch_locks},
	{"metrics", test_metrics},
	{"respawn", test_respawn},
	{"yarn", test_yarn},
	{"standalone", test_standalone},
	{"sweep", test_sweep},
	{"sparkjar", test_sparkjar},
	{"histquery", test_histquery},
	{"hook", test_hook},
	{"push", test_push},
	{"logchunk", test_logchunk},
	{"jobuser", test_jobuser},
	{"jsonmemo", test_jsonmemo},
};

#define N_SUITES (sizeof suites / sizeof suites[0])

static int find(const char *name)
{
	for (size_t i = 0; i < N_SUITES; i++)
		if (!strcmp(suites[i].name, name))
			return (int)i;
	return -1;
}

int main(int argc, char **argv)
{
	/* every name is checked before any suite runs: a typo must not pass as a short run */
	for (int a = 1; a < argc; a++) {
		if (find(argv[a]) >= 0)
			continue;
		fprintf(stderr, "unit: no suite \"%s\"; the suites are:", argv[a]);
		for (size_t i = 0; i < N_SUITES; i++)
			fprintf(stderr, " %s", suites[i].name);
		fputc('\n', stderr);
		return 2;
	}
	if (argc < 2)
		for (size_t i = 0; i < N_SUITES; i++)
			suites[i].run();
	for (int a = 1; a < argc; a++)
		suites[find(argv[a])].run();
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed != 0;
}
