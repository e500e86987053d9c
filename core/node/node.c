/* node.c - one node: env + timers + DHT, demultiplexing the node's single UDP port. */
#include "node.h"

#include "alloc.h"

void dtt_node_config_init(struct dtt_node_config *cfg)
{
	dtt_dht_config_init(&cfg->dht);
}

struct dtt_node *dtt_node_new(const struct dtt_env *env, const struct dtt_node_config *cfg)
{
	struct dtt_node_config defaults;
	struct dtt_node *node;

	if (!cfg) {
		dtt_node_config_init(&defaults);
		cfg = &defaults;
	}
	node = dtt_alloc(sizeof(*node));
	if (!node)
		return NULL;
	node->env = env;
	dtt_timers_init(&node->timers);
	node->dht = dtt_dht_new(env, &node->timers, &cfg->dht);
	if (!node->dht) {
		dtt_free(node);
		return NULL;
	}
	return node;
}

void dtt_node_free(struct dtt_node *node)
{
	if (!node)
		return;
	dtt_dht_free(node->dht);
	dtt_free(node);
}

void dtt_node_on_datagram(struct dtt_node *node, const struct dtt_addr *from, const uint8_t *buf,
			  size_t len)
{
	node->stats.datagrams_in++;
	if (len == 0) {
		node->stats.dropped[DTT_NODE_DROP_EMPTY]++;
		return;
	}
	if (buf[0] == 'd') {
		dtt_dht_on_datagram(node->dht, from, buf, len);
		return;
	}
	node->stats.dropped[DTT_NODE_DROP_NOT_KRPC]++;
}

void dtt_node_on_deadline(struct dtt_node *node)
{
	dtt_timers_run(&node->timers, dtt_env_now_ms(node->env));
}

uint64_t dtt_node_next_deadline_ms(const struct dtt_node *node)
{
	return dtt_timers_next_ms(&node->timers);
}
