/* publish.h - the publisher: one process per instance that wakes the clients nginx
 * holds in a wait, and feeds the event streams it holds (push.h).
 *
 * The module owns the publisher's loop: it LISTENs for tacitus_push (every change a
 * client may wait for, and every store of log lines, is notified in the transaction
 * that makes it: sql/013_push.sql, 014_push_events.sql) and POSTs one wake-up per
 * change to the nchan publisher location of its nginx (the waits' nginx beside the
 * front door, nginx/push.conf.in), over that nginx's unix socket (given by `tacitus
 * serve --push-socket`): for a job, the answer of its
 * GET .../state read once (nginx gives it to every client waiting on that version),
 * else an empty "look again" that hands the clients back to a worker; when that state
 * is final (livy_state_ended) the same answer to the job's end channel (until=end),
 * and a "look again" there when GET no longer shows the job.  To a job's event stream it
 * posts the job's state after each change ({"id", "state"}: a session's id and state
 * for its driver) and the lines of each store ({"id", "from", "total", "lines"},
 * PUBLISH_LOG_LINES at most), read from PostgreSQL: a job's lines before its final
 * state, since they are notified in that order.  It posts whether or not a client
 * follows the job: nchan's count of a channel's subscribers, asked from another
 * nginx worker than the subscriber's, said 0 for a client that had just come.
 *
 * One publisher posts to an nginx, however many instances it fronts: the one that
 * holds that nginx's lock (its host and socket: store_hold_publisher); the others
 * consume their notifications and stand by, and one of them takes over within a
 * second when the holder's connection dies.  Every instance runs one, so that an
 * nginx in front of any instance hears of every change.  What a publisher may have
 * missed (it took the lock from another, its connection came back, nginx refused its
 * posts, nginx forgot the wake-ups it kept: it looks once a second for a mark it
 * posted, which a reload or a restart of nginx loses) it makes up for once it posts
 * again: it wakes the waits on every version and state left behind lately and for the
 * end of the jobs finished lately (push.h's catch-up; "lately": push_catchup_window,
 * from the last time it knew every change posted); an event of a stream missed then
 * is not sent again.  Like a worker, it holds no capability and no way to the keeper
 * (master.c).
 */
#ifndef TACITUS_PUBLISH_H
#define TACITUS_PUBLISH_H

struct cfg;

/* The publisher of instance `instance` towards the nginx listening at socket_path,
 * answering waits as c's GET would (its retain time): runs until SIGTERM; returns
 * the exit code. */
int publish_main(const struct cfg *c, const char *instance, const char *socket_path);

#endif
