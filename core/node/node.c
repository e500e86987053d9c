/* node.c - one node: env + timers + DHT + gossip + topic trackers on one UDP port, and the
 * application API of dtt.h. */
#include "node.h"
#include "provider.h"

#include <string.h>
#include <sodium.h>

#include "alloc.h"
#include "crypto.h"
#include "store.h"
#include "verify_memo.h"
#include "dtt.h"
#include "err.h"

struct dtt_topic {
	struct dtt_node *node;
	uint8_t id[DTT_TOPIC_ID_BYTES];
	struct dtt_tracker_topic *tracker;
	struct dtt_topic_callbacks cb;
	void *ctx;
};

void dtt_node_config_init(struct dtt_node_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	dtt_dht_config_init(&cfg->dht);
	dtt_links_config_init(&cfg->links);
	dtt_gossip_config_init(&cfg->gossip);
	cfg->memo_entries = 256;
}

static struct dtt_topic *find_topic(struct dtt_node *node, const uint8_t id[32])
{
	for (int i = 0; i < DTT_NODE_TOPICS_MAX; i++)
		if (node->topics[i] && memcmp(node->topics[i]->id, id, 32) == 0)
			return node->topics[i];
	return NULL;
}

static void on_gossip_event(void *ctx, const struct dtt_gossip_event *ev)
{
	struct dtt_node *node = ctx;
	struct dtt_topic *t = find_topic(node, ev->topic);

	if (!t) /* only topics of dtt.h exist on a node's gossip layer */
		return;
	switch (ev->type) {
	case DTT_GOSSIP_EV_JOINED:
		if (t->cb.joined)
			t->cb.joined(t->ctx);
		break;
	case DTT_GOSSIP_EV_NEIGHBOR_UP:
		if (t->tracker)
			dtt_tracker_topic_on_neighbor(t->tracker, true);
		if (t->cb.neighbor_up)
			t->cb.neighbor_up(t->ctx, ev->peer);
		break;
	case DTT_GOSSIP_EV_NEIGHBOR_DOWN:
		if (t->tracker)
			dtt_tracker_topic_on_neighbor(t->tracker, false);
		if (t->cb.neighbor_down)
			t->cb.neighbor_down(t->ctx, ev->peer, ev->reason);
		break;
	case DTT_GOSSIP_EV_RECEIVED:
		if (t->tracker)
			dtt_tracker_topic_on_message(t->tracker, ev->id);
		if (t->cb.message)
			t->cb.message(t->ctx, ev->content, ev->len, ev->peer, ev->round);
		break;
	}
}

struct dtt_node *dtt_node_new(const struct dtt_env *env, const struct dtt_node_config *cfg)
{
	struct dtt_node_config defaults;
	uint8_t seed[32], pk[32];
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
	if (cfg->has_identity)
		memcpy(seed, cfg->identity_seed, sizeof(seed));
	else
		dtt_env_random(env, seed, sizeof(seed));
	dtt_crypto_seed_keypair_once(env->crypto, pk, node->sk, seed);
	sodium_memzero(seed, sizeof(seed));
	node->has_announce = cfg->has_announce;
	node->announce = cfg->announce;
	/* a memo of its own is allocated when the node joins its first topic: a plain DHT node
	 * (most of a simulation) never needs one */
	node->memo = cfg->shared_memo;
	node->memo_entries = cfg->memo_entries;
	node->dht_verify_memo = cfg->dht.verify_memo;
	node->dht = dtt_dht_new(env, &node->timers, &cfg->dht);
	if (!node->dht)
		goto err_free;
	node->gossip = dtt_gossip_new_links(env, &node->timers, node->sk, &cfg->links, &cfg->gossip,
					    on_gossip_event, node);
	if (!node->gossip)
		goto err_dht;
	return node;

err_dht:
	dtt_dht_free(node->dht);
err_free:
	sodium_memzero(node->sk, sizeof(node->sk));
	dtt_free(node);
	return NULL;
}

static void topic_free(struct dtt_topic *t)
{
	dtt_tracker_topic_free(t->tracker);
	dtt_free(t);
}

void dtt_node_free(struct dtt_node *node)
{
	if (!node)
		return;
	for (int i = 0; i < DTT_NODE_TOPICS_MAX; i++) {
		if (node->topics[i])
			topic_free(node->topics[i]);
		node->topics[i] = NULL;
	}
	dtt_gossip_free(node->gossip);
	dtt_dht_free(node->dht);
	dtt_record_memo_deinit(&node->own_memo);
	sodium_memzero(node->sk, sizeof(node->sk));
	dtt_free(node);
}

/* The DHT's vote moved: take the new addresses and tell the observer. */
static void public_addr_changed(struct dtt_node *node)
{
	static const uint8_t families[2] = {DTT_AF_INET, DTT_AF_INET6};

	node->addr_changes = dtt_dht_public_addr_changes(node->dht);
	for (int i = 0; i < 2; i++) {
		struct dtt_addr a, own;

		if (!dtt_dht_public_addr(node->dht, families[i], &a) ||
		    (node->has_public[i] && dtt_addr_eq(&node->public_addr[i], &a)))
			continue;
		node->has_public[i] = true;
		node->public_addr[i] = a;
		if (node->addr_observer)
			node->addr_observer(node->addr_observer_ctx, &a,
					    dtt_node_own_addr(node, &own) && dtt_addr_eq(&own, &a));
	}
}

void dtt_node_on_datagram(struct dtt_node *node, const struct dtt_addr *from, const uint8_t *buf,
			  size_t len)
{
	node->stats.datagrams_in++;
	node->stats.bytes_in += len;
	if (len == 0) {
		node->stats.dropped[DTT_NODE_DROP_EMPTY]++;
		return;
	}
	if (buf[0] == 'd') {
		dtt_dht_on_datagram(node->dht, from, buf, len);
		if (dtt_dht_public_addr_changes(node->dht) != node->addr_changes)
			public_addr_changed(node);
		return;
	}
	if (dtt_links_is_frame(buf, len)) {
		dtt_gossip_on_datagram(node->gossip, from, buf, len);
		return;
	}
	node->stats.dropped[DTT_NODE_DROP_UNKNOWN]++;
}

void dtt_node_on_deadline(struct dtt_node *node)
{
	dtt_timers_run(&node->timers, dtt_env_now_ms(node->env));
}

uint64_t dtt_node_next_deadline_ms(const struct dtt_node *node)
{
	return dtt_timers_next_ms(&node->timers);
}

void dtt_node_set_announce(struct dtt_node *node, const struct dtt_addr *addr)
{
	node->has_announce = true;
	node->announce = *addr;
}

bool dtt_node_own_addr(const struct dtt_node *node, struct dtt_addr *out)
{
	if (node->has_announce) {
		*out = node->announce;
		return true;
	}
	for (int i = 0; i < 2; i++) {
		if (node->has_public[i]) {
			*out = node->public_addr[i];
			return true;
		}
	}
	return false;
}

void dtt_node_set_addr_observer(struct dtt_node *node, dtt_node_addr_cb cb, void *ctx)
{
	node->addr_observer = cb;
	node->addr_observer_ctx = ctx;
}

/* --- dtt.h --- */

int dtt_init(void)
{
	return dtt_crypto_init();
}

void dtt_topic_id_from_name(struct dtt_topic_id *id, const char *name)
{
	dtt_topic_hash(id->bytes, name, strlen(name));
}

void dtt_topic_id_from_hash(struct dtt_topic_id *id, const uint8_t hash[DTT_TOPIC_ID_BYTES])
{
	memcpy(id->bytes, hash, DTT_TOPIC_ID_BYTES);
}

/* The tracker's view of the topic's swarm. */
static int swarm_join(void *ctx, const struct dtt_gossip_peer *peers, size_t n)
{
	struct dtt_topic *t = ctx;

	return dtt_gossip_join(t->node->gossip, t->id, peers, n);
}

static size_t swarm_neighbors(void *ctx, uint8_t (*out)[32], size_t max)
{
	struct dtt_topic *t = ctx;

	return dtt_gossip_neighbors(t->node->gossip, t->id, out, max);
}

static size_t swarm_recent_hashes(void *ctx, uint8_t (*out)[32], size_t max)
{
	struct dtt_topic *t = ctx;

	return dtt_gossip_recent_hashes(t->node->gossip, t->id, out, max);
}

static bool swarm_own_addr(void *ctx, struct dtt_addr *out)
{
	struct dtt_topic *t = ctx;

	return dtt_node_own_addr(t->node, out);
}

static bool swarm_peer_addr(void *ctx, const uint8_t peer[32], struct dtt_addr *out)
{
	struct dtt_topic *t = ctx;
	struct dtt_links *l = dtt_gossip_links(t->node->gossip);

	return l && dtt_links_addr(l, peer, out) == 0;
}

static const struct dtt_tracker_swarm_ops swarm_ops = {
	.join = swarm_join,
	.neighbors = swarm_neighbors,
	.recent_hashes = swarm_recent_hashes,
	.own_addr = swarm_own_addr,
	.peer_addr = swarm_peer_addr,
};

static void on_tracker_event(void *ctx, enum dtt_tracker_event ev, long arg)
{
	struct dtt_topic *t = ctx;

	if (t->cb.tracker)
		t->cb.tracker(t->ctx, ev, arg);
}

static int free_slot(const struct dtt_node *node)
{
	for (int i = 0; i < DTT_NODE_TOPICS_MAX; i++)
		if (!node->topics[i])
			return i;
	return -1;
}

/* A topic of the node's gossip layer that accepts joins, in a free slot of node->topics; no
 * tracker yet. */
static int topic_open(struct dtt_node *node, const uint8_t id[DTT_TOPIC_ID_BYTES],
		      const struct dtt_topic_callbacks *cb, void *ctx, struct dtt_topic **out)
{
	struct dtt_topic *t;
	int slot = free_slot(node), err;

	if (find_topic(node, id))
		return DTT_ERR_EXISTS;
	if (slot < 0)
		return DTT_ERR_FULL;
	t = dtt_alloc(sizeof(*t));
	if (!t)
		return DTT_ERR_NOMEM;
	t->node = node;
	memcpy(t->id, id, sizeof(t->id));
	if (cb)
		t->cb = *cb;
	t->ctx = ctx;
	err = dtt_gossip_join(node->gossip, t->id, NULL, 0); /* a member that accepts joins */
	if (err) {
		dtt_free(t);
		return err;
	}
	node->topics[slot] = t;
	*out = t;
	return 0;
}

static void topic_close(struct dtt_topic *t)
{
	struct dtt_node *node = t->node;

	for (int i = 0; i < DTT_NODE_TOPICS_MAX; i++)
		if (node->topics[i] == t)
			node->topics[i] = NULL;
	dtt_gossip_leave(node->gossip, t->id);
	topic_free(t);
}

int dtt_subscribe_and_join(struct dtt_node *node, const struct dtt_record_publisher *pub,
			   const struct dtt_topic_callbacks *cb, void *ctx, struct dtt_topic **out)
{
	struct dtt_tracker_observer obs = {.event = on_tracker_event};
	struct dtt_topic_keys keys;
	struct dtt_topic *t;
	int err;

	if (!pub || (!pub->secret && pub->secret_len))
		return DTT_ERR_INVALID;
	if (find_topic(node, pub->topic.bytes))
		return DTT_ERR_EXISTS;
	if (free_slot(node) < 0)
		return DTT_ERR_FULL;
	if (!node->memo) {
		if (dtt_record_memo_init(&node->own_memo, node->memo_entries))
			return DTT_ERR_NOMEM;
		node->memo = &node->own_memo;
	}
	/* in node->topics before the tracker starts: its events find the topic */
	err = topic_open(node, pub->topic.bytes, cb, ctx, &t);
	if (err)
		return err;
	memset(&keys, 0, sizeof(keys));
	memcpy(keys.topic, t->id, sizeof(keys.topic));
	dtt_secret_hash(keys.secret_hash, pub->secret, pub->secret_len);
	keys.rotation = pub->rotation;
	obs.ctx = t;
	{
		struct dtt_tracker_topic_args a = {
			.env = node->env,
			.timers = &node->timers,
			.dht = node->dht,
			.memo = node->memo,
			.cfg = pub->config,
			.keys = &keys,
			.node_sk = node->sk,
			.ops = &swarm_ops,
			.ops_ctx = t,
			.observer = &obs,
		};

		t->tracker = dtt_tracker_topic_new(&a);
	}
	sodium_memzero(&keys, sizeof(keys));
	if (!t->tracker) {
		topic_close(t);
		return DTT_ERR_NOMEM;
	}
	if (out)
		*out = t;
	return 0;
}

int dtt_subscribe(struct dtt_node *node, const struct dtt_topic_id *topic,
		  const struct dtt_topic_callbacks *cb, void *ctx, struct dtt_topic **out)
{
	struct dtt_topic *t;
	int err;

	if (!topic)
		return DTT_ERR_INVALID;
	err = topic_open(node, topic->bytes, cb, ctx, &t);
	if (!err && out)
		*out = t;
	return err;
}

int dtt_topic_join_peers(struct dtt_topic *t, const struct dtt_peer *peers, size_t n)
{
	struct dtt_gossip_peer gp[DTT_TOPIC_JOIN_PEERS_MAX];

	if (n > DTT_TOPIC_JOIN_PEERS_MAX || (n && !peers))
		return DTT_ERR_INVALID;
	for (size_t i = 0; i < n; i++) {
		memcpy(gp[i].id, peers[i].id, sizeof(gp[i].id));
		gp[i].has_addr = peers[i].has_addr;
		gp[i].addr = peers[i].addr;
	}
	return dtt_gossip_join(t->node->gossip, t->id, gp, n);
}

int dtt_topic_broadcast(struct dtt_topic *t, const uint8_t *buf, size_t len)
{
	return dtt_gossip_broadcast(t->node->gossip, t->id, buf, len, NULL);
}

int dtt_topic_broadcast_neighbors(struct dtt_topic *t, const uint8_t *buf, size_t len)
{
	return dtt_gossip_broadcast_neighbors(t->node->gossip, t->id, buf, len);
}

bool dtt_topic_is_joined(const struct dtt_topic *t)
{
	return dtt_gossip_is_joined(t->node->gossip, t->id);
}

size_t dtt_topic_neighbors(const struct dtt_topic *t, uint8_t (*out)[DTT_PEER_ID_BYTES],
			   size_t max)
{
	return dtt_gossip_neighbors(t->node->gossip, t->id, out, max);
}

const struct dtt_tracker_stats *dtt_topic_tracker_stats(const struct dtt_topic *t)
{
	return t->tracker ? dtt_tracker_topic_stats(t->tracker) : NULL;
}

void dtt_topic_leave(struct dtt_topic *t)
{
	topic_close(t);
}

const char *dtt_neighbor_down_name(int reason)
{
	return dtt_gossip_down_name(reason);
}

/* --- operator metrics --- */

static const char *const drop_layer_names[] = {"node", "dht", "link", "gossip"};
_Static_assert(sizeof(drop_layer_names) / sizeof(drop_layer_names[0]) == DTT_DROP_LAYER__COUNT,
	       "one name per drop layer");

const char *dtt_drop_layer_name(int layer)
{
	return layer >= 0 && layer < DTT_DROP_LAYER__COUNT ? drop_layer_names[layer] : "?";
}

int dtt_drop_first(int layer)
{
	return layer == DTT_DROP_LAYER_DHT || layer == DTT_DROP_LAYER_GOSSIP ? 1 : 0;
}

size_t dtt_drop_reasons(int layer)
{
	switch (layer) {
	case DTT_DROP_LAYER_NODE: return DTT_NODE_DROP__COUNT;
	case DTT_DROP_LAYER_DHT: return DTT_DHT_DROP__COUNT;
	case DTT_DROP_LAYER_LINKS: return DTT_LINKS_DROP__COUNT;
	case DTT_DROP_LAYER_GOSSIP: return DTT_GOSSIP_DROP__COUNT;
	default: return 0;
	}
}

const char *dtt_drop_name(int layer, int reason)
{
	if (reason < 0 || (size_t)reason >= dtt_drop_reasons(layer))
		return "?";
	switch (layer) {
	case DTT_DROP_LAYER_NODE: return dtt_node_drop_name(reason);
	case DTT_DROP_LAYER_DHT: return dtt_dht_drop_name(reason);
	case DTT_DROP_LAYER_LINKS: return dtt_links_drop_name(reason);
	default: return dtt_gossip_drop_name(reason);
	}
}

uint64_t dtt_stats_dropped(const struct dtt_stats *st, int layer, int reason)
{
	if (reason < 0 || (size_t)reason >= dtt_drop_reasons(layer))
		return 0;
	switch (layer) {
	case DTT_DROP_LAYER_NODE: return st->node_dropped[reason];
	case DTT_DROP_LAYER_DHT: return st->dht.dropped[reason];
	case DTT_DROP_LAYER_LINKS: return st->links.dropped[reason];
	default: return st->gossip.dropped[reason];
	}
}

/* The counters dtt_counters and dtt_stats share: one copy for both. */
#define COPY_COUNTERS(node, out)                                                               \
	do {                                                                                   \
		struct dtt_links *l_ = dtt_gossip_links((node)->gossip);                       \
                                                                                               \
		(out)->datagrams_in = (node)->stats.datagrams_in;                              \
		(out)->bytes_in = (node)->stats.bytes_in;                                      \
		memcpy((out)->node_dropped, (node)->stats.dropped, sizeof((out)->node_dropped)); \
		(out)->dht = *dtt_dht_stats((node)->dht);                                      \
		if (l_)                                                                        \
			(out)->links = *dtt_links_stats(l_);                                   \
		else                                                                           \
			memset(&(out)->links, 0, sizeof((out)->links));                        \
		(out)->gossip = *dtt_gossip_stats((node)->gossip);                             \
	} while (0)

void dtt_node_counters(const struct dtt_node *node, struct dtt_counters *out)
{
	COPY_COUNTERS(node, out);
}

const char *dtt_node_drop_name(int reason)
{
	switch (reason) {
	case DTT_NODE_DROP_EMPTY: return "empty";
	case DTT_NODE_DROP_UNKNOWN: return "unknown";
	default: return "?";
	}
}

static const struct dtt_topic *find_topic_const(const struct dtt_node *node, const uint8_t id[32])
{
	for (int i = 0; i < DTT_NODE_TOPICS_MAX; i++)
		if (node->topics[i] && memcmp(node->topics[i]->id, id, 32) == 0)
			return node->topics[i];
	return NULL;
}

void dtt_node_stats(const struct dtt_node *node, struct dtt_stats *out)
{
	uint8_t ids[DTT_STATS_TOPICS_MAX][DTT_GOSSIP_TOPIC_BYTES];
	const struct dtt_addr_vote *v = dtt_dht_addr_vote(node->dht);
	const struct dtt_verify_memo *vm = node->dht_verify_memo;
	struct dtt_gossip_peer peers[DTT_HPV_PASSIVE_LIMIT];
	uint8_t nb[DTT_HPV_ACTIVE_LIMIT][DTT_GOSSIP_PEER_BYTES];

	memset(out, 0, sizeof(*out));
	COPY_COUNTERS(node, out);
	out->dht_nodes = dtt_dht_node_count(node->dht);
	out->dht_rpcs = dtt_dht_rpc_count(node->dht);
	out->dht_ops = dtt_dht_op_count(node->dht);
	out->dht_items = dtt_store_count(dtt_dht_store(node->dht));
	if (v)
		out->addr_votes = (uint64_t)v->v4.count + v->v6.count;
	for (int i = 0; i < 2; i++) {
		out->has_public[i] = node->has_public[i];
		out->public_addr[i] = node->public_addr[i];
	}
	out->has_own = dtt_node_own_addr(node, &out->own_addr);
	if (node->memo) {
		out->record_memo = true;
		out->record_memo_hits = node->memo->hits;
		out->record_memo_misses = node->memo->misses;
	}
	if (vm) {
		const struct dtt_verify_memo_stats *vs = dtt_verify_memo_stats(vm);

		out->verify_memo = true;
		out->verify_memo_checks = vs->checks;
		out->verify_memo_hits = vs->hits;
	}
	out->topics_count = dtt_gossip_topics(node->gossip, ids, DTT_STATS_TOPICS_MAX);
	for (size_t i = 0; i < out->topics_count; i++) {
		struct dtt_stats_topic *st = &out->topics[i];
		const struct dtt_topic *t = find_topic_const(node, ids[i]);

		memcpy(st->id, ids[i], sizeof(st->id));
		st->joined = dtt_gossip_is_joined(node->gossip, ids[i]);
		st->neighbors = dtt_gossip_neighbors(node->gossip, ids[i], nb, DTT_HPV_ACTIVE_LIMIT);
		st->passive = dtt_gossip_passive(node->gossip, ids[i], peers, DTT_HPV_PASSIVE_LIMIT);
		if (t && t->tracker) {
			st->has_tracker = true;
			st->tracker = *dtt_tracker_topic_stats(t->tracker);
		}
	}
}
