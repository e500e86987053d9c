/* test_scenario.c - sim/scenario: the scenario file format (SCENARIOS.md, scenarios/README.md):
 * durations, defaults, every section (topics and members too), overrides, and errors that name
 * file:line:column. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "err.h"
#include "scenario.h"

static const char minimal[] = "name: t\n"
			      "duration: 10m\n"
			      "dht:\n"
			      "  nodes: 50\n";

/* Parses text and expects an error equal to want. */
static void expect_error(const char *text, const char *want)
{
	struct dtt_scenario sc;
	char err[DTT_SCENARIO_ERR_MAX];
	int rc = dtt_scenario_parse(&sc, "s.yaml", text, NULL, 0, err, sizeof(err));

	assert_int_equal(rc, DTT_ERR_INVALID);
	assert_string_equal(err, want);
}

static void parse_ok(struct dtt_scenario *sc, const char *text)
{
	char err[DTT_SCENARIO_ERR_MAX];
	int rc = dtt_scenario_parse(sc, "s.yaml", text, NULL, 0, err, sizeof(err));

	if (rc)
		fail_msg("unexpected error: %s", err);
}

static void test_durations_take_units_and_compounds(void **state)
{
	static const struct {
		const char *s;
		double ms;
	} good[] = {{"250ms", 250},	    {"90s", 90000}, {"5m", 300000}, {"2h", 7200000},
		    {"1m30s", 90000},	    {"1.5s", 1500}, {"0", 0},	    {"0s", 0},
		    {"1h1m1s1ms", 3661001}, {".5m", 30000}};
	static const char *const bad[] = {"5",	 "5x", "-1s",  "",    "1e3s",  "s",
					  "5 m", "m5", "1m30", "inf", "0x10s", "1.2.3s"};
	double ms;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(dtt_scenario_duration_ms(good[i].s, &ms), 0);
		assert_true(ms == good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (dtt_scenario_duration_ms(bad[i], &ms) != DTT_ERR_INVALID)
			fail_msg("'%s' was accepted", bad[i]);
}

static void test_formats_durations(void **state)
{
	char b[32];

	(void)state;
	assert_string_equal(dtt_scenario_fmt_ms(0, b, sizeof(b)), "0s");
	assert_string_equal(dtt_scenario_fmt_ms(90000, b, sizeof(b)), "1m30s");
	assert_string_equal(dtt_scenario_fmt_ms(3600250, b, sizeof(b)), "1h250ms");
}

static void test_minimal_scenario_gets_defaults(void **state)
{
	struct dtt_scenario sc;

	(void)state;
	parse_ok(&sc, minimal);
	assert_string_equal(sc.name, "t");
	assert_int_equal(sc.seed, 1);
	assert_int_equal(sc.duration_ms, 600000);
	assert_int_equal(sc.sample_every_ms, 10000);
	assert_int_equal(sc.start_unix, 1750000000);
	assert_int_equal(sc.network.latency.dist, DTT_SIMNET_CONSTANT);
	assert_true(sc.network.latency.value_ms == 50);
	assert_true(sc.network.loss == 0 && sc.network.duplicate == 0 && sc.network.jitter_ms == 0);
	assert_int_equal(sc.dht.nodes, 50);
	assert_int_equal(sc.dht.bootstrap, 8);
	assert_int_equal(sc.dht.join_over_ms, 0);
	assert_int_equal(sc.workload.put_every_ms, 0);
	assert_int_equal(sc.workload.get_every_ms, 0);
	assert_int_equal(sc.events_count, 0);
	assert_int_equal(sc.expects_count, 0);
	assert_string_equal(sc.text, minimal);
	assert_string_equal(sc.path, "s.yaml");
	dtt_scenario_deinit(&sc);
}

static const char full[] =
    "name: full\n"
    "description: every field\n"
    "seed: 42\n"
    "duration: 30m\n"
    "sample_every: 5s\n"
    "start_unix: 1700000000\n"
    "network:\n"
    "  latency: {dist: lognormal, median: 60ms, sigma: 0.5}\n"
    "  jitter: 5ms\n"
    "  loss: 0.01\n"
    "  duplicate: 0.002\n"
    "dht:\n"
    "  nodes: 2000\n"
    "  bootstrap: 4\n"
    "  join: {over: 2m}\n"
    "workload:\n"
    "  keys: 32\n"
    "  value_size: 100\n"
    "  start: 3m\n"
    "  puts: {every: 10s, from: random, keys: next}\n"
    "  gets: {every: 1s, from: random, keys: recent}\n"
    "events:\n"
    "  - {at: 20m, heal: {}}\n"
    "  - at: 10m\n"
    "    partition: {groups: [0.5, 0.3, 0.2]}\n"
    "  - {at: 22m, churn: {crash: 0.1}}\n"
    "  - {at: 22m, churn: {leave: 0.05, bootstrap: true}}\n"
    "  - {at: 25m, churn: {rejoin: all}}\n"
    "  - {at: 26m, loss: 0.05}\n"
    "  - {at: 26m, duplicate: 0.01}\n"
    "  - {at: 26m, jitter: 20ms}\n"
    "  - {at: 0s, clock_skew: {nodes: 0.2, max: 90s}}\n"
    "expect:\n"
    "  - {metric: get_success, after: 5m, ge: 0.99}\n"
    "  - {metric: alive_nodes, at: end, eq: 2000}\n"
    "  - {metric: get_success, within: {from: 10m, to: 20m}, le: 0.5, agg: min}\n"
    "  - {metric: routing_table_mean, at: 4m, gt: 10}\n";

static void test_full_scenario_parses_every_field(void **state)
{
	struct dtt_scenario sc;
	const struct dtt_scenario_event *e;

	(void)state;
	parse_ok(&sc, full);
	assert_string_equal(sc.description, "every field");
	assert_int_equal(sc.seed, 42);
	assert_int_equal(sc.sample_every_ms, 5000);
	assert_int_equal(sc.start_unix, 1700000000);
	assert_int_equal(sc.network.latency.dist, DTT_SIMNET_LOGNORMAL);
	assert_true(sc.network.latency.median_ms == 60 && sc.network.latency.sigma == 0.5);
	assert_true(sc.network.jitter_ms == 5 && sc.network.loss == 0.01);
	assert_true(sc.network.duplicate == 0.002);
	assert_int_equal(sc.dht.nodes, 2000);
	assert_int_equal(sc.dht.bootstrap, 4);
	assert_int_equal(sc.dht.join_over_ms, 120000);
	assert_int_equal(sc.workload.keys, 32);
	assert_int_equal(sc.workload.value_size, 100);
	assert_int_equal(sc.workload.start_ms, 180000);
	assert_int_equal(sc.workload.put_every_ms, 10000);
	assert_int_equal(sc.workload.get_every_ms, 1000);
	assert_int_equal(sc.workload.put_keys, DTT_PUT_KEYS_NEXT);
	assert_int_equal(sc.workload.get_keys, DTT_GET_KEYS_RECENT);
	/* events sorted by time, file order kept among equal times */
	assert_int_equal(sc.events_count, 9);
	e = sc.events;
	assert_int_equal(e[0].kind, DTT_SCEV_CLOCK_SKEW);
	assert_true(e[0].fraction == 0.2 && e[0].value_ms == 90000);
	assert_int_equal(e[1].kind, DTT_SCEV_PARTITION);
	assert_int_equal(e[1].at_ms, 600000);
	assert_int_equal(e[1].groups, 3);
	assert_true(e[1].fractions[0] == 0.5 && e[1].fractions[2] == 0.2);
	assert_int_equal(e[1].line, 24);
	assert_int_equal(e[2].kind, DTT_SCEV_HEAL);
	assert_int_equal(e[3].kind, DTT_SCEV_CRASH);
	assert_true(e[3].fraction == 0.1 && !e[3].include_bootstrap);
	assert_int_equal(e[4].kind, DTT_SCEV_LEAVE);
	assert_true(e[4].fraction == 0.05 && e[4].include_bootstrap);
	assert_int_equal(e[5].kind, DTT_SCEV_REJOIN);
	assert_true(e[5].fraction == 1.0);
	assert_int_equal(e[6].kind, DTT_SCEV_LOSS);
	assert_true(e[6].value == 0.05);
	assert_int_equal(e[7].kind, DTT_SCEV_DUPLICATE);
	assert_int_equal(e[8].kind, DTT_SCEV_JITTER);
	assert_true(e[8].value_ms == 20);
	assert_int_equal(sc.expects_count, 4);
	assert_string_equal(sc.expects[0].metric, "get_success");
	assert_int_equal(sc.expects[0].when, DTT_EXPECT_AFTER);
	assert_int_equal(sc.expects[0].from_ms, 300000);
	assert_int_equal(sc.expects[0].op, DTT_EXPECT_GE);
	assert_true(sc.expects[0].value == 0.99);
	assert_int_equal(sc.expects[1].when, DTT_EXPECT_AT);
	assert_int_equal(sc.expects[1].at_ms, UINT64_MAX);
	assert_int_equal(sc.expects[1].op, DTT_EXPECT_EQ);
	assert_int_equal(sc.expects[2].when, DTT_EXPECT_WITHIN);
	assert_int_equal(sc.expects[2].from_ms, 600000);
	assert_int_equal(sc.expects[2].to_ms, 1200000);
	assert_int_equal(sc.expects[2].agg, DTT_AGG_MIN);
	assert_int_equal(sc.expects[3].at_ms, 240000);
	assert_int_equal(sc.expects[3].op, DTT_EXPECT_GT);
	assert_int_equal(sc.expects[3].line, 37);
	dtt_scenario_deinit(&sc);
}

static void test_latency_forms(void **state)
{
	struct dtt_scenario sc;

	(void)state;
	parse_ok(&sc, "name: t\nduration: 1m\ndht: {nodes: 2}\nnetwork: {latency: 30ms}\n");
	assert_int_equal(sc.network.latency.dist, DTT_SIMNET_CONSTANT);
	assert_true(sc.network.latency.value_ms == 30);
	dtt_scenario_deinit(&sc);
	parse_ok(&sc, "name: t\nduration: 1m\ndht: {nodes: 2}\n"
		      "network: {latency: {dist: uniform, min: 10ms, max: 0.1s}}\n");
	assert_int_equal(sc.network.latency.dist, DTT_SIMNET_UNIFORM);
	assert_true(sc.network.latency.min_ms == 10 && sc.network.latency.max_ms == 100);
	dtt_scenario_deinit(&sc);
	parse_ok(&sc, "name: t\nduration: 1m\ndht: {nodes: 2}\n"
		      "network: {latency: {dist: coordinates, min: 5ms, max: 150ms}}\n");
	assert_int_equal(sc.network.latency.dist, DTT_SIMNET_COORDINATES);
	assert_true(sc.network.latency.min_ms == 5 && sc.network.latency.max_ms == 150);
	dtt_scenario_deinit(&sc);
	expect_error("name: t\nduration: 1m\ndht: {nodes: 2}\n"
		     "network: {latency: {dist: uniform, min: 10ms, max: 20ms, median: 5ms}}\n",
		     "s.yaml:4:66: network.latency.median: not used by dist uniform");
	expect_error("name: t\nduration: 1m\ndht: {nodes: 2}\n"
		     "network: {latency: {dist: lognormal, median: 5ms}}\n",
		     "s.yaml:4:20: network.latency.sigma: missing (required by dist lognormal)");
	expect_error("name: t\nduration: 1m\ndht: {nodes: 2}\n"
		     "network: {latency: {dist: gamma, value: 5ms}}\n",
		     "s.yaml:4:27: network.latency.dist: expected one of constant, uniform, "
		     "lognormal, coordinates, got 'gamma'");
	expect_error("name: t\nduration: 1m\ndht: {nodes: 2}\n"
		     "network: {latency: {dist: coordinates, min: 5ms}}\n",
		     "s.yaml:4:20: network.latency.max: missing (required by dist coordinates)");
	/* a lognormal may have a floor, below its median */
	parse_ok(&sc, "name: t\nduration: 1m\ndht: {nodes: 2}\n"
		      "network: {latency: {dist: lognormal, median: 60ms, sigma: 0.5, min: 5ms}}\n");
	assert_true(sc.network.latency.min_ms == 5 && sc.network.latency.median_ms == 60);
	dtt_scenario_deinit(&sc);
	expect_error("name: t\nduration: 1m\ndht: {nodes: 2}\n"
		     "network: {latency: {dist: lognormal, median: 5ms, sigma: 0.5, min: 5ms}}\n",
		     "s.yaml:4:68: network.latency.min: must be below median");
}

static void test_errors_name_file_line_column_and_expectation(void **state)
{
	(void)state;
	expect_error("name: t\nduration: 10m\ndht:\n  nodes: abc\n",
		     "s.yaml:4:10: dht.nodes: expected a positive integer (at most 10000000), "
		     "got 'abc'");
	expect_error("name: t\nduration: 10m\ndht:\n  nodes: 0\n",
		     "s.yaml:4:10: dht.nodes: expected a positive integer (at most 10000000), "
		     "got '0'");
	expect_error("name: t\nduration: 10\ndht: {nodes: 5}\n",
		     "s.yaml:2:11: duration: expected a duration with a unit (ms, s, m, h), "
		     "got '10'");
	expect_error("name: t\nduration: 10m\nsample_every: 5 s\ndht: {nodes: 5}\n",
		     "s.yaml:3:15: sample_every: expected a duration with a unit (ms, s, m, h), "
		     "got '5 s'");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nnetwork: {loss: 1.5}\n",
		     "s.yaml:4:17: network.loss: expected a fraction between 0 and 1, got '1.5'");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nnetwork: {latency: [1, 2]}\n",
		     "s.yaml:4:20: network.latency: expected a mapping, got a list");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5, bootstrap: 6}\n",
		     "s.yaml:3:28: dht.bootstrap: more bootstrap nodes than dht.nodes");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 11m, heal: {}}\n",
		     "s.yaml:5:10: events[0].at: after the end of the run (duration 10m)");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, partition: {groups: [0.5, 0.4]}}\n",
		     "s.yaml:5:34: events[0].partition.groups: fractions must add up to 1.0 "
		     "(they add up to 0.9)");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, heal: {}, loss: 0.1}\n",
		     "s.yaml:5:5: events[0]: expected `at` and exactly one of partition, heal, "
		     "churn, loss, duplicate, jitter, clock_skew, cut");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, cut: {fraction: 0.1, count: 2}}\n",
		     "s.yaml:5:19: events[0].cut: expected exactly one of fraction, count");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, cut: {count: 0}}\n",
		     "s.yaml:5:27: events[0].cut.count: expected a number of nodes from 1 to 32767, "
		     "got '0'");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, cut: {fraction: 0.1, alone: maybe}}\n",
		     "s.yaml:5:42: events[0].cut.alone: expected true or false, got 'maybe'");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, churn: {rejoin: some}}\n",
		     "s.yaml:5:30: events[0].churn.rejoin: expected a fraction between 0 and 1, "
		     "or all, got 'some'");
	expect_error(
	    "name: t\nduration: 10m\ndht: {nodes: 5}\n"
	    "expect:\n  - {metric: get_success, after: 1m, ge: 1, le: 2}\n",
	    "s.yaml:5:5: expect[0]: expected exactly one comparison: eq, le, ge, lt or gt");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "expect:\n  - {metric: get_success, within: {from: 5m, to: 2m}, ge: 1}\n",
		     "s.yaml:5:50: expect[0].within.to: must be after from");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nworkload: {puts: {every: 0s}}\n",
		     "s.yaml:4:26: workload.puts.every: must be above 0");
	expect_error("name: t\nduration: 10m\n", "s.yaml:1:1: dht: missing (expected a mapping "
						 "with at least nodes)");
	expect_error("name: t\ndht: {nodes: 5}\n",
		     "s.yaml:1:1: duration: missing (expected a duration, e.g. 30m)");
	expect_error("name: a b\nduration: 1m\ndht: {nodes: 5}\n",
		     "s.yaml:1:7: name: expected a short name without spaces or slashes (at most "
		     "63 characters)");
}

static void test_unknown_and_duplicate_keys_are_errors(void **state)
{
	(void)state;
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nnetwrok: {}\n",
		     "s.yaml:4:1: netwrok: unknown key (expected one of: name, description, seed, "
		     "duration, sample_every, start_unix, network, dht, workload, events, "
		     "expect, topics, crypto, ns3, attackers)");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\ncrypto: fake\n",
		     "s.yaml:4:9: crypto: expected real or modelled");
	{
		struct dtt_scenario sc;

		parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 5}\ncrypto: modelled\n");
		assert_true(sc.crypto_modelled);
		dtt_scenario_deinit(&sc);
		parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 5}\n");
		assert_false(sc.crypto_modelled);
		dtt_scenario_deinit(&sc);
	}
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nnetwork: {latncy: 5ms}\n",
		     "s.yaml:4:11: network.latncy: unknown key (expected one of: latency, jitter, "
		     "loss, duplicate)");
	expect_error("name: t\nduration: 10m\nduration: 5m\ndht: {nodes: 5}\n",
		     "s.yaml:3:1: duration: duplicate key");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "expect:\n  - {metric: joined_fractions, at: end, eq: 1}\n",
		     "s.yaml:5:14: expect[0].metric: unknown metric (expected one of: get_success, "
		     "get_fresh, get_latency_p50_ms, get_latency_p95_ms, gets, put_stored_mean, "
		     "put_success, puts, alive_nodes, routing_table_mean, datagrams, bytes, "
		     "dropped, net_lost, net_blocked, events_per_s, rss_bytes, dht_hottest_rps, "
		     "datagrams_dht, datagrams_gossip, bytes_dht, bytes_gossip)");
}

static const char topics_text[] =
    "name: t\n"
    "duration: 30m\n"
    "dht: {nodes: 100, members_are: server}\n"
    "topics:\n"
    "  - name: demo\n"
    "    secret: demo-secret\n"
    "    strategy: reference\n"
    "    members: 500\n"
    "    join: {at: 1m, over: 2m}\n"
    "    traffic: {every: 5s, size: 200, senders: all, count: 12}\n"
    "  - name: g\n"
    "    members: 20\n"
    "    bootstrap: peers\n"
    "    peers: 2\n"
    "    join: {at: 30s, bursts: 3, every: 2m, over: 10s}\n"
    "events:\n"
    "  - {at: 0s, clock_skew: {members: 0.2, max: 90s}}\n"
    "  - {at: 1m, clock_skew: {max: 1s}}\n"
    "  - {at: 22m, churn: {crash: 0.1}}\n"
    "  - {at: 23m, churn: {rejoin: all, of: all}}\n"
    "  - {at: 24m, churn: {leave: 0.1, of: dht}}\n"
    "  - {at: 25m, cut: {fraction: 0.01}}\n"
    "  - {at: 26m, cut: {count: 1, of: members, alone: true}}\n"
    "expect:\n"
    "  - {metric: components@demo, within: {from: 20m, to: 25m}, eq: 1}\n"
    "  - {metric: rmr@g, after: 1m, le: 0.2}\n"
    "  - {metric: dht_hottest_rps, after: 1m, le: 100}\n";

static void test_topics_members_and_their_events(void **state)
{
	const struct dtt_scenario_topic *t;
	const struct dtt_scenario_event *e;
	struct dtt_scenario sc;

	(void)state;
	parse_ok(&sc, topics_text);
	assert_int_equal(sc.topics_count, 2);
	assert_int_equal(sc.members, 520);
	assert_true(sc.dht.members_are_servers);
	t = &sc.topics[0];
	assert_string_equal(t->name, "demo");
	assert_int_equal(t->secret_len, 11);
	assert_memory_equal(t->secret, "demo-secret", 11);
	assert_string_equal(t->strategy, "reference");
	assert_int_equal(t->members, 500);
	assert_int_equal(t->join_at_ms, 60000);
	assert_int_equal(t->join_over_ms, 120000);
	assert_int_equal(t->bursts, 1);
	assert_int_equal(t->bootstrap, DTT_BOOTSTRAP_DHT);
	assert_int_equal(t->traffic.every_ms, 5000);
	assert_int_equal(t->traffic.size, 200);
	assert_int_equal(t->traffic.senders, DTT_SENDERS_ALL);
	assert_int_equal(t->traffic.count, 12);
	assert_int_equal(t->traffic.start_ms, 180000); /* default: the end of the joins */
	assert_int_equal(t->line, 5);
	t = &sc.topics[1];
	assert_int_equal(t->secret_len, 1); /* default: the name */
	assert_int_equal(t->secret[0], 'g');
	assert_int_equal(t->bootstrap, DTT_BOOTSTRAP_PEERS);
	assert_int_equal(t->peers, 2);
	assert_int_equal(t->bursts, 3);
	assert_int_equal(t->burst_every_ms, 120000);
	assert_int_equal(t->join_over_ms, 10000);
	assert_int_equal(t->traffic.every_ms, 0);
	e = sc.events;
	assert_int_equal(e[0].kind, DTT_SCEV_CLOCK_SKEW);
	assert_int_equal(e[0].who, DTT_WHO_MEMBERS);
	assert_true(e[0].fraction == 0.2);
	assert_int_equal(e[1].who, DTT_WHO_ALL);
	assert_true(e[1].fraction == 1.0);
	assert_int_equal(e[2].who, DTT_WHO_MEMBERS); /* churn's default with topics */
	assert_int_equal(e[3].who, DTT_WHO_ALL);
	assert_int_equal(e[4].who, DTT_WHO_DHT);
	assert_int_equal(e[5].kind, DTT_SCEV_CUT);
	assert_int_equal(e[5].who, DTT_WHO_ALL); /* a cut's default: every node */
	assert_true(e[5].fraction == 0.01);
	assert_int_equal(e[5].count, -1);
	assert_false(e[5].alone);
	assert_int_equal(e[6].kind, DTT_SCEV_CUT);
	assert_int_equal(e[6].who, DTT_WHO_MEMBERS);
	assert_int_equal(e[6].count, 1);
	assert_true(e[6].alone);
	assert_string_equal(sc.expects[0].metric, "components@demo");
	assert_string_equal(sc.expects[1].metric, "rmr@g");
	dtt_scenario_deinit(&sc);
	/* without topics churn concerns the DHT nodes; with one topic, plain metric names */
	parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 5}\n"
		      "events:\n  - {at: 1m, churn: {crash: 0.5}}\n");
	assert_int_equal(sc.events[0].who, DTT_WHO_DHT);
	assert_int_equal(sc.topics_count, 0);
	dtt_scenario_deinit(&sc);
	parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 0}\n"
		      "topics: [{name: x, members: 3, bootstrap: peers}]\n"
		      "expect:\n  - {metric: joined_fraction, at: end, eq: 1}\n"
		      "  - {metric: missed, after: 0s, eq: 0, agg: max}\n");
	assert_int_equal(sc.dht.nodes, 0);
	assert_false(sc.dht.members_are_servers);
	assert_int_equal(sc.topics[0].peers, 3);
	assert_int_equal(sc.topics[0].traffic.senders, DTT_SENDERS_RANDOM);
	assert_int_equal(sc.topics[0].traffic.size, 100);
	assert_true(dtt_scenario_broadcast_metric("missed"));
	assert_false(dtt_scenario_broadcast_metric("components"));
	dtt_scenario_deinit(&sc);
}

static void test_skew_offset_mix_and_attackers(void **state)
{
	static const char head[] = "name: t\nduration: 10m\ndht: {nodes: 5}\n"
				   "topics: [{name: a, members: 4}, {name: b, members: 2}]\n";
	struct dtt_scenario sc;
	char text[1024];

	(void)state;
	parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 5}\n"
		      "topics:\n  - {name: a, members: 4, mix: {strategy: reference, members: 0.5}}\n"
		      "  - {name: b, members: 2}\n"
		      "attackers: {slot_squat: {nodes: 3, every: 2s, topic: b, start: 1m}}\n"
		      "events:\n  - {at: 0s, clock_skew: {members: 0.5, offset: 3m}}\n"
		      "expect:\n  - {metric: neighbor_changes_per_member_min@a, after: 1m, le: 1}\n"
		      "  - {metric: handshakes_per_member_min@b, after: 1m, le: 3}\n");
	assert_true(sc.events[0].skew_fixed);
	assert_true(sc.events[0].value_ms == 180000);
	assert_int_equal(sc.events[0].who, DTT_WHO_MEMBERS);
	assert_string_equal(sc.topics[0].mix_strategy, "reference");
	assert_true(sc.topics[0].mix_fraction == 0.5);
	assert_true(sc.topics[1].mix_fraction == 0);
	assert_int_equal(sc.squat.nodes, 3);
	assert_int_equal(sc.squat.every_ms, 2000);
	assert_int_equal(sc.squat.start_ms, 60000);
	assert_int_equal(sc.squat.topic, 1);
	dtt_scenario_deinit(&sc);
	parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 5}\ntopics: [{name: a, members: 4}]\n"
		      "attackers: {slot_squat: {nodes: 1}}\n");
	assert_int_equal(sc.squat.every_ms, 1000); /* defaults: every second, the first topic */
	assert_int_equal(sc.squat.topic, 0);
	dtt_scenario_deinit(&sc);
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, clock_skew: {max: 1m, offset: 3m}}\n",
		     "s.yaml:5:26: events[0].clock_skew: expected one of max (a uniform draw) or "
		     "offset, not both");
#define ATT(body) (snprintf(text, sizeof(text), "%sattackers: %s\n", head, body), text)
	expect_error(ATT("{slot_squat: {nodes: 2, topic: c}}"),
		     "s.yaml:5:43: attackers.slot_squat.topic: expected the name of a topic");
	expect_error(ATT("{slot_squat: {every: 1s}}"),
		     "s.yaml:5:25: attackers.slot_squat.nodes: missing (expected 1 to 1000)");
	expect_error(ATT("{slot_squat: {nodes: 2, every: 1ms}}"),
		     "s.yaml:5:43: attackers.slot_squat.every: at least 10ms");
	expect_error(ATT("{flood: {}}"),
		     "s.yaml:5:13: attackers.flood: unknown key (expected one of: slot_squat)");
#undef ATT
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "topics: [{name: a, members: 2, bootstrap: peers, mix: {strategy: reference, "
		     "members: 0.5}}]\n",
		     "s.yaml:4:55: topics[0].mix: only with bootstrap: dht (the tracker's strategy)");
}

static void test_topic_errors(void **state)
{
	static const char head[] = "name: t\nduration: 10m\ndht: {nodes: 5}\n";
	char text[1024];

	(void)state;
#define TOPIC(body) (snprintf(text, sizeof(text), "%stopics:\n%s", head, body), text)
	expect_error(TOPIC("  - name: demo\n"),
		     "s.yaml:5:5: topics[0].members: missing (expected a positive integer)");
	expect_error(TOPIC("  - {name: a, members: 2}\n  - {name: a, members: 3}\n"),
		     "s.yaml:6:12: topics[1].name: a second topic named 'a'");
	expect_error(TOPIC("  - {name: a@b, members: 2}\n"),
		     "s.yaml:5:12: topics[0].name: expected a short name without spaces, slashes "
		     "or @ (at most 63 characters)");
	expect_error(TOPIC("  - {name: a, members: 2, strategy: fast}\n"),
		     "s.yaml:5:37: topics[0].strategy: unknown strategy (expected one of: "
		     "reference, dtt), got 'fast'");
	expect_error(TOPIC("  - {name: a, members: 2, peers: 3}\n"),
		     "s.yaml:5:34: topics[0].peers: only with bootstrap: peers");
	expect_error(TOPIC("  - {name: a, members: 2, bootstrap: peers, peers: 17}\n"),
		     "s.yaml:5:52: topics[0].peers: expected a number of contacts from 1 to 16, "
		     "got '17'");
	expect_error(TOPIC("  - {name: a, members: 2, join: {bursts: 2}}\n"),
		     "s.yaml:5:33: topics[0].join.every: missing (bursts need `every`)");
	expect_error(TOPIC("  - {name: a, members: 2, traffic: {every: 1s, senders: some}}\n"),
		     "s.yaml:5:57: topics[0].traffic.senders: expected one of single, random, all, "
		     "got 'some'");
	expect_error(TOPIC("  - {name: a, members: 2, traffic: {every: 1s, size: 8}}\n"),
		     "s.yaml:5:54: topics[0].traffic.size: expected a size in bytes from 16 to "
		     "4096, got '8'");
	expect_error(TOPIC("  - {name: a, members: 2, traffic: {size: 80}}\n"),
		     "s.yaml:5:36: topics[0].traffic.every: missing (expected a duration)");
	expect_error(TOPIC("  - {name: a, members: 2, colour: red}\n"),
		     "s.yaml:5:27: topics[0].colour: unknown key (expected one of: name, secret, "
		     "strategy, members, join, bootstrap, peers, traffic, mix)");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 0}\ntopics: [{name: a, members: 2}]\n",
		     "s.yaml:3:6: topics[0].bootstrap: dht: the tracker needs DHT nodes (dht.nodes "
		     "is 0); use bootstrap: peers for gossip only");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\ntopics: []\n",
		     "s.yaml:4:9: topics: expected at least one topic");
#undef TOPIC
	/* member keys need members */
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5, members_are: client}\n",
		     "s.yaml:3:30: dht.members_are: the scenario has no topics");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, clock_skew: {members: 0.2, max: 90s}}\n",
		     "s.yaml:5:36: events[0].clock_skew.members: the scenario has no topics (no "
		     "members)");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "events:\n  - {at: 1m, churn: {crash: 0.2, of: members}}\n",
		     "s.yaml:5:38: events[0].churn.of: the scenario has no topics (no members)");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "expect:\n  - {metric: components, at: end, eq: 1}\n",
		     "s.yaml:5:14: expect[0].metric: a topic metric, but the scenario has no "
		     "topics");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "topics: [{name: a, members: 2}, {name: b, members: 2}]\n"
		     "expect:\n  - {metric: components, at: end, eq: 1}\n",
		     "s.yaml:6:14: expect[0].metric: several topics: name one, e.g. components@a");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\n"
		     "topics: [{name: a, members: 2}]\n"
		     "expect:\n  - {metric: rmr@b, at: end, eq: 1}\n",
		     "s.yaml:6:14: expect[0].metric: no topic named 'b'");
}

static void test_yaml_syntax_errors_have_positions(void **state)
{
	struct dtt_scenario sc;
	char err[DTT_SCENARIO_ERR_MAX];

	(void)state;
	assert_int_equal(dtt_scenario_parse(&sc, "s.yaml", "name: t\ndht: {nodes: 5\nx: 1\n", NULL,
					    0, err, sizeof(err)),
			 DTT_ERR_INVALID);
	assert_non_null(strstr(err, "s.yaml:3:"));
	assert_non_null(strstr(err, "YAML syntax"));
	expect_error("", "s.yaml: empty file (expected a scenario mapping)");
	expect_error("- 1\n- 2\n", "s.yaml:1:1: expected a mapping, got a list");
}

static void test_set_overrides_replace_add_and_report(void **state)
{
	const char *sets[] = {"dht.nodes=7", "seed=9", "network.loss=0.25", "expect[0].ge=0.5"};
	const char *bad_value[] = {"dht.nodes=zero"};
	const char *bad_path[] = {"dht.nodez.x=1"};
	const char *bad_list[] = {"expect[3].ge=1"};
	const char *bad_form[] = {"dht.nodes"};
	const char *text = "name: t\nduration: 10m\ndht: {nodes: 5}\n"
			   "expect:\n  - {metric: get_success, after: 1m, ge: 0.99}\n";
	struct dtt_scenario sc;
	char err[DTT_SCENARIO_ERR_MAX];

	(void)state;
	assert_int_equal(dtt_scenario_parse(&sc, "s.yaml", text, sets, 4, err, sizeof(err)), 0);
	assert_int_equal(sc.dht.nodes, 7);
	assert_int_equal(sc.seed, 9);
	assert_true(sc.network.loss == 0.25);
	assert_true(sc.expects[0].value == 0.5);
	dtt_scenario_deinit(&sc);
	assert_int_equal(dtt_scenario_parse(&sc, "s.yaml", text, bad_value, 1, err, sizeof(err)),
			 DTT_ERR_INVALID);
	assert_string_equal(err, "s.yaml: --set dht.nodes=zero: expected a positive integer (at "
				 "most 10000000), got 'zero'");
	assert_int_equal(dtt_scenario_parse(&sc, "s.yaml", text, bad_path, 1, err, sizeof(err)),
			 DTT_ERR_INVALID);
	assert_string_equal(err,
			    "s.yaml: --set dht.nodez.x=1: unknown key (expected one of: nodes, "
			    "bootstrap, join, members_are)");
	assert_int_equal(dtt_scenario_parse(&sc, "s.yaml", text, bad_list, 1, err, sizeof(err)),
			 DTT_ERR_INVALID);
	assert_string_equal(err, "s.yaml: --set expect[3].ge=1: no such key path in the scenario");
	assert_int_equal(dtt_scenario_parse(&sc, "s.yaml", text, bad_form, 1, err, sizeof(err)),
			 DTT_ERR_INVALID);
	assert_string_equal(err, "--set dht.nodes: expected key.path=value");
}

static void test_shipped_scenarios_load(void **state)
{
	static const char *const files[] = {
	    "dht-smoke.yaml",	      "dht-2k.yaml",
	    "dht-partition.yaml",     "gossip-100-single.yaml",
	    "gossip-100-random.yaml", "gossip-100-all.yaml",
	    "gossip-1k.yaml",	      "gossip-failures.yaml",
	    "bubbles.yaml",	      "partition-heal.yaml",
	    "join-storm.yaml",	      "clock-skew.yaml",
	    "flagship.yaml",	      "overlap-churn.yaml",
	    "hotspot.yaml",	      "skew-split.yaml",
	    "slot-squat.yaml",	      "mixed.yaml",
	};
	struct dtt_scenario sc;
	char path[512], err[DTT_SCENARIO_ERR_MAX];

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", DTT_SCENARIOS_DIR, files[i]);
		if (dtt_scenario_load(&sc, path, NULL, 0, err, sizeof(err)))
			fail_msg("%s", err);
		/* every scenario states what must hold, but clock-skew only reports */
		assert_true(sc.expects_count > 0 || !strcmp(files[i], "clock-skew.yaml"));
		assert_true(sc.dht.nodes >= 100 || sc.topics_count > 0);
		dtt_scenario_deinit(&sc);
	}
	assert_int_equal(dtt_scenario_load(&sc, "/nonexistent/x.yaml", NULL, 0, err, sizeof(err)),
			 DTT_ERR_IO);
	assert_non_null(strstr(err, "/nonexistent/x.yaml: cannot open"));
}

/* The ns3: section: defaults, values, and its errors (the knobs dtt-sim-ns3 alone uses). */
static void test_ns3_section(void **state)
{
	struct dtt_scenario sc;

	(void)state;
	parse_ok(&sc, minimal);
	assert_true(sc.ns3.access_mbps == 100 && sc.ns3.core_mbps == 10000);
	assert_int_equal(sc.ns3.queue, 100);
	assert_int_equal(sc.ns3.routers, 0);
	dtt_scenario_deinit(&sc);
	parse_ok(&sc, "name: t\nduration: 10m\ndht: {nodes: 5}\n"
		      "ns3: {access_mbps: 2.5, core_mbps: 1000, queue: 8, routers: 3}\n");
	assert_true(sc.ns3.access_mbps == 2.5 && sc.ns3.core_mbps == 1000);
	assert_int_equal(sc.ns3.queue, 8);
	assert_int_equal(sc.ns3.routers, 3);
	dtt_scenario_deinit(&sc);
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nns3: {queue: 0}\n",
		     "s.yaml:4:14: ns3.queue: expected a queue length in packets (1 .. 1048576), "
		     "got '0'");
	expect_error("name: t\nduration: 10m\ndht: {nodes: 5}\nns3: {rate: 5}\n",
		     "s.yaml:4:7: ns3.rate: unknown key (expected one of: access_mbps, core_mbps, "
		     "queue, routers)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_durations_take_units_and_compounds),
	    cmocka_unit_test(test_formats_durations),
	    cmocka_unit_test(test_minimal_scenario_gets_defaults),
	    cmocka_unit_test(test_full_scenario_parses_every_field),
	    cmocka_unit_test(test_latency_forms),
	    cmocka_unit_test(test_errors_name_file_line_column_and_expectation),
	    cmocka_unit_test(test_unknown_and_duplicate_keys_are_errors),
	    cmocka_unit_test(test_topics_members_and_their_events),
	    cmocka_unit_test(test_topic_errors),
	    cmocka_unit_test(test_skew_offset_mix_and_attackers),
	    cmocka_unit_test(test_yaml_syntax_errors_have_positions),
	    cmocka_unit_test(test_set_overrides_replace_add_and_report),
	    cmocka_unit_test(test_shipped_scenarios_load),
	    cmocka_unit_test(test_ns3_section),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
