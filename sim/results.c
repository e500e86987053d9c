/* results.c - the simulator's SQLite results writer (spec/SIMULATION.md §4; the schema is
 * documented in sim/README-results.md).
 *
 * Owns one SQLite connection, its prepared statements and an in-memory cache of metric ids.
 * Borrows every string it is given, for the duration of the call. No timers, no clock: the only
 * wall-clock value it stores is run.created_at, filled in by SQLite itself. Rows go through
 * reused prepared statements inside BEGIN IMMEDIATE ... COMMIT batches of DTT_RESULTS_BATCH rows;
 * the read indexes are built when a run ends, because maintaining them during the load halves
 * the insert rate (§4.2).
 */
#include "results.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>

#include "alloc.h"
#include "err.h"

#define RESULTS_METRICS_MAX	65536 /* distinct metric names per file */
#define RESULTS_METRIC_NAME_MAX 256   /* bytes, without the NUL */
#define RESULTS_ERRMSG_MAX	512
#define RESULTS_BUSY_TIMEOUT_MS 60000 /* another writer (a second seed) may hold the lock */

static const char schema_sql[] =
    "CREATE TABLE run("
    " run_id INTEGER PRIMARY KEY,"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " scenario_name TEXT,"
    " scenario_path TEXT,"
    " scenario_text TEXT,"
    " seed INTEGER NOT NULL,"
    " version TEXT,"
    " strategy TEXT,"
    " start_unix INTEGER,"
    " duration_ms INTEGER,"
    " nodes INTEGER,"
    " status TEXT NOT NULL DEFAULT 'running',"
    " wall_s REAL,"
    " events INTEGER,"
    " sim_end_ms INTEGER,"
    " digest TEXT,"
    " events_per_s REAL,"
    " peak_rss_bytes INTEGER,"
    " bytes_per_node REAL,"
    " overrides TEXT,"
    " backend TEXT,"
    " crypto TEXT);"
    "CREATE TABLE metric("
    " metric_id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE node("
    " run_id INTEGER NOT NULL,"
    " node_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " join_ms INTEGER,"
    " leave_ms INTEGER,"
    " PRIMARY KEY(run_id, node_id)) WITHOUT ROWID;"
    "CREATE TABLE sample("
    " run_id INTEGER NOT NULL,"
    " t_ms INTEGER NOT NULL,"
    " node_id INTEGER NOT NULL,"
    " metric_id INTEGER NOT NULL,"
    " value REAL);"
    "CREATE TABLE event("
    " run_id INTEGER NOT NULL,"
    " t_ms INTEGER NOT NULL,"
    " node_id INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " peer_id INTEGER,"
    " arg INTEGER,"
    " detail TEXT);"
    "CREATE TABLE message("
    " run_id INTEGER NOT NULL,"
    " t_ms INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " node_id INTEGER NOT NULL,"
    " outcome TEXT,"
    " latency_ms REAL,"
    " delivered INTEGER,"
    " missed INTEGER,"
    " datagrams INTEGER,"
    " rmr REAL,"
    " ldh REAL,"
    " p50_ms REAL,"
    " p99_ms REAL);"
    "CREATE TABLE summary("
    " run_id INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " value REAL,"
    " PRIMARY KEY(run_id, name)) WITHOUT ROWID;"
    "CREATE VIEW sample_named AS"
    " SELECT s.run_id AS run_id, s.t_ms AS t_ms, s.node_id AS node_id, m.name AS metric,"
    " s.value AS value"
    " FROM sample AS s JOIN metric AS m ON m.metric_id = s.metric_id;"
    "CREATE VIEW message_outcome AS"
    " SELECT run_id, kind, outcome, count(*) AS n, avg(latency_ms) AS latency_mean_ms,"
    " min(latency_ms) AS latency_min_ms, max(latency_ms) AS latency_max_ms,"
    " sum(datagrams) AS datagrams"
    " FROM message GROUP BY run_id, kind, outcome;"
    "CREATE VIEW event_count AS"
    " SELECT run_id, kind, count(*) AS n, min(t_ms) AS first_ms, max(t_ms) AS last_ms"
    " FROM event GROUP BY run_id, kind;"
    "CREATE VIEW run_latest AS"
    " SELECT * FROM run ORDER BY run_id DESC LIMIT 1;";

/* While rows are loaded: temporary structures in memory and an 8 MiB page cache. The tables
 * have no indexes until the run ends, so a load appends pages and a bigger cache does not make
 * it faster; it would only hold more of the file in memory (64 MiB was 5 KB per node of the
 * flagship). */
static const char load_pragmas[] = "PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8192;";

/* Version 1 to 2: the run row gains the overrides and the backend. */
static const char upgrade_v1_sql[] = "ALTER TABLE run ADD COLUMN overrides TEXT;"
				     "ALTER TABLE run ADD COLUMN backend TEXT;";
/* Version 2 to 3: the run row gains the crypto mode. */
static const char upgrade_v2_sql[] = "ALTER TABLE run ADD COLUMN crypto TEXT;";

const char dtt_results_index_sql[] =
    "CREATE INDEX IF NOT EXISTS sample_run_metric_t ON sample(run_id, metric_id, t_ms);"
    "CREATE INDEX IF NOT EXISTS message_run_kind_t ON message(run_id, kind, t_ms);"
    "CREATE INDEX IF NOT EXISTS event_run_kind_t ON event(run_id, kind, t_ms);";

enum stmt_id {
	ST_RUN_INSERT,
	ST_RUN_END,
	ST_NODE,
	ST_SAMPLE,
	ST_EVENT,
	ST_MESSAGE,
	ST_SUMMARY,
	ST_METRIC_INSERT,
	ST_METRIC_SELECT,
	ST__COUNT,
};

static const char *const stmt_sql[] = {
    [ST_RUN_INSERT] = "INSERT INTO run(scenario_name, scenario_path, scenario_text, seed,"
		      " version, strategy, start_unix, duration_ms, nodes, overrides, backend, crypto)"
		      " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [ST_RUN_END] = "UPDATE run SET status = ?2, wall_s = ?3, events = ?4, sim_end_ms = ?5,"
		   " digest = ?6, events_per_s = ?7, peak_rss_bytes = ?8, bytes_per_node = ?9"
		   " WHERE run_id = ?1",
    /* A node reported twice (a rejoin) keeps its last join/leave times. */
    [ST_NODE] = "INSERT INTO node(run_id, node_id, kind, join_ms, leave_ms)"
		" VALUES(?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT(run_id, node_id) DO UPDATE SET kind = excluded.kind,"
		" join_ms = excluded.join_ms, leave_ms = excluded.leave_ms",
    [ST_SAMPLE] = "INSERT INTO sample(run_id, t_ms, node_id, metric_id, value)"
		  " VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_EVENT] = "INSERT INTO event(run_id, t_ms, node_id, kind, peer_id, arg, detail)"
		 " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [ST_MESSAGE] = "INSERT INTO message(run_id, t_ms, kind, node_id, outcome, latency_ms,"
		   " delivered, missed, datagrams, rmr, ldh, p50_ms, p99_ms)"
		   " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* The last value written for a name wins. */
    [ST_SUMMARY] = "INSERT INTO summary(run_id, name, value) VALUES(?1, ?2, ?3)"
		   " ON CONFLICT(run_id, name) DO UPDATE SET value = excluded.value",
    [ST_METRIC_INSERT] = "INSERT OR IGNORE INTO metric(name) VALUES(?1)",
    [ST_METRIC_SELECT] = "SELECT metric_id FROM metric WHERE name = ?1",
};
_Static_assert(sizeof(stmt_sql) / sizeof(stmt_sql[0]) == ST__COUNT,
	       "one name per value");

struct metric_slot {
	char *name; /* owned; NULL: free slot */
	int64_t id;
	uint32_t hash;
};

struct dtt_results {
	sqlite3 *db;
	sqlite3_stmt *stmt[ST__COUNT];
	int64_t run_id;	  /* the active run; 0 when none */
	uint32_t pending; /* rows written since the open transaction began */
	/* metric name -> metric_id, open addressing, capacity a power of two, load <= 1/2 */
	struct metric_slot *metrics;
	size_t metrics_cap;
	size_t metrics_count;
	size_t metric_last; /* slot used last (samples come in runs of one name); cap: none */
	char errmsg[RESULTS_ERRMSG_MAX];
};

static void set_msg(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_msg(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!buf || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void metrics_forget(struct dtt_results *r);

/* A SQLite call failed while doing `what`: keep its message, return DTT_ERR_IO. A failed
 * statement may have rolled the open transaction back, taking freshly interned metric rows with
 * it, so the metric cache is dropped and refilled from the table on demand. */
static int io_error(struct dtt_results *r, const char *what)
{
	set_msg(r->errmsg, sizeof(r->errmsg), "%s: %s (sqlite error %d)", what,
		sqlite3_errmsg(r->db), sqlite3_extended_errcode(r->db));
	metrics_forget(r);
	if (sqlite3_get_autocommit(r->db))
		r->pending = 0;
	return DTT_ERR_IO;
}

static int refuse(struct dtt_results *r, int err, const char *what)
{
	set_msg(r->errmsg, sizeof(r->errmsg), "%s", what);
	return err;
}

static int exec(struct dtt_results *r, const char *sql, const char *what)
{
	if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return io_error(r, what);
	return 0;
}

/* Steps a statement that returns no row, then resets it for reuse. */
static int step_done(struct dtt_results *r, enum stmt_id id, const char *what)
{
	sqlite3_stmt *st = r->stmt[id];
	int rc = sqlite3_step(st);
	int err = 0;

	if (rc != SQLITE_DONE)
		err = io_error(r, what);
	sqlite3_reset(st);
	return err;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* NaN means "unused": stored as NULL. */
static int bind_real(sqlite3_stmt *st, int i, double v)
{
	if (isnan(v))
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_double(st, i, v);
}

/* -1 means "unused" / "never": stored as NULL. */
static int bind_opt_int(sqlite3_stmt *st, int i, int64_t v)
{
	if (v == -1)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_int64(st, i, v);
}

/* Unsigned counters are stored as SQLite's signed 64-bit INTEGER (two's complement above
 * INT64_MAX; only a seed can realistically get there). */
static int bind_u64(sqlite3_stmt *st, int i, uint64_t v)
{
	return sqlite3_bind_int64(st, i, (int64_t)v);
}

static int bind_error(struct dtt_results *r, const char *what)
{
	return io_error(r, what);
}

/* --- transactions --------------------------------------------------------------------- */

static int txn_begin(struct dtt_results *r)
{
	if (!sqlite3_get_autocommit(r->db))
		return 0;
	r->pending = 0;
	return exec(r, "BEGIN IMMEDIATE", "begin transaction");
}

static int txn_commit(struct dtt_results *r)
{
	r->pending = 0;
	if (sqlite3_get_autocommit(r->db))
		return 0;
	return exec(r, "COMMIT", "commit");
}

/* Before a row of the active run: a run must be active and a transaction open. */
static int row_begin(struct dtt_results *r)
{
	if (r->run_id == 0)
		return refuse(r, DTT_ERR_STATE, "no active run (call dtt_results_run_begin first)");
	return txn_begin(r);
}

/* After a row: commit every DTT_RESULTS_BATCH rows. */
static int row_done(struct dtt_results *r)
{
	if (++r->pending >= DTT_RESULTS_BATCH)
		return txn_commit(r);
	return 0;
}

/* --- metric ids ----------------------------------------------------------------------- */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 16777619u;
	}
	return h;
}

static void metrics_forget(struct dtt_results *r)
{
	for (size_t i = 0; i < r->metrics_cap; i++) {
		dtt_free(r->metrics[i].name);
		r->metrics[i].name = NULL;
	}
	r->metrics_count = 0;
	r->metric_last = r->metrics_cap;
}

static size_t metrics_find_slot(const struct metric_slot *t, size_t cap, const char *name,
				uint32_t hash)
{
	size_t mask = cap - 1;
	size_t i = hash & mask;

	while (t[i].name && (t[i].hash != hash || strcmp(t[i].name, name) != 0))
		i = (i + 1) & mask;
	return i;
}

static int metrics_grow(struct dtt_results *r)
{
	size_t cap = r->metrics_cap ? r->metrics_cap * 2 : 64;
	struct metric_slot *t = dtt_alloc(cap * sizeof(*t));

	if (!t)
		return refuse(r, DTT_ERR_NOMEM, "out of memory for the metric cache");
	for (size_t i = 0; i < r->metrics_cap; i++) {
		const struct metric_slot *s = &r->metrics[i];

		if (s->name)
			t[metrics_find_slot(t, cap, s->name, s->hash)] = *s;
	}
	dtt_free(r->metrics);
	r->metrics = t;
	r->metrics_cap = cap;
	r->metric_last = cap;
	return 0;
}

/* The metric_id of name, interning it into `metric` on first use. Runs inside the row's
 * transaction, so a new name commits (or rolls back) with the samples that use it. */
static int metric_id(struct dtt_results *r, const char *name, int64_t *id)
{
	size_t len, i;
	uint32_t hash;
	sqlite3_stmt *st;
	int rc, err;
	char *copy;

	if (r->metric_last < r->metrics_cap && strcmp(r->metrics[r->metric_last].name, name) == 0) {
		*id = r->metrics[r->metric_last].id;
		return 0;
	}
	len = strnlen(name, RESULTS_METRIC_NAME_MAX + 1);
	if (len == 0 || len > RESULTS_METRIC_NAME_MAX)
		return refuse(r, DTT_ERR_INVALID, "metric name empty or longer than 256 bytes");
	hash = name_hash(name);
	if (r->metrics_cap) {
		i = metrics_find_slot(r->metrics, r->metrics_cap, name, hash);
		if (r->metrics[i].name) {
			r->metric_last = i;
			*id = r->metrics[i].id;
			return 0;
		}
	}
	if (r->metrics_count >= RESULTS_METRICS_MAX)
		return refuse(r, DTT_ERR_FULL, "too many distinct metric names (max 65536)");
	if ((r->metrics_count + 1) * 2 > r->metrics_cap && (err = metrics_grow(r)) < 0)
		return err;

	st = r->stmt[ST_METRIC_INSERT];
	if (bind_text(st, 1, name) != SQLITE_OK)
		return bind_error(r, "bind metric name");
	if ((err = step_done(r, ST_METRIC_INSERT, "insert metric")) < 0)
		return err;
	st = r->stmt[ST_METRIC_SELECT];
	if (bind_text(st, 1, name) != SQLITE_OK)
		return bind_error(r, "bind metric name");
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		err = io_error(r, "look up metric id");
		sqlite3_reset(st);
		return err;
	}
	*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	copy = dtt_alloc(len + 1);
	if (!copy)
		return refuse(r, DTT_ERR_NOMEM, "out of memory for a metric name");
	memcpy(copy, name, len + 1);
	i = metrics_find_slot(r->metrics, r->metrics_cap, name, hash);
	r->metrics[i].name = copy;
	r->metrics[i].hash = hash;
	r->metrics[i].id = *id;
	r->metrics_count++;
	r->metric_last = i;
	return 0;
}

/* --- open / close --------------------------------------------------------------------- */

static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Checks the schema version, creating the schema in an empty file. The check is repeated
 * under the write lock, so two writers creating one file at once do not both create it. */
static int schema_setup(struct dtt_results *r, const char *path, char *err, size_t err_len)
{
	int64_t version = 0, objects = 0;
	char sql[64];

	for (int locked = 0; locked < 2; locked++) {
		if (query_int(r->db, "PRAGMA user_version", &version) != SQLITE_OK ||
		    query_int(r->db, "SELECT count(*) FROM sqlite_schema", &objects) != SQLITE_OK) {
			set_msg(err, err_len, "%s: cannot read the schema: %s", path,
				sqlite3_errmsg(r->db));
			return DTT_ERR_IO;
		}
		if (version == DTT_RESULTS_SCHEMA_VERSION)
			return locked ? txn_commit(r) : 0;
		if ((version == 1 || version == 2) && locked) {
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
				 DTT_RESULTS_SCHEMA_VERSION);
			if ((version == 1 && exec(r, upgrade_v1_sql, "upgrade schema 1") < 0) ||
			    exec(r, upgrade_v2_sql, "upgrade schema 2") < 0 ||
			    exec(r, sql, "set schema version") < 0 || txn_commit(r) < 0) {
				set_msg(err, err_len, "%s: %s", path, r->errmsg);
				return DTT_ERR_IO;
			}
			return 0;
		}
		if (version != 0 && version != 1 && version != 2) {
			set_msg(
			    err, err_len,
			    "%s: results schema version %lld, but this dtt-sim reads and writes "
			    "version %d; write to a new file or use a matching dtt-sim",
			    path, (long long)version, DTT_RESULTS_SCHEMA_VERSION);
			return DTT_ERR_MISMATCH;
		}
		if (version == 0 && objects != 0) {
			set_msg(err, err_len,
				"%s: not a dtt results database (schema version 0 but it already "
				"holds %lld tables/indexes/views)",
				path, (long long)objects);
			return DTT_ERR_MISMATCH;
		}
		if (!locked && txn_begin(r) < 0) {
			set_msg(err, err_len, "%s: %s", path, r->errmsg);
			return DTT_ERR_IO;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", DTT_RESULTS_SCHEMA_VERSION);
	if (exec(r, schema_sql, "create schema") < 0 || exec(r, sql, "set schema version") < 0 ||
	    txn_commit(r) < 0) {
		set_msg(err, err_len, "%s: %s", path, r->errmsg);
		return DTT_ERR_IO;
	}
	return 0;
}

static void results_free(struct dtt_results *r)
{
	for (int i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(r->stmt[i]);
	if (r->db) {
		if (!sqlite3_get_autocommit(r->db))
			sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(r->db);
	}
	metrics_forget(r);
	dtt_free(r->metrics);
	dtt_free(r);
}

struct dtt_results *dtt_results_open(const char *path, char *err, size_t err_len)
{
	static const char pragmas[] = "PRAGMA synchronous = NORMAL;";
	struct dtt_results *r;
	int64_t dummy;

	set_msg(err, err_len, "%s", "");
	if (!path || !*path) {
		set_msg(err, err_len, "results: no database path given");
		return NULL;
	}
	r = dtt_alloc(sizeof(*r));
	if (!r) {
		set_msg(err, err_len, "%s: out of memory", path);
		return NULL;
	}
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		set_msg(err, err_len, "%s: cannot open: %s", path,
			r->db ? sqlite3_errmsg(r->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, RESULTS_BUSY_TIMEOUT_MS);
	/* The first statement reads the file header: "file is not a database" shows up here.
	 * journal_mode returns the mode it ended up in; "memory" for :memory: is fine too. */
	if (query_int(r->db, "PRAGMA journal_mode = WAL", &dummy) != SQLITE_OK ||
	    sqlite3_exec(r->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(r->db, load_pragmas, NULL, NULL, NULL) != SQLITE_OK) {
		set_msg(err, err_len, "%s: %s", path, sqlite3_errmsg(r->db));
		goto fail;
	}
	if (schema_setup(r, path, err, err_len) < 0)
		goto fail;
	for (int i = 0; i < ST__COUNT; i++) {
		if (sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &r->stmt[i], NULL) != SQLITE_OK) {
			set_msg(err, err_len, "%s: cannot prepare a statement: %s", path,
				sqlite3_errmsg(r->db));
			goto fail;
		}
	}
	return r;
fail:
	results_free(r);
	return NULL;
}

void dtt_results_close(struct dtt_results *r)
{
	if (!r)
		return;
	/* An unended run keeps status 'running': it shows the run never finished. */
	txn_commit(r);
	for (int i = 0; i < ST__COUNT; i++) {
		sqlite3_finalize(r->stmt[i]);
		r->stmt[i] = NULL;
	}
	sqlite3_wal_checkpoint_v2(r->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	results_free(r);
}

const char *dtt_results_errmsg(const struct dtt_results *r)
{
	return r ? r->errmsg : "results: no database handle";
}

/* --- runs ----------------------------------------------------------------------------- */

int64_t dtt_results_run_begin(struct dtt_results *r, const struct dtt_results_run *run)
{
	sqlite3_stmt *st;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!run)
		return refuse(r, DTT_ERR_INVALID, "run_begin: no run description");
	if (r->run_id != 0)
		return refuse(r, DTT_ERR_STATE,
			      "run_begin: a run is already active (end it first)");
	st = r->stmt[ST_RUN_INSERT];
	if (bind_text(st, 1, run->scenario_name) || bind_text(st, 2, run->scenario_path) ||
	    bind_text(st, 3, run->scenario_text) || bind_u64(st, 4, run->seed) ||
	    bind_text(st, 5, run->version) || bind_text(st, 6, run->strategy) ||
	    sqlite3_bind_int64(st, 7, run->start_unix) || bind_u64(st, 8, run->duration_ms) ||
	    bind_u64(st, 9, run->nodes) ||
	    bind_text(st, 10, run->overrides ? run->overrides : "") ||
	    bind_text(st, 11, run->backend) ||
	    bind_text(st, 12, run->crypto ? run->crypto : "real"))
		return bind_error(r, "bind run");
	if ((err = txn_begin(r)) < 0 || (err = step_done(r, ST_RUN_INSERT, "insert run")) < 0)
		return err;
	/* Committed at once, so a reader sees the run (status 'running') while it goes. */
	r->run_id = sqlite3_last_insert_rowid(r->db);
	if ((err = txn_commit(r)) < 0) {
		r->run_id = 0;
		return err;
	}
	return r->run_id;
}

int dtt_results_run_end(struct dtt_results *r, const struct dtt_results_run_end *end)
{
	sqlite3_stmt *st;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!end || !end->status)
		return refuse(r, DTT_ERR_INVALID, "run_end: no status");
	if ((err = row_begin(r)) < 0)
		return err;
	st = r->stmt[ST_RUN_END];
	if (sqlite3_bind_int64(st, 1, r->run_id) || bind_text(st, 2, end->status) ||
	    bind_real(st, 3, end->wall_s) || bind_u64(st, 4, end->events) ||
	    bind_u64(st, 5, end->sim_end_ms) || bind_text(st, 6, end->digest) ||
	    bind_real(st, 7, end->events_per_s) || bind_u64(st, 8, end->peak_rss_bytes) ||
	    bind_real(st, 9, end->bytes_per_node))
		return bind_error(r, "bind run end");
	if ((err = step_done(r, ST_RUN_END, "update run")) < 0 || (err = txn_commit(r)) < 0)
		return err;
	/* The index builds sort every event and sample row of the run: with temp_store MEMORY
	 * the sorter would hold them all in memory (tens of KB per simulated node at the peak of
	 * a long run). A file-backed sorter bounds that; the load's settings come back for a
	 * next run. */
	if ((err = exec(r, "PRAGMA temp_store = FILE;", "index pragmas")) < 0)
		return err;
	if ((err = txn_begin(r)) < 0 || (err = exec(r, dtt_results_index_sql, "create indexes")) < 0 ||
	    (err = txn_commit(r)) < 0)
		return err;
	if ((err = exec(r, load_pragmas, "load pragmas")) < 0)
		return err;
	r->run_id = 0;
	return 0;
}

/* --- rows ----------------------------------------------------------------------------- */

static int check_t(struct dtt_results *r, uint64_t t_ms)
{
	if (t_ms > (uint64_t)INT64_MAX)
		return refuse(r, DTT_ERR_INVALID, "time beyond INT64_MAX ms");
	return 0;
}

int dtt_results_node(struct dtt_results *r, int64_t node, const char *kind, int64_t join_ms,
		     int64_t leave_ms)
{
	sqlite3_stmt *st;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!kind)
		return refuse(r, DTT_ERR_INVALID, "node: no kind");
	if ((err = row_begin(r)) < 0)
		return err;
	st = r->stmt[ST_NODE];
	if (sqlite3_bind_int64(st, 1, r->run_id) || sqlite3_bind_int64(st, 2, node) ||
	    bind_text(st, 3, kind) || bind_opt_int(st, 4, join_ms) || bind_opt_int(st, 5, leave_ms))
		return bind_error(r, "bind node");
	if ((err = step_done(r, ST_NODE, "insert node")) < 0)
		return err;
	return row_done(r);
}

int dtt_results_sample(struct dtt_results *r, uint64_t t_ms, int64_t node, const char *metric,
		       double value)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!metric)
		return refuse(r, DTT_ERR_INVALID, "sample: no metric name");
	if ((err = check_t(r, t_ms)) < 0 || (err = row_begin(r)) < 0 ||
	    (err = metric_id(r, metric, &id)) < 0)
		return err;
	st = r->stmt[ST_SAMPLE];
	if (sqlite3_bind_int64(st, 1, r->run_id) || bind_u64(st, 2, t_ms) ||
	    sqlite3_bind_int64(st, 3, node) || sqlite3_bind_int64(st, 4, id) ||
	    bind_real(st, 5, value))
		return bind_error(r, "bind sample");
	if ((err = step_done(r, ST_SAMPLE, "insert sample")) < 0)
		return err;
	return row_done(r);
}

int dtt_results_event(struct dtt_results *r, uint64_t t_ms, int64_t node, const char *kind,
		      int64_t peer, int64_t arg, const char *detail)
{
	sqlite3_stmt *st;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!kind)
		return refuse(r, DTT_ERR_INVALID, "event: no kind");
	if ((err = check_t(r, t_ms)) < 0 || (err = row_begin(r)) < 0)
		return err;
	st = r->stmt[ST_EVENT];
	if (sqlite3_bind_int64(st, 1, r->run_id) || bind_u64(st, 2, t_ms) ||
	    sqlite3_bind_int64(st, 3, node) || bind_text(st, 4, kind) ||
	    bind_opt_int(st, 5, peer) || bind_opt_int(st, 6, arg) || bind_text(st, 7, detail))
		return bind_error(r, "bind event");
	if ((err = step_done(r, ST_EVENT, "insert event")) < 0)
		return err;
	return row_done(r);
}

int dtt_results_message(struct dtt_results *r, const struct dtt_results_message *m)
{
	sqlite3_stmt *st;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!m || !m->kind)
		return refuse(r, DTT_ERR_INVALID, "message: no kind");
	if ((err = check_t(r, m->t_ms)) < 0 || (err = row_begin(r)) < 0)
		return err;
	st = r->stmt[ST_MESSAGE];
	if (sqlite3_bind_int64(st, 1, r->run_id) || bind_u64(st, 2, m->t_ms) ||
	    bind_text(st, 3, m->kind) || sqlite3_bind_int64(st, 4, m->node) ||
	    bind_text(st, 5, m->outcome) || bind_real(st, 6, m->latency_ms) ||
	    bind_opt_int(st, 7, m->delivered) || bind_opt_int(st, 8, m->missed) ||
	    bind_opt_int(st, 9, m->datagrams) || bind_real(st, 10, m->rmr) ||
	    bind_real(st, 11, m->ldh) || bind_real(st, 12, m->p50_ms) ||
	    bind_real(st, 13, m->p99_ms))
		return bind_error(r, "bind message");
	if ((err = step_done(r, ST_MESSAGE, "insert message")) < 0)
		return err;
	return row_done(r);
}

int dtt_results_summary(struct dtt_results *r, const char *name, double value)
{
	sqlite3_stmt *st;
	int err;

	if (!r)
		return DTT_ERR_INVALID;
	if (!name || !*name)
		return refuse(r, DTT_ERR_INVALID, "summary: no name");
	if ((err = row_begin(r)) < 0)
		return err;
	st = r->stmt[ST_SUMMARY];
	if (sqlite3_bind_int64(st, 1, r->run_id) || bind_text(st, 2, name) ||
	    bind_real(st, 3, value))
		return bind_error(r, "bind summary");
	if ((err = step_done(r, ST_SUMMARY, "insert summary")) < 0)
		return err;
	return row_done(r);
}
