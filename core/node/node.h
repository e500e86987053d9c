/* node.h - one dtt node: the env, the core's timers and the protocol layers that share one UDP
 * port — the DHT (dht.h), the gossip layer over authenticated links (gossip.h) and the topic
 * trackers (topic.h). The public entry points of the sans-IO core:
 *
 *   dtt_node_on_datagram       a datagram arrived on the node's port;
 *   dtt_node_on_deadline       the backend's clock reached dtt_node_next_deadline_ms;
 *   dtt_node_next_deadline_ms  when to wake the node next (UINT64_MAX: nothing due).
 *
 * A datagram starting with 'd' is KRPC (bencode, the DHT); one whose first byte is a link frame
 * type (link.h) belongs to the gossip layer; anything else is dropped and counted. Topics are
 * joined through the application API in dtt.h. The core is single-threaded: every call on a
 * node, and every callback it makes, happens on the caller's thread, one at a time.
 */
#ifndef DTT_NODE_NODE_H
#define DTT_NODE_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "dht.h"
#include "env.h"
#include "gossip.h"
#include "link.h"
#include "memo.h"
#include "timer.h"

#define DTT_NODE_TOPICS_MAX 16

struct dtt_node_config {
	struct dtt_dht_config dht;
	struct dtt_links_config links;
	struct dtt_gossip_config gossip;
	/* The node's identity: an ed25519 seed. Without one, it is drawn from env randomness. */
	bool has_identity;
	uint8_t identity_seed[32];
	/* Where others reach this node, as published in its records. Without it the node
	 * publishes the public address its DHT replies voted (BEP 42 `ip`, dht.h
	 * dtt_dht_public_addr; IPv4 when it has one, else IPv6). */
	bool has_announce;
	struct dtt_addr announce;
	/* A record-opening memo shared by several nodes (the simulator), or NULL for a memo of
	 * the node's own with memo_entries entries. */
	struct dtt_record_memo *shared_memo;
	uint32_t memo_entries;
};

enum dtt_node_drop {
	DTT_NODE_DROP_EMPTY = 0,   /* zero-length datagram */
	DTT_NODE_DROP_UNKNOWN = 1, /* neither KRPC nor a gossip link frame */
	DTT_NODE_DROP__COUNT = 2,
};

struct dtt_node_stats {
	uint64_t datagrams_in, bytes_in;
	uint64_t dropped[DTT_NODE_DROP__COUNT];
};

struct dtt_topic;

/* The node's public address of addr->family was learned or changed (voted from the DHT's
 * replies). published: it is the address the records now carry (false under an announce). */
typedef void (*dtt_node_addr_cb)(void *ctx, const struct dtt_addr *addr, bool published);

struct dtt_node {
	const struct dtt_env *env; /* borrowed, outlives the node */
	struct dtt_timers timers;
	struct dtt_dht *dht;
	struct dtt_gossip *gossip;
	uint8_t sk[64]; /* identity: seed || public key */
	bool has_announce;
	struct dtt_addr announce;
	struct dtt_record_memo own_memo; /* allocated on the first topic, unless shared */
	struct dtt_record_memo *memo;
	uint32_t memo_entries;
	const struct dtt_verify_memo *dht_verify_memo; /* cfg.dht.verify_memo, for stats */
	struct dtt_topic *topics[DTT_NODE_TOPICS_MAX];
	uint64_t addr_changes; /* dtt_dht_public_addr_changes when last looked at */
	bool has_public[2];    /* [0] IPv4, [1] IPv6: the DHT's voted addresses */
	struct dtt_addr public_addr[2];
	dtt_node_addr_cb addr_observer;
	void *addr_observer_ctx;
	struct dtt_node_stats stats;
};

void dtt_node_config_init(struct dtt_node_config *cfg);
/* A node on env (borrowed). cfg NULL means defaults (copied). NULL on allocation failure or a
 * bad config. */
struct dtt_node *dtt_node_new(const struct dtt_env *env, const struct dtt_node_config *cfg);
/* Frees every topic (without goodbyes: leave them first for that), the gossip layer and the
 * DHT; operations in flight end with DTT_ERR_CANCELED. NULL is ok. */
void dtt_node_free(struct dtt_node *node);

void dtt_node_on_datagram(struct dtt_node *node, const struct dtt_addr *from, const uint8_t *buf,
			  size_t len);
void dtt_node_on_deadline(struct dtt_node *node);
uint64_t dtt_node_next_deadline_ms(const struct dtt_node *node);
/* A hint that the node is about to be called: starts loading the fields every call reads
 * first (the environment, the timers, the layers). Changes nothing. */
static inline void dtt_node_prefetch(const struct dtt_node *node)
{
	__builtin_prefetch(node);
	__builtin_prefetch((const char *)node + 64);
}

static inline struct dtt_dht *dtt_node_dht(struct dtt_node *node)
{
	return node->dht;
}

static inline struct dtt_gossip *dtt_node_gossip(struct dtt_node *node)
{
	return node->gossip;
}

/* The node's id: its ed25519 public key. */
static inline const uint8_t *dtt_node_id(const struct dtt_node *node)
{
	return node->sk + 32;
}

/* Sets the address published in records (e.g. once the backend knows it); it overrides the
 * voted address from then on. */
void dtt_node_set_announce(struct dtt_node *node, const struct dtt_addr *addr);
/* The address the node's records carry now: the announce, else the voted IPv4 address,
 * else the voted IPv6 one. false when it has none (its records then carry no address and
 * nobody can reach it from them). */
bool dtt_node_own_addr(const struct dtt_node *node, struct dtt_addr *out);
/* Tells cb (NULL: nobody) when a public address is learned or changes. */
void dtt_node_set_addr_observer(struct dtt_node *node, dtt_node_addr_cb cb, void *ctx);

#endif
