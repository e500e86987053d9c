/* dtt.h - the public API of dtt for applications: a node, topics joined with automatic
 * discovery through the mainline DHT or from known peers, broadcast and receive, the node's
 * counters, the error codes.
 *
 * The shape follows the Rust crate distributed-topic-tracker:
 *
 *   Rust                                          C
 *   TopicId::new(name)                            dtt_topic_id_from_name(&id, name)
 *   RecordPublisher::new(topic, key, rotation,    struct dtt_record_publisher pub =
 *                        secret)                    {.topic = id, .secret = s, ...}
 *   gossip.subscribe_and_join_with_auto_          dtt_subscribe_and_join(node, &pub, &cb,
 *          discovery(publisher)                                          ctx, &topic)
 *   sender.broadcast(bytes)                       dtt_topic_broadcast(topic, buf, len)
 *   receiver.next() -> Event::Received / ...      struct dtt_topic_callbacks
 *   drop(topic)                                   dtt_topic_leave(topic)
 *
 *   Gossip::subscribe(topic, bootstrap)           dtt_subscribe(node, &id, &cb, ctx, &topic)
 *                                                 + dtt_topic_join_peers(topic, peers, n)
 *
 * A node is driven by a backend (node.h: on_datagram, on_deadline, next_deadline_ms): the
 * POSIX poll loop of dtt-node or the simulator. Single-threaded: every call and callback on
 * one node happens on one thread, one at a time. Call dtt_init once before anything else.
 *
 * Every call that can fail returns 0 or a negative DTT_ERR_* (err.h, included here);
 * dtt_strerror names them.
 */
#ifndef DTT_DTT_H
#define DTT_DTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "node.h"
#include "record.h"
#include "topic.h"

#define DTT_TOPIC_ID_BYTES 32
#define DTT_PEER_ID_BYTES 32
/* The most neighbours a topic has (its active view): the size dtt_topic_neighbors fills. */
#define DTT_TOPIC_NEIGHBORS_MAX DTT_HPV_ACTIVE_LIMIT

struct dtt_topic_id {
	uint8_t bytes[DTT_TOPIC_ID_BYTES];
};

/* Once per process, before any other call: initialises the crypto library (libsodium).
 * Idempotent. 0 or DTT_ERR_CRYPTO. */
int dtt_init(void);

/* TopicId::new: SHA-512(name)[0..32]. */
void dtt_topic_id_from_name(struct dtt_topic_id *id, const char *name);
/* TopicId::from_hash: the 32 bytes as they are. */
void dtt_topic_id_from_hash(struct dtt_topic_id *id, const uint8_t hash[DTT_TOPIC_ID_BYTES]);

/* What the record publisher of a topic needs: the topic, the shared initial secret and the
 * optional secret rotation (NULL fn: DefaultSecretRotation). The node's own key signs. */
struct dtt_record_publisher {
	struct dtt_topic_id topic;
	const uint8_t *secret; /* borrowed during dtt_subscribe_and_join */
	size_t secret_len;
	struct dtt_rotation rotation;
	const struct dtt_tracker_config *config; /* NULL: the reference's defaults */
};

/* The receiver side. Every callback may be NULL. peer ids are DTT_PEER_ID_BYTES. */
struct dtt_topic_callbacks {
	void (*joined)(void *ctx);                              /* first neighbour */
	void (*neighbor_up)(void *ctx, const uint8_t *peer);
	/* reason: enum dtt_gossip_down (evicted, left, timed out, link failed;
	 * dtt_neighbor_down_name) */
	void (*neighbor_down)(void *ctx, const uint8_t *peer, int reason);
	/* content (borrowed), the neighbour it came from, and its hop count (0: from the origin) */
	void (*message)(void *ctx, const uint8_t *content, size_t len, const uint8_t *from,
			unsigned round);
	/* tracker happenings (publishes, merges), for logs and measurements */
	void (*tracker)(void *ctx, enum dtt_tracker_event ev, long arg);
};

struct dtt_topic;

/* Joins the topic with automatic discovery: creates its gossip swarm, starts the tracker
 * (startup record, bootstrap loop; publisher and merges once joined). Returns immediately (the
 * `_no_wait` flavour; `joined` tells when it is). 0 and *out, or DTT_ERR_EXISTS (already
 * joined), DTT_ERR_FULL (topics_max), DTT_ERR_NOMEM, DTT_ERR_INVALID. */
int dtt_subscribe_and_join(struct dtt_node *node, const struct dtt_record_publisher *pub,
			   const struct dtt_topic_callbacks *cb, void *ctx, struct dtt_topic **out);

/* A known member of a topic: its id (its node's key) and, when known, its address. */
struct dtt_peer {
	uint8_t id[DTT_PEER_ID_BYTES];
	bool has_addr;
	struct dtt_addr addr;
};

#define DTT_TOPIC_JOIN_PEERS_MAX 64

/* Joins the topic without discovery: a member that others join, or that joins known peers
 * through dtt_topic_join_peers. No tracker, no DHT traffic; the callbacks are those of
 * dtt_subscribe_and_join (`tracker` never fires). 0 and *out, or DTT_ERR_EXISTS, DTT_ERR_FULL,
 * DTT_ERR_NOMEM, DTT_ERR_INVALID. */
int dtt_subscribe(struct dtt_node *node, const struct dtt_topic_id *topic,
		  const struct dtt_topic_callbacks *cb, void *ctx, struct dtt_topic **out);
/* Asks up to DTT_TOPIC_JOIN_PEERS_MAX known peers (own id skipped) to admit this member, on
 * any topic (with or without a tracker). The joins go out now; `joined` and `neighbor_up`
 * tell which succeed. 0, or the error of the last peer that could not be asked (the others
 * are asked regardless), DTT_ERR_INVALID. */
int dtt_topic_join_peers(struct dtt_topic *t, const struct dtt_peer *peers, size_t n);

/* Broadcast to the whole topic, or to the current neighbours only. 0, DTT_ERR_TOOBIG,
 * DTT_ERR_STATE (left). */
int dtt_topic_broadcast(struct dtt_topic *t, const uint8_t *buf, size_t len);
int dtt_topic_broadcast_neighbors(struct dtt_topic *t, const uint8_t *buf, size_t len);
bool dtt_topic_is_joined(const struct dtt_topic *t);
size_t dtt_topic_neighbors(const struct dtt_topic *t, uint8_t (*out)[DTT_PEER_ID_BYTES],
			   size_t max);
/* The tracker's counters; NULL for a topic of dtt_subscribe. */
const struct dtt_tracker_stats *dtt_topic_tracker_stats(const struct dtt_topic *t);
/* "evicted", "left", "timed_out", "link_failed": the reason of neighbor_down. */
const char *dtt_neighbor_down_name(int reason);
/* Leaves cleanly (Disconnect to every neighbour), stops the tracker and frees the topic. No
 * callback fires from here on. */
void dtt_topic_leave(struct dtt_topic *t);

/* --- operator metrics: one snapshot of every counter of a node --- */

#define DTT_STATS_TOPICS_MAX 32

struct dtt_stats_topic {
	uint8_t id[DTT_TOPIC_ID_BYTES];
	bool joined;	  /* it has a neighbour */
	size_t neighbors; /* active view */
	size_t passive;	  /* passive view */
	bool has_tracker; /* joined through dtt_subscribe_and_join (DHT discovery) */
	/* tracker: zero without one */
	struct dtt_tracker_stats tracker; /* records published, skipped (cap), failed, gets */
};

struct dtt_stats {
	uint64_t datagrams_in, bytes_in; /* every datagram handed to dtt_node_on_datagram */
	/* by protocol: dht.datagrams_in/out, bytes_in/out (KRPC) and links.* (gossip links) */
	uint64_t node_dropped[DTT_NODE_DROP__COUNT]; /* neither protocol (dtt_node_drop_name) */
	struct dtt_dht_stats dht;     /* drops by reason: dht.dropped (dtt_dht_drop_name) */
	struct dtt_links_stats links; /* handshakes, sessions; links.dropped (dtt_links_drop_name) */
	struct dtt_gossip_stats gossip; /* gossip.dropped (dtt_gossip_drop_name) */
	size_t dht_nodes;		/* routing-table contacts */
	size_t dht_rpcs, dht_ops;	/* outstanding RPCs, operations running */
	size_t dht_items;		/* BEP 44 items stored */
	uint64_t addr_votes;		/* votes held now (both families) */
	bool has_public[2];		/* [0] IPv4, [1] IPv6: voted from the DHT's replies */
	struct dtt_addr public_addr[2];
	bool has_own;			/* the address the records carry (dtt_node_own_addr) */
	struct dtt_addr own_addr;
	bool record_memo;		/* the node has a record memo (it joined a topic) */
	uint64_t record_memo_hits, record_memo_misses;
	bool verify_memo;		/* a BEP 44 signature memo is configured */
	uint64_t verify_memo_checks, verify_memo_hits;
	size_t topics_count;		/* gossip topics, up to DTT_STATS_TOPICS_MAX */
	struct dtt_stats_topic topics[DTT_STATS_TOPICS_MAX];
};

/* Fills out with the node's counters now. Cheap (no allocation, a few KB copied): fit for
 * every scrape. */
void dtt_node_stats(const struct dtt_node *node, struct dtt_stats *out);
/* "empty", "unknown": the reasons of dtt_stats.node_dropped. */
const char *dtt_node_drop_name(int reason);

/* The layers that drop inbound datagrams and messages, each with its reasons. */
enum dtt_drop_layer {
	DTT_DROP_LAYER_NODE = 0,   /* dtt_stats.node_dropped: neither protocol */
	DTT_DROP_LAYER_DHT = 1,	   /* dtt_stats.dht.dropped: KRPC */
	DTT_DROP_LAYER_LINKS = 2,  /* dtt_stats.links.dropped: link frames (auth, replay, ...) */
	DTT_DROP_LAYER_GOSSIP = 3, /* dtt_stats.gossip.dropped: gossip messages */
	DTT_DROP_LAYER__COUNT = 4,
};

/* "node", "dht", "link", "gossip". */
const char *dtt_drop_layer_name(int layer);
/* The reasons of a layer run from dtt_drop_first (1 for the DHT and gossip, whose 0 is
 * "none" and never counted; else 0) to dtt_drop_reasons - 1 (the length of its dropped
 * array; 0 for a bad layer). */
int dtt_drop_first(int layer);
size_t dtt_drop_reasons(int layer);
/* The name of a reason of a layer ("?" when out of range). */
const char *dtt_drop_name(int layer, int reason);
/* The count of a reason of a layer in a snapshot (0 when out of range). */
uint64_t dtt_stats_dropped(const struct dtt_stats *st, int layer, int reason);

/* The counters of dtt_stats only, no views or gauges (about 1.4 KB against 6 KB, and no
 * walk over the topics): what a per-event measurement such as the simulator's samples needs. */
struct dtt_counters {
	uint64_t datagrams_in, bytes_in;
	uint64_t node_dropped[DTT_NODE_DROP__COUNT];
	struct dtt_dht_stats dht;
	struct dtt_links_stats links; /* zero on a node without links */
	struct dtt_gossip_stats gossip;
};

void dtt_node_counters(const struct dtt_node *node, struct dtt_counters *out);

#endif
