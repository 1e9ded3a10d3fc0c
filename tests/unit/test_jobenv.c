/* test_jobenv.c - the job's environment: the allow-list, tacitus.job.env-allow, the build. */
#include "config.h"
#include "jobenv.h"
#include "unit.h"

#define allowed(c, name, want) allowed_at(UNIT_HERE, c, name, want)
static void allowed_at(struct unit_at at, const struct cfg *c, const char *name, bool want)
{
	at.label = name;
	CHECK_AT(at, jobenv_allowed(c, name) == want);
}

#define conf_error(text, part) conf_error_at(UNIT_HERE, text, part)
static void conf_error_at(struct unit_at at, const char *text, const char *part)
{
	struct cfg c;
	char err[512] = "";

	at.label = text;
	cfg_defaults(&c);
	CHECK_AT(at, cfg_parse_livy_conf(&c, text, "t", err, sizeof err) == -1);
	if (!CHECK_AT(at, strstr(err, part) != NULL))
		unit_note(at, "error '%s' does not mention '%s'", err, part);
	CHECK_AT(at, c.n_job_env_allow == 0);
	cfg_free(&c);
}

void test_jobenv(void)
{
	struct cfg c;
	char err[512];
	char **env;

	cfg_defaults(&c);
	/* the built-in list: what spark-submit, the JVM and pyspark need */
	allowed(&c, "PATH", true);
	allowed(&c, "HOME", true);
	allowed(&c, "LANG", true);
	allowed(&c, "LC_ALL", true);
	allowed(&c, "LC_CTYPE", true);
	allowed(&c, "TZ", true);
	allowed(&c, "JAVA_HOME", true);
	allowed(&c, "SPARK_HOME", true);
	allowed(&c, "PYSPARK_PYTHON", true);
	allowed(&c, "PYSPARK_DRIVER_PYTHON", true);
	allowed(&c, "HADOOP_CONF_DIR", true);
	allowed(&c, "YARN_CONF_DIR", true);
	allowed(&c, "SPARK_CONF_DIR", true);
	/* names are exact: no case folding, no prefix of a plain name */
	allowed(&c, "path", false);
	allowed(&c, "PATHX", false);
	allowed(&c, "PAT", false);
	allowed(&c, "LC", false);
	allowed(&c, "SPARK_HOMES", false);
	allowed(&c, "", false);
	/* everything else stays out: the database's, ours, secrets */
	allowed(&c, "PGHOST", false);
	allowed(&c, "PGPASSWORD", false);
	allowed(&c, "TACITUS_PASSWORD", false);
	allowed(&c, "TACITUS_JOB", false);
	allowed(&c, "LIVY_CONF_DIR", false);
	allowed(&c, "AWS_SECRET_ACCESS_KEY", false);
	allowed(&c, "LD_PRELOAD", false);
	allowed(&c, "SPARK_LOCAL_IP", false);

	/* tacitus.job.env-allow: names and prefixes beside the built-in list */
	CHECK(cfg_parse_livy_conf(&c, "tacitus.job.env-allow = SPARK_LOCAL_IP, AWS_*  MY_VAR\n",
				  "t", err, sizeof err) == 0);
	CHECK(c.n_job_env_allow == 3);
	CHECK_STR(c.job_env_allow[1], "AWS_*");
	allowed(&c, "SPARK_LOCAL_IP", true);
	allowed(&c, "AWS_SECRET_ACCESS_KEY", true);
	allowed(&c, "AWS_", true);
	allowed(&c, "AWS", false);
	allowed(&c, "MY_VAR", true);
	allowed(&c, "MY_VAR2", false);
	allowed(&c, "PATH", true);
	allowed(&c, "PGHOST", false);
	/* a broad prefix still never lets PG* or TACITUS_* through */
	CHECK(cfg_parse_livy_conf(&c, "tacitus.job.env-allow = P*, T*\n", "t", err,
				  sizeof err) == 0);
	allowed(&c, "PYTHONHASHSEED", true);
	allowed(&c, "TMPDIR", true);
	allowed(&c, "PGUSER", false);
	allowed(&c, "PG", false);
	allowed(&c, "TACITUS_JOB", false);
	allowed(&c, "TACITUS", true);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.job.env-allow =\n", "t", err, sizeof err) == 0);
	CHECK(c.n_job_env_allow == 0);
	allowed(&c, "MY_VAR", false);
	cfg_free(&c);

	/* invalid entries stop the start, naming the key and the entry */
	conf_error("tacitus.job.env-allow = PGPASSWORD\n", "tacitus.job.env-allow: 'PGPASSWORD'");
	conf_error("tacitus.job.env-allow = OK, PG*\n", "'PG*': PG* and TACITUS_* never");
	conf_error("tacitus.job.env-allow = TACITUS_JOB\n", "'TACITUS_JOB'");
	conf_error("tacitus.job.env-allow = TACITUS_*\n", "'TACITUS_*'");
	conf_error("tacitus.job.env-allow = *\n", "'*': an empty name");
	conf_error("tacitus.job.env-allow = 1ABC\n", "'1ABC'");
	conf_error("tacitus.job.env-allow = A*B\n", "'A*B'");
	conf_error("tacitus.job.env-allow = A**\n", "'A**'");
	conf_error("tacitus.job.env-allow = A=B\n", "'A=B'");
	conf_error("tacitus.job.env-allow = A-B\n", "'A-B'");
	CHECK(jobenv_pattern_error("_X") == NULL && jobenv_pattern_error("x1*") == NULL);

	/* the build: allowed entries copied in order, the first of a name, no '=' left out */
	cfg_defaults(&c);
	CHECK(cfg_parse_livy_conf(&c, "tacitus.job.env-allow = EXTRA_*\n", "t", err,
				  sizeof err) == 0);
	{
		char *in[] = {"PGHOST=/tmp/sock", "PATH=/usr/bin:/bin", "TACITUS_PASSWORD=x",
			      "SECRET=s", "EXTRA_ONE=1", "HOME=/root", "NOEQUALS", "PATH=/evil",
			      "TACITUS_JOB=b/1/2", "LC_ALL=C.UTF-8", "=nameless", NULL};
		const char *want[] = {"PATH=/usr/bin:/bin", "EXTRA_ONE=1", "HOME=/root",
				      "LC_ALL=C.UTF-8"};
		size_t n = 0;

		env = jobenv_build(&c, in);
		if (CHECK(env != NULL)) {
			for (; env[n]; n++)
				if (CHECK(n < sizeof want / sizeof want[0]))
					CHECK_STR(env[n], want[n]);
				else
					break;
			CHECK(n == sizeof want / sizeof want[0]);
			CHECK(env[0] != in[1]);         /* copies, not the caller's strings */
		}
		jobenv_free(env);
	}
	env = jobenv_build(&c, (char *[]){NULL});
	CHECK(env != NULL && env[0] == NULL);
	jobenv_free(env);
	jobenv_free(NULL);
	cfg_free(&c);
}
