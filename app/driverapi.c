/* driverapi.c - POST /driver/sync for session drivers, and their wake-up datagrams. */
#include "driverapi.h"
#include "reply.h"
#include "reqbody.h"

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SYNC_MSG_MAX 256            /* why a sync body was refused */
#define SYNC_BODY_BASE_MS 5000      /* reading a sync's body: this, ... */
#define SYNC_BODY_MS_PER_MIB 1000   /* ... and this per MiB it announces */

int driver_wake(const char *addr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai;
	char host[128], port[8];
	const char *slash = addr ? strchr(addr, '/') : NULL, *colon, *token = slash ? slash + 1 : "w";
	size_t end = addr ? (slash ? (size_t)(slash - addr) : strlen(addr)) : 0;
	int fd, rc = -1;

	/* "host:port/token": the driver heeds only a datagram that carries its token */
	for (colon = addr ? addr + end : NULL; colon && colon > addr && *colon != ':'; colon--)
		;
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host ||
	    (size_t)(addr + end - colon - 1) >= sizeof port)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
	snprintf(port, sizeof port, "%.*s", (int)(addr + end - colon - 1), colon + 1);
	if (getaddrinfo(host, port, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && sendto(fd, token, strlen(token), MSG_DONTWAIT, ai->ai_addr,
			      ai->ai_addrlen) == (ssize_t)strlen(token))
		rc = 0;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* A secret as the monitor makes them: ARGV_SECRET_HEX_LEN lower-case hex digits. */
static bool secret_shaped(const char *s)
{
	return s && strlen(s) == ARGV_SECRET_HEX_LEN && strspn(s, "0123456789abcdef") == ARGV_SECRET_HEX_LEN;
}

/* How long a worker may take to read a sync's body, which nginx streams to it as the
 * driver sends it: SYNC_BODY_BASE_MS, and SYNC_BODY_MS_PER_MIB for each MiB it
 * announces.  A driver on the same network sends 64 MiB in well under that; one
 * whose code sends a byte at a time holds a worker no longer. */
static long sync_budget_ms(struct http_req *r)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", r->fcgx->envp);
	long long len = cl ? atoll(cl) : 0;

	if (len < 0 || len > HTTP_MAX_DRIVER_BODY)
		len = 0;
	return SYNC_BODY_BASE_MS + (long)(len / (1024 * 1024)) * SYNC_BODY_MS_PER_MIB;
}

/* Read the body of an authenticated sync; 0, or -1 once the error is answered. */
static int read_sync_body(struct http_req *r)
{
	char msg[SYNC_MSG_MAX];
	int rc = http_read_body(r, HTTP_MAX_DRIVER_BODY, sync_budget_ms(r));

	if (rc)
		http_send_body_error(r, rc, HTTP_MAX_DRIVER_BODY);
	else if (!r->body || !r->body_len)
		http_send_msg(r, 400, NULL, "A sync needs a JSON object");
	else if (reqbody_sync(r->body, r->body_len, msg, sizeof msg) != REQBODY_OK)
		http_send_msg(r, 400, NULL, "%s", msg);
	else
		return 0;
	return -1;
}

void driver_sync(struct http_req *r, struct store *s)
{
	const char *secret = FCGX_GetParam("HTTP_X_TACITUS_SECRET", r->fcgx->envp);
	const char *peer = FCGX_GetParam("REMOTE_ADDR", r->fcgx->envp);
	struct store_sync y = {0};
	char *answer = NULL;
	enum store_rc rc;

	if (strcmp(r->method, "POST")) {
		reply_not_allowed(r, "POST");
		return;
	}
	if (!secret_shaped(secret)) {
		http_send_msg(r, 403, NULL, "A driver's secret is required");
		return;
	}
	if (!s) {
		reply_unavailable(r);
		return;
	}
	/* the secret before the body: a caller without one makes us read none of it
	 * (nginx streams it to us, app/DRIVER-PROTOCOL.md) */
	rc = store_driver_known(s, secret);
	if (rc == STORE_NOTFOUND) {
		http_send_msg(r, 403, NULL, "No running driver has this secret");
		return;
	}
	if (rc != STORE_OK) {
		reply_unavailable(r);
		return;
	}
	if (read_sync_body(r) < 0)
		return;
	y.secret = secret;
	y.peer = peer && *peer ? peer : NULL;
	y.body = r->body;
	rc = store_driver_sync(s, &y, &answer);
	if (rc == STORE_OK)
		http_send_json_text(r, 200, answer, NULL);
	else if (rc == STORE_NOTFOUND)     /* it ended while its body was read */
		http_send_msg(r, 403, NULL, "No running driver has this secret");
	else
		reply_unavailable(r);
	free(answer);
}
