/* logfile.c - append to a log file, rotate it by size, feed it from a pipe. */
#include "logfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536
/* After a read that found the pipe nearly empty, the writer waits this long for
 * lines to gather: a busy nginx writes its access log a line per request, and a
 * reader woken for each line costs more CPU than a worker's request (issue 25).
 * Lines reach the file this much later at most; the pipe, grown to PIPE_SIZE,
 * holds what comes meanwhile, so that its writers do not wait on a full pipe. */
#define PUMP_PAUSE_NS 5000000L          /* 5 ms: at most 200 reads a second */
#define PIPE_SIZE (1 << 20)             /* Linux's default pipe-max-size */

static int open_fd(struct logfile *f)
{
	off_t end;

	f->fd = open(f->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (f->fd < 0)
		return -1;
	end = lseek(f->fd, 0, SEEK_END);
	f->size = end < 0 ? 0 : (long long)end;
	return 0;
}

int logfile_open(struct logfile *f, const char *path, long long max_bytes, int keep)
{
	f->fd = -1;
	f->max_bytes = max_bytes > 0 ? max_bytes : LOGFILE_MAX_BYTES;
	f->keep = keep > 0 ? keep : 1;
	f->size = 0;
	f->at_line_start = true;
	if (snprintf(f->path, sizeof f->path, "%s", path) >= (int)sizeof f->path) {
		f->path[0] = '\0';
		errno = ENAMETOOLONG;
		return -1;
	}
	return open_fd(f);
}

/* FILE.keep goes, FILE.k becomes FILE.k+1, FILE becomes FILE.1, a new FILE opens. */
static int rotate(struct logfile *f)
{
	char from[LOGFILE_PATH_MAX + 16], to[LOGFILE_PATH_MAX + 16];

	snprintf(to, sizeof to, "%s.%d", f->path, f->keep);
	unlink(to);
	for (int k = f->keep - 1; k >= 1; k--) {
		snprintf(from, sizeof from, "%s.%d", f->path, k);
		snprintf(to, sizeof to, "%s.%d", f->path, k + 1);
		rename(from, to);
	}
	snprintf(to, sizeof to, "%s.1", f->path);
	close(f->fd);
	if (rename(f->path, to) < 0 && errno != ENOENT) {
		/* go on in the same file, and try again one limit later: a log that
		 * cannot rotate must not go silent */
		int e = errno;
		if (open_fd(f) == 0)
			f->size = 0;
		errno = e;
		return f->fd < 0 ? -1 : 0;
	}
	return open_fd(f);
}

static int write_all(struct logfile *f, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t w = write(f->fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		buf += w;
		n -= (size_t)w;
		f->size += w;
	}
	return 0;
}

/* The length of the longest run of whole lines at buf that fits in room bytes. */
static size_t lines_within(const char *buf, size_t n, long long room)
{
	size_t k = room <= 0 ? 0 : (size_t)room < n ? (size_t)room : n;

	while (k > 0 && buf[k - 1] != '\n')
		k--;
	return k;
}

int logfile_write(struct logfile *f, const char *buf, size_t n)
{
	if (f->fd < 0 && open_fd(f) < 0)
		return -1;
	while (n > 0) {
		size_t fit = f->size + (long long)n <= f->max_bytes ? n :
			     lines_within(buf, n, f->max_bytes - f->size);

		/* a file begun, full, between two lines: the rest goes to a new one */
		if (fit == 0 && f->size > 0 && f->at_line_start) {
			if (rotate(f) < 0)
				return -1;
			continue;
		}
		if (fit == 0)
			fit = n;        /* a line longer than the limit, or one to finish */
		if (write_all(f, buf, fit) < 0)
			return -1;
		f->at_line_start = buf[fit - 1] == '\n';
		buf += fit;
		n -= fit;
	}
	return 0;
}

void logfile_close(struct logfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

/* Let lines gather after a read of n bytes that found the pipe nearly empty. */
static void gather(ssize_t n)
{
	const struct timespec pause = {0, PUMP_PAUSE_NS};

	if (n < CHUNK / 2)
		nanosleep(&pause, NULL);
}

int logfile_pump(int fd, struct logfile *f)
{
	static char buf[CHUNK];

	(void)fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE);  /* best effort: a pipe keeps its size */
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		logfile_write(f, buf, (size_t)n);
		gather(n);
	}
}

int logfile_start(const char *self, const char *path, long long max_bytes, int keep)
{
	char max[32], n[16];
	int p[2];
	pid_t pid;

	snprintf(max, sizeof max, "%lld", max_bytes);
	snprintf(n, sizeof n, "%d", keep);
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		errno = e;
		return -1;
	}
	if (pid == 0) {
		/* the writer is no child of ours (forked twice): the master's children are
		 * its workers and its monitor; it is a process of its own (a signal to the
		 * instance's group is not for it), reading the pipe until every writer is gone */
		if (fork() != 0)
			_exit(0);
		setsid();
		if (dup2(p[0], STDIN_FILENO) < 0)
			_exit(127);
		execl(self, "tacitus", "log-writer", path, max, n, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(p[0]);
	/* a writer that is gone must not kill us at the next line: EPIPE, not SIGPIPE */
	signal(SIGPIPE, SIG_IGN);
	if (dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		int e = errno;
		close(p[1]);
		errno = e;
		return -1;
	}
	close(p[1]);
	return 0;
}

int logfile_main(int argc, char **argv)
{
	struct logfile f;

	if (argc < 1 || argc > 3) {
		fprintf(stderr, "usage: tacitus log-writer FILE [MAX_BYTES [KEEP]]\n");
		return 2;
	}
	signal(SIGTERM, SIG_IGN);       /* it ends when its writers are gone: nothing is lost */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	/* a file it cannot open is tried again at each read: the writer never leaves
	 * its pipe without a reader (nginx would wait for one at its next reopen) */
	if (logfile_open(&f, argv[0], argc > 1 ? atoll(argv[1]) : LOGFILE_MAX_BYTES,
			 argc > 2 ? atoi(argv[2]) : LOGFILE_KEEP) < 0)
		fprintf(stderr, "tacitus log-writer: %s: %s\n", argv[0], strerror(errno));
	return logfile_pump(STDIN_FILENO, &f) < 0;
}
