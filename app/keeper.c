/* keeper.c - the process that holds the rights over job accounts, and the way to it. */
#include "keeper.h"
#include "jobenv.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SPEC_MAX (8 << 20)          /* a spawn's arguments and environment, as JSON */
#define BOOT_ID_MAX 64
#define JOBS_DIR_MAX 4200
#define EMPTY_MS_MAX 10000          /* the longest a request may keep the keeper emptying */
#define REPLY_WAIT_S 60             /* the monitor gives up on a keeper that hangs */
#define SWEEP_MS 1000               /* what an account left in shared places */
#define KEEPER_FD 3                 /* the keeper's end of the way, in the keeper */

enum op { OP_SPAWN = 1, OP_PURGE, OP_CHOWN, OP_EMPTY, OP_KILL };

/* The descriptors each request hands over, in this order: the account's lock
 * (proof that the monitor took it), then the object. */
static const int op_fds[] = {[OP_SPAWN] = 2, [OP_PURGE] = 1, [OP_CHOWN] = 2, [OP_EMPTY] = 1,
			     [OP_KILL] = 0};

struct req {
	uint64_t seq;
	int op;
	uid_t uid;
	gid_t gid;
	pid_t pgid;
	long long start_ticks;
	int sig;
	int wait_ms;
};

struct reply {
	uint64_t seq;               /* the request's; 0: news (a shim ended) */
	int rc;
	int err;
	pid_t pid;
	long long start_ticks;
};

/* ---- the monitor's side ---- */

static int way = -1;                /* our end; -1: no keeper, work is done here */
static uint64_t last_seq;
static bool heard;                  /* news came while we waited for a reply */

void keeper_forget(void)
{
	if (way >= 0)
		close(way);
	way = -1;
}

int keeper_news_fd(void)
{
	return way;
}

static _Noreturn void keeper_gone(void)
{
	log_error("the keeper is gone (or hangs): no job can be started or stopped here; "
		  "stopping (the instance stops too)");
	exit(1);
}

bool keeper_news(void)
{
	struct reply r;
	bool any = heard;
	ssize_t n = -1;

	heard = false;
	while (way >= 0 && (n = recv(way, &r, sizeof r, MSG_DONTWAIT)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			keeper_gone();
		}
		any = true;
	}
	if (way >= 0 && n == 0)
		keeper_gone();
	return any;
}

static int send_fds(int sock, const void *buf, size_t len, const int *fds, int nfd)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfd > 0) {
		struct cmsghdr *cm;

		memset(&c, 0, sizeof c);
		mh.msg_control = c.buf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfd * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfd * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfd * sizeof(int));
	}
	while ((n = sendmsg(sock, &mh, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)len ? 0 : -1;
}

/* One request and its reply: rc, errno set from the keeper's. */
static int call(struct req *r, int fd1, int fd2, struct reply *out)
{
	int fds[2], nfd = 0;
	ssize_t n;

	if (fd1 >= 0)
		fds[nfd++] = fd1;
	if (fd2 >= 0)
		fds[nfd++] = fd2;
	/* from a random start of our own: a reply meant for a monitor before us (whose
	 * pid we may even have) is not ours */
	if (!last_seq && getrandom(&last_seq, sizeof last_seq, 0) != (ssize_t)sizeof last_seq)
		last_seq = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL);
	r->seq = ++last_seq ? last_seq : ++last_seq;    /* 0 is the keeper's news */
	if (send_fds(way, r, sizeof *r, fds, nfd) < 0)
		keeper_gone();
	for (;;) {
		n = recv(way, out, sizeof *out, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			keeper_gone();
		if (n == (ssize_t)sizeof *out && out->seq == r->seq)
			break;
		heard = true;
	}
	errno = out->err;
	return out->rc;
}

int keeper_purge(const struct jobuser *u)
{
	struct req r = {.op = OP_PURGE, .uid = u->uid, .gid = u->gid};
	struct reply a;

	if (way < 0 || u->lock_fd < 0)
		return jobuser_purge(u->uid);
	return call(&r, u->lock_fd, -1, &a);
}

int keeper_reclaim(const struct jobuser_pool *p, uid_t uid)
{
	int i = jobuser_find(p, uid), rc;
	struct jobuser u = {.uid = uid};

	if (i < 0)
		return 0;
	u.gid = p->gid[i];
	u.lock_fd = jobuser_lock(p, uid);
	if (u.lock_fd == -2)
		return 0;
	if (u.lock_fd < 0)
		return -1;
	rc = keeper_purge(&u);
	if (rc < 0)
		log_error("job account %d: its processes could not be killed: %s", (int)uid,
			  strerror(errno));
	jobuser_release(&u);
	return rc;
}

int keeper_chown(int fd, const struct jobuser *u)
{
	struct req r = {.op = OP_CHOWN, .uid = u->uid, .gid = u->gid};
	struct reply a;

	if (u->lock_fd < 0)
		return 0;           /* no account: the server's own */
	if (way < 0)
		return fchown(fd, u->uid, u->gid);
	return call(&r, u->lock_fd, fd, &a);
}

int keeper_empty(const struct jobuser_pool *p, const char *path, int wait_ms)
{
	struct req r = {.op = OP_EMPTY, .wait_ms = wait_ms};
	int fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), i, rc;
	struct reply a;
	struct stat st;

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP ? 0 : -1;
	if (fstat(fd, &st) < 0 || st.st_uid == getuid()) {
		close(fd);
		return 0;
	}
	if ((i = jobuser_find(p, st.st_uid)) < 0) {
		log_warn("%s: owned by uid %d, not a job account; left as it is", path,
			 (int)st.st_uid);
		close(fd);
		return -1;
	}
	rc = way < 0 ? jobuser_empty_fd(st.st_uid, p->gid[i], fd, wait_ms) : call(&r, fd, -1, &a);
	if (rc < 0 && way >= 0)
		log_warn("%s: could not be emptied as its job account", path);
	close(fd);
	return rc;
}

int keeper_kill(pid_t pgid, long long start_ticks, const char *boot_id, int sig)
{
	struct req r = {.op = OP_KILL, .pgid = pgid, .start_ticks = start_ticks, .sig = sig};
	struct reply a;

	if (way < 0)
		return launch_kill_group(pgid, start_ticks, boot_id, sig);
	return call(&r, -1, -1, &a);
}

/* The spawn's strings, as JSON in a memory file (they may be long: many confs). */
static int spec_fd(const char *dir, const char *program, json_object *args,
		   char *const envp[], const char *what)
{
	json_object *o = json_object_new_object(), *env = json_object_new_array();
	const char *text;
	size_t len, done = 0;
	int fd = -1;

	for (char *const *e = envp; *e; e++)
		json_object_array_add(env, json_object_new_string(*e));
	json_object_object_add(o, "dir", json_object_new_string(dir));
	json_object_object_add(o, "program", json_object_new_string(program));
	json_object_object_add(o, "args", json_object_get(args));
	json_object_object_add(o, "env", env);
	json_object_object_add(o, "what", json_object_new_string(what));
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	len = strlen(text);
	if (len <= SPEC_MAX && (fd = memfd_create("tacitus-spawn", MFD_CLOEXEC)) >= 0) {
		while (done < len) {
			ssize_t n = write(fd, text + done, len - done);

			if (n <= 0) {
				close(fd);
				fd = -1;
				break;
			}
			done += (size_t)n;
		}
	}
	json_object_put(o);
	return fd;
}

int keeper_spawn(const char *self, const char *dir, const char *spark_submit,
		 json_object *args, char *const envp[], const struct jobuser *u,
		 const char *what, struct launch_proc *p)
{
	struct req r = {.op = OP_SPAWN, .uid = u->uid, .gid = u->gid};
	struct reply a;
	int fd, rc;

	if (way < 0 || u->lock_fd < 0)
		return launch_spawn(self, dir, spark_submit, args, envp, u, what, p);
	if ((fd = spec_fd(dir, spark_submit, args, envp, what)) < 0) {
		log_error("%s: cannot hand the job's arguments to the keeper: %s", what,
			  strerror(errno));
		return -1;
	}
	rc = call(&r, u->lock_fd, fd, &a);
	close(fd);
	if (rc < 0) {
		log_error("%s: the keeper did not start the job shim (%s; its log says more)",
			  what, strerror(errno));
		return -1;
	}
	p->pid = a.pid;
	p->start_ticks = a.start_ticks;
	return 0;
}

/* ---- the keeper ---- */

static const struct jobuser_pool *pool;
static const struct cfg *conf;          /* the job environment's allow-list (jobenv.h) */
static char jobs_dir[JOBS_DIR_MAX];     /* "<var>/jobs/", var as the monitor names it */
static char real_jobs[JOBS_DIR_MAX];    /* the same as the kernel names it */
static char self_exe[PATH_MAX];
static char boot_id[BOOT_ID_MAX];

/* Refuse a request: logged here, once, as what it is (a monitor out of its way). */
static int refuse(const char *why, int value)
{
	log_error("refused a request: %s (%d)", why, value);
	errno = EPERM;
	return -1;
}

/* The request names an account of the pool (uid and its gid) and hands over the
 * descriptor that holds its lock. */
static int held(const struct req *r, int lock_fd)
{
	char path[JOBUSER_PATH_MAX + 16];
	struct stat a, b;
	int i = jobuser_find(pool, r->uid);

	if (i < 0 || pool->gid[i] != r->gid)
		return refuse("not an account of the pool: uid", (int)r->uid);
	if (jobuser_lock_path(pool, r->uid, path, sizeof path) < 0 || stat(path, &a) < 0 ||
	    fstat(lock_fd, &b) < 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino ||
	    flock(lock_fd, LOCK_EX | LOCK_NB) < 0)
		return refuse("the request does not hold the account's lock: uid", (int)r->uid);
	return 0;
}

/* Variables the dynamic loader and libc act on before main. */
static bool loader_variable(const char *e)
{
	static const char *const names[] = {
		"LD_", "GCONV_PATH=", "GETCONF_DIR=", "HOSTALIASES=", "LOCALDOMAIN=", "LOCPATH=",
		"MALLOC_", "NIS_PATH=", "NLSPATH=", "RESOLV_HOST_CONF=", "RES_OPTIONS=",
		"TZDIR=", "GLIBC_TUNABLES=",
	};

	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (!strncmp(e, names[i], strlen(names[i])))
			return true;
	return false;
}

/* Whether the shim, which starts with capabilities, may get the variable e
 * ("NAME=VALUE"): only what the admin lets jobs have (jobenv.h), and never what the
 * dynamic loader and libc act on before main, whatever the admin allowed. */
static bool env_ok(const char *e)
{
	char name[256];
	size_t n = strcspn(e, "=");

	if (!e[n] || n == 0 || n >= sizeof name)
		return false;
	memcpy(name, e, n);
	name[n] = '\0';
	return jobenv_allowed(conf, name) && !loader_variable(e);
}

/* A folder of var/jobs, one level down, by name. */
static bool job_dir(const char *dir)
{
	size_t n = strlen(jobs_dir);
	const char *name = dir + n;

	return !strncmp(dir, jobs_dir, n) && *name && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..");
}

static json_object *read_spec(int fd)
{
	struct stat st;
	char *text;
	json_object *o = NULL;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > SPEC_MAX)
		return NULL;
	text = malloc((size_t)st.st_size + 1);
	if (text && pread(fd, text, (size_t)st.st_size, 0) == st.st_size) {
		text[st.st_size] = '\0';
		o = json_tokener_parse(text);
	}
	free(text);
	return o;
}

static const char *str_of(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
	       ? json_object_get_string(v) : NULL;
}

/* The strings of array key of o as a NULL-terminated vector (pointing into o), or
 * NULL when it is not an array of strings. */
static const char **strings_of(json_object *o, const char *key)
{
	json_object *a;
	const char **v;
	size_t n;

	if (!json_object_object_get_ex(o, key, &a) || !json_object_is_type(a, json_type_array))
		return NULL;
	n = json_object_array_length(a);
	if (!(v = calloc(n + 1, sizeof *v)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		json_object *s = json_object_array_get_idx(a, i);

		if (!json_object_is_type(s, json_type_string)) {
			free(v);
			return NULL;
		}
		v[i] = json_object_get_string(s);
	}
	return v;
}

static int do_spawn(const struct req *r, const int *fds, struct reply *out)
{
	json_object *spec, *args;
	const char *dir, *program, *what, **env = NULL;
	struct jobuser u = {.uid = r->uid, .gid = r->gid, .lock_fd = fds[0]};
	struct launch_proc p;
	int rc = -1;

	if (held(r, fds[0]) < 0)
		return -1;
	if (!(spec = read_spec(fds[1])))
		return refuse("a spawn without readable arguments: uid", (int)r->uid);
	dir = str_of(spec, "dir");
	program = str_of(spec, "program");
	what = str_of(spec, "what");
	if (!json_object_object_get_ex(spec, "args", &args) ||
	    !json_object_is_type(args, json_type_array) || !(env = strings_of(spec, "env")) ||
	    !dir || !program || !what) {
		rc = refuse("a spawn with arguments out of shape: uid", (int)r->uid);
	} else if (!job_dir(dir)) {
		rc = refuse("a spawn outside the jobs' folder: uid", (int)r->uid);
	} else {
		rc = 0;
		for (const char **e = env; *e && !rc; e++)
			if (!env_ok(*e))
				rc = refuse("a spawn with a variable jobs may not have: uid", (int)r->uid);
		for (size_t i = 0; !rc && i < json_object_array_length(args); i++)
			if (!json_object_is_type(json_object_array_get_idx(args, i),
						 json_type_string))
				rc = refuse("a spawn with an argument not a string: uid", (int)r->uid);
		/* our own binary, never one the request names: it starts with our rights */
		if (!rc && (rc = launch_spawn(self_exe, dir, program, args, (char *const *)env, &u,
					      what, &p)) == 0) {
			out->pid = p.pid;
			out->start_ticks = p.start_ticks;
		} else if (!rc) {
			errno = EAGAIN;
		}
	}
	free(env);
	json_object_put(spec);
	return rc;
}

/* Whether fd is a job's working folder, var/jobs/<job>/work, or a file right in it
 * (where the kernel says it is now, not where a request says). */
static bool in_work(int fd)
{
	char self[64], path[PATH_MAX];
	const char *rest, *slash;
	size_t n = strlen(real_jobs);
	ssize_t len;

	snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
	if ((len = readlink(self, path, sizeof path - 1)) < 0)
		return false;
	path[len] = '\0';
	if (strncmp(path, real_jobs, n) || !(slash = strchr(path + n, '/')) || slash == path + n ||
	    strncmp(slash, "/work", 5) || (slash[5] && slash[5] != '/'))
		return false;
	rest = slash[5] ? slash + 6 : NULL;
	return !rest || (*rest && !strchr(rest, '/') && !strstr(rest, " (deleted)"));
}

static int do_chown(const struct req *r, const int *fds)
{
	struct stat st;

	if (held(r, fds[0]) < 0)
		return -1;
	if (fstat(fds[1], &st) < 0)
		return -1;
	/* a job's own folder, or a file in it, and nothing else of the server's */
	if (!in_work(fds[1]))
		return refuse("a chown outside a job's working folder: owner", (int)st.st_uid);
	/* only what is the server's already: never a file of anyone else's */
	if (st.st_uid != getuid() || !(S_ISDIR(st.st_mode) || (S_ISREG(st.st_mode) &&
								st.st_nlink == 1)))
		return refuse("a chown of a file not the server's own: owner", (int)st.st_uid);
	return fchown(fds[1], r->uid, r->gid);
}

static int do_empty(const struct req *r, const int *fds)
{
	struct stat st;
	int i;

	if (fstat(fds[0], &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || (i = jobuser_find(pool, st.st_uid)) < 0)
		return refuse("emptying a folder not of a job account: owner", (int)st.st_uid);
	return jobuser_empty_fd(st.st_uid, pool->gid[i], fds[0],
				r->wait_ms > 0 && r->wait_ms <= EMPTY_MS_MAX ? r->wait_ms
				: EMPTY_MS_MAX);
}

static int dispatch(const struct req *r, const int *fds, struct reply *out)
{
	switch (r->op) {
	case OP_SPAWN: return do_spawn(r, fds, out);
	case OP_PURGE:
		/* nothing of the account's last job for its next one: no process, no file
		 * in a shared place, no IPC object (what is left is logged, not fatal) */
		if (held(r, fds[0]) < 0 || jobuser_purge(r->uid) < 0)
			return -1;
		jobuser_sweep(r->uid, r->gid, SWEEP_MS);
		return 0;
	case OP_CHOWN: return do_chown(r, fds);
	case OP_EMPTY: return do_empty(r, fds);
	case OP_KILL:
		if (r->sig != SIGTERM && r->sig != SIGKILL)
			return refuse("a signal other than TERM or KILL", r->sig);
		return launch_kill_group(r->pgid, r->start_ticks, boot_id, r->sig);
	default: return refuse("an unknown request", r->op);
	}
}

/* One request read, done and answered.  Returns -1 when the way is closed. */
static int serve_one(int sock)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct req r;
	struct reply out = {0};
	struct iovec iov = {.iov_base = &r, .iov_len = sizeof r};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf,
			    .msg_controllen = sizeof c.buf};
	int fds[4] = {-1, -1, -1, -1}, nfd = 0;
	ssize_t n;

	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n <= 0)
		return -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			for (size_t k = 0; k < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int) && nfd < 4; k++)
				memcpy(&fds[nfd++], CMSG_DATA(cm) + k * sizeof(int), sizeof(int));
	out.seq = n == (ssize_t)sizeof r ? r.seq : 0;
	if (n != (ssize_t)sizeof r || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || r.op < OP_SPAWN ||
	    r.op > OP_KILL || nfd != op_fds[r.op])
		out.rc = refuse("a request out of shape, descriptors handed over", nfd);
	else
		out.rc = dispatch(&r, fds, &out);
	out.err = out.rc < 0 ? errno : 0;
	for (int i = 0; i < nfd; i++)
		close(fds[i]);
	send_fds(sock, &out, sizeof out, NULL, 0);
	return 0;
}

/* Reap the shims that ended and tell the monitor (it may sleep until then). */
static void reap(int sock, int sfd)
{
	struct signalfd_siginfo si;
	struct reply news = {0};
	int any = 0;

	while (read(sfd, &si, sizeof si) > 0)
		;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		any = 1;
	if (any)
		(void)!send(sock, &news, sizeof news, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static _Noreturn void keeper_main(int sock)
{
	sigset_t chld;
	int sfd;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0 || launch_boot_id(boot_id, sizeof boot_id) < 0) {
		log_error("keeper: cannot start: %s", strerror(errno));
		_exit(1);
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = sock, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			_exit(1);
		if (p[1].revents & POLLIN)
			reap(sock, sfd);
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && serve_one(sock) < 0)
			_exit(0);   /* nobody holds the way any more */
	}
}

pid_t keeper_start(const struct jobuser_pool *p, const char *var_dir, const char *instance,
		   const struct cfg *c)
{
	static char real_var[PATH_MAX];
	pid_t parent = getpid(), pid;
	ssize_t n;
	int sv[2];

	/* as the kernel names it (in_work compares with where descriptors are) */
	n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
	if (n < 0 || !realpath(var_dir, real_var) ||
	    snprintf(jobs_dir, sizeof jobs_dir, "%s/jobs/", var_dir) >= (int)sizeof jobs_dir ||
	    snprintf(real_jobs, sizeof real_jobs, "%s/jobs/", real_var) >= (int)sizeof real_jobs) {
		log_error("keeper: cannot find this program or the jobs' folder");
		return -1;
	}
	self_exe[n] = '\0';
	pool = p;
	conf = c;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    (pid = fork()) < 0) {
		log_error("keeper: cannot start: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* it dies with the master; it holds only the way and the log */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent ||
		    dup3(sv[1], KEEPER_FD, O_CLOEXEC) < 0)
			_exit(1);
		closefrom(KEEPER_FD + 1);
		prctl(PR_SET_NAME, "tacitus-keeper");
		/* what the shims it execs get: CAP_SETUID and CAP_SETGID only (the ambient
		 * set); none of its processes may be traced or read by its own user */
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0) < 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_CHOWN, 0, 0) < 0 ||
		    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
			_exit(1);
		log_init(instance, "keeper");
		keeper_main(KEEPER_FD);
	}
	close(sv[1]);
	way = sv[0];
	/* a reply waited for longer than any request takes: the keeper hangs */
	setsockopt(way, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){.tv_sec = REPLY_WAIT_S},
		   sizeof(struct timeval));
	/* no process of the instance may be traced, or its memory and descriptors (the
	 * way to the keeper among them) read, by its own user: a worker that anyone's
	 * request reaches must not become the monitor (inherited by every child) */
	if (jobuser_drop_caps() < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_error("cannot give up the capabilities: %s", strerror(errno));
		kill(pid, SIGKILL);
		return -1;
	}
	return pid;
}
