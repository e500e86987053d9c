/* merge.c - `dtt-sim merge DIR... --db FILE`: every run of one or more sweep directories into
 * one results database.
 *
 * The file is created by dtt_results_open (so its schema is the writer's), filled through
 * ATTACH and INSERT ... SELECT with run ids renumbered and metric ids mapped by name, and its
 * read indexes are built once, after the last run. Columns are copied by name, so a run file
 * of schema version 1 (no overrides, no backend) merges too. Runs come in the order of the
 * sweep's runs.tsv (grid combinations, then seeds), files it does not list after them in name
 * order. The file is written as FILE.tmp and renamed: an existing FILE is replaced only by a
 * complete merge. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <unistd.h>

#include "alloc.h"
#include "results.h"
#include "sweep.h"

#define EXIT_OK	   0
#define EXIT_FAIL  1
#define EXIT_USAGE 2
#define PATH_LEN   4096
#define DIRS_MAX   64
#define SQL_LEN	   8192

static const char usage_merge[] =
    "usage: dtt-sim merge DIR... --db FILE\n"
    "\n"
    "Writes every run of the sweep directories (DIR/runs/*.db, written by `dtt-sim sweep`)\n"
    "into one results database FILE (replaced if it exists): each run keeps its row (scenario,\n"
    "overrides, seed, backend, digest ...) under a new run_id, metrics are mapped by name, and\n"
    "the read indexes are built once at the end. Runs come in the sweep's order (runs.tsv:\n"
    "grid combinations, then seeds). Reports runs that runs.tsv lists but DIR/runs lacks.\n"
    "\n"
    "options:\n"
    "  --db FILE   the merged database (required)\n"
    "  --quiet     print only errors and missing runs\n"
    "  --help      this text\n"
    "\n"
    "exit status: 0 merged and complete, 1 merged but runs are missing, or a file could not\n"
    "be read or written, 2 bad usage\n";

static const char *const tables[] = {"node", "sample", "event", "message", "summary"};

struct input {
	char path[PATH_LEN + 300];
	long order; /* line in runs.tsv, or LONG_MAX when not listed */
	char name[64];
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "dtt-sim: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n\n%s", usage_merge);
	return EXIT_USAGE;
}

static int cmp_input(const void *a, const void *b)
{
	const struct input *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	return strcmp(x->name, y->name);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* The line of key in runs.tsv (1-based among runs), or -1. keys/count: the manifest. */
static long manifest_line(char **keys, size_t count, const char *key)
{
	for (size_t i = 0; i < count; i++)
		if (!strcmp(keys[i], key))
			return (long)i;
	return -1;
}

/* Reads DIR/runs.tsv's keys and seeds; missing file: count 0. */
static int read_manifest(const char *dir, char ***keys, char ***lines, size_t *count)
{
	char path[PATH_LEN + 16], line[PATH_LEN * 4];
	size_t cap = 0;
	FILE *f;

	*keys = *lines = NULL;
	*count = 0;
	snprintf(path, sizeof(path), "%s/runs.tsv", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t'), *nl = strchr(line, '\n');

		if (nl)
			*nl = 0;
		if (!tab || !strncmp(line, "key\t", 4))
			continue;
		if (*count == cap) {
			size_t c = cap ? cap * 2 : 64;
			char **k = dtt_realloc(*keys, c * sizeof(*k));

			if (!k)
				break;
			*keys = k;
			k = dtt_realloc(*lines, c * sizeof(*k));
			if (!k)
				break;
			*lines = k;
			cap = c;
		}
		(*lines)[*count] = dtt_alloc(strlen(line) + 1);
		(*keys)[*count] = dtt_alloc((size_t)(tab - line) + 1);
		if (!(*lines)[*count] || !(*keys)[*count]) {
			dtt_free((*lines)[*count]);
			dtt_free((*keys)[*count]);
			break;
		}
		strcpy((*lines)[*count], tab + 1);
		for (char *t = (*lines)[*count]; (t = strchr(t, '\t'));)
			*t = ' ';
		memcpy((*keys)[*count], line, (size_t)(tab - line));
		(*keys)[*count][tab - line] = 0;
		(*count)++;
	}
	fclose(f);
	return 0;
}

static void free_manifest(char **keys, char **lines, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		dtt_free(keys[i]);
		dtt_free(lines[i]);
	}
	dtt_free(keys);
	dtt_free(lines);
}

static int exec_sql(sqlite3 *db, const char *sql, const char *what)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	fprintf(stderr, "dtt-sim: merge: %s: %s\n", what, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

/* The columns table has in both main and src, comma separated, into out ("" when none). With
 * prefix, each is written prefix.col, and run_id / metric_id become the given expressions. */
static int common_columns(sqlite3 *db, const char *table, const char *prefix, const char *run,
			  const char *metric, char *out, size_t len)
{
	sqlite3_stmt *st;
	size_t l = 0;
	int rc;

	out[0] = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT m.name FROM pragma_table_info(?1, 'main') AS m"
			       " JOIN pragma_table_info(?1, 'src') AS s ON s.name = m.name"
			       " ORDER BY m.cid",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *c = (const char *)sqlite3_column_text(st, 0);
		int n;

		if (!prefix)
			n = snprintf(out + l, len - l, "%s%s", l ? ", " : "", c);
		else if (!strcmp(c, "run_id") && run)
			n = snprintf(out + l, len - l, "%s%s", l ? ", " : "", run);
		else if (!strcmp(c, "metric_id") && metric)
			n = snprintf(out + l, len - l, "%s%s", l ? ", " : "", metric);
		else
			n = snprintf(out + l, len - l, "%s%s.%s", l ? ", " : "", prefix, c);
		if (n < 0 || (size_t)n >= len - l) {
			sqlite3_finalize(st);
			return -1;
		}
		l += (size_t)n;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Copies every run of one file; returns the number of runs copied, or -1. */
static long merge_file(sqlite3 *db, const char *path)
{
	char sql[SQL_LEN * 2], cols[SQL_LEN / 2], sel[SQL_LEN / 2];
	sqlite3_stmt *st = NULL;
	int64_t *ids = NULL, version = -1;
	size_t n = 0;
	long copied = -1;

	sqlite3_stmt *a;

	if (sqlite3_prepare_v2(db, "ATTACH ?1 AS src", -1, &a, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(a, 1, path, -1, SQLITE_STATIC);
	if (sqlite3_step(a) != SQLITE_DONE) {
		fprintf(stderr, "dtt-sim: merge: %s: %s\n", path, sqlite3_errmsg(db));
		sqlite3_finalize(a);
		return -1;
	}
	sqlite3_finalize(a);
	if (exec_sql(db, "BEGIN", path))
		goto out;
	if (sqlite3_prepare_v2(db, "PRAGMA src.user_version", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		version = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	st = NULL;
	if (version < 1 || version > DTT_RESULTS_SCHEMA_VERSION) {
		fprintf(stderr,
			"dtt-sim: merge: %s: not a dtt results database of schema version 1 to %d "
			"(it has %lld)\n",
			path, DTT_RESULTS_SCHEMA_VERSION, (long long)version);
		goto out;
	}
	/* The source's runs, and its metrics into the merged file's names. */
	if (sqlite3_prepare_v2(db, "SELECT run_id FROM src.run ORDER BY run_id", -1, &st, NULL) !=
	    SQLITE_OK)
		goto sqlerr;
	while (sqlite3_step(st) == SQLITE_ROW) {
		int64_t *p = dtt_realloc(ids, (n + 1) * sizeof(*p));

		if (!p)
			goto out;
		ids = p;
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	st = NULL;
	if (exec_sql(db,
		     "INSERT OR IGNORE INTO main.metric(name) SELECT name FROM src.metric"
		     " ORDER BY metric_id;"
		     "DROP TABLE IF EXISTS temp.mmap;"
		     "CREATE TEMP TABLE mmap(src_id INTEGER PRIMARY KEY, dst_id INTEGER);"
		     "INSERT INTO temp.mmap SELECT s.metric_id, m.metric_id FROM src.metric AS s"
		     " JOIN main.metric AS m ON m.name = s.name;",
		     path))
		goto out;
	if (common_columns(db, "run", NULL, NULL, NULL, cols, sizeof(cols)))
		goto sqlerr;
	for (size_t i = 0; i < n; i++) {
		char rid[32];
		int64_t id;

		/* The run row without its run_id: a new one is assigned. */
		{
			char rc_cols[SQL_LEN / 2], *p = rc_cols;

			snprintf(rc_cols, sizeof(rc_cols), "%s", cols);
			if (!strncmp(p, "run_id, ", 8))
				p += 8;
			snprintf(sql, sizeof(sql),
				 "INSERT INTO main.run(%s) SELECT %s FROM src.run WHERE run_id = "
				 "%lld",
				 p, p, (long long)ids[i]);
		}
		if (exec_sql(db, sql, path))
			goto out;
		id = sqlite3_last_insert_rowid(db);
		snprintf(rid, sizeof(rid), "%lld", (long long)id);
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			bool sample = !strcmp(tables[t], "sample");

			if (common_columns(db, tables[t], NULL, NULL, NULL, cols, sizeof(cols)) ||
			    common_columns(db, tables[t], "x", rid, sample ? "mm.dst_id" : NULL,
					   sel, sizeof(sel)))
				goto sqlerr;
			if (sample)
				snprintf(sql, sizeof(sql),
					 "INSERT INTO main.sample(%s) SELECT %s FROM src.sample AS x"
					 " JOIN temp.mmap AS mm ON mm.src_id = x.metric_id"
					 " WHERE x.run_id = %lld ORDER BY x.rowid",
					 cols, sel, (long long)ids[i]);
			else
				snprintf(sql, sizeof(sql),
					 "INSERT INTO main.%s(%s) SELECT %s FROM src.%s AS x"
					 " WHERE x.run_id = %lld%s",
					 tables[t], cols, sel, tables[t], (long long)ids[i],
					 !strcmp(tables[t], "node") || !strcmp(tables[t], "summary")
					     ? ""
					     : " ORDER BY x.rowid");
			if (exec_sql(db, sql, path))
				goto out;
		}
	}
	if (exec_sql(db, "COMMIT", path))
		goto out;
	copied = (long)n;
	goto out;
sqlerr:
	fprintf(stderr, "dtt-sim: merge: %s: %s\n", path, sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	dtt_free(ids);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (sqlite3_exec(db, "DETACH src", NULL, NULL, NULL) != SQLITE_OK && copied >= 0) {
		fprintf(stderr, "dtt-sim: merge: detach %s: %s\n", path, sqlite3_errmsg(db));
		copied = -1;
	}
	return copied;
}

/* Lists the .db files of DIR/runs (not the .part.db of runs in progress) into *in. */
static int list_dir(const char *dir, struct input **in, size_t *count, char **keys,
		    size_t keys_count, size_t base)
{
	char path[PATH_LEN + 16];
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "%s/runs", dir);
	d = opendir(path);
	if (!d) {
		fprintf(stderr, "dtt-sim: merge: %s: %s (not a sweep directory?)\n", path,
			strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		struct input *p;
		size_t klen;
		long line;

		if (!ends_with(e->d_name, ".db") || ends_with(e->d_name, ".part.db"))
			continue;
		klen = strlen(e->d_name) - 3;
		if (klen >= sizeof(p->name))
			continue;
		p = dtt_realloc(*in, (*count + 1) * sizeof(*p));
		if (!p) {
			closedir(d);
			return -1;
		}
		*in = p;
		p = &p[*count];
		memset(p, 0, sizeof(*p));
		snprintf(p->path, sizeof(p->path), "%s/%s", path, e->d_name);
		memcpy(p->name, e->d_name, klen);
		p->name[klen] = 0;
		line = manifest_line(keys, keys_count, p->name);
		p->order = line < 0 ? (long)(1L << 40) + (long)base : (long)base + line;
		(*count)++;
	}
	closedir(d);
	return 0;
}

int dtt_merge_main(int argc, char **argv)
{
	const char *dirs[DIRS_MAX], *out = NULL;
	char tmp[PATH_LEN + 8] = "", err[1024];
	size_t dirs_count = 0, inputs_count = 0, missing = 0;
	struct input *inputs = NULL;
	struct dtt_results *r;
	bool quiet = false;
	long runs = 0;
	sqlite3 *db = NULL;
	int rc = EXIT_FAIL;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			fputs(usage_merge, stdout);
			return EXIT_OK;
		}
		if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) {
			quiet = true;
		} else if (!strcmp(o, "--db")) {
			if (i + 1 >= argc || !argv[i + 1][0])
				return usage_error("--db needs a file name%s", "");
			out = argv[++i];
		} else if (o[0] == '-' && o[1]) {
			return usage_error("unknown option '%s'", o);
		} else {
			if (dirs_count == DIRS_MAX)
				return usage_error("at most 64 directories%s", "");
			dirs[dirs_count++] = o;
		}
	}
	if (!dirs_count)
		return usage_error("missing DIR (a sweep directory)%s", "");
	if (!out)
		return usage_error("missing --db FILE%s", "");

	for (size_t d = 0; d < dirs_count; d++) {
		char **keys, **lines;
		size_t kc, before = inputs_count;

		read_manifest(dirs[d], &keys, &lines, &kc);
		if (list_dir(dirs[d], &inputs, &inputs_count, keys, kc, d * (1UL << 41))) {
			free_manifest(keys, lines, kc);
			goto out;
		}
		for (size_t k = 0; k < kc; k++) {
			bool found = false;

			for (size_t i = before; i < inputs_count && !found; i++)
				found = !strcmp(inputs[i].name, keys[k]);
			if (!found) {
				missing++;
				fprintf(stderr, "dtt-sim: merge: %s: run %s not done (seed %s)\n",
					dirs[d], keys[k], lines[k]);
			}
		}
		free_manifest(keys, lines, kc);
	}
	qsort(inputs, inputs_count, sizeof(*inputs), cmp_input);

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	unlink(tmp);
	for (int k = 0; k < 2; k++) {
		char side[PATH_LEN + 16];

		snprintf(side, sizeof(side), "%s%s", tmp, k ? "-shm" : "-wal");
		unlink(side);
	}
	r = dtt_results_open(tmp, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "dtt-sim: merge: %s\n", err);
		goto out;
	}
	dtt_results_close(r);
	if (sqlite3_open(tmp, &db) != SQLITE_OK) {
		fprintf(stderr, "dtt-sim: merge: %s: %s\n", tmp, sqlite3_errmsg(db));
		goto out;
	}
	if (exec_sql(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -65536;", tmp))
		goto out;
	for (size_t i = 0; i < inputs_count; i++) {
		long n = merge_file(db, inputs[i].path);

		if (n < 0)
			goto out;
		runs += n;
	}
	if (exec_sql(db, dtt_results_index_sql, "build the indexes"))
		goto out;
	if (sqlite3_close(db) != SQLITE_OK) {
		fprintf(stderr, "dtt-sim: merge: %s: %s\n", tmp, sqlite3_errmsg(db));
		goto out;
	}
	db = NULL;
	if (rename(tmp, out)) {
		fprintf(stderr, "dtt-sim: merge: %s: %s\n", out, strerror(errno));
		goto out;
	}
	if (!quiet)
		printf("merge: %ld run%s from %zu file%s into %s; indexes built\n", runs,
		       runs == 1 ? "" : "s", inputs_count, inputs_count == 1 ? "" : "s", out);
	if (missing)
		fprintf(stderr, "dtt-sim: merge: %zu run%s of the sweep not done: run the sweep "
				"again to finish them\n",
			missing, missing == 1 ? "" : "s");
	rc = missing ? EXIT_FAIL : EXIT_OK;
out:
	if (db) {
		sqlite3_close(db);
		unlink(tmp);
	}
	dtt_free(inputs);
	return rc;
}
