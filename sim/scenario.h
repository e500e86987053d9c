/* scenario.h - scenario files (scenarios/NAME.yaml, SCENARIOS.md): who exists, what the network
 * does, what happens when, and what must hold. Parsed with libyaml into plain structs.
 *
 * Two populations: DHT nodes (the backdrop that stores records; DHT puts and gets from random
 * nodes as a workload) and topic members (dtt nodes that join gossip topics, through the DHT
 * tracker or from known peers, and broadcast), with partitions, heals, churn, loss and clock
 * skew acting on either. Unknown keys are errors. Errors name the file, line and column, the
 * key path and what was expected. The format is documented in scenarios/README.md.
 */
#ifndef DTT_SIM_SCENARIO_H
#define DTT_SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"

#define DTT_SCENARIO_NAME_MAX	  64
#define DTT_SCENARIO_METRIC_MAX	  96
#define DTT_SCENARIO_EVENTS_MAX	  1024
#define DTT_SCENARIO_EXPECT_MAX	  256
#define DTT_SCENARIO_NODES_MAX	  10000000u /* fits the engine's 28-bit node field */
#define DTT_SCENARIO_KEYS_MAX	  4096
#define DTT_SCENARIO_SET_MAX	  64 /* --set overrides per load */
#define DTT_SCENARIO_ERR_MAX	  1024
#define DTT_SCENARIO_TOPICS_MAX	  16
#define DTT_SCENARIO_SECRET_MAX	  256
#define DTT_SCENARIO_STRATEGY_MAX 32
#define DTT_SCENARIO_PEERS_MAX	  16 /* bootstrap: peers - contacts per joining member */
#define DTT_SCENARIO_PAYLOAD_MIN  16 /* traffic.size: room for the broadcast's tag */
#define DTT_SCENARIO_PAYLOAD_MAX  4096
#define DTT_SCENARIO_CUT_MAX	  32767 /* cut.count; also the most nodes cut off alone */

enum dtt_scenario_event_kind {
	DTT_SCEV_PARTITION = 0, /* groups/fractions */
	DTT_SCEV_HEAL,
	DTT_SCEV_CRASH,	     /* fraction of alive nodes, no goodbye */
	DTT_SCEV_LEAVE,	     /* fraction of alive nodes, graceful */
	DTT_SCEV_REJOIN,     /* fraction of down nodes, same identity */
	DTT_SCEV_LOSS,	     /* value */
	DTT_SCEV_DUPLICATE,  /* value */
	DTT_SCEV_JITTER,     /* value_ms */
	DTT_SCEV_CLOCK_SKEW, /* fraction of `who`, skew uniform in +-value_ms (or exactly
			      * value_ms with skew_fixed) */
	DTT_SCEV_CUT,	     /* fraction (or count) of `who` cut off, together or alone */
};
#define DTT_SCEV__COUNT (DTT_SCEV_CUT + 1)

/* Which nodes churn and clock skew choose from. */
enum dtt_scenario_who {
	DTT_WHO_DHT = 0, /* DHT nodes */
	DTT_WHO_MEMBERS, /* topic members */
	DTT_WHO_ALL,	 /* both */
};

struct dtt_scenario_event {
	uint64_t at_ms;
	enum dtt_scenario_event_kind kind;
	double fractions[DTT_SIMNET_GROUPS_MAX]; /* partition */
	size_t groups;
	double fraction;	   /* churn, clock_skew: share of nodes concerned */
	double value;		   /* loss, duplicate */
	double value_ms;	   /* jitter, clock_skew max (or offset) */
	bool skew_fixed;	   /* clock_skew: every chosen node gets exactly value_ms */
	bool include_bootstrap;	   /* churn: may also hit the well-known bootstrap nodes */
	enum dtt_scenario_who who; /* churn, clock_skew, cut: the nodes concerned */
	long count;		   /* cut: this many nodes instead of a fraction (-1: fraction) */
	bool alone;		   /* cut: each chosen node reaches nobody, not even the others */
	unsigned line;
};

enum dtt_expect_when {
	DTT_EXPECT_AT = 0, /* the last sample at or before at_ms (UINT64_MAX: the end) */
	DTT_EXPECT_AFTER,  /* samples with t > from_ms */
	DTT_EXPECT_WITHIN, /* samples with from_ms < t <= to_ms */
};

enum dtt_expect_op {
	DTT_EXPECT_EQ = 0,
	DTT_EXPECT_LE,
	DTT_EXPECT_GE,
	DTT_EXPECT_LT,
	DTT_EXPECT_GT
};
#define DTT_EXPECT_OP__COUNT (DTT_EXPECT_GT + 1)

enum dtt_expect_agg {
	DTT_AGG_DEFAULT = 0, /* at: the value; after: mean; within: any */
	DTT_AGG_MEAN,	     /* weighted mean (get_success weighs by gets finished) */
	DTT_AGG_MIN,
	DTT_AGG_MAX,
	DTT_AGG_ANY,  /* some sample satisfies the comparison */
	DTT_AGG_ALL,  /* every sample satisfies it */
	DTT_AGG_LAST, /* the last sample in the window */
};
#define DTT_AGG__COUNT (DTT_AGG_LAST + 1)

struct dtt_scenario_expect {
	char metric[DTT_SCENARIO_METRIC_MAX];
	enum dtt_expect_when when;
	uint64_t at_ms, from_ms, to_ms;
	enum dtt_expect_op op;
	double value;
	enum dtt_expect_agg agg;
	unsigned line;
};

enum dtt_scenario_put_keys {
	DTT_PUT_KEYS_RANDOM = 0, /* any key of the set, uniformly */
	DTT_PUT_KEYS_NEXT,	 /* the keys in turn: put number i uses key i mod keys */
};

enum dtt_scenario_get_keys {
	DTT_GET_KEYS_STORED = 0, /* a key some put stored, uniformly */
	DTT_GET_KEYS_RECENT,	 /* one of the DTT_SCENARIO_RECENT_KEYS keys stored last */
	DTT_GET_KEYS_ANY,	 /* any key of the set, stored or not */
};

#define DTT_SCENARIO_RECENT_KEYS 8

enum dtt_scenario_bootstrap {
	DTT_BOOTSTRAP_DHT = 0, /* the topic tracker: records in the DHT (dtt_subscribe_and_join) */
	DTT_BOOTSTRAP_PEERS,   /* gossip only: join 1..peers members that started earlier */
};

enum dtt_scenario_senders {
	DTT_SENDERS_SINGLE = 0, /* the first joined member, every time */
	DTT_SENDERS_RANDOM,	/* one joined member drawn uniformly per round */
	DTT_SENDERS_ALL,	/* every joined member, at once */
};
#define DTT_SENDERS__COUNT (DTT_SENDERS_ALL + 1)

/* One gossip topic and its members. */
struct dtt_scenario_topic {
	char name[DTT_SCENARIO_NAME_MAX];
	uint8_t secret[DTT_SCENARIO_SECRET_MAX];
	size_t secret_len;
	char strategy[DTT_SCENARIO_STRATEGY_MAX]; /* a dtt_tracker_strategies name */
	/* mix: a share of the members runs another strategy (mix_fraction 0: none). Member k
	 * runs mix_strategy when floor((k + 1) * f) > floor(k * f): spread evenly over joins. */
	char mix_strategy[DTT_SCENARIO_STRATEGY_MAX];
	double mix_fraction;
	uint32_t members;
	/* Join times: `bursts` windows of `over`, the first at `at`, then every `every`;
	 * uniform within a window; member k joins in burst k * bursts / members. */
	uint64_t join_at_ms, join_over_ms, burst_every_ms;
	uint32_t bursts; /* >= 1 */
	enum dtt_scenario_bootstrap bootstrap;
	uint32_t peers; /* bootstrap peers: each member asks 1..peers earlier members */
	struct {
		uint64_t every_ms; /* 0: no traffic */
		uint64_t start_ms;
		uint32_t size;	/* payload bytes */
		uint32_t count; /* rounds at most (0: until the end) */
		enum dtt_scenario_senders senders;
	} traffic;
	unsigned line;
};

struct dtt_scenario {
	char name[DTT_SCENARIO_NAME_MAX];
	char *description;
	char *path;
	char *text; /* the file as read, stored with each run */
	char *overrides; /* the --set overrides applied, space separated ("" when none) */
	uint64_t seed;
	uint64_t duration_ms;
	uint64_t sample_every_ms;
	int64_t start_unix;
	/* crypto: modelled: cheap deterministic stand-ins for the asymmetric primitives
	 * (sim/crypto_modelled.h); default real. */
	bool crypto_modelled;

	struct {
		struct dtt_simnet_latency latency;
		double jitter_ms;
		double loss;
		double duplicate;
	} network;

	/* The `ns3:` section: knobs only dtt-sim-ns3 has (sim/ns3/README.md). */
	struct {
		double access_mbps; /* each node's access link (default 100 Mbit/s) */
		double core_mbps;   /* router-to-router links (default 10 Gbit/s) */
		uint32_t queue;	    /* transmit queue of every link device, packets (100) */
		uint32_t routers;   /* core routers (0: ceil(2 sqrt(nodes)), at most 256) */
	} ns3;

	struct {
		uint32_t nodes;
		uint32_t bootstrap; /* well-known bootstrap nodes: indexes 0 .. bootstrap-1 */
		uint64_t join_over_ms;
		bool members_are_servers; /* members_are: server (default client, BEP 43) */
	} dht;

	struct dtt_scenario_topic *topics;
	size_t topics_count;
	uint32_t members; /* over all topics; members are nodes dht.nodes .. dht.nodes+members-1 */

	struct {
		uint32_t keys;	       /* signing keys (each with its own salt) */
		uint32_t value_size;   /* bytes of each stored value */
		uint64_t start_ms;     /* no operation before */
		uint64_t put_every_ms; /* 0: no puts */
		uint64_t get_every_ms; /* 0: no gets */
		enum dtt_scenario_put_keys put_keys;
		enum dtt_scenario_get_keys get_keys;
	} workload;

	/* attackers.slot_squat: DHT clients that know a topic's name but not its secret and
	 * overwrite its current and previous minute's slot with signed junk every every_ms.
	 * They are nodes dht.nodes + members .. + squat.nodes - 1. */
	struct {
		uint32_t nodes; /* 0: no attack */
		uint64_t every_ms, start_ms;
		size_t topic; /* index in topics */
	} squat;

	struct dtt_scenario_event *events; /* sorted by at_ms, stable */
	size_t events_count;
	struct dtt_scenario_expect *expects;
	size_t expects_count;
};

/* The metrics the simulator samples, one X(enumerator, name) each: the enum of the engine
 * (engine_priv.h) and the name tables below are made from these lists, so they cannot drift
 * apart. */
#define DTT_SCENARIO_METRICS(X) \
	X(M_GET_SUCCESS, "get_success") \
	X(M_GET_FRESH, "get_fresh") \
	X(M_GET_P50, "get_latency_p50_ms") \
	X(M_GET_P95, "get_latency_p95_ms") \
	X(M_GETS, "gets") \
	X(M_PUT_STORED_MEAN, "put_stored_mean") \
	X(M_PUT_SUCCESS, "put_success") \
	X(M_PUTS, "puts") \
	X(M_ALIVE, "alive_nodes") \
	X(M_RT_MEAN, "routing_table_mean") \
	X(M_DATAGRAMS, "datagrams") \
	X(M_BYTES, "bytes") \
	X(M_DROPPED, "dropped") \
	X(M_NET_LOST, "net_lost") \
	X(M_NET_BLOCKED, "net_blocked") \
	X(M_EVENTS_PER_S, "events_per_s") \
	X(M_RSS, "rss_bytes") \
	X(M_HOTTEST_RPS, "dht_hottest_rps") \
	X(M_DGRAMS_DHT, "datagrams_dht") \
	X(M_DGRAMS_GOSSIP, "datagrams_gossip") \
	X(M_BYTES_DHT, "bytes_dht") \
	X(M_BYTES_GOSSIP, "bytes_gossip")

/* Per topic: X(enumerator, name, per_broadcast). The per-broadcast ones get one point per
 * broadcast (dtt_scenario_broadcast_metric). */
#define DTT_SCENARIO_TOPIC_METRICS(X) \
	X(TM_ALIVE, "members_alive", 0) \
	X(TM_JOINED, "joined_fraction", 0) \
	X(TM_COMPONENTS, "components", 0) \
	X(TM_LARGEST, "largest_component_fraction", 0) \
	X(TM_BUBBLES, "bubbles", 0) \
	X(TM_DEG_MEAN, "degree_mean", 0) \
	X(TM_DEG_MIN, "degree_min", 0) \
	X(TM_DEG_MAX, "degree_max", 0) \
	X(TM_PUBLISHED, "records_published", 0) \
	X(TM_SKIPPED, "records_skipped_cap", 0) \
	X(TM_PUB_FAILED, "publish_failed", 0) \
	X(TM_BUBBLE, "merges_bubble", 0) \
	X(TM_OVERLAP, "merges_overlap", 0) \
	X(TM_GETS_PMM, "dht_gets_per_member_min", 0) \
	X(TM_PUTS_PMM, "dht_puts_per_member_min", 0) \
	X(TM_NB_PMM, "neighbor_changes_per_member_min", 0) \
	X(TM_HS_PMM, "handshakes_per_member_min", 0) \
	X(TM_BROADCASTS, "broadcasts", 0) \
	X(TM_DELIVERED, "delivered", 1) \
	X(TM_MISSED, "missed", 1) \
	X(TM_RATIO, "delivery_ratio", 1) \
	X(TM_RMR, "rmr", 1) \
	X(TM_LDH, "ldh", 1) \
	X(TM_P50, "broadcast_p50_ms", 1) \
	X(TM_P99, "broadcast_p99_ms", 1)

/* Metrics the simulator samples for the whole run (and expectations may name);
 * NULL-terminated. */
extern const char *const dtt_scenario_metrics[];
/* Metrics sampled per topic (members only): named as they are with one topic, as
 * "metric@topic" with several. The per-broadcast ones (dtt_scenario_broadcast_metric) get one
 * point per broadcast, at its start time. NULL-terminated. */
extern const char *const dtt_scenario_topic_metrics[];
bool dtt_scenario_broadcast_metric(const char *name);

/* Parses text (NUL-terminated, from path, used in messages) with "key.path=value" overrides
 * applied before validation. 0, or DTT_ERR_INVALID with "file:line:col: path: what" in err. */
int dtt_scenario_parse(struct dtt_scenario *sc, const char *path, const char *text,
		       const char *const *sets, size_t sets_count, char *err, size_t err_len);
/* Reads and parses a file. 0, DTT_ERR_IO or DTT_ERR_INVALID, with a message in err. */
int dtt_scenario_load(struct dtt_scenario *sc, const char *path, const char *const *sets,
		      size_t sets_count, char *err, size_t err_len);
void dtt_scenario_deinit(struct dtt_scenario *sc);

/* Parses "90s", "5m", "250ms", "1.5h", "0" into milliseconds. 0 or DTT_ERR_INVALID. */
int dtt_scenario_duration_ms(const char *s, double *out_ms);
/* Formats a duration for messages ("5m", "1m30s", "250ms") into out. Returns out. */
char *dtt_scenario_fmt_ms(uint64_t ms, char *out, size_t out_len);

#endif
