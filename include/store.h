/* store.h - all SQL: the PostgreSQL connection, migrations, batches, logs, leases.
 *
 * The module owns every statement Tacitus sends (parameters only, never values
 * built into SQL text) and the connection of its process: one struct store per
 * process, opened after fork, re-opened by store_ensure when PostgreSQL went away
 * (LISTEN redone).  Every state change of a batch goes through one guarded
 * statement that also writes a batch_event row with the reason.
 *
 * Results that carry strings keep the PGresult they point into: free them with
 * the matching *_free function.  Functions return STORE_OK, STORE_NOTFOUND,
 * STORE_REJECT (a rule said no; msg says which) or STORE_ERROR (logged once
 * here; the caller answers 503).
 */
#ifndef TACITUS_STORE_H
#define TACITUS_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

enum {
	STORE_OK = 0, STORE_NOTFOUND = 1, STORE_REJECT = 2, STORE_CONFLICT = 3,
	STORE_REPLAYED = 4, STORE_ERROR = -1
};

struct store;

/* Connect with libpq's environment (PGHOST, PGPORT, PGDATABASE, PGUSER) and the
 * given application_name.  Returns NULL after logging the reason. */
struct store *store_open(const char *app_name);
void store_close(struct store *s);

/* Reconnect if the connection broke (and LISTEN again if store_listen was
 * called).  Returns 0 when the connection is usable, -1 (logged) when not. */
int store_ensure(struct store *s);

/* Apply sql/NNN_*.sql files of `dir` not yet applied, in order, under an
 * advisory lock so that concurrent starters wait.  A changed applied file is an
 * error.  Returns 0 or -1 (logged). */
int store_migrate(struct store *s, const char *dir);

/* ---- the API side ---- */

struct store_batch {
	long long id;
	const char *name, *owner, *proxy_user, *state;   /* NULL = SQL NULL */
	const char *app_id, *spark_ui_url, *driver_log_url;
	long log_lines;             /* lines stored */
	const char *log_tail;       /* the last min(9, log_lines) stored lines, joined by '\n' */
};

struct store_batches {
	void *res;                  /* PGresult the strings point into */
	long total;                 /* visible batches (lists only) */
	int n;
	struct store_batch *v;
};
void store_batches_free(struct store_batches *b);

struct store_new_batch {
	const char *name, *owner, *proxy_user;  /* NULL = none */
	const char *request_json, *argv_json;
	const char *idempotency_key;            /* NULL = none */
};

/* Insert a batch in state starting and wake the monitors.  Refuses (STORE_REJECT,
 * Livy's message in msg) a name already used by a visible batch, and a
 * creation while max_creation batches are starting or running in all
 * instances together.  Sets *id.  With an idempotency key that the same owner
 * used in the last 24 hours: STORE_REPLAYED and the first batch's id when the
 * request is the same JSON, STORE_CONFLICT (msg says why) when it is not. */
int store_batch_create(struct store *s, const struct store_new_batch *nb,
		       const struct cfg *c, long long *id, char *msg, size_t msglen);

/* One visible batch by id (key all digits) or name; log_tail is "" unless
 * with_log. */
int store_batch_get(struct store *s, const char *key, bool with_log, const struct cfg *c,
		    struct store_batches *out);

/* Visible batches in id order: sets out->total, then the rows [from, from+size)
 * of Livy's list window. */
int store_batch_list(struct store *s, long from, long size, const struct cfg *c,
		     struct store_batches *out);

struct store_lines {
	void *res;
	int n;
	const char **v;
};
void store_lines_free(struct store_lines *l);

/* Stored log lines [first, first+count) of batch id, in order. */
int store_batch_log(struct store *s, long long id, long first, long count,
		    struct store_lines *out);

/* Hide a visible batch from the API now; its monitor kills it if it runs.
 * Sets *id.  STORE_NOTFOUND if there is no such visible batch. */
int store_batch_delete(struct store *s, const char *key, const struct cfg *c,
		       long long *id);

/* ---- sessions (the API side) ----
 *
 * A session is a row of its own plus its driver, a batch row with a negative id
 * (see sql/003_sessions.sql).  Its visible state: "starting" until the driver's
 * first sync, then the REPL state the driver reports (idle, busy, error),
 * "shutting_down" once a stop was asked, "dead" when the driver ended.
 */

struct store_session {
	long long id, driver_id;
	const char *name, *owner, *proxy_user, *state, *kind;
	const char *app_id, *spark_ui_url, *driver_log_url;
	long log_lines;
	const char *log_tail;       /* as for batches */
	const char *request;        /* the accepted body of POST /sessions (JSON text) */
	int heartbeat_sec;
};

struct store_sessions {
	void *res;
	long total;
	int n;
	struct store_session *v;
};
void store_sessions_free(struct store_sessions *ss);

struct store_new_session {
	const char *name, *owner, *proxy_user, *kind;   /* NULL = none */
	const char *request_json, *argv_json;
	const char *pool;           /* non-NULL: take a warm driver of this pool if one with
				       the same arguments (pool_argv_json) is there */
	const char *pool_argv_json;
	long long ttl_ms, idle_timeout_ms;              /* -1 = not given */
	int heartbeat_sec;
};

/* Insert a session and its driver (a warm one when possible: *warm is then
 * true), under the same admission rules as batches: STORE_REJECT with Livy's
 * message for a duplicate name or too many drivers starting or running. */
int store_session_create(struct store *s, const struct store_new_session *ns,
			 const struct cfg *c, long long *id, bool *warm, char *msg, size_t msglen);

/* One visible session by id or name; log_tail is "" unless with_log. */
int store_session_get(struct store *s, const char *key, bool with_log, const struct cfg *c,
		      struct store_sessions *out);

/* Visible sessions in id order, as store_batch_list. */
int store_session_list(struct store *s, long from, long size, const struct cfg *c,
		       struct store_sessions *out);

/* A request under /sessions/{id}: renew its heartbeat. */
int store_session_touch(struct store *s, long long id);

/* Ask the driver of session id to stop (its monitor kills it), recording why
 * ("<request> by <actor>", e.g. "DELETE /sessions/3 by alice"); with `hide`
 * (DELETE) the session also leaves the API at once.  STORE_NOTFOUND when it is not
 * visible. */
int store_session_delete(struct store *s, long long id, const char *request, const char *actor,
			 bool hide);

/* Livy's POST .../connect: activity (idle timer) and heartbeat of session id. */
int store_session_activity(struct store *s, long long id);

struct store_statement {
	int id;
	const char *code, *state;
	const char *output;         /* JSON text, NULL until there is one */
	double progress;
	long long started, completed;       /* epoch ms, 0 = not yet */
};

struct store_statements {
	void *res;
	long total;
	int n;
	struct store_statement *v;
};
void store_statements_free(struct store_statements *st);

/* Queue a statement of `kind` (pyspark, spark, sql) on session id, whose driver
 * must be running (visible state idle, busy or error); counts as activity.  Sets
 * *stmt and copies the driver's wake-up address into wake ("" = none).
 * STORE_REJECT when the session cannot take statements now. */
int store_statement_create(struct store *s, long long id, const char *code, const char *kind,
			   int *stmt, char *wake, size_t wakelen);

/* Statements of session id: all in id order (desc: reversed), then Scala's slice
 * [from, from+size) of that order (size STORE_ALL: Livy's default, all of them);
 * total = how many there are.  STORE_NOTFOUND when there is no such session. */
#define STORE_ALL LONG_MIN
int store_statement_list(struct store *s, long long id, bool desc, long from, long size,
			 struct store_statements *out);

/* Statement stmt of session id; STORE_NOTFOUND if there is none. */
int store_statement_get(struct store *s, long long id, int stmt, struct store_statements *out);

/* Cancel statement stmt of session id (§3.3: waiting -> cancelled at once,
 * running -> cancelling; others unchanged); counts as activity.  Copies the
 * driver's wake-up address into wake. */
int store_statement_cancel(struct store *s, long long id, int stmt, char *wake, size_t wakelen);

/* Ask session id's driver for completions; sets *cid and the wake-up address.
 * STORE_REJECT when the driver is not running. */
int store_completion_create(struct store *s, long long id, const char *code, const char *kind,
			    int cursor, long long *cid, char *wake, size_t wakelen);

/* The driver's answer to completion cid (JSON array text, malloc'd, caller
 * frees) or STORE_NOTFOUND while there is none. */
int store_completion_result(struct store *s, long long cid, char **candidates);

/* ---- the driver protocol (app/DRIVER-PROTOCOL.md) ---- */

struct store_sync {
	const char *secret;         /* X-Tacitus-Secret */
	const char *peer;           /* the driver's address as nginx saw it, NULL = unknown */
	const char *body;           /* the sync's JSON text, read by PostgreSQL itself */
};

/* One sync of a driver, in one transaction: find the running driver with that
 * secret (nothing else is read before), store its REPL state, wake-up address
 * (peer:wake_port), results and completions, and build the answer (JSON text,
 * malloc'd, caller frees; at most 100 statements).  STORE_NOTFOUND when no running
 * driver has that secret. */
int store_driver_sync(struct store *s, const struct store_sync *y, char **answer);

/* ---- the monitor side ---- */

/* LISTEN for new and deleted batches; store_socket is then the fd to poll and
 * store_drain_notifies consumes what arrived (returns how many, -1 on error). */
int store_listen(struct store *s);
int store_socket(struct store *s);
int store_drain_notifies(struct store *s);

/* Extend the leases of every batch `owner` holds.  Returns 0 or STORE_ERROR. */
int store_renew_leases(struct store *s, const char *owner, int ttl_sec);

struct store_job {
	long long id;
	const char *argv_json;      /* claim only */
	const char *job_dir;        /* NULL until launched */
	const char *host, *boot_id;
	pid_t pid;                  /* 0 until launched */
	long long pid_start;
	long long out_offset, err_offset;   /* bytes of DIR/stdout, DIR/stderr stored */
	long log_lines;
	bool deleted;
	double kill_age;            /* seconds since the first kill signal, -1 = none */
	const char *state;
	const char *stop_reason;    /* drivers: why their session was stopped, NULL = not */
};

struct store_jobs {
	void *res;
	int n;
	struct store_job *v;
};
void store_jobs_free(struct store_jobs *j);

/* Claim up to `limit` batches waiting to be launched (oldest first, SKIP LOCKED,
 * so two monitors never claim the same one) and record this host on them. */
int store_claim(struct store *s, const char *owner, const char *host, const char *boot_id,
		int ttl_sec, int limit, struct store_jobs *out);

/* Batches `owner` holds that were launched or are being launched. */
int store_my_jobs(struct store *s, const char *owner, struct store_jobs *out);

/* Take over batches whose owner stopped renewing its lease: on this host as soon
 * as the lease expired, elsewhere `grace_sec` later.  The caller adopts those of
 * its own host and boot (their processes can be checked) and ends the others
 * (gone with a reboot, or on a host it cannot see).  Returns them like
 * store_my_jobs. */
int store_take_over(struct store *s, const char *owner, const char *host, int ttl_sec,
		    int grace_sec, struct store_jobs *out);

/* Let the leases of `owner` expire now (a graceful stop), so that another
 * instance adopts its batches at once. */
int store_release_leases(struct store *s, const char *owner);

/* Record the launch of batch id: its process and folder and the change
 * starting -> running, in one statement.  STORE_NOTFOUND when the lease was lost. */
int store_launched(struct store *s, long long id, const char *owner, pid_t pid,
		   long long pid_start, const char *job_dir);

/* Append `lines` (a JSON array of strings) as the next log lines of batch id
 * and move its stored output offsets to out_offset/err_offset, in one statement; optionally
 * record app_id / spark_ui_url (NULL = unchanged).  STORE_NOTFOUND when the lease
 * was lost or another writer moved on. */
int store_append_log(struct store *s, long long id, const char *owner, long first_line,
		     const char *lines_json, long long out_offset, long long err_offset,
		     const char *app_id, const char *spark_ui_url);

/* The one place a batch changes state: from `from` to `to` when `owner` holds
 * it, with exit_code (-1 = none) and a reason kept in batch_event and logged.
 * STORE_NOTFOUND when the guard failed. */
int store_transition(struct store *s, long long id, const char *owner, const char *from,
		     const char *to, int exit_code, const char *reason);

/* Record the hash of a driver's secret before its launch (batch id < 0). */
int store_driver_secret(struct store *s, long long id, const char *owner, const char *secret);

/* Keep `want` drivers of pool `pool` (arguments argv_json) starting or running:
 * under the admission lock, add the missing ones as long as max-creation allows,
 * and stop pooled drivers whose arguments are not argv_json (the configuration
 * changed) or that are more than `want`.  Sets *added. */
int store_pool_refill(struct store *s, const char *pool, long want, const char *argv_json,
		      const struct cfg *c, int *added);

/* Stop the sessions past their heartbeat, idle timeout or ttl (livy.conf and the
 * session's own values): their stop reason is recorded and their drivers are
 * killed by the monitors holding them.  Returns how many, or STORE_ERROR. */
int store_session_expire(struct store *s, const struct cfg *c);

/* Note that the first kill signal was sent to batch id. */
int store_kill_sent(struct store *s, long long id, const char *owner);

#endif
