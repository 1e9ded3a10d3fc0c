/* jsontext.h - JSON request text: its media type, and reading it strictly.
 *
 * The module owns what a request body must be before any field of it is read:
 * declared as application/json (a cross-site HTML form cannot send that without a
 * CORS preflight), and strict JSON (RFC 8259: no single quotes, trailing commas,
 * comments, NaN), holding nothing PostgreSQL's jsonb and text refuse (\u0000, lone
 * surrogates, ill-formed UTF-8, numbers no column holds as sent), at most
 * JSONTEXT_MAX_DEPTH deep.  Pure.
 */
#ifndef TACITUS_JSONTEXT_H
#define TACITUS_JSONTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define JSONTEXT_MAX_DEPTH 32

/* True when a Content-Type (NULL = none) says the body is JSON: application/json in
 * any case, parameters such as "; charset=utf-8" allowed, nothing else. */
bool jsontext_media_type(const char *content_type);

/* True when s is well-formed UTF-8 as PostgreSQL takes it (RFC 3629: no overlong
 * form, no surrogate, nothing past U+10FFFF): what a name or a path segment must be
 * before it reaches a query. */
bool jsontext_utf8(const char *s);

/* Copy src into dst (size > 0 bytes, NUL included) as well-formed UTF-8: each byte
 * that begins no well-formed sequence (a stray continuation byte, a sequence cut
 * short, as a "%.40s" of a user's value may leave) becomes U+FFFD; a character that
 * would not fit whole is left out, with everything after it.  What an answer that
 * echoes a client's bytes must do before json-c writes them (it writes bytes as
 * they are).  Returns the bytes written, the NUL not counted. */
size_t jsontext_utf8_copy(char *dst, size_t size, const char *src);

/* The JSON object in `len` bytes of `text` (NUL-terminated), or NULL with a message
 * naming what is wrong and its offset in msg ("Malformed JSON: ... at offset N",
 * "The request body must be a JSON object").  The caller puts the object. */
json_object *jsontext_object(const char *text, size_t len, char *msg, size_t msglen);

/* jsontext_object up to `depth` levels deep (a driver's sync carries its users'
 * outputs, which may nest deeper than a request). */
json_object *jsontext_object_deep(const char *text, size_t len, int depth, char *msg,
				  size_t msglen);

#endif
