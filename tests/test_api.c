/* test_api.c - the application API of dtt.h on two nodes of an in-memory network: a topic
 * joined from a known peer (dtt_subscribe + dtt_topic_join_peers) delivers through the topic
 * callbacks both ways and says who left; the stats snapshot and the counters see the topic,
 * the handshakes and datagrams dropped by reason; every error code has its own name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dtt.h"
#include "sim_net.h"

#define T0 1000000ull

struct side {
	struct dtt_node *node;
	struct dtt_topic *topic;
	int joined, up, down, down_reason, messages;
	uint8_t last[64];
	size_t last_len;
	uint8_t last_from[DTT_PEER_ID_BYTES];
};

struct fx {
	struct sim_net *net;
	struct side s[2];
};

static void recv_fn(void *user, const struct dtt_addr *from, const uint8_t *buf, size_t len)
{
	dtt_node_on_datagram(user, from, buf, len);
}

static void cb_joined(void *ctx)
{
	((struct side *)ctx)->joined++;
}

static void cb_up(void *ctx, const uint8_t *peer)
{
	(void)peer;
	((struct side *)ctx)->up++;
}

static void cb_down(void *ctx, const uint8_t *peer, int reason)
{
	struct side *s = ctx;

	(void)peer;
	s->down++;
	s->down_reason = reason;
}

static void cb_message(void *ctx, const uint8_t *content, size_t len, const uint8_t *from,
		       unsigned round)
{
	struct side *s = ctx;

	(void)round;
	s->messages++;
	s->last_len = len < sizeof(s->last) ? len : sizeof(s->last);
	memcpy(s->last, content, s->last_len);
	memcpy(s->last_from, from, DTT_PEER_ID_BYTES);
}

static int tracker_events;

static void cb_tracker(void *ctx, enum dtt_tracker_event ev, long arg)
{
	(void)ctx;
	(void)ev;
	(void)arg;
	tracker_events++;
}

static const struct dtt_topic_callbacks cbs = {
	.joined = cb_joined,
	.neighbor_up = cb_up,
	.neighbor_down = cb_down,
	.message = cb_message,
	.tracker = cb_tracker,
};

/* Runs the net and both nodes' deadlines for ms milliseconds, in 5 ms steps. */
static void run(struct fx *f, uint64_t ms)
{
	uint64_t end = sim_net_now(f->net) + ms;

	while (sim_net_now(f->net) < end) {
		sim_net_run_until(f->net, sim_net_now(f->net) + 5);
		for (int i = 0; i < 2; i++)
			if (dtt_node_next_deadline_ms(f->s[i].node) <= sim_net_now(f->net))
				dtt_node_on_deadline(f->s[i].node);
	}
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	if (dtt_init())
		return -1;
	f.net = sim_net_new(2, 7, T0, 20);
	for (size_t i = 0; i < 2; i++) {
		f.s[i].node = dtt_node_new(sim_net_env(f.net, i), NULL);
		if (!f.s[i].node)
			return -1;
		sim_net_attach(f.net, i, recv_fn, f.s[i].node);
	}
	tracker_events = 0;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 2; i++)
		dtt_node_free(f->s[i].node);
	sim_net_free(f->net);
	return 0;
}

/* Node 1 joins node 0 from its id and address; both join, both deliver. */
static void join_from_peer(struct fx *f, struct dtt_topic_id *id)
{
	struct dtt_peer p;

	dtt_topic_id_from_name(id, "test_api");
	assert_int_equal(dtt_subscribe(f->s[0].node, id, &cbs, &f->s[0], &f->s[0].topic), 0);
	assert_int_equal(dtt_subscribe(f->s[1].node, id, &cbs, &f->s[1], &f->s[1].topic), 0);
	memset(&p, 0, sizeof(p));
	memcpy(p.id, dtt_node_id(f->s[0].node), DTT_PEER_ID_BYTES);
	p.has_addr = true;
	p.addr = *sim_net_addr(f->net, 0);
	assert_int_equal(dtt_topic_join_peers(f->s[1].topic, &p, 1), 0);
	run(f, 2000);
}

static void test_join_from_known_peer_delivers_both_ways(void **state)
{
	struct fx *f = *state;
	struct dtt_topic_id id;
	uint8_t nb[DTT_TOPIC_NEIGHBORS_MAX][DTT_PEER_ID_BYTES];

	join_from_peer(f, &id);
	for (int i = 0; i < 2; i++) {
		assert_true(dtt_topic_is_joined(f->s[i].topic));
		assert_int_equal(f->s[i].joined, 1);
		assert_int_equal(f->s[i].up, 1);
		assert_int_equal(dtt_topic_neighbors(f->s[i].topic, nb, DTT_TOPIC_NEIGHBORS_MAX), 1);
		assert_memory_equal(nb[0], dtt_node_id(f->s[1 - i].node), DTT_PEER_ID_BYTES);
		assert_null(dtt_topic_tracker_stats(f->s[i].topic)); /* no tracker */
	}
	assert_int_equal(dtt_topic_broadcast(f->s[1].topic, (const uint8_t *)"hello", 5), 0);
	assert_int_equal(dtt_topic_broadcast(f->s[0].topic, (const uint8_t *)"back", 4), 0);
	run(f, 1000);
	assert_int_equal(f->s[0].messages, 1);
	assert_int_equal(f->s[0].last_len, 5);
	assert_memory_equal(f->s[0].last, "hello", 5);
	assert_memory_equal(f->s[0].last_from, dtt_node_id(f->s[1].node), DTT_PEER_ID_BYTES);
	assert_int_equal(f->s[1].messages, 1);
	assert_memory_equal(f->s[1].last, "back", 4);
	assert_int_equal(tracker_events, 0);
	/* a clean leave: the other side hears "left" */
	dtt_topic_leave(f->s[1].topic);
	f->s[1].topic = NULL;
	run(f, 1000);
	assert_int_equal(f->s[0].down, 1);
	assert_string_equal(dtt_neighbor_down_name(f->s[0].down_reason), "left");
	assert_false(dtt_topic_is_joined(f->s[0].topic));
	assert_int_equal(f->s[1].down, 0); /* no callback after leave */
}

static void test_subscribe_and_join_peers_errors(void **state)
{
	struct fx *f = *state;
	struct dtt_topic_id id;
	struct dtt_topic *t, *again = NULL;
	struct dtt_peer many[DTT_TOPIC_JOIN_PEERS_MAX + 1];

	dtt_topic_id_from_name(&id, "errors");
	assert_int_equal(dtt_subscribe(f->s[0].node, NULL, &cbs, NULL, &t), DTT_ERR_INVALID);
	assert_int_equal(dtt_subscribe(f->s[0].node, &id, &cbs, &f->s[0], &t), 0);
	assert_int_equal(dtt_subscribe(f->s[0].node, &id, &cbs, &f->s[0], &again), DTT_ERR_EXISTS);
	assert_null(again);
	memset(many, 0, sizeof(many));
	assert_int_equal(dtt_topic_join_peers(t, many, DTT_TOPIC_JOIN_PEERS_MAX + 1),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_topic_join_peers(t, NULL, 1), DTT_ERR_INVALID);
	assert_int_equal(dtt_topic_join_peers(t, NULL, 0), 0);
	/* its own id is skipped: nothing to join, nobody joined */
	memcpy(many[0].id, dtt_node_id(f->s[0].node), DTT_PEER_ID_BYTES);
	assert_int_equal(dtt_topic_join_peers(t, many, 1), 0);
	run(f, 500);
	assert_false(dtt_topic_is_joined(t));
	dtt_topic_leave(t);
	/* gone: it can be subscribed again */
	assert_int_equal(dtt_subscribe(f->s[0].node, &id, &cbs, &f->s[0], &t), 0);
	dtt_topic_leave(t);
}

static void test_stats_snapshot_and_counters(void **state)
{
	struct fx *f = *state;
	struct dtt_topic_id id;
	struct dtt_stats st;
	struct dtt_counters c;
	static const uint8_t junk[3] = {0xee, 1, 2};
	uint64_t in_before;

	join_from_peer(f, &id);
	dtt_node_stats(f->s[1].node, &st);
	assert_int_equal(st.topics_count, 1);
	assert_memory_equal(st.topics[0].id, id.bytes, DTT_TOPIC_ID_BYTES);
	assert_true(st.topics[0].joined);
	assert_int_equal(st.topics[0].neighbors, 1);
	assert_false(st.topics[0].has_tracker);
	assert_false(st.record_memo); /* only a tracker topic needs the record memo */
	assert_true(st.datagrams_in > 0);
	assert_true(st.links.handshakes_started >= 1);
	assert_true(st.links.handshakes_completed >= 1);
	in_before = st.datagrams_in;
	/* the counters are the snapshot's */
	dtt_node_counters(f->s[1].node, &c);
	assert_int_equal(c.datagrams_in, st.datagrams_in);
	assert_int_equal(c.links.handshakes_started, st.links.handshakes_started);
	assert_int_equal(c.gossip.plumtree.gossip_received, st.gossip.plumtree.gossip_received);
	/* drops by reason: an empty datagram and one that is neither KRPC nor a link frame */
	dtt_node_on_datagram(f->s[1].node, sim_net_addr(f->net, 0), junk, 0);
	dtt_node_on_datagram(f->s[1].node, sim_net_addr(f->net, 0), junk, sizeof(junk));
	dtt_node_stats(f->s[1].node, &st);
	assert_int_equal(st.datagrams_in, in_before + 2);
	assert_int_equal(dtt_stats_dropped(&st, DTT_DROP_LAYER_NODE, DTT_NODE_DROP_EMPTY), 1);
	assert_int_equal(dtt_stats_dropped(&st, DTT_DROP_LAYER_NODE, DTT_NODE_DROP_UNKNOWN), 1);
	assert_string_equal(dtt_drop_name(DTT_DROP_LAYER_NODE, DTT_NODE_DROP_UNKNOWN), "unknown");
	assert_int_equal(dtt_stats_dropped(&st, DTT_DROP_LAYER_NODE, DTT_NODE_DROP__COUNT), 0);
	assert_int_equal(dtt_stats_dropped(&st, DTT_DROP_LAYER__COUNT, 0), 0);
}

static void test_drop_names_cover_every_reason(void **state)
{
	(void)state;
	for (int l = 0; l < DTT_DROP_LAYER__COUNT; l++) {
		size_t n = dtt_drop_reasons(l);

		assert_true(n > 0);
		assert_string_not_equal(dtt_drop_layer_name(l), "?");
		for (size_t i = (size_t)dtt_drop_first(l); i < n; i++) {
			const char *name = dtt_drop_name(l, (int)i);

			assert_string_not_equal(name, "?");
			assert_string_not_equal(name, "none");
			assert_string_not_equal(name, "invalid");
			for (size_t j = (size_t)dtt_drop_first(l); j < i; j++)
				assert_string_not_equal(name, dtt_drop_name(l, (int)j));
		}
		assert_string_equal(dtt_drop_name(l, (int)n), "?");
		assert_string_equal(dtt_drop_name(l, -1), "?");
	}
	assert_int_equal(dtt_drop_reasons(DTT_DROP_LAYER__COUNT), 0);
	assert_string_equal(dtt_drop_layer_name(-1), "?");
	assert_string_equal(dtt_drop_name(DTT_DROP_LAYER_DHT, 0), "none"); /* never counted */
}

static void test_strerror_names_every_code(void **state)
{
	const char *unknown = dtt_strerror(-DTT_ERR__COUNT);

	(void)state;
	assert_string_equal(dtt_strerror(DTT_OK), "success");
	for (int e = 0; e > -DTT_ERR__COUNT; e--) {
		const char *s = dtt_strerror(e);

		assert_non_null(s);
		assert_true(strlen(s) > 0);
		assert_string_not_equal(s, unknown);
		for (int o = 0; o > e; o--)
			assert_string_not_equal(s, dtt_strerror(o));
	}
	assert_string_equal(unknown, dtt_strerror(1));
	assert_string_equal(dtt_strerror(DTT_ERR_EXISTS), "already exists");
}

static void test_init_is_idempotent(void **state)
{
	(void)state;
	assert_int_equal(dtt_init(), 0);
	assert_int_equal(dtt_init(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_join_from_known_peer_delivers_both_ways, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_subscribe_and_join_peers_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_snapshot_and_counters, setup, teardown),
		cmocka_unit_test(test_drop_names_cover_every_reason),
		cmocka_unit_test(test_strerror_names_every_code),
		cmocka_unit_test(test_init_is_idempotent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
