/* shim.c - the job shim: runs one spark-submit and records how it ended. */
#include "shim.h"
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;       /* the group got it too; keep waiting for the child */
}

/* Write DIR/name atomically (temporary file, fsync, rename). */
static int write_file(const char *dir, const char *name, const char *text)
{
	char tmp[4200], final[4200];
	int fd, ok;

	snprintf(tmp, sizeof tmp, "%s/%s.tmp", dir, name);
	snprintf(final, sizeof final, "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
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

int shim_main(int argc, char **argv)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	struct sigaction sa;
	sigset_t none, all;
	char out_path[4200], err_path[4200], status[64];
	pid_t pid;
	int rc, st, fd;

	if (argc < 2) {
		fprintf(stderr, "usage: tacitus job-shim DIR PROGRAM [ARGS...]\n");
		return 1;
	}
	snprintf(status, sizeof status, "%d %lld\n", (int)getpid(),
		 launch_start_ticks(getpid(), NULL));
	if (write_file(argv[0], "shim.pid", status) < 0) {
		perror("job-shim: shim.pid");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	snprintf(out_path, sizeof out_path, "%s/stdout", argv[0]);
	snprintf(err_path, sizeof err_path, "%s/stderr", argv[0]);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
	posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	/* Spark leaves spark-warehouse/, metastore_db/ and derby.log in its cwd */
	posix_spawn_file_actions_addchdir_np(&fa, argv[0]);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, argv[1], &fa, &at, argv + 1, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		fd = open(err_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
		if (fd >= 0) {
			dprintf(fd, "tacitus: cannot start %s: %s\n", argv[1], strerror(rc));
			close(fd);
		}
		return write_file(argv[0], "exit_status", "exit 127\n") < 0;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return write_file(argv[0], "exit_status", "exit 255\n") < 0;
	if (WIFSIGNALED(st))
		snprintf(status, sizeof status, "signal %d\n", WTERMSIG(st));
	else
		snprintf(status, sizeof status, "exit %d\n", WEXITSTATUS(st));
	return write_file(argv[0], "exit_status", status) < 0;
}

int shim_read_pid(const char *dir, pid_t *pid, long long *start_ticks)
{
	char path[4200];
	FILE *f;
	int p, ok;

	snprintf(path, sizeof path, "%s/shim.pid", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%d %lld", &p, start_ticks) == 2;
	fclose(f);
	*pid = p;
	return ok ? 0 : -1;
}

int shim_read_status(const char *dir, int *code, int *signaled)
{
	char path[4200], word[16];
	FILE *f;
	int n, ok;

	snprintf(path, sizeof path, "%s/exit_status", dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%15s %d", word, &n) == 2;
	fclose(f);
	if (!ok)
		return -1;
	*signaled = !strcmp(word, "signal");
	*code = *signaled ? 128 + n : n;
	return 0;
}
