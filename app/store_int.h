/* store_int.h - what the store's files share and nothing else sees: the connection,
 * one way to run a statement, transactions, the admission rule, row helpers.
 *
 * Private to app/store_*.c: the rest of Tacitus includes store.h only.
 */
#ifndef TACITUS_STORE_INT_H
#define TACITUS_STORE_INT_H

#include "store.h"

#include <libpq-fe.h>

#define STORE_MAX_PREPARED 128      /* distinct statements one process prepares */
#define STORE_NUM_MAX 32            /* a number as text, e.g. a bigint parameter */

/* The LISTEN/NOTIFY channel: a batch or driver row to launch or to kill. */
#define STORE_CHANNEL "tacitus_batch"

#define STORE_ERROR_TEXT_MAX 256    /* the primary message of the last failure */
#define STORE_OWNER_MAX 128         /* a lease owner's name (an instance's) */
#define STORE_HOST_MAX 256          /* a host name, as the monitor registers it */
#define STORE_BOOT_ID_MAX 64        /* a boot id, likewise */

/* The advisory lock key of lease owner O's monitor (store_hold_owner), O being SQL text
 * (a parameter or a column).  Not the instance name's key (store_hold_name), which the
 * master holds for the whole instance. */
#define STORE_OWNER_KEY(O) "hashtextextended('tacitus monitor ' || " O ", 0)"

struct store {
	PGconn *conn;
	const char *listen;         /* the LISTEN statement of store_listen, NULL = none */
	bool in_tx;                 /* between store_begin() and store_commit()/store_rollback() */
	int n_prepared;
	const char *prepared[STORE_MAX_PREPARED];   /* see store_run */
	unsigned long session;      /* counts the server sessions: 1 once open, +1 per reconnect */
	unsigned long name_session; /* the session that holds the instance's name, 0 = none */
	unsigned long pub_session;  /* the session that holds a publisher's lock, 0 = none */
	char owner[STORE_OWNER_MAX];    /* the monitor whose lock this connection keeps
					   (store_hold_owner), "" = none */
	char host[STORE_HOST_MAX];      /* ... and where that monitor runs (its registration: */
	char boot_id[STORE_BOOT_ID_MAX];        /* table monitor) */
	unsigned long owner_session;    /* the session that holds that lock and registered
					   the monitor, 0 = none */
	char err_state[6];          /* SQLSTATE of the last failed statement, "" = none known */
	char err_text[STORE_ERROR_TEXT_MAX];
};

/* The visible-batch filter; R is the parameter holding the retain time in seconds. */
#define STORE_VISIBLE(R) "b.deleted_at IS NULL AND (b.finished_at IS NULL OR " \
	"b.finished_at > now() - " R "::int * interval '1 second')"

/* The ids of the batches STORE_VISIBLE(R) shows with id >= 0 (sessions' drivers have
 * ids below 0), as a query: the rule cut into its two disjoint halves, each an
 * index-only scan (unfinished: batch_active; finished within the retain time:
 * batch_recent, sql/016_list_visible.sql).  Keep it in step with STORE_VISIBLE. */
#define STORE_VISIBLE_IDS(R) \
	"SELECT x.id FROM batch x WHERE x.deleted_at IS NULL AND x.finished_at IS NULL " \
	"AND x.id >= 0 UNION ALL SELECT x.id FROM batch x WHERE x.deleted_at IS NULL " \
	"AND x.id >= 0 AND x.finished_at > now() - " R "::int * interval '1 second'"

/* Take lease owner s->owner's lock on this session, if s has one and does not hold it
 * yet (store_hold_owner), then register the monitor (table monitor: s->host, s->boot_id),
 * so that other monitors look at its lock from then on: STORE_OK when both are done,
 * STORE_DUPLICATE when another session holds the lock, STORE_ERROR (logged; a lock
 * taken without its registration is taken again, stacked, and registered at the next
 * call).  Sends no statement through store_run (store_ensure calls it). */
enum store_rc store_take_owner_lock(struct store *s);

/* Run one statement with n text parameters (n = 0: no parameters, several
 * statements allowed).  `sql` must be a string literal or another static text:
 * each process prepares a statement the first time it runs, and the cache of
 * prepared statements is keyed by the address of the SQL text, not its content.
 * When the connection broke outside a transaction, reconnects and tries once
 * more: every such statement is a read or a write guarded by owner and state, so
 * a second run changes nothing the first one did; an insert, which a second run
 * would repeat, runs inside store_begin/store_commit (never tried again).  Returns the result (caller
 * PQclears it), or NULL after logging the failure with `what`. */
PGresult *store_run(struct store *s, const char *what, const char *sql, int n,
		    const char *const *params);

/* store_run for a search whose best plan depends on which of its filters are given:
 * planned at each run with the values of its parameters (an unnamed statement), so
 * that a filter left empty folds away and one given may use its index.  `sql` need
 * not be static. */
PGresult *store_run_planned(struct store *s, const char *what, const char *sql, int n,
			    const char *const *params);

/* True when the last statement that store_run reported failed was refused for what it
 * carried (a value PostgreSQL cannot take, a constraint, a trigger's exception): the
 * connection is up and the SQLSTATE is none of the passing troubles (connection,
 * serialization or deadlock, resources, cancel or shutdown, lock timeout, system
 * error), so running it again would be refused again. */
bool store_refused(struct store *s);

/* store_run for a statement without rows: 0, or -1 (logged). */
int store_run_cmd(struct store *s, const char *what, const char *sql);

/* store_run for a guarded change of one row: STORE_OK when it changed exactly one,
 * STORE_NOTFOUND when its guard held none (e.g. a lease lost), STORE_ERROR (logged). */
enum store_rc store_run_one(struct store *s, const char *what, const char *sql, int n,
			    const char *const *params);

/* COPY ... FROM STDIN (`sql`) with len bytes of COPY text `data`, inside a
 * transaction (never tried again): 0, or -1 after logging the failure with `what`
 * (store_refused tells whether the data itself was refused). */
int store_copy_in(struct store *s, const char *what, const char *sql, const char *data,
		  size_t len);

/* BEGIN, COMMIT (0 or -1, logged), ROLLBACK (whatever state the transaction is in). */
int store_begin(struct store *s);
int store_commit(struct store *s);
void store_rollback(struct store *s);

/* Livy's admission rule, the same for batches, sessions and the warm pool: one
 * creation at a time across every instance (an advisory lock held until the
 * transaction ends), and no more than livy.server.session.max-creation jobs
 * starting or running together; beyond Livy, no more than
 * tacitus.session.max-per-user of them owned by one user.  Inside a transaction:
 * takes the lock and sets *live to the number of such jobs (counted up to
 * max-creation).  Returns STORE_OK, STORE_USER_LIMIT when `owner` (NULL = nobody)
 * holds max-per-user of them, or STORE_ERROR (logged). */
enum store_rc store_admission(struct store *s, const struct cfg *c, const char *owner,
			      long *live);

/* The same rule in pieces, for a caller that folds the counts into a query of its own
 * (one round trip less while the lock is held: POST /batches is the hot path).  The
 * lock first (0 or -1, logged), then a query whose select list holds
 * STORE_ADMISSION_COLUMNS over parameters M = a.maxc, U = a.owner (NULL: no per-user
 * limit, no second count), L = a.maxu, read by store_admission_read from column col
 * (the columns col, col + 1). */
struct store_admission {
	char maxc[STORE_NUM_MAX], maxu[STORE_NUM_MAX];
	const char *owner;
};
#define STORE_ADMISSION_COLUMNS(M, U, L) \
	"(SELECT count(*) FROM (SELECT 1 FROM batch WHERE state IN ('starting', 'running') " \
	"LIMIT " M "::bigint) live), " U "::text IS NOT NULL AND (SELECT count(*) FROM " \
	"(SELECT 1 FROM batch WHERE state IN ('starting', 'running') AND owner = " U \
	" LIMIT " L "::bigint) mine) >= " L "::bigint"
int store_admission_lock(struct store *s);
void store_admission_params(const struct cfg *c, const char *owner, struct store_admission *a);
enum store_rc store_admission_read(PGresult *r, int col, long *live);

/* A new driver row (a batch row with a negative id) for a session (pool NULL) or
 * for `pool`, in state starting with an event saying `reason`, tracked by `tracker`
 * (NULL = "local"); the monitors are notified.  Sets *id (negative). */
enum store_rc store_insert_driver(struct store *s, const char *owner, const char *proxy_user,
				  const char *request_json, const char *argv_json,
				  const char *pool, const char *tracker, const char *reason,
				  long long *id);

/* Column c of row `row`, NULL for SQL NULL. */
const char *store_col(PGresult *r, int row, int c);

/* Column c of every row of r ("" for SQL NULL), pointing into r: a malloc'd array
 * of PQntuples(r) + 1 (the caller frees it, before r is cleared), NULL when memory
 * ran out.  For results handed out as parallel columns. */
const char **store_col_array(PGresult *r, int c);

/* Column c of the first row into buf ("" when NULL or there is no row). */
void store_copy_col(PGresult *r, int c, char *buf, size_t len);

/* True when key names an id (all digits), not a name. */
bool store_is_id(const char *key);

/* The retain time of finished jobs (livy.server.session.state-retain.sec) as text. */
void store_retain(const struct cfg *c, char buf[STORE_NUM_MAX]);

/* The row of `key` in the API's view: by id when it is all digits (sql_id), else
 * the newest by name (sql_name); both take the key as $1 and the retain time as
 * $2.  NULL on error (logged). */
PGresult *store_by_key(struct store *s, const char *what, const char *key, const struct cfg *c,
		       const char *sql_id, const char *sql_name);

/* A list's statement with the retain time written into its text, made once per
 * process (the configuration is fixed for its life) into the caller's static buf:
 *	return buf[0] ? buf : store_fixed_sql(buf, sizeof buf, "what",
 *		snprintf(buf, sizeof buf, "... %ld ...", c->state_retain_sec));
 * takes snprintf's n and returns buf, or NULL when it did not fit (logged with what;
 * buf is emptied).  With no parameter in its filter PostgreSQL plans the statement
 * once for all calls (a generic plan) with as good an estimate of what is visible;
 * with the retain time a parameter it plans at every call (a custom plan), a third of
 * the time of a list's query (issue 25). */
const char *store_fixed_sql(char *buf, size_t len, const char *what, int n);

/* Livy's list window over what `sql` (store_fixed_sql's) selects: $1 and $2 are the
 * offset and limit of the page.  NULL on error (logged). */
PGresult *store_page_fixed(struct store *s, const char *what, const char *sql, long from,
			   long size);

#endif
