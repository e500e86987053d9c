/* test_plumtree.c - PlumTree broadcast trees (spec/GOSSIP.md §6) on fixed in-memory topologies:
 * eager push, prune on duplicates, IHave batching, graft after a lost push, tree optimisation,
 * Neighbors scope, retention windows and bounds. One manual clock and one timer heap; messages
 * go through the real codec and arrive after a fixed latency, in send order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "crypto.h"
#include "err.h"
#include "msg.h"
#include "plumtree.h"
#include "rng.h"

#define NMAX	   16
#define LAT	   10
#define LOG_MAX	   256
#define FLIGHT_MAX 1024

struct tnet;

struct tenv {
	struct dtt_env env;
	struct dtt_rng rng;
	struct tnet *net;
};

struct msglog {
	int type, peer;
	uint8_t count; /* IHave entries */
	bool has_id;   /* Graft */
	uint16_t round;
};

struct delivered {
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	int from, scope;
	uint16_t round;
	size_t len;
	uint64_t at;
};

struct tnode {
	struct tenv e;
	struct dtt_plumtree pt;
	struct dtt_plumtree_stats stats;
	uint8_t id[DTT_GOSSIP_PEER_BYTES];
	int index;
	struct msglog rx[LOG_MAX], tx[LOG_MAX];
	size_t rx_count, tx_count;
	struct delivered got[LOG_MAX];
	size_t got_count;
};

struct delivery {
	struct dtt_timer t;
	int from, to;
	size_t len;
	uint8_t buf[DTT_GOSSIP_MSG_MAX];
};

struct tnet {
	uint64_t now;
	struct dtt_timers timers;
	struct dtt_plumtree_config cfg;
	size_t n;
	struct tnode nodes[NMAX];
	struct delivery *flight[FLIGHT_MAX];
	size_t flight_count;
	int drop_gossip_from, drop_gossip_to; /* the next Gossip on this link is lost */
	int drop_ihave_from, drop_ihave_to;   /* the next IHave on this link is lost */
	int lossy_from, lossy_to;	      /* the loss estimate of this link is 30% */
};

static struct tnet net;
static const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES] = {9};

static uint64_t env_now(void *ctx)
{
	return ((struct tenv *)ctx)->net->now;
}

static int64_t env_wall(void *ctx)
{
	return (int64_t)((struct tenv *)ctx)->net->now;
}

static int env_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	(void)ctx, (void)to, (void)buf, (void)len;
	return 0;
}

static void env_random(void *ctx, uint8_t *buf, size_t len)
{
	dtt_rng_fill(&((struct tenv *)ctx)->rng, buf, len);
}

static void env_log(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx, (void)level, (void)module, (void)msg;
}

static const struct dtt_env_ops env_ops = {env_now, env_wall, env_send, env_random, env_log};

static void log_msg(struct msglog *log, size_t *count, const struct dtt_gossip_msg *m, int peer)
{
	struct msglog *l;

	if (*count >= LOG_MAX)
		return;
	l = &log[(*count)++];
	memset(l, 0, sizeof(*l));
	l->type = m->type;
	l->peer = peer;
	if (m->type == DTT_GOSSIP_MSG_IHAVE)
		l->count = m->ihave.count;
	if (m->type == DTT_GOSSIP_MSG_GRAFT) {
		l->has_id = m->graft.has_id;
		l->round = m->graft.round;
	}
	if (m->type == DTT_GOSSIP_MSG_GOSSIP)
		l->round = m->gossip.round;
}

static void flight_remove(struct delivery *d)
{
	for (size_t i = 0; i < net.flight_count; i++)
		if (net.flight[i] == d) {
			net.flight[i] = net.flight[--net.flight_count];
			return;
		}
}

static void delivery_expired(struct dtt_timer *t)
{
	struct delivery *d = DTT_CONTAINER_OF(t, struct delivery, t);
	struct tnode *to = &net.nodes[d->to];
	struct dtt_gossip_msg m;

	flight_remove(d);
	assert_int_equal(dtt_gossip_msg_decode(&m, d->buf, d->len, NULL), 0);
	log_msg(to->rx, &to->rx_count, &m, d->from);
	assert_int_equal(dtt_plumtree_on_message(&to->pt, net.nodes[d->from].id, &m), 0);
	dtt_free(d);
}

static int op_send(void *ctx, const uint8_t *peer, const struct dtt_gossip_msg *m)
{
	struct tnode *from = ctx;
	struct delivery *d;
	int n;

	log_msg(from->tx, &from->tx_count, m, peer[0]);
	if (m->type == DTT_GOSSIP_MSG_GOSSIP && from->index == net.drop_gossip_from &&
	    peer[0] == net.drop_gossip_to) {
		net.drop_gossip_from = -1;
		return 0;
	}
	if (m->type == DTT_GOSSIP_MSG_IHAVE && from->index == net.drop_ihave_from &&
	    peer[0] == net.drop_ihave_to) {
		net.drop_ihave_from = -1;
		return 0;
	}
	d = dtt_alloc(sizeof(*d));
	assert_non_null(d);
	n = dtt_gossip_msg_encode(topic, m, d->buf, sizeof(d->buf));
	assert_true(n > 0);
	d->len = (size_t)n;
	d->from = from->index;
	d->to = peer[0];
	dtt_timer_init(&d->t, delivery_expired);
	dtt_timer_arm(&net.timers, &d->t, net.now + LAT);
	assert_true(net.flight_count < FLIGHT_MAX);
	net.flight[net.flight_count++] = d;
	return 0;
}

static void op_deliver(void *ctx, const uint8_t *from, const uint8_t *id, const uint8_t *content,
		       size_t len, int scope, uint16_t round)
{
	struct tnode *n = ctx;
	struct delivered *g;
	uint8_t h[DTT_GOSSIP_MSGID_BYTES];

	dtt_hash32(h, content, len);
	assert_memory_equal(h, id, sizeof(h));
	assert_true(n->got_count < LOG_MAX);
	g = &n->got[n->got_count++];
	memcpy(g->id, id, sizeof(g->id));
	g->from = from[0];
	g->scope = scope;
	g->round = round;
	g->len = len;
	g->at = net.now;
}

static int op_loss_pm(void *ctx, const uint8_t *peer)
{
	struct tnode *n = ctx;

	return n->index == net.lossy_from && peer[0] == net.lossy_to ? 300 : 0;
}

static const struct dtt_plumtree_ops ops = {op_send, op_deliver, op_loss_pm};

static void net_init(size_t n)
{
	memset(&net, 0, sizeof(net));
	dtt_timers_init(&net.timers);
	dtt_plumtree_config_init(&net.cfg);
	net.now = 5000;
	net.n = n;
	net.drop_gossip_from = -1;
	net.drop_ihave_from = -1;
	net.lossy_from = -1;
}

static void net_start(void)
{
	for (size_t i = 0; i < net.n; i++) {
		struct tnode *x = &net.nodes[i];

		x->index = (int)i;
		x->e.env.ops = &env_ops;
		x->e.env.ctx = &x->e;
		x->e.net = &net;
		dtt_rng_derive(&x->e.rng, 77, 1, i);
		memset(x->id, 0x33, sizeof(x->id));
		x->id[0] = (uint8_t)i;
		assert_int_equal(dtt_plumtree_init(&x->pt, &x->e.env, &net.timers, &net.cfg, 8,
						   &ops, x, &x->stats),
				 0);
	}
}

static void link_nodes(int a, int b)
{
	dtt_plumtree_neighbor_up(&net.nodes[a].pt, net.nodes[b].id);
	dtt_plumtree_neighbor_up(&net.nodes[b].pt, net.nodes[a].id);
}

static void net_run(uint64_t ms)
{
	uint64_t until = net.now + ms, next;

	while ((next = dtt_timers_next_ms(&net.timers)) <= until) {
		net.now = next;
		dtt_timers_run(&net.timers, next);
	}
	net.now = until;
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < net.flight_count; i++) {
		dtt_timer_cancel(&net.timers, &net.flight[i]->t);
		dtt_free(net.flight[i]);
	}
	net.flight_count = 0;
	for (size_t i = 0; i < net.n; i++)
		dtt_plumtree_deinit(&net.nodes[i].pt);
	assert_int_equal(net.timers.count, 0);
	return 0;
}

static struct dtt_plumtree *P(int i)
{
	return &net.nodes[i].pt;
}

static int eager(int i, int j)
{
	return dtt_plumtree_is_eager(P(i), net.nodes[j].id);
}

static void bcast(int i, const char *s, uint8_t id[DTT_GOSSIP_MSGID_BYTES])
{
	assert_int_equal(
	    dtt_plumtree_broadcast(P(i), (const uint8_t *)s, strlen(s), DTT_GOSSIP_SCOPE_SWARM, id),
	    0);
}

static size_t count_type(const struct msglog *log, size_t n, int type)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += log[i].type == type;
	return c;
}

/* A converged triangle: 0 is the root, the 1 - 2 link is lazy on both sides. */
static void triangle(void)
{
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];

	net_init(3);
	net_start();
	link_nodes(0, 1);
	link_nodes(0, 2);
	link_nodes(1, 2);
	bcast(0, "first", id);
	net_run(500);
}

static void test_pt_broadcast_reaches_everyone_once_and_prunes_duplicates(void **state)
{
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];

	(void)state;
	triangle();
	for (int i = 1; i <= 2; i++) {
		struct tnode *x = &net.nodes[i];

		assert_int_equal(x->got_count, 1);
		assert_int_equal(x->got[0].from, 0);
		assert_int_equal(x->got[0].round, 0);
		assert_int_equal(x->got[0].at, 5000 + LAT);
		/* the copy relayed by the other got pruned */
		assert_int_equal(x->stats.duplicates, 1);
		assert_int_equal(x->stats.prune_sent, 1);
	}
	assert_int_equal(net.nodes[0].got_count, 0); /* our own broadcast is not delivered */
	assert_int_equal(eager(0, 1), 1);
	assert_int_equal(eager(0, 2), 1);
	assert_int_equal(eager(1, 0), 1);
	assert_int_equal(eager(2, 0), 1);
	assert_int_equal(eager(1, 2), 0);
	assert_int_equal(eager(2, 1), 0);

	/* the tree holds: the next broadcast costs no duplicate, only IHaves on the lazy link */
	bcast(0, "second", id);
	net_run(500);
	for (int i = 1; i <= 2; i++) {
		assert_int_equal(net.nodes[i].got_count, 2);
		assert_int_equal(net.nodes[i].stats.duplicates, 1);
		assert_int_equal(net.nodes[i].stats.gossip_received, 3);
		assert_int_equal(net.nodes[i].stats.ihave_sent, 1);
		assert_int_equal(net.nodes[i].stats.graft_sent, 0);
	}
}

static void test_pt_graft_after_lost_eager_push(void **state)
{
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	uint64_t t0;
	struct tnode *c;
	size_t before;

	(void)state;
	triangle();
	c = &net.nodes[2];
	before = c->got_count;
	net.drop_gossip_from = 0;
	net.drop_gossip_to = 2;
	t0 = net.now;
	bcast(0, "lost on the way to 2", id);
	net_run(500);
	assert_int_equal(c->got_count, before + 1);
	/* the root announced its own broadcast to its eager neighbours too (IHave after the 5 ms
	 * dispatch), ahead of node 1's announcement one hop later: node 2 waited 80 ms and
	 * grafted the root, which answered with the payload */
	assert_int_equal(c->got[before].from, 0);
	assert_int_equal(c->got[before].round, 0);
	assert_int_equal(c->got[before].at, t0 + DTT_PLUMTREE_DISPATCH_TIMEOUT_MS + LAT +
						DTT_PLUMTREE_GRAFT_TIMEOUT_1_MS + LAT + LAT);
	assert_int_equal(c->stats.graft_sent, 1);
	assert_int_equal(net.nodes[0].stats.graft_received, 1);
	{
		size_t g = 0;

		while (g < c->tx_count && c->tx[g].type != DTT_GOSSIP_MSG_GRAFT)
			g++;
		assert_true(g < c->tx_count);
		assert_true(c->tx[g].has_id);
		assert_int_equal(c->tx[g].peer, 0);
		assert_int_equal(c->tx[g].round, 0); /* the round the root announced */
	}
	assert_int_equal(eager(2, 0), 1);
	assert_int_equal(eager(0, 2), 1);
	/* the eager neighbours that did get the payload ignore the root's IHave */
	assert_int_equal(net.nodes[1].stats.graft_sent, 0);
}

static void test_pt_relay_grafts_lazy_announcer_after_lost_eager_push(void **state)
{
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	uint64_t t0;
	struct tnode *c;
	size_t before;

	(void)state;
	triangle();
	c = &net.nodes[2];
	before = c->got_count;
	/* the root's payload and its own IHave both lost on the way to 2: only node 1, which
	 * relays, can announce it */
	net.drop_gossip_from = 0;
	net.drop_gossip_to = 2;
	net.drop_ihave_from = 0;
	net.drop_ihave_to = 2;
	t0 = net.now;
	bcast(0, "lost on the way to 2", id);
	net_run(500);
	assert_int_equal(c->got_count, before + 1);
	/* node 1 got it, announced it (IHave after the 5 ms dispatch), node 2 waited 80 ms,
	 * grafted node 1 and got the payload from it, one hop further from the root */
	assert_int_equal(c->got[before].from, 1);
	assert_int_equal(c->got[before].round, 1);
	assert_int_equal(c->got[before].at, t0 + LAT + DTT_PLUMTREE_DISPATCH_TIMEOUT_MS + LAT +
						DTT_PLUMTREE_GRAFT_TIMEOUT_1_MS + LAT + LAT);
	assert_int_equal(c->stats.graft_sent, 1);
	assert_int_equal(net.nodes[1].stats.graft_received, 1);
	{
		size_t g = 0;

		while (g < c->tx_count && c->tx[g].type != DTT_GOSSIP_MSG_GRAFT)
			g++;
		assert_true(g < c->tx_count);
		assert_true(c->tx[g].has_id);
		assert_int_equal(c->tx[g].peer, 1);
		assert_int_equal(c->tx[g].round, 1); /* the round node 1 announced */
	}
	/* the graft made the 1 - 2 link eager again on both sides */
	assert_int_equal(eager(2, 1), 1);
	assert_int_equal(eager(1, 2), 1);
}

/* A chain 0 - 1 - 2, every link eager, node 1 estimating its link to 2 at 30% loss. The
 * payload 1 forwards to 2 is lost: 2 has no lazy neighbour, so only the IHave that 1 also
 * sends a lossy eager neighbour (twice) lets it graft. Without the estimate (lossy_pm 0, the
 * reference) node 2 never gets the broadcast. */
static void chain_with_lossy_last_link(uint16_t lossy_pm)
{
	net_init(3);
	net.cfg.lossy_pm = lossy_pm;
	net_start();
	link_nodes(0, 1);
	link_nodes(1, 2);
	net.lossy_from = 1;
	net.lossy_to = 2;
	net.drop_gossip_from = 1;
	net.drop_gossip_to = 2;
}

static size_t ihaves_from_to(int from, int to)
{
	size_t c = 0;

	for (size_t i = 0; i < net.nodes[from].tx_count; i++)
		c += net.nodes[from].tx[i].type == DTT_GOSSIP_MSG_IHAVE &&
		     net.nodes[from].tx[i].peer == to;
	return c;
}

static void test_pt_lossy_eager_neighbour_gets_announcements_too(void **state)
{
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	struct tnode *c;

	(void)state;
	chain_with_lossy_last_link(DTT_PLUMTREE_LOSSY_PM);
	c = &net.nodes[2];
	bcast(0, "over a lossy hop", id);
	net_run(500);
	assert_int_equal(c->got_count, 1);
	assert_memory_equal(c->got[0].id, id, sizeof(id));
	assert_int_equal(c->got[0].from, 1);
	assert_int_equal(ihaves_from_to(1, 2), DTT_PLUMTREE_IHAVE_COPIES);
	assert_int_equal(ihaves_from_to(1, 0), 0); /* a clean link: no extra announcement */
	assert_int_equal(c->stats.graft_sent, 1);
	assert_int_equal(net.nodes[1].stats.graft_received, 1);
	teardown(NULL);

	chain_with_lossy_last_link(0);
	bcast(0, "over a lossy hop", id);
	net_run(500);
	assert_int_equal(net.nodes[2].got_count, 0);
	assert_int_equal(ihaves_from_to(1, 2), 0);
}

static void test_pt_second_announcer_is_grafted_after_40ms(void **state)
{
	struct dtt_gossip_msg m;
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	uint64_t t0;

	(void)state;
	net_init(3);
	net_start();
	link_nodes(0, 1);
	link_nodes(0, 2);
	/* node 0 hears of a message from 1 then from 2; neither ever answers a Graft */
	dtt_hash32(id, "x", 1);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_IHAVE;
	m.ihave.count = 1;
	memcpy(m.ihave.v[0].id, id, sizeof(id));
	m.ihave.v[0].round = 3;
	t0 = net.now;
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[1].id, &m), 0);
	m.ihave.v[0].round = 4;
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[2].id, &m), 0);
	net_run(DTT_PLUMTREE_GRAFT_TIMEOUT_1_MS - 1);
	assert_int_equal(net.nodes[0].stats.graft_sent, 0);
	net_run(1);
	assert_int_equal(net.nodes[0].stats.graft_sent, 1);
	assert_int_equal(net.nodes[0].tx[0].peer, 1); /* the oldest announcer first */
	assert_int_equal(net.nodes[0].tx[0].round, 3);
	net_run(DTT_PLUMTREE_GRAFT_TIMEOUT_2_MS);
	assert_int_equal(net.nodes[0].stats.graft_sent, 2);
	assert_int_equal(net.nodes[0].tx[1].peer, 2);
	assert_int_equal(net.now, t0 + 120);
	/* a lost Graft or answer: more rounds over the same announcers, graft_retry_ms apart */
	net_run(DTT_PLUMTREE_GRAFT_RETRY_MS - 1);
	assert_int_equal(net.nodes[0].stats.graft_sent, 2);
	net_run(1);
	assert_int_equal(net.nodes[0].stats.graft_sent, 3);
	assert_int_equal(net.nodes[0].tx[2].peer, 1);
	net_run(DTT_PLUMTREE_GRAFT_RETRY_MS);
	assert_int_equal(net.nodes[0].tx[3].peer, 2);
	net_run((DTT_PLUMTREE_GRAFT_ROUNDS - 2) * 2 * DTT_PLUMTREE_GRAFT_RETRY_MS);
	assert_int_equal(net.nodes[0].stats.graft_sent, 2 * DTT_PLUMTREE_GRAFT_ROUNDS);
	assert_int_equal(net.nodes[0].stats.graft_exhausted, 0);
	/* every announcer used graft_rounds times: the id is given up at the next deadline */
	net_run(DTT_PLUMTREE_GRAFT_RETRY_MS);
	assert_int_equal(net.nodes[0].stats.graft_exhausted, 1);
	assert_int_equal(P(0)->missing_count, 0);
	net_run(1000); /* nodes 1 and 2 had nothing cached: the Grafts were misses */
	assert_int_equal(net.nodes[1].stats.graft_missed + net.nodes[2].stats.graft_missed,
			 2 * DTT_PLUMTREE_GRAFT_ROUNDS);
}

static void test_pt_neighbors_scope_is_never_forwarded(void **state)
{
	(void)state;
	net_init(3);
	net_start();
	link_nodes(0, 1);
	link_nodes(1, 2);
	assert_int_equal(dtt_plumtree_broadcast(P(0), (const uint8_t *)"hi", 2,
						DTT_GOSSIP_SCOPE_NEIGHBORS, NULL),
			 0);
	assert_int_equal(dtt_plumtree_broadcast(P(0), (const uint8_t *)"hi", 2,
						DTT_GOSSIP_SCOPE_NEIGHBORS, NULL),
			 0);
	net_run(500);
	/* both copies delivered (no de-duplication in this scope), round 0, never relayed */
	assert_int_equal(net.nodes[1].got_count, 2);
	assert_int_equal(net.nodes[1].got[1].scope, DTT_GOSSIP_SCOPE_NEIGHBORS);
	assert_int_equal(net.nodes[1].got[1].round, 0);
	assert_int_equal(net.nodes[1].tx_count, 0);
	assert_int_equal(net.nodes[2].got_count, 0);
	assert_int_equal(net.nodes[2].rx_count, 0);
}

static void test_pt_neighbors_scope_reaches_lazy_neighbours_too(void **state)
{
	(void)state;
	triangle(); /* 1 - 2 is lazy */
	assert_int_equal(
	    dtt_plumtree_broadcast(P(1), (const uint8_t *)"n", 1, DTT_GOSSIP_SCOPE_NEIGHBORS, NULL),
	    0);
	net_run(100);
	assert_int_equal(net.nodes[2].got_count, 2);
	assert_int_equal(net.nodes[2].got[1].from, 1);
	assert_int_equal(net.nodes[0].got_count, 1);
}

static void test_pt_payload_with_wrong_id_is_refused(void **state)
{
	struct dtt_gossip_msg m;

	(void)state;
	net_init(2);
	net_start();
	link_nodes(0, 1);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GOSSIP;
	dtt_hash32(m.gossip.id, "other", 5);
	m.gossip.chunk = (const uint8_t *)"spoofed";
	m.gossip.total_len = m.gossip.chunk_len = 7;
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[1].id, &m), DTT_ERR_AUTH);
	assert_int_equal(net.nodes[0].stats.bad_id, 1);
	assert_int_equal(net.nodes[0].got_count, 0);
	assert_int_equal(net.nodes[0].tx_count, 0);
	assert_false(dtt_plumtree_has_seen(P(0), m.gossip.id));
	/* a fragment is not a payload */
	dtt_hash32(m.gossip.id, "spoofed", 7);
	m.gossip.total_len = 9;
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[1].id, &m), DTT_ERR_INVALID);
	/* control from a stranger is refused; a payload from one is still delivered */
	m.type = DTT_GOSSIP_MSG_PRUNE;
	assert_int_equal(dtt_plumtree_on_message(
			     P(0), (const uint8_t *)"\x09strangerstrangerstrangerstrange", &m),
			 DTT_ERR_STATE);
}

/* A chain 0 - 1 - ... - (len-1) of eager links plus a lazy 0 - (len-1) shortcut. */
static void chain_with_lazy_shortcut(int len)
{
	struct dtt_gossip_msg prune;
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];

	net_init((size_t)len);
	net_start();
	for (int i = 0; i + 1 < len; i++)
		link_nodes(i, i + 1);
	link_nodes(0, len - 1);
	memset(&prune, 0, sizeof(prune));
	prune.type = DTT_GOSSIP_MSG_PRUNE;
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[len - 1].id, &prune), 0);
	assert_int_equal(dtt_plumtree_on_message(P(len - 1), net.nodes[0].id, &prune), 0);
	bcast(0, "down the long branch", id);
	net_run(1000);
}

static void test_pt_optimisation_reroots_a_branch_at_the_threshold(void **state)
{
	struct tnode *end;

	(void)state;
	/* 9 nodes: the payload reaches the end with round 7, the shortcut announced round 0 */
	chain_with_lazy_shortcut(9);
	end = &net.nodes[8];
	assert_int_equal(end->got_count, 1);
	assert_int_equal(end->got[0].round, 7);
	assert_int_equal(end->got[0].from, 7);
	assert_int_equal(end->stats.optimizations, 1);
	assert_int_equal(end->stats.graft_sent, 1);
	/* a Graft without id to the shortcut, then a Prune to the long branch */
	{
		size_t g = 0;

		while (g < end->tx_count && end->tx[g].type != DTT_GOSSIP_MSG_GRAFT)
			g++;
		assert_true(g + 1 < end->tx_count);
		assert_false(end->tx[g].has_id);
		assert_int_equal(end->tx[g].peer, 0);
		assert_int_equal(end->tx[g + 1].type, DTT_GOSSIP_MSG_PRUNE);
		assert_int_equal(end->tx[g + 1].peer, 7);
	}
	assert_int_equal(eager(8, 0), 1);
	assert_int_equal(eager(8, 7), 0);
	assert_int_equal(eager(0, 8), 1);
	assert_int_equal(eager(7, 8), 0);
	assert_int_equal(net.nodes[0].stats.graft_missed, 0);
	teardown(NULL);

	/* 8 nodes: round 6, one hop short of the threshold: nothing changes */
	chain_with_lazy_shortcut(8);
	end = &net.nodes[7];
	assert_int_equal(end->got[0].round, 6);
	assert_int_equal(end->stats.optimizations, 0);
	assert_int_equal(eager(7, 0), 0);
	assert_int_equal(eager(7, 6), 1);
}

static void test_pt_ihaves_are_batched_31_per_message(void **state)
{
	struct dtt_gossip_msg prune;
	char text[16];
	size_t ihaves = 0;

	(void)state;
	net_init(2);
	net.cfg.graft_timeout_1_ms = 10000; /* keep node 1 from grafting during the test */
	net_start();
	link_nodes(0, 1);
	memset(&prune, 0, sizeof(prune));
	prune.type = DTT_GOSSIP_MSG_PRUNE;
	dtt_plumtree_on_message(P(0), net.nodes[1].id, &prune);
	for (int i = 0; i < 40; i++) {
		snprintf(text, sizeof(text), "msg %d", i);
		bcast(0, text, NULL);
	}
	/* a full batch goes at once, the rest after the dispatch delay */
	assert_int_equal(net.nodes[0].stats.ihave_sent, 1);
	assert_int_equal(net.nodes[0].tx[0].count, DTT_GOSSIP_MSG_IHAVE_MAX);
	net_run(DTT_PLUMTREE_DISPATCH_TIMEOUT_MS - 1);
	assert_int_equal(net.nodes[0].stats.ihave_sent, 1);
	net_run(1);
	assert_int_equal(net.nodes[0].stats.ihave_sent, 2);
	assert_int_equal(net.nodes[0].tx[1].count, 40 - DTT_GOSSIP_MSG_IHAVE_MAX);
	assert_int_equal(net.nodes[0].stats.ihave_entries_sent, 40);
	net_run(100);
	ihaves = count_type(net.nodes[1].rx, net.nodes[1].rx_count, DTT_GOSSIP_MSG_IHAVE);
	assert_int_equal(ihaves, 2);
	assert_int_equal(P(1)->missing_count, 40);
	assert_int_equal(net.nodes[1].got_count, 0);
}

static void test_pt_cache_and_id_retention_windows(void **state)
{
	struct dtt_gossip_msg m;
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	uint64_t t0;

	(void)state;
	net_init(2);
	net_start();
	link_nodes(0, 1);
	t0 = net.now;
	bcast(0, "kept 30 s", id);
	net_run(100);
	assert_int_equal(net.nodes[1].got_count, 1);

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GRAFT;
	m.graft.has_id = true;
	memcpy(m.graft.id, id, sizeof(id));
	net_run(t0 + DTT_PLUMTREE_CACHE_RETENTION_MS - 1 - net.now);
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[1].id, &m), 0);
	assert_int_equal(net.nodes[0].stats.gossip_sent, 2); /* answered from the cache */
	net_run(1);
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[1].id, &m), 0);
	assert_int_equal(net.nodes[0].stats.gossip_sent, 2);
	assert_int_equal(net.nodes[0].stats.graft_missed, 1);
	net_run(100);
	assert_int_equal(net.nodes[1].got_count, 1); /* the grafted copy was a duplicate */

	/* the id is remembered 90 s: the same bytes within it are a duplicate, after it new */
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GOSSIP;
	memcpy(m.gossip.id, id, sizeof(id));
	m.gossip.chunk = (const uint8_t *)"kept 30 s";
	m.gossip.total_len = m.gossip.chunk_len = 9;
	net_run(t0 + LAT + DTT_PLUMTREE_ID_RETENTION_MS - 1 - net.now);
	assert_int_equal(dtt_plumtree_on_message(P(1), net.nodes[0].id, &m), 0);
	assert_int_equal(net.nodes[1].got_count, 1);
	net_run(1);
	assert_int_equal(dtt_plumtree_on_message(P(1), net.nodes[0].id, &m), 0);
	assert_int_equal(net.nodes[1].got_count, 2);
}

static void test_pt_received_ids_are_bounded(void **state)
{
	uint8_t ids[20][DTT_GOSSIP_MSGID_BYTES];
	char text[16];

	(void)state;
	net_init(1);
	net.cfg.received_max = 16;
	net.cfg.cache_max = 4;
	net_start();
	for (int i = 0; i < 20; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		bcast(0, text, ids[i]);
	}
	assert_int_equal(net.nodes[0].stats.received_evicted, 4);
	assert_int_equal(net.nodes[0].stats.cache_evicted, 16);
	for (int i = 0; i < 20; i++)
		assert_int_equal(dtt_plumtree_has_seen(P(0), ids[i]), i >= 4);
	assert_int_equal(P(0)->seen_count, 16);
	assert_int_equal(P(0)->cache_count, 4);
}

static void test_pt_neighbor_down_forgets_its_announcements(void **state)
{
	struct dtt_gossip_msg m;

	(void)state;
	net_init(2);
	net_start();
	link_nodes(0, 1);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_IHAVE;
	m.ihave.count = 1;
	memset(m.ihave.v[0].id, 0xee, DTT_GOSSIP_MSGID_BYTES);
	assert_int_equal(dtt_plumtree_on_message(P(0), net.nodes[1].id, &m), 0);
	dtt_plumtree_neighbor_down(P(0), net.nodes[1].id);
	assert_int_equal(dtt_plumtree_is_eager(P(0), net.nodes[1].id), -1);
	net_run(1000);
	assert_int_equal(net.nodes[0].stats.graft_sent, 0);
	assert_int_equal(net.nodes[0].stats.graft_exhausted, 1);
	assert_int_equal(P(0)->missing_count, 0);
}

static void test_pt_broadcast_checks_size_and_config_defaults(void **state)
{
	static uint8_t big[DTT_PLUMTREE_MESSAGE_SIZE_MAX + 1];

	(void)state;
	net_init(1);
	net_start();
	assert_int_equal(
	    dtt_plumtree_broadcast(P(0), big, sizeof(big), DTT_GOSSIP_SCOPE_SWARM, NULL),
	    DTT_ERR_TOOBIG);
	assert_int_equal(
	    dtt_plumtree_broadcast(P(0), big, sizeof(big) - 1, DTT_GOSSIP_SCOPE_SWARM, NULL), 0);
	assert_int_equal(dtt_plumtree_broadcast(P(0), big, 1, 7, NULL), DTT_ERR_INVALID);
	assert_int_equal(net.cfg.graft_timeout_1_ms, 80);
	assert_int_equal(net.cfg.graft_timeout_2_ms, 40);
	assert_int_equal(net.cfg.dispatch_timeout_ms, 5);
	assert_int_equal(net.cfg.optimization_threshold, 7);
	assert_int_equal(net.cfg.cache_retention_ms, 30000);
	assert_int_equal(net.cfg.id_retention_ms, 90000);
	assert_int_equal(net.cfg.max_message_size, 4096);
	assert_int_equal(net.cfg.lossy_pm, 50);
	assert_int_equal(net.cfg.ihave_copies, 2);
	net.cfg.lossy_pm = 1001;
	assert_int_equal(dtt_plumtree_config_check(&net.cfg), DTT_ERR_INVALID);
	net.cfg.lossy_pm = 50;
	net.cfg.max_message_size = 511;
	assert_int_equal(dtt_plumtree_config_check(&net.cfg), DTT_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_pt_broadcast_reaches_everyone_once_and_prunes_duplicates,
				      teardown),
	    cmocka_unit_test_teardown(test_pt_graft_after_lost_eager_push, teardown),
	    cmocka_unit_test_teardown(test_pt_relay_grafts_lazy_announcer_after_lost_eager_push,
				      teardown),
	    cmocka_unit_test_teardown(test_pt_lossy_eager_neighbour_gets_announcements_too,
				      teardown),
	    cmocka_unit_test_teardown(test_pt_second_announcer_is_grafted_after_40ms, teardown),
	    cmocka_unit_test_teardown(test_pt_neighbors_scope_is_never_forwarded, teardown),
	    cmocka_unit_test_teardown(test_pt_neighbors_scope_reaches_lazy_neighbours_too,
				      teardown),
	    cmocka_unit_test_teardown(test_pt_payload_with_wrong_id_is_refused, teardown),
	    cmocka_unit_test_teardown(test_pt_optimisation_reroots_a_branch_at_the_threshold,
				      teardown),
	    cmocka_unit_test_teardown(test_pt_ihaves_are_batched_31_per_message, teardown),
	    cmocka_unit_test_teardown(test_pt_cache_and_id_retention_windows, teardown),
	    cmocka_unit_test_teardown(test_pt_received_ids_are_bounded, teardown),
	    cmocka_unit_test_teardown(test_pt_neighbor_down_forgets_its_announcements, teardown),
	    cmocka_unit_test_teardown(test_pt_broadcast_checks_size_and_config_defaults, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
