/* fuzz_livyconf.c - libFuzzer: livy.conf and spark-blacklist.conf texts. */
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct cfg c;
	char *text = malloc(size + 1), err[512];

	memcpy(text, data, size);
	text[size] = '\0';
	cfg_defaults(&c);
	err[0] = '\0';
	if (cfg_parse_livy_conf(&c, text, "fuzz", err, sizeof err) < 0 && !err[0])
		abort();        /* a refusal always says why */
	if (c.n_whitelist > CFG_MAX_LIST || c.max_creation < 1)
		abort();
	err[0] = '\0';
	if (cfg_parse_blacklist(&c, text, "fuzz", err, sizeof err) < 0 && !err[0])
		abort();
	/* every key the file names is refused, whatever else it holds */
	for (size_t i = 0; i < c.blacklist.n; i++)
		if (!cfg_is_blacklisted(&c, c.blacklist.key[i]))
			abort();
	cfg_free(&c);
	free(text);
	return 0;
}
