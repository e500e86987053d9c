/* results.h - the simulator's results database (SQLite). Only results.c writes it.
 *
 * One file may hold many runs (one row in `run` each). Writes are batched in transactions of
 * DTT_RESULTS_BATCH rows through prepared statements, in WAL mode; indexes are built when the
 * run ends. Any SQLite tool can read the file; the schema is versioned with PRAGMA
 * user_version (DTT_RESULTS_SCHEMA_VERSION) and documented in sim/README-results.md.
 *
 * Times are simulated milliseconds since the start of the run. Node ids are the simulator's
 * node indexes (0..n-1); -1 means "global" (not one node).
 */
#ifndef DTT_SIM_RESULTS_H
#define DTT_SIM_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#define DTT_RESULTS_SCHEMA_VERSION 3
#define DTT_RESULTS_BATCH 10000

struct dtt_results;

struct dtt_results_run {
	const char *scenario_name;
	const char *scenario_path;
	const char *scenario_text; /* the whole file, so a run can be reproduced from the DB */
	uint64_t seed;
	const char *version;       /* dtt version string */
	const char *strategy;      /* strategy names, comma separated ("" when none) */
	const char *crypto;        /* "real" or "modelled" (sim/crypto_modelled.h) */
	int64_t start_unix;        /* the virtual wall clock's origin, unix seconds */
	uint64_t duration_ms;      /* simulated time the run was asked to cover */
	uint64_t nodes;            /* population size */
	const char *overrides;     /* the --set overrides, "key=value ..." (NULL or "": none) */
	const char *backend;       /* what ran it, e.g. "dtt-sim" (NULL: stored as NULL) */
};

struct dtt_results_run_end {
	const char *status;   /* "ok", "interrupted", "failed" */
	double wall_s;
	uint64_t events;
	uint64_t sim_end_ms;
	const char *digest;   /* hex */
	double events_per_s;
	uint64_t peak_rss_bytes;
	double bytes_per_node;
};

/* A per-operation row: a DHT get or put, a gossip broadcast, ... Unused fields: pass -1 (for
 * integers) or a NaN (for reals); they are stored as NULL. */
struct dtt_results_message {
	uint64_t t_ms;        /* when the operation started */
	const char *kind;     /* "get", "put", "broadcast", ... */
	int64_t node;         /* the node that started it */
	const char *outcome;  /* "ok", "notfound", "timeout", "failed", ... */
	double latency_ms;    /* time to first value / to completion */
	int64_t delivered;    /* values found, nodes stored, members reached */
	int64_t missed;
	int64_t datagrams;    /* datagrams sent for this operation, when known */
	double rmr;
	double ldh;
	double p50_ms;
	double p99_ms;
};

/* Opens (creating if needed) the database at path and checks or sets the schema version; a
 * version 1 or 2 file is upgraded in place (version 2 only adds the run columns overrides and
 * backend, version 3 the column crypto). NULL on error, with a message in err. */
struct dtt_results *dtt_results_open(const char *path, char *err, size_t err_len);
/* Starts a run; returns its run_id (> 0) or a negative DTT_ERR_*. */
int64_t dtt_results_run_begin(struct dtt_results *r, const struct dtt_results_run *run);
/* Node table: kind is "dht" or "member"; join/leave in ms (-1: never). */
int dtt_results_node(struct dtt_results *r, int64_t node, const char *kind, int64_t join_ms,
		     int64_t leave_ms);
/* A time-series value; metric names are interned into the `metric` table. */
int dtt_results_sample(struct dtt_results *r, uint64_t t_ms, int64_t node, const char *metric,
		       double value);
/* A discrete happening: "partition", "heal", "crash", "joined", ... peer/arg -1 when unused;
 * detail may be NULL. */
int dtt_results_event(struct dtt_results *r, uint64_t t_ms, int64_t node, const char *kind,
		      int64_t peer, int64_t arg, const char *detail);
int dtt_results_message(struct dtt_results *r, const struct dtt_results_message *m);
/* A named summary figure of the run (e.g. "get_success", "events_per_s"). */
int dtt_results_summary(struct dtt_results *r, const char *name, double value);
/* Commits pending rows, writes the run's end fields, builds the indexes. */
int dtt_results_run_end(struct dtt_results *r, const struct dtt_results_run_end *end);
/* The statements that build the read indexes (also run by `dtt-sim merge`, once). */
extern const char dtt_results_index_sql[];
/* Commits, checkpoints the WAL and closes. NULL is a no-op. */
void dtt_results_close(struct dtt_results *r);
/* The last error of r (a SQLite message with what was being done, or why a call was refused);
 * "" when none. Valid until the next call on r; never NULL (also for r == NULL). */
const char *dtt_results_errmsg(const struct dtt_results *r);

#endif
