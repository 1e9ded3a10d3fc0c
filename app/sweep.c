/* sweep.c - removing what a job account left, by descriptor only, at any depth. */
#include "sweep.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define HSPERF_PREFIX "hsperfdata_"     /* a JVM's performance data: hsperfdata_<user>/<pid> */
#define FRESH_TRIES 16                  /* names tried for a folder moved up */
#define IPC_BATCH 256                   /* IPC objects removed per reading of a table */
#define IPC_LINE_MAX 512                /* a line of a /proc/sysvipc table */
#define IPC_COLS_MAX 32
#define IPC_PATH_MAX 4096

const char *const sweep_places[] = {"/tmp", "/var/tmp", "/dev/shm", "/run/lock", "/dev/mqueue",
				    NULL};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

long long sweep_deadline(int wait_ms)
{
	return now_ms() + wait_ms;
}

/* What statx says of an entry (never through a symlink, never mounting). */
struct node {
	mode_t mode;
	uid_t uid;
	unsigned long long ino;
	unsigned dev_major, dev_minor;
	bool mount_root;
};

/* name in dfd (or dfd itself: name "" and AT_EMPTY_PATH in flags) into *n.
 * Returns 0, or -1 with errno set. */
static int look(int dfd, const char *name, int flags, struct node *n)
{
	struct statx sx;

	if (statx(dfd, name, flags | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
		  STATX_TYPE | STATX_MODE | STATX_UID | STATX_INO, &sx) < 0)
		return -1;
	n->mode = sx.stx_mode;
	n->uid = sx.stx_uid;
	n->ino = sx.stx_ino;
	n->dev_major = sx.stx_dev_major;
	n->dev_minor = sx.stx_dev_minor;
	n->mount_root = (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
			(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
	return 0;
}

static bool same_dev(const struct node *a, const struct node *b)
{
	return a->dev_major == b->dev_major && a->dev_minor == b->dev_minor;
}

/* Whether folder n, found under folder `in`, is a mount point: another
 * filesystem, or the root of a mount of the same one (a bind mount). */
static bool mounted(const struct node *n, const struct node *in)
{
	return n->mount_root || !same_dev(n, in);
}

static bool dots(const char *name)
{
	return name[0] == '.' && (!name[1] || (name[1] == '.' && !name[2]));
}

/* Count an entry left in *st, and keep the first error (when err) with its name. */
static void leave(struct sweep_stats *st, int err, const char *name)
{
	st->left++;
	if (err && !st->err) {
		st->err = err;
		snprintf(st->what, sizeof st->what, "%.*s", (int)sizeof st->what - 1, name);
	}
}

/* leave(), then SWEEP_LEFT: for the callers that return how they ended. */
static int fail(struct sweep_stats *st, int err, const char *name)
{
	leave(st, err, name);
	return SWEEP_LEFT;
}

/* Folder name in dfd (n) made u+rwx, when it is not: what the owner needs to
 * list it, remove from it and move it.  Returns 0, or -1 with errno set. */
static int open_up(int dfd, const char *name, const struct node *n)
{
	if ((n->mode & S_IRWXU) == S_IRWXU)
		return 0;
	return fchmodat(dfd, name, (n->mode & 07777) | S_IRWXU, AT_SYMLINK_NOFOLLOW);
}

/* Folder name in dfd, which look() found as n: opened up, opened, and proven to
 * be the same folder.  Returns its descriptor, or -1 with errno set. */
static int open_dir(int dfd, const char *name, const struct node *n)
{
	struct node got;
	int fd;

	if (open_up(dfd, name, n) < 0 || (fd = openat(dfd, name, DIR_FLAGS)) < 0)
		return -1;
	if (look(fd, "", AT_EMPTY_PATH, &got) == 0 && got.ino == n->ino && same_dev(&got, n))
		return fd;
	close(fd);
	errno = ESTALE;         /* replaced meanwhile */
	return -1;
}

int sweep_open(int parent, const char *name)
{
	struct node n;

	if (look(parent, name, 0, &n) < 0)
		return -1;
	if (!S_ISDIR(n.mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return open_dir(parent, name, &n);
}

/* One folder open in the walk. */
struct level {
	DIR *d;
	char name[SWEEP_NAME_MAX];      /* its name in the level above */
};

/* Emptying one folder: passes over it, each a depth-first walk holding at most
 * SWEEP_DEPTH levels open. */
struct walk {
	int top;                        /* the caller's descriptor of the folder emptied */
	struct node at;                 /* that folder */
	long long deadline;
	struct sweep_stats *st;         /* removed, moved: what every pass did */
	struct sweep_stats pass;        /* removed, moved, left, mounts, error: this pass */
	int depth;                      /* levels open */
	struct level lv[SWEEP_DEPTH];
};

static void gone(struct walk *w)
{
	w->st->removed++;
	w->pass.removed++;
}

/* unlinkat(dfd, name, flags), counted.  A folder not empty is left without an
 * error of its own: what is left in it was counted (or came meanwhile). */
static void unlink_entry(struct walk *w, int dfd, const char *name, int flags)
{
	if (unlinkat(dfd, name, flags) == 0)
		gone(w);
	else if (errno != ENOENT)
		leave(&w->pass, errno == ENOTEMPTY || errno == EEXIST ? 0 : errno, name);
}

/* Folder name in dfd, too deep to open: moved into the top folder under a fresh
 * name (its inode number: no other folder has it), to be emptied from there. */
static void move_up(struct walk *w, int dfd, const char *name, const struct node *n)
{
	char fresh[SWEEP_NAME_MAX];

	if (open_up(dfd, name, n) < 0) {
		leave(&w->pass, errno, name);
		return;
	}
	for (int i = 0; i < FRESH_TRIES; i++) {
		snprintf(fresh, sizeof fresh, ".sweep-%llx-%d", n->ino, i);
		if (renameat2(dfd, name, w->top, fresh, RENAME_NOREPLACE) == 0) {
			w->st->moved++;
			w->pass.moved++;
			return;
		}
		if (errno != EEXIST)
			break;
	}
	leave(&w->pass, errno, name);
}

/* Folder name in dfd (n): removed at once when empty, else entered (one more
 * level open), or moved up when SWEEP_DEPTH levels are open already. */
static void enter(struct walk *w, int dfd, const char *name, const struct node *n)
{
	struct level *l;
	int fd;

	if (mounted(n, &w->at)) {
		w->pass.mounts++;
		leave(&w->pass, EXDEV, name);
		return;
	}
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0) {
		gone(w);
		return;
	}
	if (errno == ENOENT)
		return;
	if (w->depth == SWEEP_DEPTH) {
		move_up(w, dfd, name, n);
		return;
	}
	l = &w->lv[w->depth];
	fd = open_dir(dfd, name, n);
	if (fd >= 0 && !(l->d = fdopendir(fd)))
		close(fd);
	if (fd < 0 || !l->d) {
		leave(&w->pass, errno, name);
		return;
	}
	snprintf(l->name, sizeof l->name, "%s", name);
	w->depth++;
}

/* One entry of the deepest open folder d. */
static void visit(struct walk *w, DIR *d, const struct dirent *e)
{
	struct node n;

	if (dots(e->d_name))
		return;
	if (e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) {
		unlink_entry(w, dirfd(d), e->d_name, 0);
		return;
	}
	if (look(dirfd(d), e->d_name, 0, &n) < 0) {
		if (errno != ENOENT)
			leave(&w->pass, errno, e->d_name);
	} else if (S_ISDIR(n.mode)) {
		enter(w, dirfd(d), e->d_name, &n);
	} else {
		unlink_entry(w, dirfd(d), e->d_name, 0);
	}
}

/* The deepest open folder is read to its end: closed, and removed from its parent. */
static void finish_level(struct walk *w)
{
	struct level *l = &w->lv[--w->depth];

	closedir(l->d);
	if (w->depth > 0)
		unlink_entry(w, dirfd(w->lv[w->depth - 1].d), l->name, AT_REMOVEDIR);
}

static void close_levels(struct walk *w)
{
	while (w->depth > 0)
		closedir(w->lv[--w->depth].d);
}

/* One depth-first pass over the top folder.  Returns SWEEP_DONE (nothing seen
 * was left), SWEEP_LEFT or SWEEP_TIMEOUT. */
static int walk_pass(struct walk *w)
{
	int fd = openat(w->top, ".", DIR_FLAGS);
	struct dirent *e;

	memset(&w->pass, 0, sizeof w->pass);
	if (fd >= 0 && !(w->lv[0].d = fdopendir(fd)))
		close(fd);
	if (fd < 0 || !w->lv[0].d) {
		leave(&w->pass, errno, ".");
		return SWEEP_LEFT;
	}
	snprintf(w->lv[0].name, sizeof w->lv[0].name, ".");
	w->depth = 1;
	while (w->depth > 0) {
		DIR *d = w->lv[w->depth - 1].d;

		if (now_ms() >= w->deadline) {
			close_levels(w);
			return SWEEP_TIMEOUT;
		}
		errno = 0;
		if ((e = readdir(d))) {
			visit(w, d, e);
			continue;
		}
		if (errno)
			leave(&w->pass, errno, w->lv[w->depth - 1].name);
		finish_level(w);
	}
	return w->pass.left ? SWEEP_LEFT : SWEEP_DONE;
}

int sweep_tree(int dirfd, long long deadline_ms, struct sweep_stats *st)
{
	struct walk w = {.top = dirfd, .deadline = deadline_ms, .st = st};
	int end;

	if (look(dirfd, "", AT_EMPTY_PATH, &w.at) < 0)
		return -1;
	if (!S_ISDIR(w.at.mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if ((w.at.mode & S_IRWXU) != S_IRWXU && fchmod(dirfd, (w.at.mode & 07777) | S_IRWXU) < 0)
		return -1;
	/* again while a pass moved folders up (they wait in the top folder) or left
	 * entries but removed others (a folder emptied late: its parent's turn) */
	do
		end = walk_pass(&w);
	while (end != SWEEP_TIMEOUT && (w.pass.moved || (w.pass.left && w.pass.removed)));
	st->left += w.pass.left;
	st->mounts += w.pass.mounts;
	if (w.pass.err && !st->err) {
		st->err = w.pass.err;
		memcpy(st->what, w.pass.what, sizeof st->what);
	}
	return end;
}

static int worst(int a, int b)
{
	return a > b ? a : b;
}

/* Folder name in dfd (n), owned by the account: emptied, then removed. */
static int remove_folder(int dfd, const char *name, const struct node *n,
			 const struct node *place, long long deadline, struct sweep_stats *st)
{
	int fd, end;

	if (mounted(n, place)) {
		st->mounts++;
		return fail(st, EXDEV, name);
	}
	if ((fd = open_dir(dfd, name, n)) < 0) {
		return errno == ENOENT ? SWEEP_DONE : fail(st, errno, name);
	}
	end = sweep_tree(fd, deadline, st);
	if (end < 0) {
		leave(st, errno, name);
		end = SWEEP_LEFT;
	}
	close(fd);
	if (end == SWEEP_TIMEOUT)
		return end;
	if (unlinkat(dfd, name, AT_REMOVEDIR) == 0)
		st->removed++;
	else if (errno != ENOENT)
		return fail(st, errno, name);
	return end;
}

static int sweep_owned(uid_t uid, int fd, const char *label, bool in_place,
		       long long deadline, struct sweep_stats *st);

/* One entry, name in dfd (a place, or an hsperfdata_* folder of another account
 * in one when !in_place): removed when the account owns it. */
static int owned_entry(uid_t uid, int dfd, const char *name, const struct node *place,
		       bool in_place, long long deadline, struct sweep_stats *st)
{
	struct node n;
	int fd, end;

	if (dots(name))
		return SWEEP_DONE;
	if (look(dfd, name, 0, &n) < 0) {
		return errno == ENOENT ? SWEEP_DONE : fail(st, errno, name);
	}
	if (n.uid == uid && S_ISDIR(n.mode))
		return remove_folder(dfd, name, &n, place, deadline, st);
	if (n.uid == uid) {
		if (unlinkat(dfd, name, 0) == 0)
			st->removed++;
		else if (errno != ENOENT)
			return fail(st, errno, name);
		return SWEEP_DONE;
	}
	if (!in_place || !S_ISDIR(n.mode) || strncmp(name, HSPERF_PREFIX, strlen(HSPERF_PREFIX)) ||
	    mounted(&n, place))
		return SWEEP_DONE;
	/* another account's: when we cannot list it, nothing of ours can be found there */
	if ((fd = openat(dfd, name, DIR_FLAGS)) < 0)
		return SWEEP_DONE;
	end = sweep_owned(uid, fd, name, false, deadline, st);
	close(fd);
	return end;
}

/* The entries of the folder fd (label: its name, for errors) owned by uid go
 * (owned_entry). */
static int sweep_owned(uid_t uid, int fd, const char *label, bool in_place,
		       long long deadline, struct sweep_stats *st)
{
	int dfd = openat(fd, ".", DIR_FLAGS), end = SWEEP_DONE;
	struct node place;
	struct dirent *e;
	DIR *d = NULL;

	if (dfd >= 0 && (look(dfd, "", AT_EMPTY_PATH, &place) < 0 || !(d = fdopendir(dfd))))
		close(dfd);
	if (!d)
		return fail(st, errno, label);
	while (end != SWEEP_TIMEOUT) {
		if (now_ms() >= deadline)
			end = SWEEP_TIMEOUT;
		else if ((errno = 0, e = readdir(d)))
			end = worst(end, owned_entry(uid, dirfd(d), e->d_name, &place, in_place,
						     deadline, st));
		else
			break;
	}
	if (end != SWEEP_TIMEOUT && errno)
		end = fail(st, errno, label);
	closedir(d);
	return end;
}

/* The place at path (a folder): what uid owns in it goes. */
static int sweep_place(uid_t uid, const char *path, long long deadline, struct sweep_stats *st)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), end;

	if (fd < 0)
		return errno == ENOENT ? SWEEP_DONE : fail(st, errno, path);
	end = sweep_owned(uid, fd, path, true, deadline, st);
	close(fd);
	return end;
}

static int rm_shm(int id)
{
	return shmctl(id, IPC_RMID, NULL);
}

static int rm_sem(int id)
{
	return semctl(id, 0, IPC_RMID);
}

static int rm_msg(int id)
{
	return msgctl(id, IPC_RMID, NULL);
}

/* A kind of System V IPC object: its table, the table's id column, its removal. */
struct ipc_kind {
	const char *table;
	const char *id_col;
	int (*rm)(int id);
};

static const struct ipc_kind ipc_kinds[] = {
	{"shm", "shmid", rm_shm},
	{"sem", "semid", rm_sem},
	{"msg", "msqid", rm_msg},
};

/* line cut at blanks into tok (at most IPC_COLS_MAX); how many. */
static int split(char *line, char *tok[IPC_COLS_MAX])
{
	char *save = NULL, *t = strtok_r(line, " \t\n", &save);
	int n = 0;

	for (; t && n < IPC_COLS_MAX; t = strtok_r(NULL, " \t\n", &save))
		tok[n++] = t;
	return n;
}

/* The columns of a table's header line: the id's, the owner's, the creator's. */
struct ipc_cols {
	int id, uid, cuid, min;         /* min: columns a row needs */
};

static int header(char *line, const char *id_col, struct ipc_cols *c)
{
	char *tok[IPC_COLS_MAX];
	int n = split(line, tok);

	c->id = c->uid = c->cuid = -1;
	for (int i = 0; i < n; i++) {
		if (!strcmp(tok[i], id_col))
			c->id = i;
		else if (!strcmp(tok[i], "uid"))
			c->uid = i;
		else if (!strcmp(tok[i], "cuid"))
			c->cuid = i;
	}
	c->min = worst(c->id, worst(c->uid, c->cuid)) + 1;
	return c->id < 0 || c->uid < 0 || c->cuid < 0 ? -1 : 0;
}

/* Up to IPC_BATCH ids of objects of kind k in table f whose owner or creator is
 * uid, into ids.  Returns how many, or -1 with errno set (a table not understood). */
static int ipc_find(FILE *f, const struct ipc_kind *k, uid_t uid, int ids[IPC_BATCH])
{
	char line[IPC_LINE_MAX], *tok[IPC_COLS_MAX];
	struct ipc_cols c;
	int n = 0;

	if (!fgets(line, sizeof line, f) || header(line, k->id_col, &c) < 0) {
		errno = EPROTO;
		return -1;
	}
	while (n < IPC_BATCH && fgets(line, sizeof line, f)) {
		if (split(line, tok) < c.min)
			continue;
		if (strtoul(tok[c.uid], NULL, 10) == uid || strtoul(tok[c.cuid], NULL, 10) == uid)
			ids[n++] = atoi(tok[c.id]);
	}
	return n;
}

/* uid's objects of kind k, listed in the folder sysvipc, removed. */
static int sweep_ipc_kind(const struct ipc_kind *k, uid_t uid, const char *sysvipc,
			  long long deadline, struct sweep_stats *st)
{
	char path[IPC_PATH_MAX], what[SWEEP_NAME_MAX];
	int ids[IPC_BATCH], n, removed, end = SWEEP_DONE;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", sysvipc, k->table);
	do {
		if (now_ms() >= deadline)
			return SWEEP_TIMEOUT;
		if (!(f = fopen(path, "re")))
			return errno == ENOENT ? end : fail(st, errno, path);
		n = ipc_find(f, k, uid, ids);
		fclose(f);
		if (n < 0) 
			return fail(st, EPROTO, path);
		removed = 0;
		for (int i = 0; i < n; i++) {
			if (k->rm(ids[i]) == 0) {
				st->removed++;
				removed++;
			} else if (errno != EINVAL && errno != EIDRM) {     /* gone meanwhile */
				snprintf(what, sizeof what, "%s %d", k->table, ids[i]);
				leave(st, errno, what);
				end = SWEEP_LEFT;
			}
		}
	} while (n == IPC_BATCH && removed > 0);      /* the table had more */
	return end;
}

int sweep_account(uid_t uid, const char *const *places, const char *sysvipc,
		  long long deadline_ms, struct sweep_stats *st)
{
	int end = SWEEP_DONE;

	if (uid == 0 || geteuid() != uid) {
		errno = EPERM;
		return -1;
	}
	places = places ? places : sweep_places;
	sysvipc = sysvipc ? sysvipc : SWEEP_SYSVIPC;
	for (int i = 0; places[i] && end != SWEEP_TIMEOUT; i++)
		end = worst(end, sweep_place(uid, places[i], deadline_ms, st));
	for (size_t i = 0; i < sizeof ipc_kinds / sizeof ipc_kinds[0] && end != SWEEP_TIMEOUT; i++)
		end = worst(end, sweep_ipc_kind(&ipc_kinds[i], uid, sysvipc, deadline_ms, st));
	return end;
}

char *sweep_describe(int end, const struct sweep_stats *st, char *out, size_t len)
{
	static const char *const how[] = {"done", "entries left", "timed out"};
	int n = snprintf(out, len, "%s: removed %lld, left %lld (%lld mount points), moved up %lld",
			 end >= SWEEP_DONE && end <= SWEEP_TIMEOUT ? how[end] : "not started",
			 st->removed, st->left, st->mounts, st->moved);

	if (st->err && n >= 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, "; first error: %s: %s", st->what,
			 strerror(st->err));
	return out;
}
