/* launcher.h - the processes that run jobs: spawn, identity, kill.
 *
 * The module owns everything between "run this argument vector" (argv.h) and a
 * process group on this host: the one spawn recipe (posix_spawn, argv array, no
 * shell, own session and process group, stdin from /dev/null, every other fd
 * closed), the job shim's start, process identity (boot id, pid, start time)
 * and killing a whole group.  Only the monitor and the job shim include it: a
 * request worker never starts a process.
 */
#ifndef TACITUS_LAUNCHER_H
#define TACITUS_LAUNCHER_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

struct launch_proc {
	pid_t pid;                  /* the shim; also the process group id */
	long long start_ticks;      /* field 22 of /proc/<pid>/stat */
};

/* The one way Tacitus starts a process: argv[0] (a path) with argv, no shell,
 * stdin from /dev/null, stdout appended to out_path and stderr to err_path (to
 * out_path too when err_path is NULL), every other fd closed, default signal
 * dispositions and an empty signal mask, in `dir` unless NULL, and in a session
 * and process group of its own when new_session.  Returns 0 and sets *pid, or the
 * error number of the failure (nothing was started); logs nothing. */
int launch_exec(char *const argv[], const char *out_path, const char *err_path,
		const char *dir, bool new_session, pid_t *pid);

/* Start `tacitus job-shim <dir> <spark-submit> <args...>` for one job.
 * `self` is the path of the tacitus binary, `spark_submit` the program, `args` a
 * JSON array of strings; `dir` must exist (the shim writes stdout, stderr, shim.pid and
 * exit_status there).  The child gets its own session (pgid = pid), default
 * signal dispositions and mask, stdin /dev/null, stdout/stderr to dir/shim.log,
 * and no other fd of ours.  Returns 0 and fills *p, or -1 after logging (with
 * `what`, e.g. "batch 7") why nothing was started. */
int launch_spawn(const char *self, const char *dir, const char *spark_submit,
		 json_object *args, const char *what, struct launch_proc *p);

/* This host's boot id (from /proc/sys/kernel/random/boot_id) into buf. */
int launch_boot_id(char *buf, size_t len);

/* Start time of pid in clock ticks since boot; -1 if it does not exist. Sets
 * *zombie when the process has exited and waits to be reaped. */
long long launch_start_ticks(pid_t pid, bool *zombie);

/* True when pid is alive (not a zombie) and is the process started at start_ticks. */
bool launch_alive(pid_t pid, long long start_ticks);

/* Signal the process group pgid, after checking that its leader is still the
 * process identified by start_ticks.  Returns 0, or -1 (errno ESRCH) if gone. */
int launch_kill_group(pid_t pgid, long long start_ticks, int sig);

#endif
