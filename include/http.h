/* http.h - the HTTP edge of a request worker: one FastCGI request in, JSON out.
 *
 * The module owns what crosses the FastCGI boundary: the parameters nginx sends
 * (method, decoded path, query, REMOTE_USER), the request body (read whole, with
 * a size cap: up front, except for /driver/sync, whose handler reads it only once
 * the caller is authenticated), and the response (status line, headers, a json-c
 * body).  Only fcgiapp.h is used, never fcgi_stdio.h.
 */
#ifndef TACITUS_HTTP_H
#define TACITUS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <fcgiapp.h>
#include <json-c/json.h>

#define HTTP_MAX_BODY (1024 * 1024)            /* the API's requests */
#define HTTP_MAX_DRIVER_BODY (64 * 1024 * 1024)  /* /driver/sync: statement outputs */
#define HTTP_JSON_TYPE "application/json; charset=UTF-8"  /* every JSON answer's type */
#define HTTP_DRIVER_PATH "/driver/sync"           /* its body is not read by http_begin */
#define HTTP_MSG_MAX 8192                       /* an error's msg, in bytes */
#define HTTP_ACCEL_HEAD_MAX 4224                /* a hand-over: push.h's PUSH_URI_MAX and more */

struct http_req {
	FCGX_Request *fcgx;
	const char *method;         /* REQUEST_METHOD; valid until the request ends */
	const char *path;           /* DOCUMENT_URI: decoded and normalised by nginx */
	const char *query;          /* QUERY_STRING, "" when absent */
	const char *remote_user;    /* REMOTE_USER set by nginx; "" when it named nobody
				       (the router refuses those with 401) */
	char *body;                 /* NUL-terminated, owned; NULL when none */
	size_t body_len;
	int status;                 /* of the answer sent, 0 until one is */
	bool waited;                /* TACITUS_WAITED: nginx gives the request back after a
				       wait (push.h); it never waits again */
};

/* Fill *r from the FastCGI request f and read the body (at most HTTP_MAX_BODY
 * bytes, as CONTENT_LENGTH says), except on HTTP_DRIVER_PATH: there r->body stays
 * NULL and nothing of the body is read (the handler authenticates the driver
 * first, then calls http_read_body).  Returns 0, or an HTTP status (413 too
 * large, 400 malformed length or short body, 500 out of memory) that the caller
 * should answer with.  http_done releases the body. */
int http_begin(struct http_req *r, FCGX_Request *f);

/* Read the body of r, CONTENT_LENGTH bytes, when it is at most max (none when
 * CONTENT_LENGTH is absent: r->body stays NULL), within budget_ms milliseconds
 * (0 = no limit: nginx spooled the body and sends it at once).  Returns 0 or an
 * HTTP status as http_begin does, 408 when the budget ran out; a body that was read
 * is kept in r->body even when short.  Called once per request, by http_begin or by
 * the handler of HTTP_DRIVER_PATH, whose body nginx streams as the client sends
 * it: a client that sends slowly holds a worker, for at most the budget. */
int http_read_body(struct http_req *r, size_t max, long budget_ms);

/* Answer the status rc that http_begin or http_read_body (with max) returned: 413
 * naming max, or "could not be read". */
void http_send_body_error(struct http_req *r, int rc, size_t max);

void http_done(struct http_req *r);

/* Whether nginx has sent all it will on r's connection, once r is answered: its
 * stdin read to the end, without error.  Then the connection may close at once
 * (FCGX_Detach before FCGX_Finish_r), instead of libfcgi's shutdown and drain that
 * wait for nginx to close its side first.  Outside HTTP_DRIVER_PATH nginx sends a
 * request whole (it spools bodies), so this reads what is left of a body that was
 * read, the end of stdin, when it has not been seen yet; it never reads a
 * /driver/sync body, which streams from its driver (false unless its end was
 * read).  False too when a body was left unread: libfcgi's drain then reads it. */
bool http_read_all(struct http_req *r);

/* The decoded value of query parameter `name` into buf; NULL when absent.
 * When the parameter is repeated, the first one counts. */
const char *http_query(const struct http_req *r, const char *name, char *buf, size_t len);

/* Answer status with `text` as content_type (e.g. Prometheus's text format). */
void http_send_text(struct http_req *r, int status, const char *content_type, const char *text);

/* Hand the request over to nginx's internal location uri (X-Accel-Redirect, no
 * body): nginx goes on with it there (a wait: push.h). */
void http_send_accel(struct http_req *r, const char *uri);

/* Answer with status and `body` serialised (plain, no slash escaping).  Extra
 * headers, each ending in "\r\n", may be given (NULL = none).  Does not take
 * ownership of body. */
void http_send_json(struct http_req *r, int status, json_object *body, const char *headers);

/* The text every JSON answer is sent as (owned by o): what a client reads byte for
 * byte, whether a worker sends it or nginx passes on a wake-up carrying it (push.h). */
const char *http_json_text(json_object *o);

/* The same with a body that is JSON text already (e.g. built by PostgreSQL). */
void http_send_json_text(struct http_req *r, int status, const char *text, const char *headers);

/* A node of an answer that http_json_text writes as text, byte for byte: text is JSON
 * that http_json_text wrote (its flags write a value the same bytes at any depth), and
 * must outlive the node's writing.  NULL when memory ran out. */
json_object *http_json_raw(const char *text);

/* Answer status with Livy's error body {"msg": "..."}: the formatted text, at most
 * HTTP_MSG_MAX - 1 bytes, made well-formed UTF-8 (jsontext_utf8_copy), since it may
 * echo a client's bytes. */
void http_send_msg(struct http_req *r, int status, const char *headers, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
