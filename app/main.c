/* main.c - the tacitus command: serve an instance, or run as a job shim. */
#include "config.h"
#include "launcher.h"
#include "log.h"
#include "master.h"
#include "shim.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: tacitus serve --instance NAME --socket PATH --var DIR --sql DIR [--workers N]\n"
		"                     [--no-monitor]   (API only: this host launches no job)\n"
		"                     [--driver-script app/repl.py] [--callback URL] [--callback-cafile PEM]\n"
		"                     (sessions: the REPL driver and its way back to the API, .../driver)\n"
		"       tacitus check-config\n"
		"       tacitus job-shim DIR PROGRAM [ARGS...]\n"
		"Database: libpq's PGHOST, PGPORT, PGDATABASE, PGUSER.  livy.conf: $LIVY_CONF_DIR.\n");
}

/* The warm pool's driver arguments, made once from the configuration. */
static int cfg_pool_setup(struct cfg *c)
{
	json_object *a;
	const char *text;

	if (strncmp(c->spark_master, "local", 5) || !c->driver_script[0])
		return 0;
	if (!(a = launch_pool_argv(c)))
		return -1;
	text = json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) >= sizeof c->pool_argv) {
		log_error("warm pool: its spark-submit arguments are longer than %zu bytes",
			  sizeof c->pool_argv - 1);
		json_object_put(a);
		return -1;
	}
	snprintf(c->pool_argv, sizeof c->pool_argv, "%s", text);
	json_object_put(a);
	return 0;
}

static int serve(int argc, char **argv, struct cfg *c)
{
	static const struct option opts[] = {
		{"instance", required_argument, NULL, 'i'}, {"socket", required_argument, NULL, 's'},
		{"var", required_argument, NULL, 'v'}, {"sql", required_argument, NULL, 'q'},
		{"workers", required_argument, NULL, 'w'}, {"no-monitor", no_argument, NULL, 'n'},
		{"driver-script", required_argument, NULL, 'd'},
		{"callback", required_argument, NULL, 'c'},
		{"callback-cafile", required_argument, NULL, 'a'},
		{NULL, 0, NULL, 0},
	};
	struct master_opts o = {
		.workers = 4,
		.mon = {.lease_ttl = 6, .kill_grace = 5, .orphan_grace = 120},
	};
	static char self[PATH_MAX];
	ssize_t n;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'i': o.instance = optarg; break;
		case 's': o.socket_path = optarg; break;
		case 'v': o.mon.var_dir = optarg; break;
		case 'q': o.sql_dir = optarg; break;
		case 'w': o.workers = atoi(optarg); break;
		case 'n': o.no_monitor = true; break;
		case 'd': snprintf(c->driver_script, sizeof c->driver_script, "%s", optarg); break;
		case 'c': snprintf(c->callback_url, sizeof c->callback_url, "%s", optarg); break;
		case 'a': snprintf(c->callback_cafile, sizeof c->callback_cafile, "%s", optarg); break;
		default: usage(); return 2;
		}
	}
	if (!o.instance || !o.socket_path || !o.mon.var_dir || !o.sql_dir || o.workers < 1) {
		usage();
		return 2;
	}
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n < 0) {
		perror("readlink /proc/self/exe");
		return 1;
	}
	self[n] = '\0';
	if (cfg_pool_setup(c) < 0)
		return 1;
	o.mon.instance = o.instance;
	o.mon.self = self;
	return master_main(c, &o);
}

int main(int argc, char **argv)
{
	static struct cfg c;

	if (argc >= 2 && !strcmp(argv[1], "job-shim"))
		return shim_main(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "check-config"))
		return cfg_load(&c) < 0;
	if (argc >= 2 && !strcmp(argv[1], "serve")) {
		if (cfg_load(&c) < 0)
			return 1;
		return serve(argc - 1, argv + 1, &c);
	}
	usage();
	return 2;
}
