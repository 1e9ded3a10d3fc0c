/* store.h - all SQL: the connection, migrations, batches, the monitor's jobs, sessions,
 * statements, session drivers.
 *
 * The module owns every statement Tacitus sends to PostgreSQL (parameters only,
 * never values built into SQL text) and the connection of its process: one
 * struct store per process, opened after fork, re-opened by store_ensure when
 * PostgreSQL went away (LISTEN redone).  Every state change of a job goes through
 * one guarded statement (store_transition) that also writes a batch_event row
 * with the reason.  Its files, in the order of the sections below:
 *   app/store_conn.c       connection, LISTEN, prepared statements, the admission rule
 *   app/store_migrate.c    sql/NNN_*.sql
 *   app/store_batch.c      the batch API
 *   app/store_job.c        the monitor: leases, claims, take-over, launches, log, states
 *                          (what a tracker records, e.g. a YARN application's id, goes here)
 *   app/store_session.c    the sessions API
 *   app/store_statement.c  statements and completions
 *   app/store_driver.c     session drivers: secrets, syncs, the warm pool, expiry
 *   app/store_history.c    the history: its reads (GET /history...), its end
 *                          (tacitus.history.keep-days)
 *   app/store_metrics.c    the instances' counts (metrics.h)
 *   app/store_hook.c       completion webhooks: the outbox (hook.h)
 * (app/store_int.h is what they share.)  A new query goes in the file of its
 * concern, declared in its section here.
 *
 * Results that carry strings keep the PGresult they point into: free them with
 * the matching *_free function.  Every function that can fail returns an enum
 * store_rc: STORE_ERROR means the database failed, already logged here (the
 * caller answers 503 or retries); the other codes are outcomes the caller
 * words (reply.h says them in Livy's terms).
 */
#ifndef TACITUS_STORE_H
#define TACITUS_STORE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "config.h"

#define STORE_LOG_TAIL_LINES 9      /* a job's last stored lines kept beside it (log_tail) */

enum store_rc {
	STORE_ERROR = -1,           /* the database failed (logged) */
	STORE_OK = 0,
	STORE_NOTFOUND,             /* no such visible row, or a guard (owner, state) failed */
	STORE_DUPLICATE,            /* a visible batch or session has that name */
	STORE_TOO_MANY,             /* livy.server.session.max-creation jobs start or run */
	STORE_USER_LIMIT,           /* the user has tacitus.session.max-per-user of them */
	STORE_CONFLICT,             /* an Idempotency-Key used for another request body */
	STORE_REPLAYED,             /* an Idempotency-Key used for this same request */
	STORE_NOT_RUNNING,          /* the session's driver cannot take work now */
	STORE_REFUSED,              /* the database refused what the statement carried (logged;
				       store_last_error says why): sent again, it is refused again */
};

struct store;

/* ---- the connection (store_conn.c) ---- */

/* Connect with libpq's environment (PGHOST, PGPORT, PGDATABASE, PGUSER) and the
 * given application_name, with a lock_timeout of 5 s (set through libpq's options, so
 * PGOPTIONS is not read): a statement that waits longer for a lock fails with
 * STORE_ERROR (a request answers 503) instead of stalling its caller, whoever holds
 * the lock.  Returns NULL after logging the reason. */
struct store *store_open(const char *app_name);
void store_close(struct store *s);

/* Reconnect if the connection broke (and LISTEN again if store_listen was
 * called).  STORE_OK when the connection is usable. */
enum store_rc store_ensure(struct store *s);

/* The primary message of the last statement that failed, e.g. why STORE_REFUSED
 * ("" when none failed yet). */
const char *store_last_error(struct store *s);

/* What a process may LISTEN for: new and deleted jobs (the monitors), new webhook
 * events (the webhook senders; sql/011_webhook.sql notifies), changes clients may
 * wait for (the publishers; sql/013_push.sql notifies). */
enum store_channel { STORE_JOBS, STORE_HOOKS, STORE_PUSH };

/* LISTEN on channel ch (one per store, again after each reconnect); store_socket is
 * then the fd to poll and store_drain_notifies consumes what arrived. */
enum store_rc store_listen(struct store *s, enum store_channel ch);
int store_socket(struct store *s);
enum store_rc store_drain_notifies(struct store *s);

/* The payload of the next notification that arrived, into buf (cut to len - 1
 * bytes): 1, or 0 when none is left, or -1 when the connection failed (logged). */
int store_next_notify(struct store *s, char *buf, size_t len);

/* Which server session the connection is in: 1 once open, one more per reconnect.
 * Locks and LISTEN belong to a session (leasewatch.h counts on it). */
unsigned long store_session(struct store *s);

/* ---- migrations (store_migrate.c) ---- */

/* Apply sql/NNN_*.sql files of `dir` not yet applied, in order, under an
 * advisory lock (only the role tacitus may take advisory locks: app/stack.sh) so that
 * concurrent starters wait, for as long as it takes.  A migration's own statements
 * wait at most the connection's lock_timeout (store_open) for a table's lock, so that
 * a migration never queues the running instances' requests behind a long reader: it
 * rolls back and tries again, 12 times (about a minute), then fails (STORE_ERROR).  A
 * changed applied file is an error. */
enum store_rc store_migrate(struct store *s, const char *dir);

/* ---- the batch API (store_batch.c) ---- */

struct store_batch {
	long long id;
	const char *name, *owner, *proxy_user, *state;   /* NULL = SQL NULL */
	const char *app_id, *spark_ui_url, *driver_log_url;
	long log_lines;             /* lines stored */
	const char *log_tail;       /* the last min(STORE_LOG_TAIL_LINES, log_lines) stored
				       lines, joined by '\n' */
	long push_seq;              /* changes of what the API shows of it (push.h) */
};

struct store_batches {
	void *res;                  /* PGresult the strings point into */
	void *tails;                /* and the one of store_batch_tails */
	long total;                 /* visible batches (lists only) */
	int n;
	struct store_batch *v;
};
void store_batches_free(struct store_batches *b);

struct store_new_batch {
	const char *name, *owner, *proxy_user;  /* NULL = none */
	const char *request_json, *argv_json;
	const char *idempotency_key;            /* NULL = none */
	const char *tracker;                    /* who tracks it (cfg_tracker), NULL = "local" */
};

/* Insert a batch in state starting and wake the monitors; sets *id.  Under the
 * admission rule: STORE_TOO_MANY while max-creation jobs start or run in all
 * instances together, STORE_USER_LIMIT while the owner has max-per-user of them,
 * STORE_DUPLICATE (*id = the holder) for a name a visible batch has.  With an
 * idempotency key the same owner used in the last 24 hours acting as the same
 * proxy user (a key used acting as another is another request):
 * STORE_REPLAYED (*id = the first batch) when the request is the same JSON,
 * STORE_CONFLICT (*id likewise) when it is not. */
enum store_rc store_batch_create(struct store *s, const struct store_new_batch *nb,
				 const struct cfg *c, long long *id);

/* One visible batch by id (key all digits) or name; log_tail is "" unless
 * with_log. */
enum store_rc store_batch_get(struct store *s, const char *key, bool with_log,
			      const struct cfg *c, struct store_batches *out);

/* Visible batches in id order: sets out->total, then the rows [from, from+size)
 * of Livy's list window, each with log_tail "" (store_batch_tails reads those a
 * caller needs: a batch's tail is the same for the same log_lines, since its log only
 * grows, each append setting both under a guard on log_lines). */
enum store_rc store_batch_list(struct store *s, long from, long size, const struct cfg *c,
			       struct store_batches *out);

/* The log tails of the batches b->v[i] (in id order, as store_batch_list gives them)
 * for which want[i]: sets their log_tail and log_lines as they are now (log_lines may
 * have grown since b was read; a batch no longer there gets log_lines 0).  The
 * strings live until store_batches_free(b). */
enum store_rc store_batch_tails(struct store *s, struct store_batches *b, const bool *want);

struct store_lines {
	void *res;
	int n;
	const char **v;
};
void store_lines_free(struct store_lines *l);

/* Stored log lines [first, first+count) of job id (a batch, or a driver), in order
 * (read from the chunks that hold them: the cost of a window, not of the log). */
enum store_rc store_batch_log(struct store *s, long long id, long first, long count,
			      struct store_lines *out);

/* Hide a visible batch from the API now; its monitor kills it if it runs.
 * Sets *id.  STORE_NOTFOUND if there is no such visible batch. */
enum store_rc store_batch_delete(struct store *s, const char *key, const struct cfg *c,
				 long long *id);

/* ---- the monitor's jobs (store_job.c) ----
 *
 * A job is a row of table batch: a batch (id >= 0) or a session's driver (id < 0).
 * A monitor holds the jobs it launched by a lease it renews; another takes them
 * over when the lease expires.
 */

/* Hold the name of this instance (the lease owner of its jobs) for as long as this
 * connection lives: a session-level advisory lock keyed by a 64-bit hash of the
 * name, so that two instances configured with the same name cannot run at once,
 * on one host or on several sharing the database.  The lock goes with its
 * session: when the holder dies its connection closes and PostgreSQL releases it
 * (at once on this host; for a host that vanished, once the server's TCP
 * keepalive notices).  Call it at start and then every second or so: when the
 * connection broke (PostgreSQL restarted) it reconnects and takes the lock again.
 * STORE_OK while this connection holds it; STORE_DUPLICATE when another session
 * holds it; STORE_ERROR when the database cannot be reached. */
enum store_rc store_hold_name(struct store *s, const char *instance);

/* Hold the lock of the publisher of the nginx named key (its host and socket) on this
 * connection, as store_hold_name holds a name (store_job.c): one publisher posts to an
 * nginx however many instances it fronts, and another takes over when the holder's
 * connection dies.  Call it every second or so.  STORE_OK while this connection holds
 * it, STORE_DUPLICATE while another does, STORE_ERROR. */
enum store_rc store_hold_publisher(struct store *s, const char *key);

/* Hold the lock of `owner`'s monitor on this connection, for as long as the
 * connection lives: a session-level advisory lock keyed by a hash of the name (not
 * the instance name's key, which the master holds: store_hold_name).  It dies with
 * the monitor's connection, and so at once with a monitor killed on any host whose
 * kernel closes its socket; other monitors take that for the monitor's death
 * (leasewatch.h, store_take_orphans).  Once the lock is taken, in each session, the
 * monitor is registered (table monitor: owner, host, boot_id), so that the others
 * look at its lock from then on (store_owner_locks), before it claims anything;
 * registrations older than an hour whose lock is free are removed then.  A reconnect
 * takes the lock and registers again first thing (store_ensure), before any
 * statement of the monitor's; the monitor calls this before each cycle and claims and
 * adopts nothing while it returns anything but STORE_OK.  STORE_DUPLICATE when
 * another session holds it (a peer looking at it, for the length of one statement;
 * the server's side of a connection of ours that broke without its noticing yet);
 * STORE_ERROR when the database cannot be reached, the registration failed, or a
 * name does not fit. */
enum store_rc store_hold_owner(struct store *s, const char *owner, const char *host,
			       const char *boot_id);

/* Extend the leases of every job `owner` holds. */
enum store_rc store_renew_leases(struct store *s, const char *owner, int ttl_sec);

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
	const char *tracker;        /* "local", "yarn" or "standalone" (cfg_tracker when
				       accepted) */
	const char *yarn_tag;       /* YARN jobs: the application tag, set by the claim */
	const char *app_id, *ui_url;        /* NULL = not known yet; a standalone job's
					       app_id is its driver's id */
	int exit_code;              /* YARN jobs: spark-submit's, -1 = still running */
	double launch_age;          /* seconds since the launch, -1 = not launched */
	long long am_out_offset, am_err_offset; /* YARN jobs: bytes of the application
						   master's stdout, stderr stored */
	const char *log_url;        /* ... of that container (driver_log_url), NULL = none;
				       standalone jobs: the driver's log page on its worker */
	bool submit_tried;          /* standalone jobs: a submission was sent (or about to
				       be) and no driver id is known yet */
	const char *prev_owner;     /* take-overs: whose lease it was, NULL otherwise */
};

struct store_jobs {
	void *res;
	int n;
	struct store_job *v;
};
void store_jobs_free(struct store_jobs *j);

/* Claim up to `limit` jobs waiting to be launched (oldest first, SKIP LOCKED,
 * so two monitors never claim the same one) and record this host on them. */
enum store_rc store_claim(struct store *s, const char *owner, const char *host,
			  const char *boot_id, int ttl_sec, int limit, struct store_jobs *out);

/* Jobs `owner` holds that were launched or are being launched. */
enum store_rc store_my_jobs(struct store *s, const char *owner, struct store_jobs *out);

/* YARN jobs `owner` ended (dead or killed) without an application in the last
 * within_ms: an application that appears under one of their tags now leaked (a
 * spark-submit that went on after its job was given up) and is to be killed (Livy's
 * app-leakage check).  Returns them like store_my_jobs. */
enum store_rc store_leak_watch(struct store *s, const char *owner, long long within_ms,
			       struct store_jobs *out);

/* Every other owner's lease mark (leasewatch.h): per owner holding jobs that are
 * starting or running, the latest expiry of its leases as text, which changes at
 * each of its renewals, or LEASEWATCH_RELEASED after a graceful stop.  Fills
 * out->owner[i] and out->mark[i] (valid until store_marks_free). */
struct store_marks {
	void *res;
	int n;
	const char **owner, **mark;
};
enum store_rc store_lease_marks(struct store *s, const char *me, struct store_marks *out);
void store_marks_free(struct store_marks *m);

/* Take over the jobs of owners judged gone by their leases (leasewatch.h): those on this host (and
 * the cluster jobs, YARN's and standalone's, anywhere) of the `n_adopt` owners
 * `adopt`, and those anywhere of the `n_end` owners `end`.  The caller adopts the cluster jobs and those of its own host
 * and boot (their processes can be checked) and ends the others (gone with a
 * reboot, or on a host it cannot see).
 * Returns them like store_my_jobs, each with prev_owner. */
enum store_rc store_take_over(struct store *s, const char *owner, const char *host, int ttl_sec,
			      const char *const *adopt, int n_adopt, const char *const *end,
			      int n_end, struct store_jobs *out);

/* Every other owner holding jobs starting or running that this monitor may adopt
 * (on this host and boot, or cluster jobs), and every other registered monitor
 * (store_hold_owner; of any host: any may claim cluster jobs), whether its monitor's
 * lock is held now, and whether it holds such jobs.  Owners of such jobs come first.
 * One statement, cheap enough to run every few hundred milliseconds; it must not run
 * inside a transaction (it holds each free lock, shared, until its transaction ends).
 * Fills out->owner[i], out->held[i] and out->jobs[i] (valid until store_locks_free). */
struct store_locks {
	void *res;
	int n;
	const char **owner;
	bool *held;
	bool *jobs;
};
enum store_rc store_owner_locks(struct store *s, const char *me, const char *host,
				const char *boot_id, struct store_locks *out);
void store_locks_free(struct store_locks *l);

/* Take over the launched jobs of the `n_gone` owners `gone`, judged gone by their
 * lock (leasewatch.h), whatever their leases say: those of this host and boot and
 * the cluster jobs, whose owner's lock is still free as the statement runs.  The
 * rule that makes this safe while such an owner may in fact be alive (its
 * connection dropped and it has not noticed yet):
 *   - only launched jobs move: a pid recorded with the launch (for a standalone
 *     submission, the driver's id), or the application known.  Past that point a
 *     monitor only watches a job; two watching it for a while do no harm, since
 *     each write is guarded by owner (the old owner's are refused from then on),
 *     and a kill signal is sent only to a group proved to be the job's.
 *   - a job claimed but not launched yet (its spark-submit or submission may be
 *     under way in the old owner), or a standalone submission in flight, waits for
 *     the lease (store_take_over): launching it again could run it twice.
 *   - the owner's lock is tried again, row by row, in the statement that moves the
 *     rows: an owner that took its lock again meanwhile keeps its jobs.
 * Returns them like store_my_jobs, each with prev_owner; must not run inside a
 * transaction (as store_owner_locks). */
enum store_rc store_take_orphans(struct store *s, const char *owner, const char *host,
				 const char *boot_id, int ttl_sec, const char *const *gone,
				 int n_gone, struct store_jobs *out);

/* Release the leases of `owner` (a graceful stop): its mark reads
 * LEASEWATCH_RELEASED, so that another instance of its host adopts its jobs at once. */
enum store_rc store_release_leases(struct store *s, const char *owner);

/* Record the launch of job id: its process, folder, host and boot, and the change
 * starting -> `to` ("running"; "starting" for a job whose cluster manager says
 * when it runs), in one statement.  STORE_NOTFOUND when the lease was lost. */
enum store_rc store_launched(struct store *s, long long id, const char *owner, pid_t pid,
			     long long pid_start, const char *job_dir, const char *host,
			     const char *boot_id, const char *to);

/* A standalone job was handed to its master (its driver id stored before with
 * store_app_seen): the change starting -> starting with `reason`, recording this host
 * and boot as the submitter's (no process).  STORE_NOTFOUND when the lease was lost. */
enum store_rc store_submitted(struct store *s, long long id, const char *owner, const char *host,
			      const char *boot_id, const char *reason);

/* Mark (tried) or unmark standalone job id as being submitted: set before the
 * submission is sent, cleared only when no master can have received it.  A job
 * marked without a driver id is never submitted again (its fate is unknown).
 * STORE_NOTFOUND when the lease was lost or the job already has a driver id. */
enum store_rc store_submit_tried(struct store *s, long long id, const char *owner, bool tried);

/* A cluster job's spark-submit ended with `code` (kept in exit_code; the job goes
 * on until its cluster manager says it ended).  Recorded once. */
enum store_rc store_submit_ended(struct store *s, long long id, const char *owner, int code);

/* What the cluster manager shows of job id's application: its id, the Spark UI and
 * the driver's log addresses ("" = unchanged).  A new driver log address (another
 * attempt's container) sets the stored bytes of the driver's log back to 0.
 * STORE_NOTFOUND when the lease was lost (nothing recorded). */
enum store_rc store_app_seen(struct store *s, long long id, const char *owner,
			     const char *app_id, const char *ui_url, const char *log_url);

/* The one place a job changes state: from `from` to `to` when `owner` holds
 * it, with exit_code (-1 = none) and a reason kept in batch_event and logged.
 * STORE_NOTFOUND when the guard failed. */
enum store_rc store_transition(struct store *s, long long id, const char *owner,
			       const char *from, const char *to, int exit_code, const char *reason);

/* One log line: len bytes (any bytes: what PostgreSQL's text refuses, a NUL or
 * ill-formed UTF-8, makes the whole append STORE_REFUSED). */
struct store_line {
	const char *s;
	size_t len;
};

/* Append lines v[0..n) as the next log lines of job id (numbered from first_line,
 * which must be its stored count) and move its stored output offsets to
 * out_offset/err_offset (spark-submit's, or when `am` those of its YARN
 * application master's stdout and stderr), in one transaction: the lines go by
 * one COPY, in chunks of many lines a row (logchunk.h), so that a loud job's output
 * costs PostgreSQL a row per chunk, not per line; the job's log_tail is then its
 * last stored lines.  Optionally records app_id
 * (NULL = unchanged; the UI's address comes from the cluster manager only:
 * store_app_seen).  STORE_NOTFOUND when the lease was lost or another writer moved
 * on; STORE_REFUSED when PostgreSQL refused the lines themselves (e.g. text it
 * cannot store, a trigger's exception), so that the caller stores something else
 * instead of trying them for ever. */
enum store_rc store_append_log(struct store *s, long long id, const char *owner, long first_line,
			       const struct store_line *v, long n, long long out_offset,
			       long long err_offset, bool am, const char *app_id);

/* Note that the first kill signal was sent to job id. */
enum store_rc store_kill_sent(struct store *s, long long id, const char *owner);

/* ---- the sessions API (store_session.c) ----
 *
 * A session is a row of its own plus its driver, a job with a negative id (see
 * sql/003_sessions.sql).  Its visible state: "starting" until the driver's first
 * sync, then the REPL state the driver reports (idle, busy, error),
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
	long push_seq;              /* its driver's: changes of its state (push.h) */
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
	const char *pool;           /* non-NULL: take a warm driver of this pool whose
				       arguments are pool_argv_json, if there is one */
	const char *pool_argv_json;
	long long ttl_ms, idle_timeout_ms;              /* -1 = not given */
	int heartbeat_sec;
	const char *tracker;        /* who tracks a new driver (NULL = "local"): "yarn" for
				       a driver in YARN's application master */
};

/* Insert a session and its driver (a warm one when possible: *warm is then
 * true); sets *id.  Under the admission rule, as batches: STORE_DUPLICATE (*id =
 * the holder) for a name a running session has, STORE_USER_LIMIT while the owner
 * has max-per-user jobs starting or running, STORE_TOO_MANY when a new driver is
 * needed and max-creation jobs start or run. */
enum store_rc store_session_create(struct store *s, const struct store_new_session *ns,
				   const struct cfg *c, long long *id, bool *warm);

/* One visible session by id or name; log_tail is "" unless with_log. */
enum store_rc store_session_get(struct store *s, const char *key, bool with_log,
				const struct cfg *c, struct store_sessions *out);

/* Visible sessions in id order, as store_batch_list. */
enum store_rc store_session_list(struct store *s, long from, long size, const struct cfg *c,
				 struct store_sessions *out);

/* A request under /sessions/{id}: renew its heartbeat. */
enum store_rc store_session_touch(struct store *s, long long id);

/* Livy's POST .../connect: activity (idle timer) and heartbeat of session id. */
enum store_rc store_session_activity(struct store *s, long long id);

/* Ask the driver of session id to stop (its monitor kills it), recording why
 * ("<request> by <actor>", e.g. "DELETE /sessions/3 by alice"); with `hide`
 * (DELETE) the session also leaves the API at once.  STORE_NOTFOUND when it is not
 * visible. */
enum store_rc store_session_delete(struct store *s, long long id, const char *request,
				   const char *actor, bool hide);

/* What the API shows of job `job` now, for the publisher's wake-ups and events
 * (push.h): a session's id and state when it is a session's driver, else the
 * batch's, and whether GET shows it at all (not deleted, and unfinished or finished
 * within retain_s, livy.server.session.state-retain.sec).  STORE_NOTFOUND when there
 * is no such job, or it is a warm pool's driver (nobody's). */
struct store_push_job {
	bool session;
	long long id;               /* the session's or the batch's */
	char state[24];
	bool visible;               /* false: GET says 404 */
};
enum store_rc store_push_job(struct store *s, long long job, long retain_s,
			     struct store_push_job *out);

/* What a publisher that may have missed notifications wakes (push.h's catch-up):
 * each job (a batch or a session's driver) changed at least once and unfinished, or
 * finished within the last window_s seconds, with its push_seq now and whether it
 * is finished ('j', id, seq, finished);
 * each statement that left "waiting", of a session whose driver is unfinished or
 * finished within window_s, with its state ('t', session, statement, state).  Found
 * through indexes, whatever the history's size.  fn is called once for each.
 * STORE_ERROR when the database could not answer (fn may have been called). */
struct store_push_recent {
	char kind;                  /* 'j' or 't' */
	long long id;               /* j: the job; t: the session */
	long seq;                   /* j: push_seq; t: the statement */
	const char *state;          /* t: its state */
	bool finished;              /* j: its driver ended (finished_at set) */
};
enum store_rc store_push_recent(struct store *s, long window_s,
				void (*fn)(const struct store_push_recent *r, void *arg), void *arg);


/* ---- statements and completions (store_statement.c) ---- */

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
 * STORE_NOT_RUNNING when the session cannot take statements now. */
enum store_rc store_statement_create(struct store *s, long long id, const char *code,
				     const char *kind, int *stmt, char *wake, size_t wakelen);

/* Statements of session id: all in id order (desc: reversed), then Scala's slice
 * [from, from+size) of that order (size STORE_ALL: Livy's default, all of them), of
 * which the first `limit`; total = how many there are.  STORE_NOTFOUND when there is
 * no such session. */
#define STORE_ALL LONG_MIN
enum store_rc store_statement_list(struct store *s, long long id, bool desc, long from,
				   long size, long limit, struct store_statements *out);

/* Statement stmt of session id; STORE_NOTFOUND if there is none. */
enum store_rc store_statement_get(struct store *s, long long id, int stmt,
				  struct store_statements *out);

/* Cancel statement stmt of session id (waiting -> cancelled at once, running ->
 * cancelling, which the driver turns into cancelled; others unchanged); counts as
 * activity.  Copies the driver's wake-up address into wake. */
enum store_rc store_statement_cancel(struct store *s, long long id, int stmt, char *wake,
				     size_t wakelen);

/* Ask session id's driver for completions; sets *cid and the wake-up address.
 * STORE_NOT_RUNNING when the driver is not running. */
enum store_rc store_completion_create(struct store *s, long long id, const char *code,
				      const char *kind, int cursor, long long *cid, char *wake,
				      size_t wakelen);

/* The driver's answer to completion cid (JSON array text, malloc'd, caller
 * frees) or STORE_NOTFOUND while there is none. */
enum store_rc store_completion_result(struct store *s, long long cid, char **candidates);

/* ---- session drivers (store_driver.c; app/DRIVER-PROTOCOL.md) ---- */

struct store_sync {
	const char *secret;         /* X-Tacitus-Secret */
	const char *peer;           /* the driver's address as nginx saw it, NULL = unknown */
	const char *body;           /* the sync's JSON text, read by PostgreSQL itself */
};

/* Whether a driver starting or running has this secret (a look-up of its hash in
 * the unique index batch_secret; nothing is written): STORE_OK when one has, else
 * STORE_NOTFOUND.  /driver/sync asks it before it reads the sync's body. */
enum store_rc store_driver_known(struct store *s, const char *secret);

/* One sync of a driver, in one transaction: find the running driver with that
 * secret (nothing else is read before), store its REPL state, wake-up address
 * (peer:wake_port), results and completions, and build the answer (JSON text,
 * malloc'd, caller frees; at most 100 statements).  STORE_NOTFOUND when no running
 * driver has that secret. */
enum store_rc store_driver_sync(struct store *s, const struct store_sync *y, char **answer);

/* The monitor, before launching driver id (< 0): record the hash of its secret. */
enum store_rc store_driver_secret(struct store *s, long long id, const char *owner,
				  const char *secret);

/* Keep `want` drivers of pool `pool` (arguments argv_json) starting or running:
 * under the admission rule, add the missing ones as long as max-creation allows,
 * and stop pooled drivers whose arguments are not argv_json (the configuration
 * changed) or that are more than `want`.  Sets *added. */
enum store_rc store_pool_refill(struct store *s, const char *pool, long want,
				const char *argv_json, const struct cfg *c, int *added);

/* Stop the sessions past their heartbeat, idle timeout or ttl (livy.conf and the
 * session's own values), or whose driver has not synced for
 * tacitus.session.driver-silence (a stopped or hung driver): their stop reason is
 * recorded and their drivers are killed by the monitors holding them (the session
 * then reads dead).  Sets *stopped. */
enum store_rc store_session_expire(struct store *s, const struct cfg *c, int *stopped);

/* ---- the history (store_history.c) ----
 *
 * Every batch and session ever submitted, deleted or past the retain window alike,
 * until the purge; never the internal driver rows.  A session's state is Livy's
 * while it lives, then how its driver ended (success, dead, killed), as in
 * report.jobs (sql/004_report.sql).  Times are UTC text, ISO 8601 with
 * milliseconds ("2026-12-05T15:35:32.123Z").
 */

/* One job as the history lists it; NULL = SQL NULL. */
struct store_history_row {
	const char *kind;           /* "batch" or "session" */
	long long id;
	const char *name, *owner, *proxy_user, *state;
	const char *submitted, *finished, *app_id;
};

/* What a page of the history asks: filters (NULL = any) and the window. */
struct store_history_query {
	const char *kind, *state, *owner;
	const char *like;           /* an ILIKE pattern over the name, NULL = no search */
	const char *id;             /* the search read as an id (digits), NULL = not one */
	bool view_all;              /* the caller sees every job (acl_can_view_all) ... */
	const char *user;           /* ... else only those owned by or run as this user */
	long from;
	int size;
};

struct store_history_page {
	void *res;                  /* PGresult the strings point into */
	long total;                 /* jobs matching, all pages together */
	int n;
	struct store_history_row *v;
};

/* A page of the jobs matching q, newest first (submission time, then id): the
 * search finds q->id exactly or q->like in the name, case-insensitive.  One
 * statement, planned with its values (a filter left NULL costs nothing); its
 * total exact.  Walks indexes (sql/009_history.sql, 010_history_speed.sql), never
 * sorts the whole history: a page costs about as much at either end of it. */
enum store_rc store_history_list(struct store *s, const struct store_history_query *q,
				 struct store_history_page *out);
void store_history_page_free(struct store_history_page *p);

/* One change of a job's state: from (NULL at its creation), to, at, reason. */
struct store_history_event {
	const char *from, *to, *at, *reason;
};

/* One job of the history with every field the job page shows, and its state
 * timeline, oldest change first (a session's: its driver's). */
struct store_history_job {
	void *res;
	struct store_history_row job;
	const char *queue, *started, *reason;       /* NULL = none */
	const char *duration_s;                     /* seconds as text, NULL = not ended */
	const char *session_kind;                   /* sessions only */
	const char *spark_ui_url, *driver_log_url;
	long long log_id;           /* the row its log lines hang off (a session's driver) */
	long log_lines;             /* lines stored */
	int n;
	struct store_history_event *events;
};

/* The batch (session false) or session `id` of the history, deleted or not: STORE_OK,
 * or STORE_NOTFOUND when there is none (never was, or purged). */
enum store_rc store_history_job(struct store *s, bool session, long long id,
				struct store_history_job *out);
void store_history_job_free(struct store_history_job *j);

/* ---- the history's end (store_history.c) ---- */

/* One small step of purging the history older than keep_days: finished jobs (batches,
 * session drivers) with all that hangs off them.  Either at most 50,000 log lines of
 * old jobs, or at most 100 old webhook events that are over (delivered or given up)
 * with their deliveries and attempts, or, when neither is left, at most 100 old jobs
 * with their state
 * changes and, for a driver, its session, statements and completions; one short
 * transaction each, so that purging never holds the API up.  Sets *removed to the
 * rows removed: 0 when nothing is left to purge.  (The reporting views over the
 * history are SQL only: sql/004_report.sql.) */
enum store_rc store_purge_step(struct store *s, int keep_days, long *removed);

/* ---- completion webhooks (store_hook.c; the outbox: sql/011_webhook.sql) ---- */

/* Fan up to 100 new events out into deliveries, one per URL: the event's callbackUrl
 * and, for a job's end, urls_json (a JSON array of the server's URLs), each to be
 * given up retry_ms after the event.  Sets *events to the events fanned out. */
enum store_rc store_hook_fan_out(struct store *s, const char *urls_json, long long retry_ms,
				 int *events);

/* A delivery to make: its id, URL, body, how many attempts it had, and the claim
 * that holds it (its end, as text). */
struct store_hook {
	long long id;
	const char *url, *payload;
	int attempts;
	const char *claim;
};

struct store_hooks {
	void *res;
	int n;
	struct store_hook *v;
};

/* Claim for instance, for claim_ms, up to max deliveries that are due (not delivered,
 * not given up, their next try past, nobody's claim running), the oldest first. */
enum store_rc store_hook_claim(struct store *s, const char *instance, long long claim_ms,
			       int max, struct store_hooks *out);
void store_hooks_free(struct store_hooks *h);

/* Record an attempt of delivery h by instance: the answer's status (0 = none),
 * error (NULL = none), how long it took; then, if h's claim still holds it:
 * delivered, or tried again in backoff_ms, or given up when that would be past its
 * time, and the claim released.  (A claim that lapsed meanwhile changes nothing:
 * the delivery is another sender's now.) */
enum store_rc store_hook_done(struct store *s, const struct store_hook *h, const char *instance,
			      long status, const char *error, long ms, bool delivered,
			      long long backoff_ms);

/* ---- the instances' counts (store_metrics.c) ---- */

/* Add `deltas` (metrics_deltas' JSON array of [name, labels, delta]) to instance's
 * series. */
enum store_rc store_metrics_add(struct store *s, const char *instance, const char *deltas);

/* Every instance's series, and the gauges read from the jobs themselves (jobs alive
 * by kind and state, warm-pool drivers; instance ""), sorted by name, instance,
 * labels: what metrics_render takes.  Free with store_metrics_free. */
struct store_metrics {
	void *res;
	int n;
	const char **instance, **name, **labels;
	double *value;
};
enum store_rc store_metrics_read(struct store *s, struct store_metrics *out);
void store_metrics_free(struct store_metrics *m);

#endif
