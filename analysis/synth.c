/* synth.c - writes a synthetic results database through sim/results.h, so analysis/selftest.sh
 * can draw every figure without running the simulator (spec/SIMULATION.md §4).
 *
 * Usage: synth DB. Appends two runs to DB:
 *   1. "synthetic-partition-heal": 2000 DHT nodes for 30 min, a 50/50 partition at 10 min, heal at
 *      20 min, 10 % of nodes crash at 22 min and rejoin at 25 min, loss raised at 26 min; gets
 *      and puts in `message`, and the per-interval metrics the simulator samples, computed from
 *      those operations.
 *   2. "synthetic-sparse": 500 DHT nodes for 5 min with no events, no messages, no get metrics,
 *      `alive_nodes` and `routing_table_mean` (as every run of the simulator has) and only
 *      per-node `datagrams` samples: the figures must say what is missing, not fail.
 * Deterministic: a fixed-seed splitmix64 stream drives every value.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "results.h"

#define SYNTH_NODES	   2000
#define SYNTH_DURATION_MS  (30 * 60 * 1000)
#define SYNTH_INTERVAL_MS  10000
#define SYNTH_GET_EVERY_MS 360
#define SYNTH_PUT_EVERY_MS 1800
#define SYNTH_OPS_MAX	   64 /* gets per interval kept for percentiles */

static uint64_t rng_state = 0x5eed;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return (double)(next_u64() >> 11) / 9007199254740992.0;
}

static double lognormal(double median, double sigma)
{
	double u1 = uniform(), u2 = uniform();
	double z = sqrt(-2.0 * log(u1 > 0 ? u1 : 1e-12)) * cos(6.283185307179586 * u2);

	return median * exp(sigma * z);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double *v, int n, int p)
{
	int i = (n * p + 99) / 100 - 1;

	if (n == 0)
		return NAN;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[i < 0 ? 0 : i];
}

static void check(struct dtt_results *r, int rc, const char *what)
{
	if (rc < 0) {
		fprintf(stderr, "synth: %s: %s (%s)\n", what, dtt_strerror(rc),
			dtt_results_errmsg(r));
		exit(1);
	}
}

static struct dtt_results_message op(uint64_t t_ms, const char *kind, int64_t node)
{
	struct dtt_results_message m = {
	    .t_ms = t_ms,
	    .kind = kind,
	    .node = node,
	    .outcome = "ok",
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

static void run_partition_heal(struct dtt_results *r)
{
	static const char text[] = "# synthetic: written by analysis/synth.c\n"
				   "name: synthetic-partition-heal\nduration: 30m\n";
	struct dtt_results_run run = {
	    .scenario_name = "synthetic-partition-heal",
	    .scenario_path = "analysis/synth.c",
	    .scenario_text = text,
	    .seed = 1,
	    .version = "synthetic",
	    .strategy = "reference",
	    .start_unix = 1750000000,
	    .duration_ms = SYNTH_DURATION_MS,
	    .nodes = SYNTH_NODES,
	};
	struct dtt_results_run_end end = {
	    .status = "ok",
	    .wall_s = NAN,
	    .events = 0,
	    .sim_end_ms = SYNTH_DURATION_MS,
	    .digest = "0000000000000000",
	    .events_per_s = NAN,
	    .peak_rss_bytes = 0,
	    .bytes_per_node = NAN,
	};
	const uint64_t partition = 600000, heal = 1200000, crash = 1320000, rejoin = 1500000,
		       loss = 1560000;
	uint64_t next_get = 0, next_put = 0;
	int64_t gets = 0, gets_ok = 0;

	check(r, (int)dtt_results_run_begin(r, &run), "run_begin");
	for (int n = 0; n < SYNTH_NODES; n++)
		check(r, dtt_results_node(r, n, "dht", 0, -1), "node");
	check(r, dtt_results_event(r, partition, -1, "partition", -1, 2, "groups=0.5,0.5"),
	      "event");
	check(r, dtt_results_event(r, heal, -1, "heal", -1, -1, NULL), "event");
	for (int n = 0; n < SYNTH_NODES / 10; n++)
		check(r, dtt_results_event(r, crash, n * 10, "crash", -1, -1, NULL), "event");
	for (int n = 0; n < SYNTH_NODES / 10; n++)
		check(r, dtt_results_event(r, rejoin, n * 10, "rejoin", -1, -1, NULL), "event");
	check(r, dtt_results_event(r, loss, -1, "loss", -1, 5, "0.05"), "event");

	for (uint64_t t = SYNTH_INTERVAL_MS; t <= SYNTH_DURATION_MS; t += SYNTH_INTERVAL_MS) {
		double lat[SYNTH_OPS_MAX];
		int n_ok = 0, n_get = 0;
		int split = t > partition && t <= heal;
		int crashed = t > crash && t <= rejoin;
		double alive = crashed ? SYNTH_NODES * 0.9 : SYNTH_NODES;
		double p_ok = split ? 0.55 : (t > loss ? 0.96 : 0.99);
		double dgrams, stored;

		for (; next_get < t; next_get += SYNTH_GET_EVERY_MS) {
			struct dtt_results_message m =
			    op(next_get, "get", (int64_t)(next_get % SYNTH_NODES));
			double u = uniform();

			m.datagrams = 20 + (int64_t)(next_u64() % 30);
			if (u < p_ok) {
				m.latency_ms = lognormal(split ? 700 : 250, 0.6);
				m.delivered = 1 + (int64_t)(next_u64() % 8);
				if (n_ok < SYNTH_OPS_MAX)
					lat[n_ok++] = m.latency_ms;
			} else if (u < p_ok + (1 - p_ok) * 0.6) {
				m.outcome = "notfound";
				m.latency_ms = lognormal(1500, 0.3);
				m.delivered = 0;
			} else {
				m.outcome = "timeout";
				m.latency_ms = 5000;
				m.delivered = 0;
			}
			n_get++;
			check(r, dtt_results_message(r, &m), "message");
		}
		for (; next_put < t; next_put += SYNTH_PUT_EVERY_MS) {
			struct dtt_results_message m =
			    op(next_put, "put", (int64_t)(next_put % 977));

			m.latency_ms = lognormal(split ? 900 : 400, 0.5);
			m.delivered = split ? 4 + (int64_t)(next_u64() % 4) : 8;
			m.datagrams = 40 + (int64_t)(next_u64() % 20);
			check(r, dtt_results_message(r, &m), "message");
		}
		gets += n_get;
		gets_ok += n_ok;
		stored =
		    split ? 5.0 + uniform() : (crashed ? 7.0 + uniform() : 7.8 + 0.4 * uniform());
		dgrams = alive * (SYNTH_INTERVAL_MS / 1000.0) * (split ? 4.5 : 3.0) *
			 (0.95 + 0.1 * uniform());
		check(r, dtt_results_sample(r, t, -1, "alive_nodes", alive), "sample");
		check(r, dtt_results_sample(r, t, -1, "routing_table_mean", 60 + 10 * uniform()),
		      "sample");
		check(
		    r,
		    dtt_results_sample(r, t, -1, "get_success", n_get ? (double)n_ok / n_get : NAN),
		    "sample");
		check(r,
		      dtt_results_sample(r, t, -1, "get_fresh",
					 n_get ? (double)n_ok * (split ? 0.7 : 1.0) / n_get : NAN),
		      "sample");
		check(r, dtt_results_sample(r, t, -1, "get_latency_p50_ms", pct(lat, n_ok, 50)),
		      "sample");
		check(r, dtt_results_sample(r, t, -1, "get_latency_p95_ms", pct(lat, n_ok, 95)),
		      "sample");
		check(r, dtt_results_sample(r, t, -1, "put_stored_mean", stored), "sample");
		check(r, dtt_results_sample(r, t, -1, "datagrams", floor(dgrams)), "sample");
		check(r, dtt_results_sample(r, t, -1, "bytes", floor(dgrams * 182.0)), "sample");
	}
	check(r, dtt_results_summary(r, "get_success", (double)gets_ok / (double)gets), "summary");
	check(r, dtt_results_summary(r, "gets", (double)gets), "summary");
	check(r, dtt_results_run_end(r, &end), "run_end");
}

static void run_sparse(struct dtt_results *r)
{
	struct dtt_results_run run = {
	    .scenario_name = "synthetic-sparse",
	    .scenario_path = "analysis/synth.c",
	    .scenario_text = "name: synthetic-sparse\n",
	    .seed = 2,
	    .version = "synthetic",
	    .strategy = "",
	    .start_unix = 1750000000,
	    .duration_ms = 300000,
	    .nodes = 500,
	};
	struct dtt_results_run_end end = {
	    .status = "ok",
	    .wall_s = NAN,
	    .sim_end_ms = 300000,
	    .digest = "01",
	    .events_per_s = NAN,
	    .bytes_per_node = NAN,
	};

	check(r, (int)dtt_results_run_begin(r, &run), "run_begin");
	for (uint64_t t = 0; t <= 300000; t += 5000) {
		check(r, dtt_results_sample(r, t, -1, "alive_nodes", 500), "sample");
		check(r, dtt_results_sample(r, t, -1, "routing_table_mean", 40), "sample");
		for (int n = 0; n < 50; n++)
			check(r,
			      dtt_results_sample(r, t, n, "datagrams",
						 t ? 5.0 * (2.0 + uniform()) : 0),
			      "sample");
	}
	check(r, dtt_results_run_end(r, &end), "run_end");
}

int main(int argc, char **argv)
{
	char err[256];
	struct dtt_results *r;

	if (argc != 2) {
		fprintf(stderr, "usage: synth DB\n");
		return 2;
	}
	r = dtt_results_open(argv[1], err, sizeof(err));
	if (!r) {
		fprintf(stderr, "synth: %s\n", err);
		return 1;
	}
	run_partition_heal(r);
	run_sparse(r);
	dtt_results_close(r);
	return 0;
}
