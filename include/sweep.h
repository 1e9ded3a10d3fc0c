/* sweep.h - removing everything a job account left, by file descriptor.
 *
 * The module owns the rule by which nothing of a job outlives it: its working
 * folder is emptied (sweep_tree), and when its account is released, what the
 * account left in the host's shared places (temporary folders, shared memory,
 * lock folder, POSIX message queues) and its System V IPC objects are removed
 * (sweep_account), so that the next job of the account finds none of it.
 *
 * How.  Only by descriptor: a folder is opened with openat(O_NOFOLLOW |
 * O_DIRECTORY) relative to its parent and its entries go with unlinkat; no path
 * is ever built, so no depth is too deep (PATH_MAX does not apply) and no
 * symlink is ever followed (a symlink is an entry like any other: unlinked).  At
 * most SWEEP_DEPTH folders are open at once: a folder found deeper is moved up
 * (renameat2, RENAME_NOREPLACE) into the folder being emptied under a fresh name
 * (".sweep-<inode>-<n>") and emptied from there; passes over the folder repeat
 * until one moves nothing up (and, when entries are left, removes nothing).
 * Folders the job locked (mode 000, read-only) are opened up first (u+rwx: the
 * caller runs as their owner).  A mount point (another filesystem, or a bind
 * mount of the same one) is never entered, and is reported.  Both sweeps stop at
 * a deadline (a job may leave millions of files): what is left stays, and is
 * said so.
 *
 * Nothing is logged here: both sweeps fill a struct sweep_stats for the caller
 * to log once (sweep_describe).  Pure: libc only, no process started, no switch
 * of ids; the caller runs the sweeps in a child with the account's effective
 * ids and no capability (its real and saved ids stay the caller's, so that no
 * process of the account can signal or trace it), e.g. for a job's end:
 *
 *	setgroups(0, NULL); setresgid(-1, gid, -1); setresuid(-1, uid, -1);
 *	(capabilities cleared)
 *	long long until = sweep_deadline(wait_ms);
 *	struct sweep_stats st = {0};
 *	int fd = sweep_open(AT_FDCWD, work), end = fd < 0 ? -1 :
 *		 sweep_tree(fd, until, &st);            // the working folder
 *	end = max(end, sweep_account(uid, NULL, NULL, until, &st));   // the rest
 *	log the sweep_describe(end, &st, ...) line when end != SWEEP_DONE; _exit
 *
 * with the parent killing the child past the deadline as a last resort.
 */
#ifndef TACITUS_SWEEP_H
#define TACITUS_SWEEP_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#define SWEEP_DEPTH 32                  /* folders open at once, the top's own included */
#define SWEEP_NO_DEADLINE LLONG_MAX
#define SWEEP_NAME_MAX 256              /* a name in a folder (NAME_MAX), its NUL included */
#define SWEEP_DESCRIBE_MAX 512          /* a line for sweep_describe that holds it all */
#define SWEEP_SYSVIPC "/proc/sysvipc"   /* the tables of System V IPC objects */

/* How a sweep ended. */
enum sweep_end {
	SWEEP_DONE = 0,         /* everything that was to go is gone */
	SWEEP_LEFT = 1,         /* walked to the end, but entries are left (stats say which) */
	SWEEP_TIMEOUT = 2,      /* the deadline came first; the rest is left as it is */
};

/* What a sweep did; zero it before the first call (later calls add to it). */
struct sweep_stats {
	long long removed;      /* entries (files, folders, links, IPC objects) removed */
	long long left;         /* entries that could not be removed */
	long long mounts;       /* of those, mount points (never entered) */
	long long moved;        /* folders moved up because they were too deep */
	int err;                /* the first error met (an errno), 0: none */
	char what[SWEEP_NAME_MAX]; /* where: an entry's name (never a path built), a
				    * place's path, or "shm <id>" */
};

/* The shared places sweep_account clears when given NULL: /tmp, /var/tmp,
 * /dev/shm, /run/lock and /dev/mqueue (NULL-ended).  A place that does not
 * exist is skipped. */
extern const char *const sweep_places[];

/* A deadline wait_ms from now on CLOCK_MONOTONIC, in milliseconds (what both
 * sweeps take; SWEEP_NO_DEADLINE for none). */
long long sweep_deadline(int wait_ms);

/* Open the folder name in the folder parent (a descriptor, or AT_FDCWD with a
 * path) for sweep_tree: never through a symlink in its last component, opened
 * up first (u+rwx, fchmodat) when its owner, who runs this, locked it.  Returns
 * the descriptor (close-on-exec), or -1 with errno set. */
int sweep_open(int parent, const char *name);

/* Empty the folder open as dirfd (readable: O_RDONLY | O_DIRECTORY, as
 * sweep_open gives; dirfd and its folder are left, dirfd's offset is not used),
 * as its owner (the caller has the account's effective ids), without
 * following any symlink, at any depth with at most SWEEP_DEPTH + 2 descriptors
 * of its own, never entering a mount point, stopping at deadline_ms
 * (sweep_deadline).  Adds what it did to *st.  Returns how it ended (enum
 * sweep_end), or -1 with errno set when dirfd is not a folder it may empty
 * (nothing done). */
int sweep_tree(int dirfd, long long deadline_ms, struct sweep_stats *st);

/* Remove what account uid left outside its working folder, in a process whose
 * effective uid is uid (a child that did setresuid(-1, uid, -1) and holds no
 * capability; the account's processes all gone):
 *  - in each place of places (NULL-ended; NULL: sweep_places), every entry of
 *    the place owned by uid: a folder emptied with sweep_tree, then removed;
 *    anything else unlinked (a symlink is never followed);
 *  - in a folder hsperfdata_* of a place owned by another account (the JVMs'
 *    performance data), the entries owned by uid;
 *  - every System V shared memory segment, semaphore set and message queue whose
 *    owner or creator is uid, as listed in the folder sysvipc (NULL:
 *    SWEEP_SYSVIPC; a table missing there is skipped), removed with IPC_RMID.
 * Nothing owned by another uid is ever touched; the places themselves are
 * opened by their path (following the host's symlinks to them).  Adds what it
 * did to *st; stops at deadline_ms.  Returns how it ended (enum sweep_end), or
 * -1 with errno EPERM for uid 0 or a uid that is not the process's effective
 * one (nothing done). */
int sweep_account(uid_t uid, const char *const *places, const char *sysvipc,
		  long long deadline_ms, struct sweep_stats *st);

/* One line for the caller's log, how a sweep ended (end, as returned) and what it
 * did: "timed out: removed N, left N (N mount points), moved up N; first error:
 * <name>: <strerror>", into out (size len; cut when it does not fit).  Returns
 * out. */
char *sweep_describe(int end, const struct sweep_stats *st, char *out, size_t len);

#endif
