/* test_hyparview.c - HyParView membership (spec/GOSSIP.md §4, §8) on an in-memory network of
 * state machines: join walk, shuffle, eviction, pending timeouts, refusals, refill, leave.
 * One manual clock and one timer heap for every node; messages go through the real codec and
 * arrive after a fixed latency, in send order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "err.h"
#include "hyparview.h"
#include "link.h"
#include "msg.h"
#include "rng.h"

#define NMAX	   48
#define LAT	   10
#define LOG_MAX	   512
#define FLIGHT_MAX 8192

struct tnet;

struct tenv {
	struct dtt_env env;
	struct dtt_rng rng;
	struct tnet *net;
};

struct logent {
	int type, peer, flag; /* flag: Disconnect alive, Neighbor priority */
};

struct tnode {
	struct tenv e;
	struct dtt_hpv h;
	struct dtt_hpv_config cfg;
	struct dtt_hpv_stats stats;
	uint8_t id[DTT_GOSSIP_PEER_BYTES];
	int index;
	bool dead, up;
	int ups, downs, last_down_peer, last_down_reason, disconnects;
	struct logent rx[LOG_MAX], tx[LOG_MAX];
	size_t rx_count, tx_count;
};

struct delivery {
	struct dtt_timer t;
	struct tnet *net;
	int from, to;
	size_t len;
	uint8_t buf[DTT_GOSSIP_MSG_MAX];
};

struct tnet {
	uint64_t now;
	struct dtt_timers timers;
	size_t n;
	struct tnode nodes[NMAX];
	struct delivery *flight[FLIGHT_MAX];
	size_t flight_count;
	bool drop_forward_join;
	int drop_neighbors; /* Neighbor messages still to lose in flight */
	uint64_t delivered;
};

static struct tnet net;
static const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES] = {7};

/* ---- env ---- */

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

/* ---- network ---- */

static int index_of(const uint8_t *id)
{
	return id[0];
}

static void node_addr(int i, struct dtt_addr *a)
{
	const uint8_t ip[4] = {10, 0, 0, (uint8_t)(i + 1)};

	dtt_addr_ipv4(a, ip, 6881);
}

static void flight_remove(struct delivery *d)
{
	for (size_t i = 0; i < net.flight_count; i++)
		if (net.flight[i] == d) {
			net.flight[i] = net.flight[--net.flight_count];
			return;
		}
}

static void log_add(struct logent *log, size_t *count, const struct dtt_gossip_msg *m, int peer)
{
	if (*count >= LOG_MAX)
		return;
	log[*count].type = m->type;
	log[*count].peer = peer;
	log[*count].flag = m->type == DTT_GOSSIP_MSG_DISCONNECT ? m->disconnect.alive
			   : m->type == DTT_GOSSIP_MSG_NEIGHBOR ? m->neighbor.priority
								: 0;
	(*count)++;
}

static void delivery_expired(struct dtt_timer *t)
{
	struct delivery *d = DTT_CONTAINER_OF(t, struct delivery, t);
	struct tnode *to = &net.nodes[d->to];
	struct dtt_gossip_msg m;

	flight_remove(d);
	if (!to->dead && to->up) {
		assert_int_equal(dtt_gossip_msg_decode(&m, d->buf, d->len, NULL), 0);
		if (m.type == DTT_GOSSIP_MSG_NEIGHBOR && net.drop_neighbors > 0) {
			net.drop_neighbors--;
			dtt_free(d);
			return;
		}
		log_add(to->rx, &to->rx_count, &m, d->from);
		net.delivered++;
		dtt_hpv_on_message(&to->h, net.nodes[d->from].id, &m);
	}
	dtt_free(d);
}

static int op_send(void *ctx, const uint8_t *peer, const struct dtt_gossip_msg *m)
{
	struct tnode *from = ctx;
	struct delivery *d;
	int n;

	log_add(from->tx, &from->tx_count, m, index_of(peer));
	if (net.drop_forward_join && m->type == DTT_GOSSIP_MSG_FORWARD_JOIN)
		return 0;
	d = dtt_alloc(sizeof(*d));
	assert_non_null(d);
	n = dtt_gossip_msg_encode(topic, m, d->buf, sizeof(d->buf));
	assert_true(n > 0);
	d->len = (size_t)n;
	d->from = from->index;
	d->to = index_of(peer);
	assert_true((size_t)d->to < net.n);
	dtt_timer_init(&d->t, delivery_expired);
	dtt_timer_arm(&net.timers, &d->t, net.now + LAT);
	assert_true(net.flight_count < FLIGHT_MAX);
	net.flight[net.flight_count++] = d;
	return 0;
}

static void op_disconnect(void *ctx, const uint8_t *peer)
{
	(void)peer;
	((struct tnode *)ctx)->disconnects++;
}

static void op_up(void *ctx, const uint8_t *peer)
{
	(void)peer;
	((struct tnode *)ctx)->ups++;
}

static void op_down(void *ctx, const uint8_t *peer, int reason)
{
	struct tnode *n = ctx;

	n->downs++;
	n->last_down_peer = index_of(peer);
	n->last_down_reason = reason;
}

static void op_set_addr(void *ctx, const uint8_t *peer, const struct dtt_addr *addr)
{
	struct dtt_addr want;

	(void)ctx;
	/* every address an introduction carries is the peer's real one */
	node_addr(index_of(peer), &want);
	assert_true(dtt_addr_eq(addr, &want));
}

static bool op_get_addr(void *ctx, const uint8_t *peer, struct dtt_addr *out)
{
	(void)ctx;
	node_addr(index_of(peer), out);
	return true;
}

static const struct dtt_hpv_ops ops = {op_send, op_disconnect, op_up,
				       op_down, op_set_addr,   op_get_addr};

static void node_start(int i)
{
	struct tnode *n = &net.nodes[i];

	assert_int_equal(
	    dtt_hpv_init(&n->h, &n->e.env, &net.timers, &n->cfg, n->id, &ops, n, &n->stats), 0);
	n->up = true;
}

/* n nodes with the default config (change nodes[i].cfg before node_start if needed). */
static void net_init(size_t n, uint64_t seed, bool start)
{
	memset(&net, 0, sizeof(net));
	dtt_timers_init(&net.timers);
	net.now = 1000;
	net.n = n;
	for (size_t i = 0; i < n; i++) {
		struct tnode *x = &net.nodes[i];

		x->index = (int)i;
		x->e.env.ops = &env_ops;
		x->e.env.ctx = &x->e;
		x->e.net = &net;
		dtt_rng_derive(&x->e.rng, seed, 1, i);
		memset(x->id, 0x5c, sizeof(x->id));
		x->id[0] = (uint8_t)i;
		dtt_hpv_config_init(&x->cfg);
		if (start)
			node_start((int)i);
	}
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
		if (net.nodes[i].up)
			dtt_hpv_deinit(&net.nodes[i].h);
	assert_int_equal(net.timers.count, 0);
	return 0;
}

static struct dtt_hpv *H(int i)
{
	return &net.nodes[i].h;
}

static bool active(int i, int j)
{
	return dtt_hpv_is_active(H(i), net.nodes[j].id);
}

static bool passive(int i, int j)
{
	return dtt_hpv_is_passive(H(i), net.nodes[j].id);
}

static int join(int i, int j)
{
	return dtt_hpv_join(H(i), net.nodes[j].id);
}

/* Every active link of a live node is mirrored by its (live) peer. */
static void assert_symmetric(void)
{
	for (size_t i = 0; i < net.n; i++) {
		if (!net.nodes[i].up || net.nodes[i].dead)
			continue;
		for (uint16_t k = 0; k < H((int)i)->active_count; k++) {
			int j = index_of(H((int)i)->active[k].id);

			if (!net.nodes[j].dead)
				assert_true(active(j, (int)i));
		}
	}
}

/* Hands node `to` a crafted message from node `from`. */
static void inject(int to, int from, const struct dtt_gossip_msg *m)
{
	log_add(net.nodes[to].rx, &net.nodes[to].rx_count, m, from);
	dtt_hpv_on_message(H(to), net.nodes[from].id, m);
}

static void shuffle_reply_of(struct dtt_gossip_msg *m, const int *peers, size_t n)
{
	memset(m, 0, sizeof(*m));
	m->type = DTT_GOSSIP_MSG_SHUFFLE_REPLY;
	m->shuffle_reply.nodes.count = (uint8_t)n;
	for (size_t i = 0; i < n; i++) {
		struct dtt_gossip_peer *p = &m->shuffle_reply.nodes.v[i];

		memcpy(p->id, net.nodes[peers[i]].id, DTT_GOSSIP_PEER_BYTES);
		p->has_addr = true;
		node_addr(peers[i], &p->addr);
	}
}

/* Index in node i's log of the first entry (type, peer) at or after `from`, or -1. */
static int find_log(const struct logent *log, size_t count, size_t from, int type, int peer)
{
	for (size_t k = from; k < count; k++)
		if (log[k].type == type && log[k].peer == peer)
			return (int)k;
	return -1;
}

/* ---- tests ---- */

static void test_hpv_join_handshake_admits_both_and_clears_pending(void **state)
{
	struct tnode *a, *b;

	(void)state;
	net_init(2, 1, true);
	a = &net.nodes[0];
	b = &net.nodes[1];
	assert_int_equal(join(1, 0), 0);
	assert_true(dtt_hpv_is_pending(H(1), a->id)); /* the Join has a timer too */
	net_run(3 * LAT);

	assert_true(active(0, 1) && active(1, 0));
	assert_int_equal(a->ups, 1);
	assert_int_equal(b->ups, 1);
	/* Join -> Neighbor(High); the joiner takes it as the answer and sends nothing back */
	assert_int_equal(b->tx_count, 1);
	assert_int_equal(b->tx[0].type, DTT_GOSSIP_MSG_JOIN);
	assert_int_equal(a->tx_count, 1);
	assert_int_equal(a->tx[0].type, DTT_GOSSIP_MSG_NEIGHBOR);
	assert_int_equal(a->tx[0].flag, DTT_GOSSIP_PRIO_HIGH);
	/* pending is cleared once the peer is active (§4.1 quirk) */
	assert_int_equal(H(1)->pending_count, 0);
	/* the contact's Neighbor is pending while the joiner might repeat its Join (one timeout
	 * per copy), then simply forgotten */
	assert_int_equal(H(0)->pending_count, 1);
	net_run(DTT_HPV_NEIGHBOR_TIMEOUT_MS * DTT_HPV_REQUEST_ATTEMPTS);
	assert_int_equal(H(0)->pending_count, 0);
	assert_true(active(0, 1));
	assert_int_equal(a->stats.pending_timeouts, 0);
	assert_int_equal(a->downs + b->downs, 0);
}

static void test_hpv_lost_answer_to_a_join_is_repeated_and_answered_again(void **state)
{
	(void)state;
	net_init(2, 21, true);
	net.drop_neighbors = 1; /* the contact's answer is lost */
	assert_int_equal(join(1, 0), 0);
	net_run(DTT_HPV_JOIN_TIMEOUT_MS + 3 * LAT);
	assert_true(active(0, 1) && active(1, 0));
	assert_int_equal(net.nodes[1].stats.requests_repeated, 1);
	assert_int_equal(net.nodes[1].stats.joins_sent, 1);
	assert_int_equal(net.nodes[0].stats.joins_received, 2);
	assert_int_equal(net.nodes[0].stats.neighbors_sent, 2);
	/* the repeated Join started no second walk, and nobody answers twice more */
	net_run(DTT_HPV_NEIGHBOR_TIMEOUT_MS * DTT_HPV_REQUEST_ATTEMPTS);
	assert_int_equal(net.nodes[0].stats.neighbors_sent, 2);
	assert_int_equal(net.nodes[1].stats.neighbors_sent, 0);
	assert_int_equal(H(0)->pending_count + H(1)->pending_count, 0);
}

static void test_hpv_join_is_idempotent_per_peer(void **state)
{
	(void)state;
	net_init(2, 2, true);
	assert_int_equal(join(1, 0), 0);
	assert_int_equal(join(1, 0), 0); /* pending: nothing more is sent */
	assert_int_equal(net.nodes[1].tx_count, 1);
	net_run(3 * LAT);
	assert_int_equal(join(1, 0), 0); /* already a neighbour: nothing, nobody evicted */
	assert_int_equal(net.nodes[1].tx_count, 1);
	assert_int_equal(net.nodes[1].stats.joins_sent, 1);
	assert_int_equal(join(1, 1), DTT_ERR_INVALID);
	net_run(1000);
	assert_true(active(0, 1) && active(1, 0));
}

static void test_hpv_unanswered_join_times_out(void **state)
{
	(void)state;
	net_init(2, 3, true);
	net.nodes[0].dead = true;
	assert_int_equal(join(1, 0), 0);
	/* one copy per timeout, request_attempts in all, then the peer is given up */
	net_run(DTT_HPV_JOIN_TIMEOUT_MS * DTT_HPV_REQUEST_ATTEMPTS - 1);
	assert_true(dtt_hpv_is_pending(H(1), net.nodes[0].id));
	assert_int_equal(net.nodes[1].stats.requests_repeated, DTT_HPV_REQUEST_ATTEMPTS - 1);
	net_run(1);
	assert_false(dtt_hpv_is_pending(H(1), net.nodes[0].id));
	assert_int_equal(net.nodes[1].stats.pending_timeouts, 1);
	assert_int_equal(net.nodes[1].disconnects, 1); /* the session for the Join is released */
	/* the tracker simply asks again */
	net.nodes[0].dead = false;
	assert_int_equal(join(1, 0), 0);
	net_run(3 * LAT);
	assert_true(active(1, 0));
}

static void test_hpv_join_walk_fills_active_and_passive_views(void **state)
{
	const size_t n = 40;
	size_t passive_total = 0, active_total = 0, isolated = 0;
	int fj_from_contact;

	(void)state;
	net_init(n, 4, true);
	for (size_t i = 1; i < n; i++) {
		assert_int_equal(join((int)i, 0), 0);
		net_run(200);
	}
	net_run(2000);
	assert_symmetric();
	for (size_t i = 0; i < n; i++) {
		active_total += H((int)i)->active_count;
		passive_total += H((int)i)->passive_count;
		isolated += H((int)i)->active_count == 0;
	}
	printf("# join walk, %zu nodes through one contact: mean active %.2f, mean passive %.2f\n",
	       n, (double)active_total / (double)n, (double)passive_total / (double)n);
	assert_int_equal(isolated, 0);
	assert_true(active_total >= 3 * n);
	assert_true(passive_total >= 2 * n);

	/* a joiner through a full contact: the contact walks it to every other neighbour */
	teardown(NULL);
	net_init(7, 5, true);
	net.drop_forward_join = true;
	for (int i = 1; i <= 5; i++) {
		join(i, 0);
		net_run(100);
	}
	net.drop_forward_join = false;
	assert_int_equal(H(0)->active_count, 5);
	fj_from_contact = 0;
	net.nodes[0].tx_count = 0;
	join(6, 0);
	net_run(2000);
	for (size_t k = 0; k < net.nodes[0].tx_count; k++)
		fj_from_contact += net.nodes[0].tx[k].type == DTT_GOSSIP_MSG_FORWARD_JOIN &&
				   net.nodes[0].tx[k].peer != 6;
	/* one walk per other neighbour; they end in Neighbor handshakes with the joiner */
	assert_int_equal(fj_from_contact, 4);
	assert_true(H(6)->active_count >= 3);
	assert_symmetric();
}

static void test_hpv_shuffle_introduces_far_peers_with_addresses(void **state)
{
	struct dtt_gossip_peer *p;
	int k;

	(void)state;
	/* a line 0 - 1 - 2 (walks dropped so no triangle forms); the ends have one slot each,
	 * so what the shuffle teaches them stays passive */
	net_init(3, 6, false);
	net.nodes[0].cfg.active_max = 1;
	net.nodes[2].cfg.active_max = 1;
	for (int i = 0; i < 3; i++)
		node_start(i);
	net.drop_forward_join = true;
	join(1, 0);
	net_run(100);
	join(2, 1);
	net_run(100);
	net.drop_forward_join = false;
	assert_true(active(0, 1) && active(1, 2) && !active(0, 2));
	assert_false(passive(0, 2) || passive(2, 0));

	net_run(DTT_HPV_SHUFFLE_INTERVAL_MS);
	for (int i = 0; i < 3; i++)
		assert_int_equal(net.nodes[i].stats.shuffles_sent, 1);
	/* the ends learnt of each other, with the address the middle node knew */
	assert_true(passive(0, 2) && passive(2, 0));
	k = -1;
	for (uint16_t i = 0; i < H(2)->passive_count; i++)
		if (index_of(H(2)->passive[i].id) == 0)
			k = i;
	p = &H(2)->passive[k];
	assert_true(p->has_addr);
	{
		struct dtt_addr want;

		node_addr(0, &want);
		assert_true(dtt_addr_eq(&p->addr, &want));
	}
	/* the replies went straight to the origins, which then released those sessions */
	assert_true(find_log(net.nodes[0].rx, net.nodes[0].rx_count, 0,
			     DTT_GOSSIP_MSG_SHUFFLE_REPLY, 2) >= 0 ||
		    find_log(net.nodes[2].rx, net.nodes[2].rx_count, 0,
			     DTT_GOSSIP_MSG_SHUFFLE_REPLY, 0) >= 0);
	assert_symmetric();
}

static void test_hpv_high_priority_on_full_view_evicts_with_reply_then_disconnect(void **state)
{
	int evicted = -1, r, d;

	(void)state;
	net_init(7, 7, true);
	net.drop_forward_join = true;
	for (int i = 1; i <= 5; i++) {
		join(i, 0);
		net_run(100);
	}
	assert_int_equal(H(0)->active_count, 5);
	join(6, 0);
	net_run(LAT + 1); /* the Join arrived, the eviction went out */
	assert_int_equal(net.nodes[0].stats.evicted, 1);
	assert_int_equal(net.nodes[0].downs, 1);
	evicted = net.nodes[0].last_down_peer;
	assert_int_equal(net.nodes[0].last_down_reason, DTT_GOSSIP_DOWN_EVICTED);
	assert_true(evicted >= 1 && evicted <= 5);
	assert_true(active(0, 6));
	assert_true(passive(0, evicted));
	net_run(LAT);
	/* the evicted peer got a ShuffleReply first, then Disconnect(alive) */
	r = find_log(net.nodes[evicted].rx, net.nodes[evicted].rx_count, 0,
		     DTT_GOSSIP_MSG_SHUFFLE_REPLY, 0);
	d = find_log(net.nodes[evicted].rx, net.nodes[evicted].rx_count, 0,
		     DTT_GOSSIP_MSG_DISCONNECT, 0);
	assert_true(r >= 0 && d == r + 1);
	assert_int_equal(net.nodes[evicted].rx[d].flag, 1);
	assert_int_equal(net.nodes[evicted].downs, 1);
	assert_int_equal(net.nodes[evicted].last_down_peer, 0);
	assert_int_equal(net.nodes[evicted].last_down_reason, DTT_GOSSIP_DOWN_EVICTED);
	/* alive: it keeps the contact as a passive peer */
	assert_true(passive(evicted, 0));
	net_run(2000);
	assert_symmetric();
}

static void test_hpv_unanswered_neighbor_request_drops_peer_and_refills(void **state)
{
	struct dtt_gossip_msg m;
	const int dead_peer[1] = {2}, alive_peer[1] = {3};
	int k;

	(void)state;
	/* 0 (one slot) - 1; node 2 is dead, node 3 is free */
	net_init(5, 8, false);
	net.nodes[0].cfg.active_max = 1;
	for (int i = 0; i < 5; i++)
		node_start(i);
	net.nodes[2].dead = true;
	join(0, 1);
	net_run(100);
	assert_true(active(0, 1));
	shuffle_reply_of(&m, dead_peer, 1);
	inject(0, 1, &m); /* full view: no refill yet */
	assert_true(passive(0, 2));
	assert_int_equal(H(0)->pending_count, 0);

	dtt_hpv_on_peer_down(H(0), net.nodes[1].id, DTT_LINK_DOWN_TIMED_OUT);
	assert_int_equal(net.nodes[0].last_down_reason, DTT_GOSSIP_DOWN_TIMED_OUT);
	assert_false(passive(0, 1)); /* a dead link does not go passive */
	/* refill asked the only passive peer, with High priority (the view is empty) */
	assert_true(dtt_hpv_is_pending(H(0), net.nodes[2].id));
	k = find_log(net.nodes[0].tx, net.nodes[0].tx_count, 0, DTT_GOSSIP_MSG_NEIGHBOR, 2);
	assert_true(k >= 0);
	assert_int_equal(net.nodes[0].tx[k].flag, DTT_GOSSIP_PRIO_HIGH);

	net_run(DTT_HPV_NEIGHBOR_TIMEOUT_MS * DTT_HPV_REQUEST_ATTEMPTS - 100);
	shuffle_reply_of(&m, alive_peer, 1);
	inject(0, 4, &m); /* a request is out: refill waits for it */
	assert_false(dtt_hpv_is_pending(H(0), net.nodes[3].id));
	net_run(100);
	/* timed out: dropped from the passive view, and refill went on to the next peer */
	assert_int_equal(net.nodes[0].stats.pending_timeouts, 1);
	assert_false(passive(0, 2));
	assert_true(dtt_hpv_is_pending(H(0), net.nodes[3].id));
	net_run(3 * LAT);
	assert_true(active(0, 3) && active(3, 0));
	assert_int_equal(H(0)->active_count, 1);
}

static void test_hpv_low_priority_request_to_full_view_is_refused(void **state)
{
	struct dtt_gossip_msg m;
	const int q[1] = {2};
	int r, d;

	(void)state;
	/* node 0: active {1} with room for 2; node 2: one slot, taken by node 3 */
	net_init(4, 9, false);
	net.nodes[0].cfg.active_max = 2;
	net.nodes[2].cfg.active_max = 1;
	for (int i = 0; i < 4; i++)
		node_start(i);
	join(0, 1);
	join(3, 2);
	net_run(100);
	assert_true(active(0, 1) && active(2, 3));

	shuffle_reply_of(&m, q, 1);
	inject(0, 1, &m); /* refill: Neighbor(Low) to 2 */
	{
		int k =
		    find_log(net.nodes[0].tx, net.nodes[0].tx_count, 0, DTT_GOSSIP_MSG_NEIGHBOR, 2);

		assert_true(k >= 0);
		assert_int_equal(net.nodes[0].tx[k].flag, DTT_GOSSIP_PRIO_LOW);
	}
	net_run(3 * LAT);
	assert_int_equal(net.nodes[2].stats.rejected, 1);
	r = find_log(net.nodes[2].tx, net.nodes[2].tx_count, 0, DTT_GOSSIP_MSG_SHUFFLE_REPLY, 0);
	d = find_log(net.nodes[2].tx, net.nodes[2].tx_count, 0, DTT_GOSSIP_MSG_DISCONNECT, 0);
	assert_true(r >= 0 && d == r + 1);
	assert_int_equal(net.nodes[2].tx[d].flag, 1);
	assert_true(active(2, 3) && !active(2, 0));
	/* the requester keeps the refusing peer passive, with nothing pending */
	assert_true(active(0, 1) && !active(0, 2));
	assert_true(passive(0, 2));
	assert_int_equal(H(0)->pending_count, 0);
	assert_int_equal(net.nodes[0].downs + net.nodes[2].downs, 0);
}

static void run_periodic_refill(uint32_t interval_ms, bool expect_filled)
{
	struct dtt_gossip_msg m;

	net_init(4, 10, false);
	net.nodes[0].cfg.active_max = 2;
	net.nodes[0].cfg.refill_interval_ms = interval_ms;
	for (int i = 0; i < 4; i++)
		node_start(i);
	join(0, 1);
	net_run(100);
	/* a Shuffle ending at node 0 leaves peers in its passive view without a refill */
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_SHUFFLE;
	memcpy(m.shuffle.origin.id, net.nodes[3].id, DTT_GOSSIP_PEER_BYTES);
	m.shuffle.origin.has_addr = true;
	node_addr(3, &m.shuffle.origin.addr);
	m.shuffle.nodes.count = 1;
	memcpy(m.shuffle.nodes.v[0].id, net.nodes[2].id, DTT_GOSSIP_PEER_BYTES);
	inject(0, 1, &m);
	assert_true(passive(0, 2) && passive(0, 3));
	assert_int_equal(H(0)->pending_count, 0);
	net_run(6000);
	assert_int_equal(H(0)->active_count, expect_filled ? 2 : 1);
	assert_symmetric();
}

static void test_hpv_periodic_refill_fills_an_underfull_view(void **state)
{
	(void)state;
	run_periodic_refill(0, false); /* the reference: nothing until the next shuffle */
	teardown(NULL);
	run_periodic_refill(DTT_HPV_REFILL_INTERVAL_MS, true);
}

static void test_hpv_leave_says_goodbye_without_events(void **state)
{
	int nb[DTT_HPV_ACTIVE_MAX], count;

	(void)state;
	net_init(5, 11, true);
	for (int i = 1; i < 5; i++) {
		join(i, 0);
		net_run(200);
	}
	net_run(1000);
	count = H(0)->active_count;
	assert_true(count >= 2);
	for (int k = 0; k < count; k++)
		nb[k] = index_of(H(0)->active[k].id);
	net.nodes[0].downs = 0;
	dtt_hpv_leave(H(0));
	assert_int_equal(H(0)->active_count, 0);
	assert_int_equal(net.nodes[0].downs, 0);
	assert_int_equal(net.timers.count > 0, true);
	net_run(LAT);
	for (int k = 0; k < count; k++) {
		struct tnode *x = &net.nodes[nb[k]];
		int r = find_log(x->rx, x->rx_count, 0, DTT_GOSSIP_MSG_SHUFFLE_REPLY, 0);
		int d = find_log(x->rx, x->rx_count, 0, DTT_GOSSIP_MSG_DISCONNECT, 0);

		assert_true(r >= 0 && d > r);
		assert_int_equal(x->rx[d].flag, 0);
		assert_false(active(nb[k], 0));
		assert_false(passive(nb[k], 0)); /* it left: not kept as a passive peer */
		assert_int_equal(x->last_down_reason, DTT_GOSSIP_DOWN_LEFT);
	}
	/* after leaving, nothing is accepted any more */
	assert_int_equal(join(0, 1), DTT_ERR_STATE);
}

static void test_hpv_link_failure_reasons(void **state)
{
	(void)state;
	net_init(3, 12, true);
	join(1, 0);
	join(2, 0);
	net_run(100);
	assert_true(active(0, 1) && active(0, 2));
	dtt_hpv_on_peer_down(H(0), net.nodes[1].id, DTT_LINK_DOWN_FAILED);
	assert_int_equal(net.nodes[0].last_down_peer, 1);
	assert_int_equal(net.nodes[0].last_down_reason, DTT_GOSSIP_DOWN_LINK_FAILED);
	dtt_hpv_on_peer_down(H(0), net.nodes[2].id, DTT_LINK_DOWN_CLOSED);
	assert_int_equal(net.nodes[0].last_down_reason, DTT_GOSSIP_DOWN_LINK_FAILED);
	assert_int_equal(H(0)->active_count, 0);
	assert_false(passive(0, 1) || passive(0, 2));
	assert_string_equal(dtt_gossip_down_name(DTT_GOSSIP_DOWN_TIMED_OUT), "timed_out");
}

static void test_hpv_config_bounds(void **state)
{
	struct dtt_hpv_config c;

	(void)state;
	dtt_hpv_config_init(&c);
	assert_int_equal(c.active_max, 5);
	assert_int_equal(c.passive_max, 30);
	assert_int_equal(c.arwl, 6);
	assert_int_equal(c.prwl, 3);
	assert_int_equal(c.shuffle_ttl, 6);
	assert_int_equal(c.shuffle_active, 3);
	assert_int_equal(c.shuffle_passive, 4);
	assert_int_equal(c.shuffle_interval_ms, 60000);
	assert_int_equal(c.neighbor_timeout_ms, 500);
	assert_int_equal(dtt_hpv_config_check(&c), 0);
	c.shuffle_passive = 13; /* 3 + 13 + 1 > 16 entries */
	assert_int_equal(dtt_hpv_config_check(&c), DTT_ERR_INVALID);
	dtt_hpv_config_init(&c);
	c.active_max = 0;
	assert_int_equal(dtt_hpv_config_check(&c), DTT_ERR_INVALID);
	c.active_max = DTT_HPV_ACTIVE_LIMIT + 1;
	assert_int_equal(dtt_hpv_config_check(&c), DTT_ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_hpv_join_handshake_admits_both_and_clears_pending,
				      teardown),
	    cmocka_unit_test_teardown(test_hpv_join_is_idempotent_per_peer, teardown),
	    cmocka_unit_test_teardown(test_hpv_lost_answer_to_a_join_is_repeated_and_answered_again,
				      teardown),
	    cmocka_unit_test_teardown(test_hpv_unanswered_join_times_out, teardown),
	    cmocka_unit_test_teardown(test_hpv_join_walk_fills_active_and_passive_views, teardown),
	    cmocka_unit_test_teardown(test_hpv_shuffle_introduces_far_peers_with_addresses,
				      teardown),
	    cmocka_unit_test_teardown(
		test_hpv_high_priority_on_full_view_evicts_with_reply_then_disconnect, teardown),
	    cmocka_unit_test_teardown(test_hpv_unanswered_neighbor_request_drops_peer_and_refills,
				      teardown),
	    cmocka_unit_test_teardown(test_hpv_low_priority_request_to_full_view_is_refused,
				      teardown),
	    cmocka_unit_test_teardown(test_hpv_periodic_refill_fills_an_underfull_view, teardown),
	    cmocka_unit_test_teardown(test_hpv_leave_says_goodbye_without_events, teardown),
	    cmocka_unit_test_teardown(test_hpv_link_failure_reasons, teardown),
	    cmocka_unit_test(test_hpv_config_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
