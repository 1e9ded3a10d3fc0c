/* main.c - the tacitus command: serve an instance, check the configuration, write a log. */
#include "argv.h"
#include "config.h"
#include "jobuser.h"
#include "log.h"
#include "logfile.h"
#include "master.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr,
		"usage: tacitus serve --instance NAME --socket PATH --var DIR --sql DIR [--workers N]\n"
		"                     [--no-monitor]   (API only: this host launches no job)\n"
		"                     [--driver-script app/repl.py] [--callback URL] [--callback-cafile PEM]\n"
		"                     (sessions: the REPL driver and its way back to the API, .../driver)\n"
		"                     [--push-socket PATH]   (nginx's internal socket: wake-ups)\n"
		"                     [--job-users PREFIX:N --job-locks DIR]\n"
		"                     (jobs run as the accounts PREFIX1..PREFIXN, locked in DIR)\n"
		"                     [--log FILE [--log-max-bytes N] [--log-keep K]]\n"
		"                     (FILE rotated at N bytes, 64 MiB, keeping K old files, 4)\n"
		"       tacitus check-config\n"
		"       tacitus log-writer FILE [MAX_BYTES [KEEP]]   (stdin to a rotated FILE)\n"
		"(jobs run under tacitus-shim, built beside this binary: make all)\n"
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
		{"push-socket", required_argument, NULL, 'p'},
		{"job-users", required_argument, NULL, 'u'},
		{"job-locks", required_argument, NULL, 'l'},
		{"log", required_argument, NULL, 'L'},
		{"log-max-bytes", required_argument, NULL, 'M'},
		{"log-keep", required_argument, NULL, 'K'},
		{NULL, 0, NULL, 0},
	};
	struct master_opts o = {
		.workers = 4,
		.mon = {.lease_ttl = 6, .kill_grace = 5, .orphan_grace = 120},
	};
	static struct argv_drivers drivers;
	static char self[PATH_MAX];
	static struct jobuser_pool users;
	const char *job_users = NULL, *job_locks = NULL, *log_path = NULL;
	long long log_max = LOGFILE_MAX_BYTES;
	int log_keep = LOGFILE_KEEP;
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
		case 'p': o.push_socket = optarg; break;
		case 'u': job_users = optarg; break;
		case 'l': job_locks = optarg; break;
		case 'L': log_path = optarg; break;
		case 'M': log_max = atoll(optarg); break;
		case 'K': log_keep = atoi(optarg); break;
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
	if (log_path && logfile_start(self, log_path, log_max, log_keep) < 0) {
		fprintf(stderr, "tacitus: cannot log to %s: %s\n", log_path, strerror(errno));
		return 1;
	}
	if (argv_pool_setup(c, &drivers) < 0)
		return 1;
	if (job_users && jobuser_pool_open(&users, job_users, job_locks) < 0)
		return 1;
	if (!job_users && !o.no_monitor)
		log_warn("no --job-users: jobs run as this server's own user (uid %d)", (int)getuid());
	o.mon.users = &users;
	o.drivers = &drivers;
	o.mon.instance = o.instance;
	o.mon.self = self;
	o.mon.drivers = &drivers;
	return master_main(c, &o);
}

int main(int argc, char **argv)
{
	static struct cfg c;

	/* it needs no capability, and its own user may not trace it (keeper.h) */
	if (argc >= 2 && !strcmp(argv[1], "log-writer"))
		return jobuser_drop_caps() < 0 || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? 1
		       : logfile_main(argc - 2, argv + 2);
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
