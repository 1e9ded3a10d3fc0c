/* fuzz_window.c - libFuzzer: Livy's log and list windows stay inside what exists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "livy.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	int32_t in[4] = {0};
	long first, count;

	memcpy(in, data, size < sizeof in ? size : sizeof in);
	long total = in[0] < 0 ? -(long)in[0] : in[0];
	livy_log_window(total, in[3] & 1, in[1], in[2], &first, &count);
	if (count < 0 || (count > 0 && (first < 0 || first + count > total)))
		abort();
	livy_list_window(total, in[1], in[2], &first, &count);
	if (count < 0 || (count > 0 && (first < 0 || first + count > total)))
		abort();
	return 0;
}
