/* keeper.h - the one process of an instance that holds the rights over job accounts.
 *
 * The module owns privilege separation inside an instance.  Starting a job as a
 * pool account (jobuser.h) takes CAP_SETUID and CAP_SETGID, killing what runs as
 * one CAP_KILL, handing a job its folder CAP_CHOWN.  Together they are root's
 * rights: with CAP_SETUID a process may become uid 0, with CAP_CHOWN make any
 * file its own.  So no process that parses anything holds them.  The master forks
 * the keeper first thing; the keeper keeps the four capabilities and every other
 * process of the instance (master, workers, monitor, log writer) gives up every
 * capability before it does anything else.  The keeper reads nothing but fixed
 * requests from the monitor, over a socket pair nobody else holds, and acts only
 * within the pool:
 *
 *   spawn   start a job shim (shim.h; this very binary) for an account whose
 *           lock the request hands over (proving the monitor took the account),
 *           in a folder of var/jobs, with only variables jobs may have (jobenv.h)
 *           and none the loader acts on; the shim gets only CAP_SETUID and
 *           CAP_SETGID, and keeps them only until its job has started
 *   purge   kill every process of an account whose lock the request hands over,
 *           and remove what it left in shared places (jobuser_sweep)
 *   chown   give a job's working folder (var/jobs/<job>/work) or a file right in
 *           it, the server's (an open descriptor), to an account whose lock the
 *           request hands over
 *   empty   empty a folder owned by a pool account, as that account
 *   kill    signal a job's process group, once proved to be the job's (launcher.h)
 *
 * and refuses the rest (logged).  The keeper dies with the master (and the master
 * stops when the keeper dies: nobody else may hold the rights to start another).
 * The shims it starts are its children: it tells the monitor when one ends.
 *
 * Without a pool (jobs run as the server's own user) there is no keeper: the
 * functions below do the same work in the calling process, which needs no
 * capability for it.
 */
#ifndef TACITUS_KEEPER_H
#define TACITUS_KEEPER_H

#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "config.h"
#include "jobuser.h"
#include "launcher.h"

/* In the master, before anything else is started: fork the keeper of instance
 * `instance` for pool p (jobs in var_dir/jobs/, their environment's allow-list in
 * c), with the calling process's capabilities, then give up every capability here
 * and set no_new_privs and non-dumpable (no process of the instance may be traced
 * by its own user).  The children forked later inherit
 * the way to the keeper; keeper_forget drops it.  Returns the keeper's pid, or -1
 * after logging (the instance must not start). */
pid_t keeper_start(const struct jobuser_pool *p, const char *var_dir, const char *instance,
		   const struct cfg *c);

/* In a process that must not reach the keeper (a request worker): close the way. */
void keeper_forget(void);

/* The descriptor to poll for the keeper's news (a shim it started ended), -1 when
 * there is no keeper. */
int keeper_news_fd(void);

/* Read the keeper's news; true when a shim ended since the last call (or a reply
 * came late).  Never blocks. */
bool keeper_news(void);

/* Kill every process of u's account (jobuser_purge), u being held (its lock_fd).
 * Returns 0, or -1 with errno set. */
int keeper_purge(const struct jobuser *u);

/* A job whose shim is gone may have left processes running as uid: when no job
 * holds the account now (its lock is free), kill every process of it; when
 * another job holds it, there is nothing to do (taking the account killed what
 * was left).  Returns 0, or -1 (logged). */
int keeper_reclaim(const struct jobuser_pool *p, uid_t uid);

/* Give fd (a file or folder of the server's user) to u's account (held).  Returns
 * 0, or -1 with errno set. */
int keeper_chown(int fd, const struct jobuser *u);

/* Empty the folder path (not followed when it is a symlink): one of a pool
 * account is emptied as that account within wait_ms (jobuser_empty_fd); one of
 * the server's own, or nothing there, is left to the caller.  path itself is
 * left.  Returns 0, or -1 (logged). */
int keeper_empty(const struct jobuser_pool *p, const char *path, int wait_ms);

/* launch_kill_group (launcher.h) with the keeper's rights.  Returns 0, or -1 with
 * errno set (ESRCH: not provably the job's group, nothing signalled). */
int keeper_kill(pid_t pgid, long long start_ticks, const char *boot_id, int sig);

/* launch_spawn (launcher.h) by the keeper, u held.  Returns 0 and fills *p, or -1
 * after logging. */
int keeper_spawn(const char *self, const char *dir, const char *spark_submit,
		 json_object *args, char *const envp[], const struct jobuser *u,
		 const char *what, struct launch_proc *p);

#endif
