/* fuzz_sparkjar.c - libFuzzer: a launcher jar (a zip) and a class file, as sparkjar.h reads them. */
#include <stdlib.h>
#include <string.h>

#include "sparkjar.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned char *cls = NULL;
	size_t clen = 0;
	char err[512], *opts;

	/* the input as a jar: its module class, then that class's options */
	err[0] = '\0';
	if (sparkjar_zip_entry(data, size, SPARKJAR_MODULE_CLASS, &cls, &clen, err, sizeof err) < 0) {
		if (!err[0] || cls || clen)
			abort();        /* a refusal says why, and gives nothing */
	} else {
		if (!cls || clen > SPARKJAR_ENTRY_MAX || cls[clen] != '\0')
			abort();
		err[0] = '\0';
		opts = sparkjar_class_options(cls, clen, err, sizeof err);
		if (!opts && !err[0])
			abort();
		free(opts);
		free(cls);
	}
	/* the input as a class file: options are '-' words joined by single spaces */
	err[0] = '\0';
	if (!(opts = sparkjar_class_options(data, size, err, sizeof err))) {
		if (!err[0])
			abort();
		return 0;
	}
	for (const char *s = opts; *s; s++)
		if ((s == opts || s[-1] == ' ') && *s != '-')
			abort();
	if (*opts && (opts[strlen(opts) - 1] == ' ' || strstr(opts, "  ")))
		abort();
	free(opts);
	return 0;
}
