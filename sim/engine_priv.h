/* engine_priv.h - the simulator's internal state (SIMULATION.md §3), shared by engine.c (the
 * event loop, the network, DHT nodes, the DHT workload, scenario events) and members.c (topic
 * members: gossip swarms, the topic tracker, traffic, overlay and broadcast metrics). Not an
 * API: only the simulator's own sources include it.
 */
#ifndef DTT_SIM_ENGINE_PRIV_H
#define DTT_SIM_ENGINE_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"
#include "crypto.h"
#include "dtt.h"
#include "engine.h"
#include "net.h"
#include "pool.h"
#include "queue.h"
#include "rng.h"
#include "scenario.h"

struct dtt_verify_memo;

#define SIM_PORT	6881
#define TAG_NODE_BITS	28
#define TAG_NODE_MASK	((1u << TAG_NODE_BITS) - 1)
#define TAG(kind, node) (((uint32_t)(kind) << TAG_NODE_BITS) | (uint32_t)(node))

/* An event's queue key (queue.h): who scheduled it, in the high bits (a node index, while the
 * node handles one of its own datagrams or wakes, else ORIGIN_GLOBAL), then how many events
 * that origin had scheduled before. Equal times therefore pop in an order that depends only
 * on what each origin did, not on how the origins' events interleave (docs/simulation.md
 * §3.6). */
#define KEY_COUNT_BITS 36
#define KEY_COUNT_MASK ((UINT64_C(1) << KEY_COUNT_BITS) - 1)
#define ORIGIN_GLOBAL  TAG_NODE_MASK

/* Queue event kinds (4 bits). EV_TRAFFIC carries a topic index in the node field. */
enum ev_kind {
	EV_DELIVER = 0,
	EV_WAKE,
	EV_JOIN,
	EV_SCENARIO,
	EV_SAMPLE,
	EV_PUT,
	EV_GET,
	EV_TRAFFIC,
	EV_ATTACK
};

enum node_state { NS_NEW = 0, NS_UP, NS_CRASHED, NS_LEFT };

struct simnode {
	struct dtt_env env; /* ctx points back here */
	struct dtt_sim *sim;
	struct dtt_node *node; /* NULL while down */
	struct dtt_rng rng;
	struct dtt_rng net_rng; /* loss, duplication and jitter of the datagrams it sends */
	uint64_t digest;	/* what it received and when it woke (dtt_sim_digest) */
	uint64_t scheduled;	/* events it scheduled as an origin (the queue key's count) */
	uint64_t wake_at_us;   /* time of the pending valid wake (UINT64_MAX: none) */
	uint64_t drops_seen;   /* drop counters at the last sample */
	uint64_t queries_seen; /* DHT queries received at the last sample */
	uint64_t up_us;	       /* when the current incarnation started */
	int64_t skew_ms;
	int64_t join_ms, leave_ms;
	int32_t member; /* index in dtt_sim.members, -1 for a DHT node */
	uint32_t index, incarnation, wake_gen;
	uint8_t state;
};

enum op_kind { OP_FREE = 0, OP_GET, OP_PUT };

/* A workload operation in flight; its address is the callback context, so ops live in
 * chunks that never move. */
struct op {
	struct dtt_sim *sim;
	uint64_t start_us, first_us;
	int64_t seq; /* put: the seq sent; get: the freshest seq acknowledged when it started */
	uint32_t index, node, key, values, next_free;
	uint8_t kind;
	bool fresh; /* get: a value with seq >= that arrived */
};

#define OP_CHUNK_SHIFT 8
#define OP_CHUNK       (1u << OP_CHUNK_SHIFT)

struct wkey {
	uint8_t pk[DTT_ED25519_PK_BYTES], sk[DTT_ED25519_SK_BYTES];
	uint8_t salt[16];
	size_t salt_len;
	int64_t seq;	    /* last seq put */
	int64_t stored_seq; /* highest seq whose put was acknowledged (0: none) */
	bool stored;	    /* a put was acknowledged by at least one node */
};

/* The run's metrics: DTT_SCENARIO_METRICS, in the order of dtt_scenario_metrics. */
enum metric {
#define X(e, name) e,
	DTT_SCENARIO_METRICS(X)
#undef X
	M__COUNT,
};

/* A topic's metrics: DTT_SCENARIO_TOPIC_METRICS, in the order of dtt_scenario_topic_metrics. */
enum topic_metric {
#define X(e, name, per_broadcast) e,
	DTT_SCENARIO_TOPIC_METRICS(X)
#undef X
	TM__COUNT,
};

struct series {
	uint64_t *t;
	double *v, *w;
	size_t n, cap;
};

struct interval {
	uint64_t gets, gets_ok, gets_fresh, puts, puts_ok, put_stored, datagrams, bytes, events;
	uint64_t dgrams_dht, dgrams_gossip, bytes_dht, bytes_gossip;
	uint64_t lost0, blocked0;
	double wall0;
	double *lat; /* time to first value of the successful gets */
	size_t lat_n, lat_cap;
};

struct totals {
	uint64_t gets, gets_ok, gets_fresh, puts, puts_ok, canceled, skipped, datagrams, bytes;
	uint64_t joined;
	double hottest_rps; /* the highest dht_hottest_rps sample */
	int64_t hottest_node;
};

struct member;
struct simtopic;

struct dtt_sim {
	const struct dtt_scenario *sc;
	struct dtt_sim_options opt;
	struct dtt_results *res;
	uint64_t seed;
	uint64_t now_us, end_us;
	uint64_t last_sample_us;
	/* The built-in backend's queues (engine.h, dtt_sim_options.lanes): global events, and
	 * node i's datagrams and wakes in lanes[i % lanes_n]. */
	struct dtt_simq gq;
	struct dtt_simq *lanes;
	uint32_t lanes_n;
	uint64_t lookahead_us; /* a window's longest span: the smallest latency (lanes_n > 1) */
	bool in_window;	       /* a lane is running: node events only */
	uint64_t window_end_us;
	uint64_t ev_time_us, ev_key; /* the event being handled (the built-in backend's) */
	struct dtt_simpool pool;
	struct dtt_simnet net;
	const struct dtt_sim_backend_ops *be_ops; /* the clock, timers and network (backend.h) */
	void *be;				  /* its state (the built-in one: the sim itself) */
	struct dtt_node_config cfg;   /* DHT nodes */
	struct dtt_node_config mcfg;  /* members */
	struct dtt_node_config acfg;  /* attackers: DHT clients */
	struct dtt_verify_memo *memo; /* lent to every node through cfg.dht.verify_memo */
	/* The crypto provider and memo lent to every node through its env (provider.h). */
	struct dtt_crypto crypto;
	struct dtt_record_memo rmemo; /* record openings, shared by every member */
	bool rmemo_ready;
	struct simnode *nodes;
	uint32_t n;	/* every node: DHT nodes then members */
	uint32_t n_dht; /* DHT nodes: indexes 0 .. n_dht - 1 */
	uint32_t n_att; /* attackers (attack.c): the last n_att indexes */
	uint64_t att_puts, att_stored, att_refused;
	struct dtt_addr *boot;
	size_t boot_n;
	struct dtt_rng wl_rng, fault_rng, join_rng;
	struct wkey *keys;
	uint32_t *stored_keys; /* keys in the order their first put was acknowledged */
	struct dtt_simq_ev *stored_at; /* the (time, key) of the event that acknowledged each */
	size_t stored_n;
	uint64_t puts_started;
	struct op **op_chunks;
	size_t op_chunks_n, ops_n;
	uint32_t ops_free;
	struct series series[M__COUNT];
	struct interval iv;
	struct totals tot;
	/* members (members.c) */
	struct member *members;
	uint32_t members_n;
	struct simtopic *topics;
	size_t topics_n;
	uint32_t *idmap; /* open addressing: peer id -> member index + 1 (0: empty) */
	size_t idmap_mask;
	uint64_t drops_pending; /* drop counters of nodes stopped since the last sample */
	uint64_t scheduled; /* events scheduled by ORIGIN_GLOBAL */
	uint32_t origin;    /* whose events get scheduled now: a node index or ORIGIN_GLOBAL */
	uint64_t events, delivered, wakes, stale;
	size_t queue_peak;
	double wall_start, wall_end, last_progress;
	uint64_t rss_start;
	int64_t cur_node; /* the node being called, -1 outside calls */
	int status;
	bool finished, closing, progress_shown;
	char err[256];
};

static inline uint64_t sim_ms_to_us(uint64_t ms)
{
	return ms >= UINT64_MAX / 1000 ? UINT64_MAX - 1 : ms * 1000;
}

static inline uint64_t sim_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Node index -> its address 10.x.y.z:6881 (index + 1 in the low 24 bits). */
void sim_node_addr(uint32_t index, struct dtt_addr *a);
/* The first error ends the run. */
void sim_fatal(struct dtt_sim *s, int err, const char *what);
void sim_push(struct dtt_sim *s, uint64_t t_us, uint32_t tag, uint32_t arg);
int sim_series_add(struct series *se, uint64_t t, double v, double w);
void sim_series_free(struct series *se);
/* A results event row (nothing without a database or while closing). */
void sim_event_row(struct dtt_sim *s, int64_t node, const char *kind, int64_t peer, int64_t arg,
		   const char *detail);
/* Re-arms the node's wake after a call into it from outside its own events. */
void sim_rearm(struct dtt_sim *s, struct simnode *sn);
/* The highest value of a percentile (nearest rank) of an array it sorts. */
double sim_percentile(double *v, size_t n, double p);

/* members.c */
int sim_members_init(struct dtt_sim *s);
void sim_members_free(struct dtt_sim *s);
/* The node of a member was just created (first start or rejoin). */
void sim_member_started(struct dtt_sim *s, struct simnode *sn);
/* The member is about to stop; graceful: say goodbye to the neighbours first. */
void sim_member_stopping(struct dtt_sim *s, struct simnode *sn, bool graceful);
void sim_members_on_traffic(struct dtt_sim *s, uint32_t topic);
void sim_members_on_heal(struct dtt_sim *s);
/* Topic metrics for the interval ending now (dt_ms long). */
void sim_members_sample(struct dtt_sim *s, uint64_t t_ms, uint64_t dt_ms);
/* At the end of the run: closes open broadcast rounds, writes summaries (res may be NULL). */
void sim_members_finish(struct dtt_sim *s);
bool sim_members_series(const struct dtt_sim *s, const char *name, struct dtt_sim_series *out);

/* attack.c: attackers.slot_squat */
static inline bool sim_is_attacker(const struct dtt_sim *s, uint32_t index)
{
	return index >= s->n - s->n_att;
}
/* Schedules the first squat tick (nothing without attackers). */
void sim_attack_init(struct dtt_sim *s);
/* One squat tick: every attacker that is up overwrites the two slots; the next tick. */
void sim_attack_tick(struct dtt_sim *s);
/* Summaries at the end of the run (res may be NULL). */
void sim_attack_finish(struct dtt_sim *s);

#endif
