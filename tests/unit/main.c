/* main.c - runs every unit test suite. */
#include "unit.h"

int main(void)
{
	test_livy();
	test_config();
	test_reqbody();
	test_sessionreq();
	test_track();
	test_access();
	printf("unit: %d passed, %d failed\n", unit_passed, unit_failed);
	return unit_failed != 0;
}
