/* launcher.h - the processes that run jobs: spawn, identity, kill.
 *
 * The module owns everything between "run this argument vector" (argv.h) and a
 * process group on this host: the one spawn recipe (posix_spawn, argv array, no
 * shell, own session and process group, stdin from /dev/null, every other fd
 * closed), the job shim's start, process identity (boot id, pid, start time)
 * and killing a whole group.  Only the monitor and the job shim include it: a
 * request worker never starts a process.
 *
 * Which process group is a job's.  The shim leads the group (pgid = its pid), so
 * while the shim lives, or waits as a zombie to be reaped, the pid and start time
 * recorded at launch prove the group: Linux never hands out a pid that is still
 * some process's, or some group's, id.  Once the shim is gone, stragglers may hold
 * the group (an orphaned driver), or the group may be gone and its number handed
 * out again (pids wrap: /proc/sys/kernel/pid_max is 32768 on many hosts) to a
 * stranger that leads a group of its own, or whose leader is gone too.  The pid
 * alone proves nothing then.  So every process of a job carries a marker in the
 * environment it was started with: the shim puts
 *     TACITUS_JOB=<boot id>/<shim pid>/<shim start ticks>
 * in spark-submit's environment, and spark-submit, the JVM, the Python driver and
 * what they start inherit it.  /proc/<pid>/environ shows that environment as it was
 * at exec, whatever the process later does with its variables.  With the boot id
 * and the shim's start time in it, the marker names one launch on one boot: no
 * other job (of this or another Tacitus on the host) and nothing after a reboot
 * carries it.  A group whose leader is gone is signalled only when one of its live
 * processes carries the marker; otherwise it is left alone (a process that cleared
 * its environment, or one we may not read, is not proof).  Checked by reading
 * /proc, not the job folder, which the job itself can write.
 */
#ifndef TACITUS_LAUNCHER_H
#define TACITUS_LAUNCHER_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "jobuser.h"

struct launch_proc {
	pid_t pid;                  /* the shim; also the process group id */
	long long start_ticks;      /* field 22 of /proc/<pid>/stat */
};

#define LAUNCH_PASSED_FD 3          /* where a child finds the fd handed to it */

/* The one way Tacitus starts a process: argv[0] (a path) with argv and exactly
 * the environment envp (a NULL-terminated "NAME=VALUE" array; nothing of the
 * caller's own is added), no shell, stdin from /dev/null, stdout appended to
 * out_path and stderr to err_path (to out_path too when err_path is NULL; files
 * it creates are 0600), every other fd closed but pass_fd (unless -1), which the
 * child finds as LAUNCH_PASSED_FD, default signal dispositions and an empty
 * signal mask, in `dir` unless NULL, and in a session and process group of its
 * own when new_session.  Returns 0 and sets *pid, or the error number of the
 * failure (nothing was started); logs nothing. */
int launch_exec(char *const argv[], char *const envp[], const char *out_path,
		const char *err_path, const char *dir, bool new_session, int pass_fd, pid_t *pid);

/* launch_exec's recipe (stdout and stderr both given, no fd passed, the caller's
 * process group) for a job's own process: the output files are opened as the
 * caller, then the child becomes uid/gid (jobuser_become: no group, no
 * capability, no_new_privs) and execs.  Returns 0 once argv[0] runs, or the
 * error number of the failure (the child is reaped); logs nothing. */
int launch_exec_as(char *const argv[], char *const envp[], const char *out_path,
		   const char *err_path, const char *dir, uid_t uid, gid_t gid, pid_t *pid);

/* The job shim's program (shim.h): the server's binary `self` with LAUNCH_SHIM_SUFFIX
 * after it (build/tacitus -> build/tacitus-shim), a program of its own that loads
 * libc and json-c only, not the server's forty libraries (an exec of the server's
 * binary costs about 9 ms, of the shim's 1.5 ms: once per launch). */
#define LAUNCH_SHIM_SUFFIX "-shim"

/* Start `<self>-shim <dir> <uid> <gid> <spark-submit> <args...>` for one job
 * (uid and gid "-" when u holds no account: the job then runs as the server).
 * `self` is the path of the tacitus binary, `spark_submit` the program, `args` a
 * JSON array of strings, `envp` the job's environment (jobenv.h: the shim adds the
 * job's marker and hands it to spark-submit); `dir` must exist (the shim writes
 * stdout, stderr, shim.pid and exit_status there; the job works in dir/work).  The
 * child gets its own session (pgid = pid), the environment envp only, default
 * signal dispositions and mask, stdin /dev/null, stdout/stderr to dir/shim.log,
 * u's account lock as LAUNCH_PASSED_FD and no other fd of ours.  Returns 0 and
 * fills *p, or -1 after logging (with `what`, e.g. "batch 7") why nothing was
 * started. */
int launch_spawn(const char *self, const char *dir, const char *spark_submit,
		 json_object *args, char *const envp[], const struct jobuser *u,
		 const char *what, struct launch_proc *p);

/* This host's boot id (from /proc/sys/kernel/random/boot_id) into buf. */
int launch_boot_id(char *buf, size_t len);

/* Start time of pid in clock ticks since boot; -1 if it does not exist. Sets
 * *zombie when the process has exited and waits to be reaped. */
long long launch_start_ticks(pid_t pid, bool *zombie);

/* True when pid is alive (not a zombie) and is the process started at start_ticks. */
bool launch_alive(pid_t pid, long long start_ticks);

#define LAUNCH_MARKER_ENV "TACITUS_JOB"
#define LAUNCH_MARKER_MAX 160           /* "TACITUS_JOB=" + boot id + two numbers */

/* The environment entry of the job whose shim is pid, started at start_ticks on
 * the boot boot_id, "TACITUS_JOB=<boot id>/<pid>/<start ticks>", into buf. */
void launch_marker(char *buf, size_t len, const char *boot_id, pid_t pid, long long start_ticks);

/* Signal the process group pgid of the job whose shim is pgid, started at
 * start_ticks on the boot boot_id (this host's: the monitor's), only when the group
 * is proved to be still the job's (above): its leader is that shim (alive or a
 * zombie), or the leader is gone and a live member carries the job's marker.
 * Returns 0, or -1 (errno ESRCH) when the group is gone or not provably the
 * job's: nothing was signalled. */
int launch_kill_group(pid_t pgid, long long start_ticks, const char *boot_id, int sig);

#endif
