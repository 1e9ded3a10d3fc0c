/* main.c - the tacitus command: serve an instance, or run as a job shim. */
#include "argv.h"
#include "config.h"
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

static int serve(int argc, char **argv, const struct cfg *c)
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
	static struct argv_drivers drivers;
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
		case 'd': snprintf(drivers.script, sizeof drivers.script, "%s", optarg); break;
		case 'c': snprintf(drivers.callback_url, sizeof drivers.callback_url, "%s", optarg); break;
		case 'a': snprintf(drivers.callback_cafile, sizeof drivers.callback_cafile, "%s", optarg);
			  break;
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
	if (argv_pool_setup(c, &drivers) < 0)
		return 1;
	o.drivers = &drivers;
	o.mon.instance = o.instance;
	o.mon.self = self;
	o.mon.drivers = &drivers;
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
