/* jobenv.c - the allow-list of a job's environment. */
#include "jobenv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* What spark-submit, the JVM, pyspark and the session driver need to start and to
 * find a cluster's configuration; a trailing '*' is a prefix. */
static const char *builtin_allow[] = {
	"PATH", "HOME", "LANG", "LC_*", "TZ", "JAVA_HOME", "SPARK_HOME", "PYSPARK_*",
	"HADOOP_CONF_DIR", "YARN_CONF_DIR", "SPARK_CONF_DIR",
};

/* Never passed, whatever an allow-list says: the database's connection (PGHOST,
 * PGUSER, PGPASSFILE ...) and the server's own settings. */
static const char *never_prefix[] = {"PG", "TACITUS_"};

#define N_BUILTIN (sizeof builtin_allow / sizeof builtin_allow[0])
#define N_NEVER (sizeof never_prefix / sizeof never_prefix[0])

/* The first n bytes of name start with a prefix that never passes. */
static bool never(const char *name, size_t n)
{
	for (size_t i = 0; i < N_NEVER; i++) {
		size_t len = strlen(never_prefix[i]);

		if (n >= len && !strncmp(name, never_prefix[i], len))
			return true;
	}
	return false;
}

/* name (n bytes) matches pattern: equal, or pattern "P*" and name starts with P. */
static bool match(const char *pattern, const char *name, size_t n)
{
	size_t len = strlen(pattern);

	if (len && pattern[len - 1] == '*')
		return n >= len - 1 && !strncmp(name, pattern, len - 1);
	return n == len && !strncmp(name, pattern, n);
}

/* jobenv_allowed on the first n bytes of name. */
static bool allowed(const struct cfg *c, const char *name, size_t n)
{
	if (!n || never(name, n))
		return false;
	for (size_t i = 0; i < N_BUILTIN; i++)
		if (match(builtin_allow[i], name, n))
			return true;
	for (int i = 0; i < c->n_job_env_allow; i++)
		if (match(c->job_env_allow[i], name, n))
			return true;
	return false;
}

const char *jobenv_pattern_error(const char *pattern)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		n--;
	if (!n)
		return "an empty name or prefix would let every variable through";
	if (!isalpha((unsigned char)pattern[0]) && pattern[0] != '_')
		return "a variable name starts with a letter or '_'";
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)pattern[i]) && pattern[i] != '_')
			return "a variable name holds letters, digits and '_' only, "
			       "with at most one '*' at the end";
	if (never(pattern, n))
		return "PG* and TACITUS_* never reach a job";
	return NULL;
}

bool jobenv_allowed(const struct cfg *c, const char *name)
{
	return allowed(c, name, strlen(name));
}

void jobenv_free(char **env)
{
	if (!env)
		return;
	for (char **e = env; *e; e++)
		free(*e);
	free(env);
}

/* True when one of the first n entries of out has the name of entry (up to '='). */
static bool seen(char **out, size_t n, const char *entry, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (!strncmp(out[i], entry, len + 1))
			return true;
	return false;
}

char **jobenv_build(const struct cfg *c, char *const env[])
{
	size_t total = 0, n = 0;
	char **out;

	while (env && env[total])
		total++;
	out = calloc(total + 1, sizeof *out);
	if (!out)
		return NULL;
	for (size_t i = 0; i < total; i++) {
		const char *eq = strchr(env[i], '=');
		size_t len = eq ? (size_t)(eq - env[i]) : 0;

		if (!eq || !allowed(c, env[i], len) || seen(out, n, env[i], len))
			continue;
		if (!(out[n] = strdup(env[i]))) {
			jobenv_free(out);
			return NULL;
		}
		n++;
	}
	return out;
}
