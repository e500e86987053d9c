/* topic.h - the topic tracker of one topic on one node: bootstrap, background publisher,
 * bubble merge and message-overlap merge (spec/PROTOCOL.md §7), on the DHT (slot_io.h) and a
 * gossip swarm reached through a small ops table.
 *
 * Every timing and limit is a config field whose default is the reference's (§8). Where §11
 * names a weakness the behaviour differs only where the reference loses data: a get keeps the
 * values that arrived before its deadline, records are used as they stream in, and a failed put
 * is retried on the same long-lived DHT node.
 *
 * Owns: its timers (embedded), its DHT operations (canceled by dtt_tracker_topic_free), short
 * lived candidate buffers. Borrows: env, timers, dht, memo, ops/ctx and the observer, which
 * must outlive the topic.
 * Timers: boot (the bootstrap loop's waits), publish, bubble, overlap.
 */
#ifndef DTT_TRACKER_TOPIC_H
#define DTT_TRACKER_TOPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht.h"
#include "msg.h"
#include "memo.h"
#include "record.h"
#include "slot_io.h"
#include "timer.h"

#define DTT_TRACKER_CANDIDATES_MAX 64 /* peers one bootstrap pass or merge tick considers */
#define DTT_TRACKER_RECORDS_MAX 32    /* records one merge tick keeps */
#define DTT_TRACKER_MEMORY_MAX 256    /* received hashes remembered (overlap_memory_ms) */
#define DTT_TRACKER_SHARDS_MAX 4      /* private_shards bound */

struct dtt_tracker_worker_config {
	bool enabled;
	uint32_t initial_ms; /* first tick */
	uint32_t base_ms;    /* then base + U[0, jitter) after each tick's work */
	uint32_t jitter_ms;
};

struct dtt_tracker_config {
	/* Bootstrap (§7.3) */
	uint32_t max_bootstrap_records;   /* per-minute cap; 0 disables publishing */
	uint32_t no_peers_retry_ms;       /* 1500 */
	uint32_t per_peer_join_settle_ms; /* 100 */
	uint32_t join_confirmation_wait_ms; /* 500 */
	uint32_t discovery_poll_ms;       /* 2000 */
	bool publish_record_on_startup;   /* true */
	bool check_older_records_first_on_startup; /* false */
	/* Workers (§7.4-§7.6) */
	struct dtt_tracker_worker_config publisher; /* 10 s, 10 s + U[0, 50 s) */
	struct dtt_tracker_worker_config bubble;    /* 30 s, 60 s + U[0, 120 s) */
	struct dtt_tracker_worker_config overlap;   /* 30 s, 60 s + U[0, 120 s) */
	uint32_t bubble_min_neighbors;              /* 4 */
	uint32_t bubble_max_join_peers;             /* 2 */
	uint32_t overlap_max_join_peers;            /* 2 */
	/* A joined member left without any neighbour (an outage timed them all out) runs the
	 * bubble merge lonely_retry_ms after it lost the last one, then again after twice the
	 * wait, ... up to bubble.base_ms, for as long as it stays alone (0: only the bubble
	 * worker's own schedule). */
	uint32_t lonely_retry_ms;                   /* 2000 */
	/* DHT (§6.2): put retries and timeouts */
	struct dtt_publish_config publish;
	/* Strategy "dtt" (docs/strategies.md); all zero/false in "reference". */
	bool private_slot;	      /* also a slot keyed by the secret (outsiders cannot find it) */
	uint32_t private_shards;      /* with private_slot: that many private slots a minute, at
				       * as many targets; each read and put uses one, in turn
				       * (0 or 1: one; at most DTT_TRACKER_SHARDS_MAX) */
	uint32_t ref_publish_every;   /* with private_slot: publisher record n goes to the
				       * reference slot when n % this == 0, else to the private
				       * one (0 or 1: always the reference slot) */
	bool read_less_when_stable;   /* bubble: no read with >= min neighbours; overlap: one
				       * slot per tick (private twice, then reference) */
	uint32_t overlap_memory_ms;   /* judge against every hash received in this window, and
				       * only records younger than our own reception (0: ring) */
	uint32_t skew_probe_minutes;  /* overlap: every other tick also reads a minute 2..this
				       * ahead, and joins publishers found there (0: off) */
	uint32_t widen_after_passes;  /* bootstrap: widen the minute window by one on each side
				       * after this many empty passes (0: off) */
	uint32_t widen_max_minutes;   /* ... up to this many minutes */
};

/* The reference's defaults (strategy "reference"). */
void dtt_tracker_config_init(struct dtt_tracker_config *cfg);
/* Fills cfg for a named strategy ("reference"). 0 or DTT_ERR_NOTFOUND. */
int dtt_tracker_strategy(struct dtt_tracker_config *cfg, const char *name);
/* The names of the strategies, NULL-terminated. */
extern const char *const dtt_tracker_strategies[];


/* What the tracker needs from the gossip swarm of its topic. */
struct dtt_tracker_swarm_ops {
	/* Joins the peers (a join call: the swarm makes the introductions). 0 or an error. */
	int (*join)(void *ctx, const struct dtt_gossip_peer *peers, size_t n);
	/* Current neighbours (active view) into out; returns the count. */
	size_t (*neighbors)(void *ctx, uint8_t (*out)[32], size_t max);
	/* Hashes of the last received messages, oldest first; returns the count (<= max). */
	size_t (*recent_hashes)(void *ctx, uint8_t (*out)[32], size_t max);
	/* Where others reach us / a peer (for the address trailer); false if unknown. */
	bool (*own_addr)(void *ctx, struct dtt_addr *out);
	bool (*peer_addr)(void *ctx, const uint8_t peer[32], struct dtt_addr *out);
};

enum dtt_tracker_event {
	DTT_TRACKER_EV_JOINED = 1,     /* bootstrap succeeded; arg: ms since the topic started */
	DTT_TRACKER_EV_PUBLISHED,      /* a record was put; arg: nodes that stored it */
	DTT_TRACKER_EV_PUBLISH_SKIPPED, /* cap reached; arg: publishers seen */
	DTT_TRACKER_EV_PUBLISH_FAILED, /* arg: attempts */
	DTT_TRACKER_EV_MERGE_BUBBLE,   /* arg: peers joined */
	DTT_TRACKER_EV_MERGE_OVERLAP,  /* arg: peers joined */
	DTT_TRACKER_EV_DHT_GET,        /* a slot read started */
	DTT_TRACKER_EV_DHT_PUT,        /* a put attempt started (counted once per publish) */
};
const char *dtt_tracker_event_name(int ev);

struct dtt_tracker_observer {
	void (*event)(void *ctx, enum dtt_tracker_event ev, long arg);
	void *ctx;
};

struct dtt_tracker_stats {
	uint64_t gets, publishes, published, skipped_cap, publish_failed;
	uint64_t bubble_ticks, bubble_joins, overlap_ticks, overlap_joins;
	uint64_t bootstrap_passes;
};

struct dtt_tracker_topic;

struct dtt_tracker_topic_args {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	struct dtt_dht *dht;
	struct dtt_record_memo *memo;          /* may be NULL */
	const struct dtt_tracker_config *cfg;  /* copied; NULL: reference */
	const struct dtt_topic_keys *keys;     /* copied */
	const uint8_t *node_sk;                /* the node's ed25519 key (seed || pk), copied */
	const struct dtt_tracker_swarm_ops *ops;
	void *ops_ctx;
	const struct dtt_tracker_observer *observer; /* may be NULL */
};

/* Creates the topic and starts the bootstrap (startup publish, then the loop). NULL on
 * allocation failure or a bad argument. */
struct dtt_tracker_topic *dtt_tracker_topic_new(const struct dtt_tracker_topic_args *args);
/* Cancels everything (no observer events) and frees. NULL is a no-op. */
void dtt_tracker_topic_free(struct dtt_tracker_topic *t);

/* The swarm delivered a message whose hash (SHA-512(content)[0..32]) is id. */
void dtt_tracker_topic_on_message(struct dtt_tracker_topic *t, const uint8_t id[32]);
/* The swarm reports a neighbour change; the first neighbour ends the bootstrap. */
void dtt_tracker_topic_on_neighbor(struct dtt_tracker_topic *t, bool up);
bool dtt_tracker_topic_is_joined(const struct dtt_tracker_topic *t);
const struct dtt_tracker_stats *dtt_tracker_topic_stats(const struct dtt_tracker_topic *t);

#endif
