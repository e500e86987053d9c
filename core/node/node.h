/* node.h - one dtt node: the env, the core's timers and the protocol layers that share one UDP
 * port. The public entry points of the sans-IO core:
 *
 *   dtt_node_on_datagram    a datagram arrived on the node's port;
 *   dtt_node_on_deadline    the backend's clock reached dtt_node_next_deadline_ms;
 *   dtt_node_next_deadline_ms  when to wake the node next (UINT64_MAX: nothing due).
 *
 * A datagram starting with 'd' is KRPC (bencode, the DHT); anything else belongs to the gossip
 * layer, which has its own magic/version byte. The core is single-threaded: every call on a
 * node, and every callback it makes, happens on the caller's thread, one at a time.
 */
#ifndef DTT_NODE_NODE_H
#define DTT_NODE_NODE_H

#include <stdint.h>

#include "dht.h"
#include "env.h"
#include "timer.h"

struct dtt_node_config {
	struct dtt_dht_config dht;
};

enum dtt_node_drop {
	DTT_NODE_DROP_EMPTY = 0,   /* zero-length datagram */
	DTT_NODE_DROP_NOT_KRPC = 1, /* no protocol claims the first byte */
	DTT_NODE_DROP__COUNT = 2,
};

struct dtt_node_stats {
	uint64_t datagrams_in;
	uint64_t dropped[DTT_NODE_DROP__COUNT];
};

struct dtt_node {
	const struct dtt_env *env; /* borrowed, outlives the node */
	struct dtt_timers timers;
	struct dtt_dht *dht;
	struct dtt_node_stats stats;
};

void dtt_node_config_init(struct dtt_node_config *cfg);
/* A node on env (borrowed). cfg NULL means defaults. NULL on allocation failure. */
struct dtt_node *dtt_node_new(const struct dtt_env *env, const struct dtt_node_config *cfg);
/* Cancels every operation (their callbacks fire with DTT_ERR_CANCELED) and frees. NULL is ok. */
void dtt_node_free(struct dtt_node *node);

void dtt_node_on_datagram(struct dtt_node *node, const struct dtt_addr *from, const uint8_t *buf,
			  size_t len);
void dtt_node_on_deadline(struct dtt_node *node);
uint64_t dtt_node_next_deadline_ms(const struct dtt_node *node);

static inline struct dtt_dht *dtt_node_dht(struct dtt_node *node)
{
	return node->dht;
}

#endif
