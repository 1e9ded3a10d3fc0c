/* jobuser.c - the pool of job accounts, switching to one, killing what runs as one. */
#include "jobuser.h"
#include "log.h"
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NAME_MAX_LEN (JOBUSER_PREFIX_MAX + 8)
#define PROC_PATH_MAX 64        /* "/proc/<pid>/status" */
#define LINE_MAX_LEN 256        /* a line of /proc/<pid>/status */
#define PURGE_ROUNDS 50         /* scans of /proc killing an account's processes ... */
#define PURGE_PAUSE_MS 20       /* ... this far apart */
#define CHILD_FD 3              /* the folder, in a child that empties it */
#define WAIT_GRACE_MS 1000      /* a sweep past its deadline is killed this much later */
#define WAIT_NAP_MS 10          /* ... looked at this often when it has no pidfd */

/* The capabilities the monitor needs, as a mask of the first 32. */
#define NEEDED_CAPS ((1u << CAP_SETUID) | (1u << CAP_SETGID) | (1u << CAP_KILL) | \
		     (1u << CAP_CHOWN))

static int caps_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};

	return (int)syscall(SYS_capget, &h, d);
}

/* Empty every capability set of this process (ambient included). */
static int caps_clear(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof d);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	return (int)syscall(SYS_capset, &h, d);
}

int jobuser_drop_caps(void)
{
	if (caps_clear() < 0) {
		log_error("cannot drop capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int jobuser_become(uid_t uid, gid_t gid)
{
	if (uid == 0 || gid == 0) {
		errno = EPERM;
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
	    setresuid(uid, uid, uid) < 0 || caps_clear() < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	/* proof rather than trust: no way back */
	if (setresuid(0, 0, 0) == 0 || getuid() != uid || geteuid() != uid) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int jobuser_pool_open(struct jobuser_pool *p, const char *spec, const char *lock_dir)
{
	struct __user_cap_data_struct d[2];
	char prefix[JOBUSER_PREFIX_MAX + 1], name[NAME_MAX_LEN];
	const char *colon = strrchr(spec, ':');
	char *end;
	long n;

	memset(p, 0, sizeof *p);
	n = colon ? strtol(colon + 1, &end, 10) : 0;
	if (!colon || colon == spec || (size_t)(colon - spec) > JOBUSER_PREFIX_MAX || *end ||
	    n < 1 || n > JOBUSER_MAX) {
		log_error("--job-users %s: expected PREFIX:N with N from 1 to %d", spec, JOBUSER_MAX);
		return -1;
	}
	if (!lock_dir || snprintf(p->lock_dir, sizeof p->lock_dir, "%s", lock_dir) >=
	    (int)sizeof p->lock_dir) {
		log_error("--job-users needs --job-locks DIR (a folder of at most %d bytes)",
			  JOBUSER_PATH_MAX - 1);
		return -1;
	}
	snprintf(prefix, sizeof prefix, "%.*s", (int)(colon - spec), spec);
	for (int i = 0; i < n; i++) {
		struct passwd *pw;

		snprintf(name, sizeof name, "%s%d", prefix, i + 1);
		pw = getpwnam(name);
		if (!pw || pw->pw_uid == 0 || pw->pw_gid == 0 || pw->pw_uid == getuid() ||
		    pw->pw_gid == getgid()) {
			log_error("job account %s: %s", name, !pw ? "no such user" :
				  "must be neither root nor the server's user, nor in their group");
			return -1;
		}
		for (int k = 0; k < i; k++)
			if (p->uid[k] == pw->pw_uid || p->gid[k] == pw->pw_gid) {
				log_error("job account %s: uid %d or gid %d used twice", name,
					  (int)pw->pw_uid, (int)pw->pw_gid);
				return -1;
			}
		p->uid[i] = pw->pw_uid;
		p->gid[i] = pw->pw_gid;
	}
	/* root keeps owner's rights over root's files whatever its capabilities: the
	 * separation needs a server user of its own */
	if (getuid() == 0 || geteuid() == 0) {
		log_error("--job-users: the server must not run as root (app/stack.sh starts it "
			  "as tacitus)");
		return -1;
	}
	if (caps_get(d) < 0 || (d[0].permitted & NEEDED_CAPS) != NEEDED_CAPS ||
	    (d[0].effective & NEEDED_CAPS) != NEEDED_CAPS) {
		log_error("--job-users needs CAP_SETUID, CAP_SETGID, CAP_KILL and CAP_CHOWN "
			  "(start the server with setpriv --ambient-caps, as app/stack.sh does)");
		return -1;
	}
	p->n = (int)n;
	return 0;
}

int jobuser_proc_uids(pid_t pid, uid_t ids[JOBUSER_PROC_UIDS])
{
	char path[PROC_PATH_MAX], line[LINE_MAX_LEN];
	unsigned long v[JOBUSER_PROC_UIDS];
	int rc = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (rc < 0 && fgets(line, sizeof line, f))
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &v[0], &v[1], &v[2], &v[3]) == 4) {
			for (int i = 0; i < JOBUSER_PROC_UIDS; i++)
				ids[i] = (uid_t)v[i];
			rc = 0;
		}
	fclose(f);
	return rc;
}

/* Whether any of pid's uids (real, effective, saved, filesystem) is uid. */
static bool runs_as(pid_t pid, uid_t uid)
{
	uid_t ids[JOBUSER_PROC_UIDS];
	bool found = false;

	if (jobuser_proc_uids(pid, ids) < 0)
		return false;
	for (int i = 0; i < JOBUSER_PROC_UIDS; i++)
		found |= ids[i] == uid;
	return found;
}

/* Whether pid has ended and waits to be reaped: nothing to kill (its parent, or init
 * when that was killed too, reaps it), and no reason to scan again. */
static bool zombie(pid_t pid)
{
	char path[PROC_PATH_MAX], line[LINE_MAX_LEN], *p;
	FILE *f;
	bool z = false;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return false;
	if (fgets(line, sizeof line, f) && (p = strrchr(line, ')')) && p[1] == ' ')
		z = p[2] == 'Z';
	fclose(f);
	return z;
}

/* SIGKILL every process of uid found in one scan of /proc; the number found (but
 * zombies). */
static int kill_round(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int found = 0;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);
		int fd;

		if (pid <= 0 || !runs_as(pid, uid) || zombie(pid))
			continue;
		/* the pidfd holds the process: check again through it, then signal it,
		 * never a stranger that got the number meanwhile */
		fd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (fd < 0)
			continue;
		if (runs_as(pid, uid)) {
			syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
			found++;
		}
		close(fd);
	}
	closedir(d);
	return found;
}

int jobuser_purge(uid_t uid)
{
	if (uid == 0 || uid == getuid())
		return 0;
	/* with CAP_KILL, from here: no helper that the account could stop or kill.
	 * Processes it forks while a scan runs are found by the next one. */
	for (int round = 0; round < PURGE_ROUNDS; round++) {
		int found = kill_round(uid);

		if (found < 0) {
			log_error("job account %d: cannot read /proc: %s", (int)uid, strerror(errno));
			return -1;
		}
		if (found == 0)
			return 0;
		poll(NULL, 0, PURGE_PAUSE_MS);      /* let the killed go */
	}
	log_error("job account %d: processes still appear after %d rounds of SIGKILL", (int)uid,
		  PURGE_ROUNDS);
	return -1;
}

int jobuser_find(const struct jobuser_pool *p, uid_t uid)
{
	for (int i = 0; i < p->n; i++)
		if (p->uid[i] == uid)
			return i;
	return -1;
}

int jobuser_lock_path(const struct jobuser_pool *p, uid_t uid, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%d", p->lock_dir, (int)uid) < (int)len ? 0 : -1;
}

int jobuser_lock(const struct jobuser_pool *p, uid_t uid)
{
	char path[JOBUSER_PATH_MAX + 16];
	int fd;

	jobuser_lock_path(p, uid, path, sizeof path);
	/* read-only: a lock needs no more, and a lock file another server user left
	 * (readable, not writable) still serves */
	fd = open(path, O_RDONLY | O_CREAT | O_NOFOLLOW, 0600);
	if (fd < 0) {
		log_error("job account lock %s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return -2;
		log_error("job account lock %s: %s", path, strerror(e));
		return -1;
	}
	return fd;
}

int jobuser_take(struct jobuser_pool *p, struct jobuser *u)
{
	bool failed = false;

	u->lock_fd = -1;
	if (!p->n) {
		u->uid = getuid();
		u->gid = getgid();
		return 1;
	}
	for (int k = 0; k < p->n; k++) {
		int i = (p->next + k) % p->n, fd = jobuser_lock(p, p->uid[i]);

		failed |= fd == -1;
		if (fd < 0)
			continue;       /* busy, or its lock unusable (logged): the next one */
		p->next = (i + 1) % p->n;
		u->uid = p->uid[i];
		u->gid = p->gid[i];
		u->lock_fd = fd;
		return 1;
	}
	return failed ? -1 : 0;
}

void jobuser_release(struct jobuser *u)
{
	if (u->lock_fd >= 0)
		close(u->lock_fd);
	u->lock_fd = -1;
}

/* In a child: file operations as uid/gid (effective ids only: the real and saved
 * stay the caller's, so no process of the account may signal or trace it), no
 * capability.  Exits 1 when the switch failed. */
static void become_effective(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 || setresgid((gid_t)-1, gid, (gid_t)-1) < 0 ||
	    setresuid((uid_t)-1, uid, (uid_t)-1) < 0 || caps_clear() < 0 || geteuid() != uid)
		_exit(1);
}

/* The end of a sweep in a child: logged once when something was left; the exit
 * code says whether everything went. */
static _Noreturn void sweep_done(int end, const struct sweep_stats *st, const char *what,
				 uid_t uid)
{
	char line[SWEEP_DESCRIBE_MAX];

	if (end != SWEEP_DONE)
		log_warn("%s of uid %d: %s", what, (int)uid, sweep_describe(end, st, line,
									sizeof line));
	_exit(end == SWEEP_DONE ? 0 : 1);
}

/* In a child: the folder fd (open with O_PATH will do) reopened as the account and
 * emptied by descriptor, at any depth, within wait_ms. */
static void empty_as(uid_t uid, gid_t gid, int fd, int wait_ms)
{
	long long until = sweep_deadline(wait_ms);
	struct sweep_stats st;
	char self[PROC_PATH_MAX];
	int dfd;

	become_effective(uid, gid);
	memset(&st, 0, sizeof st);
	/* through the descriptor: the path to the folder may pass folders the
	 * account may not enter */
	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	chmod(self, S_IRWXU);
	dfd = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		_exit(1);
	sweep_done(sweep_tree(dfd, until, &st), &st, "a working folder", uid);
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

/* Wait up to ms for the child pidfd (-1: none) to end: woken by its end through the
 * pidfd, else a nap of at most WAIT_NAP_MS. */
static void nap_for(int pidfd, long long ms)
{
	struct pollfd p = {.fd = pidfd, .events = POLLIN};

	if (pidfd >= 0)
		poll(&p, 1, (int)ms);
	else
		poll(NULL, 0, (int)(ms < WAIT_NAP_MS ? ms : WAIT_NAP_MS));
}

/* Run fn's work in a child (it _exits 0 when all went), waiting at most wait_ms
 * plus a grace for it.  Returns 0, or -1 (logged). */
static int in_child(uid_t uid, gid_t gid, int fd, int wait_ms,
		    void (*fn)(uid_t, gid_t, int, int), const char *what)
{
	int status = 0, limit = wait_ms + WAIT_GRACE_MS, pidfd;
	long long until = now_ms() + limit, left;
	pid_t pid, done;

	pid = fork();
	if (pid < 0) {
		log_error("%s of uid %d: fork: %s", what, (int)uid, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* nothing of the caller's (the keeper's way, its requests) for a child that
		 * walks what a job made: only the folder it empties, as fd 3 */
		if (fd >= 0 && fd != CHILD_FD && dup2(fd, CHILD_FD) < 0)
			_exit(1);
		closefrom(fd >= 0 ? CHILD_FD + 1 : CHILD_FD);
		fn(uid, gid, fd >= 0 ? CHILD_FD : -1, wait_ms);
	}
	/* the sweep stops at its deadline; this is for one that hangs (a folder of
	 * a stuck file system).  Woken at its end (a pidfd), not at the next nap's. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	while ((done = waitpid(pid, &status, WNOHANG)) == 0) {
		if ((left = until - now_ms()) <= 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			log_warn("%s of uid %d: still going after %d ms; left as it is", what,
				 (int)uid, limit);
			break;
		}
		nap_for(pidfd, left);
	}
	if (pidfd >= 0)
		close(pidfd);
	if (done == 0)
		return -1;      /* killed past its deadline (logged) */
	if (done < 0)
		return 0;       /* reaped by someone else: it ran */
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int jobuser_empty_fd(uid_t uid, gid_t gid, int fd, int wait_ms)
{
	if (uid == 0 || uid == getuid())
		return -1;
	return in_child(uid, gid, fd, wait_ms, empty_as, "emptying a working folder");
}

/* In a child: what the account left in the host's shared places and its IPC. */
static void sweep_as(uid_t uid, gid_t gid, int fd, int wait_ms)
{
	long long until = sweep_deadline(wait_ms);
	struct sweep_stats st;

	(void)fd;
	become_effective(uid, gid);
	memset(&st, 0, sizeof st);
	sweep_done(sweep_account(uid, NULL, NULL, until, &st), &st, "sweeping what is left", uid);
}

int jobuser_sweep(uid_t uid, gid_t gid, int wait_ms)
{
	if (uid == 0 || uid == getuid())
		return -1;
	return in_child(uid, gid, -1, wait_ms, sweep_as, "sweeping what is left");
}

int jobuser_keep_switch_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	const unsigned keep = (1u << CAP_SETUID) | (1u << CAP_SETGID);

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return -1;
	if (caps_get(d) < 0)
		return -1;
	d[0].effective &= keep;
	d[0].permitted &= keep;
	d[0].inheritable = d[1].inheritable = 0;
	d[1].effective = d[1].permitted = 0;
	return (int)syscall(SYS_capset, &h, d);
}
