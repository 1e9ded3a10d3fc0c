/* test_jobuser.c - taking a job account: a busy one is passed over, and so is one
 * whose lock file cannot be used (another server user's, or not a file), instead of
 * stopping every launch on it. */
#include "jobuser.h"
#include "unit.h"

#include <stdlib.h>
#include <unistd.h>

static void pool_in(struct jobuser_pool *p, const char *dir)
{
	memset(p, 0, sizeof *p);
	p->n = 2;
	p->uid[0] = 4000001;
	p->uid[1] = 4000002;
	p->gid[0] = p->gid[1] = 4000000;
	snprintf(p->lock_dir, sizeof p->lock_dir, "%s", dir);
}

void test_jobuser(void)
{
	char dir[] = "/tmp/tacitus-unit-jobuser.XXXXXX", path[JOBUSER_PATH_MAX + 16];
	struct jobuser_pool p;
	struct jobuser a, b, c;

	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	pool_in(&p, dir);
	CHECK(jobuser_take(&p, &a) == 1 && a.uid == 4000001);
	CHECK(jobuser_take(&p, &b) == 1 && b.uid == 4000002);
	CHECK(jobuser_take(&p, &c) == 0);           /* both busy: try again later */
	jobuser_release(&a);
	jobuser_release(&b);

	/* the first account's lock unusable (a symlink: never followed): the second serves */
	jobuser_lock_path(&p, 4000001, path, sizeof path);
	unlink(path);
	CHECK(symlink("/nonexistent", path) == 0);
	p.next = 0;
	CHECK(jobuser_take(&p, &a) == 1 && a.uid == 4000002);
	CHECK(jobuser_take(&p, &b) == -1);          /* none free, one unusable: an error */
	jobuser_release(&a);
	CHECK(b.lock_fd == -1);

	unlink(path);
	jobuser_lock_path(&p, 4000002, path, sizeof path);
	unlink(path);
	rmdir(dir);
}
