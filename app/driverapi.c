/* driverapi.c - POST /driver/sync for session drivers, and their wake-up datagrams. */
#include "driverapi.h"
#include "log.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int driver_wake(const char *addr)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *ai;
	char host[128];
	const char *colon = addr ? strrchr(addr, ':') : NULL;
	int fd, rc = -1;

	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		return -1;
	fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && sendto(fd, "w", 1, MSG_DONTWAIT, ai->ai_addr, ai->ai_addrlen) == 1)
		rc = 0;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}

/* The driver's ids of received, unfinished statements as PostgreSQL int[] text. */
static int pending_text(json_object *a, char *buf, size_t len)
{
	size_t n = 1;

	snprintf(buf, len, "{");
	for (size_t i = 0; a && i < json_object_array_length(a); i++) {
		json_object *v = json_object_array_get_idx(a, i);
		if (!json_object_is_type(v, json_type_int) || n + 16 >= len)
			return -1;
		n += (size_t)snprintf(buf + n, len - n, "%s%d", i ? "," : "", json_object_get_int(v));
	}
	snprintf(buf + n, len - n, "}");
	return 0;
}

static json_object *member(json_object *o, const char *key, json_type type)
{
	json_object *v = NULL;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, type) ? v : NULL;
}

void driver_sync(struct http_req *r, struct store *s)
{
	const char *secret = FCGX_GetParam("HTTP_X_TACITUS_SECRET", r->fcgx->envp);
	const char *peer = FCGX_GetParam("REMOTE_ADDR", r->fcgx->envp);
	json_object *body = r->body ? json_tokener_parse(r->body) : NULL, *v;
	struct store_sync y = {0};
	char pending[4096], wake[160];
	char *answer = NULL;
	int rc;

	if (strcmp(r->method, "POST"))
		http_send_msg(r, 405, "Allow: POST\r\n", "Use POST");
	else if (!secret || strlen(secret) != 64)
		http_send_msg(r, 403, NULL, "A driver's secret is required");
	else if (!s)
		http_send_msg(r, 503, "Retry-After: 1\r\n", "The database is unavailable");
	else if (!body || !json_object_is_type(body, json_type_object) ||
		 !(v = member(body, "state", json_type_string)) ||
		 pending_text(member(body, "pending", json_type_array), pending, sizeof pending) < 0)
		http_send_msg(r, 400, NULL, "A sync needs a JSON object with state and pending ids");
	else {
		y.secret = secret;
		y.repl_state = json_object_get_string(v);
		if (strcmp(y.repl_state, "idle") && strcmp(y.repl_state, "busy") &&
		    strcmp(y.repl_state, "error"))
			y.repl_state = "busy";
		if ((v = member(body, "wake_port", json_type_int)) && peer) {
			snprintf(wake, sizeof wake, "%s:%d", peer, json_object_get_int(v));
			y.wake_addr = wake;
		}
		y.next = (v = member(body, "next", json_type_int)) ? json_object_get_int(v) : 0;
		y.pending = pending;
		if ((v = member(body, "results", json_type_array)) && json_object_array_length(v))
			y.results = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		if ((v = member(body, "completions", json_type_array)) && json_object_array_length(v))
			y.completions = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		rc = store_driver_sync(s, &y, &answer);
		if (rc == STORE_OK)
			http_send_json_text(r, 200, answer, NULL);
		else if (rc == STORE_NOTFOUND)
			http_send_msg(r, 403, NULL, "No running driver has this secret");
		else
			http_send_msg(r, 503, "Retry-After: 1\r\n", "The database is unavailable");
	}
	free(answer);
	json_object_put(body);
}
