/* fuzz_reqbody.c - libFuzzer: POST /batches and POST /sessions bodies through
 * validation and argv building.  Whatever the bytes, reqbody_batch and reqbody_session
 * must accept, or refuse as invalid or forbidden with a message, an accepted batch must give an argv whose
 * local files lie in the whitelist, and an accepted session a known kind. */
#include <stdlib.h>
#include <string.h>

#include "reqbody.h"
#include "argv.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct cfg c;
	static struct argv_drivers d;
	static int ready;
	char *text = malloc(size + 1), msg[8192];
	struct reqbody r;
	enum reqbody_rc rc;

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
	rc = reqbody_batch(&r, text, size, "alice", NULL, &c, msg, sizeof msg);
	if (rc != REQBODY_OK && rc != REQBODY_INVALID && rc != REQBODY_FORBIDDEN)
		abort();
	if (rc != REQBODY_OK && !msg[0])
		abort();
	if (rc == REQBODY_OK) {
		json_object *a = argv_batch(&r, &c);
		if (!a || (r.file[0] == '/' && strcmp(r.file, "/jobs") && strncmp(r.file, "/jobs/", 6)))
			abort();
		json_object_put(a);
		reqbody_free(&r);
	}
	msg[0] = '\0';
	rc = reqbody_session(&r, text, size, "alice", NULL, &c, msg, sizeof msg);
	if ((rc != REQBODY_OK && rc != REQBODY_INVALID && rc != REQBODY_FORBIDDEN) ||
	    (rc != REQBODY_OK && !msg[0]))
		abort();
	if (rc == REQBODY_OK) {
		json_object *a = argv_driver(&r, &c, &d);
		if (!a || !r.kind || reqbody_kind(r.kind) != r.kind)
			abort();
		json_object_put(a);
		reqbody_free(&r);
	}
	free(text);
	return 0;
}
