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

enum store_rc store_migrate(struct store *s, const char *dir)
{
	DIR *d = opendir(dir);
	char *names[MAX_MIGRATIONS];
	int n = 0;
	enum store_rc rc = STORE_ERROR;
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
	if (store_begin(s) < 0)
		goto out;
	/* another starter may migrate for long: wait for it without lock_timeout, which
	 * then applies again to the migrations' statements */
	if (store_run_cmd(s, "migration lock", "SET LOCAL lock_timeout = 0; "
			  "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK "); "
			  "SET LOCAL lock_timeout TO DEFAULT") < 0 ||
	    store_run_cmd(s, "migration table",
			  "CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, "
			  "checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())") < 0)
		goto out;
	for (int i = 0; i < n; i++)
		if (apply_one(s, dir, names[i]) < 0)
			goto out;
	if (store_commit(s) == 0)
		rc = STORE_OK;
out:
	if (rc != STORE_OK)
		store_rollback(s);
	for (int i = 0; i < n; i++)
		free(names[i]);
	return rc;
}
