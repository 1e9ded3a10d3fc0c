/* fuzz_reqbody.c - libFuzzer: POST /batches and POST /sessions bodies through
 * validation and argv building.  Whatever the bytes, reqbody_batch and reqbody_session
 * must accept, or refuse as invalid or forbidden with a message.  What they accept
 * must be well-formed UTF-8 (PostgreSQL stores the body), an accepted batch must give
 * an argv whose local files (plain, file: or local:) lie in the whitelist, an accepted
 * session a known kind, and for both: every conf key of the request has Spark's key
 * syntax and is not blacklisted (a blacklist longer than Tacitus once kept), and every
 * "--conf k=v" of the argv names a key of the final conf, so that the key spark-submit
 * reads is the key that was checked. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reqbody.h"
#include "argv.h"
#include "livy.h"

#define LONG_BLACKLIST 100          /* past the 32 entries once kept */

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

/* Well-formed UTF-8, decoded by code point (another way than reqbody.c's). */
static bool utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned cp, len = s[i] < 0x80 ? 1 : s[i] >> 5 == 6 ? 2 : s[i] >> 4 == 14 ? 3 :
				   s[i] >> 3 == 30 ? 4 : 0;
		static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
		if (!len || i + len > n)
			return false;
		cp = len == 1 ? s[i] : s[i] & (0xff >> (len + 1));
		for (unsigned j = 1; j < len; j++) {
			if (s[i + j] >> 6 != 2)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* The conf-key rules over an accepted request r and its argv a. */
static void check_conf(const struct reqbody *r, const struct cfg *c, json_object *a)
{
	json_object *req = NULL;

	if (json_object_object_get_ex(r->body, "conf", &req) && req) {
		json_object_object_foreach(req, k, v) {
			(void)v;
			if (!livy_spark_key_valid(k) || cfg_is_blacklisted(c, k))
				abort();
		}
	}
	/* spark-submit's options come in pairs before the application (whose own
	 * arguments may say "--conf" too) */
	for (size_t i = 0; i + 1 < json_object_array_length(a); i += 2) {
		const char *opt = json_object_get_string(json_object_array_get_idx(a, i));
		const char *kv = json_object_get_string(json_object_array_get_idx(a, i + 1));
		char key[4096];
		size_t n;
		if (strncmp(opt, "--", 2))
			break;
		if (strcmp(opt, "--conf"))
			continue;
		n = strcspn(kv, "=");
		if (!kv[n] || n >= sizeof key)
			abort();
		memcpy(key, kv, n);
		key[n] = '\0';
		if (!livy_spark_key_valid(key) || !json_object_object_get_ex(r->conf, key, NULL))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct cfg c;
	static struct argv_drivers d;
	static int ready;
	char *text = malloc(size + 1), msg[8192];
	struct reqbody r;
	enum reqbody_rc rc;

	if (!ready) {
		char list[LONG_BLACKLIST * 32], err[512];
		size_t n = 0;
		cfg_defaults(&c);
		strcpy(c.whitelist[0], "/jobs");
		c.n_whitelist = 1;
		c.impersonation = true;
		for (int i = 0; i < LONG_BLACKLIST; i++)
			n += (size_t)snprintf(list + n, sizeof list - n, "spark.fz.k%d\n", i);
		if (cfg_parse_blacklist(&c, list, "fuzz", err, sizeof err) < 0)
			abort();
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
		const char *f = strncmp(r.file, "local:", 6) ? r.file : r.file + 6;
		if (!a || !utf8_ok(data, size) ||
		    (f[0] == '/' && strcmp(f, "/jobs") && strncmp(f, "/jobs/", 6)))
			abort();
		check_conf(&r, &c, a);
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
		if (!a || !r.kind || reqbody_kind(r.kind) != r.kind || !utf8_ok(data, size))
			abort();
		check_conf(&r, &c, a);
		json_object_put(a);
		reqbody_free(&r);
	}
	free(text);
	return 0;
}
