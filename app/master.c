/* master.c - prefork master: socket, workers, one monitor, one webhook sender, one
 * publisher, respawn, graceful stop. */
#include "master.h"
#include "hooksend.h"
#include "jobuser.h"
#include "keeper.h"
#include "log.h"
#include "metrics.h"
#include "publish.h"
#include "respawn.h"
#include "store.h"
#include "worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#define LOCK_PATH_MAX 1100          /* the socket path + ".lock" */
#define APP_NAME_MAX 128            /* PostgreSQL application_name */
#define LISTEN_BACKLOG 4096         /* nginx waits there while every worker is busy: a
				     * wake-up hands thousands of waiting clients back at
				     * once (push.h); a full queue fails them (EAGAIN) and
				     * takes the instance out of nginx for 2 s.  The
				     * kernel caps it at net.core.somaxconn */
#define MIGRATE_TRIES 30            /* seconds the master waits for PostgreSQL */
#define NAME_WAIT 5                 /* seconds it waits for its name to be free */

#define MAX_CHILDREN 65
#define STOP_GRACE 10           /* seconds before SIGKILL */

/* What a child of the master is: slot 0 the monitor and slot 1 the webhook sender
 * (unless --no-monitor), then the publisher (with --push-socket), the others
 * workers (role_of). */
enum role { ROLE_WORKER, ROLE_MONITOR, ROLE_HOOK, ROLE_PUBLISH };
static const char *const role_name[] = {"worker", "monitor", "webhook sender", "publisher"};

struct child {
	pid_t pid;
	enum role role;
	long long started;      /* monotonic ms */
};

/* The master's clock for its throttle and deadlines: monotonic milliseconds, which
 * no step of the wall clock moves. */
static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int lock_socket(const char *path)
{
	char lock[LOCK_PATH_MAX];
	int fd;

	snprintf(lock, sizeof lock, "%s.lock", path);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0) {
		log_error("socket %s: %s", path, fd < 0 ? strerror(errno)
			  : "another instance holds it (lock file busy)");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;              /* kept open for the life of the master */
}

/* A listening unix socket at path, mode 0660.  Returns the fd or -1 (logged). */
static int listen_unix(const char *path)
{
	struct sockaddr_un a;
	int fd;

	memset(&a, 0, sizeof a);
	a.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof a.sun_path) {
		log_error("socket %s: path longer than %zu bytes", path, sizeof a.sun_path - 1);
		return -1;
	}
	strcpy(a.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("socket %s: %s", path, strerror(errno));
		return -1;
	}
	unlink(path);           /* stale: the lock file says nobody else serves it */
	if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || chmod(path, 0660) < 0 ||
	    listen(fd, LISTEN_BACKLOG) < 0) {
		log_error("socket %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Fork a worker, the monitor, the webhook sender or the publisher; its pid, or 0 when fork failed
 * (e.g. EAGAIN at the process limit): the slot stays empty, and an empty slot is
 * what the main loop fills again after the usual backoff. */
static pid_t spawn_child(const struct cfg *c, const struct master_opts *o, int lfd,
			 enum role role, int slot, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_error("fork: %s; the %s is started again in a second", strerror(errno),
			  role_name[role]);
		return 0;
	}
	if (pid > 0)
		return pid;
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	metrics_use(slot);          /* a replacement goes on from its predecessor's counts */
	if (role == ROLE_MONITOR) {
		close(lfd);
		log_init(o->instance, "monitor");
		_exit(monitor_main(c, &o->mon));
	}
	/* a worker reads what anyone sends, the sender calls out: neither holds a
	 * capability (jobuser.h) nor has a way to the keeper (keeper.h); a server run
	 * as root (no job accounts) has no privilege to separate */
	keeper_forget();
	if (getuid() != 0 && jobuser_drop_caps() < 0)
		_exit(1);
	if (role == ROLE_HOOK) {
		close(lfd);
		log_init(o->instance, "hook");
		_exit(hooksend_main(c, o->instance));
	}
	if (role == ROLE_PUBLISH) {
		close(lfd);
		log_init(o->instance, "publish");
		_exit(publish_main(c, o->instance, o->push_socket));
	}
	log_init(o->instance, "worker");
	_exit(worker_main(lfd, c, o->drivers, o->instance));
}

/* The role of slot i (see enum role). */
static enum role role_of(const struct master_opts *o, int i)
{
	int first_worker = o->no_monitor ? 0 : 2;

	if (!o->no_monitor && i < 2)
		return i == 0 ? ROLE_MONITOR : ROLE_HOOK;
	if (o->push_socket && i == first_worker)
		return ROLE_PUBLISH;
	return ROLE_WORKER;
}

/* The instance's connection: open (waiting up to MIGRATE_TRIES seconds for
 * PostgreSQL), holding the instance's name (store_hold_name), migrations applied.
 * NULL after logging why the instance must not start. */
static struct store *open_instance(const struct master_opts *o)
{
	char app[APP_NAME_MAX];
	struct store *s;
	enum store_rc rc;

	snprintf(app, sizeof app, "tacitus/%s/master", o->instance);
	for (int tries = 0; !(s = store_open(app)); tries++) {
		if (tries == MIGRATE_TRIES) {
			log_error("the database cannot be reached; not starting");
			return NULL;
		}
		sleep(1);
	}
	/* a predecessor killed a moment ago may still hold the name until PostgreSQL
	 * has seen its connection close */
	for (int waited = 0; (rc = store_hold_name(s, o->instance)) != STORE_OK; waited++) {
		if (waited == NAME_WAIT) {
			if (rc == STORE_DUPLICATE)
				log_error("another instance named %s is running (it holds the name in "
					  "the database); not starting", o->instance);
			else
				log_error("the instance's name could not be taken in the database; "
					  "not starting");
			store_close(s);
			return NULL;
		}
		sleep(1);
	}
	if (store_migrate(s, o->sql_dir) != STORE_OK) {
		log_error("database migrations failed; not starting");
		store_close(s);
		return NULL;
	}
	return s;
}

/* What the children counted since the last flush, added to PostgreSQL (metrics.h);
 * kept for the next tick when it could not be stored. */
static void flush_metrics(struct store *s, const char *instance)
{
	json_object *d = metrics_deltas();

	if (d && store_metrics_add(s, instance, json_object_to_json_string_ext(
					   d, JSON_C_TO_STRING_PLAIN)) == STORE_OK)
		metrics_deltas_done();
	json_object_put(d);
}

static void stop_children(struct child *kids, int n)
{
	long long deadline = now_ms() + STOP_GRACE * 1000LL;
	int alive;

	for (int i = 0; i < n; i++)
		if (kids[i].pid > 0)
			kill(kids[i].pid, SIGTERM);
	do {
		alive = 0;
		for (int i = 0; i < n; i++) {
			if (kids[i].pid > 0 && waitpid(kids[i].pid, NULL, WNOHANG) == kids[i].pid)
				kids[i].pid = 0;
			alive += kids[i].pid > 0;
		}
		if (alive)
			usleep(50000);
	} while (alive && now_ms() < deadline);
	for (int i = 0; i < n; i++)
		if (kids[i].pid > 0) {
			log_warn("child %d did not stop in %ds: SIGKILL", (int)kids[i].pid, STOP_GRACE);
			kill(kids[i].pid, SIGKILL);
			waitpid(kids[i].pid, NULL, 0);
		}
}

int master_main(const struct cfg *c, const struct master_opts *o)
{
	struct child kids[MAX_CHILDREN];
	sigset_t set, old;
	struct respawn_crashes crashes;
	int helpers = (o->no_monitor ? 0 : 2) + (o->push_socket ? 1 : 0);
	int n = o->workers + helpers, lfd, lockfd, rc = 0;
	bool give_up = false;
	pid_t keeper = 0;
	struct store *name;

	log_init(o->instance, "master");
	if (n > MAX_CHILDREN) {
		log_error("at most %d workers", MAX_CHILDREN - helpers);
		return 1;
	}
	if ((lockfd = lock_socket(o->socket_path)) < 0)
		return 1;
	/* first, while this process holds nothing but its lock: from here on only the
	 * keeper holds the rights over job accounts (keeper.h) */
	if (o->mon.users->n && !o->no_monitor &&
	    (keeper = keeper_start(o->mon.users, o->mon.var_dir, o->instance, c)) < 0)
		return 1;
	if (!keeper && getuid() != 0 && jobuser_drop_caps() < 0)
		return 1;
	/* kept for the master's life: it holds the name.  The children inherit its
	 * socket over fork and never use it, so the name stays held while any process
	 * of this instance lives (a monitor orphaned by a killed master included) */
	if (!(name = open_instance(o)))
		return 1;
	if ((lfd = listen_unix(o->socket_path)) < 0) {
		store_close(name);
		return 1;
	}
	if (FCGX_Init() != 0) {
		log_error("FCGX_Init failed");
		close(lfd);
		store_close(name);
		return 1;
	}
	if (metrics_init(n) < 0)
		log_warn("metrics: no shared memory; nothing is counted");
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &old);
	respawn_init(&crashes, now_ms());
	for (int i = 0; i < n; i++) {
		kids[i].role = role_of(o, i);
		kids[i].started = now_ms();
		kids[i].pid = spawn_child(c, o, lfd, kids[i].role, i, &old);
	}
	log_info("serving %s with %d workers%s%s", o->socket_path, o->workers,
		 o->no_monitor ? " and no monitor" : ", a monitor, a webhook sender",
		 o->push_socket ? ", a publisher" : "");
	for (;;) {
		struct timespec tick = {1, 0};
		int sig = sigtimedwait(&set, NULL, &tick);
		pid_t pid;
		int st;

		if (sig == SIGTERM || sig == SIGINT)
			break;
		/* PostgreSQL restarted: the lock went with the session; take it again, and
		 * stop if a namesake took it meanwhile (STORE_ERROR: the database is away,
		 * and nobody else can take it either) */
		flush_metrics(name, o->instance);
		if (store_hold_name(name, o->instance) == STORE_DUPLICATE) {
			log_error("another instance named %s took the name while the database was "
				  "away; stopping", o->instance);
			rc = 1;
			break;
		}
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			if (pid == keeper) {
				log_error("the keeper exited (%s %d): nobody may start or stop jobs "
					  "here; stopping", WIFSIGNALED(st) ? "signal" : "status",
					  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				keeper = 0;
				rc = 1;
			}
			for (int i = 0; i < n; i++) {
				if (kids[i].pid != pid)
					continue;
				log_warn("%s %d exited (%s %d); starting another",
					 role_name[kids[i].role], (int)pid,
					 WIFSIGNALED(st) ? "signal" : "status",
					 WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
				kids[i].pid = 0;
				give_up |= respawn_crashed(&crashes, now_ms());
			}
		}
		if (rc)
			break;
		if (give_up) {
			log_error("more than %d crashes in a minute; giving up", RESPAWN_CRASH_LIMIT);
			rc = 1;
			break;
		}
		for (int i = 0; i < n; i++)
			if (kids[i].pid == 0 && respawn_due(kids[i].started, now_ms())) {
				kids[i].started = now_ms();
				kids[i].pid = spawn_child(c, o, lfd, kids[i].role, i, &old);
			}
	}
	log_info("stopping");
	stop_children(kids, n);
	if (keeper > 0) {       /* after the monitor, which may need it to the end */
		kill(keeper, SIGTERM);
		waitpid(keeper, NULL, 0);
	}
	flush_metrics(name, o->instance);
	close(lfd);
	unlink(o->socket_path);
	close(lockfd);
	store_close(name);
	return rc;
}
