/* test_sim.c - sim/: event queue order, datagram pool, network model statistics, partitions,
 * crash/rejoin incarnations, expectation checks and run determinism (SIMULATION.md §3); topic
 * members: broadcast metrics (RMR, LDH, latency, missed) on exactly predictable overlays, the
 * overlay's components, leave and rejoin, the tracker over the DHT, DHT clients vs servers
 * (SCENARIOS.md). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "backend.h"
#include "check.h"
#include "dht.h"
#include "dtt.h"
#include "engine.h"
#include "err.h"
#include "net.h"
#include "node.h"
#include "pool.h"
#include "queue.h"
#include "results.h"
#include "rng.h"
#include "rt.h"
#include "scenario.h"

/* --- queue --- */

static void test_queue_pops_by_time_then_key(void **state)
{
	struct dtt_simq q;
	struct dtt_simq_ev ev;
	/* times with ties, and keys that order the ties against insertion; arg = insertion index */
	const uint64_t times[10] = {50, 10, 30, 10, 50, 0, 30, 10, 99, 0};
	const uint64_t keys[10] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
	const uint32_t expect[10] = {9, 5, 7, 3, 1, 6, 2, 4, 0, 8};

	(void)state;
	dtt_simq_init(&q, 0);
	for (uint32_t i = 0; i < 10; i++)
		assert_int_equal(dtt_simq_push(&q, times[i], keys[i], 7, i), 0);
	assert_int_equal(q.count, 10);
	for (int i = 0; i < 10; i++) {
		assert_true(dtt_simq_pop(&q, &ev));
		assert_int_equal(ev.arg, expect[i]);
		assert_int_equal(ev.time_us, times[expect[i]]);
		assert_int_equal(ev.tag, 7);
	}
	assert_false(dtt_simq_pop(&q, &ev));
	assert_null(dtt_simq_peek(&q));
	assert_null(dtt_simq_peek_after(&q));
	dtt_simq_deinit(&q);
}

static void test_queue_interleaved_push_pop_matches_total_order(void **state)
{
	struct dtt_simq q;
	struct dtt_simq_ev ev, prev = {0, 0, 0, 0};
	struct dtt_rng r;
	uint64_t now = 0, popped = 0, key = 0;

	(void)state;
	dtt_rng_seed(&r, 42);
	dtt_simq_init(&q, 0);
	/* hold model: 1000 pending, each pop schedules one more at now + 1 + U[0, 1000) (so the
	 * pops come in (time, key) order); keys are unique and unrelated to insertion order */
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(
		    dtt_simq_push(&q, dtt_rng_uniform(&r, 1000), ++key * 0x9e3779b97f4a7c15ull, 0, i), 0);
	for (int i = 0; i < 100000; i++) {
		assert_true(dtt_simq_pop(&q, &ev));
		assert_true(ev.time_us > prev.time_us ||
			    (ev.time_us == prev.time_us && ev.key > prev.key) || popped == 0);
		assert_true(ev.time_us >= now);
		now = ev.time_us;
		prev = ev;
		popped++;
		assert_int_equal(
		    dtt_simq_push(&q, now + 1 + dtt_rng_uniform(&r, 1000), ++key * 0x9e3779b97f4a7c15ull, 0, 0), 0);
		/* the entry after the top, as the engine's cache hints read it, is the one that
		 * pops after it when nothing is pushed in between */
		if (i % 97 == 0) {
			struct dtt_simq_ev first, second, after = *dtt_simq_peek_after(&q);

			assert_true(dtt_simq_pop(&q, &first));
			assert_true(dtt_simq_pop(&q, &second));
			assert_true(second.time_us == after.time_us && second.key == after.key);
			assert_int_equal(
			    dtt_simq_push(&q, first.time_us, first.key, first.tag, first.arg), 0);
			assert_int_equal(
			    dtt_simq_push(&q, second.time_us, second.key, second.tag, second.arg), 0);
		}
	}
	assert_int_equal(q.count, 1000);
	dtt_simq_deinit(&q);
}

static void test_queue_full_at_events_max(void **state)
{
	struct dtt_simq q;

	(void)state;
	dtt_simq_init(&q, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(dtt_simq_push(&q, 1, (uint64_t)i, 0, 0), 0);
	assert_int_equal(dtt_simq_push(&q, 1, 3, 0, 0), DTT_ERR_FULL);
	dtt_simq_deinit(&q);
}

/* --- pool --- */

static void test_pool_keeps_payloads_and_reuses_slots(void **state)
{
	struct dtt_simpool p;
	uint8_t buf[DTT_SIMPOOL_DGRAM_MAX + 1];
	uint32_t idx[600];
	const uint8_t *first;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	dtt_simpool_init(&p, 0);
	idx[0] = dtt_simpool_put(&p, 1, 2, 3, buf, 100);
	first = dtt_simpool_data(&p, idx[0]);
	/* many more (new chunks) must not move the first payload */
	for (int i = 1; i < 600; i++) {
		idx[i] = dtt_simpool_put(&p, (uint32_t)i, 0, 0, buf, (size_t)(1 + i * 3 % 2048));
		assert_int_not_equal(idx[i], DTT_SIMPOOL_NONE);
	}
	assert_ptr_equal(dtt_simpool_data(&p, idx[0]), first);
	assert_memory_equal(first, buf, 100);
	assert_int_equal(dtt_simpool_pkt(&p, idx[0])->from, 1);
	assert_int_equal(dtt_simpool_pkt(&p, idx[0])->to, 2);
	assert_int_equal(dtt_simpool_pkt(&p, idx[0])->to_inc, 3);
	assert_int_equal(dtt_simpool_pkt(&p, idx[0])->len, 100);
	assert_int_equal(dtt_simpool_pkt(&p, 599)->len, 1 + 599 * 3 % 2048);
	assert_memory_equal(dtt_simpool_data(&p, idx[599]), buf, 1 + 599 * 3 % 2048);
	assert_int_equal(p.live, 600);
	dtt_simpool_release(&p, idx[5]);
	assert_int_equal(dtt_simpool_put(&p, 9, 9, 9, buf, 10), idx[5]); /* LIFO reuse */
	/* empty and oversized datagrams are refused */
	assert_int_equal(dtt_simpool_put(&p, 0, 0, 0, buf, 0), DTT_SIMPOOL_NONE);
	assert_int_equal(dtt_simpool_put(&p, 0, 0, 0, buf, sizeof(buf)), DTT_SIMPOOL_NONE);
	dtt_simpool_deinit(&p);
}

/* --- network model --- */

#define SAMPLES 100000

static void test_net_loss_rate_within_3_sigma(void **state)
{
	const struct dtt_simnet_latency lat = {.dist = DTT_SIMNET_CONSTANT, .value_ms = 10};
	struct dtt_simnet net;
	uint64_t d[2], arrived = 0, dups = 0;
	const double p = 0.1, q = 0.05;
	struct dtt_rng rng;

	(void)state;
	dtt_rng_seed(&rng, 2);
	assert_int_equal(dtt_simnet_init(&net, 100, &lat, 1), 0);
	net.loss = p;
	net.duplicate = q;
	for (int i = 0; i < SAMPLES; i++) {
		int n = dtt_simnet_route(&net, &rng, (uint32_t)i % 100, (uint32_t)(i / 100) % 100, d);

		arrived += n > 0;
		dups += n == 2;
		for (int k = 0; k < n; k++)
			assert_int_equal(d[k], 10000); /* constant 10 ms, no jitter */
	}
	assert_int_equal(net.stats.sent, SAMPLES);
	assert_int_equal(net.stats.lost, SAMPLES - arrived);
	assert_int_equal(net.stats.duplicated, dups);
	assert_true(fabs((double)net.stats.lost - SAMPLES * p) <= 3 * sqrt(SAMPLES * p * (1 - p)));
	/* duplication applies to the datagrams not lost */
	assert_true(fabs((double)dups - (double)arrived * q) <=
		    3 * sqrt((double)arrived * q * (1 - q)));
	dtt_simnet_deinit(&net);
}

static void test_net_lognormal_latency_median_and_sigma(void **state)
{
	const struct dtt_simnet_latency lat = {
	    .dist = DTT_SIMNET_LOGNORMAL, .median_ms = 60, .sigma = 0.5};
	struct dtt_simnet net;
	double sum = 0, sum2 = 0, mean, sd;
	unsigned below = 0;
	const uint32_t n = 1000;

	(void)state;
	assert_int_equal(dtt_simnet_init(&net, n, &lat, 77), 0);
	/* 100k distinct pairs (a < b) */
	for (uint32_t i = 0; i < SAMPLES; i++) {
		uint32_t a = i / 400, b = 500 + i % 400;
		uint64_t us = dtt_simnet_base_us(&net, a, b);
		double l = log((double)us / 1000.0);

		assert_int_equal(us, dtt_simnet_base_us(&net, b, a)); /* symmetric */
		sum += l;
		sum2 += l * l;
		below += us < 60000;
	}
	mean = sum / SAMPLES;
	sd = sqrt(sum2 / SAMPLES - mean * mean);
	/* ln(latency) ~ N(ln 60, 0.5^2): mean within 3 standard errors, sd within 3 SE of an sd */
	assert_true(fabs(mean - log(60.0)) <= 3 * 0.5 / sqrt(SAMPLES));
	assert_true(fabs(sd - 0.5) <= 3 * 0.5 / sqrt(2.0 * SAMPLES) + 1e-3);
	assert_true(fabs((double)below - SAMPLES / 2.0) <= 3 * sqrt(SAMPLES * 0.25));
	/* the pair latency is a function of the seed */
	assert_int_equal(dtt_simnet_base_us(&net, 3, 900), dtt_simnet_base_us(&net, 3, 900));
	net.pair_seed = 78;
	assert_int_not_equal(dtt_simnet_base_us(&net, 3, 900) + dtt_simnet_base_us(&net, 4, 901),
			     0);
	/* no floor: no lower bound; a floor lifts exactly the pairs below it */
	assert_int_equal(dtt_simnet_min_us(&net), 0);
	{
		unsigned lifted = 0;

		below = 0;
		for (uint32_t i = 0; i < SAMPLES; i++) {
			uint32_t a = i / 400, b = 500 + i % 400;
			uint64_t us = dtt_simnet_base_us(&net, a, b);

			net.latency.min_ms = 40;
			below += us < 40000;
			lifted += dtt_simnet_base_us(&net, a, b) == 40000;
			assert_true(dtt_simnet_base_us(&net, a, b) == (us < 40000 ? 40000 : us));
			net.latency.min_ms = 0;
		}
		assert_true(below > SAMPLES / 10 && lifted >= below);
		net.latency.min_ms = 40;
		assert_int_equal(dtt_simnet_min_us(&net), 40000);
	}
	dtt_simnet_deinit(&net);
}

static void test_net_uniform_latency_and_jitter_within_3_sigma(void **state)
{
	const struct dtt_simnet_latency lat = {
	    .dist = DTT_SIMNET_UNIFORM, .min_ms = 10, .max_ms = 110};
	struct dtt_simnet net;
	double sum = 0, jsum = 0;
	uint64_t d[2];
	struct dtt_rng rng;

	(void)state;
	dtt_rng_seed(&rng, 6);
	assert_int_equal(dtt_simnet_init(&net, 1000, &lat, 5), 0);
	net.jitter_ms = 8;
	for (uint32_t i = 0; i < SAMPLES; i++) {
		uint32_t a = i / 400, b = 500 + i % 400;
		uint64_t base = dtt_simnet_base_us(&net, a, b);

		assert_true(base >= 10000 && base <= 110000);
		sum += (double)base / 1000.0;
		assert_int_equal(dtt_simnet_route(&net, &rng, a, b, d), 1);
		assert_true(d[0] >= base && d[0] < base + 8000);
		jsum += (double)(d[0] - base) / 1000.0;
	}
	/* U[10,110]: mean 60, sd 100/sqrt(12); jitter U[0,8): mean 4, sd 8/sqrt(12) */
	assert_true(fabs(sum / SAMPLES - 60) <= 3 * (100 / sqrt(12.0)) / sqrt(SAMPLES));
	assert_true(fabs(jsum / SAMPLES - 4) <= 3 * (8 / sqrt(12.0)) / sqrt(SAMPLES) + 0.001);
	dtt_simnet_deinit(&net);
}

static void test_net_coordinates_latency_is_planar_distance(void **state)
{
	const struct dtt_simnet_latency lat = {
	    .dist = DTT_SIMNET_COORDINATES, .min_ms = 10, .max_ms = 150};
	struct dtt_simnet net;
	const uint32_t n = 600;
	double sum = 0, pairs = 0, x, y, x2, y2;

	(void)state;
	assert_int_equal(dtt_simnet_init(&net, n, &lat, 11), 0);
	for (uint32_t a = 0; a < n; a++) {
		dtt_simnet_coordinates(&net, a, &x, &y);
		assert_true(x >= 0 && x < 1 && y >= 0 && y < 1);
		for (uint32_t b = a + 1; b < n; b++) {
			uint64_t us = dtt_simnet_base_us(&net, a, b);

			dtt_simnet_coordinates(&net, b, &x2, &y2);
			assert_int_equal(us, dtt_simnet_base_us(&net, b, a)); /* symmetric */
			assert_int_equal(us, llround((10 + 140 * hypot(x - x2, y - y2) * M_SQRT1_2) *
						     1000.0));
			assert_true(us >= 10000 && us <= 150000);
			sum += (double)us / 1000.0;
			pairs++;
		}
	}
	/* The mean distance of two uniform points of the unit square is
	 * (2 + sqrt 2 + 5 ln(1 + sqrt 2)) / 15 = 0.5214: the mean latency is 10 + 140 * 0.3687
	 * = 61.6 ms (a uniform draw in [10, 150] would give 80). The pairs share their nodes, so
	 * the tolerance is that of 600 points, not of 179,700 independent pairs. */
	assert_true(fabs(sum / pairs - (10 + 140 * 0.521405 * M_SQRT1_2)) <= 2.0);
	/* Geography: the triangle inequality holds for the distance part of the latency. */
	for (uint32_t a = 0; a + 2 < n; a += 3) {
		double ab = (double)dtt_simnet_base_us(&net, a, a + 1) - 10000;
		double bc = (double)dtt_simnet_base_us(&net, a + 1, a + 2) - 10000;
		double ac = (double)dtt_simnet_base_us(&net, a, a + 2) - 10000;

		assert_true(ac <= ab + bc + 2 && ab <= ac + bc + 2 && bc <= ab + ac + 2);
	}
	/* The points are a function of the seed. */
	dtt_simnet_coordinates(&net, 7, &x, &y);
	net.pair_seed = 12;
	dtt_simnet_coordinates(&net, 7, &x2, &y2);
	assert_true(x != x2 || y != y2);
	dtt_simnet_deinit(&net);
}

static void test_net_partition_splits_by_fraction_and_heal_restores(void **state)
{
	const struct dtt_simnet_latency lat = {.dist = DTT_SIMNET_CONSTANT, .value_ms = 1};
	const double f[3] = {0.5, 0.3, 0.2};
	struct dtt_simnet net;
	struct dtt_rng r;
	unsigned count[4] = {0};
	uint64_t d[2];
	uint32_t a = UINT32_MAX, b = UINT32_MAX;

	(void)state;
	dtt_rng_seed(&r, 9);
	assert_int_equal(dtt_simnet_init(&net, 1000, &lat, 1), 0);
	assert_true(dtt_simnet_can_reach(&net, 0, 999));
	assert_int_equal(dtt_simnet_partition(&net, f, 3, &r), 0);
	for (uint32_t i = 0; i < 1000; i++) {
		assert_true(net.group[i] >= 1 && net.group[i] <= 3);
		count[net.group[i]]++;
	}
	assert_int_equal(count[1], 500);
	assert_int_equal(count[2], 300);
	assert_int_equal(count[3], 200);
	for (uint32_t i = 1; i < 1000 && b == UINT32_MAX; i++) {
		if (net.group[i] == net.group[0])
			a = i;
		else
			b = i;
	}
	for (uint32_t i = 1; i < 1000 && a == UINT32_MAX; i++)
		if (net.group[i] == net.group[0])
			a = i;
	assert_true(dtt_simnet_can_reach(&net, 0, a));
	assert_false(dtt_simnet_can_reach(&net, 0, b));
	assert_int_equal(dtt_simnet_route(&net, &r, 0, b, d), 0);
	assert_int_equal(net.stats.blocked, 1);
	assert_int_equal(dtt_simnet_route(&net, &r, 0, a, d), 1);
	dtt_simnet_heal(&net);
	assert_true(dtt_simnet_can_reach(&net, 0, b));
	assert_int_equal(dtt_simnet_route(&net, &r, 0, b, d), 1);
	assert_int_equal(net.stats.blocked, 1);
	assert_int_equal(dtt_simnet_partition(&net, f, 0, &r), DTT_ERR_INVALID);
	dtt_simnet_deinit(&net);
}

/* --- engine --- */

static const char base_scenario[] = "name: unit\n"
				    "duration: 3m\n"
				    "sample_every: 10s\n"
				    "network: {latency: {dist: constant, value: 100ms}}\n"
				    "dht: {nodes: 6, bootstrap: 6}\n";

static void load_text(struct dtt_scenario *sc, const char *text, const char *const *sets, size_t n)
{
	char err[512];
	int rc = dtt_scenario_parse(sc, "unit.yaml", text, sets, n, err, sizeof(err));

	if (rc)
		fail_msg("scenario: %s", err);
}

static struct dtt_sim *new_sim(const struct dtt_scenario *sc, uint64_t seed,
			       struct dtt_results *res)
{
	struct dtt_sim_options opt = {.seed = seed, .results = res, .log_level = -1};
	char err[512];
	struct dtt_sim *sim = dtt_sim_new(sc, &opt, err, sizeof(err));

	if (!sim)
		fail_msg("sim: %s", err);
	return sim;
}

/* Datagrams neither KRPC nor gossip ('x...') are counted by the node and by nothing else. */
static uint64_t probes_seen(struct dtt_sim *sim, uint32_t i)
{
	struct dtt_node *n = dtt_sim_node(sim, i);

	return n ? n->stats.dropped[DTT_NODE_DROP_UNKNOWN] : 0;
}

static void test_sim_partition_blocks_at_send_and_in_flight_heal_restores(void **state)
{
	static const char text[] = "name: unit\n"
				   "duration: 3m\n"
				   "network: {latency: {dist: constant, value: 100ms}}\n"
				   "dht: {nodes: 8, bootstrap: 8}\n"
				   "events:\n"
				   "  - {at: 1s, partition: {groups: [0.5, 0.5]}}\n"
				   "  - {at: 2s, heal: {}}\n";
	const uint8_t probe[3] = {'x', 'y', 'z'};
	struct dtt_scenario sc;
	struct dtt_sim *sim;
	uint64_t seen[8], blocked;

	(void)state;
	load_text(&sc, text, NULL, 0);
	sim = new_sim(&sc, 3, NULL);
	/* before the cut: everyone hears node 0 */
	assert_int_equal(dtt_sim_run_until(sim, 500), 0);
	for (uint32_t i = 1; i < 8; i++)
		assert_int_equal(dtt_sim_inject(sim, 0, i, probe, sizeof(probe)), 0);
	assert_int_equal(dtt_sim_run_until(sim, 650), 0);
	for (uint32_t i = 1; i < 8; i++)
		assert_int_equal(probes_seen(sim, i), 1);
	/* sent at 950 ms, due at 1050 ms: the cut at 1 s catches them in flight */
	assert_int_equal(dtt_sim_run_until(sim, 950), 0);
	for (uint32_t i = 1; i < 8; i++)
		assert_int_equal(dtt_sim_inject(sim, 0, i, probe, sizeof(probe)), 0);
	assert_int_equal(dtt_sim_run_until(sim, 1200), 0);
	for (uint32_t i = 1; i < 8; i++) {
		bool same = dtt_sim_partition_label(sim, i) == dtt_sim_partition_label(sim, 0);

		assert_int_not_equal(dtt_sim_partition_label(sim, i), 0);
		assert_int_equal(probes_seen(sim, i), same ? 2 : 1);
		seen[i] = probes_seen(sim, i);
	}
	/* during the cut: blocked at send */
	blocked = dtt_sim_net_stats(sim)->blocked;
	for (uint32_t i = 1; i < 8; i++)
		assert_int_equal(dtt_sim_inject(sim, 0, i, probe, sizeof(probe)), 0);
	{
		uint64_t cross = 0;

		for (uint32_t i = 1; i < 8; i++)
			cross += dtt_sim_partition_label(sim, i) != dtt_sim_partition_label(sim, 0);
		assert_true(cross >= 1);
		assert_int_equal(dtt_sim_net_stats(sim)->blocked, blocked + cross);
	}
	assert_int_equal(dtt_sim_run_until(sim, 1500), 0);
	for (uint32_t i = 1; i < 8; i++) {
		bool same = dtt_sim_partition_label(sim, i) == dtt_sim_partition_label(sim, 0);

		assert_int_equal(probes_seen(sim, i), seen[i] + (same ? 1 : 0));
		seen[i] = probes_seen(sim, i);
	}
	/* after the heal at 2 s everyone hears node 0 again */
	assert_int_equal(dtt_sim_run_until(sim, 2500), 0);
	for (uint32_t i = 1; i < 8; i++) {
		assert_int_equal(dtt_sim_partition_label(sim, i), 0);
		assert_int_equal(dtt_sim_inject(sim, 0, i, probe, sizeof(probe)), 0);
	}
	assert_int_equal(dtt_sim_run_until(sim, 2700), 0);
	for (uint32_t i = 1; i < 8; i++)
		assert_int_equal(probes_seen(sim, i), seen[i] + 1);
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

static void test_sim_rejoin_keeps_identity_and_drops_old_incarnation_traffic(void **state)
{
	static const char text[] = "name: unit\n"
				   "duration: 5m\n"
				   "network: {latency: {dist: constant, value: 100ms}}\n"
				   "dht: {nodes: 10, bootstrap: 2}\n"
				   "events:\n"
				   "  - {at: 1m, churn: {crash: 1.0}}\n"
				   "  - {at: 2m, churn: {rejoin: all}}\n";
	const uint8_t probe[1] = {'x'};
	uint8_t ids[10][DTT_DHT_ID_BYTES];
	struct dtt_scenario sc;
	struct dtt_sim *sim;
	uint64_t undeliverable;

	(void)state;
	load_text(&sc, text, NULL, 0);
	sim = new_sim(&sc, 11, NULL);
	assert_int_equal(dtt_sim_run_until(sim, 59000), 0);
	for (uint32_t i = 0; i < 10; i++) {
		assert_non_null(dtt_sim_node(sim, i));
		memcpy(ids[i], dtt_dht_id(dtt_node_dht(dtt_sim_node(sim, i))), DTT_DHT_ID_BYTES);
	}
	/* every node but the two bootstrap nodes crashes at 1 m */
	assert_int_equal(dtt_sim_run_until(sim, 60000), 0);
	assert_non_null(dtt_sim_node(sim, 0));
	assert_non_null(dtt_sim_node(sim, 1));
	for (uint32_t i = 2; i < 10; i++)
		assert_null(dtt_sim_node(sim, i));
	/* sent to the crashed incarnation, due after the rejoin at 2 m: dropped */
	assert_int_equal(dtt_sim_run_until(sim, 119950), 0);
	undeliverable = dtt_sim_net_stats(sim)->undeliverable;
	assert_int_equal(dtt_sim_inject(sim, 0, 5, probe, 1), 0);
	assert_int_equal(dtt_sim_run_until(sim, 120500), 0);
	assert_non_null(dtt_sim_node(sim, 5));
	assert_int_equal(probes_seen(sim, 5), 0);
	assert_true(dtt_sim_net_stats(sim)->undeliverable >= undeliverable + 1);
	/* the new incarnation hears new traffic and has its old id */
	assert_int_equal(dtt_sim_inject(sim, 0, 5, probe, 1), 0);
	assert_int_equal(dtt_sim_run_until(sim, 121000), 0);
	assert_int_equal(probes_seen(sim, 5), 1);
	for (uint32_t i = 0; i < 10; i++)
		assert_memory_equal(dtt_dht_id(dtt_node_dht(dtt_sim_node(sim, i))), ids[i],
				    DTT_DHT_ID_BYTES);
	assert_int_equal(dtt_sim_run(sim), 0);
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

static const char workload_scenario[] =
    "name: unit-work\n"
    "duration: 4m\n"
    "sample_every: 10s\n"
    "network: {latency: {dist: lognormal, median: 30ms, sigma: 0.5}, jitter: 5ms, loss: 0.02}\n"
    "dht: {nodes: 40, bootstrap: 4, join: {over: 30s}}\n"
    "workload: {keys: 4, start: 1m, puts: {every: 5s}, gets: {every: 2s}}\n"
    "events:\n"
    "  - {at: 3m, churn: {crash: 0.25}}\n"
    "  - {at: 3m30s, churn: {rejoin: all}}\n";

static uint64_t run_digest(const struct dtt_scenario *sc, uint64_t seed, struct dtt_results *res)
{
	struct dtt_sim *sim = new_sim(sc, seed, res);
	uint64_t d;

	assert_int_equal(dtt_sim_run(sim), 0);
	d = dtt_sim_digest(sim);
	dtt_sim_free(sim);
	return d;
}

/* --- the backend interface: a backend that counts its calls and hands them to the built-in
 * one; the run must go through it alone and give the built-in digest --- */

static struct {
	size_t opens, closes, schedules, sends, runs;
} calls;

static int counting_open(struct dtt_sim *sim, void **be, char *err, size_t err_len)
{
	calls.opens++;
	return dtt_sim_builtin_backend.open(sim, be, err, err_len);
}

static void counting_close(void *be)
{
	calls.closes++;
	dtt_sim_builtin_backend.close(be);
}

static int counting_schedule(void *be, uint64_t t_us, uint32_t tag, uint32_t arg)
{
	calls.schedules++;
	return dtt_sim_builtin_backend.schedule(be, t_us, tag, arg);
}

static void counting_send(void *be, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	calls.sends++;
	dtt_sim_builtin_backend.send(be, from, to, buf, len);
}

static int counting_run_until(void *be, uint64_t lim_us)
{
	calls.runs++;
	return dtt_sim_builtin_backend.run_until(be, lim_us);
}

static size_t counting_pending(void *be)
{
	return dtt_sim_builtin_backend.pending(be);
}

static const struct dtt_sim_backend_ops counting_backend = {
    .name = "counting",
    .open = counting_open,
    .close = counting_close,
    .schedule = counting_schedule,
    .send = counting_send,
    .run_until = counting_run_until,
    .pending = counting_pending,
};

static int refusing_open(struct dtt_sim *sim, void **be, char *err, size_t err_len)
{
	(void)sim;
	(void)be;
	snprintf(err, err_len, "no network here");
	return DTT_ERR_IO;
}

static void test_sim_runs_through_its_backend_alone(void **state)
{
	struct dtt_scenario sc;
	struct dtt_sim_options opt = {.seed = 3, .log_level = -1, .backend = &counting_backend};
	struct dtt_sim_backend_ops refusing = counting_backend;
	struct dtt_sim *sim;
	char err[512];
	uint64_t builtin;

	(void)state;
	load_text(&sc, workload_scenario, NULL, 0);
	builtin = run_digest(&sc, 3, NULL);
	memset(&calls, 0, sizeof(calls));
	sim = dtt_sim_new(&sc, &opt, err, sizeof(err));
	assert_non_null(sim);
	assert_int_equal(calls.opens, 1);
	assert_int_equal(dtt_sim_run(sim), 0);
	assert_true(dtt_sim_digest(sim) == builtin);
	assert_true(calls.schedules > 1000 && calls.runs >= 1);
	/* every datagram the nodes sent went to the backend, and only there */
	assert_true(calls.sends > 1000);
	assert_int_equal(calls.sends, dtt_sim_net_stats(sim)->sent);
	dtt_sim_free(sim);
	assert_int_equal(calls.closes, 1);

	refusing.open = refusing_open;
	opt.backend = &refusing;
	assert_null(dtt_sim_new(&sc, &opt, err, sizeof(err)));
	assert_non_null(strstr(err, "counting backend: no network here"));
	dtt_scenario_deinit(&sc);
}

/* Every row of a query, as text, one line per row. */
static char *query_text(const char *db, const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);

	assert_non_null(out);
	out[0] = 0;
	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(st); c++) {
			const char *v = (const char *)sqlite3_column_text(st, c);
			size_t n = strlen(v ? v : "NULL") + 2;

			if (len + n + 1 > cap) {
				cap = (len + n + 1) * 2;
				out = realloc(out, cap);
				assert_non_null(out);
			}
			len += (size_t)sprintf(out + len, "%s%c", v ? v : "NULL",
					       c + 1 == sqlite3_column_count(st) ? '\n' : '|');
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static void test_sim_same_seed_same_digest_and_rows_other_seed_differs(void **state)
{
	/* wall-clock dependent: events_per_s and rss_bytes samples; everything else must match */
	static const char *const queries[] = {
	    "SELECT s.t_ms, s.node_id, m.name, s.value FROM sample s JOIN metric m "
	    "USING(metric_id) WHERE s.run_id = ?RUN AND m.name NOT IN ('events_per_s', "
	    "'rss_bytes') ORDER BY s.t_ms, m.name",
	    "SELECT t_ms, kind, node_id, outcome, latency_ms, delivered FROM message WHERE "
	    "run_id = ?RUN ORDER BY rowid",
	    "SELECT t_ms, node_id, kind, peer_id, arg, detail FROM event WHERE run_id = ?RUN "
	    "ORDER BY rowid",
	    "SELECT node_id, kind, join_ms, leave_ms FROM node WHERE run_id = ?RUN ORDER BY "
	    "node_id",
	    "SELECT seed, events, sim_end_ms, digest, status FROM run WHERE run_id = ?RUN",
	};
	char dir[] = "/tmp/dtt-test-sim-XXXXXX", db[2][128], err[256], sql[512];
	struct dtt_scenario sc;
	uint64_t d[3];
	size_t messages = 0;

	(void)state;
	load_text(&sc, workload_scenario, NULL, 0);
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 2; i++) {
		struct dtt_results *r;

		snprintf(db[i], sizeof(db[i]), "%s/run%d.db", dir, i);
		r = dtt_results_open(db[i], err, sizeof(err));
		if (!r)
			fail_msg("results: %s", err);
		d[i] = run_digest(&sc, 5, r);
		dtt_results_close(r);
	}
	assert_int_equal(d[0], d[1]);
	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		char *a, *b;
		const char *p = strstr(queries[q], "?RUN");

		snprintf(sql, sizeof(sql), "%.*s1%s", (int)(p - queries[q]), queries[q], p + 4);
		a = query_text(db[0], sql);
		b = query_text(db[1], sql);
		assert_true(strlen(a) > 0);
		assert_string_equal(a, b);
		if (q == 1)
			for (const char *c = a; *c; c++)
				messages += *c == '\n';
		free(a);
		free(b);
	}
	/* the workload ran: ~150 gets and ~36 puts, with outcomes */
	assert_true(messages > 100);
	d[2] = run_digest(&sc, 6, NULL);
	assert_int_not_equal(d[0], d[2]);
	for (int i = 0; i < 2; i++) {
		char f[300];

		unlink(db[i]);
		snprintf(f, sizeof(f), "%s-wal", db[i]);
		unlink(f);
		snprintf(f, sizeof(f), "%s-shm", db[i]);
		unlink(f);
	}
	rmdir(dir);
	dtt_scenario_deinit(&sc);
}

static void test_sim_workload_finds_values_and_samples_metrics(void **state)
{
	struct dtt_scenario sc;
	struct dtt_sim_series se;
	struct dtt_sim *sim;
	struct dtt_sim_bench b;
	double ok = 0, total = 0;

	(void)state;
	load_text(&sc, workload_scenario, NULL, 0);
	sim = new_sim(&sc, 1, NULL);
	assert_int_equal(dtt_sim_run(sim), 0);
	dtt_sim_bench(sim, &b);
	assert_true(b.gets >= 80); /* 4m - 1m at one per 2 s, once some key is stored */
	assert_true(b.puts >= 30); /* one per 5 s */
	assert_true(b.gets_ok > 0);
	assert_true(b.delivered > 0 && b.wakes > 0);
	assert_int_equal(b.sim_end_ms, 240000);
	assert_true(dtt_sim_series(sim, "alive_nodes", &se));
	assert_int_equal(se.count, 24); /* one every 10 s */
	assert_int_equal(se.t_ms[0], 10000);
	assert_int_equal(se.t_ms[23], 240000);
	/* a scenario event at a sample's time happens before the sample */
	assert_true(se.value[16] == 40.0);	 /* 2m50s */
	assert_true(se.value[17] == 40.0 - 9.0); /* 3m00s: 25% of the 36 non-bootstrap nodes */
	assert_true(se.value[19] == 40.0 - 9.0); /* 3m20s */
	assert_true(se.value[20] == 40.0);	 /* 3m30s: all back */
	assert_true(dtt_sim_series(sim, "get_success", &se));
	for (size_t i = 0; i < se.count; i++) {
		ok += se.value[i] * se.weight[i];
		total += se.weight[i];
	}
	assert_true(total == (double)b.gets);
	assert_true(fabs(ok - (double)b.gets_ok) < 1e-6);
	assert_false(dtt_sim_series(sim, "no_such_metric", &se));
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

static void test_sim_stops_at_until_and_rejects_unknown_nodes(void **state)
{
	struct dtt_scenario sc;
	struct dtt_sim_options opt = {.seed = 1, .until_ms = 30000, .log_level = -1};
	struct dtt_sim *sim;
	char err[256];

	(void)state;
	load_text(&sc, base_scenario, NULL, 0);
	sim = dtt_sim_new(&sc, &opt, err, sizeof(err));
	assert_non_null(sim);
	assert_int_equal(dtt_sim_run(sim), 0);
	assert_int_equal(dtt_sim_now_ms(sim), 30000);
	assert_int_equal(dtt_sim_end_ms(sim), 30000);
	assert_int_equal(dtt_sim_inject(sim, 0, 99, (const uint8_t *)"x", 1), DTT_ERR_INVALID);
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

/* --- topic members --- */

/* Three gossip-only members with 50 ms between any two: everyone ends up neighbour of
 * everyone, so the first broadcast from member 0 floods (A->B, A->C, then B->C and C->B: four
 * payloads for two deliveries, RMR 1), the duplicates prune B-C to lazy (two Prunes: six
 * PlumTree datagrams), and every later broadcast costs exactly two payloads (RMR 0) and the two
 * IHaves B and C send each other (four datagrams). Each delivery is one hop after 50 ms. */
static const char triangle[] = "name: tri\n"
			       "duration: 40s\n"
			       "sample_every: 5s\n"
			       "network: {latency: {dist: constant, value: 50ms}}\n"
			       "dht: {nodes: 0}\n"
			       "topics:\n"
			       "  - name: tri\n"
			       "    members: 3\n"
			       "    bootstrap: peers\n"
			       "    peers: 2\n"
			       "    join: {at: 0s, over: 2s}\n"
			       "    traffic: {every: 5s, senders: single, start: 10s, count: 4}\n";

static void expect_series(struct dtt_sim *sim, const char *metric, const double *want, size_t n)
{
	struct dtt_sim_series se;

	if (!dtt_sim_series(sim, metric, &se))
		fail_msg("no series %s", metric);
	if (se.count != n)
		fail_msg("%s: %zu points, want %zu", metric, se.count, n);
	for (size_t i = 0; i < n; i++)
		if (se.value[i] != want[i])
			fail_msg("%s[%zu] = %g, want %g", metric, i, se.value[i], want[i]);
}

static double last_value(struct dtt_sim *sim, const char *metric)
{
	struct dtt_sim_series se;

	assert_true(dtt_sim_series(sim, metric, &se));
	assert_true(se.count > 0);
	return se.value[se.count - 1];
}

static void test_members_broadcast_metrics_on_a_triangle(void **state)
{
	static const double rmr[] = {1, 0, 0, 0}, ldh[] = {1, 1, 1, 1}, lat[] = {50, 50, 50, 50};
	static const double delivered[] = {2, 2, 2, 2}, zero[] = {0, 0, 0, 0};
	static const double one[] = {1, 1, 1, 1};
	struct dtt_sim_topic_stats ts;
	struct dtt_scenario sc;
	struct dtt_sim *sim;

	(void)state;
	load_text(&sc, triangle, NULL, 0);
	assert_int_equal(sc.members, 3);
	sim = new_sim(&sc, 1, NULL);
	assert_int_equal(dtt_sim_run(sim), 0);
	expect_series(sim, "rmr", rmr, 4);
	expect_series(sim, "ldh", ldh, 4);
	expect_series(sim, "broadcast_p50_ms", lat, 4);
	expect_series(sim, "broadcast_p99_ms", lat, 4);
	expect_series(sim, "delivered", delivered, 4);
	expect_series(sim, "missed", zero, 4);
	expect_series(sim, "delivery_ratio", one, 4);
	assert_true(last_value(sim, "components") == 1);
	assert_true(last_value(sim, "joined_fraction") == 1);
	assert_true(last_value(sim, "largest_component_fraction") == 1);
	assert_true(last_value(sim, "degree_min") == 2 && last_value(sim, "degree_max") == 2);
	assert_true(last_value(sim, "members_alive") == 3);
	assert_true(last_value(sim, "bubbles") == 0);
	assert_int_equal(dtt_sim_topics(sim), 1);
	dtt_sim_topic_stats(sim, 0, &ts);
	assert_string_equal(ts.name, "tri");
	assert_int_equal(ts.broadcasts, 4);
	assert_int_equal(ts.delivered, 8);
	assert_int_equal(ts.missed, 0);
	assert_int_equal(ts.joins, 3);
	assert_true(ts.rmr_mean == 0.25 && ts.ldh_mean == 1.0 && ts.ldh_max == 1);
	/* per broadcast: the origin's 2 payloads and 2 announcements, and the other two
	 * members' announcements to each other; the first also prunes the duplicate path (2
	 * more): (8 + 6 + 6 + 6) / 4 */
	if (!(ts.tree_msgs_mean == 6.5 && fabs(ts.tree_msgs_member_mean - 6.5 / 3) < 1e-9))
		fail_msg("tree_msgs_mean %g, per member %g", ts.tree_msgs_mean, ts.tree_msgs_member_mean);
	assert_int_equal(ts.late, 0);
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

/* The rows a member run writes: members in `node`, neighbour events naming the peer's index,
 * one `message` row per broadcast with its figures. */
static void test_members_write_broadcast_rows_and_neighbor_events(void **state)
{
	char dir[] = "/tmp/dtt-test-sim-XXXXXX", db[128], err[256], f[300];
	struct dtt_scenario sc;
	struct dtt_results *r;
	char *rows;

	(void)state;
	load_text(&sc, triangle, NULL, 0);
	assert_non_null(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/tri.db", dir);
	r = dtt_results_open(db, err, sizeof(err));
	if (!r)
		fail_msg("results: %s", err);
	run_digest(&sc, 1, r);
	dtt_results_close(r);
	rows = query_text(db, "SELECT t_ms, node_id, outcome, latency_ms, delivered, missed, rmr, "
			      "ldh, p50_ms, p99_ms, datagrams FROM message WHERE kind = 'broadcast' "
			      "ORDER BY t_ms");
	assert_string_equal(rows, "10000|0|ok|50.0|2|0|1.0|1.0|50.0|50.0|8\n"
				  "15000|0|ok|50.0|2|0|0.0|1.0|50.0|50.0|6\n"
				  "20000|0|ok|50.0|2|0|0.0|1.0|50.0|50.0|6\n"
				  "25000|0|ok|50.0|2|0|0.0|1.0|50.0|50.0|6\n");
	free(rows);
	rows = query_text(db, "SELECT group_concat(kind) FROM node");
	assert_string_equal(rows, "member,member,member\n");
	free(rows);
	/* each member saw both others come up, and joined once */
	rows = query_text(db, "SELECT node_id, group_concat(peer_id) FROM (SELECT node_id, peer_id "
			      "FROM event WHERE kind = 'neighbor_up' ORDER BY node_id, peer_id) "
			      "GROUP BY node_id");
	assert_string_equal(rows, "0|1,2\n1|0,2\n2|0,1\n");
	free(rows);
	rows = query_text(db, "SELECT count(*), count(DISTINCT node_id), min(arg) > 0 FROM event "
			      "WHERE kind = 'joined'");
	assert_string_equal(rows, "3|3|1\n");
	free(rows);
	rows = query_text(db, "SELECT strategy, nodes FROM run");
	assert_string_equal(rows, "reference|3\n");
	free(rows);
	unlink(db);
	snprintf(f, sizeof(f), "%s-wal", db);
	unlink(f);
	snprintf(f, sizeof(f), "%s-shm", db);
	unlink(f);
	rmdir(dir);
	dtt_scenario_deinit(&sc);
}

/* A cut 1 ms after the first broadcast isolates every member: the payloads in flight die, the
 * overlay still believes in its links (components 1), so both other members count as missed;
 * again 5 s later; once the links' liveness timeout has dropped every neighbour nobody is
 * joined and the rounds are skipped. */
static void test_members_missed_counts_the_senders_component(void **state)
{
	static const char text[] =
	    "name: tri2\n"
	    "duration: 40s\n"
	    "sample_every: 5s\n"
	    "network: {latency: {dist: constant, value: 50ms}}\n"
	    "dht: {nodes: 0}\n"
	    "topics:\n"
	    "  - name: tri\n"
	    "    members: 3\n"
	    "    bootstrap: peers\n"
	    "    peers: 2\n"
	    "    join: {at: 0s, over: 2s}\n"
	    "    traffic: {every: 5s, senders: single, start: 10s, count: 4}\n"
	    "events:\n"
	    "  - {at: 10s1ms, partition: {groups: [0.34, 0.33, 0.33]}}\n";
	static const double missed[] = {2, 2}, delivered[] = {0, 0}, ratio[] = {0, 0};
	static const double comps[] = {1, 1, 1, 3, 3, 3, 3, 3};
	struct dtt_sim_topic_stats ts;
	struct dtt_sim_series se;
	struct dtt_scenario sc;
	struct dtt_sim *sim;

	(void)state;
	load_text(&sc, text, NULL, 0);
	sim = new_sim(&sc, 1, NULL);
	assert_int_equal(dtt_sim_run(sim), 0);
	expect_series(sim, "missed", missed, 2);
	expect_series(sim, "delivered", delivered, 2);
	expect_series(sim, "delivery_ratio", ratio, 2);
	expect_series(sim, "components", comps, 8);
	assert_true(dtt_sim_series(sim, "rmr", &se)); /* undefined without deliveries */
	assert_int_equal(se.count, 0);
	dtt_sim_topic_stats(sim, 0, &ts);
	assert_int_equal(ts.broadcasts, 2);
	assert_int_equal(ts.broadcasts_skipped, 2);
	assert_int_equal(ts.missed, 4);
	assert_int_equal(ts.joined, 0);
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

static const uint8_t *topic_id(const char *name, struct dtt_topic_id *id)
{
	dtt_topic_id_from_name(id, name);
	return id->bytes;
}

/* A member that leaves says goodbye: its neighbours drop it at once (long before the 6 s
 * liveness timeout); members crashed and rejoined come back with their identity and rejoin the
 * overlay. */
static void test_members_leave_at_once_and_rejoin_with_their_identity(void **state)
{
	static const char text[] = "name: churn\n"
				   "duration: 2m\n"
				   "sample_every: 5s\n"
				   "network: {latency: {dist: constant, value: 20ms}}\n"
				   "dht: {nodes: 0}\n"
				   "topics:\n"
				   "  - name: c\n"
				   "    members: 12\n"
				   "    bootstrap: peers\n"
				   "    join: {at: 0s, over: 3s}\n"
				   "events:\n"
				   "  - {at: 30s, churn: {leave: 0.25}}\n"
				   "  - {at: 50s, churn: {crash: 0.5}}\n"
				   "  - {at: 1m20s, churn: {rejoin: all}}\n";
	uint8_t ids[12][32], nb[64][32];
	struct dtt_topic_id tid;
	struct dtt_scenario sc;
	struct dtt_sim *sim;
	int left = 0, down = 0;

	(void)state;
	load_text(&sc, text, NULL, 0);
	sim = new_sim(&sc, 4, NULL);
	assert_int_equal(dtt_sim_run_until(sim, 29000), 0);
	for (uint32_t i = 0; i < 12; i++) {
		struct dtt_node *n = dtt_sim_node(sim, i);

		assert_non_null(n);
		memcpy(ids[i], dtt_node_id(n), 32);
		assert_true(dtt_gossip_is_joined(dtt_node_gossip(n), topic_id("c", &tid)));
	}
	/* 300 ms after the leave: nobody lists a member that left */
	assert_int_equal(dtt_sim_run_until(sim, 30300), 0);
	for (uint32_t i = 0; i < 12; i++) {
		struct dtt_node *n = dtt_sim_node(sim, i);
		size_t k;

		if (!n) {
			left++;
			continue;
		}
		k = dtt_gossip_neighbors(dtt_node_gossip(n), tid.bytes, nb, 64);
		for (size_t j = 0; j < k; j++)
			for (uint32_t x = 0; x < 12; x++)
				if (!dtt_sim_node(sim, x) && !memcmp(nb[j], ids[x], 32))
					fail_msg("member %u still lists member %u", i, x);
	}
	assert_int_equal(left, 3);
	assert_int_equal(dtt_sim_run_until(sim, 60000), 0);
	for (uint32_t i = 0; i < 12; i++)
		down += dtt_sim_node(sim, i) == NULL;
	assert_int_equal(down, 3 + 5); /* half of the 9 still up, rounded */
	assert_int_equal(dtt_sim_run(sim), 0);
	for (uint32_t i = 0; i < 12; i++) {
		assert_non_null(dtt_sim_node(sim, i));
		assert_memory_equal(dtt_node_id(dtt_sim_node(sim, i)), ids[i], 32);
	}
	assert_true(last_value(sim, "members_alive") == 12);
	assert_true(last_value(sim, "joined_fraction") == 1);
	assert_true(last_value(sim, "components") == 1);
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

/* Members of a topic on a DHT: the tracker publishes records and reads slots (DHT load is
 * counted), everyone joins one swarm; DHT clients (BEP 43) never enter a routing table, DHT
 * servers do. Partitions, skews and churn reach the members. */
static void run_tracker_topic(bool servers, uint64_t *in_tables, struct dtt_sim **out)
{
	static const char text[] =
	    "name: trk\n"
	    "duration: 4m\n"
	    "sample_every: 10s\n"
	    "network: {latency: {dist: lognormal, median: 30ms, sigma: 0.5}}\n"
	    "dht: {nodes: 40, bootstrap: 4, join: {over: 20s}}\n"
	    "topics:\n"
	    "  - name: t\n"
	    "    secret: s3cret\n"
	    "    members: 10\n"
	    "    join: {at: 40s, over: 20s}\n"
	    "    traffic: {every: 10s, start: 2m}\n"
	    "events:\n"
	    "  - {at: 0s, clock_skew: {members: 1.0, max: 20s}}\n";
	const char *sets[1] = {servers ? "dht.members_are=server" : "dht.members_are=client"};
	struct dtt_scenario sc;
	struct dtt_sim *sim;

	load_text(&sc, text, sets, 1);
	assert_int_equal(sc.dht.members_are_servers, servers);
	sim = new_sim(&sc, 2, NULL);
	assert_int_equal(dtt_sim_run(sim), 0);
	*in_tables = 0;
	for (uint32_t d = 0; d < 40; d++) {
		struct dtt_node *dn = dtt_sim_node(sim, d);

		for (uint32_t m = 40; m < 50; m++) {
			struct dtt_rt_info info;

			*in_tables += dtt_rt_get(dtt_dht_rt(dtt_node_dht(dn)),
						 dtt_dht_id(dtt_node_dht(dtt_sim_node(sim, m))),
						 dtt_sim_now_ms(sim), &info);
		}
	}
	*out = sim;
	dtt_scenario_deinit(&sc);
}

static double series_sum(struct dtt_sim *sim, const char *metric)
{
	struct dtt_sim_series se;
	double sum = 0;

	assert_true(dtt_sim_series(sim, metric, &se));
	for (size_t i = 0; i < se.count; i++)
		sum += se.value[i];
	return sum;
}

static void test_members_join_through_the_tracker_as_dht_clients_or_servers(void **state)
{
	struct dtt_sim_topic_stats ts;
	struct dtt_sim *sim;
	uint64_t in_tables;

	(void)state;
	run_tracker_topic(false, &in_tables, &sim);
	assert_int_equal(in_tables, 0);
	assert_true(last_value(sim, "joined_fraction") == 1);
	assert_true(last_value(sim, "components") == 1);
	assert_true(series_sum(sim, "records_published") > 0);
	assert_true(series_sum(sim, "dht_gets_per_member_min") > 0);
	assert_true(series_sum(sim, "dht_puts_per_member_min") > 0);
	assert_true(series_sum(sim, "dht_hottest_rps") > 0);
	assert_true(series_sum(sim, "datagrams_dht") > 0);
	assert_true(series_sum(sim, "datagrams_gossip") > 0);
	assert_true(series_sum(sim, "bytes_gossip") > series_sum(sim, "datagrams_gossip"));
	dtt_sim_topic_stats(sim, 0, &ts);
	assert_int_equal(ts.joins, 10);
	assert_int_equal(ts.never_joined, 0);
	assert_true(ts.published > 0 && ts.dht_gets > 0 && ts.dht_puts >= ts.published);
	assert_true(ts.broadcasts >= 10 && ts.missed == 0);
	dtt_sim_free(sim);
	run_tracker_topic(true, &in_tables, &sim);
	assert_true(in_tables > 0);
	assert_true(last_value(sim, "joined_fraction") == 1);
	dtt_sim_free(sim);
}

/* Same scenario and seed: same digest and the same member rows; joins, partitions, churn and
 * traffic all included. */
/* Lanes change how the run is cut into windows, never what it does: the digest and the
 * figures are those of one lane, for any number of lanes. */
static uint64_t run_lanes(const struct dtt_scenario *sc, uint32_t lanes, double *sums)
{
	static const char *const names[] = {"datagrams", "gets", "get_success", "broadcasts@a",
					    "delivery_ratio@b", "neighbor_changes_per_member_min@a"};
	struct dtt_sim_options opt = {.seed = 5, .log_level = -1, .lanes = lanes};
	char err[512];
	struct dtt_sim *sim = dtt_sim_new(sc, &opt, err, sizeof(err));
	uint64_t d;

	if (!sim)
		fail_msg("sim: %s", err);
	assert_int_equal(dtt_sim_run(sim), 0);
	d = dtt_sim_digest(sim);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		sums[i] = series_sum(sim, names[i]);
	dtt_sim_free(sim);
	return d;
}

static void test_lanes_change_nothing(void **state)
{
	static const char text[] =
	    "name: lanes\n"
	    "duration: 4m\n"
	    "sample_every: 10s\n"
	    "network: {latency: {dist: uniform, min: 15ms, max: 80ms}, jitter: 5ms, loss: 0.02, "
	    "duplicate: 0.01}\n"
	    "dht: {nodes: 30, bootstrap: 3, join: {over: 20s}}\n"
	    "workload: {keys: 300, start: 40s, puts: {every: 20ms}, gets: {every: 50ms, keys: recent}}\n"
	    "topics:\n"
	    "  - {name: a, members: 12, join: {at: 30s, over: 20s}, "
	    "traffic: {every: 5s, senders: all}}\n"
	    "  - {name: b, members: 9, bootstrap: peers, join: {at: 40s, over: 10s}, "
	    "traffic: {every: 3s, size: 1200}}\n"
	    "events:\n"
	    "  - {at: 1m30s, partition: {groups: [0.5, 0.5]}}\n"
	    "  - {at: 2m, heal: {}}\n"
	    "  - {at: 2m30s, churn: {crash: 0.25, of: all}}\n"
	    "  - {at: 3m, churn: {rejoin: all}}\n";
	static const uint32_t lanes[] = {2, 3, 7};
	struct dtt_scenario sc;
	double one[6], many[6];
	uint64_t d;

	(void)state;
	load_text(&sc, text, NULL, 0);
	d = run_lanes(&sc, 1, one);
	assert_true(one[0] > 0 && one[1] > 0 && one[3] > 0);
	for (size_t i = 0; i < sizeof(lanes) / sizeof(lanes[0]); i++) {
		assert_int_equal(run_lanes(&sc, lanes[i], many), d);
		assert_memory_equal(many, one, sizeof(one));
	}
	dtt_scenario_deinit(&sc);
	/* a latency model with no floor leaves no window: one lane only */
	{
		struct dtt_sim_options opt = {.seed = 5, .log_level = -1, .lanes = 2};
		char err[512];

		load_text(&sc, base_scenario, NULL, 0);
		sc.network.latency.dist = DTT_SIMNET_LOGNORMAL;
		sc.network.latency.median_ms = 30;
		sc.network.latency.sigma = 0.5;
		assert_null(dtt_sim_new(&sc, &opt, err, sizeof(err)));
		assert_non_null(strstr(err, "lanes"));
		dtt_scenario_deinit(&sc);
	}
}

static void test_members_same_seed_same_digest(void **state)
{
	static const char text[] =
	    "name: det\n"
	    "duration: 3m\n"
	    "network: {latency: {dist: lognormal, median: 30ms, sigma: 0.5}, "
	    "jitter: 5ms, loss: 0.02}\n"
	    "dht: {nodes: 20, bootstrap: 3, join: {over: 10s}}\n"
	    "topics:\n"
	    "  - {name: a, members: 8, join: {at: 20s, over: 10s}, "
	    "traffic: {every: 5s, senders: all}}\n"
	    "  - {name: b, members: 8, bootstrap: peers, "
	    "traffic: {every: 3s, size: 1500}}\n"
	    "events:\n"
	    "  - {at: 1m, partition: {groups: [0.5, 0.5]}}\n"
	    "  - {at: 1m30s, heal: {}}\n"
	    "  - {at: 2m, churn: {crash: 0.25, of: all}}\n";
	struct dtt_scenario sc;
	struct dtt_sim *sim;
	uint64_t d[3];

	(void)state;
	load_text(&sc, text, NULL, 0);
	d[0] = run_digest(&sc, 9, NULL);
	d[1] = run_digest(&sc, 9, NULL);
	d[2] = run_digest(&sc, 10, NULL);
	assert_int_equal(d[0], d[1]);
	assert_int_not_equal(d[0], d[2]);
	/* with two topics, per-topic metrics are named metric@topic */
	sim = new_sim(&sc, 9, NULL);
	assert_int_equal(dtt_sim_run(sim), 0);
	assert_true(last_value(sim, "members_alive@a") + last_value(sim, "members_alive@b") +
			last_value(sim, "alive_nodes") >
		    0);
	assert_true(series_sum(sim, "broadcasts@b") > 0);
	{
		struct dtt_sim_series se;

		assert_false(dtt_sim_series(sim, "components", &se));
	}
	dtt_sim_free(sim);
	dtt_scenario_deinit(&sc);
}

/* --- expectations --- */

static void test_check_windows_and_aggregates(void **state)
{
	static const uint64_t t[6] = {10000, 20000, 30000, 40000, 50000, 60000};
	static const double v[6] = {1.0, 0.5, 0.0, 1.0, 1.0, 0.9};
	static const double w[6] = {10, 10, 10, 10, 10, 30};
	const struct dtt_sim_series s = {.t_ms = t, .value = v, .weight = w, .count = 6};
	struct dtt_scenario_expect e = {.metric = "get_success"};
	struct dtt_check_result r;

	(void)state;
	/* at: the last sample at or before */
	e.when = DTT_EXPECT_AT;
	e.at_ms = 35000;
	e.op = DTT_EXPECT_EQ;
	e.value = 0.0;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_true(r.pass);
	assert_true(r.measured == 0.0);
	e.at_ms = UINT64_MAX; /* end */
	e.value = 0.9;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_true(r.pass);
	e.at_ms = 5000;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_false(r.pass);
	assert_string_equal(r.why, "no sample at or before 5s");
	/* after: weighted mean of samples with t > 30 s: (10 + 10 + 27) / 50 = 0.94 */
	e.when = DTT_EXPECT_AFTER;
	e.from_ms = 30000;
	e.op = DTT_EXPECT_GE;
	e.value = 0.94;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_true(r.pass);
	assert_int_equal(r.samples, 3);
	assert_true(fabs(r.measured - 0.94) < 1e-12);
	e.value = 0.95;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_false(r.pass);
	/* within (10 s, 40 s]: any sample le 0.0 -> the 30 s sample */
	e.when = DTT_EXPECT_WITHIN;
	e.from_ms = 10000;
	e.to_ms = 40000;
	e.op = DTT_EXPECT_LE;
	e.value = 0.0;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_true(r.pass);
	assert_int_equal(r.samples, 3);
	e.agg = DTT_AGG_ALL;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_false(r.pass);
	assert_true(r.measured == 1.0); /* the worst sample */
	e.agg = DTT_AGG_MAX;
	e.op = DTT_EXPECT_LT;
	e.value = 1.0;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_false(r.pass);
	e.agg = DTT_AGG_MIN;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_true(r.pass);
	/* an empty window fails */
	e.from_ms = 60000;
	e.to_ms = 70000;
	dtt_check_eval(&e, &s, 60000, &r);
	assert_false(r.pass);
	assert_int_equal(r.samples, 0);
	assert_string_equal(r.why, "no samples in the window");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_pops_by_time_then_key),
	    cmocka_unit_test(test_queue_interleaved_push_pop_matches_total_order),
	    cmocka_unit_test(test_queue_full_at_events_max),
	    cmocka_unit_test(test_pool_keeps_payloads_and_reuses_slots),
	    cmocka_unit_test(test_net_loss_rate_within_3_sigma),
	    cmocka_unit_test(test_net_lognormal_latency_median_and_sigma),
	    cmocka_unit_test(test_net_uniform_latency_and_jitter_within_3_sigma),
	    cmocka_unit_test(test_net_coordinates_latency_is_planar_distance),
	    cmocka_unit_test(test_net_partition_splits_by_fraction_and_heal_restores),
	    cmocka_unit_test(test_sim_partition_blocks_at_send_and_in_flight_heal_restores),
	    cmocka_unit_test(test_sim_rejoin_keeps_identity_and_drops_old_incarnation_traffic),
	    cmocka_unit_test(test_sim_same_seed_same_digest_and_rows_other_seed_differs),
	    cmocka_unit_test(test_sim_workload_finds_values_and_samples_metrics),
	    cmocka_unit_test(test_sim_stops_at_until_and_rejects_unknown_nodes),
	    cmocka_unit_test(test_sim_runs_through_its_backend_alone),
	    cmocka_unit_test(test_check_windows_and_aggregates),
	    cmocka_unit_test(test_members_broadcast_metrics_on_a_triangle),
	    cmocka_unit_test(test_members_write_broadcast_rows_and_neighbor_events),
	    cmocka_unit_test(test_members_missed_counts_the_senders_component),
	    cmocka_unit_test(test_members_leave_at_once_and_rejoin_with_their_identity),
	    cmocka_unit_test(test_members_join_through_the_tracker_as_dht_clients_or_servers),
	    cmocka_unit_test(test_members_same_seed_same_digest),
	    cmocka_unit_test(test_lanes_change_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
