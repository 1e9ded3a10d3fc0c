/* logfile.h - a log file that never grows without bound: append, rotate by size.
 *
 * The module owns the server's and nginx's log files.  Every process of an
 * instance writes its log lines (log.h) to stderr; with `serve --log FILE` that
 * stderr is a pipe read by one writer process (logfile_start), the only one to
 * open FILE (`tacitus log-writer`), so that rotation needs no signal and no cooperation: when FILE
 * reaches its size limit the writer renames FILE to FILE.1 (FILE.1 to FILE.2 ...,
 * the oldest beyond `keep` removed) and opens a new FILE.  nginx's error and
 * access logs go the same way through `tacitus log-writer FILE` reading its
 * stdin (app/stack.sh).  Files rotate between lines: one passes its limit only by
 * a single line longer than the limit (a line of up to PIPE_BUF bytes written at
 * once arrives whole).
 */
#ifndef TACITUS_LOGFILE_H
#define TACITUS_LOGFILE_H

#include <stdbool.h>
#include <sys/types.h>

#define LOGFILE_PATH_MAX 1024
#define LOGFILE_MAX_BYTES (64LL << 20)  /* defaults: 64 MiB per file */
#define LOGFILE_KEEP 4                  /* and four rotated files */

struct logfile {
	char path[LOGFILE_PATH_MAX];
	int fd;
	long long size, max_bytes;
	int keep;
	bool at_line_start;             /* the last write ended a line */
};

/* Open (append, create 0640) path, rotating at max_bytes and keeping `keep` old
 * files.  Returns 0, or -1 with errno set. */
int logfile_open(struct logfile *f, const char *path, long long max_bytes, int keep);

/* Append n bytes: the whole lines that fit to the file, then rotate and go on in
 * the new one.  Returns
 * 0, or -1 with errno set (the bytes are lost; the next write tries again). */
int logfile_write(struct logfile *f, const char *buf, size_t n);

void logfile_close(struct logfile *f);

/* Copy fd into f until end of file, in batches: after a read that found the pipe
 * nearly empty it waits 5 ms for more lines (they reach the file that much later at
 * most), and it grows a pipe to 1 MiB when it may so that the writers do not wait
 * meanwhile.  Returns 0 at end of file, -1 on a read error. */
int logfile_pump(int fd, struct logfile *f);

/* Give this process's stdout and stderr to a new writer process (`self`, the
 * tacitus binary, run as `tacitus log-writer path max_bytes keep`) that appends
 * them to path and ends when every process holding them has ended.  SIGPIPE is
 * ignored from then on.  Returns 0, or -1 with errno set. */
int logfile_start(const char *self, const char *path, long long max_bytes, int keep);

/* Entry point of `tacitus log-writer FILE [MAX_BYTES [KEEP]]`: stdin to FILE until
 * end of file; SIGTERM, SIGINT and SIGHUP ignored.  Returns the exit code. */
int logfile_main(int argc, char **argv);

#endif
