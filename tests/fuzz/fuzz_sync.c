/* fuzz_sync.c - libFuzzer: a session driver's sync body (POST /driver/sync).  Whatever
 * the bytes, reqbody_sync must accept them or refuse them with a message; what it
 * accepts must be what the sync's SQL takes without an error: a JSON object (checked
 * again here with json-c alone) whose "results" and "completions", when present and
 * not null, are arrays of objects, with integer ids in range (int for a result), integer
 * "started" and "completed", and a numeric "progress". */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reqbody.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);

static bool typed(json_object *e, const char *key, bool number, long long lo, long long hi)
{
	json_object *v = json_object_object_get(e, key);

	if (!v)
		return true;
	if (json_object_is_type(v, json_type_double))
		return number;
	return json_object_is_type(v, json_type_int) && json_object_get_int64(v) >= lo &&
	       json_object_get_int64(v) <= hi;
}

static void check_records(json_object *body, const char *key, bool result)
{
	json_object *a = json_object_object_get(body, key);

	if (!a)
		return;
	if (!json_object_is_type(a, json_type_array))
		abort();
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *e = json_object_array_get_idx(a, i);

		if (!json_object_is_type(e, json_type_object))
			abort();
		if (!typed(e, "id", false, result ? INT32_MIN : INT64_MIN, result ? INT32_MAX : INT64_MAX))
			abort();
		if (result && (!typed(e, "started", false, INT64_MIN, INT64_MAX) ||
			       !typed(e, "completed", false, INT64_MIN, INT64_MAX) ||
			       !typed(e, "progress", true, INT64_MIN, INT64_MAX)))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	char *text = malloc(size + 1), msg[256] = "";
	json_object *body;
	enum reqbody_rc rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	rc = reqbody_sync(text, size, msg, sizeof msg);
	if (rc != REQBODY_OK) {
		if (rc != REQBODY_INVALID || !msg[0])
			abort();
		free(text);
		return 0;
	}
	body = json_tokener_parse(text);
	if (!json_object_is_type(body, json_type_object))
		abort();
	check_records(body, "results", true);
	check_records(body, "completions", false);
	json_object_put(body);
	free(text);
	return 0;
}
