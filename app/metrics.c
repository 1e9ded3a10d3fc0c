/* metrics.c - counting in shared memory, deltas for PostgreSQL, Prometheus's text. */
#include "metrics.h"

#include <json-c/printbuf.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The routes requests are counted by (metrics_route), "other" last. */
static const char *const routes[] = {
	"/version", "/batches", "/batches/{id}", "/batches/{id}/state", "/batches/{id}/log",
	"/sessions", "/sessions/{id}", "/sessions/{id}/state", "/sessions/{id}/log",
	"/sessions/{id}/statements", "/sessions/{id}/statements/{id}",
	"/sessions/{id}/statements/{id}/cancel", "/sessions/{id}/stop",
	"/sessions/{id}/interrupt", "/sessions/{id}/connect", "/sessions/{id}/completion",
	"/driver/sync", "/metrics", "other",
};
#define N_ROUTES (sizeof routes / sizeof routes[0])

static const int statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 406, 409, 413, 415, 422,
			       429, 500, 503, 0 /* any other */};
#define N_STATUSES (sizeof statuses / sizeof statuses[0])

/* seconds; +Inf is the count */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
				 0.5, 1, 2.5, 5, 10};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

static const char *const ended_states[] = {"success", "dead", "killed"};
#define N_ENDED 3

static const char *const counter_names[METRICS_COUNTERS] = {
	"tacitus_launches_total", "tacitus_adoptions_total", "tacitus_log_lines_stored_total",
	"tacitus_database_errors_total", "tacitus_yarn_looks_total", "tacitus_yarn_look_errors_total",
	"tacitus_standalone_calls_total", "tacitus_standalone_call_errors_total",
	"tacitus_webhook_attempts_total", "tacitus_webhook_failures_total",
};

typedef unsigned long long u64;

struct hist {
	_Atomic u64 bucket[N_BUCKETS];  /* observations in (buckets[i-1], buckets[i]] */
	_Atomic u64 count, sum_us;
};

/* One process's counts (one writer: the process; one reader: the master). */
struct slot {
	_Atomic u64 requests[N_ROUTES][N_STATUSES];
	struct hist latency[N_ROUTES];
	_Atomic u64 counter[METRICS_COUNTERS];
	_Atomic u64 ended[2][N_ENDED];
	struct hist cycle;
};

/* The same numbers, summed over the slots (the master's last flush). */
static struct slot *area, *mine;
static int n_slots;
static struct slot *flushed, *pending;

int metrics_init(int slots)
{
	size_t size = sizeof(struct slot) * (size_t)slots;

	area = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	flushed = calloc(1, sizeof *flushed);
	pending = calloc(1, sizeof *pending);
	if (area == MAP_FAILED || !flushed || !pending) {
		area = NULL;
		return -1;
	}
	n_slots = slots;
	return 0;
}

void metrics_use(int slot)
{
	mine = area && slot >= 0 && slot < n_slots ? &area[slot] : NULL;
}

static void add(_Atomic u64 *x, u64 n)
{
	atomic_fetch_add_explicit(x, n, memory_order_relaxed);
}

void metrics_count(enum metrics_counter c, unsigned long long n)
{
	if (mine && c < METRICS_COUNTERS)
		add(&mine->counter[c], n);
}

static void observe(struct hist *h, double seconds)
{
	size_t i = 0;

	while (i < N_BUCKETS && seconds > buckets[i])
		i++;
	if (i < N_BUCKETS)
		add(&h->bucket[i], 1);
	add(&h->count, 1);
	add(&h->sum_us, seconds > 0 ? (u64)(seconds * 1e6) : 0);
}

static size_t route_index(const char *route)
{
	for (size_t i = 0; i < N_ROUTES; i++)
		if (!strcmp(routes[i], route))
			return i;
	return N_ROUTES - 1;
}

static size_t route_of(const char *path);

void metrics_request(const char *path, int status, double seconds)
{
	size_t r, s = 0;

	if (!mine)
		return;
	r = route_of(path);
	while (statuses[s] && statuses[s] != status)
		s++;
	add(&mine->requests[r][s], 1);
	observe(&mine->latency[r], seconds);
}

void metrics_ended(bool session, const char *state)
{
	for (int i = 0; mine && state && i < N_ENDED; i++)
		if (!strcmp(state, ended_states[i]))
			add(&mine->ended[session][i], 1);
}

void metrics_cycle(double seconds)
{
	if (mine)
		observe(&mine->cycle, seconds);
}

/* The index in routes[] of path's route ("other" when none). */
static size_t route_of(const char *path)
{
	char route[128];
	static const char *const named[] = {"state", "log", "statements", "stop", "interrupt",
					    "connect", "completion", "cancel", "sync", NULL};
	char seg[6][64];
	int n = 0;
	size_t len = 0;

	if (!path)
		return N_ROUTES - 1;
	while (*path) {
		size_t k;

		while (*path == '/')
			path++;
		if (!*path)
			break;
		k = strcspn(path, "/");
		if (n == 6 || k >= sizeof seg[0])
			return N_ROUTES - 1;
		memcpy(seg[n], path, k);
		seg[n++][k] = '\0';
		path += k;
	}
	route[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *part = seg[i];
		bool known = i == 0;

		for (int j = 0; !known && named[j]; j++)
			known = !strcmp(part, named[j]);
		/* ids and names of batches, sessions, statements */
		if ((i == 1 && strcmp(seg[0], "driver")) || i == 3)
			part = "{id}";
		else if (!known)
			return N_ROUTES - 1;
		len += (size_t)snprintf(route + len, sizeof route - len, "/%s", part);
	}
	return n ? route_index(route) : N_ROUTES - 1;
}

const char *metrics_route(const char *path)
{
	return routes[route_of(path)];
}

/* ---- the master's side ---- */

static void sum_slots(struct slot *out)
{
	u64 *o = (u64 *)out;
	size_t words = sizeof *out / sizeof(u64);

	memset(out, 0, sizeof *out);
	for (int s = 0; s < n_slots; s++) {
		_Atomic u64 *w = (_Atomic u64 *)&area[s];
		for (size_t i = 0; i < words; i++)
			o[i] += atomic_load_explicit(&w[i], memory_order_relaxed);
	}
}

static void delta(json_object *a, const char *name, const char *labels, u64 now, u64 then)
{
	json_object *row;

	if (now <= then)
		return;
	row = json_object_new_array();
	json_object_array_add(row, json_object_new_string(name));
	json_object_array_add(row, json_object_new_string(labels));
	json_object_array_add(row, json_object_new_int64((int64_t)(now - then)));
	json_object_array_add(a, row);
}

static void hist_deltas(json_object *a, const char *name, const char *labels,
			const struct hist *now, const struct hist *then)
{
	char n[128], l[256];
	u64 cum_now = 0, cum_then = 0;

	if (now->count == then->count)
		return;         /* no observation since the last flush: nothing moved */
	snprintf(n, sizeof n, "%s_bucket", name);
	for (size_t i = 0; i < N_BUCKETS; i++) {
		cum_now += now->bucket[i];
		cum_then += then->bucket[i];
		if (cum_now == cum_then)
			continue;
		snprintf(l, sizeof l, "%s%sle=\"%g\"", labels, *labels ? "," : "", buckets[i]);
		delta(a, n, l, cum_now, cum_then);
	}
	snprintf(l, sizeof l, "%s%sle=\"+Inf\"", labels, *labels ? "," : "");
	delta(a, n, l, now->count, then->count);
	snprintf(n, sizeof n, "%s_count", name);
	delta(a, n, labels, now->count, then->count);
	snprintf(n, sizeof n, "%s_sum_us", name);   /* stored in µs, shown in seconds */
	delta(a, n, labels, now->sum_us, then->sum_us);
}

json_object *metrics_deltas(void)
{
	json_object *a;
	char l[256];

	if (!area)
		return NULL;
	sum_slots(pending);
	a = json_object_new_array();
	for (size_t r = 0; r < N_ROUTES; r++) {
		for (size_t s = 0; s < N_STATUSES; s++) {
			char code[8];

			if (pending->requests[r][s] == flushed->requests[r][s])
				continue;
			snprintf(code, sizeof code, "%d", statuses[s]);
			snprintf(l, sizeof l, "route=\"%s\",status=\"%s\"", routes[r],
				 statuses[s] ? code : "other");
			delta(a, "tacitus_http_requests_total", l, pending->requests[r][s],
			      flushed->requests[r][s]);
		}
		snprintf(l, sizeof l, "route=\"%s\"", routes[r]);
		hist_deltas(a, "tacitus_http_request_duration_seconds", l, &pending->latency[r],
			    &flushed->latency[r]);
	}
	for (int c = 0; c < METRICS_COUNTERS; c++)
		delta(a, counter_names[c], "", pending->counter[c], flushed->counter[c]);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < N_ENDED; i++) {
			snprintf(l, sizeof l, "kind=\"%s\",state=\"%s\"", k ? "session" : "batch",
				 ended_states[i]);
			delta(a, "tacitus_jobs_ended_total", l, pending->ended[k][i],
			      flushed->ended[k][i]);
		}
	hist_deltas(a, "tacitus_monitor_cycle_seconds", "", &pending->cycle, &flushed->cycle);
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return NULL;
	}
	return a;
}

void metrics_deltas_done(void)
{
	if (area)
		memcpy(flushed, pending, sizeof *flushed);
}

/* ---- the exposition ---- */

/* The family (HELP and TYPE) a stored series name belongs to. */
static const struct family {
	const char *name, *type, *help;
} families[] = {
	{"tacitus_adoptions_total", "counter", "Jobs adopted from a monitor that stopped renewing."},
	{"tacitus_database_errors_total", "counter", "Statements PostgreSQL failed."},
	{"tacitus_http_request_duration_seconds", "histogram", "Time to answer a request."},
	{"tacitus_http_requests_total", "counter", "Requests answered, by route and status."},
	{"tacitus_jobs", "gauge", "Jobs starting or running now, by kind and state."},
	{"tacitus_jobs_ended_total", "counter", "Jobs ended, by kind and final state."},
	{"tacitus_launches_total", "counter", "Jobs launched."},
	{"tacitus_log_lines_stored_total", "counter", "Log lines stored in PostgreSQL."},
	{"tacitus_monitor_cycle_seconds", "histogram", "Time a monitor cycle took."},
	{"tacitus_standalone_call_errors_total", "counter",
	 "Calls to a standalone master that no ALIVE master answered (its jobs wait meanwhile)."},
	{"tacitus_standalone_calls_total", "counter",
	 "Calls to a standalone master: submissions, statuses, kills, worker look-ups."},
	{"tacitus_warm_pool_drivers", "gauge", "Session drivers waiting in the warm pool."},
	{"tacitus_webhook_attempts_total", "counter", "Completion webhook POSTs sent."},
	{"tacitus_webhook_failures_total", "counter",
	 "Completion webhook POSTs that got no 2xx answer (tried again after a backoff)."},
	{"tacitus_yarn_look_errors_total", "counter",
	 "Looks at the ResourceManager that got no answer (YARN jobs wait meanwhile)."},
	{"tacitus_yarn_looks_total", "counter",
	 "Looks at the ResourceManager: one request covers all of an instance's YARN jobs."},
};

static const struct family *family_of(const char *name)
{
	const struct family *best = NULL;

	for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
		size_t k = strlen(families[i].name);
		if (!strncmp(name, families[i].name, k) &&
		    (!name[k] || !strcmp(name + k, "_bucket") || !strcmp(name + k, "_count") ||
		     !strcmp(name + k, "_sum_us")) &&
		    (!best || strlen(best->name) < k))
			best = &families[i];
	}
	return best;
}

/* Prometheus's label value escapes: backslash, double quote, newline. */
static void put_escaped(struct printbuf *pb, const char *v)
{
	for (; *v; v++) {
		size_t run = strcspn(v, "\\\"\n");

		printbuf_memappend(pb, v, (int)run);
		v += run;
		if (!*v)
			break;
		printbuf_memappend(pb, *v == '\\' ? "\\\\" : *v == '"' ? "\\\"" : "\\n", 2);
	}
}

char *metrics_render(int n, const char *const *instance, const char *const *name,
		     const char *const *labels, const double *value)
{
	struct printbuf *pb = printbuf_new();
	const struct family *last = NULL;
	char *text;

	if (!pb)
		return NULL;
	for (int i = 0; i < n; i++) {
		const struct family *f = family_of(name[i]);
		size_t len = strlen(name[i]);
		bool us = len > 7 && !strcmp(name[i] + len - 7, "_sum_us");
		bool braces = *instance[i] || *labels[i];

		if (!f)
			continue;
		if (f != last) {
			sprintbuf(pb, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help, f->name,
				  f->type);
			last = f;
		}
		printbuf_memappend(pb, name[i], (int)(len - (us ? 3 : 0)));
		if (braces)
			printbuf_memappend(pb, "{", 1);
		if (*instance[i]) {
			printbuf_memappend(pb, "instance=\"", 10);
			put_escaped(pb, instance[i]);
			sprintbuf(pb, "\"%s", *labels[i] ? "," : "");
		}
		sprintbuf(pb, "%s%s %.15g\n", labels[i], braces ? "}" : "",
			  us ? value[i] / 1e6 : value[i]);
	}
	text = strdup(pb->buf ? pb->buf : "");
	printbuf_free(pb);
	return text;
}
