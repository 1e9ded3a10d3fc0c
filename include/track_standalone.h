/* track_standalone.h - the Spark standalone tracker: drivers as a standalone master sees them.
 *
 * The module owns everything Tacitus knows of a Spark standalone cluster in cluster
 * deploy mode: where the masters' REST submission servers are (spark://h1:7077,h2:7077,
 * each at its host on the REST port, 6066 by default) and their web UIs, the
 * CreateSubmissionRequest made from the spark-submit arguments a job row holds
 * (argv.h), submitting, a driver's status and what it means in Livy's states,
 * killing, and the driver's stdout and stderr read by offset from its worker's web
 * UI.  It returns observations; it never writes SQL and never sees an HTTP request:
 * the monitor drives it, as it drives the YARN tracker (track_yarn.h).  Every parser
 * is pure and unit-tested with answers recorded from a real master and worker.
 * The REST protocol is Spark's own (org.apache.spark.deploy.rest, see
 * https://spark.apache.org/docs/latest/spark-standalone.html#rest-api).
 *
 * The error rule, as for YARN: a master that does not answer, answers something
 * that is not the REST protocol, or is a standby (in HA) is SA_UNREACHABLE: the next
 * master is tried, and the caller concludes nothing of any driver (it retries at
 * its next look).  Only an answer of the ALIVE master is an observation; a driver
 * that master does not know is an observation too ("dead", with that reason),
 * never a success.
 */
#ifndef TACITUS_TRACK_STANDALONE_H
#define TACITUS_TRACK_STANDALONE_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#define SA_MASTER_MAX 8             /* masters of one spark:// URL (HA) */
#define SA_URL_MAX 512
#define SA_ID_MAX 128               /* driver-YYYYMMDDhhmmss-NNNN, worker-...-HOST-PORT */
#define SA_STATE_MAX 16
#define SA_MSG_MAX 1024
#define SA_REST_PORT 6066           /* spark.master.rest.port's default */
#define SA_UI_PORT 8080             /* spark.master.ui.port's default */
#define SA_LOG_READ_MAX (1024 * 1024)   /* bytes of a driver's log asked for per read */

/* What a call to the masters came to. */
enum sa_rc {
	SA_OK = 0,
	SA_UNREACHABLE = -1,        /* no ALIVE master answered: conclude nothing, retry */
	SA_REFUSED = -2,            /* the ALIVE master said no (why in err): final */
	SA_MAYBE = -3,              /* sa_submit only: a master got the request and gave no
				       usable answer (none, an error of its own, no usable
				       id); it may have made the driver */
};

/* ---- where the masters are (pure) ---- */

/* The base URLs (http://HOST:PORT, no trailing '/') of the masters of `master`
 * ("spark://h1:7077,h2:7077", hosts may be [IPv6] literals), each at `port` (its REST
 * server or its web UI), in the order given.  Returns how many were put in out, or 0
 * when master is not a spark:// URL with at least one host. */
int sa_master_urls(const char *master, int port, char out[][SA_URL_MAX], int max);

/* ---- the submission (pure) ---- */

/* What a submission needs beyond the job's own arguments. */
struct sa_submit_opts {
	const char *master;         /* spark://..., the job's master (spark.master) */
	const char *module_options; /* Spark's Java module options, put before the user's
				       spark.driver.extraJavaOptions ("" = none) */
	const char *spark_version;  /* clientSparkVersion: the installed Spark's */
};

/* The CreateSubmissionRequest (JSON text, malloc'd; the caller frees it) for the
 * spark-submit arguments `argv` (a JSON array of strings as argv_batch makes it:
 * options as pairs, "--name" N, "--class" C, "--conf" "k=v" (split at the first '='),
 * "--queue" Q (ignored, YARN's), then the application's file, then its arguments):
 * appResource, mainClass, appArgs, sparkProperties (the confs, then spark.app.name
 * (the name, else the class), spark.master, spark.submit.deployMode=cluster,
 * spark.jars with the application's jar last, spark.driver.extraJavaOptions = the
 * module options, then the user's), environmentVariables SPARK_ENV_LOADED=1,
 * clientSparkVersion.  Returns NULL with why in err when argv cannot run there: a
 * Python or R application (Spark refuses those in standalone cluster mode),
 * --proxy-user (the worker runs every driver as itself), no --class, no file, an
 * option it does not know, a --conf without '='. */
char *sa_create_request(json_object *argv, const struct sa_submit_opts *o, char *err,
			size_t errlen);

/* ---- the masters' answers (pure) ---- */

/* A driver as the master's status answer shows it. */
struct sa_driver {
	bool known;                 /* "success": true; false = the master knows no such driver */
	char state[SA_STATE_MAX];   /* driverState: SUBMITTED, RUNNING, FINISHED, FAILED,
				       ERROR, KILLED, RELAUNCHING, UNKNOWN; "" when !known */
	char worker_id[SA_ID_MAX];  /* "" before a worker took it */
	char worker_host_port[SA_URL_MAX];  /* the worker's RPC address, not its web UI */
	char message[SA_MSG_MAX];   /* the master's words (an ERROR's exception), "" = none */
};

/* Parse an answer of GET /v1/submissions/status/{id} into *d.  Returns SA_OK,
 * SA_UNREACHABLE when a standby answered (it knows no driver) or text is not a
 * SubmissionStatusResponse (why in err). */
int sa_parse_status(const char *json, struct sa_driver *d, char *err, size_t errlen);

/* Livy's batch state for d: SUBMITTED "starting", RUNNING "running", FINISHED
 * "success", FAILED or ERROR "dead", KILLED "killed"; RELAUNCHING, UNKNOWN and
 * any other keep `last`; a driver the master does not know is "dead". */
const char *sa_livy_state(const struct sa_driver *d, const char *last);

/* Why d ended as it did (or why it is not known), for the job's record, into buf. */
void sa_reason(const struct sa_driver *d, const char *id, char *buf, size_t len);

/* Parse an answer of POST /v1/submissions/create: SA_OK with the driver's id in id,
 * SA_REFUSED with the master's message in err, SA_MAYBE when it took the driver
 * but gave no usable id, SA_UNREACHABLE when a standby answered or text is not a
 * CreateSubmissionResponse (nor an ErrorResponse). */
int sa_parse_create(const char *json, char *id, size_t idlen, char *err, size_t errlen);

/* Parse an answer of POST /v1/submissions/kill/{id}: SA_OK when the master took
 * it, SA_REFUSED (already ended, or unknown: its message in err), SA_UNREACHABLE
 * (a standby, or not a KillSubmissionResponse). */
int sa_parse_kill(const char *json, char *err, size_t errlen);

/* The web UI address (http://HOST:PORT) of worker `worker_id` in an answer of the
 * master's GET /json/ (workers[].id and .webuiaddress), into ui.  Returns 0, 1 when
 * the answer has no such worker (or its address is not a plain http URL), -1 when
 * text is not such an answer. */
int sa_parse_worker_ui(const char *json, const char *worker_id, char *ui, size_t len);

/* Parse an answer of a worker's GET /log/?driverId=..&logType=..&offset=..&byteLength=..:
 * its first line "==== Bytes START-END of LENGTH of PATH ====", then the bytes
 * [START, END) of the file (the worker clamps a window past the end to
 * LENGTH-LENGTH).  Sets *start, *end, *length and *content (into text) and *n to
 * what follows the line.  Returns 0, or -1 with why in err when text is not such an
 * answer or is the worker's error ("Bytes 0-0 of 0" then "Error: ...", e.g. for a
 * driver it does not have). */
int sa_parse_log(const char *text, size_t len, long long *start, long long *end,
		 long long *length, const char **content, size_t *n, char *err, size_t errlen);

/* The driver's log page for users (appInfo.driverLogUrl): UI/logPage/?driverId=ID&
 * logType=stdout into buf.  Returns 0, or -1 when ui is not a plain http URL or id
 * not a driver id. */
int sa_driver_log_url(const char *ui, const char *id, char *buf, size_t len);

/* The worker's web UI (http://HOST:PORT) in a log page address that
 * sa_driver_log_url made, into ui.  Returns 0, or -1 when log_url is not one. */
int sa_log_url_ui(const char *log_url, char *ui, size_t len);

/* True when id may be put in a URL as a driver's id: [A-Za-z0-9-_.], not empty,
 * shorter than SA_ID_MAX. */
bool sa_id_ok(const char *id);

/* ---- the client (HTTP through httpout.h) ---- */

struct sa_master;

/* A client of the masters of `master` (spark://...), their REST servers at
 * rest_port and web UIs at ui_port (<= 0: the defaults), or NULL after logging why
 * (not a spark:// URL, no memory). */
struct sa_master *sa_open(const char *master, int rest_port, int ui_port);
void sa_close(struct sa_master *m);

/* The REST server in use now, for messages. */
const char *sa_url(const struct sa_master *m);

/* Submit `request` (from sa_create_request): POST /v1/submissions/create to each
 * master in order from the one in use, moving on when it does not answer or is a
 * standby.  SA_OK with the driver's id in id, or with why in err: SA_REFUSED (the
 * ALIVE master said no), SA_UNREACHABLE (no master got the request, or those that
 * answered made no driver: refused connections, standbys; submitting again is
 * safe), SA_MAYBE (a master got the request and gave no usable answer: no answer
 * in time, a 5xx, a 2xx that is not the protocol's, no usable id; it may have made
 * the driver, so the request goes to no other master and submitting again could run
 * it twice).  The whole call, every master included, takes at most 4 s. */
int sa_submit(struct sa_master *m, const char *request, char *id, size_t idlen, char *err,
	      size_t errlen);

/* The status of driver id (GET /v1/submissions/status/{id}) into *d: SA_OK, or
 * SA_UNREACHABLE with why in err (nothing may be concluded). */
int sa_status(struct sa_master *m, const char *id, struct sa_driver *d, char *err,
	      size_t errlen);

/* Kill driver id (POST /v1/submissions/kill/{id}): SA_OK when the master took it
 * (its status then reads KILLED), SA_REFUSED when it has ended or is unknown,
 * SA_UNREACHABLE. */
int sa_kill(struct sa_master *m, const char *id, char *err, size_t errlen);

/* The web UI of worker `worker_id` (a status's worker_id), asked of the masters'
 * GET /json/, into ui: SA_OK, SA_REFUSED (the ALIVE master lists no such worker,
 * or no plain URL for it), SA_UNREACHABLE. */
int sa_worker_ui(struct sa_master *m, const char *worker_id, char *ui, size_t len, char *err,
		 size_t errlen);

/* Read driver id's `file` ("stdout" or "stderr") from byte `offset` through its
 * worker's web UI `ui` (sa_worker_ui): at most SA_LOG_READ_MAX bytes into *bytes
 * (malloc'd, *n of them, NUL-terminated; the caller frees), the offset after them
 * into *next and the file's length then into *length.  The worker sends the bytes
 * as text decoded from UTF-8, so a byte that is not UTF-8 (or a character cut at
 * the window's edge) comes as U+FFFD: *n may differ from *next - offset.  *next
 * never goes back before offset (an offset past the end reads nothing).  Returns 0,
 * or -1 with why in err (the worker did not answer, or has no such driver). */
int sa_log_read(struct sa_master *m, const char *ui, const char *id, const char *file,
		long long offset, char **bytes, size_t *n, long long *next, long long *length,
		char *err, size_t errlen);

#endif
