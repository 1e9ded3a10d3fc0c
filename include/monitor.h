/* monitor.h - the monitor of one instance: the only process that launches jobs.
 *
 * The module owns the maintenance loop (as pgbouncer's janitor walks all pools):
 * each cycle it renews its leases, claims batches to launch, adopts batches whose
 * owner is gone on this host (below), launches through the job shim, stores new
 * output lines, carries out kills of deleted batches, and ends batches whose
 * process is gone, with the exit status the shim wrote: the rest of the output
 * and the state first, then what may wait (what still runs as the job's account
 * is killed and what it left in shared places removed, then the folder goes: the
 * output is in PostgreSQL), so that a job's end shows as soon as its process is
 * gone (issue 25); it drives the cluster trackers the same
 * way (track_yarn.h, track_standalone.h: jobs whose cluster manager says how they
 * end, submitted once, adopted from any host).  A NOTIFY wakes it (a burst of them
 * is gathered for MIN_CYCLE_MS), the end of a job shim at once (the keeper's news);
 * a timer (the look at the other monitors' locks, every 250 ms) is the fallback.
 * It never parses HTTP.
 *
 * Leases are renewed on their own clock, not once per cycle: a cycle can take
 * longer than a lease (many jobs, a job that printed gigabytes, a slow
 * statement), so the loop renews (one UPDATE) whenever a second has passed since
 * the last try, at each maintenance, between the jobs of a cycle and between the
 * rounds of one job's output.  It is done by the loop itself, on its one
 * connection, rather than by a thread or a second connection: a lease then says
 * that the loop that watches the jobs makes progress, and a monitor stuck inside
 * one statement lets its leases lapse so that another adopts its jobs (a thread
 * would keep them for ever).  A single statement that takes longer than the lease
 * (6 s) still lets it lapse; every write is guarded by owner, so the new owner
 * goes on and this monitor's next write is refused.
 *
 * A monitor that died is noticed by something that dies with it: each monitor
 * holds a lock of its own on its connection (store_hold_owner), which PostgreSQL
 * frees the moment the connection drops, as it does at once when the process is
 * killed (its socket is closed by the kernel), and registers itself with it before
 * it claims anything.  Every ORPHAN_LOOK_MS (250 ms) each monitor looks at the
 * locks of the other registered monitors and owners of jobs (one cheap statement)
 * and takes, without waiting for their leases, the launched jobs of those whose
 * lock it saw held and then free (leasewatch.h): kill -9 of an instance, or of its
 * monitor, hands its running jobs over in well under a second, even one killed
 * right after it claimed its first job.  The lease remains the rule for the
 * rest: a monitor stalled but connected (SIGSTOP, a loop stuck in a statement, a
 * host gone whose TCP connection still stands) keeps its lock and loses its jobs
 * when its lease lapses, and a job claimed but not launched yet moves only then.
 *
 * The rule for reconnects.  A connection can drop while its monitor lives (the
 * server ended the backend, the network broke): its lock goes, and others may take
 * its launched jobs before it notices.  That is safe because only launched jobs go
 * that way: past the launch a monitor only watches a job, every write is guarded by
 * owner (the old owner's are refused from then on, so it stops watching), and a
 * kill is sent only to a group proved to be the job's; nothing is launched or
 * submitted again (store_take_orphans).  A reconnect takes the lock again before
 * any other statement (store_ensure), and the monitor claims and adopts nothing
 * while it does not hold it (it goes on watching its jobs and renewing their
 * leases: a lock held a while longer by the server side of a half-open connection
 * must not leave them unwatched).  PostgreSQL restarting frees every lock at
 * once: since an observer judges only by a lock it saw held in its current
 * session, nobody is judged gone by it, and the leases (leasewatch.h) decide as
 * before.
 *
 * What a job prints cannot hold it up: output that PostgreSQL refuses is stored
 * as one line saying so, its offsets move past it, and kills, exit detection
 * and lease renewal never wait for output to be stored.
 */
#ifndef TACITUS_MONITOR_H
#define TACITUS_MONITOR_H

#include "argv.h"
#include "config.h"
#include "jobuser.h"

struct monitor_opts {
	const char *instance;       /* lease owner name, stable across restarts */
	const char *self;           /* path of the tacitus binary (the job shim) */
	const char *var_dir;        /* jobs go in var_dir/jobs/batch-<id> */
	int lease_ttl;              /* seconds */
	int orphan_grace;           /* seconds before another host's expired jobs end dead */
	int kill_grace;             /* seconds between SIGTERM and SIGKILL */
	const struct argv_drivers *drivers;     /* the warm pool's arguments */
	struct jobuser_pool *users; /* the accounts jobs run as (n 0: the server's own) */
};

/* Run until SIGTERM.  Jobs keep running when the monitor stops; whoever holds
 * their lease next (this instance restarted, or another one) takes them over.
 * Returns the process exit code. */
int monitor_main(const struct cfg *c, const struct monitor_opts *o);

#endif
