/* shim.h - the job shim: parent of one spark-submit, writer of its exit status.
 *
 * The monitor starts `tacitus-shim DIR UID GID PROGRAM ARGS...` in a session of
 * its own: a program of its own (this module built with TACITUS_SHIM_MAIN and what
 * it calls: the Makefile's SHIM), which starts in a sixth of the server's time.  The
 * shim, which stays the server's user, starts PROGRAM in DIR/work as the job's
 * account, in the same process group, with stdin from /dev/null, stdout and stderr
 * appended to DIR/stdout and DIR/stderr (two files: a line of one stream is never
 * cut by a line of the other), waits for it, and writes DIR/exit_status atomically
 * ("exit N" or "signal N"; "exit 127" when PROGRAM could not be started, with the
 * reason in DIR/stderr).  So the status survives a restart of the monitor: any
 * monitor on this host can read it later.
 */
#ifndef TACITUS_SHIM_H
#define TACITUS_SHIM_H

#include <sys/types.h>

/* The shim's work (its main passes its arguments): argv is DIR UID GID PROGRAM
 * [ARGS...], UID and GID the job's account (jobuser.h) or "-" to run PROGRAM as the
 * shim's own user; the account's lock, when there is one, is the inherited fd
 * LAUNCH_PASSED_FD, held until the shim ends, after every process of the account is
 * killed.  Before anything else the shim writes DIR/shim.pid ("PID STARTTICKS UID
 * GID"), so that whoever finds the folder knows whether a shim ever ran there and
 * which process it is.  Returns the process exit code (0 once the status file is
 * written, 1 when it could not be). */
int shim_main(int argc, char **argv);

/* Read DIR/shim.pid.  Returns 0 and sets *pid and *start_ticks, or -1 if no shim
 * ever started in DIR. */
int shim_read_pid(const char *dir, pid_t *pid, long long *start_ticks);

/* The job account the shim in DIR ran its job as (jobuser.h), from DIR/shim.pid
 * ("PID STARTTICKS UID GID", -1 for none).  Returns 0, or -1 when it ran none. */
int shim_read_account(const char *dir, uid_t *uid, gid_t *gid);

/* Read DIR/exit_status.  Returns 0 and sets *code (the exit code, or 128+signal)
 * and *signaled; -1 if there is no status (yet). */
int shim_read_status(const char *dir, int *code, int *signaled);

#endif
