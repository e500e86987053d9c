/* test_results.c - sim/results.c: the SQLite results database (spec/SIMULATION.md §4). Every
 * check reads the file back through a second, independent SQLite connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "alloc.h"
#include "err.h"
#include "results.h"

/* --- scaffolding ---------------------------------------------------------------------- */

struct tmp {
	char dir[64];
	char path[2][128];
};

static void tmp_init(struct tmp *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/dtt_results_XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	for (int i = 0; i < 2; i++)
		snprintf(t->path[i], sizeof(t->path[i]), "%s/r%d.db", t->dir, i);
}

static void tmp_clean(struct tmp *t)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	char p[160];

	for (int i = 0; i < 2; i++) {
		for (size_t s = 0; s < sizeof(suffix) / sizeof(suffix[0]); s++) {
			snprintf(p, sizeof(p), "%s%s", t->path[i], suffix[s]);
			unlink(p);
		}
	}
	assert_int_equal(rmdir(t->dir), 0);
}

static sqlite3 *reader(const char *path)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* One row of a query as text: columns separated by '|', NULL as "NULL", reals with %.17g. */
static void q_row(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;
	size_t n = 0;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	out[0] = 0;
	for (int i = 0; i < sqlite3_column_count(st); i++) {
		const char *sep = i ? "|" : "";

		switch (sqlite3_column_type(st, i)) {
		case SQLITE_NULL: n += (size_t)snprintf(out + n, len - n, "%sNULL", sep); break;
		case SQLITE_INTEGER:
			n += (size_t)snprintf(out + n, len - n, "%s%lld", sep,
					      (long long)sqlite3_column_int64(st, i));
			break;
		case SQLITE_FLOAT:
			n += (size_t)snprintf(out + n, len - n, "%s%.17g", sep,
					      sqlite3_column_double(st, i));
			break;
		default:
			n += (size_t)snprintf(out + n, len - n, "%s%s", sep,
					      (const char *)sqlite3_column_text(st, i));
			break;
		}
		assert_true(n < len);
	}
	sqlite3_finalize(st);
}

static void assert_row(sqlite3 *db, const char *sql, const char *expect)
{
	char got[1024];

	q_row(db, sql, got, sizeof(got));
	assert_string_equal(got, expect);
}

/* Exact digest of every row a query returns: type tag + bytes of each value (reals in hex
 * float, so equal digests mean equal bits), FNV-1a 64. */
struct dump {
	uint64_t hash;
	int64_t rows;
};

static void mix(struct dump *d, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		d->hash ^= b[i];
		d->hash *= 0x100000001b3ull;
	}
}

static void dump_query(sqlite3 *db, const char *sql, struct dump *d)
{
	sqlite3_stmt *st;
	char buf[64];
	int rc;

	mix(d, sql, strlen(sql));
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		d->rows++;
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			int type = sqlite3_column_type(st, i);
			int n = 0;

			mix(d, &type, sizeof(type));
			if (type == SQLITE_INTEGER) {
				n = snprintf(buf, sizeof(buf), "%lld",
					     (long long)sqlite3_column_int64(st, i));
				mix(d, buf, (size_t)n);
			} else if (type == SQLITE_FLOAT) {
				n = snprintf(buf, sizeof(buf), "%a", sqlite3_column_double(st, i));
				mix(d, buf, (size_t)n);
			} else if (type != SQLITE_NULL) {
				n = sqlite3_column_bytes(st, i);
				mix(d, &n, sizeof(n));
				mix(d, sqlite3_column_blob(st, i), (size_t)n);
			}
		}
	}
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);
}

/* Every table, in storage order, without the wall-clock columns of `run`. */
static struct dump dump_file(const char *path)
{
	static const char *const sql[] = {
	    "SELECT run_id, scenario_name, scenario_path, scenario_text, seed, version, "
	    "strategy, start_unix, duration_ms, nodes, status, events, sim_end_ms, digest, "
	    "bytes_per_node FROM run ORDER BY run_id",
	    "SELECT * FROM metric ORDER BY metric_id",
	    "SELECT * FROM node ORDER BY run_id, node_id",
	    "SELECT rowid, * FROM sample ORDER BY rowid",
	    "SELECT rowid, * FROM event ORDER BY rowid",
	    "SELECT rowid, * FROM message ORDER BY rowid",
	    "SELECT * FROM summary ORDER BY run_id, name",
	    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name",
	    "PRAGMA user_version",
	};
	struct dump d = {0xcbf29ce484222325ull, 0};
	sqlite3 *db = reader(path);

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]); i++)
		dump_query(db, sql[i], &d);
	sqlite3_close(db);
	return d;
}

static const struct dtt_results_run run_a = {
    .scenario_name = "partition-heal",
    .scenario_path = "scenarios/partition-heal.yaml",
    .scenario_text = "name: partition-heal\nseed: 1\n",
    .seed = 1,
    .version = "0.1.0",
    .strategy = "reference",
    .start_unix = 1750000000,
    .duration_ms = 1800000,
    .nodes = 2000,
};

static const struct dtt_results_run_end end_ok = {
    .status = "ok",
    .wall_s = 12.5,
    .events = 123456789,
    .sim_end_ms = 1800000,
    .digest = "00112233aabbccdd",
    .events_per_s = 9876543.25,
    .peak_rss_bytes = 1u << 30,
    .bytes_per_node = 4096.5,
};

static struct dtt_results *open_ok(const char *path)
{
	char err[256];
	struct dtt_results *r = dtt_results_open(path, err, sizeof(err));

	if (!r)
		fail_msg("open %s: %s", path, err);
	assert_string_equal(err, "");
	return r;
}

static struct dtt_results_message msg_unused(uint64_t t_ms, const char *kind, int64_t node)
{
	struct dtt_results_message m = {
	    .t_ms = t_ms,
	    .kind = kind,
	    .node = node,
	    .outcome = NULL,
	    .latency_ms = NAN,
	    .delivered = -1,
	    .missed = -1,
	    .datagrams = -1,
	    .rmr = NAN,
	    .ldh = NAN,
	    .p50_ms = NAN,
	    .p99_ms = NAN,
	};

	return m;
}

/* --- tests ---------------------------------------------------------------------------- */

static void test_results_open_creates_versioned_schema(void **state)
{
	static const char *const expect_cols[] = {
	    ("run:run_id,created_at,scenario_name,scenario_path,scenario_text,seed,version,"
	     "strategy,start_unix,duration_ms,nodes,status,wall_s,events,sim_end_ms,digest,"
	     "events_per_s,peak_rss_bytes,bytes_per_node,overrides,backend,crypto"),
	    "metric:metric_id,name",
	    "node:run_id,node_id,kind,join_ms,leave_ms",
	    "sample:run_id,t_ms,node_id,metric_id,value",
	    "event:run_id,t_ms,node_id,kind,peer_id,arg,detail",
	    ("message:run_id,t_ms,kind,node_id,outcome,latency_ms,delivered,missed,datagrams,"
	     "rmr,ldh,p50_ms,p99_ms"),
	    "summary:run_id,name,value",
	};
	struct tmp t;
	struct dtt_results *r;
	sqlite3 *db;
	char got[512];

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	assert_string_equal(dtt_results_errmsg(r), "");
	db = reader(t.path[0]);
	assert_int_equal(q_int(db, "PRAGMA user_version"), DTT_RESULTS_SCHEMA_VERSION);
	assert_row(db, "PRAGMA journal_mode", "wal");
	for (size_t i = 0; i < sizeof(expect_cols) / sizeof(expect_cols[0]); i++) {
		char sql[256];
		size_t tlen = strcspn(expect_cols[i], ":");

		snprintf(sql, sizeof(sql),
			 "SELECT '%.*s:' || group_concat(name, ',') FROM "
			 "(SELECT name FROM pragma_table_info('%.*s') ORDER BY cid)",
			 (int)tlen, expect_cols[i], (int)tlen, expect_cols[i]);
		q_row(db, sql, got, sizeof(got));
		assert_string_equal(got, expect_cols[i]);
	}
	assert_int_equal(q_int(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND "
				   "name IN ('sample_named', 'message_outcome', 'event_count', "
				   "'run_latest')"),
			 4);
	assert_int_equal(q_int(db, "SELECT count(*) FROM run"), 0);
	sqlite3_close(db);
	dtt_results_close(r);

	/* Reopening an existing results file is fine and changes nothing. */
	r = open_ok(t.path[0]);
	dtt_results_close(r);
	db = reader(t.path[0]);
	assert_int_equal(q_int(db, "PRAGMA user_version"), DTT_RESULTS_SCHEMA_VERSION);
	sqlite3_close(db);
	tmp_clean(&t);
}

static void test_results_two_runs_share_file_and_metric_ids(void **state)
{
	struct tmp t;
	struct dtt_results *r;
	struct dtt_results_run b = run_a;
	sqlite3 *db;

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &run_a), 1);
	assert_int_equal(dtt_results_sample(r, 0, -1, "alive_nodes", 2000), 0);
	assert_int_equal(dtt_results_sample(r, 0, -1, "get_success", 1.0), 0);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	dtt_results_close(r);

	/* The second run comes from another handle, as a second dtt-sim invocation would. */
	b.seed = UINT64_MAX; /* stored as its two's complement */
	b.strategy = "";
	r = open_ok(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &b), 2);
	assert_int_equal(dtt_results_sample(r, 10, -1, "get_success", 0.5), 0);
	assert_int_equal(dtt_results_sample(r, 10, 3, "bytes", 99), 0);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	dtt_results_close(r);

	db = reader(t.path[0]);
	assert_row(db,
		   "SELECT group_concat(metric_id || '=' || name, ',') FROM "
		   "(SELECT * FROM metric ORDER BY metric_id)",
		   "1=alive_nodes,2=get_success,3=bytes");
	assert_row(db,
		   "SELECT group_concat(run_id || ':' || t_ms || ':' || node_id || ':' || "
		   "metric || ':' || value, ',') FROM (SELECT * FROM sample_named "
		   "ORDER BY run_id, t_ms, node_id, metric)",
		   "1:0:-1:alive_nodes:2000.0,1:0:-1:get_success:1.0,"
		   "2:10:-1:get_success:0.5,2:10:3:bytes:99.0");
	assert_row(db, "SELECT run_id, seed, strategy FROM run WHERE run_id = 2", "2|-1|");
	assert_row(db, "SELECT run_id FROM run_latest", "2");
	sqlite3_close(db);
	tmp_clean(&t);
}

static void test_results_rows_round_trip(void **state)
{
	struct tmp t;
	struct dtt_results *r;
	struct dtt_results_message m = {
	    .t_ms = 61000,
	    .kind = "get",
	    .node = 17,
	    .outcome = "ok",
	    .latency_ms = 123.25,
	    .delivered = 3,
	    .missed = 0,
	    .datagrams = 42,
	    .rmr = 1.5,
	    .ldh = 4.0,
	    .p50_ms = 80.5,
	    .p99_ms = 250.75,
	};
	sqlite3 *db;

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &run_a), 1);
	assert_int_equal(dtt_results_node(r, 0, "dht", 0, -1), 0);
	assert_int_equal(dtt_results_node(r, 1, "member", 5000, 700000), 0);
	assert_int_equal(dtt_results_node(r, 1, "member", 5000, 900000), 0); /* last wins */
	assert_int_equal(dtt_results_sample(r, 10000, -1, "get_latency_p50_ms", 87.125), 0);
	assert_int_equal(dtt_results_sample(r, 10000, 4, "datagrams", 1e15), 0);
	assert_int_equal(dtt_results_event(r, 600000, -1, "partition", -1, 2, "groups=0.5,0.5"), 0);
	assert_int_equal(dtt_results_event(r, 610000, 9, "neighbor_down", 12, -1, NULL), 0);
	assert_int_equal(dtt_results_message(r, &m), 0);
	assert_int_equal(dtt_results_summary(r, "get_success", 0.25), 0);
	assert_int_equal(dtt_results_summary(r, "get_success", 0.75), 0); /* last wins */
	assert_int_equal(dtt_results_summary(r, "events_per_s", 1e6), 0);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	dtt_results_close(r);

	db = reader(t.path[0]);
	assert_row(db,
		   "SELECT run_id, scenario_name, scenario_path, scenario_text, seed, "
		   "version, strategy, start_unix, duration_ms, nodes, status, wall_s, events, "
		   "sim_end_ms, digest, events_per_s, peak_rss_bytes, bytes_per_node FROM run",
		   "1|partition-heal|scenarios/partition-heal.yaml|name: partition-heal\nseed: 1\n"
		   "|1|0.1.0|reference|1750000000|1800000|2000|ok|12.5|123456789|1800000|"
		   "00112233aabbccdd|9876543.25|1073741824|4096.5");
	assert_int_equal(q_int(db, "SELECT created_at GLOB "
				   "'[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T*Z' FROM run"),
			 1);
	assert_row(db,
		   "SELECT group_concat(node_id || ':' || kind || ':' || "
		   "ifnull(join_ms, 'N') || ':' || ifnull(leave_ms, 'N'), ',') FROM node",
		   "0:dht:0:N,1:member:5000:900000");
	assert_row(db,
		   "SELECT t_ms, node_id, metric, value FROM sample_named "
		   "WHERE metric = 'get_latency_p50_ms'",
		   "10000|-1|get_latency_p50_ms|87.125");
	assert_row(db, "SELECT value FROM sample_named WHERE metric = 'datagrams'",
		   "1000000000000000");
	assert_row(db,
		   "SELECT run_id, t_ms, node_id, kind, peer_id, arg, detail FROM event "
		   "ORDER BY rowid LIMIT 1",
		   "1|600000|-1|partition|NULL|2|groups=0.5,0.5");
	assert_row(db,
		   "SELECT run_id, t_ms, node_id, kind, peer_id, arg, detail FROM event "
		   "ORDER BY rowid LIMIT 1 OFFSET 1",
		   "1|610000|9|neighbor_down|12|NULL|NULL");
	assert_row(db, "SELECT * FROM message",
		   "1|61000|get|17|ok|123.25|3|0|42|1.5|4|80.5|250.75");
	assert_row(db,
		   "SELECT group_concat(name || '=' || value, ',') FROM "
		   "(SELECT * FROM summary ORDER BY name)",
		   "events_per_s=1000000.0,get_success=0.75");
	assert_row(db, "SELECT kind, outcome, n, latency_mean_ms, datagrams FROM message_outcome",
		   "get|ok|1|123.25|42");
	assert_row(db, "SELECT kind, n, first_ms FROM event_count WHERE kind = 'partition'",
		   "partition|1|600000");
	sqlite3_close(db);
	tmp_clean(&t);
}

static void test_results_nan_and_minus_one_are_null(void **state)
{
	struct tmp t;
	struct dtt_results *r;
	struct dtt_results_message m = msg_unused(5, "broadcast", -1);
	struct dtt_results_run_end end = {
	    .status = "interrupted",
	    .wall_s = NAN,
	    .events = 7,
	    .sim_end_ms = 5,
	    .digest = NULL,
	    .events_per_s = NAN,
	    .peak_rss_bytes = 0,
	    .bytes_per_node = NAN,
	};
	struct dtt_results_run run = {.seed = 9, .start_unix = -1};
	sqlite3 *db;

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &run), 1);
	assert_int_equal(dtt_results_sample(r, 5, 2, "get_latency_p95_ms", NAN), 0);
	assert_int_equal(dtt_results_sample(r, 5, 2, "put_stored_mean", -1.0), 0); /* a real */
	assert_int_equal(dtt_results_event(r, 5, 2, "crash", -1, -1, NULL), 0);
	assert_int_equal(dtt_results_event(r, 5, 2, "loss", -2, 0, ""), 0);
	assert_int_equal(dtt_results_node(r, 2, "member", -1, -1), 0);
	assert_int_equal(dtt_results_message(r, &m), 0);
	assert_int_equal(dtt_results_summary(r, "get_success", NAN), 0);
	assert_int_equal(dtt_results_run_end(r, &end), 0);
	dtt_results_close(r);

	db = reader(t.path[0]);
	assert_row(db,
		   "SELECT scenario_name, scenario_path, scenario_text, version, strategy, "
		   "start_unix, status, wall_s, events, digest, events_per_s, peak_rss_bytes, "
		   "bytes_per_node FROM run",
		   "NULL|NULL|NULL|NULL|NULL|-1|interrupted|NULL|7|NULL|NULL|0|NULL");
	assert_row(db,
		   "SELECT group_concat(metric || '=' || ifnull(value, 'NULL'), ',') FROM "
		   "(SELECT * FROM sample_named ORDER BY metric)",
		   "get_latency_p95_ms=NULL,put_stored_mean=-1.0");
	assert_row(db, "SELECT * FROM event ORDER BY rowid LIMIT 1", "1|5|2|crash|NULL|NULL|NULL");
	assert_row(db, "SELECT * FROM event ORDER BY rowid LIMIT 1 OFFSET 1", "1|5|2|loss|-2|0|");
	assert_row(db, "SELECT * FROM node", "1|2|member|NULL|NULL");
	assert_row(db, "SELECT * FROM message",
		   "1|5|broadcast|-1|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL");
	assert_row(db, "SELECT * FROM summary", "1|get_success|NULL");
	sqlite3_close(db);
	tmp_clean(&t);
}

static void test_results_commits_every_batch(void **state)
{
	struct tmp t;
	struct dtt_results *r;
	const int total = 2 * DTT_RESULTS_BATCH + 5;
	sqlite3 *db;

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	db = reader(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &run_a), 1);
	/* The run row is committed at once: a reader sees a 'running' run. */
	assert_row(db, "SELECT run_id, status, wall_s FROM run", "1|running|NULL");
	for (int i = 0; i < total; i++) {
		assert_int_equal(
		    dtt_results_sample(r, (uint64_t)i, i % 7, i % 2 ? "bytes" : "datagrams", i), 0);
		if (i == DTT_RESULTS_BATCH - 2)
			assert_int_equal(q_int(db, "SELECT count(*) FROM sample"), 0);
		if (i == DTT_RESULTS_BATCH - 1)
			assert_int_equal(q_int(db, "SELECT count(*) FROM sample"),
					 DTT_RESULTS_BATCH);
		if (i == 2 * DTT_RESULTS_BATCH + 3)
			assert_int_equal(q_int(db, "SELECT count(*) FROM sample"),
					 2 * DTT_RESULTS_BATCH);
	}
	/* A batch counts rows of every kind, not only samples. */
	for (int i = 0; i < DTT_RESULTS_BATCH - 5 - 1; i++)
		assert_int_equal(dtt_results_event(r, 1, i, "joined", -1, -1, NULL), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM event"), 0);
	assert_int_equal(dtt_results_node(r, 0, "dht", 0, -1), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM event"), DTT_RESULTS_BATCH - 6);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sample"), total);
	assert_int_equal(dtt_results_summary(r, "x", 1), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM summary"), 0);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	assert_int_equal(q_int(db, "SELECT count(*) FROM summary"), 1);
	assert_int_equal(q_int(db, "SELECT count(*) FROM sample WHERE metric_id = 1"),
			 DTT_RESULTS_BATCH + 3);
	assert_int_equal(q_int(db, "SELECT sum(value) FROM sample"),
			 (int64_t)total * (total - 1) / 2);
	assert_int_equal(q_int(db, "SELECT count(*) FROM metric"), 2);
	assert_row(db, "SELECT status FROM run", "ok");
	sqlite3_close(db);
	dtt_results_close(r);
	tmp_clean(&t);
}

/* A version 1 file (before the run columns overrides, backend and crypto) is upgraded in
 * place: its runs stay, with NULL in the new columns, and new runs record them. */
static void test_results_upgrades_version_1(void **state)
{
	static const char v1_run[] =
	    "CREATE TABLE run(run_id INTEGER PRIMARY KEY, created_at TEXT, scenario_name TEXT,"
	    " scenario_path TEXT, scenario_text TEXT, seed INTEGER NOT NULL, version TEXT,"
	    " strategy TEXT, start_unix INTEGER, duration_ms INTEGER, nodes INTEGER,"
	    " status TEXT NOT NULL DEFAULT 'running', wall_s REAL, events INTEGER,"
	    " sim_end_ms INTEGER, digest TEXT, events_per_s REAL, peak_rss_bytes INTEGER,"
	    " bytes_per_node REAL);"
	    "INSERT INTO run(seed, scenario_name) VALUES(5, 'old');"
	    "PRAGMA user_version = 1;";
	struct dtt_results_run run = run_a;
	struct tmp t;
	struct dtt_results *r;
	sqlite3 *db;

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	dtt_results_close(r);
	/* The same file as version 1 wrote it: the old run table. */
	assert_int_equal(sqlite3_open(t.path[0], &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP VIEW run_latest; DROP TABLE run;", NULL, NULL,
				      NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, v1_run, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE VIEW run_latest AS SELECT * FROM run ORDER BY "
					  "run_id DESC LIMIT 1",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	r = open_ok(t.path[0]);
	run.overrides = "dht.nodes=500 events[0].at=2m";
	run.backend = "dtt-sim";
	run.crypto = "modelled";
	assert_int_equal(dtt_results_run_begin(r, &run), 2);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	dtt_results_close(r);
	db = reader(t.path[0]);
	assert_int_equal(q_int(db, "PRAGMA user_version"), DTT_RESULTS_SCHEMA_VERSION);
	assert_row(db, "SELECT run_id, seed, overrides IS NULL, backend IS NULL, crypto IS NULL "
		       "FROM run WHERE run_id = 1",
		   "1|5|1|1|1");
	assert_row(db, "SELECT seed, overrides, backend, crypto FROM run_latest",
		   "1|dht.nodes=500 events[0].at=2m|dtt-sim|modelled");
	sqlite3_close(db);
	tmp_clean(&t);
}

static void test_results_refuses_other_schema_version(void **state)
{
	struct tmp t;
	struct dtt_results *r;
	sqlite3 *db;
	char err[256];
	FILE *f;

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	dtt_results_close(r);
	assert_int_equal(sqlite3_open(t.path[0], &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(dtt_results_open(t.path[0], err, sizeof(err)));
	assert_non_null(strstr(err, t.path[0]));
	assert_non_null(strstr(err, "results schema version 7, but this dtt-sim reads and writes "
				    "version 3"));
	/* Nothing was written: the version stays. */
	db = reader(t.path[0]);
	assert_int_equal(q_int(db, "PRAGMA user_version"), 7);
	sqlite3_close(db);

	/* Some other SQLite database (version 0, but not empty) is not taken over. */
	assert_int_equal(sqlite3_open(t.path[1], &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE run(x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_null(dtt_results_open(t.path[1], err, sizeof(err)));
	assert_non_null(strstr(err, "not a dtt results database"));
	unlink(t.path[1]);

	/* A file that is not SQLite at all. */
	f = fopen(t.path[1], "wb");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fputs("this is not a database. ", f);
	fclose(f);
	assert_null(dtt_results_open(t.path[1], err, sizeof(err)));
	assert_non_null(strstr(err, "file is not a database"));

	assert_null(dtt_results_open("", err, sizeof(err)));
	assert_string_equal(err, "results: no database path given");
	tmp_clean(&t);
}

static int has_index(sqlite3 *db, const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = '%s'", name);
	return (int)q_int(db, sql);
}

/* The query plan's details, ';'-separated. */
static void plan_of(sqlite3 *db, const char *sql, char *out, size_t len)
{
	sqlite3_stmt *st;
	char eqp[512];
	size_t n = 0;

	snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), SQLITE_OK);
	out[0] = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		n += (size_t)snprintf(out + n, len - n, "%s;", sqlite3_column_text(st, 3));
		assert_true(n < len);
	}
	sqlite3_finalize(st);
}

static void test_results_indexes_built_at_run_end(void **state)
{
	static const char *const names[] = {"sample_run_metric_t", "message_run_kind_t",
					    "event_run_kind_t"};
	struct tmp t;
	struct dtt_results *r;
	struct dtt_results_message m = msg_unused(1, "get", 0);
	sqlite3 *db;
	char plan[512];

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	db = reader(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &run_a), 1);
	assert_int_equal(dtt_results_sample(r, 1, -1, "alive_nodes", 5), 0);
	assert_int_equal(dtt_results_message(r, &m), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(has_index(db, names[i]), 0);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(has_index(db, names[i]), 1);
	/* The plots' query shape (one metric of one run, by name) uses the sample index. */
	plan_of(db,
		"SELECT t_ms, value FROM sample_named WHERE run_id = 1 AND "
		"metric = 'alive_nodes' ORDER BY t_ms",
		plan, sizeof(plan));
	assert_non_null(strstr(plan, "USING INDEX sample_run_metric_t"));
	plan_of(db, "SELECT latency_ms FROM message WHERE run_id = 1 AND kind = 'get'", plan,
		sizeof(plan));
	assert_non_null(strstr(plan, "USING INDEX message_run_kind_t"));
	sqlite3_close(db);

	/* A second run in the same file ends fine with the indexes already there. */
	assert_int_equal(dtt_results_run_begin(r, &run_a), 2);
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	dtt_results_close(r);
	tmp_clean(&t);
}

static void test_results_refuses_calls_out_of_order(void **state)
{
	struct tmp t;
	struct dtt_results *r;
	struct dtt_results_message m = msg_unused(1, NULL, 0);
	char long_name[300];
	struct stat st;
	char wal[160];

	(void)state;
	tmp_init(&t);
	r = open_ok(t.path[0]);
	assert_int_equal(dtt_results_sample(r, 0, -1, "x", 1), DTT_ERR_STATE);
	assert_non_null(strstr(dtt_results_errmsg(r), "no active run"));
	assert_int_equal(dtt_results_event(r, 0, -1, "heal", -1, -1, NULL), DTT_ERR_STATE);
	assert_int_equal(dtt_results_node(r, 0, "dht", 0, -1), DTT_ERR_STATE);
	assert_int_equal(dtt_results_summary(r, "x", 1), DTT_ERR_STATE);
	assert_int_equal(dtt_results_run_end(r, &end_ok), DTT_ERR_STATE);
	assert_int_equal(dtt_results_run_begin(r, NULL), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_run_begin(r, &run_a), 1);
	assert_int_equal(dtt_results_run_begin(r, &run_a), DTT_ERR_STATE);
	assert_non_null(strstr(dtt_results_errmsg(r), "already active"));
	assert_int_equal(dtt_results_sample(r, 0, -1, NULL, 1), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_sample(r, 0, -1, "", 1), DTT_ERR_INVALID);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	assert_int_equal(dtt_results_sample(r, 0, -1, long_name, 1), DTT_ERR_INVALID);
	long_name[256] = 0; /* exactly the limit */
	assert_int_equal(dtt_results_sample(r, 0, -1, long_name, 1), 0);
	assert_int_equal(dtt_results_sample(r, (uint64_t)INT64_MAX + 1, -1, "x", 1),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_results_event(r, 0, -1, NULL, -1, -1, NULL), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_message(r, &m), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_message(r, NULL), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_node(r, 0, NULL, 0, -1), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_summary(r, "", 1), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_run_end(r, NULL), DTT_ERR_INVALID);
	assert_int_equal(dtt_results_sample(NULL, 0, -1, "x", 1), DTT_ERR_INVALID);
	assert_non_null(dtt_results_errmsg(NULL));
	dtt_results_close(NULL);

	/* Closing without run_end keeps the rows and leaves the run marked 'running'. */
	assert_int_equal(dtt_results_sample(r, 3, -1, "alive_nodes", 1), 0);
	dtt_results_close(r);
	{
		sqlite3 *db = reader(t.path[0]);

		assert_row(db, "SELECT status FROM run", "running");
		assert_int_equal(q_int(db, "SELECT count(*) FROM sample"), 2);
		sqlite3_close(db);
	}
	/* The WAL was checkpointed and removed (or truncated) at close. */
	snprintf(wal, sizeof(wal), "%s-wal", t.path[0]);
	assert_true(stat(wal, &st) != 0 || st.st_size == 0);
	tmp_clean(&t);
}

/* A little simulation's worth of writes; variant != 0 changes one value. */
static void write_scenario(const char *path, int variant)
{
	struct dtt_results *r = open_ok(path);
	static const char *const metrics[] = {"alive_nodes", "get_success", "get_latency_p50_ms",
					      "datagrams", "bytes"};
	static const char *const outcomes[] = {"ok", "notfound", "timeout"};
	struct dtt_results_run_end end = end_ok;

	for (int run = 0; run < 2; run++) {
		assert_true(dtt_results_run_begin(r, &run_a) > 0);
		for (int n = 0; n < 50; n++)
			assert_int_equal(dtt_results_node(r, n, n < 40 ? "dht" : "member", n * 10,
							  n % 9 ? -1 : 5000 + n),
					 0);
		for (int s = 0; s < 3000; s++) {
			for (size_t k = 0; k < 5; k++) {
				double v = (double)s / 7.0 + (double)k;

				if (variant && run == 1 && s == 2999 && k == 4) {
					uint64_t bits; /* flip the lowest mantissa bit */

					memcpy(&bits, &v, sizeof(v));
					bits ^= 1;
					memcpy(&v, &bits, sizeof(v));
				}
				assert_int_equal(dtt_results_sample(r, (uint64_t)s * 1000,
								    k ? -1 : s % 50, metrics[k], v),
						 0);
			}
		}
		for (int e = 0; e < 200; e++)
			assert_int_equal(dtt_results_event(r, (uint64_t)e * 500, e % 50,
							   e % 2 ? "partition" : "heal",
							   e % 3 ? -1 : e, e % 5 ? -1 : e,
							   e % 4 ? NULL : "d"),
					 0);
		for (int g = 0; g < 1000; g++) {
			struct dtt_results_message m =
			    msg_unused((uint64_t)g * 7, g % 2 ? "get" : "put", g % 50);

			m.outcome = outcomes[g % 3];
			m.latency_ms = g % 3 == 2 ? NAN : g / 3.0;
			m.delivered = g % 4;
			m.datagrams = g % 11;
			assert_int_equal(dtt_results_message(r, &m), 0);
		}
		assert_int_equal(dtt_results_summary(r, "get_success", 0.5 + run), 0);
		end.wall_s = 1.0 + (double)rand(); /* wall-clock columns may differ */
		end.events_per_s = (double)rand();
		end.peak_rss_bytes = (uint64_t)rand();
		assert_int_equal(dtt_results_run_end(r, &end), 0);
	}
	dtt_results_close(r);
}

static void test_results_same_writes_give_identical_tables(void **state)
{
	struct tmp t;
	struct dump a, b, c;

	(void)state;
	tmp_init(&t);
	write_scenario(t.path[0], 0);
	write_scenario(t.path[1], 0);
	a = dump_file(t.path[0]);
	b = dump_file(t.path[1]);
	/* 2 runs + 5 metrics + 2x(50 nodes + 15000 samples + 200 events + 1000 messages + 1
	 * summary) + 15 schema objects (7 tables, 4 views, 3 indexes, metric.name's unique
	 * index) + 1 user_version row */
	assert_int_equal(a.rows, 2 + 5 + 2 * (50 + 15000 + 200 + 1000 + 1) + 15 + 1);
	assert_int_equal(a.rows, b.rows);
	assert_true(a.hash == b.hash);

	/* The comparison is sharp enough to see one bit of one value. */
	unlink(t.path[1]);
	write_scenario(t.path[1], 1);
	c = dump_file(t.path[1]);
	assert_int_equal(a.rows, c.rows);
	assert_true(a.hash != c.hash);
	tmp_clean(&t);
}

static void test_results_frees_everything(void **state)
{
	struct tmp t;
	struct dtt_alloc_stats before, after;
	char name[32];
	struct dtt_results *r;

	(void)state;
	tmp_init(&t);
	before = dtt_alloc_stats();
	r = open_ok(t.path[0]);
	assert_int_equal(dtt_results_run_begin(r, &run_a), 1);
	/* Enough names to grow the metric cache a few times. */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		assert_int_equal(dtt_results_sample(r, 0, -1, name, i), 0);
	}
	for (int i = 299; i >= 0; i--) {
		snprintf(name, sizeof(name), "m%d", i);
		assert_int_equal(dtt_results_sample(r, 1, -1, name, i), 0);
	}
	assert_int_equal(dtt_results_run_end(r, &end_ok), 0);
	dtt_results_close(r);
	after = dtt_alloc_stats();
	assert_true(after.allocs > before.allocs);
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
	{
		sqlite3 *db = reader(t.path[0]);

		assert_int_equal(q_int(db, "SELECT count(*) FROM metric"), 300);
		assert_int_equal(q_int(db, "SELECT count(*) FROM sample_named WHERE "
					   "metric = 'm' || CAST(value AS INTEGER)"),
				 600);
		sqlite3_close(db);
	}
	tmp_clean(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_results_open_creates_versioned_schema),
	    cmocka_unit_test(test_results_two_runs_share_file_and_metric_ids),
	    cmocka_unit_test(test_results_rows_round_trip),
	    cmocka_unit_test(test_results_nan_and_minus_one_are_null),
	    cmocka_unit_test(test_results_commits_every_batch),
	    cmocka_unit_test(test_results_refuses_other_schema_version),
	    cmocka_unit_test(test_results_upgrades_version_1),
	    cmocka_unit_test(test_results_indexes_built_at_run_end),
	    cmocka_unit_test(test_results_refuses_calls_out_of_order),
	    cmocka_unit_test(test_results_same_writes_give_identical_tables),
	    cmocka_unit_test(test_results_frees_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
