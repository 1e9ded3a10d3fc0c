/* test_sweep.c - nothing of a job outlives it: trees deeper than PATH_MAX, symlinks,
 * locked folders and mount points in a working folder, an account's entries in the
 * shared places, its System V IPC objects.
 *
 * As root (CI), every sweep runs in a child whose effective uid is ACCT, an unused
 * uid (no capability left: locked folders are really locked to it), and entries of
 * another uid and root are mixed in; otherwise the sweeps run as ourselves and the
 * checks that need another uid are skipped. */
#include "sweep.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACCT 54321                      /* the account, when root */
#define OTHER 54322                     /* another account */
#define DEEP_LEVELS 300
#define DEEP_NAME "depth-%03d-0123456789"       /* 20 characters: 300 levels > PATH_MAX */
#define DEEP_FILE_EVERY 10
#define DEEP_LOCK_EVERY 50              /* levels made r-x (to be opened up) */
#define KEY_SHM 0x54321001              /* System V IPC keys of the test's objects */
#define KEY_SEM 0x54321002
#define KEY_MSG 0x54321003              /* the account's, given to OTHER: creator rule */
#define KEY_GIVEN 0x54321004            /* root's, given to the account: owner rule */
#define KEY_OTHER 0x54321005            /* OTHER's: stays */
#define PATH_LEN 128
#define FD_BUDGET 34                    /* what a sweep may open: SWEEP_DEPTH + 2 (sweep.h) */

_Static_assert(SWEEP_DEPTH + 2 <= FD_BUDGET, "sweep_tree's descriptors are bounded");

static bool root;
static uid_t owner;                     /* whose entries are swept: ACCT as root, else ours */
static char base[PATH_LEN];
static int basefd;

/* name in dfd given to uid (as root; else it stays ours) */
static void own(int dfd, const char *name, uid_t uid)
{
	if (root && fchownat(dfd, name, uid, uid, AT_SYMLINK_NOFOLLOW) < 0)
		perror(name);
}

/* A folder name in dfd owned by uid: its descriptor. */
static int mk_dir(int dfd, const char *name, uid_t uid)
{
	if (mkdirat(dfd, name, 0700) < 0)
		perror(name);
	own(dfd, name, uid);
	return openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void mk_file(int dfd, const char *name, uid_t uid)
{
	int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd < 0 || write(fd, "x", 1) != 1)
		perror(name);
	if (fd >= 0)
		close(fd);
	own(dfd, name, uid);
}

static void mk_link(int dfd, const char *name, const char *target, uid_t uid)
{
	if (symlinkat(target, dfd, name) < 0)
		perror(name);
	own(dfd, name, uid);
}

static bool has(int dfd, const char *name)
{
	struct stat st;

	return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/* The entries of the folder dfd; -1 when it cannot be read. */
static int entries(int dfd)
{
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	struct dirent *e;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);

	if (!d) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* What a sweep in a child returned: end -2 when the child could not run it. */
struct outcome {
	int end;
	int err;                        /* errno after it */
	struct sweep_stats st;
};

/* say what a sweep did, when a check of it failed */
static void show(struct unit_at at, bool ok, const struct outcome *o)
{
	char line[SWEEP_DESCRIBE_MAX];

	if (!ok)
		unit_note(at, "%s", sweep_describe(o->end, &o->st, line, sizeof line));
}

#define SHOW(ok, o) show(UNIT_HERE, (ok), (o))

typedef int (*sweep_fn)(void *arg, struct sweep_stats *st);

/* The highest descriptor open below below (a tool's own, such as valgrind's, are
 * above the limit), -1 when it cannot be told. */
static int highest_fd(rlim_t below)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int top = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != dirfd(d) && (rlim_t)fd < below && fd > top)
			top = fd;
	}
	closedir(d);
	return top;
}

/* In a child: effective uid euid (as root); when spare, exactly spare descriptors
 * left free (the holes below the highest one open filled). */
static int child_setup(uid_t euid, int spare)
{
	struct rlimit r;
	int high, fd;

	if (root && setresuid((uid_t)-1, euid, (uid_t)-1) < 0)
		return -1;
	if (!spare)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &r) < 0 || (high = highest_fd(r.rlim_cur)) < 0)
		return -1;
	r.rlim_cur = (rlim_t)(high + 1 + spare);
	if (setrlimit(RLIMIT_NOFILE, &r) < 0)
		return -1;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd < high)
		;
	return fd < 0 ? -1 : close(fd);
}

/* fn(arg) in a child set up by child_setup: its outcome. */
static struct outcome in_child(uid_t euid, int spare, sweep_fn fn, void *arg)
{
	struct outcome o = {.end = -2};
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return o;
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (child_setup(euid, spare) == 0) {
			o.end = fn(arg, &o.st);
			o.err = errno;
		}
		_exit(write(p[1], &o, sizeof o) != (ssize_t)sizeof o);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &o, sizeof o) != (ssize_t)sizeof o)
		o.end = -2;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return o;
}

static int sweep_fd(void *arg, struct sweep_stats *st)
{
	return sweep_tree(*(int *)arg, SWEEP_NO_DEADLINE, st);
}

/* the folder named arg in base, opened (up) with sweep_open, then emptied */
static int sweep_named(void *arg, struct sweep_stats *st)
{
	int fd = sweep_open(basefd, arg), end;

	if (fd < 0)
		return -1;
	end = sweep_tree(fd, SWEEP_NO_DEADLINE, st);
	close(fd);
	return end;
}

/* 300 levels of 20-character names (6300 bytes of path), a file every 10 levels,
 * some levels r-x: all gone, with the descriptors bounded (the child may open
 * FD_BUDGET: a walk that held one per level would fail). */
static void test_deep(void)
{
	int top = mk_dir(basefd, "deep", owner), fd = dup(top), files = 0, nlocked = 0;
	int locked[DEEP_LEVELS / DEEP_LOCK_EVERY];
	struct outcome o;
	char name[32];

	for (int i = 0; i < DEEP_LEVELS && fd >= 0; i++) {
		int next;

		snprintf(name, sizeof name, DEEP_NAME, i);
		next = mk_dir(fd, name, owner);
		if (i % DEEP_FILE_EVERY == 0) {
			mk_file(fd, "file", owner);
			files++;
		}
		if (i % DEEP_LOCK_EVERY == DEEP_LOCK_EVERY / 2)
			locked[nlocked++] = dup(fd);
		close(fd);
		fd = next;
	}
	if (!CHECK(fd >= 0))
		return;
	close(fd);
	for (int i = 0; i < nlocked; i++) {
		fchmod(locked[i], 0500);
		close(locked[i]);
	}
	o = in_child(owner, FD_BUDGET, sweep_fd, &top);
	CHECK(o.end == SWEEP_DONE);
	SHOW(CHECK(o.st.removed == DEEP_LEVELS + files), &o);
	CHECK(o.st.left == 0 && o.st.err == 0);
	CHECK(o.st.moved > 0);
	CHECK(entries(top) == 0);
	CHECK(has(basefd, "deep"));     /* the folder itself stays */
	close(top);
	unlinkat(basefd, "deep", AT_REMOVEDIR);
}

/* Symlinks in the tree (to a folder, to a file, dangling, to itself) go; what
 * they point at (the account's, so a sweep that followed them could remove it)
 * stays. */
static void test_links(void)
{
	int out = mk_dir(basefd, "outside", owner), top = mk_dir(basefd, "links", owner);
	int a = mk_dir(top, "a", owner);
	char target[PATH_LEN + 16];
	struct outcome o;

	mk_file(out, "keep", owner);
	snprintf(target, sizeof target, "%s/outside", base);
	mk_link(a, "to-dir", target, owner);
	mk_link(a, "dangling", "/nonexistent/x", owner);
	snprintf(target, sizeof target, "%s/outside/keep", base);
	mk_link(top, "to-file", target, owner);
	mk_link(top, "to-self", ".", owner);
	close(a);
	o = in_child(owner, 0, sweep_fd, &top);
	CHECK(o.end == SWEEP_DONE);
	CHECK(o.st.removed == 5);
	CHECK(entries(top) == 0);
	CHECK(has(out, "keep"));
	CHECK(entries(out) == 1);
	/* sweep_open never opens a symlink */
	mk_link(basefd, "link-to-outside", "outside", owner);
	CHECK(sweep_open(basefd, "link-to-outside") < 0 && errno == ENOTDIR);
	unlinkat(basefd, "link-to-outside", 0);
	unlinkat(out, "keep", 0);
	close(out);
	close(top);
	unlinkat(basefd, "outside", AT_REMOVEDIR);
	unlinkat(basefd, "links", AT_REMOVEDIR);
}

/* Folders the job locked (mode 000, r-x, rw-, the top itself 000) are opened up
 * and emptied by their owner. */
static void test_locked(void)
{
	int top = mk_dir(basefd, "locked", owner), none = mk_dir(top, "none", owner);
	int inner = mk_dir(none, "inner", owner), ro = mk_dir(top, "readonly", owner);
	int nox = mk_dir(top, "nosearch", owner), empty = mk_dir(top, "empty000", owner);
	struct outcome o;

	mk_file(inner, "f", owner);
	mk_file(none, "g", owner);
	mk_file(ro, "f", owner);
	mk_file(nox, "f", owner);
	mk_file(top, "mode000", owner);
	fchmodat(top, "mode000", 0, 0);
	fchmod(inner, 0);
	fchmod(none, 0);
	fchmod(ro, 0500);
	fchmod(nox, 0600);
	fchmod(empty, 0);
	fchmod(top, 0);
	o = in_child(owner, 0, sweep_named, "locked");
	CHECK(o.end == SWEEP_DONE);
	CHECK(o.st.removed == 10);
	CHECK(entries(top) == 0);
	CHECK(has(basefd, "locked"));
	close(inner);
	close(none);
	close(ro);
	close(nox);
	close(empty);
	close(top);
	unlinkat(basefd, "locked", AT_REMOVEDIR);
}

/* A deadline already passed: nothing removed, said so; then all of it. */
static void test_deadline(void)
{
	int top = mk_dir(basefd, "late", owner);
	struct sweep_stats st = {0};
	char name[16];

	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof name, "f%d", i);
		mk_file(top, name, owner);
	}
	CHECK(sweep_tree(top, sweep_deadline(0) - 1, &st) == SWEEP_TIMEOUT);
	CHECK(st.removed == 0 && entries(top) == 10);
	CHECK(sweep_tree(top, sweep_deadline(10000), &st) == SWEEP_DONE);
	CHECK(st.removed == 10 && entries(top) == 0);
	close(top);
	unlinkat(basefd, "late", AT_REMOVEDIR);
}

/* Mount points (another filesystem, a bind mount of the same one) are never
 * entered, and said so.  Root only, in a mount namespace of the test's own. */
static void test_mounts(void)
{
	char tmpfs[PATH_LEN + 16], bind[PATH_LEN + 16], src[PATH_LEN + 16];
	int top, srcfd, mfd;
	struct outcome o;

	if (!root || unshare(CLONE_NEWNS) < 0 || mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0) {
		printf("sweep: mount points not tested (needs root and a mount namespace)\n");
		fflush(stdout);         /* once, not again by each child */
		return;
	}
	/* base again, as seen in the new namespace (a descriptor opened before
	 * looks at the old one, where the mounts below are not) */
	close(basefd);
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	top = mk_dir(basefd, "mounts", owner);
	srcfd = mk_dir(basefd, "bindsrc", owner);
	mk_file(srcfd, "keep", owner);
	close(mk_dir(top, "tmpfs", owner));
	close(mk_dir(top, "bind", owner));
	mk_file(top, "plain", owner);
	snprintf(tmpfs, sizeof tmpfs, "%s/mounts/tmpfs", base);
	snprintf(bind, sizeof bind, "%s/mounts/bind", base);
	snprintf(src, sizeof src, "%s/bindsrc", base);
	if (!CHECK(mount("none", tmpfs, "tmpfs", 0, "mode=0777") == 0) ||
	    !CHECK(mount(src, bind, "none", MS_BIND, NULL) == 0)) {
		umount2(tmpfs, MNT_DETACH);
		close(srcfd);
		close(top);
		return;
	}
	mfd = open(tmpfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mk_file(mfd, "f", owner);
	o = in_child(owner, 0, sweep_fd, &top);
	CHECK(o.end == SWEEP_LEFT);
	SHOW(CHECK(o.st.mounts == 2 && o.st.left == 2 && o.st.err == EXDEV), &o);
	CHECK(has(mfd, "f"));
	CHECK(has(srcfd, "keep"));
	CHECK(!has(top, "plain"));
	close(mfd);
	umount2(tmpfs, MNT_DETACH);
	umount2(bind, MNT_DETACH);
	o = in_child(owner, 0, sweep_fd, &top);
	CHECK(o.end == SWEEP_DONE && entries(top) == 0);
	unlinkat(srcfd, "keep", 0);
	close(srcfd);
	close(top);
	unlinkat(basefd, "mounts", AT_REMOVEDIR);
	unlinkat(basefd, "bindsrc", AT_REMOVEDIR);
}

/* Where sweep_account looks, and what it is for. */
struct account_args {
	uid_t uid;
	const char *const *places;
	const char *sysvipc;
};

static int sweep_acct(void *arg, struct sweep_stats *st)
{
	const struct account_args *a = arg;

	return sweep_account(a->uid, a->places, a->sysvipc, SWEEP_NO_DEADLINE, st);
}

/* A place like /tmp (root's, 1777) named name: its descriptor and path. */
static int mk_place(const char *name, char *path, size_t len)
{
	int fd = mk_dir(basefd, name, root ? 0 : owner);

	fchmod(fd, 01777);
	snprintf(path, len, "%s/%s", base, name);
	return fd;
}

/* The account's entries of the shared places go: files, symlinks (never
 * followed), folders (with locked ones in them), its hsperfdata folder and its
 * files in another's; nothing of another uid or root; uid 0 and a uid that is
 * not ours refused. */
static void test_places(void)
{
	char pa[PATH_LEN + 16], pb[PATH_LEN + 16], nope[PATH_LEN + 16], noipc[PATH_LEN + 16];
	char target[PATH_LEN + 32];
	int a = mk_place("placeA", pa, sizeof pa), b = mk_place("placeB", pb, sizeof pb);
	int tgt = mk_dir(basefd, "target", owner), d, sub, hs, theirs = -1, hso = -1;
	const char *places[] = {pa, nope, pb, NULL};
	struct account_args args = {owner, places, noipc};
	struct sweep_stats st = {0};
	struct outcome o;

	snprintf(nope, sizeof nope, "%s/no-such-place", base);
	snprintf(noipc, sizeof noipc, "%s/noipc", base);      /* no tables: IPC untouched */
	mk_file(tgt, "keep", owner);
	mk_file(a, "mine", owner);
	d = mk_dir(a, "mydir", owner);
	sub = mk_dir(d, "sub", owner);
	mk_file(sub, "f", owner);
	fchmod(sub, 0);
	snprintf(target, sizeof target, "%s/target/keep", base);
	mk_link(a, "mylink", target, owner);
	snprintf(target, sizeof target, "%s/target", base);
	mk_link(a, "mylink-dir", target, owner);
	hs = mk_dir(a, "hsperfdata_acct", owner);
	mk_file(hs, "4242", owner);
	mk_file(b, "mine2", owner);
	if (root) {
		mk_file(a, "theirs", OTHER);
		mk_file(a, "rootfile", 0);
		theirs = mk_dir(a, "theirdir", OTHER);
		fchmod(theirs, 0777);
		mk_file(theirs, "mine-inside", owner);
		hso = mk_dir(a, "hsperfdata_other", OTHER);
		fchmod(hso, 0777);
		mk_file(hso, "1111", owner);
		mk_file(hso, "2222", OTHER);
	}
	o = in_child(owner, 0, sweep_acct, &args);
	CHECK(o.end == SWEEP_DONE);
	CHECK(o.st.removed == (root ? 10 : 9) && o.st.left == 0);
	CHECK(!has(a, "mine") && !has(a, "mydir") && !has(a, "hsperfdata_acct"));
	CHECK(!has(a, "mylink") && !has(a, "mylink-dir"));
	CHECK(!has(b, "mine2"));
	CHECK(has(tgt, "keep") && entries(tgt) == 1);
	if (root) {
		CHECK(has(a, "theirs") && has(a, "rootfile"));
		CHECK(has(theirs, "mine-inside"));
		CHECK(!has(hso, "1111") && has(hso, "2222"));
		/* refused: root's and OTHER's entries would go */
		CHECK(sweep_account(0, places, noipc, SWEEP_NO_DEADLINE, &st) == -1 && errno == EPERM);
		CHECK(sweep_account(OTHER, places, noipc, SWEEP_NO_DEADLINE, &st) == -1 &&
		      errno == EPERM);
		CHECK(has(a, "rootfile") && has(a, "theirs") && has(hso, "2222"));
		close(theirs);
		close(hso);
	} else {
		CHECK(sweep_account(getuid() + 1, places, noipc, SWEEP_NO_DEADLINE, &st) == -1 &&
		      errno == EPERM);
	}
	CHECK(st.removed == 0);
	close(sub);
	close(d);
	close(hs);
	close(tgt);
	close(a);
	close(b);
}

static int make_acct_ipc(void *arg, struct sweep_stats *st)
{
	struct msqid_ds m;
	int q;

	(void)arg;
	(void)st;
	q = msgget(KEY_MSG, IPC_CREAT | IPC_EXCL | 0600);
	if (shmget(KEY_SHM, 4096, IPC_CREAT | IPC_EXCL | 0600) < 0 ||
	    semget(KEY_SEM, 1, IPC_CREAT | IPC_EXCL | 0600) < 0 || q < 0 ||
	    msgctl(q, IPC_STAT, &m) < 0)
		return -1;
	m.msg_perm.uid = OTHER;         /* the creator stays the account */
	return msgctl(q, IPC_SET, &m);
}

static int make_other_ipc(void *arg, struct sweep_stats *st)
{
	(void)arg;
	(void)st;
	return shmget(KEY_OTHER, 4096, IPC_CREAT | IPC_EXCL | 0600) < 0 ? -1 : 0;
}

/* The test's IPC objects, whoever holds them, removed (as root). */
static void drop_ipc(void)
{
	int id;

	if ((id = shmget(KEY_SHM, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	if ((id = shmget(KEY_GIVEN, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	if ((id = shmget(KEY_OTHER, 0, 0)) >= 0)
		shmctl(id, IPC_RMID, NULL);
	if ((id = semget(KEY_SEM, 0, 0)) >= 0)
		semctl(id, 0, IPC_RMID);
	if ((id = msgget(KEY_MSG, 0)) >= 0)
		msgctl(id, IPC_RMID, NULL);
}

/* The account's System V objects go (created by it, or given to it); another
 * account's stays.  Root only: IPC is host-wide, so only an unused uid's. */
static void test_ipc(void)
{
	const char *const no_places[] = {NULL};
	struct account_args args = {ACCT, no_places, NULL};
	struct shmid_ds s;
	struct outcome o;
	int id;

	if (!root) {
		printf("sweep: System V IPC not tested (needs root)\n");
		fflush(stdout);
		return;
	}
	drop_ipc();
	if (!CHECK(in_child(ACCT, 0, make_acct_ipc, NULL).end == 0) ||
	    !CHECK(in_child(OTHER, 0, make_other_ipc, NULL).end == 0) ||
	    !CHECK((id = shmget(KEY_GIVEN, 4096, IPC_CREAT | IPC_EXCL | 0600)) >= 0) ||
	    !CHECK(shmctl(id, IPC_STAT, &s) == 0)) {
		drop_ipc();
		return;
	}
	s.shm_perm.uid = ACCT;
	CHECK(shmctl(id, IPC_SET, &s) == 0);
	o = in_child(ACCT, 0, sweep_acct, &args);
	CHECK(o.end == SWEEP_DONE);
	CHECK(o.st.removed == 4);
	CHECK(shmget(KEY_SHM, 0, 0) < 0 && errno == ENOENT);
	CHECK(semget(KEY_SEM, 0, 0) < 0 && errno == ENOENT);
	CHECK(msgget(KEY_MSG, 0) < 0 && errno == ENOENT);
	CHECK(shmget(KEY_GIVEN, 0, 0) < 0 && errno == ENOENT);
	CHECK(shmget(KEY_OTHER, 0, 0) >= 0);
	drop_ipc();
}

static void test_describe(void)
{
	struct sweep_stats st = {.removed = 3, .left = 2, .mounts = 1, .err = EXDEV, .what = "mnt"};
	char line[SWEEP_DESCRIBE_MAX];

	CHECK_STR(sweep_describe(SWEEP_LEFT, &st, line, sizeof line),
		  "entries left: removed 3, left 2 (1 mount points), moved up 0; "
		  "first error: mnt: Invalid cross-device link");
	st.err = 0;
	CHECK_STR(sweep_describe(SWEEP_TIMEOUT, &st, line, sizeof line),
		  "timed out: removed 3, left 2 (1 mount points), moved up 0");
}

void test_sweep(void)
{
	struct sweep_stats st = {0};

	root = geteuid() == 0;
	owner = root ? ACCT : geteuid();
	snprintf(base, sizeof base, "/tmp/tacitus-sweep.XXXXXX");
	if (!CHECK(mkdtemp(base) != NULL))
		return;
	chmod(base, 0711);                /* the account passes through to its folders */
	basefd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	test_deep();
	test_links();
	test_locked();
	test_deadline();
	test_mounts();
	test_places();
	test_ipc();
	test_describe();
	CHECK(sweep_tree(basefd, SWEEP_NO_DEADLINE, &st) == SWEEP_DONE);
	close(basefd);
	CHECK(rmdir(base) == 0);
}
