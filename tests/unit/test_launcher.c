/* test_launcher.c - which process group is a job's: the proof launch_kill_group needs
 * before it signals a group whose leader is gone (launcher.h). */
#include "launcher.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define FAKE_TICKS 4242LL       /* the start time a fake job's shim had */
#define SLEEP_ARG "30"          /* seconds a group member lives unless killed */
#define POLL_US 10000           /* the waits below poll every 10 ms ... */
#define READY_POLLS 1000        /* ... up to 10 s for a start or a death (a loaded host) */
#define ALIVE_POLLS 20          /* ... 200 ms to see that a process was not killed */

/* A process group led by a child of ours (pgid = its pid) with one more member, a
 * `sleep` started with the single environment entry env_entry (NULL: "X=1"); when
 * env_entry is "", the member gets the marker of a job whose shim was the leader,
 * started at FAKE_TICKS on boot_id.  The leader then exits and is reaped (the group
 * lives on without it) when leader_exits, or else sleeps too. */
struct group {
	pid_t leader, member;
};

static struct group make_group(const char *env_entry, const char *boot_id, bool leader_exits)
{
	struct group g = {0, 0};
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return g;
	pid = fork();
	if (pid == 0) {
		char marker[LAUNCH_MARKER_MAX];
		char *const argv[] = {"sleep", SLEEP_ARG, NULL};
		char *env[] = {"X=1", NULL};
		pid_t member;

		setpgid(0, 0);
		launch_marker(marker, sizeof marker, boot_id, getpid(), FAKE_TICKS);
		if (env_entry)
			env[0] = *env_entry ? (char *)env_entry : marker;
		member = fork();
		if (member == 0) {
			execve("/bin/sleep", argv, env);
			_exit(127);
		}
		if (write(fds[1], &member, sizeof member) != sizeof member)
			_exit(1);
		if (leader_exits)
			_exit(0);
		execve("/bin/sleep", argv, (char *[]){"X=1", NULL});
		_exit(127);
	}
	close(fds[1]);
	if (pid > 0 && read(fds[0], &g.member, sizeof g.member) == sizeof g.member)
		g.leader = pid;
	close(fds[0]);
	if (leader_exits && g.leader)
		waitpid(g.leader, NULL, 0);
	/* the member has exec'd once its /proc/<pid>/exe is sleep and its new environment
	 * is in place (exec switches exe before it sets up the environment) */
	for (int i = 0; i < READY_POLLS && g.member; i++) {
		char path[64], exe[64], env[64];
		ssize_t n;
		size_t got = 0;
		FILE *f;

		snprintf(path, sizeof path, "/proc/%d/exe", (int)g.member);
		n = readlink(path, exe, sizeof exe - 1);
		snprintf(path, sizeof path, "/proc/%d/environ", (int)g.member);
		if ((f = fopen(path, "r"))) {
			got = fread(env, 1, sizeof env, f);
			fclose(f);
		}
		if (n > 0 && (exe[n] = '\0', strstr(exe, "sleep")) && got > 0)
			break;
		usleep(POLL_US);
	}
	return g;
}

/* Whether pid (our child: this process is a subreaper) was killed by SIGKILL within
 * `polls` waits; reaps it. */
static bool was_killed(pid_t pid, int polls)
{
	int st;

	for (int i = 0; i < polls; i++) {
		pid_t got = waitpid(pid, &st, WNOHANG);

		if (got == pid)
			return WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL;
		usleep(POLL_US);
	}
	return false;
}

static void end(pid_t pid)
{
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
}

void test_launcher(void)
{
	char boot[64], marker[LAUNCH_MARKER_MAX], other[LAUNCH_MARKER_MAX];
	struct group g;
	long long t;

	CHECK(launch_boot_id(boot, sizeof boot) == 0);
	launch_marker(marker, sizeof marker, "b00t", 123, 456);
	CHECK_STR(marker, "TACITUS_JOB=b00t/123/456");
	/* orphans of the groups below come back to us, to be reaped and checked */
	CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);

	/* the job's group, its shim gone: proved by the marker, killed */
	g = make_group("", boot, true);
	CHECK(g.leader > 0 && g.member > 0);
	CHECK(launch_start_ticks(g.leader, NULL) < 0);
	launch_marker(marker, sizeof marker, boot, g.leader, FAKE_TICKS);
	CHECK(launch_group_has(g.leader, marker));
	CHECK(launch_kill_group(g.leader, FAKE_TICKS, boot, SIGKILL) == 0);
	CHECK(was_killed(g.member, READY_POLLS));

	/* a stranger's group with the job's old number, its leader gone too, and no
	 * marker: not the job's, left alone */
	g = make_group(NULL, boot, true);
	CHECK(g.leader > 0 && g.member > 0);
	launch_marker(marker, sizeof marker, boot, g.leader, FAKE_TICKS);
	CHECK(!launch_group_has(g.leader, marker));
	errno = 0;
	CHECK(launch_kill_group(g.leader, FAKE_TICKS, boot, SIGKILL) == -1 && errno == ESRCH);
	CHECK(!was_killed(g.member, ALIVE_POLLS) && kill(g.member, 0) == 0);
	end(g.member);

	/* the marker of another launch (another start time, another boot) is no proof */
	launch_marker(other, sizeof other, boot, 0, FAKE_TICKS + 1);
	g = make_group(other, boot, true);
	CHECK(g.leader > 0 && g.member > 0);
	CHECK(launch_kill_group(g.leader, FAKE_TICKS, boot, SIGKILL) == -1);
	CHECK(launch_kill_group(g.leader, FAKE_TICKS, "another-boot", SIGKILL) == -1);
	CHECK(kill(g.member, 0) == 0);
	end(g.member);

	/* a group led by a live process whose start time is not the job's shim's: a
	 * stranger that got the number; the right start time proves the leader */
	g = make_group(NULL, boot, false);
	CHECK(g.leader > 0 && g.member > 0);
	t = launch_start_ticks(g.leader, NULL);
	CHECK(t >= 0);
	CHECK(launch_kill_group(g.leader, t + 1, boot, SIGKILL) == -1 && errno == ESRCH);
	CHECK(kill(g.leader, 0) == 0 && kill(g.member, 0) == 0);
	CHECK(launch_kill_group(g.leader, t, boot, SIGKILL) == 0);
	CHECK(was_killed(g.leader, READY_POLLS) && was_killed(g.member, READY_POLLS));
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}
