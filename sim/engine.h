/* engine.h - the deterministic discrete-event simulator (SIMULATION.md §3): thousands of real
 * dtt_node cores on one virtual clock and one simulated network, driven by a scenario.
 *
 * Two populations: DHT nodes (indexes 0 .. dht.nodes-1) and topic members (the indexes after
 * them, topic by topic). Members are full dtt nodes (DHT client or server, gossip over
 * authenticated links, topic tracker) that join their topic through the tracker (records in
 * the DHT) or from known peers, and broadcast traffic whose deliveries are tracked per message.
 *
 * One thread. Event queues (queue.h) ordered by (time, key): one per lane (options.lanes) for
 * node i's datagram deliveries (payloads in pool.h) and wakes in lane i % lanes, and one for
 * the global events: joins, scenario events, workload operations, traffic and metric samples.
 * They run window by window: every lane up to the window's end, then the global event that ends
 * it. Every node runs on its own struct dtt_env: a virtual monotonic clock (ms), a wall clock
 * start_unix*1000 + now + skew, a random stream dtt_rng_derive(seed, purpose, index) and a send
 * that hands the datagram to the network model (net.h). Each node has one pending wake,
 * re-armed after every call into it; stale wakes are dropped by a generation counter, and
 * datagrams addressed to an older incarnation of a node (before a crash and rejoin) are dropped
 * on delivery. A key (engine_priv.h) names the origin of each event, so equal times pop in an
 * order that does not depend on how different nodes' events interleave; the loss, jitter and
 * duplication of a datagram are drawn from its sender's own stream.
 *
 * The run is a pure function of (scenario, seed): dtt_sim_digest folds, in node order, each
 * node's rolling hash over the datagrams it received (time, from, to, length, payload hash) and
 * the wakes it fired (time, node).
 * Only events_per_s and rss_bytes samples and the wall-clock fields of the run row depend on
 * the machine.
 */
#ifndef DTT_SIM_ENGINE_H
#define DTT_SIM_ENGINE_H

#include "provider.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>

#include "scenario.h"

struct dtt_results;
struct dtt_node;
struct dtt_sim;
struct dtt_sim_backend_ops;

/* Random stream purposes: one independent stream per (purpose, index). */
enum dtt_sim_purpose {
	DTT_SIM_RNG_NODE = 1,	  /* index = node; incarnation k > 0 adds k << 32 */
	DTT_SIM_RNG_NETWORK = 2,  /* index = sender: per-datagram jitter, loss, duplication */
	DTT_SIM_RNG_WORKLOAD = 3, /* keys, which node puts or gets what */
	DTT_SIM_RNG_FAULTS = 4,	  /* partitions, churn victims, clock skews */
	DTT_SIM_RNG_JOIN = 5,	  /* join times */
	DTT_SIM_RNG_LATENCY = 6,  /* keys the per-pair base latencies */
	DTT_SIM_RNG_MEMBERS = 7,  /* index = topic: contacts (bootstrap peers), traffic senders */
};

struct dtt_sim_options {
	uint64_t seed;		     /* the run's seed (the scenario's default or --seed) */
	uint64_t until_ms;	     /* stop here (0: the scenario's duration) */
	struct dtt_results *results; /* borrowed; NULL: no database */
	bool progress;		     /* a progress line on stderr, ~2 per second */
	int log_level;		     /* core log messages at or below this level go to stderr */
	volatile sig_atomic_t *stop; /* set asynchronously to end the run early (may be NULL) */
	/* What the run runs on (backend.h); NULL: the built-in queue and network model. */
	const struct dtt_sim_backend_ops *backend;
	/* The built-in backend's lanes (0 or 1: one). Node i's datagrams and wakes go to lane
	 * i % lanes, and the lanes run window by window: each window ends at the next global event
	 * (join, scenario event, sample, workload, traffic) and at most the network's smallest
	 * latency after the earliest pending node event, so no datagram sent in it arrives in it.
	 * The results do not depend on the number of lanes; more than one needs a latency model
	 * with a lower bound above zero (net.h, dtt_simnet_min_us). */
	uint32_t lanes;
};

struct dtt_sim_bench {
	uint64_t events;    /* events popped from the queue */
	uint64_t delivered; /* datagrams handed to a node */
	uint64_t wakes;	    /* wakes that ran node timers */
	double wall_s;
	double events_per_s;
	uint64_t rss_start_bytes; /* before the population was created */
	uint64_t peak_rss_bytes;  /* getrusage, process-wide */
	double bytes_per_node;	  /* (peak - start) / nodes */
	uint64_t sim_end_ms;
	uint64_t queue_peak;	/* most events pending at once */
	uint64_t inflight_peak; /* most datagrams in flight at once */
	uint64_t gets, gets_ok; /* finished gets (canceled ones not counted), found a value */
	uint64_t puts, puts_ok; /* finished puts, stored by >= 1 node */
	uint64_t datagrams;	/* datagrams sent */
	/* BEP 44 signature checks of all nodes through the shared memo (verify_memo.h):
	 * checks, those answered by the memo (the rest ran Ed25519), and entries evicted. */
	uint64_t verify_checks, verify_hits, verify_replaced;
	/* Record openings of all members through the shared record memo (memo.h): answered by
	 * the memo, and opened (two HPKE layers and a signature check). */
	uint64_t record_hits, record_misses;
	/* The shared crypto memo of every node (provider.h): per table, lookups, hits and
	 * evictions; its size in bytes. */
	struct dtt_crypto_memo_stats crypto[DTT_CRYPTO_MEMO__COUNT];
	uint64_t crypto_memo_bytes;
};

/* A sampled metric as a series (for expectations): times, values and weights (the number of
 * operations behind a ratio, 1 for plain values). Borrowed from the sim. */
struct dtt_sim_series {
	const uint64_t *t_ms;
	const double *value;
	const double *weight;
	size_t count;
};

/* Builds the population and schedules the scenario. sc is borrowed and must outlive the sim.
 * NULL on error, with a message in err. */
struct dtt_sim *dtt_sim_new(const struct dtt_scenario *sc, const struct dtt_sim_options *opt,
			    char *err, size_t err_len);
void dtt_sim_free(struct dtt_sim *sim);

/* Runs every event with time <= t_ms (bounded by the end of the run). Returns 0,
 * DTT_ERR_CANCELED when *opt.stop was set, or another DTT_ERR_* on an internal failure. */
int dtt_sim_run_until(struct dtt_sim *sim, uint64_t t_ms);
/* Runs to the end, then writes node rows, summaries and the run's end to the results. */
int dtt_sim_run(struct dtt_sim *sim);

uint64_t dtt_sim_digest(const struct dtt_sim *sim);
/* "%016llx" of the digest into out (17 bytes). Returns out. */
char *dtt_sim_digest_hex(const struct dtt_sim *sim, char out[17]);
void dtt_sim_bench(const struct dtt_sim *sim, struct dtt_sim_bench *out);
uint64_t dtt_sim_now_ms(const struct dtt_sim *sim);
/* The node being called right now (for crash reports), or -1 between calls. */
int64_t dtt_sim_current_node(const struct dtt_sim *sim);
uint64_t dtt_sim_end_ms(const struct dtt_sim *sim);
/* The series of a metric named in dtt_scenario_metrics; false for an unknown name. */
bool dtt_sim_series(const struct dtt_sim *sim, const char *metric, struct dtt_sim_series *out);

/* What a topic's members did over the run (for the command line's report). */
struct dtt_sim_topic_stats {
	const char *name;
	uint32_t members;
	uint32_t alive, joined, components; /* at the last sample */
	uint64_t joins;			    /* first neighbours (one per incarnation) */
	uint32_t never_joined; /* alive members whose incarnation has had no neighbour yet */
	double join_p50_ms, join_p99_ms, join_max_ms; /* start -> first neighbour */
	uint64_t broadcasts, delivered, missed;
	uint64_t broadcasts_skipped; /* rounds without any joined sender */
	uint64_t late;		     /* deliveries after their round closed (not counted) */
	uint64_t unsettled; /* broadcasts of a round cut short by the end (--until): dropped */
	double rmr_mean, ldh_mean; /* over the broadcasts with a defined value */
	/* PlumTree messages (datagrams) sent per broadcast, and per alive member and broadcast */
	double tree_msgs_mean, tree_msgs_member_mean;
	uint32_t ldh_max;
	double latency_p50_mean_ms, latency_p99_max_ms;
	uint64_t published, skipped_cap, publish_failed, merges_bubble, merges_overlap;
	uint64_t dht_gets, dht_puts;
	double time_to_heal_ms; /* first sample with one component after the last heal; NaN */
	uint64_t handshakes, handshakes_done; /* link handshakes started and completed */
};

size_t dtt_sim_topics(const struct dtt_sim *sim);
void dtt_sim_topic_stats(const struct dtt_sim *sim, size_t topic, struct dtt_sim_topic_stats *out);
/* The highest request rate any DHT node received in one sample interval, and that node. */
double dtt_sim_hottest_rps(const struct dtt_sim *sim, int64_t *node);

/* Inspection and injection, for tests. */
uint32_t dtt_sim_nodes(const struct dtt_sim *sim);
/* The node's core, or NULL while it is down (not joined yet, crashed or left). */
struct dtt_node *dtt_sim_node(struct dtt_sim *sim, uint32_t index);
/* Sends len bytes from node `from` to node `to` through the network model now, as if the
 * node had sent them. 0 or DTT_ERR_INVALID. */
int dtt_sim_inject(struct dtt_sim *sim, uint32_t from, uint32_t to, const uint8_t *buf, size_t len);
const struct dtt_simnet_stats *dtt_sim_net_stats(const struct dtt_sim *sim);
/* The node's partition label (0 when no partition is in force). */
uint16_t dtt_sim_partition_label(const struct dtt_sim *sim, uint32_t index);

#endif
