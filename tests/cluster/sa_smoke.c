/* sa_smoke.c - a hand-run check of the standalone tracker against a real cluster
 * (tests/cluster/standalone.sh): submit spark-submit arguments, poll the driver until
 * it ends, read its stdout from its worker.  Not part of make test.
 *
 *   eval "$(sh tests/cluster/standalone.sh start DIR)"
 *   make build/sa-smoke
 *   build/sa-smoke "$TACITUS_SA_MASTER" 3.5.7 "$TACITUS_SPARK_MODULE_OPTIONS" \
 *       '["--class","tacitus.Count","'"$TACITUS_TEST_JAR"'","100"]' [KILL_AFTER_SECONDS]
 * With KILL_AFTER_SECONDS, the driver is killed that long after its submission.
 */
#include "track_standalone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#define POLLS 120

/* Poll driver id once a second until it ends (killing it after kill_after seconds
 * when > 0); its Livy state. */
static const char *wait_end(struct sa_master *m, const char *id, struct sa_driver *d,
			    int kill_after)
{
	const char *state = "starting";
	char err[1024];

	for (int i = 0; i < POLLS; i++, sleep(1)) {
		if (kill_after > 0 && i == kill_after) {
			int k = sa_kill(m, id, err, sizeof err);
			printf("kill: %s%s%s\n", k == SA_OK ? "taken" : k == SA_REFUSED ? "refused" :
			       "no answer", k == SA_OK ? "" : ": ", k == SA_OK ? "" : err);
		}
		int rc = sa_status(m, id, d, err, sizeof err);
		if (rc != SA_OK) {
			printf("status: no answer: %s\n", err);
			continue;
		}
		const char *now = sa_livy_state(d, state);
		if (strcmp(now, state) || i == 0)
			printf("status: %s (%s) on %s\n", d->state, now, d->worker_id);
		state = now;
		if (strcmp(state, "starting") && strcmp(state, "running"))
			break;
	}
	return state;
}

static void print_log(struct sa_master *m, const char *id, const char *worker, const char *file)
{
	char ui[SA_URL_MAX], url[SA_URL_MAX + 128], err[1024], *bytes;
	long long next, length;
	size_t n;

	if (sa_worker_ui(m, worker, ui, sizeof ui, err, sizeof err) != SA_OK) {
		printf("worker UI: %s\n", err);
		return;
	}
	if (sa_driver_log_url(ui, id, url, sizeof url) == 0)
		printf("driverLogUrl: %s\n", url);
	if (sa_log_read(m, ui, id, file, 0, &bytes, &n, &next, &length, err, sizeof err) < 0) {
		printf("%s: %s\n", file, err);
		return;
	}
	printf("%s: %zu bytes, next offset %lld of %lld:\n%s", file, n, next, length, bytes);
	free(bytes);
}

int main(int argc, char **argv)
{
	struct sa_submit_opts o;
	struct sa_driver d;
	struct sa_master *m;
	json_object *args;
	char err[1024], id[SA_ID_MAX], *req;
	const char *state;
	int rc;

	if (argc < 5 || argc > 6 || !(args = json_tokener_parse(argv[4]))) {
		fprintf(stderr, "usage: sa-smoke MASTER SPARK_VERSION MODULE_OPTIONS ARGV_JSON "
			"[KILL_AFTER_SECONDS]\n");
		return 2;
	}
	o = (struct sa_submit_opts){argv[1], argv[3], argv[2]};
	if (!(req = sa_create_request(args, &o, err, sizeof err))) {
		printf("refused: %s\n", err);
		json_object_put(args);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = sa_open(argv[1], 0, 0);
	rc = m ? sa_submit(m, req, id, sizeof id, err, sizeof err) : SA_UNREACHABLE;
	if (rc != SA_OK) {
		printf("submit: %s\n", m ? err : "no master");
	} else {
		printf("submitted: %s through %s\n", id, sa_url(m));
		state = wait_end(m, id, &d, argc == 6 ? atoi(argv[5]) : 0);
		sa_reason(&d, id, err, sizeof err);
		printf("ended: %s (%s)\n", state, err);
		print_log(m, id, d.worker_id, "stdout");
	}
	sa_close(m);
	free(req);
	json_object_put(args);
	curl_global_cleanup();
	return rc != SA_OK;
}
