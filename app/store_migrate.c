/* store_migrate.c - the schema: sql/NNN_*.sql applied once each, in order, checked by checksum. */
#include "store_int.h"
#include "log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIGRATION_LOCK "7420001"    /* advisory lock key (admission uses 7420002) */
#define MAX_MIGRATIONS 256
#define MIGRATION_TRIES 12          /* attempts that each waited lock_timeout for a table */
#define LOCK_TIMED_OUT "55P03"      /* SQLSTATE lock_not_available */
#define PATH_MAX_LEN 4200

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[len] = '\0';
	fclose(f);
	return buf;
}

static int apply_one(struct store *s, const char *dir, const char *file)
{
	char path[PATH_MAX_LEN];
	const char *p[2];
	PGresult *r;
	char *text;
	int rc = -1;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	text = slurp(path);
	if (!text) {
		log_error("migration %s: %s", path, strerror(errno));
		return -1;
	}
	p[0] = file;
	p[1] = text;
	r = store_run(s, "migration check",
		"SELECT checksum = md5($2) FROM schema_migrations WHERE version = $1", 2, p);
	if (!r)
		goto out;
	if (PQntuples(r) == 1) {
		if (strcmp(PQgetvalue(r, 0, 0), "t"))
			log_error("migration %s: the file changed after it was applied", path);
		else
			rc = 0;
		PQclear(r);
		goto out;
	}
	PQclear(r);
	r = PQexec(s->conn, text);      /* trusted file, several statements */
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		snprintf(s->err_state, sizeof s->err_state, "%s", state ? state : "");
		log_error("migration %s failed: %s", path, PQerrorMessage(s->conn));
		PQclear(r);
		goto out;
	}
	PQclear(r);
	r = store_run(s, "migration record",
		"INSERT INTO schema_migrations (version, checksum) VALUES ($1, md5($2))", 2, p);
	if (r) {
		log_info("migration %s applied", file);
		PQclear(r);
		rc = 0;
	}
out:
	free(text);
	return rc;
}

/* One attempt: every file of names[n] in one transaction, under the migration lock.
 * 0, or -1 (logged; rolled back). */
static int apply_all(struct store *s, const char *dir, char *const *names, int n)
{
	if (store_begin(s) < 0)
		return -1;
	/* another starter may migrate for long: wait for it without lock_timeout, which
	 * then applies again to the migrations' statements */
	if (store_run_cmd(s, "migration lock", "SET LOCAL lock_timeout = 0; "
			  "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK "); "
			  "SET LOCAL lock_timeout TO DEFAULT") < 0 ||
	    store_run_cmd(s, "migration table",
			  "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
			  "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())") < 0)
		goto fail;
	for (int i = 0; i < n; i++)
		if (apply_one(s, dir, names[i]) < 0)
			goto fail;
	if (store_commit(s) == 0)
		return 0;
fail:
	store_rollback(s);
	return -1;
}

enum store_rc store_migrate(struct store *s, const char *dir)
{
	DIR *d = opendir(dir);
	char *names[MAX_MIGRATIONS];
	int n = 0, rc = -1;
	struct dirent *e;

	if (!d) {
		log_error("migrations: cannot open %s: %s", dir, strerror(errno));
		return STORE_ERROR;
	}
	while ((e = readdir(d)) && n < MAX_MIGRATIONS) {
		size_t len = strlen(e->d_name);
		if (len > 4 && !strcmp(e->d_name + len - 4, ".sql") && isdigit((unsigned char)e->d_name[0]))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, (size_t)n, sizeof names[0], cmp_names);
	for (int tries = 1; tries <= MIGRATION_TRIES; tries++) {
		s->err_state[0] = '\0';
		rc = apply_all(s, dir, names, n);
		if (rc == 0 || strcmp(s->err_state, LOCK_TIMED_OUT))
			break;
		log_info("migrations: a table they change stayed locked (a long reader?); "
			 "attempt %d of %d", tries, MIGRATION_TRIES);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	return rc == 0 ? STORE_OK : STORE_ERROR;
}
