/* test_gossip_msg.c - the gossip wire codec (spec/GOSSIP.md §3, layout in core/gossip/msg.h):
 * exact bytes, round trips of every message, size bounds, and rejection of malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "msg.h"

static uint8_t topic[DTT_GOSSIP_TOPIC_BYTES];
static uint8_t buf[2048];

static int setup(void **state)
{
	(void)state;
	memset(topic, 0xaa, sizeof(topic));
	return 0;
}

static void make_peer(struct dtt_gossip_peer *p, uint8_t fill, int family)
{
	memset(p, 0, sizeof(*p));
	memset(p->id, fill, sizeof(p->id));
	if (family == 4) {
		static const uint8_t ip[4] = {192, 0, 2, 7};

		p->has_addr = true;
		dtt_addr_ipv4(&p->addr, ip, 6881);
	} else if (family == 6) {
		p->has_addr = true;
		p->addr.family = DTT_AF_INET6;
		for (int i = 0; i < 16; i++)
			p->addr.addr[i] = (uint8_t)(0x20 + i);
		p->addr.port = 443;
	}
}

static void assert_peer_eq(const struct dtt_gossip_peer *a, const struct dtt_gossip_peer *b)
{
	assert_memory_equal(a->id, b->id, DTT_GOSSIP_PEER_BYTES);
	assert_int_equal(a->has_addr, b->has_addr);
	if (a->has_addr)
		assert_true(dtt_addr_eq(&a->addr, &b->addr));
}

/* Encodes m, decodes it into out, checks the decoder consumed a canonical form: re-encoding
 * out gives the same bytes. Returns the length. */
static int round_trip(const struct dtt_gossip_msg *m, struct dtt_gossip_msg *out)
{
	uint8_t again[2048];
	int n = dtt_gossip_msg_encode(topic, m, buf, sizeof(buf));
	int drop = -1, n2;

	assert_true(n > 0);
	assert_int_equal(dtt_gossip_msg_decode(out, buf, (size_t)n, &drop), 0);
	assert_int_equal(drop, DTT_GOSSIP_MSG_DROP_NONE);
	assert_memory_equal(out->topic, topic, sizeof(topic));
	assert_int_equal(out->type, m->type);
	n2 = dtt_gossip_msg_encode(out->topic, out, again, sizeof(again));
	assert_int_equal(n2, n);
	assert_memory_equal(again, buf, (size_t)n);
	return n;
}

static int decode_drop(const uint8_t *p, size_t len)
{
	struct dtt_gossip_msg m;
	int drop = -1;

	assert_int_equal(dtt_gossip_msg_decode(&m, p, len, &drop), DTT_ERR_MALFORMED);
	assert_true(drop > DTT_GOSSIP_MSG_DROP_NONE && drop < DTT_GOSSIP_MSG_DROP__COUNT);
	return drop;
}

static void test_gossip_msg_join_is_version_topic_type(void **state)
{
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_JOIN}, out;
	uint8_t want[34];

	(void)state;
	want[0] = 1;
	memset(want + 1, 0xaa, 32);
	want[33] = DTT_GOSSIP_MSG_JOIN;
	assert_int_equal(round_trip(&m, &out), 34);
	assert_memory_equal(buf, want, sizeof(want));
}

static void test_gossip_msg_forward_join_exact_bytes(void **state)
{
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_FORWARD_JOIN}, out;
	uint8_t want[34 + 32 + 1 + 4 + 2 + 2];
	size_t o = 0;

	(void)state;
	make_peer(&m.forward_join.peer, 0x11, 4);
	m.forward_join.ttl = 0x0106;
	want[o++] = 1;
	memset(want + o, 0xaa, 32);
	o += 32;
	want[o++] = 2;
	memset(want + o, 0x11, 32);
	o += 32;
	want[o++] = 4;
	want[o++] = 192;
	want[o++] = 0;
	want[o++] = 2;
	want[o++] = 7;
	want[o++] = 0x1a; /* 6881 */
	want[o++] = 0xe1;
	want[o++] = 0x01;
	want[o++] = 0x06;
	assert_int_equal(o, sizeof(want));
	assert_int_equal(round_trip(&m, &out), (int)sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_peer_eq(&out.forward_join.peer, &m.forward_join.peer);
	assert_int_equal(out.forward_join.ttl, 0x0106);
}

static void test_gossip_msg_shuffle_round_trips_mixed_addresses(void **state)
{
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_SHUFFLE}, out;
	int n;

	(void)state;
	make_peer(&m.shuffle.origin, 0x01, 0);
	m.shuffle.ttl = 6;
	m.shuffle.nodes.count = 3;
	make_peer(&m.shuffle.nodes.v[0], 0x02, 4);
	make_peer(&m.shuffle.nodes.v[1], 0x03, 6);
	make_peer(&m.shuffle.nodes.v[2], 0x04, 0);
	n = round_trip(&m, &out);
	/* header + origin(33) + ttl + count + v4 peer(39) + v6 peer(51) + bare peer(33) */
	assert_int_equal(n, 34 + 33 + 2 + 1 + 39 + 51 + 33);
	assert_peer_eq(&out.shuffle.origin, &m.shuffle.origin);
	assert_int_equal(out.shuffle.ttl, 6);
	assert_int_equal(out.shuffle.nodes.count, 3);
	for (int i = 0; i < 3; i++)
		assert_peer_eq(&out.shuffle.nodes.v[i], &m.shuffle.nodes.v[i]);
}

static void test_gossip_msg_largest_shuffle_fits_a_link_payload(void **state)
{
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_SHUFFLE}, out;

	(void)state;
	make_peer(&m.shuffle.origin, 0x01, 6);
	m.shuffle.nodes.count = DTT_GOSSIP_MSG_PEERS_MAX;
	for (int i = 0; i < DTT_GOSSIP_MSG_PEERS_MAX; i++)
		make_peer(&m.shuffle.nodes.v[i], (uint8_t)(0x10 + i), 6);
	assert_int_equal(round_trip(&m, &out), 34 + 51 + 2 + 1 + 16 * 51);
	assert_true(34 + 51 + 2 + 1 + 16 * 51 <= DTT_LINK_PAYLOAD_MAX);
}

static void test_gossip_msg_shuffle_reply_neighbor_disconnect_prune(void **state)
{
	struct dtt_gossip_msg m, out;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_SHUFFLE_REPLY;
	m.shuffle_reply.nodes.count = 2;
	make_peer(&m.shuffle_reply.nodes.v[0], 0x05, 4);
	make_peer(&m.shuffle_reply.nodes.v[1], 0x06, 0);
	assert_int_equal(round_trip(&m, &out), 34 + 1 + 39 + 33);
	assert_peer_eq(&out.shuffle_reply.nodes.v[0], &m.shuffle_reply.nodes.v[0]);
	assert_peer_eq(&out.shuffle_reply.nodes.v[1], &m.shuffle_reply.nodes.v[1]);

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_NEIGHBOR;
	m.neighbor.priority = DTT_GOSSIP_PRIO_LOW;
	assert_int_equal(round_trip(&m, &out), 35);
	assert_int_equal(buf[34], 1);
	assert_int_equal(out.neighbor.priority, DTT_GOSSIP_PRIO_LOW);

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_DISCONNECT;
	m.disconnect.alive = true;
	assert_int_equal(round_trip(&m, &out), 35);
	assert_int_equal(buf[34], 1);
	assert_true(out.disconnect.alive);
	m.disconnect.alive = false;
	round_trip(&m, &out);
	assert_int_equal(buf[34], 0);
	assert_false(out.disconnect.alive);

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_PRUNE;
	assert_int_equal(round_trip(&m, &out), 34);
	assert_int_equal(buf[33], 17);
}

static void test_gossip_msg_gossip_exact_bytes_and_borrowed_chunk(void **state)
{
	static const uint8_t content[5] = {'h', 'e', 'l', 'l', 'o'};
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_GOSSIP}, out;
	int n;

	(void)state;
	memset(m.gossip.id, 0x77, 32);
	m.gossip.scope = DTT_GOSSIP_SCOPE_SWARM;
	m.gossip.round = 0x0203;
	m.gossip.total_len = 5;
	m.gossip.chunk_len = 5;
	m.gossip.chunk = content;
	n = round_trip(&m, &out);
	assert_int_equal(n, 34 + 41 + 5);
	assert_int_equal(buf[33], 16);
	assert_int_equal(buf[34 + 32], 0);    /* scope */
	assert_int_equal(buf[34 + 33], 0x02); /* round */
	assert_int_equal(buf[34 + 34], 0x03);
	assert_int_equal(buf[34 + 35], 0x00); /* total_len */
	assert_int_equal(buf[34 + 36], 0x05);
	assert_int_equal(buf[34 + 37], 0x00); /* offset */
	assert_int_equal(buf[34 + 38], 0x00);
	assert_int_equal(buf[34 + 39], 0x00); /* chunk_len */
	assert_int_equal(buf[34 + 40], 0x05);
	assert_memory_equal(buf + 75, "hello", 5);
	assert_ptr_equal(out.gossip.chunk, buf + 75);
	assert_int_equal(out.gossip.round, 0x0203);
	assert_memory_equal(out.gossip.id, m.gossip.id, 32);
}

static void test_gossip_msg_gossip_fragment_and_empty_content(void **state)
{
	static uint8_t content[DTT_GOSSIP_MSG_FRAG_BYTES + 2];
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_GOSSIP}, out;

	(void)state;
	memset(content, 0x5a, sizeof(content));
	m.gossip.total_len = 4096;
	m.gossip.offset = 3072;
	m.gossip.chunk_len = DTT_GOSSIP_MSG_FRAG_BYTES;
	m.gossip.chunk = content;
	/* the largest fragment fits a link payload: 34 + 41 + 1024 = 1099 */
	assert_int_equal(round_trip(&m, &out), 1099);
	assert_int_equal(out.gossip.offset, 3072);
	assert_int_equal(out.gossip.total_len, 4096);

	/* 1026 content bytes no longer fit */
	m.gossip.total_len = sizeof(content);
	m.gossip.offset = 0;
	m.gossip.chunk_len = sizeof(content);
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_TOOBIG);

	memset(&m.gossip, 0, sizeof(m.gossip));
	m.gossip.scope = DTT_GOSSIP_SCOPE_NEIGHBORS;
	assert_int_equal(round_trip(&m, &out), 75);
	assert_int_equal(out.gossip.total_len, 0);
	assert_int_equal(out.gossip.scope, DTT_GOSSIP_SCOPE_NEIGHBORS);
}

static void test_gossip_msg_graft_with_and_without_id(void **state)
{
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_GRAFT}, out;

	(void)state;
	m.graft.has_id = true;
	memset(m.graft.id, 0x42, 32);
	m.graft.round = 9;
	assert_int_equal(round_trip(&m, &out), 34 + 1 + 32 + 2);
	assert_true(out.graft.has_id);
	assert_memory_equal(out.graft.id, m.graft.id, 32);
	assert_int_equal(out.graft.round, 9);

	m.graft.has_id = false;
	assert_int_equal(round_trip(&m, &out), 34 + 1 + 2);
	assert_false(out.graft.has_id);
	assert_int_equal(out.graft.round, 9);
}

static void test_gossip_msg_ihave_batch_of_31_fits_and_32_is_refused(void **state)
{
	struct dtt_gossip_msg m = {.type = DTT_GOSSIP_MSG_IHAVE}, out;

	(void)state;
	m.ihave.count = DTT_GOSSIP_MSG_IHAVE_MAX;
	for (int i = 0; i < DTT_GOSSIP_MSG_IHAVE_MAX; i++) {
		memset(m.ihave.v[i].id, i, 32);
		m.ihave.v[i].round = (uint16_t)(i * 3);
	}
	assert_int_equal(round_trip(&m, &out), 34 + 1 + 31 * 34);
	assert_true(34 + 1 + 31 * 34 <= DTT_LINK_PAYLOAD_MAX);
	assert_true(34 + 1 + 32 * 34 > DTT_LINK_PAYLOAD_MAX);
	for (int i = 0; i < DTT_GOSSIP_MSG_IHAVE_MAX; i++) {
		assert_memory_equal(out.ihave.v[i].id, m.ihave.v[i].id, 32);
		assert_int_equal(out.ihave.v[i].round, i * 3);
	}
	m.ihave.count = 32;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	m.ihave.count = 0;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
}

static void test_gossip_msg_encoder_refuses_what_decoder_would(void **state)
{
	struct dtt_gossip_msg m;
	uint8_t small[40];

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = 99;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	m.type = DTT_GOSSIP_MSG_NEIGHBOR;
	m.neighbor.priority = 2;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_FORWARD_JOIN;
	make_peer(&m.forward_join.peer, 1, 4);
	m.forward_join.peer.addr.port = 0;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	m.forward_join.peer.addr.port = 1;
	m.forward_join.peer.addr.family = 5;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_SHUFFLE_REPLY;
	m.shuffle_reply.nodes.count = DTT_GOSSIP_MSG_PEERS_MAX + 1;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GOSSIP;
	m.gossip.scope = DTT_GOSSIP_SCOPE_NEIGHBORS;
	m.gossip.round = 1; /* one hop only */
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	m.gossip.round = 0;
	m.gossip.total_len = 10;
	m.gossip.offset = 8;
	m.gossip.chunk_len = 4; /* past the end of the content */
	m.gossip.chunk = small;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, buf, sizeof(buf)), DTT_ERR_INVALID);
	/* cap too small */
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GRAFT;
	m.graft.has_id = true;
	assert_int_equal(dtt_gossip_msg_encode(topic, &m, small, sizeof(small)), DTT_ERR_TOOBIG);
}

/* Every strict prefix of every valid encoding is truncated input. */
static void test_gossip_msg_every_prefix_is_short(void **state)
{
	static const uint8_t content[3] = {1, 2, 3};
	struct dtt_gossip_msg ms[6];
	uint8_t enc[2048];

	(void)state;
	memset(ms, 0, sizeof(ms));
	ms[0].type = DTT_GOSSIP_MSG_FORWARD_JOIN;
	make_peer(&ms[0].forward_join.peer, 3, 6);
	ms[1].type = DTT_GOSSIP_MSG_SHUFFLE;
	make_peer(&ms[1].shuffle.origin, 3, 4);
	ms[1].shuffle.nodes.count = 2;
	make_peer(&ms[1].shuffle.nodes.v[0], 4, 6);
	make_peer(&ms[1].shuffle.nodes.v[1], 5, 0);
	ms[2].type = DTT_GOSSIP_MSG_GOSSIP;
	ms[2].gossip.total_len = 3;
	ms[2].gossip.chunk_len = 3;
	ms[2].gossip.chunk = content;
	ms[3].type = DTT_GOSSIP_MSG_GRAFT;
	ms[3].graft.has_id = true;
	ms[4].type = DTT_GOSSIP_MSG_IHAVE;
	ms[4].ihave.count = 2;
	ms[5].type = DTT_GOSSIP_MSG_DISCONNECT;
	for (size_t k = 0; k < 6; k++) {
		int n = dtt_gossip_msg_encode(topic, &ms[k], enc, sizeof(enc));

		assert_true(n > 0);
		for (int len = 0; len < n; len++)
			assert_int_equal(decode_drop(enc, (size_t)len), DTT_GOSSIP_MSG_DROP_SHORT);
	}
}

static void test_gossip_msg_rejects_malformed_fields(void **state)
{
	struct dtt_gossip_msg m;
	uint8_t p[DTT_LINK_PAYLOAD_MAX + 8];
	int n;

	(void)state;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_JOIN;
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	/* version */
	p[0] = 2;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VERSION);
	p[0] = 1;
	/* type */
	p[33] = 7;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_TYPE);
	p[33] = 0;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_TYPE);
	p[33] = DTT_GOSSIP_MSG_JOIN;
	/* trailing byte */
	p[34] = 0;
	assert_int_equal(decode_drop(p, (size_t)n + 1), DTT_GOSSIP_MSG_DROP_TRAILING);

	/* a bool that is neither 0 nor 1 */
	m.type = DTT_GOSSIP_MSG_DISCONNECT;
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[34] = 2;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	/* priority 2 */
	m.type = DTT_GOSSIP_MSG_NEIGHBOR;
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[34] = 2;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	/* graft has_id 3 */
	m.type = DTT_GOSSIP_MSG_GRAFT;
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[34] = 3;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);

	/* unknown address family, port 0 */
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_FORWARD_JOIN;
	make_peer(&m.forward_join.peer, 9, 4);
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[34 + 32] = 5;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	p[34 + 32] = 4;
	p[34 + 37] = 0;
	p[34 + 38] = 0;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);

	/* peer lists and IHave over their maxima, an empty IHave */
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_SHUFFLE_REPLY;
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[34] = DTT_GOSSIP_MSG_PEERS_MAX + 1;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_LIMIT);
	m.type = DTT_GOSSIP_MSG_IHAVE;
	m.ihave.count = 1;
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[34] = 0;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_LIMIT);
	p[34] = DTT_GOSSIP_MSG_IHAVE_MAX + 1;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_LIMIT);

	/* gossip: bad scope, Neighbors with a round, chunk outside content, empty chunk */
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GOSSIP;
	m.gossip.total_len = 2;
	m.gossip.chunk_len = 2;
	m.gossip.chunk = (const uint8_t *)"ab";
	n = dtt_gossip_msg_encode(topic, &m, p, sizeof(p));
	p[66] = 2;
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	p[66] = 1;
	p[68] = 1; /* round 1 in Neighbors scope */
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	p[66] = 0;
	p[70] = 1; /* total_len 1 < chunk_len 2 */
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	p[70] = 2;
	p[72] = 1; /* offset 1 + 2 > 2 */
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_VALUE);
	p[72] = 0;
	p[74] = 0; /* chunk_len 0 of a 2-byte content; the 2 bytes now trail */
	assert_int_equal(decode_drop(p, (size_t)n - 2), DTT_GOSSIP_MSG_DROP_VALUE);
	p[74] = 3; /* longer than what follows */
	assert_int_equal(decode_drop(p, (size_t)n), DTT_GOSSIP_MSG_DROP_SHORT);

	/* nothing over a link payload is decoded */
	memset(p, 0, sizeof(p));
	assert_int_equal(decode_drop(p, DTT_LINK_PAYLOAD_MAX + 1), DTT_GOSSIP_MSG_DROP_LIMIT);
	assert_int_equal(decode_drop(p, 0), DTT_GOSSIP_MSG_DROP_SHORT);
}

static void test_gossip_msg_drop_names(void **state)
{
	(void)state;
	assert_string_equal(dtt_gossip_msg_drop_name(DTT_GOSSIP_MSG_DROP_TRAILING), "trailing");
	assert_string_equal(dtt_gossip_msg_drop_name(99), "invalid");
	assert_string_equal(dtt_gossip_msg_type_name(DTT_GOSSIP_MSG_IHAVE), "ihave");
	assert_true(dtt_gossip_msg_is_hpv(DTT_GOSSIP_MSG_DISCONNECT));
	assert_false(dtt_gossip_msg_is_hpv(DTT_GOSSIP_MSG_GOSSIP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_gossip_msg_join_is_version_topic_type, setup),
	    cmocka_unit_test_setup(test_gossip_msg_forward_join_exact_bytes, setup),
	    cmocka_unit_test_setup(test_gossip_msg_shuffle_round_trips_mixed_addresses, setup),
	    cmocka_unit_test_setup(test_gossip_msg_largest_shuffle_fits_a_link_payload, setup),
	    cmocka_unit_test_setup(test_gossip_msg_shuffle_reply_neighbor_disconnect_prune, setup),
	    cmocka_unit_test_setup(test_gossip_msg_gossip_exact_bytes_and_borrowed_chunk, setup),
	    cmocka_unit_test_setup(test_gossip_msg_gossip_fragment_and_empty_content, setup),
	    cmocka_unit_test_setup(test_gossip_msg_graft_with_and_without_id, setup),
	    cmocka_unit_test_setup(test_gossip_msg_ihave_batch_of_31_fits_and_32_is_refused, setup),
	    cmocka_unit_test_setup(test_gossip_msg_encoder_refuses_what_decoder_would, setup),
	    cmocka_unit_test_setup(test_gossip_msg_every_prefix_is_short, setup),
	    cmocka_unit_test_setup(test_gossip_msg_rejects_malformed_fields, setup),
	    cmocka_unit_test(test_gossip_msg_drop_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
