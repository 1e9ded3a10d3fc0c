/* main.c - runs every unit test suite. */
#include "unit.h"

int unit_passed, unit_failed;

int main(void)
{
	test_livy();
	test_config();
	test_reqbody();
	test_sessionreq();
	test_track();
	test_access();
	test_launcher();
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed != 0;
}
