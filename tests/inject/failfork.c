/* failfork.c - test-only LD_PRELOAD library: fork() fails with EAGAIN while the file
 * named by TACITUS_FAIL_FORK exists, and behaves as usual otherwise.
 *
 * The integration tests use it to make an instance's master fail to fork a
 * worker (as it does when the host hits its process limit) without touching the
 * production code.  It is never part of the tacitus binary.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

/* The instance's own processes keep the library (workers and the monitor are
 * forks), but what they exec (job shims, spark-submit, its shells) must not
 * inherit it: their forks would fail too while the file exists. */
__attribute__((constructor)) static void forget_preload(void)
{
	unsetenv("LD_PRELOAD");
}

pid_t fork(void)
{
	static pid_t (*real_fork)(void);
	const char *gate = getenv("TACITUS_FAIL_FORK");

	if (gate && *gate && access(gate, F_OK) == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (!real_fork)
		*(void **)&real_fork = dlsym(RTLD_NEXT, "fork");
	if (!real_fork) {
		errno = ENOSYS;
		return -1;
	}
	return real_fork();
}
