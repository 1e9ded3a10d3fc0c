/* launcher.c - spawning the job shim and spark-submit, process identity, kill. */
#include "launcher.h"
#include "jobuser.h"
#include "log.h"
#include "shim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROC_PATH_MAX 64            /* "/proc/<pid>/environ" */
#define PROC_STAT_MAX 1024          /* /proc/<pid>/stat up to field 22 and more */
#define LOG_PATH_MAX 4200           /* DIR (a path) + "/shim.log" */
#define SHIM_ARGS 5                 /* tacitus-shim DIR UID GID PROGRAM */
#define ID_MAX 16                   /* a uid or gid in decimal */

int launch_boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	if (!f || !fgets(buf, (int)len, f)) {
		if (f)
			fclose(f);
		log_error("cannot read the boot id: %s", strerror(errno));
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Fields of /proc/<pid>/stat: the state letter, the process group (field 5) and
 * the start time (field 22).  Returns 0, or -1 when there is no such process. */
static int read_stat(pid_t pid, char *state, pid_t *pgrp, long long *start)
{
	char path[PROC_PATH_MAX], buf[PROC_STAT_MAX], *p;
	unsigned long long ticks;
	FILE *f;
	size_t n;
	int group;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');          /* comm may hold spaces and parentheses */
	if (!p || p[1] != ' ')
		return -1;
	/* after ") " come field 3 (state), 4 (ppid), 5 (pgrp) ... 22 (starttime) */
	p += 2;
	*state = *p;
	if (sscanf(p, "%*c %*d %d", &group) != 1)
		return -1;
	*pgrp = group;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (sscanf(p, "%llu", &ticks) != 1)
		return -1;
	*start = (long long)ticks;
	return 0;
}

long long launch_start_ticks(pid_t pid, bool *zombie)
{
	char state;
	pid_t pgrp;
	long long ticks;

	if (read_stat(pid, &state, &pgrp, &ticks) < 0)
		return -1;
	if (zombie)
		*zombie = state == 'Z' || state == 'X';
	return ticks;
}

bool launch_alive(pid_t pid, long long start_ticks)
{
	bool zombie = false;
	long long t = launch_start_ticks(pid, &zombie);

	return t >= 0 && t == start_ticks && !zombie;
}

void launch_marker(char *buf, size_t len, const char *boot_id, pid_t pid, long long start_ticks)
{
	snprintf(buf, len, LAUNCH_MARKER_ENV "=%s/%d/%lld", boot_id, (int)pid, start_ticks);
}

/* True when /proc/<pid>/environ holds the entry `marker` (entries end with NUL). */
static bool environ_has(pid_t pid, const char *marker)
{
	char path[PROC_PATH_MAX], *entry = NULL;
	size_t cap = 0;
	ssize_t n;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;           /* gone, or not ours to read: no proof */
	while (!found && (n = getdelim(&entry, &cap, '\0', f)) > 0)
		found = !strcmp(entry, marker);
	free(entry);
	fclose(f);
	return found;
}

/* True when a live (not zombie) process of process group pgid was started with
 * the environment entry `marker` (as launch_marker makes it), read from
 * /proc/<pid>/environ. */
static bool launch_group_has(pid_t pgid, const char *marker)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char *end, state;
		long pid = strtol(e->d_name, &end, 10);
		long long start;
		pid_t pgrp;

		if (*end || pid <= 0 || read_stat((pid_t)pid, &state, &pgrp, &start) < 0 ||
		    pgrp != pgid || state == 'Z' || state == 'X')
			continue;
		found = environ_has((pid_t)pid, marker);
	}
	closedir(d);
	return found;
}

int launch_kill_group(pid_t pgid, long long start_ticks, const char *boot_id, int sig)
{
	char marker[LAUNCH_MARKER_MAX];
	long long t = launch_start_ticks(pgid, NULL);
	uid_t ids[JOBUSER_PROC_UIDS];

	/* never init's or everyone's "group" (a row's pid is only a number) */
	if (pgid <= 1) {
		errno = ESRCH;
		return -1;
	}
	/* the shim still holds its pid (alive or a zombie): -pgid is its group; a shim
	 * runs as the server's user (with CAP_KILL, a number naming another's
	 * process must not be enough) */
	if (t >= 0 && t == start_ticks && jobuser_proc_uids(pgid, ids) == 0 && ids[0] == getuid())
		return kill(-pgid, sig);
	/* the shim is gone and the number may be a stranger's by now (launcher.h): the
	 * group is the job's only while a live member carries the job's marker, and
	 * that member then holds the number */
	launch_marker(marker, sizeof marker, boot_id, pgid, start_ticks);
	if (launch_group_has(pgid, marker))
		return kill(-pgid, sig);
	errno = ESRCH;
	return -1;
}

/* launch_exec's recipe, stdout to out_fd when it is not -1 (else to out_path). */
static int spawn(char *const argv[], char *const envp[], int out_fd, const char *out_path,
		 const char *err_path, const char *dir, bool new_session, int pass_fd, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else
		posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_APPEND,
						 0600);
	if (err_path)
		posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_APPEND,
						 0600);
	else
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	if (pass_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, pass_fd, LAUNCH_PASSED_FD);
	/* sockets, the database, pipes */
	posix_spawn_file_actions_addclosefrom_np(&fa, pass_fd >= 0 ? LAUNCH_PASSED_FD + 1 : 3);
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);     /* a blocked SIGTERM would make it unkillable */
	posix_spawnattr_setsigdefault(&at, &all);   /* an ignored signal would survive exec */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				      (new_session ? POSIX_SPAWN_SETSID : 0));
	rc = posix_spawn(pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

int launch_exec(char *const argv[], char *const envp[], const char *out_path,
		const char *err_path, const char *dir, bool new_session, int pass_fd, pid_t *pid)
{
	return spawn(argv, envp, -1, out_path, err_path, dir, new_session, pass_fd, pid);
}

#define REPORT_FD 3                 /* in the child: where a failure is reported */

/* In the child of launch_exec_as: launch_exec's recipe by hand, then the switch.
 * `report` (close-on-exec) becomes REPORT_FD, over anything there (the shim's
 * account lock is not the job's).  Returns only on failure, with errno set. */
static void exec_child(char *const argv[], char *const envp[], const char *out_path,
		       const char *err_path, const char *dir, uid_t uid, gid_t gid, int report)
{
	sigset_t none;
	int fd;

	if (report != REPORT_FD && dup3(report, REPORT_FD, O_CLOEXEC) < 0)
		return;
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);       /* fails for KILL, STOP and the unused: fine */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* the files are opened as the server's user: the job writes them through
	 * these descriptors and can neither reopen, replace nor read back the rest */
	if ((fd = open("/dev/null", O_RDONLY)) < 0 || dup2(fd, 0) < 0 ||
	    (fd = open(out_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600)) < 0 ||
	    dup2(fd, 1) < 0 ||
	    (fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW, 0600)) < 0 ||
	    dup2(fd, 2) < 0 || jobuser_become(uid, gid) < 0 || (dir && chdir(dir) < 0))
		return;     /* the folder is entered as the job: it is the job's */
	closefrom(REPORT_FD + 1);
	execve(argv[0], argv, envp);
}

int launch_exec_as(char *const argv[], char *const envp[], const char *out_path,
		   const char *err_path, const char *dir, uid_t uid, gid_t gid, pid_t *pid)
{
	int p[2], err = 0;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC) < 0)
		return errno;
	*pid = fork();
	if (*pid < 0) {
		err = errno;
		close(p[0]);
		close(p[1]);
		return err;
	}
	if (*pid == 0) {
		close(p[0]);
		exec_child(argv, envp, out_path, err_path, dir, uid, gid, p[1]);
		err = errno;
		(void)!write(REPORT_FD, &err, sizeof err);
		_exit(127);
	}
	close(p[1]);
	/* the pipe closes at exec (close-on-exec): nothing read means it ran */
	while ((n = read(p[0], &err, sizeof err)) < 0 && errno == EINTR)
		;
	close(p[0]);
	if (n == (ssize_t)sizeof err) {
		waitpid(*pid, NULL, 0);
		return err ? err : EPERM;
	}
	return 0;
}

int launch_spawn(const char *self, const char *dir, const char *spark_submit,
		 json_object *args, char *const envp[], const struct jobuser *u,
		 const char *what, struct launch_proc *p)
{
	size_t n = json_object_array_length(args);
	const char **argv = calloc(n + SHIM_ARGS + 1, sizeof *argv);
	char log_path[LOG_PATH_MAX], shim[LOG_PATH_MAX], uid[ID_MAX] = "-", gid[ID_MAX] = "-";
	struct stat st;
	size_t k = 0;
	int rc, log_fd = -1;

	if (!argv) {
		log_error("%s: out of memory building argv", what);
		return -1;
	}
	if (snprintf(shim, sizeof shim, "%s" LAUNCH_SHIM_SUFFIX, self) >= (int)sizeof shim) {
		log_error("%s: the path of %s is too long", what, self);
		free(argv);
		return -1;
	}
	argv[k++] = shim;
	argv[k++] = dir;
	if (u->lock_fd >= 0) {
		snprintf(uid, sizeof uid, "%d", (int)u->uid);
		snprintf(gid, sizeof gid, "%d", (int)u->gid);
	}
	argv[k++] = uid;
	argv[k++] = gid;
	argv[k++] = spark_submit;
	for (size_t i = 0; i < n; i++)
		argv[k++] = json_object_get_string(json_object_array_get_idx(args, i));
	/* opened here, never through a symlink nor into a FIFO (which would hold the
	 * spawn, and whoever spawns, for ever): a plain file of the job's folder */
	if (snprintf(log_path, sizeof log_path, "%s/shim.log", dir) >= (int)sizeof log_path ||
	    (log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK |
			   O_CLOEXEC, 0600)) < 0 || fstat(log_fd, &st) < 0 || !S_ISREG(st.st_mode))
		rc = log_fd < 0 ? errno : EINVAL;
	else
		rc = spawn((char *const *)argv, envp, log_fd, NULL, NULL, NULL, true, u->lock_fd,
			   &p->pid);
	if (log_fd >= 0)
		close(log_fd);
	free(argv);
	if (rc != 0) {
		log_error("%s: cannot start the job shim %s: %s", what, shim, strerror(rc));
		return -1;
	}
	p->start_ticks = launch_start_ticks(p->pid, NULL);
	return 0;
}
