/* launcher.c - spark-submit argv, spawning the job shim, process identity, kill. */
#include "launcher.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void add(json_object *a, const char *s)
{
	json_object_array_add(a, json_object_new_string(s));
}

json_object *launch_build_argv(const struct breq *r, const struct cfg *c)
{
	json_object *a = json_object_new_array();

	if (!a)
		return NULL;
	if (r->name)
		add(a, "--name"), add(a, r->name);
	if (r->class_name)
		add(a, "--class"), add(a, r->class_name);
	json_object_object_foreach(r->conf, k, v) {
		char kv[16384];
		if (!strcmp(k, "spark.submit.pyFiles")) {
			add(a, "--py-files"), add(a, json_object_get_string(v));
			continue;
		}
		snprintf(kv, sizeof kv, "%s=%s", k, json_object_get_string(v));
		add(a, "--conf"), add(a, kv);
	}
	if (c->impersonation && r->proxy_user[0])
		add(a, "--proxy-user"), add(a, r->proxy_user);
	if (r->queue)
		add(a, "--queue"), add(a, r->queue);
	add(a, r->file);
	for (size_t i = 0; i < json_object_array_length(r->args); i++)
		add(a, json_object_get_string(json_object_array_get_idx(r->args, i)));
	return a;
}

json_object *launch_driver_argv(const struct breq *r, const struct cfg *c, bool pooled)
{
	struct breq d = *r;
	json_object *args = json_object_new_array(), *a;

	add(args, "--callback"), add(args, c->callback_url);
	add(args, "--cafile"), add(args, c->callback_cafile);
	add(args, "--secret-file"), add(args, LAUNCH_SECRET_FILE);
	d.name = pooled || !r->name ? "livy-session" : r->name;
	d.class_name = NULL;
	d.args = args;
	snprintf(d.file, sizeof d.file, "%s", c->driver_script);
	a = launch_build_argv(&d, c);
	json_object_put(args);
	return a;
}

json_object *launch_pool_argv(const struct cfg *c)
{
	static const char body[] = "{\"kind\": \"pyspark\"}";
	struct breq r;
	char msg[256];
	json_object *a;

	if (breq_parse_session(&r, body, sizeof body - 1, NULL, NULL, c, msg, sizeof msg) != 0) {
		log_error("warm pool: the default session request is refused: %s", msg);
		return NULL;
	}
	a = launch_driver_argv(&r, c, true);
	breq_free(&r);
	return a;
}

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

long long launch_start_ticks(pid_t pid, bool *zombie)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	FILE *f;
	size_t n;

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
	if (zombie)
		*zombie = p[2] == 'Z' || p[2] == 'X';
	/* after ") " come field 3 (state) ... field 22 (starttime) */
	p += 2;
	for (int field = 3; field < 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -1;
		p++;
	}
	if (sscanf(p, "%llu", &ticks) != 1)
		return -1;
	return (long long)ticks;
}

bool launch_alive(pid_t pid, long long start_ticks)
{
	bool zombie = false;
	long long t = launch_start_ticks(pid, &zombie);

	return t >= 0 && t == start_ticks && !zombie;
}

int launch_kill_group(pid_t pgid, long long start_ticks, int sig)
{
	long long t = launch_start_ticks(pgid, NULL);

	/* The leader may be gone while the group lives on (an orphaned driver); a
	 * pid that is still some group's id is not reused, so -pgid stays ours. */
	if (t >= 0 && t != start_ticks) {
		errno = ESRCH;
		return -1;
	}
	return kill(-pgid, sig);
}

int launch_exec(char *const argv[], const char *out_path, const char *err_path,
		const char *dir, bool new_session, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	int rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_APPEND, 0640);
	if (err_path)
		posix_spawn_file_actions_addopen(&fa, 2, err_path, O_WRONLY | O_CREAT | O_APPEND,
						 0640);
	else
		posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);  /* sockets, the database, pipes */
	if (dir)
		posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&at, &none);     /* a blocked SIGTERM would make it unkillable */
	posix_spawnattr_setsigdefault(&at, &all);   /* an ignored signal would survive exec */
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
				      (new_session ? POSIX_SPAWN_SETSID : 0));
	rc = posix_spawn(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc;
}

int launch_spawn(const char *self, const char *dir, const char *spark_submit,
		 json_object *args, const char *what, struct launch_proc *p)
{
	size_t n = json_object_array_length(args);
	const char **argv = calloc(n + 5, sizeof *argv);
	char log_path[4200];
	int rc;

	if (!argv) {
		log_error("%s: out of memory building argv", what);
		return -1;
	}
	argv[0] = self;
	argv[1] = "job-shim";
	argv[2] = dir;
	argv[3] = spark_submit;
	for (size_t i = 0; i < n; i++)
		argv[4 + i] = json_object_get_string(json_object_array_get_idx(args, i));
	snprintf(log_path, sizeof log_path, "%s/shim.log", dir);
	rc = launch_exec((char *const *)argv, log_path, NULL, NULL, true, &p->pid);
	free(argv);
	if (rc != 0) {
		log_error("%s: cannot start the job shim %s: %s", what, self, strerror(rc));
		return -1;
	}
	p->start_ticks = launch_start_ticks(p->pid, NULL);
	if (launch_boot_id(p->boot_id, sizeof p->boot_id) < 0)
		p->boot_id[0] = '\0';
	return 0;
}
