/* monitor.c - the per-instance maintenance loop: launch, track, kill, adopt. */
#include "monitor.h"
#include "argv.h"
#include "jobenv.h"
#include "jobuser.h"
#include "keeper.h"
#include "launcher.h"
#include "leasewatch.h"
#include "log.h"
#include "metrics.h"
#include "shim.h"
#include "store.h"
#include "track.h"
#include "sparkjar.h"
#include "track_standalone.h"
#include "track_yarn.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#define CLAIM_PER_CYCLE 32
#define MIN_CYCLE_MS 50         /* notifications arriving faster are handled together */
#define MAINTENANCE_MS 1000     /* leases renewed, adoption and expiry: once a second */
#define OUTPUT_CYCLE_MS 200     /* running jobs' output stored beyond a round each, per cycle */
#define ORPHAN_LOOK_MS 250      /* the other monitors' locks: looked at this often */
#define PURGE_EVERY_MS 10000    /* tacitus.history.keep-days: a look every 10 s ... */
#define PURGE_BUDGET_MS 200     /* ... purging for at most this long */
#define PURGE_DAYS_MAX 1000000
#define BUSY_LOG_MS 10000       /* "every job account is busy", at most this often */
#define LABEL_MAX 64            /* "batch 12", "driver 3" */
#define JOB_DIR_MAX 1200        /* var/jobs/batch-<id> */
#define NOTE_MAX 600            /* a line of our own in a job's log */
#define HOST_MAX 256
#define BOOT_ID_MAX 64
#define PROGRAM_MAX 1100        /* SPARK_HOME/bin/spark-submit */
#define APP_NAME_MAX 128        /* PostgreSQL application_name */
#define RM_FDS 16               /* folders nftw keeps open removing a job folder */
#define ENV_NAMES_MAX 2048      /* the names of a job's variables, for the log */
#define YARN_REOPEN_MS 60000    /* no ResourceManager known: looked for again this often */
#define DIAG_MAX 400            /* YARN's diagnostics quoted in a reason */
#define YARN_LOG_EVERY_MS 10000 /* a running YARN job's driver log is read this often */
#define YARN_AGGREGATION_WAIT_MS 300000  /* an ended app's log, not yet aggregated: waited for */
#define YARN_BACKOFF_MAX_MS 15000   /* looks at an RM that does not answer: at most this far apart */
#define SA_LOG_EVERY_MS 5000    /* a running standalone driver's log is read this often */
#define SA_REOPEN_MS 60000      /* the masters' client could not be made: tried again */
#define SA_VERSION_MAX 32
#define SA_LOG_WAIT_MS 60000    /* an ended driver whose log cannot be read: tried again */
#define SA_WAIT_MAX 64          /* ... for this many jobs at once (more end at once) */

extern char **environ;

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static volatile sig_atomic_t stopping;
static int wake_pipe[2] = {-1, -1};     /* SIGCHLD -> a byte: a job shim ended */

static void on_term(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_child(int sig)
{
	int saved = errno;

	(void)sig;
	/* a full pipe means a wake-up is pending anyway */
	(void)!write(wake_pipe[1], "", 1);
	errno = saved;
}

struct mon {
	const struct cfg *cfg;
	const struct monitor_opts *o;
	struct store *s;
	char host[HOST_MAX];
	char boot_id[BOOT_ID_MAX];
	char spark_submit[PROGRAM_MAX];
	char **job_env;             /* every job's environment (jobenv.h), made at start */
	struct jobuser_pool *users; /* the accounts jobs run as (jobuser.h) */
	struct leasewatch owners;   /* other monitors, as this one saw them */
	struct leasewatch_locks locks;  /* ... and their connections' locks */
	long long last_orphan_look; /* now_ms() of the last look at those locks */
	bool held;                  /* this monitor's own lock is held (store_hold_owner) */
	long long last_renewal;     /* now_ms() of the last renewal attempt, 0 = none yet */
	long long last_purge;       /* now_ms() of the last purge of old history */
	long long last_busy_log;    /* now_ms() of the last "every job account is busy" */
	bool renewed;               /* whether that attempt renewed the leases */
	bool more_output;           /* a job had more output than a cycle stores: no sleep */
	long long output_until;     /* now_ms() until which this cycle reads more output */
	struct yarn_rm *yarn;       /* the ResourceManagers' client, opened at the first
				       YARN job (track_yarn.h) */
	long long yarn_opened;      /* now_ms() of the last attempt to open it */
	long long yarn_looked;      /* now_ms() of the last look at the RM */
	int yarn_failures;          /* looks in a row that got no answer (backoff) */
	long long yarn_leak_checked;    /* now_ms() of the last leak check */
	bool yarn_log_round;        /* this cycle reads running YARN jobs' driver logs */
	long long yarn_logs_read;   /* now_ms() of the last such round */
	struct sa_master *sa;       /* the standalone masters' client, opened at the first
				       standalone job (track_standalone.h) */
	char sa_master_url[256];    /* ... for this spark:// URL */
	long long sa_opened;        /* now_ms() of the last attempt to open it */
	bool sa_known;              /* the installed Spark's facts below were looked for */
	char sa_version[SA_VERSION_MAX];    /* the installed Spark's version */
	char *sa_module_options;    /* ... and its Java module options ("" = none found) */
	bool sa_round;              /* this cycle asks the master for its drivers' states */
	bool sa_round_failed;       /* ... and a call of it got no answer */
	int sa_failures;            /* rounds in a row with a call that got no answer */
	long long sa_looked;        /* now_ms() of the last round */
	bool sa_log_round;          /* this cycle reads running standalone drivers' logs */
	long long sa_logs_read;     /* now_ms() of the last such round */
	struct sa_wait {            /* ended drivers whose log could not be read yet */
		long long id, since;
	} sa_wait[SA_WAIT_MAX];
	int sa_n_wait;
};

/* Renew this monitor's leases once MAINTENANCE_MS passed since the last attempt
 * (one UPDATE; an attempt that failed is not tried again before the period is
 * over either, so that a refused renewal cannot spin).  Called at each maintenance,
 * between the jobs of a cycle and between the rounds of one job's output, so that
 * no cycle outlasts a lease however long it takes (monitor.h).  Returns whether
 * the leases are held, as the last attempt said. */
static bool keep_leases(struct mon *m)
{
	if (m->last_renewal && now_ms() - m->last_renewal < MAINTENANCE_MS)
		return m->renewed;
	m->renewed = store_renew_leases(m->s, m->o->instance, m->o->lease_ttl) == STORE_OK;
	m->last_renewal = now_ms();
	return m->renewed;
}

/* "batch 7" or, for a session's driver (a batch row with a negative id), "driver 3". */
static const char *label(const struct store_job *j, char *buf, size_t len)
{
	snprintf(buf, len, "%s %lld", j->id < 0 ? "driver" : "batch", j->id < 0 ? -j->id : j->id);
	return buf;
}

/* Append lines (a JSON array) and move j's offsets to out/err (those of its YARN
 * application master's stdout and stderr when am); keeps j current. */
static enum store_rc append(struct mon *m, struct store_job *j, json_object *lines,
			    long long out, long long err, bool am, const struct track_facts *f)
{
	/* a YARN id in the output of a job that runs here is only what its code printed:
	 * shown to every user, it is taken for a YARN job's alone */
	bool yarn = j->tracker && !strcmp(j->tracker, "yarn");
	long n = (long)json_object_array_length(lines);
	struct store_line *v = calloc((size_t)n + 1, sizeof *v);
	enum store_rc rc;

	if (!v) {
		log_error("monitor: out of memory for %ld log lines", n);
		return STORE_ERROR;
	}
	for (long i = 0; i < n; i++) {
		json_object *line = json_object_array_get_idx(lines, (size_t)i);

		v[i] = (struct store_line){json_object_get_string(line),
					   (size_t)json_object_get_string_len(line)};
	}
	rc = store_append_log(m->s, j->id, m->o->instance, j->log_lines, v, n, out, err, am,
			      yarn && f && f->app_id[0] ? f->app_id : NULL);
	free(v);
	if (rc == STORE_OK) {
		metrics_count(METRICS_LOG_LINES, n);
		j->log_lines += n;
		*(am ? &j->am_out_offset : &j->out_offset) = out;
		*(am ? &j->am_err_offset : &j->err_offset) = err;
	}
	return rc;
}

/* append, and when PostgreSQL refuses the lines, one line saying so in their place
 * (the offsets move past them either way): what a job prints can delay it by a
 * round, never hold it up.  STORE_REFUSED when even that line was refused. */
static enum store_rc append_or_note(struct mon *m, struct store_job *j, json_object *lines,
				    long long out, long long err, bool am,
				    const struct track_facts *f)
{
	long long bytes = out - (am ? j->am_out_offset : j->out_offset) +
			  err - (am ? j->am_err_offset : j->err_offset);
	enum store_rc rc = append(m, j, lines, out, err, am, f);
	char line[NOTE_MAX], what[LABEL_MAX];
	json_object *one;

	if (rc != STORE_REFUSED)
		return rc;
	snprintf(line, sizeof line, "tacitus: %lld bytes of %s could not be stored: %s", bytes,
		 am ? "the driver's log" : "output", store_last_error(m->s));
	log_warn("%s: %s", label(j, what, sizeof what), line);
	one = json_object_new_array();
	json_object_array_add(one, json_object_new_string(line));
	rc = append(m, j, one, out, err, am, NULL);
	json_object_put(one);
	return rc;
}

/* Store new lines of job j's stdout, then of its stderr, one statement per round of
 * at most TRACK_MAX_READ bytes of each: all of it when final, else one round, and
 * more while they find more and the cycle's OUTPUT_CYCLE_MS for them lasts (a loud
 * job keeps up with its output, every job gets its round each cycle, and a cycle
 * with many loud jobs still ends soon; what is left is read at the next cycle,
 * which then comes at once: m->more_output).  Keeps j's offsets and line count current.
 * Output that PostgreSQL refuses is stored as one line saying so (append_or_note).
 * Between rounds the leases are kept (a final store may take many).  Returns
 * STORE_OK; STORE_REFUSED when even that line was refused (the offsets stay); or
 * STORE_ERROR / STORE_NOTFOUND when the database could not be reached or the lease
 * is lost (nothing moved: tried again at the next cycle, or by the new owner). */
static enum store_rc store_output(struct mon *m, struct store_job *j, bool final)
{
	for (;;) {
		json_object *lines = json_object_new_array();
		struct track_facts f = {{0}};
		long long out = j->out_offset, err = j->err_offset;
		int n1 = track_read_output(j->job_dir, "stdout", &out, final, lines, &f);
		int n2 = track_read_output(j->job_dir, "stderr", &err, final, lines, &f);
		bool moved = out != j->out_offset || err != j->err_offset;
		enum store_rc rc = STORE_OK;
		char what[LABEL_MAX];

		if (n1 < 0 || n2 < 0)
			log_warn("%s: cannot read the output in %s: %s", label(j, what, sizeof what),
				 j->job_dir, strerror(errno));
		if (json_object_array_length(lines) > 0 || moved)
			rc = append_or_note(m, j, lines, out, err, false, &f);
		json_object_put(lines);
		if (rc != STORE_OK)
			return rc;
		if (final ? n1 <= 0 && n2 <= 0 : !moved)
			return STORE_OK;
		if (!final && now_ms() >= m->output_until) {
			m->more_output = true;
			return STORE_OK;
		}
		if (!keep_leases(m))
			return STORE_ERROR;
	}
}

/* One line of our own in the batch's log, e.g. why it ended. */
static void note(struct mon *m, struct store_job *j, const char *text)
{
	json_object *a = json_object_new_array();

	json_object_array_add(a, json_object_new_string(text));
	append(m, j, a, j->out_offset, j->err_offset, false, NULL);
	json_object_put(a);
}

static bool same(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

static int unlink_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP || flag == FTW_DNR ? rmdir(path) : unlink(path)) < 0 &&
	    errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	return 0;
}

/* The job ended and its output is in PostgreSQL: its folder goes (depth first, never
 * following a symlink out of it), when it is a folder of this host's jobs. */
static void remove_job_dir(struct mon *m, const struct store_job *j)
{
	char jobs[JOB_DIR_MAX], work[JOB_DIR_MAX + sizeof "/work"];
	size_t n = (size_t)snprintf(jobs, sizeof jobs, "%s/jobs/", m->o->var_dir);

	if (!j->job_dir || !same(j->host, m->host) || strncmp(j->job_dir, jobs, n) ||
	    strchr(j->job_dir + n, '/'))
		return;
	/* what the job made in its working folder is its account's to remove */
	snprintf(work, sizeof work, "%s/work", j->job_dir);
	keeper_empty(m->users, work, JOBUSER_EMPTY_MONITOR_MS);
	if (nftw(j->job_dir, unlink_entry, RM_FDS, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0 &&
	    errno != ENOENT)
		log_warn("cannot remove %s: %s", j->job_dir, strerror(errno));
}

/* What may still run as the account of j, launched on this host, goes once its shim
 * is gone: processes that left the job's process group (keeper_reclaim: unless
 * another job holds the account now, whose taking killed them), and what the
 * account left in the host's shared places.  Done after j's state is written: a
 * client waiting for a job's end does not wait for /proc to be scanned and /tmp
 * swept (issue 25), and the account's next job never depends on it (taking an
 * account kills and sweeps first).  Nothing for a job whose shim never started. */
static void reclaim(struct mon *m, const struct store_job *j)
{
	uid_t uid;
	gid_t gid;

	if (j->job_dir && same(j->host, m->host) && shim_read_account(j->job_dir, &uid, &gid) == 0)
		keeper_reclaim(m->users, uid);
}

/* The one way a job ends here: the state change, then what its account may still
 * run (reclaim; also when the change could not be written), then its folder goes. */
static void finish(struct mon *m, struct store_job *j, const char *to, int code,
		   const char *reason)
{
	enum store_rc rc = store_transition(m->s, j->id, m->o->instance, j->state, to, code, reason);

	if (rc == STORE_OK)
		metrics_ended(j->id < 0, to);
	reclaim(m, j);
	if (rc == STORE_OK)
		remove_job_dir(m, j);
}

static void end_job(struct mon *m, struct store_job *j, const char *to, int code,
		    const char *reason)
{
	char line[NOTE_MAX + sizeof "tacitus: "];

	snprintf(line, sizeof line, "tacitus: %s", reason);
	note(m, j, line);
	finish(m, j, to, code, reason);
}

/* A session driver's secret: ARGV_SECRET_BYTES random bytes in hex, in
 * work/driver.secret (wfd: the folder; 0600, the job's account's) for the driver,
 * and its hash in the database for the workers. */
static int hand_secret(struct mon *m, struct store_job *j, int wfd, const struct jobuser *u,
		       const char *what)
{
	unsigned char raw[ARGV_SECRET_BYTES];
	char hex[ARGV_SECRET_HEX_LEN + 1];
	int fd, rc = -1;

	if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
		log_error("%s: getrandom: %s", what, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(hex + 2 * i, 3, "%02x", raw[i]);
	fd = openat(wfd, ARGV_SECRET_FILE, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
		    0600);
	if (fd < 0 || write(fd, hex, ARGV_SECRET_HEX_LEN) != ARGV_SECRET_HEX_LEN ||
	    write(fd, "\n", 1) != 1 || keeper_chown(fd, u) < 0)
		log_error("%s: cannot write work/%s: %s", what, ARGV_SECRET_FILE, strerror(errno));
	else if (store_driver_secret(m->s, j->id, m->o->instance, hex) == STORE_OK)
		rc = 0;
	if (fd >= 0)
		close(fd);
	explicit_bzero(hex, sizeof hex);
	return rc;
}

/* What an attempt whose shim never started left in dir (dfd) as work: gone, or -1.
 * A folder of a job account is emptied as that account; one of ours can hold only
 * a driver's secret. */
static int clear_old_work(struct mon *m, int dfd, const char *work)
{
	struct stat st;
	int wfd;

	if (fstatat(dfd, "work", &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, "work", 0);
	if (st.st_uid != getuid() && keeper_empty(m->users, work, JOBUSER_EMPTY_MONITOR_MS) < 0)
		return -1;
	if (st.st_uid == getuid() &&
	    (wfd = openat(dfd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) >= 0) {
		unlinkat(wfd, ARGV_SECRET_FILE, 0);
		close(wfd);
	}
	return unlinkat(dfd, "work", AT_REMOVEDIR);
}

/* The job's working folder dir/work (its cwd and home), made afresh: an open fd of
 * it, or -1 after logging.  Everything goes through descriptors opened without
 * following symlinks (a link planted in jobs/ must not turn the chown on another
 * file).  Filled (a driver's secret), then given to the job's account (the
 * keeper's fchown). */
static int make_work_dir(struct mon *m, const char *dir, char *work, size_t len,
			 const char *what)
{
	struct stat st;
	int dfd, wfd = -1;

	snprintf(work, len, "%s/work", dir);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 || fstat(dfd, &st) < 0 || st.st_uid != getuid()) {
		log_error("%s: %s is not a folder of ours", what, dir);
	} else if (clear_old_work(m, dfd, work) < 0) {
		log_error("%s: cannot clear %s of an earlier attempt: %s", what, work,
			  strerror(errno));
	} else if (mkdirat(dfd, "work", 0700) < 0 ||
		   (wfd = openat(dfd, "work", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
		   fstat(wfd, &st) < 0 || st.st_uid != getuid()) {
		log_error("%s: cannot create %s: %s", what, work, strerror(errno));
		if (wfd >= 0)
			close(wfd);
		wfd = -1;
	}
	if (dfd >= 0)
		close(dfd);
	return wfd;
}

/* Give the job's account its working folder (wfd), filled. */
static int give_work_dir(int wfd, const char *work, const struct jobuser *u, const char *what)
{
	if (keeper_chown(wfd, u) < 0) {
		log_error("%s: cannot give %s to uid %d: %s", what, work, (int)u->uid,
			  strerror(errno));
		return -1;
	}
	return 0;
}

/* The preparation of a launch failed: let the account go, end the job dead. */
static void not_launched(struct mon *m, struct store_job *j, struct jobuser *u, int wfd,
			 const char *why)
{
	if (wfd >= 0)
		close(wfd);
	jobuser_release(u);
	end_job(m, j, "dead", -1, why);
}

static bool yarn_job(const struct store_job *j)
{
	return !strcmp(j->tracker, "yarn");
}

/* True when j was launched (or claimed) on this host since its last boot: its
 * processes and folder are here to check. */
static bool local(const struct mon *m, const struct store_job *j)
{
	return same(j->host, m->host) && same(j->boot_id, m->boot_id);
}

/* The state a launched job is in: running, or for a YARN job starting until YARN
 * runs its application. */
static const char *launched_state(const struct store_job *j)
{
	return yarn_job(j) ? "starting" : "running";
}

/* spark-submit's arguments for j: as stored, and for a YARN job with its tag. */
static json_object *launch_args(const struct store_job *j)
{
	json_object *a = json_tokener_parse(j->argv_json), *tagged;

	if (!a || !yarn_job(j))
		return a;
	tagged = j->yarn_tag ? argv_with_yarn_tag(a, j->yarn_tag) : NULL;
	json_object_put(a);
	return tagged;
}

static void launch(struct mon *m, struct store_job *j)
{
	char dir[JOB_DIR_MAX], work[JOB_DIR_MAX + sizeof "/work"], what[LABEL_MAX];
	struct launch_proc p;
	struct jobuser u;
	json_object *args;
	int taken, wfd;

	label(j, what, sizeof what);
	if (j->deleted) {
		end_job(m, j, "killed", -1, "deleted before it was launched");
		return;
	}
	if (j->id < 0)
		snprintf(dir, sizeof dir, "%s/jobs/driver-%lld", m->o->var_dir, -j->id);
	else
		snprintf(dir, sizeof dir, "%s/jobs/batch-%lld", m->o->var_dir, j->id);
	j->job_dir = dir;
	/* 0711: a job reaches its own work/ inside, and nothing else of the folder */
	if (mkdir(dir, 0711) < 0 && errno != EEXIST) {
		log_error("%s: cannot create %s: %s", what, dir, strerror(errno));
		end_job(m, j, "dead", -1, "cannot create the job folder");
		return;
	}
	/* An earlier attempt whose monitor died between mkdir and recording the
	 * launch: if its shim ever started, that is the launch (never run a job
	 * twice); if not, nothing ran and the job starts now. */
	if (shim_read_pid(dir, &p.pid, &p.start_ticks) == 0) {
		log_info("%s: the job shim %d of an earlier launch attempt is the launch", what,
			 (int)p.pid);
		store_launched(m->s, j->id, m->o->instance, p.pid, p.start_ticks, dir, m->host,
			       m->boot_id, launched_state(j));
		return;
	}
	taken = jobuser_take(m->users, &u);
	/* nothing that ran as the account before may meet this job */
	if (taken > 0 && keeper_purge(&u) < 0) {
		log_error("%s: uid %d: what runs as it could not be killed: %s", what, (int)u.uid,
			  strerror(errno));
		jobuser_release(&u);
		taken = 0;
	}
	if (taken <= 0) {
		/* claimed but not launched: tried again at the next cycle (watch) */
		if (taken == 0 && now_ms() - m->last_busy_log >= BUSY_LOG_MS) {
			log_warn("%s: every job account is busy; launched when one is free", what);
			m->last_busy_log = now_ms();
		}
		j->job_dir = NULL;
		return;
	}
	if ((wfd = make_work_dir(m, dir, work, sizeof work, what)) < 0) {
		not_launched(m, j, &u, wfd, "cannot create the job folder");
		return;
	}
	if (j->id < 0 && hand_secret(m, j, wfd, &u, what) < 0) {
		not_launched(m, j, &u, wfd, "the driver's secret could not be handed over");
		return;
	}
	if (give_work_dir(wfd, work, &u, what) < 0) {
		not_launched(m, j, &u, wfd, "cannot give the job its folder");
		return;
	}
	args = launch_args(j);
	if (!args || keeper_spawn(m->o->self, dir, m->spark_submit, args, m->job_env, &u, what,
				  &p) < 0) {
		json_object_put(args);
		not_launched(m, j, &u, wfd, "the job shim could not be started");
		return;
	}
	json_object_put(args);
	close(wfd);
	jobuser_release(&u);
	log_info("%s: launched %s (pid %d, uid %d) in %s", what, m->spark_submit, (int)p.pid,
		 (int)u.uid, dir);
	if (store_launched(m->s, j->id, m->o->instance, p.pid, p.start_ticks, dir, m->host,
			   m->boot_id, launched_state(j)) != STORE_OK) {
		log_error("%s: launch not recorded; killing process group %d", what, (int)p.pid);
		keeper_kill(p.pid, p.start_ticks, m->boot_id, SIGKILL);
	} else {
		metrics_count(METRICS_LAUNCHES, 1);
		if (j->id < 0 && !strcmp(cfg_tracker(m->cfg), "standalone"))
			note(m, j, "tacitus: a standalone cluster runs no Python driver in cluster "
			     "deploy mode: this session's driver runs here (client mode), its "
			     "executors on the cluster");
	}
}

/* The job's account may no longer reach its folder (the shim does it when the job
 * ends; a shim killed or gone could not): its working folder waits there for the
 * monitor, and the account may serve the next job at once. */
static void lock_out(const struct store_job *j)
{
	if (j->job_dir && chmod(j->job_dir, 0700) < 0 && errno != ENOENT)
		log_warn("cannot lock %s: %s", j->job_dir, strerror(errno));
}

/* A delete of a job whose process runs: SIGTERM to its group, SIGKILL after the grace. */
static void stop_process(struct mon *m, struct store_job *j, const char *what)
{
	if (j->kill_age < 0) {
		log_info("%s: %s; SIGTERM to process group %d", what,
			 j->stop_reason ? j->stop_reason : "deleted", (int)j->pid);
		keeper_kill(j->pid, j->pid_start, m->boot_id, SIGTERM);
		store_kill_sent(m->s, j->id, m->o->instance);
	} else if (j->kill_age >= m->o->kill_grace) {
		log_info("%s: still alive after %ds; SIGKILL to process group %d",
			 what, m->o->kill_grace, (int)j->pid);
		lock_out(j);
		keeper_kill(j->pid, j->pid_start, m->boot_id, SIGKILL);
	}
}

/* Whether any process is in process group pgid (a zombie counts; one we may not
 * signal too): kill(2) with no signal says ESRCH only when there is none. */
static bool group_has_members(pid_t pgid)
{
	return pgid > 0 && (kill(-pgid, 0) == 0 || errno != ESRCH);
}

/* j's shim is gone: stragglers of its group (e.g. an orphaned driver) go too, if
 * the group can be proved to be still the job's (launcher.h; the keeper scans /proc
 * for that, so only when the group has members left: a group that has none cannot
 * get one), so that nothing of the group writes to its output any more; then the
 * rest of the output is stored (what store_output returns).  Processes of the
 * job's account out of its group go when the end is written (finish: reclaim). */
static enum store_rc process_gone(struct mon *m, struct store_job *j)
{
	lock_out(j);
	if (group_has_members(j->pid))
		keeper_kill(j->pid, j->pid_start, m->boot_id, SIGKILL);
	return store_output(m, j, true);
}

/* A launched job: store output, carry out a delete, end it when its process is gone.
 * What happens to its output (stored, refused, the database away) does not stop
 * the kill and the end: only a lost lease does, and the end waits until the rest
 * of the output is stored (or replaced by a line saying why it could not be). */
static void watch(struct mon *m, struct store_job *j)
{
	char reason[NOTE_MAX], what[LABEL_MAX];
	int code, signaled;
	enum store_rc rc;

	label(j, what, sizeof what);
	if (!j->pid || !j->job_dir) {
		launch(m, j);       /* claimed by this instance before a restart */
		return;
	}
	if (store_output(m, j, false) == STORE_NOTFOUND)
		return;             /* no longer ours: the new owner watches it */
	if (launch_alive(j->pid, j->pid_start)) {
		if (j->deleted)
			stop_process(m, j, what);
		return;
	}
	rc = process_gone(m, j);
	if (rc == STORE_ERROR || rc == STORE_NOTFOUND) {
		reclaim(m, j);      /* the end waits for the database or the new owner */
		return;
	}
	if (shim_read_status(j->job_dir, &code, &signaled) < 0) {
		end_job(m, j, j->deleted ? "killed" : "dead", -1,
			j->deleted ? "killed on request" :
			"the job process ended without an exit status (lost with its host or killed)");
		return;
	}
	if (j->deleted && j->stop_reason) {
		snprintf(reason, sizeof reason, "session stopped: %s", j->stop_reason);
		end_job(m, j, "killed", code, reason);
	} else if (j->deleted) {
		snprintf(reason, sizeof reason, "killed on request (%s %d)",
			 signaled ? "signal" : "exit code", signaled ? code - 128 : code);
		end_job(m, j, "killed", code, reason);
	} else if (code == 0) {
		finish(m, j, "success", 0, "spark-submit exited with code 0");
	} else {
		snprintf(reason, sizeof reason, "spark-submit %s %d",
			 signaled ? "was killed by signal" : "exited with code",
			 signaled ? code - 128 : code);
		end_job(m, j, "dead", code, reason);
	}
}

/* ---- YARN jobs: spark-submit hands the application to YARN, which says how it ends ---- */

/* A YARN job's spark-submit ended: the rest of its output, and its exit code
 * recorded once (j->exit_code).  Returns 0, or -1 when that could not be stored
 * (tried again at the next cycle). */
static int submit_ended(struct mon *m, struct store_job *j)
{
	char line[NOTE_MAX];
	int code, signaled;
	enum store_rc rc = process_gone(m, j);

	/* the application goes on without the account: it is released now, whatever
	 * the state */
	reclaim(m, j);
	if (rc == STORE_ERROR || rc == STORE_NOTFOUND)
		return -1;
	if (shim_read_status(j->job_dir, &code, &signaled) < 0)
		code = 255;         /* killed with its shim: it said nothing */
	if (store_submit_ended(m->s, j->id, m->o->instance, code) != STORE_OK)
		return -1;
	j->exit_code = code;
	snprintf(line, sizeof line, "tacitus: spark-submit exited with code %d; YARN tracks the "
		 "application tagged %s", code, j->yarn_tag);
	note(m, j, line);
	return 0;
}

/* Whether YARN says application a ended. */
static bool app_ended(const struct yarn_app *a)
{
	const char *to = yarn_livy_state(a->state, a->final_status);

	return strcmp(to, "starting") && strcmp(to, "running");
}

/* YARN's diagnostics into j's log, a line each. */
static void note_diagnostics(struct mon *m, struct store_job *j, const char *diag)
{
	json_object *lines = json_object_new_array();
	char *copy = strdup(diag), *save = NULL;

	for (char *l = copy ? strtok_r(copy, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char line[NOTE_MAX];
		snprintf(line, sizeof line, "YARN diagnostics: %s", l);
		json_object_array_add(lines, json_object_new_string(line));
	}
	if (json_object_array_length(lines))
		append(m, j, lines, j->out_offset, j->err_offset, false, NULL);
	json_object_put(lines);
	free(copy);
}

/* One chunk of a cluster job's driver log stored: `file` 0 stdout, 1 stderr, read
 * from `where` (what the tracker needs to find it); sets *more when the file has more
 * after it.  Returns 0, or < 0 as the readers below say (-2: the database failed or
 * the lease is lost). */
typedef int (*log_chunk_fn)(struct mon *m, struct store_job *j, const void *where, int file,
			    bool final, bool *more, char *err, size_t errlen);

/* What is new in j's driver log on its cluster (stdout, then stderr) stored in its
 * log, a chunk of each per round; when final (the driver ended) all of it, keeping
 * the leases between rounds.  Returns as `read`. */
static int store_cluster_log(struct mon *m, struct store_job *j, log_chunk_fn read,
			     const void *where, bool final, char *err, size_t errlen)
{
	for (;;) {
		bool more_out, more_err;
		int rc = read(m, j, where, 0, final, &more_out, err, errlen);

		if (rc == 0 && !keep_leases(m))
			return -2;
		if (rc == 0)
			rc = read(m, j, where, 1, final, &more_err, err, errlen);
		if (rc < 0)
			return rc;
		if (!keep_leases(m))
			return -2;
		if (!final || (!more_out && !more_err))
			return 0;
	}
}

/* One chunk of the driver's `file` (0 stdout, 1 stderr) of j on YARN (where: its
 * struct yarn_app) stored as lines.
 * Sets *more when the file has more after it.  Returns 0; -1 when the NodeManager
 * did not answer (why in err); -2 when the database failed or the lease is lost;
 * -3 when final and the file is neither on the NodeManager nor on its log server
 * (why in err; nothing stored).  Before the end such a file is empty. */
static int driver_log_chunk(struct mon *m, struct store_job *j, const void *where, int file,
			    bool final, bool *more, char *err, size_t errlen)
{
	const struct yarn_app *a = where;
	long long off = file ? j->am_err_offset : j->am_out_offset, length;
	struct track_facts f = {{0}};
	json_object *lines;
	char *bytes;
	size_t n, used;
	enum store_rc rc = STORE_OK;
	int got;

	*more = false;
	got = yarn_am_log_read(m->yarn, a->am_logs, file ? "stderr" : "stdout", off, &bytes, &n,
			       &length, err, errlen);
	if (got != 0)
		return got < 0 ? -1 : final ? -3 : 0;
	*more = off + (long long)n < length;
	lines = json_object_new_array();
	track_take_lines(bytes, n, final, *more, lines, &f, &used);
	if (used > 0 && j->am_out_offset == 0 && j->am_err_offset == 0) {
		char head[NOTE_MAX];
		snprintf(head, sizeof head, "tacitus: the driver's log on YARN (%s stdout, then stderr):",
			 a->id);
		note(m, j, head);
	}
	if (used > 0)
		rc = append_or_note(m, j, lines, file ? j->am_out_offset : off + (long long)used,
				    file ? off + (long long)used : j->am_err_offset, true, NULL);
	json_object_put(lines);
	free(bytes);
	if (used == 0 && n > 0 && *more)
		*more = false;  /* a line longer than what one read holds: taken next time */
	return rc == STORE_OK ? 0 : -2;
}

/* What is new in j's driver log on YARN (its application master's stdout, then its
 * stderr), as store_cluster_log.  Returns as driver_log_chunk. */
static int store_driver_log(struct mon *m, struct store_job *j, const struct yarn_app *a,
			    bool final, char *err, size_t errlen)
{
	return store_cluster_log(m, j, driver_log_chunk, a, final, err, errlen);
}

/* Whether YARN is still aggregating a's logs (so that a log its NodeManager dropped
 * is not on the log server yet). */
static bool aggregating(const struct yarn_app *a)
{
	return !strcmp(a->log_aggregation, "NOT_START") || !strcmp(a->log_aggregation, "RUNNING") ||
	       !strcmp(a->log_aggregation, "RUNNING_WITH_FAILURE");
}

/* The rest of ended j's driver log is on neither its NodeManager nor its log server
 * (why: err): true while that is worth waiting for (YARN is aggregating it, for
 * YARN_AGGREGATION_WAIT_MS after the application ended: read again at the next
 * looks); else false, with a line in j's log when something of it is lost (log
 * aggregation on: not on the log server, or no log server). */
static bool wait_for_aggregation(struct mon *m, struct store_job *j, const struct yarn_app *a,
				 const char *err)
{
	struct timespec t;
	long long waited;
	char line[NOTE_MAX + 128];

	clock_gettime(CLOCK_REALTIME, &t);
	waited = (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000 - a->finished_ms;
	if (aggregating(a) && a->finished_ms > 0 && waited < YARN_AGGREGATION_WAIT_MS)
		return true;
	if (!a->log_aggregation[0] || !strcmp(a->log_aggregation, "DISABLED"))
		return false;       /* dropped by its NodeManager (or never written) */
	snprintf(line, sizeof line, "tacitus: the rest of the driver's log could not be read: %.400s "
		 "(YARN's log aggregation %s, %lld s after the application ended)", err,
		 a->log_aggregation, waited / 1000);
	note(m, j, line);
	return false;
}

/* Record what YARN shows of j's application when it is new or changed.  When its
 * application master is another container (YARN's next attempt), the rest of the
 * last one's log is read first. */
static void yarn_seen(struct mon *m, struct store_job *j, const struct yarn_app *a,
		      const char *what)
{
	bool new_id = !same(j->app_id, a->id);
	bool new_am = j->log_url && a->am_logs[0] && strcmp(j->log_url, a->am_logs);
	char line[NOTE_MAX + YARN_URL_MAX];

	if (!new_id && (!a->am_logs[0] || same(j->log_url, a->am_logs)) &&
	    (!a->tracking_url[0] || same(j->ui_url, a->tracking_url)))
		return;
	if (new_am) {
		struct yarn_app last = *a;
		char err[NOTE_MAX];

		snprintf(last.am_logs, sizeof last.am_logs, "%s", j->log_url);
		if (store_driver_log(m, j, &last, true, err, sizeof err) == -2)
			return;
		snprintf(line, sizeof line, "tacitus: YARN started the application master again "
			 "(another attempt, in %s)", a->am_logs);
		note(m, j, line);
	}
	if (store_app_seen(m->s, j->id, m->o->instance, a->id, a->tracking_url,
			   a->am_logs) != STORE_OK)
		return;
	if (new_id)
		log_info("%s: YARN application %s (tag %s), %s", what, a->id, j->yarn_tag, a->state);
	if (new_am)
		j->am_out_offset = j->am_err_offset = 0;
	j->app_id = a->id;
	j->ui_url = a->tracking_url;
	j->log_url = a->am_logs;
}

/* j's application as YARN shows it (a): running, or ended. */
static void yarn_verdict(struct mon *m, struct store_job *j, const struct yarn_app *a, bool alive)
{
	const char *to = yarn_livy_state(a->state, a->final_status);
	int diag = (int)strcspn(a->diagnostics, "\n");     /* its first line */
	char reason[NOTE_MAX];

	if (!strcmp(to, "starting"))
		return;
	if (!strcmp(to, "running")) {
		snprintf(reason, sizeof reason, "YARN application %s is RUNNING", a->id);
		if (!strcmp(j->state, "starting"))
			store_transition(m->s, j->id, m->o->instance, "starting", "running", -1, reason);
		return;
	}
	if (alive)
		return;             /* spark-submit (in client mode the driver) is ending */
	snprintf(reason, sizeof reason, "YARN application %s ended %s/%s%s%.*s", a->id, a->state,
		 a->final_status, diag ? ": " : "", diag < DIAG_MAX ? diag : DIAG_MAX, a->diagnostics);
	if (!strcmp(to, "success") && j->exit_code > 0 && !j->deleted) {
		to = "dead";
		snprintf(reason, sizeof reason, "YARN application %s ended FINISHED/SUCCEEDED but "
			 "spark-submit exited with code %d", a->id, j->exit_code);
	}
	if (!strcmp(to, "success")) {
		finish(m, j, "success", -1, reason);
		return;
	}
	note_diagnostics(m, j, a->diagnostics);
	end_job(m, j, to, -1, reason);
}

/* No application of j's on YARN (yet). */
static void yarn_missing(struct mon *m, struct store_job *j, bool alive)
{
	char reason[NOTE_MAX];

	if (j->launch_age * 1000 >= (double)m->cfg->yarn_lookup_timeout_ms) {
		if (alive) {        /* spark-submit is stuck: it goes first */
			keeper_kill(j->pid, j->pid_start, m->boot_id, SIGKILL);
			return;
		}
		snprintf(reason, sizeof reason, "no YARN application tagged %s appeared within %lld s "
			 "(livy.server.yarn.app-lookup-timeout)", j->yarn_tag,
			 m->cfg->yarn_lookup_timeout_ms / 1000);
		end_job(m, j, j->deleted ? "killed" : "dead", -1, reason);
	} else if (!alive && j->exit_code > 0) {
		snprintf(reason, sizeof reason, "spark-submit exited with code %d and YARN has no "
			 "application tagged %s", j->exit_code, j->yarn_tag);
		end_job(m, j, j->deleted ? "killed" : "dead", -1, reason);
	} else if (!alive && j->deleted) {
		end_job(m, j, "killed", -1, "deleted before YARN had its application");
	}
}

/* A delete of a YARN job whose application has not ended: killed through the RM,
 * again after each kill grace until YARN says KILLED. */
static void yarn_kill(struct mon *m, struct store_job *j, const struct yarn_app *a,
		      const char *what)
{
	char err[NOTE_MAX];

	if (j->kill_age >= 0 && j->kill_age < m->o->kill_grace)
		return;
	if (yarn_rm_kill(m->yarn, a->id, err, sizeof err) < 0) {
		log_warn("%s: cannot kill YARN application %s: %s", what, a->id, err);
		return;
	}
	log_info("%s: deleted; YARN asked to kill application %s", what, a->id);
	store_kill_sent(m->s, j->id, m->o->instance);
}

/* A YARN job: output of spark-submit stored and its end recorded as for any job;
 * its state from YARN when the RM was looked at this cycle (looked; a = its
 * application, NULL when YARN has none under its tag). */
static void watch_yarn(struct mon *m, struct store_job *j, const struct yarn_app *a, bool looked)
{
	char what[LABEL_MAX];
	bool alive, ended;

	label(j, what, sizeof what);
	if (!j->pid || !j->job_dir) {
		/* claimed by a monitor of another host that died before it recorded a
		 * launch: launched here unless YARN has its application after all */
		if (local(m, j) || (looked && !a && !j->app_id))
			launch(m, j);
		else if (looked && !j->app_id)
			log_info("%s: YARN has its application %s: tracked, not launched again",
				 what, a->id);
		if (local(m, j) || !looked || !a)
			return;
	}
	/* spark-submit ran on another host (this job was adopted): nothing of it to read
	 * or check from here */
	alive = false;
	if (local(m, j)) {
		if (store_output(m, j, false) == STORE_NOTFOUND)
			return;
		alive = launch_alive(j->pid, j->pid_start);
		if (!alive && j->exit_code < 0 && submit_ended(m, j) < 0)
			return;
	}
	if (alive && j->deleted)
		stop_process(m, j, what);   /* spark-submit no longer matters */
	if (!looked)
		return;
	if (!a) {
		yarn_missing(m, j, alive);
		return;
	}
	yarn_seen(m, j, a, what);
	ended = app_ended(a);
	if (a->am_logs[0] &&
	    ((ended && !alive) || (m->yarn_log_round && !strcmp(a->state, "RUNNING")))) {
		char err[NOTE_MAX], line[NOTE_MAX + 128];
		int rc = store_driver_log(m, j, a, ended, err, sizeof err);

		if (rc == -2 || (rc == -3 && wait_for_aggregation(m, j, a, err)))
			return;
		if (rc == -1 && ended) {    /* said once: the job ends now */
			snprintf(line, sizeof line, "tacitus: the rest of the driver's log could not "
				 "be read from its NodeManager: %s", err);
			note(m, j, line);
		}
	}
	if (j->deleted && !ended)
		yarn_kill(m, j, a, what);
	else
		yarn_verdict(m, j, a, alive);
}

/* The oldest launch of jobs[0..n)'s YARN jobs in ms since the epoch (for a look-up
 * by start time, yarn_lookup_path), or 0 when one of them has no launch recorded
 * (its application may be older than any launch known). */
static long long oldest_launch(const struct store_job *v, int n)
{
	struct timespec t;
	double age = 0;

	for (int i = 0; i < n; i++) {
		if (!yarn_job(&v[i]) || !v[i].yarn_tag)
			continue;
		if (v[i].launch_age < 0)
			return 0;
		if (v[i].launch_age > age)
			age = v[i].launch_age;
	}
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000 - (long long)(age * 1000);
}

/* The ResourceManagers' client, opened at the first need (and again a minute after
 * a failure to find one); NULL when none is known. */
static struct yarn_rm *yarn_client(struct mon *m)
{
	if (!m->yarn && (!m->yarn_opened || now_ms() - m->yarn_opened >= YARN_REOPEN_MS)) {
		m->yarn_opened = now_ms();
		m->yarn = yarn_rm_open(m->cfg);
	}
	return m->yarn;
}

/* The time between looks at a cluster manager: its poll interval, doubled after each
 * of `failures` looks in a row that got no answer, up to YARN_BACKOFF_MAX_MS (or the
 * interval, when longer). */
static long long backoff(long long poll_ms, int failures)
{
	long long t = poll_ms << (failures < 5 ? failures : 5);
	long long cap = poll_ms > YARN_BACKOFF_MAX_MS ? poll_ms : YARN_BACKOFF_MAX_MS;

	return t < cap ? t : cap;
}

/* Once per livy.server.yarn.poll-interval: ONE look at the RM for every YARN job of
 * jobs (those not launched yet too: one claimed on a host that died may have its
 * application).  Sets by_job[i] to job i's application (NULL: none) and
 * returns true when the RM answered; false when no look was due or none answered
 * (logged once per outage). */
static bool yarn_look(struct mon *m, const struct store_jobs *jobs, struct yarn_apps *apps,
		      const struct yarn_app **by_job)
{
	const char **tags;
	int *job_of, n = 0, rc;
	char err[NOTE_MAX];

	memset(apps, 0, sizeof *apps);
	m->yarn_log_round = false;
	if (now_ms() - m->yarn_looked < backoff(m->cfg->yarn_poll_ms, m->yarn_failures))
		return false;       /* most cycles: nothing to gather */
	tags = calloc((size_t)jobs->n + 1, sizeof *tags);
	job_of = calloc((size_t)jobs->n + 1, sizeof *job_of);
	for (int i = 0; tags && job_of && i < jobs->n; i++)
		if (yarn_job(&jobs->v[i]) && jobs->v[i].yarn_tag) {
			job_of[n] = i;
			tags[n++] = jobs->v[i].yarn_tag;
		}
	rc = n && yarn_client(m) && keep_leases(m) ? 0 : 1;
	if (rc == 0) {
		m->yarn_looked = now_ms();
		rc = yarn_rm_lookup(m->yarn, tags, n, oldest_launch(jobs->v, jobs->n), apps, err,
				    sizeof err);
		metrics_count(METRICS_YARN_LOOKS, 1);
		if (rc < 0)
			metrics_count(METRICS_YARN_LOOK_ERRORS, 1);
		if (rc < 0 && !m->yarn_failures)
			log_warn("yarn: no answer from the ResourceManager (%s); YARN jobs wait", err);
		else if (rc == 0 && m->yarn_failures)
			log_info("yarn: %s answers again after %d failed looks", yarn_rm_url(m->yarn),
				 m->yarn_failures);
		m->yarn_failures = rc < 0 ? m->yarn_failures + 1 : 0;
	}
	for (int i = 0; rc == 0 && i < apps->n; i++)
		by_job[job_of[apps->v[i].job]] = &apps->v[i];
	m->yarn_log_round = rc == 0 && now_ms() - m->yarn_logs_read >= YARN_LOG_EVERY_MS;
	if (m->yarn_log_round)
		m->yarn_logs_read = now_ms();
	free(tags);
	free(job_of);
	return rc == 0;
}

/* ---- standalone jobs: the master runs the driver on a worker and says how it ends ---- */

static bool sa_job(const struct store_job *j)
{
	return !strcmp(j->tracker, "standalone");
}

/* The spark:// master a standalone job was accepted for (its --conf spark.master)
 * into buf; the configured one when its arguments do not say. */
static void sa_job_master(const struct mon *m, const struct store_job *j, char *buf, size_t len)
{
	json_object *a = j->argv_json ? json_tokener_parse(j->argv_json) : NULL;
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	snprintf(buf, len, "%s", m->cfg->spark_master);
	for (size_t i = 0; i + 1 < n; i++) {
		const char *k = json_object_get_string(json_object_array_get_idx(a, i));
		const char *v = json_object_get_string(json_object_array_get_idx(a, i + 1));
		if (k && v && !strcmp(k, "--conf") && !strncmp(v, "spark.master=spark://", 21))
			snprintf(buf, len, "%s", v + sizeof "spark.master=" - 1);
	}
	json_object_put(a);
}

/* The masters' client for j's master, made at the first need (again when a job of
 * another master comes, and a minute after a failure); NULL when it cannot be. */
static struct sa_master *sa_client(struct mon *m, const struct store_job *j)
{
	char master[sizeof m->sa_master_url];

	sa_job_master(m, j, master, sizeof master);
	if (m->sa && !strcmp(master, m->sa_master_url))
		return m->sa;
	if (!m->sa && m->sa_opened && now_ms() - m->sa_opened < SA_REOPEN_MS &&
	    !strcmp(master, m->sa_master_url))
		return NULL;
	sa_close(m->sa);
	snprintf(m->sa_master_url, sizeof m->sa_master_url, "%s", master);
	m->sa_opened = now_ms();
	m->sa = sa_open(master, (int)m->cfg->sa_rest_port, (int)m->cfg->sa_ui_port);
	return m->sa;
}

/* The installed Spark's version and Java module options (a driver that the worker
 * starts on Java 17 dies without them), read once from its launcher jar. */
static void sa_spark_facts(struct mon *m)
{
	char jar[PATH_MAX], err[NOTE_MAX];

	if (m->sa_known)
		return;
	m->sa_known = true;
	if (sparkjar_find(m->cfg->spark_home, jar, sizeof jar, m->sa_version,
			  sizeof m->sa_version, err, sizeof err) < 0 ||
	    !(m->sa_module_options = sparkjar_module_options(jar, err, sizeof err))) {
		log_warn("standalone: %s; drivers are submitted without Spark's Java module "
			 "options (a driver on Java 17 may then fail to start)", err);
		if (!m->sa_version[0])
			snprintf(m->sa_version, sizeof m->sa_version, "unknown");
		return;
	}
	log_info("standalone: Spark %s, module options for drivers: %s", m->sa_version,
		 m->sa_module_options[0] ? m->sa_module_options : "(none)");
}

/* One call to the masters counted; when it got no answer from a REST server (not
 * the web UI: a worker's address is asked for again later), the round is marked. */
static int sa_counted(struct mon *m, int rc, bool rest)
{
	metrics_count(METRICS_SA_CALLS, 1);
	if (rc == SA_UNREACHABLE || rc == SA_MAYBE) {
		metrics_count(METRICS_SA_CALL_ERRORS, 1);
		m->sa_round_failed |= rest;
	}
	return rc;
}

/* Hand j's driver to the master, once: marked as tried first (an instance that dies
 * meanwhile leaves the mark, and the job is never submitted twice), unmarked when
 * no master got it (tried again at a later round). */
static void sa_submit_job(struct mon *m, struct store_job *j, const char *what)
{
	char master[sizeof m->sa_master_url], id[SA_ID_MAX], err[NOTE_MAX], reason[NOTE_MAX];
	struct sa_submit_opts o;
	json_object *args;
	char *req;
	int rc;

	if (j->deleted) {
		end_job(m, j, "killed", -1, "deleted before it was submitted");
		return;
	}
	if ((m->sa_failures && !m->sa_round) || m->sa_round_failed)
		return;             /* the masters did not answer: at the next round */
	if (!sa_client(m, j))
		return;
	sa_spark_facts(m);
	sa_job_master(m, j, master, sizeof master);
	o = (struct sa_submit_opts){master, m->sa_module_options ? m->sa_module_options : "",
				    m->sa_version};
	args = json_tokener_parse(j->argv_json);
	if (!args)
		snprintf(err, sizeof err, "its arguments are not readable");
	req = args ? sa_create_request(args, &o, err, sizeof err) : NULL;
	json_object_put(args);
	if (!req) {
		snprintf(reason, sizeof reason, "cannot be submitted to a standalone master: %.400s",
			 err);
		end_job(m, j, "dead", -1, reason);
		return;
	}
	/* the lease freshly renewed outlives the call (at most 4 s): no other instance
	 * can take the job while it is being submitted */
	if (!keep_leases(m) || store_submit_tried(m->s, j->id, m->o->instance, true) != STORE_OK) {
		free(req);
		return;
	}
	rc = sa_counted(m, sa_submit(m->sa, req, id, sizeof id, err, sizeof err), true);
	free(req);
	if (rc == SA_OK && store_app_seen(m->s, j->id, m->o->instance, id, "", "") != STORE_OK) {
		/* the job stays marked without a driver id (it ends dead at the next cycle,
		 * here or where it was adopted): the driver must not run untracked */
		log_error("%s: driver %s not recorded; asking the master to kill it", what, id);
		sa_kill(m->sa, id, err, sizeof err);
	} else if (rc == SA_OK) {
		snprintf(reason, sizeof reason, "submitted to the standalone master %.300s as driver "
			 "%s", sa_url(m->sa), id);
		store_submitted(m->s, j->id, m->o->instance, m->host, m->boot_id, reason);
		snprintf(reason, sizeof reason, "tacitus: submitted to the standalone master %.300s "
			 "as driver %s (Spark %s)", sa_url(m->sa), id, m->sa_version);
		note(m, j, reason);
		metrics_count(METRICS_LAUNCHES, 1);
	} else if (rc == SA_REFUSED) {
		snprintf(reason, sizeof reason, "the standalone master refused the driver: %.400s",
			 err);
		end_job(m, j, "dead", -1, reason);
	} else if (rc == SA_MAYBE) {
		snprintf(reason, sizeof reason, "the standalone master got the submission and gave no "
			 "answer (%.300s): whether it made a driver is unknown, and the job is not "
			 "submitted again", err);
		end_job(m, j, "dead", -1, reason);
	} else if (store_submit_tried(m->s, j->id, m->o->instance, false) == STORE_OK) {
		if (!m->sa_failures)
			log_warn("%s: no standalone master answered (%s); submitted when one does",
				 what, err);
	}
}

/* One read of the driver's `file` (0 stdout, 1 stderr) on its worker (where: its web
 * UI's address) stored as
 * lines.  Sets *more when the file has more after it.  Returns 0; -1 when the worker
 * did not answer (why in err); -2 when the database failed or the lease is lost.  The
 * worker sends text, with U+FFFD for bytes that are not UTF-8: when it did, the
 * window's lines are taken whole, a last unterminated one too (its offset is no
 * longer a byte count of what came). */
static int sa_log_chunk(struct mon *m, struct store_job *j, const void *where, int file, bool final,
			bool *more, char *err, size_t errlen)
{
	const char *ui = where;
	long long off = file ? j->am_err_offset : j->am_out_offset, next, length, to;
	struct track_facts f = {{0}};
	json_object *lines;
	char *bytes, head[NOTE_MAX];
	size_t n, used;
	bool exact;
	enum store_rc rc = STORE_OK;

	*more = false;
	if (sa_log_read(m->sa, ui, j->app_id, file ? "stderr" : "stdout", off, &bytes, &n, &next,
			&length, err, errlen) < 0)
		return -1;
	exact = (long long)n == next - off;
	*more = next < length;
	lines = json_object_new_array();
	track_take_lines(bytes, n, final || !exact, *more && exact, lines, &f, &used);
	to = exact ? off + (long long)used : next;
	if (to > off && j->am_out_offset == 0 && j->am_err_offset == 0) {
		snprintf(head, sizeof head, "tacitus: the driver's log on its worker (%s stdout, "
			 "then stderr):", j->app_id);
		note(m, j, head);
	}
	if (to > off)
		rc = append_or_note(m, j, lines, file ? j->am_out_offset : to,
				    file ? to : j->am_err_offset, true, NULL);
	json_object_put(lines);
	free(bytes);
	if (to == off)
		*more = false;      /* nothing taken: the rest at a later read */
	return rc == STORE_OK ? 0 : -2;
}

/* What is new in j's driver log on its worker (stdout, then stderr) stored; when
 * final (the driver ended) all of it, keeping the leases between reads.  Returns as
 * sa_log_chunk. */
static int sa_store_log(struct mon *m, struct store_job *j, bool final, char *err, size_t errlen)
{
	char ui[SA_URL_MAX];

	if (sa_log_url_ui(j->log_url, ui, sizeof ui) < 0) {
		snprintf(err, errlen, "no worker address in %s", j->log_url);
		return -1;
	}
	return store_cluster_log(m, j, sa_log_chunk, ui, final, err, errlen);
}

/* The driver's log page on its worker, once a worker took it: looked up on the
 * master and recorded (log_url: room for it; j->log_url points there after). */
static void sa_seen(struct mon *m, struct store_job *j, const struct sa_driver *d,
		    char *log_url, size_t len)
{
	char ui[SA_URL_MAX], err[NOTE_MAX];

	if (j->log_url || !d->worker_id[0])
		return;
	if (sa_counted(m, sa_worker_ui(m->sa, d->worker_id, ui, sizeof ui, err, sizeof err),
		       false) != SA_OK ||
	    sa_driver_log_url(ui, j->app_id, log_url, len) < 0)
		return;             /* asked again at the next round */
	if (store_app_seen(m->s, j->id, m->o->instance, j->app_id, "", log_url) == STORE_OK)
		j->log_url = log_url;
}

/* A delete of a standalone job whose driver has not ended: killed through the
 * master, again after each kill grace until the master says KILLED. */
static void sa_kill_job(struct mon *m, struct store_job *j, const char *what)
{
	char err[NOTE_MAX];
	int rc;

	if (j->kill_age >= 0 && j->kill_age < m->o->kill_grace)
		return;
	rc = sa_counted(m, sa_kill(m->sa, j->app_id, err, sizeof err), true);
	if (rc == SA_UNREACHABLE) {
		log_warn("%s: cannot kill driver %s: %s", what, j->app_id, err);
		return;
	}
	if (rc == SA_OK)
		log_info("%s: deleted; the master asked to kill driver %s", what, j->app_id);
	else
		log_info("%s: deleted; the master did not kill driver %s: %s", what, j->app_id, err);
	store_kill_sent(m->s, j->id, m->o->instance);
}

/* Whether job id, whose driver ended and whose log could not be read (its worker
 * did not answer, or its address is not known yet), may wait for a later round:
 * for SA_LOG_WAIT_MS from the first such round; false (forgotten) after. */
static bool sa_log_may_wait(struct mon *m, long long id)
{
	int i = 0;

	while (i < m->sa_n_wait && m->sa_wait[i].id != id)
		i++;
	if (i == m->sa_n_wait) {
		if (m->sa_n_wait == SA_WAIT_MAX)
			return false;
		m->sa_wait[m->sa_n_wait++] = (struct sa_wait){id, now_ms()};
	}
	if (now_ms() - m->sa_wait[i].since < SA_LOG_WAIT_MS)
		return true;
	m->sa_wait[i] = m->sa_wait[--m->sa_n_wait];
	return false;
}

/* Job id ends: it waits no more. */
static void sa_log_forget(struct mon *m, long long id)
{
	for (int i = 0; i < m->sa_n_wait; i++)
		if (m->sa_wait[i].id == id) {
			m->sa_wait[i] = m->sa_wait[--m->sa_n_wait];
			return;
		}
}

/* A standalone job: submitted once; then, at each round, the driver's state from
 * the master, its log from its worker, a delete carried out, the end recorded with
 * the master's words after the rest of the log. */
static void watch_standalone(struct mon *m, struct store_job *j)
{
	char what[LABEL_MAX], err[NOTE_MAX], reason[NOTE_MAX], log_url[SA_URL_MAX + 128];
	const char *to;
	struct sa_driver d;
	bool ended;

	label(j, what, sizeof what);
	if (!j->app_id && j->submit_tried) {
		end_job(m, j, j->deleted ? "killed" : "dead", -1, "its submission to the standalone "
			"master was cut short (its instance died, or the database failed, while it "
			"was sent): whether the master made a driver is unknown, and the job is not "
			"submitted again");
		return;
	}
	if (!j->app_id) {
		sa_submit_job(m, j, what);
		return;
	}
	/* one call without an answer in a round: the others wait for the next round
	 * rather than each wait for their own time-out */
	if (!m->sa_round || m->sa_round_failed || !sa_client(m, j))
		return;
	if (sa_counted(m, sa_status(m->sa, j->app_id, &d, err, sizeof err), true) != SA_OK)
		return;             /* said once per outage at the round's end */
	/* each call takes up to 4 s: the leases are kept between them */
	if (!keep_leases(m))
		return;
	sa_seen(m, j, &d, log_url, sizeof log_url);
	if (!keep_leases(m))
		return;
	to = sa_livy_state(&d, j->state);
	ended = strcmp(to, "starting") && strcmp(to, "running");
	if (ended && !j->log_url && d.worker_id[0]) {
		/* its worker's address could not be looked up: the log waits a while */
		if (sa_log_may_wait(m, j->id))
			return;
		note(m, j, "tacitus: the driver's log could not be read: its worker's web UI "
		     "was not found on the master");
	}
	if (j->log_url && (ended || (m->sa_log_round && !strcmp(to, "running")))) {
		char line[NOTE_MAX + 128];
		int rc = sa_store_log(m, j, ended, err, sizeof err);

		if (rc == -2)
			return;
		/* its worker may answer at a later round (a driver the master forgot may
		 * be one its worker never had: no wait for it) */
		if (rc == -1 && ended && d.known && sa_log_may_wait(m, j->id))
			return;
		if (rc == -1 && ended) {    /* said once: the job ends now */
			snprintf(line, sizeof line, "tacitus: the rest of the driver's log could not "
				 "be read from its worker: %s", err);
			note(m, j, line);
		}
	}
	if (j->deleted && !ended) {
		sa_kill_job(m, j, what);
		return;
	}
	if (!ended) {
		if (!strcmp(to, "running") && !strcmp(j->state, "starting")) {
			snprintf(reason, sizeof reason, "driver %s is RUNNING on %s", j->app_id,
				 d.worker_id[0] ? d.worker_id : "a worker");
			store_transition(m->s, j->id, m->o->instance, "starting", "running", -1, reason);
		} else if (strcmp(d.state, "SUBMITTED") && strcmp(d.state, "RUNNING")) {
			log_info("%s: driver %s is %s; its state stays %s", what, j->app_id, d.state,
				 j->state);
		}
		return;
	}
	sa_log_forget(m, j->id);
	sa_reason(&d, j->app_id, reason, sizeof reason);
	if (j->deleted && strcmp(to, "success"))
		to = "killed";
	if (!strcmp(to, "success"))
		finish(m, j, "success", -1, reason);
	else
		end_job(m, j, to, -1, reason);
}

/* Whether this cycle is a round (its standalone jobs' states asked for), and a
 * round of their logs too. */
static void sa_round_begin(struct mon *m)
{
	m->sa_round = now_ms() - m->sa_looked >= backoff(m->cfg->sa_poll_ms, m->sa_failures);
	m->sa_round_failed = false;
	m->sa_log_round = m->sa_round && now_ms() - m->sa_logs_read >= SA_LOG_EVERY_MS;
}

/* The round is over: a master that did not answer is said once per outage. */
static void sa_round_end(struct mon *m, bool asked)
{
	if (!m->sa_round || !asked)
		return;
	m->sa_looked = now_ms();
	if (m->sa_log_round)
		m->sa_logs_read = now_ms();
	if (m->sa_round_failed && !m->sa_failures)
		log_warn("standalone: no answer from the master (%s); its jobs wait",
			 m->sa ? sa_url(m->sa) : m->sa_master_url);
	else if (!m->sa_round_failed && m->sa_failures)
		log_info("standalone: %s answers again after %d rounds without",
			 m->sa ? sa_url(m->sa) : m->sa_master_url, m->sa_failures);
	m->sa_failures = m->sa_round_failed ? m->sa_failures + 1 : 0;
}

/* j, whose monitor is gone (why), is this monitor's now. */
static void adopted(struct mon *m, struct store_job *j, const char *why)
{
	char what[LABEL_MAX], line[NOTE_MAX];

	log_info("%s: adopted from %s (%s)", label(j, what, sizeof what),
		 j->prev_owner ? j->prev_owner : "?", why);
	metrics_count(METRICS_ADOPTIONS, 1);
	if (!j->pid || local(m, j))
		return;
	snprintf(line, sizeof line, "tacitus: adopted by %s on %s; what spark-submit printed on %s "
		 "after this line stays there, and YARN says how the job ends", m->o->instance,
		 m->host, j->host ? j->host : "?");
	note(m, j, line);
}

/* Livy's app-leakage check, every livy.server.yarn.app-leakage.check-interval: an
 * application that appears under the tag of a YARN job that ended without one (in
 * the last check-timeout) is killed, and said in the job's log. */
static void leak_check(struct mon *m)
{
	struct store_jobs jobs;
	struct yarn_apps apps;
	const char **tags;
	char err[NOTE_MAX], line[NOTE_MAX + 128];

	if (now_ms() - m->yarn_leak_checked < m->cfg->yarn_leak_interval_ms)
		return;
	m->yarn_leak_checked = now_ms();
	if (store_leak_watch(m->s, m->o->instance, m->cfg->yarn_leak_timeout_ms, &jobs) != STORE_OK)
		return;
	tags = calloc((size_t)jobs.n + 1, sizeof *tags);
	for (int i = 0; tags && i < jobs.n; i++)
		tags[i] = jobs.v[i].yarn_tag;
	if (tags && jobs.n && yarn_client(m) &&
	    yarn_rm_lookup(m->yarn, tags, jobs.n, oldest_launch(jobs.v, jobs.n), &apps, err,
			   sizeof err) == 0) {
		for (int i = 0; i < apps.n; i++) {
			struct yarn_app *a = &apps.v[i];
			struct store_job *j = &jobs.v[a->job];
			bool ended = app_ended(a);

			if (!keep_leases(m))
				break;
			if (!ended && yarn_rm_kill(m->yarn, a->id, err, sizeof err) < 0) {
				log_warn("yarn: cannot kill leaked application %s: %s", a->id, err);
				continue;
			}
			snprintf(line, sizeof line, "tacitus: YARN application %s appeared under tag "
				 "%s after the job ended; %s", a->id, j->yarn_tag,
				 ended ? "it has ended" : "killed");
			log_warn("%s", line + sizeof "tacitus: " - 1);
			note(m, j, line);
			store_app_seen(m->s, j->id, m->o->instance, a->id, "", "");
		}
		yarn_apps_free(&apps);
	}
	free(tags);
	store_jobs_free(&jobs);
}

/* Look at the other monitors' lease marks and take over the jobs of those gone:
 * silent for a lease (as this monitor saw it, leasewatch.h) on this host, for a
 * lease and the grace elsewhere.  The caller adopts or ends what it gets. */
static enum store_rc take_over(struct mon *m, struct store_jobs *jobs)
{
	const char *adopt[LEASEWATCH_OWNERS_MAX], *end[LEASEWATCH_OWNERS_MAX];
	struct store_marks marks;
	int n_adopt = 0, n_end = 0;
	enum store_rc rc;

	memset(jobs, 0, sizeof *jobs);
	if (store_lease_marks(m->s, m->o->instance, &marks) != STORE_OK)
		return STORE_ERROR;
	leasewatch_begin(&m->owners, now_ms());
	for (int i = 0; i < marks.n; i++)
		leasewatch_see(&m->owners, marks.owner[i], marks.mark[i]);
	leasewatch_end(&m->owners);
	for (int i = 0; i < m->owners.n; i++) {
		const char *o = m->owners.v[i].owner;

		if (leasewatch_silent(&m->owners, o, m->o->lease_ttl * 1000LL, true))
			adopt[n_adopt++] = o;
		if (leasewatch_silent(&m->owners, o,
				      (m->o->lease_ttl + m->o->orphan_grace) * 1000LL, false))
			end[n_end++] = o;
	}
	rc = n_adopt || n_end ? store_take_over(m->s, m->o->instance, m->host, m->o->lease_ttl,
						 adopt, n_adopt, end, n_end, jobs) : STORE_OK;
	store_marks_free(&marks);
	return rc;
}

/* tacitus.history.keep-days: every PURGE_EVERY_MS, small purge steps for at most
 * PURGE_BUDGET_MS (each its own short transaction; the rest waits for the next look). */
static void purge_history(struct mon *m)
{
	long long start = now_ms(), total = 0;
	long removed = 1;
	/* past PURGE_DAYS_MAX (2,700 years) the limit would fall before PostgreSQL's
	 * calendar: such a history is kept for ever */
	int days = (int)(m->cfg->history_keep_days > PURGE_DAYS_MAX ? 0 : m->cfg->history_keep_days);

	if (!days || start - m->last_purge < PURGE_EVERY_MS)
		return;
	m->last_purge = start;
	while (removed > 0 && now_ms() - start < PURGE_BUDGET_MS &&
	       store_purge_step(m->s, days, &removed) == STORE_OK)
		total += removed;
	if (total)
		log_info("monitor: purged %lld rows of history older than %ld days", total,
			 m->cfg->history_keep_days);
}

#define GONE_BY_LEASE "its monitor stopped renewing its lease"
#define GONE_BY_LOCK "its monitor's connection to the database is gone"

/* The jobs a take-over gave this monitor (their owner gone, why): a cluster job, or one
 * of this host and boot, is adopted (watched from the next cycle on); the others end
 * dead, their process out of reach. */
static void take_jobs(struct mon *m, struct store_jobs *jobs, const char *why)
{
	for (int i = 0; i < jobs->n; i++) {
		struct store_job *j = &jobs->v[i];
		char reason[NOTE_MAX];

		/* a cluster job is not tied to a host: its cluster manager says how it ends */
		if (yarn_job(j) || sa_job(j) || local(m, j)) {
			adopted(m, j, why);
			continue;
		}
		snprintf(reason, sizeof reason, "its monitor on %s stopped renewing the lease and the "
			 "process cannot be checked from here; its outcome is unknown",
			 j->host ? j->host : "?");
		end_job(m, j, "dead", -1, reason);
	}
}

/* Every ORPHAN_LOOK_MS: look at the other monitors' locks, and take the launched jobs
 * of those whose lock went away (leasewatch.h, store_take_orphans), without waiting
 * for their leases.  Nothing while this monitor's own lock is not held.  True when it
 * took any. */
static bool look_for_orphans(struct mon *m)
{
	const char *gone[LEASEWATCH_OWNERS_MAX];
	struct store_locks locks;
	struct store_jobs jobs;
	bool took = false;
	int n = 0;

	m->last_orphan_look = now_ms();
	if (!m->held)
		return false;
	if (store_owner_locks(m->s, m->o->instance, m->host, m->boot_id, &locks) != STORE_OK)
		return false;
	/* the session the look was made in (a reconnect inside it starts a new history) */
	leasewatch_locks_begin(&m->locks, store_session(m->s));
	for (int i = 0; i < locks.n; i++)
		leasewatch_locks_see(&m->locks, locks.owner[i], locks.held[i], locks.jobs[i]);
	leasewatch_locks_end(&m->locks);
	for (int i = 0; i < m->locks.n; i++)
		if (m->locks.v[i].gone)
			gone[n++] = m->locks.v[i].owner;
	if (n && store_take_orphans(m->s, m->o->instance, m->host, m->boot_id, m->o->lease_ttl,
				    gone, n, &jobs) == STORE_OK) {
		take_jobs(m, &jobs, GONE_BY_LOCK);
		took = jobs.n > 0;
		store_jobs_free(&jobs);
	}
	store_locks_free(&locks);
	return took;
}

/* Once per MAINTENANCE_MS: renew this monitor's leases, adopt and end what others
 * left (nothing more when the leases could not be renewed; no take-over while this
 * monitor's own lock is not held). */
static void maintain(struct mon *m)
{
	struct store_jobs jobs;
	int stopped, added;

	if (!keep_leases(m))
		return;
	if (m->held && take_over(m, &jobs) == STORE_OK) {
		take_jobs(m, &jobs, GONE_BY_LEASE);
		store_jobs_free(&jobs);
	}
	purge_history(m);
	leak_check(m);
	/* sessions: a failure here (logged) must not stop the launching and watching */
	store_session_expire(m->s, m->cfg, &stopped);
	/* with warm-pool 0 the pool is still kept: empty (drivers of an earlier setting stop) */
	if (m->o->drivers->pool[0])
		store_pool_refill(m->s, ARGV_POOL, m->cfg->warm_pool, m->o->drivers->pool, m->cfg,
				  &added);
}

/* On every wake-up: launch what waits (claims only while this monitor holds its
 * lock: monitor.h), watch what runs. */
static void cycle(struct mon *m)
{
	struct store_jobs jobs;
	char what[LABEL_MAX];

	while (waitpid(-1, NULL, WNOHANG) > 0)
		;                   /* our shims: their status is in their folder */
	sa_round_begin(m);
	if (m->held && store_claim(m->s, m->o->instance, m->host, m->boot_id, m->o->lease_ttl,
			CLAIM_PER_CYCLE, &jobs) == STORE_OK) {
		for (int i = 0; i < jobs.n && !stopping && keep_leases(m); i++)
			if (sa_job(&jobs.v[i]))
				sa_submit_job(m, &jobs.v[i], label(&jobs.v[i], what, sizeof what));
			else
				launch(m, &jobs.v[i]);
		store_jobs_free(&jobs);
	}
	if (store_my_jobs(m->s, m->o->instance, &jobs) == STORE_OK) {
		const struct yarn_app **app = calloc((size_t)jobs.n + 1, sizeof *app);
		struct yarn_apps apps;
		bool looked = app && yarn_look(m, &jobs, &apps, app);

		bool sa_asked = false;

		for (int i = 0; app && i < jobs.n && !stopping && keep_leases(m); i++)
			if (yarn_job(&jobs.v[i]))
				watch_yarn(m, &jobs.v[i], app[i], looked);
			else if (sa_job(&jobs.v[i])) {
				sa_asked = true;
				watch_standalone(m, &jobs.v[i]);
			} else
				watch(m, &jobs.v[i]);
		sa_round_end(m, sa_asked);
		if (looked)
			yarn_apps_free(&apps);
		free(app);
		store_jobs_free(&jobs);
	}
}

/* Milliseconds until the next maintenance is due, 0 when it is. */
static int until_maintenance(long long last)
{
	long long left = last + MAINTENANCE_MS - now_ms();

	return left > 0 ? (int)left : 0;
}

/* After a cycle that took took_ms: let a burst of notifications (a NOTIFY per POST)
 * gather until MIN_CYCLE_MS has passed, rather than run a cycle per notification;
 * but the end of a job shim of ours (the keeper's news, or our own child's) cuts
 * the pause short and is left for wait_for_work: a job's end is not held up. */
static void gather(int took_ms)
{
	struct pollfd p[2] = {
		{.fd = wake_pipe[0], .events = POLLIN},
		{.fd = keeper_news_fd(), .events = POLLIN},
	};

	if (took_ms < MIN_CYCLE_MS)
		poll(p, 2, MIN_CYCLE_MS - took_ms);
}

/* Milliseconds until the next look at the other monitors' locks, 0 when it is due. */
static int until_orphan_look(const struct mon *m)
{
	long long left = m->last_orphan_look + ORPHAN_LOOK_MS - now_ms();

	return left > 0 ? (int)left : 0;
}

/* How long the loop may sleep: until the next maintenance or look, whichever is first. */
static int until_due(const struct mon *m, long long last_maintenance)
{
	int a = until_maintenance(last_maintenance), b = until_orphan_look(m);

	return a < b ? a : b;
}

/* Hold this monitor's own lock (store_hold_owner), saying when that changes. */
static void hold_own_lock(struct mon *m)
{
	enum store_rc rc = store_hold_owner(m->s, m->o->instance, m->host, m->boot_id);

	if (rc == STORE_OK && !m->held)
		log_info("monitor: holds its lock in the database");
	else if (rc != STORE_OK && m->held)
		log_warn("monitor: its lock in the database is not held (%s); it claims and adopts "
			 "nothing until it is (tried again every %d ms)",
			 rc == STORE_DUPLICATE ? "another session holds it"
			 : "the database is away or refused it",
			 ORPHAN_LOOK_MS);
	m->held = rc == STORE_OK;
}

/* Sleep until a notification, the end of a job shim of ours, SIGTERM or timeout_ms.
 * True when woken by work (a notification, a shim's end), false when the time ran out. */
static bool wait_for_work(struct mon *m, int timeout_ms)
{
	struct pollfd p[3] = {
		{.fd = store_socket(m->s), .events = POLLIN},
		{.fd = wake_pipe[0], .events = POLLIN},
		{.fd = keeper_news_fd(), .events = POLLIN},
	};
	char buf[64];

	/* a shim the keeper started ended while we talked to it: no sleep */
	if (keeper_news())
		return true;
	if (poll(p, 3, timeout_ms) <= 0)
		return false;
	if (p[2].revents)
		keeper_news();
	if (p[1].revents & POLLIN)
		while (read(wake_pipe[0], buf, sizeof buf) > 0)
			;
	if (p[0].revents & POLLIN)
		store_drain_notifies(m->s);
	return true;
}

/* The names (never the values) of the variables every job gets. */
static void log_job_env(char **env)
{
	char names[ENV_NAMES_MAX] = "";
	size_t len = 0;

	for (char **e = env; *e && len < sizeof names; e++)
		len += (size_t)snprintf(names + len, sizeof names - len, "%s%.*s", len ? " " : "",
					(int)strcspn(*e, "="), *e);
	log_info("monitor: jobs get the variables %s", names[0] ? names : "(none)");
}

int monitor_main(const struct cfg *c, const struct monitor_opts *o)
{
	struct sigaction sa;
	struct mon m;
	char app[APP_NAME_MAX], jobs[JOB_DIR_MAX];
	long long last_maintenance = 0, started, took;
	bool work = true;           /* a cycle is due: the first, or woken by work */

	memset(&m, 0, sizeof m);
	m.cfg = c;
	m.o = o;
	m.users = o->users;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_error("monitor: pipe: %s", strerror(errno));
		return 1;
	}
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	if (gethostname(m.host, sizeof m.host) < 0 || launch_boot_id(m.boot_id, sizeof m.boot_id) < 0)
		return 1;
	m.host[sizeof m.host - 1] = '\0';
	snprintf(m.spark_submit, sizeof m.spark_submit, "%s/bin/spark-submit", c->spark_home);
	snprintf(jobs, sizeof jobs, "%s/jobs", o->var_dir);
	/* 0711: jobs pass through to their own folder; none may list the others */
	if (mkdir(jobs, 0711) < 0 && errno != EEXIST) {
		log_error("monitor: cannot create %s: %s", jobs, strerror(errno));
		return 1;
	}
	snprintf(app, sizeof app, "tacitus/%s/monitor/%d", o->instance, (int)getpid());
	/* once: the server's environment does not change, and no job gets more of it */
	m.job_env = jobenv_build(c, environ);
	if (!m.job_env) {
		log_error("monitor: out of memory building the jobs' environment");
		return 1;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		log_error("monitor: libcurl cannot start");
		return 1;
	}
	log_info("monitor: started on %s, spark-submit %s", m.host, m.spark_submit);
	log_job_env(m.job_env);
	while (!stopping) {
		if (!m.s && (m.s = store_open(app)) && store_listen(m.s, STORE_JOBS) != STORE_OK) {
			store_close(m.s);
			m.s = NULL;
		}
		if (!m.s || store_ensure(m.s) != STORE_OK) {
			sleep(1);
			continue;
		}
		hold_own_lock(&m);
		/* once per period whatever the outcome: a renewal refused on a live
		 * connection (an error in the UPDATE) is refused again at once, and
		 * retrying at once spins and floods the log */
		if (!until_maintenance(last_maintenance)) {
			maintain(&m);
			last_maintenance = now_ms();
			work = true;        /* the fallback: a cycle at least once a period */
		}
		/* Leases not renewed: claim, launch and watch nothing until they are.
		 * Our leases may lapse meanwhile and another monitor adopt our jobs;
		 * every write is guarded by owner, but a claim would take batches
		 * that we cannot hold, and skipping loses nothing: jobs run on, their
		 * output is stored at the next good cycle, and other monitors claim
		 * what waits. */
		if (!m.renewed) {
			work = wait_for_work(&m, until_maintenance(last_maintenance));
			continue;
		}
		/* adopted jobs are watched at once; a wake-up for the look alone runs
		 * no cycle */
		if (!until_orphan_look(&m) && look_for_orphans(&m))
			work = true;
		if (work) {
			started = now_ms();
			m.more_output = false;
			m.output_until = started + OUTPUT_CYCLE_MS;
			cycle(&m);
			took = now_ms() - started;
			metrics_cycle((double)took / 1000.0);
			gather(took < MIN_CYCLE_MS ? (int)took : MIN_CYCLE_MS);
		}
		/* a job left output behind: the next cycle comes at once */
		work = wait_for_work(&m, m.more_output ? 0 : until_due(&m, last_maintenance)) ||
		       m.more_output;
	}
	log_info("monitor: stopping; running jobs keep running and go to whoever adopts them");
	if (m.s)
		store_release_leases(m.s, o->instance);
	store_close(m.s);
	yarn_rm_close(m.yarn);
	sa_close(m.sa);
	free(m.sa_module_options);
	curl_global_cleanup();
	jobenv_free(m.job_env);
	return 0;
}
