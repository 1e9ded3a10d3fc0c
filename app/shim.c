/* shim.c - the job shim: runs one spark-submit and records how it ended. */
#include "shim.h"
#include "jobuser.h"
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHIM_PATH_MAX 4200          /* DIR (a path) + "/" + a file name */
#define SHIM_LINE_MAX 64            /* shim.pid, exit_status: one short line */
#define SHIM_WORD_MAX 16
#define SHIM_BOOT_ID_MAX 64         /* /proc/sys/kernel/random/boot_id */

extern char **environ;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;       /* the group got it too; keep waiting for the child */
}

/* Write DIR/name atomically (temporary file, fsync, rename). */
static int write_file(const char *dir, const char *name, const char *text)
{
	char tmp[SHIM_PATH_MAX], final[SHIM_PATH_MAX];
	int fd, ok;

	snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
	snprintf(final, sizeof final, "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0;
	close(fd);
	if (!ok || rename(tmp, final) < 0)
		return -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
}

/* The job's own places beside what the monitor gave it, all in its working
 * folder (removed when it ends): its home (Python's user site, caches, Java's
 * user.home) and its temporary files (Python's, Java's, Spark's local dirs), so
 * that nothing of it waits in a shared /tmp for the next job of its account. */
static int set_places(const char *work)
{
	static char opts[SHIM_PATH_MAX * 3];
	const char *old = getenv("SPARK_SUBMIT_OPTS");

	snprintf(opts, sizeof opts, "SPARK_SUBMIT_OPTS=%s%s-Duser.home=%s -Djava.io.tmpdir=%s",
		 old ? old : "", old ? " " : "", work, work);
	return setenv("HOME", work, 1) < 0 || setenv("TMPDIR", work, 1) < 0 ||
	       setenv("SPARK_LOCAL_DIRS", work, 1) < 0 || putenv(opts) != 0 ? -1 : 0;
}

/* The job is over: its account, which may serve the next job as soon as this shim
 * is gone, can no longer reach the job's folder (DIR is the server's; 0711 let the
 * job through to its work/).  The monitor has work/ emptied as the account once
 * nothing reads it any more (a cluster job's application reads Spark's staging
 * folder there after spark-submit has exited). */
static void lock_out(const char *dir)
{
	if (chmod(dir, 0700) < 0)
		fprintf(stderr, "tacitus-shim: cannot keep %s from the job's account: %s\n", dir,
			strerror(errno));
}

/* "-" or a decimal id; -1 for "-", -2 when it is neither */
static long parse_id(const char *s)
{
	char *end;
	long v;

	if (!strcmp(s, "-"))
		return -1;
	v = strtol(s, &end, 10);
	return *s && !*end && v > 0 ? v : -2;
}

int shim_main(int argc, char **argv)
{
	/* the rights to switch to the job's account, until the job runs as it; none
	 * other ever (keeper.h) */
	bool caps = jobuser_keep_switch_caps() == 0;
	struct sigaction sa;
	char out_path[SHIM_PATH_MAX], err_path[SHIM_PATH_MAX], work[SHIM_PATH_MAX];
	char status[SHIM_LINE_MAX], boot_id[SHIM_BOOT_ID_MAX];
	static char marker[LAUNCH_MARKER_MAX];     /* in the environment from putenv on */
	long long start = launch_start_ticks(getpid(), NULL);
	long uid, gid;
	pid_t pid;
	int rc, st, fd;

	uid = argc >= 4 ? parse_id(argv[1]) : -2;
	gid = argc >= 4 ? parse_id(argv[2]) : -2;
	if (uid == -2 || gid == -2 || (uid < 0) != (gid < 0)) {
		fprintf(stderr, "usage: tacitus-shim DIR UID|- GID|- PROGRAM [ARGS...]\n");
		return 1;
	}
	snprintf(status, sizeof status, "%d %lld %ld %ld\n", (int)getpid(), start, uid, gid);
	if (write_file(argv[0], "shim.pid", status) < 0) {
		perror("tacitus-shim: shim.pid");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	/* the job's marker (launcher.h), inherited by spark-submit and all it starts:
	 * what proves the group to be the job's once this shim is gone; without a boot
	 * id no marker, and the group is then never signalled without its leader */
	if (launch_boot_id(boot_id, sizeof boot_id) == 0) {
		launch_marker(marker, sizeof marker, boot_id, getpid(), start);
		putenv(marker);
	} else {
		unsetenv(LAUNCH_MARKER_ENV);
	}
	snprintf(out_path, sizeof out_path, "%s/stdout", argv[0]);
	snprintf(err_path, sizeof err_path, "%s/stderr", argv[0]);
	snprintf(work, sizeof work, "%s/work", argv[0]);
	/* same process group as the shim; in DIR/work, since Spark leaves
	 * spark-warehouse/, metastore_db/ and derby.log in its cwd; with the shim's
	 * environment, which is the job's (the monitor's allow-list, jobenv.h) and the
	 * marker; as the job's account when it has one (jobuser.h) */
	if (uid > 0 && set_places(work) < 0)
		rc = ENOMEM;
	else if (uid > 0)
		rc = launch_exec_as(argv + 3, environ, out_path, err_path, work, (uid_t)uid,
				    (gid_t)gid, &pid);
	else
		rc = launch_exec(argv + 3, environ, out_path, err_path, work, false, -1, &pid);
	if (!caps || jobuser_drop_caps() < 0) {
		fprintf(stderr, "tacitus-shim: cannot give up its capabilities: %s\n", strerror(errno));
		if (rc == 0)
			kill(pid, SIGKILL);
		rc = EPERM;
	}
	if (rc != 0) {
		fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dprintf(fd, "tacitus: cannot start %s: %s\n", argv[3], strerror(rc));
			close(fd);
		}
		return write_file(argv[0], "exit_status", "exit 127\n") < 0;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			st = -1;
			break;
		}
	if (st == -1)
		snprintf(status, sizeof status, "exit 255\n");
	else if (WIFSIGNALED(st))
		snprintf(status, sizeof status, "signal %d\n", WTERMSIG(st));
	else
		snprintf(status, sizeof status, "exit %d\n", WEXITSTATUS(st));
	if (uid > 0)
		lock_out(argv[0]);
	rc = write_file(argv[0], "exit_status", status) < 0;
	return rc;
}

/* The first line of DIR/name, or -1 when there is none. */
static int read_line(const char *dir, const char *name, char *buf, int len)
{
	char path[SHIM_PATH_MAX];
	FILE *f;
	int ok;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	return ok ? 0 : -1;
}

int shim_read_pid(const char *dir, pid_t *pid, long long *start_ticks)
{
	char line[SHIM_LINE_MAX];
	int p;

	if (read_line(dir, "shim.pid", line, sizeof line) < 0 ||
	    sscanf(line, "%d %lld", &p, start_ticks) != 2)
		return -1;
	*pid = p;
	return 0;
}

int shim_read_account(const char *dir, uid_t *uid, gid_t *gid)
{
	char line[SHIM_LINE_MAX];
	long long start;
	long u, g;
	int p;

	if (read_line(dir, "shim.pid", line, sizeof line) < 0 ||
	    sscanf(line, "%d %lld %ld %ld", &p, &start, &u, &g) != 4 || u <= 0 || g <= 0)
		return -1;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

int shim_read_status(const char *dir, int *code, int *signaled)
{
	char line[SHIM_LINE_MAX], word[SHIM_WORD_MAX];
	int n;

	if (read_line(dir, "exit_status", line, sizeof line) < 0 ||
	    sscanf(line, "%15s %d", word, &n) != 2)
		return -1;
	*signaled = !strcmp(word, "signal");
	*code = *signaled ? 128 + n : n;
	return 0;
}

#ifdef TACITUS_SHIM_MAIN
/* The program tacitus-shim (the Makefile builds it from the modules shim.h names). */
int main(int argc, char **argv)
{
	return shim_main(argc - 1, argv + 1);
}
#endif
