/* fuzz_batchreq.c - libFuzzer: POST /batches and POST /sessions bodies through
 * validation and argv building.  Whatever the bytes, breq_parse and breq_parse_session
 * must answer 0, 400 or 403 with a message, an accepted batch must give an argv whose
 * local files lie in the whitelist, and an accepted session a known kind. */
#include <stdlib.h>
#include <string.h>

#include "batchreq.h"
#include "launcher.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct cfg c;
	static int ready;
	char *text = malloc(size + 1), msg[8192];
	struct breq r;
	int rc;

	if (!ready) {
		cfg_defaults(&c);
		strcpy(c.whitelist[0], "/jobs");
		c.n_whitelist = 1;
		c.impersonation = true;
		ready = 1;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	msg[0] = '\0';
	rc = breq_parse(&r, text, size, "alice", NULL, &c, msg, sizeof msg);
	if (rc != 0 && rc != 400 && rc != 403)
		abort();
	if (rc != 0 && !msg[0])
		abort();
	if (rc == 0) {
		json_object *a = launch_build_argv(&r, &c);
		if (!a || (r.file[0] == '/' && strcmp(r.file, "/jobs") && strncmp(r.file, "/jobs/", 6)))
			abort();
		json_object_put(a);
		breq_free(&r);
	}
	msg[0] = '\0';
	rc = breq_parse_session(&r, text, size, "alice", NULL, &c, msg, sizeof msg);
	if ((rc != 0 && rc != 400 && rc != 403) || (rc != 0 && !msg[0]))
		abort();
	if (rc == 0) {
		json_object *a = launch_driver_argv(&r, &c, false);
		if (!a || !r.kind || breq_kind(r.kind) != r.kind)
			abort();
		json_object_put(a);
		breq_free(&r);
	}
	free(text);
	return 0;
}
