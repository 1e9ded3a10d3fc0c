/* jobuser.h - the OS users jobs run as, and the capabilities that switching takes.
 *
 * The module owns the separation between a job's code and everything else on
 * the host.  With a pool configured (`serve --job-users PREFIX:N`), every job
 * runs as one of N unprivileged accounts PREFIX1 .. PREFIXN (each with a group
 * of its own), never as root and never as the server's user; two jobs that run
 * at the same time on a host never share one.  Without a pool, jobs run as the
 * server's user (a server started without root: nothing to switch to).
 *
 * How the switch happens.  The server is started as its own unprivileged user
 * with exactly four capabilities (`setpriv --ambient-caps`, by app/stack.sh):
 * CAP_SETUID and CAP_SETGID (become a job user), CAP_KILL (signal a job's
 * processes) and CAP_CHOWN (hand a job its working folder).  They are root's
 * rights taken together, so one small process keeps them, the keeper
 * (keeper.h), which uses the functions below on the monitor's behalf; every
 * other process gives them all up.  The job shim keeps CAP_SETUID and CAP_SETGID
 * until its job has started; the process it starts becomes the job user just
 * before exec (jobuser_become): no supplementary groups, no capability in any
 * set, no_new_privs (a setuid program cannot give a job more).
 *
 * Which account.  The monitor takes a free one (jobuser_take): one lock file
 * per account in a folder shared by every Tacitus of the host, held with
 * flock(2) by the job's shim for as long as the job runs (the shim inherits the
 * open file and the kernel drops the lock when the shim ends, however it ends).
 * Before an account serves a new job, every process still running as it is
 * killed (jobuser_purge: a process that escaped its job's process group must not
 * wait for the next job of that account) and what it left in the host's shared
 * places and System V IPC is removed (jobuser_sweep).  When its job ends, the shim locks the
 * account out of the job's folder before its lock goes, and the monitor has the
 * working folder emptied as the account (jobuser_empty_fd): nothing of a job
 * waits for the next job of its account.  Accounts are resolved by name through
 * the system's user database, so Java's and Hadoop's user lookups work inside
 * jobs.
 */
#ifndef TACITUS_JOBUSER_H
#define TACITUS_JOBUSER_H

#include <stdbool.h>
#include <sys/types.h>

#define JOBUSER_PREFIX_MAX 32
#define JOBUSER_MAX 4096                /* accounts in a pool */
#define JOBUSER_PATH_MAX 1024

struct jobuser_pool {
	int n;                          /* 0: no pool, jobs run as the server's user */
	uid_t uid[JOBUSER_MAX];
	gid_t gid[JOBUSER_MAX];
	char lock_dir[JOBUSER_PATH_MAX];
	int next;                       /* where the next search starts (spreads reuse) */
};

/* One account taken for one job.  lock_fd holds the account's lock until the
 * shim that inherits it ends; -1 when the job runs as the server's user. */
struct jobuser {
	uid_t uid;
	gid_t gid;
	int lock_fd;
};

/* Resolve the pool `spec` ("PREFIX:N": accounts PREFIX1 .. PREFIXN) with its
 * locks in lock_dir.  Every account must exist, be neither root nor the
 * server's user, be distinct, and the process must hold the four capabilities
 * above.  Returns 0, or -1 after logging what is wrong (the server must not
 * start: jobs would run with more rights than the admin asked for). */
int jobuser_pool_open(struct jobuser_pool *p, const char *spec, const char *lock_dir);

/* Take a free account of pool p for a job: its lock taken (close-on-exec is
 * off: hand lock_fd to the shim, then jobuser_release it here).  An account whose
 * lock file cannot be opened or locked (logged) is passed over for the next one.
 * Returns 1 and fills *u; 0 when every account is busy (try again later); -1 when
 * none was free and some could not be locked.  With no pool, returns 1 with the server's own ids and lock_fd -1.
 * What may still run as the account is the caller's to purge. */
int jobuser_take(struct jobuser_pool *p, struct jobuser *u);

/* The index of uid in pool p, or -1 when it is not one of its accounts. */
int jobuser_find(const struct jobuser_pool *p, uid_t uid);

/* The path of uid's lock file into buf.  Returns 0, or -1 when it does not fit. */
int jobuser_lock_path(const struct jobuser_pool *p, uid_t uid, char *buf, size_t len);

/* uid's lock, taken without waiting: its fd (close-on-exec off), -2 when another
 * holds it, -1 on an error (logged). */
int jobuser_lock(const struct jobuser_pool *p, uid_t uid);

/* Close this process's copy of u's lock (the shim's keeps it). */
void jobuser_release(struct jobuser *u);

/* In a child about to exec a job: become uid/gid with no supplementary group,
 * no capability left in any set and no_new_privs.  Returns 0, or -1 with errno
 * set (the caller must not exec then). */
int jobuser_become(uid_t uid, gid_t gid);

/* Kill (SIGKILL, with CAP_KILL, through pidfds) every process any of whose uids
 * is uid, scanning /proc until a scan finds none (a process forked meanwhile is
 * found by the next scan).  Never for uid 0 or the caller's own uid.  Returns 0,
 * or -1 (logged). */
int jobuser_purge(uid_t uid);

#define JOBUSER_PROC_UIDS 4     /* real, effective, saved, filesystem */

/* pid's uids from /proc/<pid>/status (a zombie's too) into ids.  Returns 0, or -1
 * when there is no such process (or it cannot be read). */
int jobuser_proc_uids(pid_t pid, uid_t ids[JOBUSER_PROC_UIDS]);

#define JOBUSER_EMPTY_MONITOR_MS 1000   /* the monitor, whose loop keeps leases, waits this long */

/* Empty the folder open as fd (O_PATH will do: the path to it may pass folders
 * the account may not enter) in a child whose effective ids are uid/gid and whose
 * real and saved ids stay the caller's, so that no process of the account can
 * stop, kill or trace it; by descriptor, at any depth, never following a symlink,
 * folders the job locked opened up first (sweep.h).  It stops after wait_ms (a
 * job may leave millions of files: they are then left, and said so).  The folder
 * itself is left.  Never for uid 0 or the caller's own.  Returns 0, or -1 when
 * something was left (logged). */
int jobuser_empty_fd(uid_t uid, gid_t gid, int fd, int wait_ms);

/* What account uid (group gid) left outside its working folder, its processes all
 * killed: its files in the host's shared places (/tmp, /var/tmp, /dev/shm,
 * /run/lock; the JVMs' hsperfdata) and its System V IPC objects, removed in a
 * child as the account (as jobuser_empty_fd), within wait_ms: the next job of the
 * account finds none of it.  Never for uid 0 or the caller's own.  Returns 0, or
 * -1 when something was left (logged). */
int jobuser_sweep(uid_t uid, gid_t gid, int wait_ms);

/* The job shim until its job has started: keep CAP_SETUID and CAP_SETGID (in the
 * effective and permitted sets), drop every other capability, the inheritable and
 * ambient sets emptied.  Returns 0, or -1 with errno set. */
int jobuser_keep_switch_caps(void);

/* A request worker: give up every capability (all sets, the ambient one
 * included).  Returns 0, or -1 (logged; the worker must not serve then). */
int jobuser_drop_caps(void);

#endif
