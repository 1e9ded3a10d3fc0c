/* http.c - FastCGI request in, JSON response out. */
#include "http.h"
#include "jsontext.h"
#include "log.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static const char *param(FCGX_Request *f, const char *name)
{
	const char *v = FCGX_GetParam(name, f->envp);
	return v ? v : "";
}

int http_begin(struct http_req *r, FCGX_Request *f)
{
	memset(r, 0, sizeof *r);
	r->fcgx = f;
	r->method = param(f, "REQUEST_METHOD");
	r->path = param(f, "DOCUMENT_URI");
	r->query = param(f, "QUERY_STRING");
	r->remote_user = param(f, "REMOTE_USER");
	r->waited = *param(f, "TACITUS_WAITED") != '\0';
	if (!strcmp(r->path, HTTP_DRIVER_PATH))
		return 0;       /* read by its handler once the driver's secret matched */
	return http_read_body(r, HTTP_MAX_BODY, 0);
}

static long long mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The FastCGI connection's reads give up after ms (0: never). */
static void read_timeout(struct http_req *r, long long ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000 * 1000)};

	setsockopt(r->fcgx->ipcFd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

int http_read_body(struct http_req *r, size_t max, long budget_ms)
{
	const char *cl = param(r->fcgx, "CONTENT_LENGTH");
	long long deadline = budget_ms > 0 ? mono_ms() + budget_ms : 0;
	char *end;
	long long len;
	size_t got = 0;

	if (!*cl)
		return 0;
	errno = 0;
	len = strtoll(cl, &end, 10);
	if (errno || *end || len < 0)
		return 400;
	if ((unsigned long long)len > max)
		return 413;
	r->body = malloc((size_t)len + 1);
	if (!r->body)
		return 500;
	while (got < (size_t)len) {
		int n;

		/* each read waits at most until the deadline: libfcgi then sees an
		 * error and gives what it has */
		if (deadline && mono_ms() >= deadline)
			break;
		if (deadline)
			read_timeout(r, deadline - mono_ms() > 0 ? deadline - mono_ms() : 1);
		n = FCGX_GetStr(r->body + got, (int)((size_t)len - got), r->fcgx->in);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (deadline)
		read_timeout(r, 0);
	r->body[got] = '\0';
	r->body_len = got;
	if (got == (size_t)len)
		return 0;
	return deadline && mono_ms() >= deadline ? 408 : 400;
}

void http_send_body_error(struct http_req *r, int rc, size_t max)
{
	if (rc == 413)
		http_send_msg(r, 413, NULL, "The request body is larger than %zu bytes", max);
	else if (rc == 408)
		http_send_msg(r, 408, NULL, "The request body did not arrive in time");
	else
		http_send_msg(r, rc, NULL, "The request body could not be read");
}

void http_done(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
}

bool http_read_all(struct http_req *r)
{
	FCGX_Stream *in = r->fcgx->in;

	/* one read: the end of stdin, or a byte of a body left unread */
	if (!FCGX_HasSeenEOF(in) && strcmp(r->path, HTTP_DRIVER_PATH))
		(void)FCGX_GetChar(in);
	return FCGX_HasSeenEOF(in) && !FCGX_GetError(in);
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Decode n bytes of a form-encoded value into buf. */
static void form_decode(const char *s, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < len; i++) {
		if (s[i] == '+')
			buf[o++] = ' ';
		else if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
			 isxdigit((unsigned char)s[i + 2])) {
			buf[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 +
					  hexval((unsigned char)s[i + 2]));
			i += 2;
		} else
			buf[o++] = s[i];
	}
	buf[o] = '\0';
}

const char *http_query(const struct http_req *r, const char *name, char *buf, size_t len)
{
	size_t nlen = strlen(name);

	for (const char *p = r->query; *p;) {
		size_t seg = strcspn(p, "&");
		const char *eq = memchr(p, '=', seg);
		size_t klen = eq ? (size_t)(eq - p) : seg;
		if (klen == nlen && !memcmp(p, name, nlen)) {
			if (eq)
				form_decode(eq + 1, seg - klen - 1, buf, len);
			else
				buf[0] = '\0';
			return buf;
		}
		p += seg;
		if (*p)
			p++;
	}
	return NULL;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 422: return "Unprocessable Content";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

void http_send_accel(struct http_req *r, const char *uri)
{
	char head[HTTP_ACCEL_HEAD_MAX];
	int n = snprintf(head, sizeof head, "Status: 200 OK\r\nX-Accel-Redirect: %s\r\n"
			 "Content-Length: 0\r\n\r\n", uri);

	r->status = 200;
	if (n < 0 || (size_t)n >= sizeof head || FCGX_PutStr(head, n, r->fcgx->out) < 0)
		log_warn("%s %s: hand-over to nginx not sent", r->method, r->path);
}

const char *http_json_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
					      JSON_C_TO_STRING_NOSLASHESCAPE);
}

json_object *http_json_raw(const char *text)
{
	json_object *node = json_object_new_int(0);     /* the smallest node json-c makes */

	if (node)
		json_object_set_serializer(node, json_object_userdata_to_json_string,
					   (void *)text, NULL);
	return node;
}

void http_send_json(struct http_req *r, int status, json_object *body, const char *headers)
{
	http_send_json_text(r, status, http_json_text(body), headers);
}

/* The one way an answer goes out. */
static void send_answer(struct http_req *r, int status, const char *content_type, const char *text,
		 const char *headers)
{
	size_t len = strlen(text);
	char head[512];
	int n;

	r->status = status;
	n = snprintf(head, sizeof head,
		     "Status: %d %s\r\nContent-Type: %s\r\n"
		     "Content-Length: %zu\r\n%s\r\n",
		     status, reason(status), content_type, len, headers ? headers : "");
	if (n < 0 || (size_t)n >= sizeof head ||
	    FCGX_PutStr(head, n, r->fcgx->out) < 0 ||
	    FCGX_PutStr(text, (int)len, r->fcgx->out) < 0)
		log_warn("%s %s: response not sent: %s", r->method, r->path,
			 strerror(FCGX_GetError(r->fcgx->out)));
}

void http_send_json_text(struct http_req *r, int status, const char *text, const char *headers)
{
	send_answer(r, status, HTTP_JSON_TYPE, text, headers);
}

void http_send_text(struct http_req *r, int status, const char *content_type, const char *text)
{
	send_answer(r, status, content_type, text, NULL);
}

void http_send_msg(struct http_req *r, int status, const char *headers, const char *fmt, ...)
{
	char raw[HTTP_MSG_MAX], msg[HTTP_MSG_MAX];
	json_object *o = json_object_new_object();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	jsontext_utf8_copy(msg, sizeof msg, raw);  /* a client's bytes, echoed, may be cut */
	json_object_object_add(o, "msg", json_object_new_string(msg));
	http_send_json(r, status, o, headers);
	json_object_put(o);
}
