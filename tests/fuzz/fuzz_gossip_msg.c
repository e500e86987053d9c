/* fuzz_gossip_msg.c - libFuzzer target for the gossip wire codec (core/gossip/msg.h,
 * spec/GOSSIP.md §3) and the receive path of a gossip node behind it.
 *
 * 1. The whole input as one link payload. A rejected one must fail with DTT_ERR_MALFORMED and
 *    name a drop reason. An accepted one must respect every bound (counts, families, ports,
 *    chunk inside the content, Neighbors scope at round 0), its chunk must point into the
 *    input, and the encoding is canonical: encode(decode(x)) == x byte for byte, and decoding
 *    that again gives the same encoding.
 * 2. The input as a session: records [sender u8][len u16 big-endian][payload], handed to a
 *    fresh node that is a member of the all-zero topic, with the clock moving 7 ms per record
 *    and every timer run. Nothing may crash, leak or trip a sanitizer, every payload must be
 *    either decoded or counted as a drop, and everything the node sends must fit a link
 *    payload and decode.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "err.h"
#include "gossip.h"
#include "msg.h"
#include "rng.h"
#include "timer.h"

static uint8_t out1[DTT_GOSSIP_MSG_MAX], out2[DTT_GOSSIP_MSG_MAX];
static struct dtt_gossip_msg m1, m2;

static void check_peer(const struct dtt_gossip_peer *p)
{
	if (!p->has_addr)
		return;
	CHECK(p->addr.family == DTT_AF_INET || p->addr.family == DTT_AF_INET6);
	CHECK(p->addr.port != 0);
}

static void check_peers(const struct dtt_gossip_peers *ps)
{
	CHECK(ps->count <= DTT_GOSSIP_MSG_PEERS_MAX);
	for (size_t i = 0; i < ps->count; i++)
		check_peer(&ps->v[i]);
}

static void check_codec(const uint8_t *data, size_t size)
{
	int drop = -1, n1, n2;

	if (dtt_gossip_msg_decode(&m1, data, size, &drop)) {
		CHECK(drop > DTT_GOSSIP_MSG_DROP_NONE && drop < DTT_GOSSIP_MSG_DROP__COUNT);
		return;
	}
	CHECK(drop == DTT_GOSSIP_MSG_DROP_NONE);
	CHECK(size <= DTT_GOSSIP_MSG_MAX);
	switch (m1.type) {
	case DTT_GOSSIP_MSG_JOIN:
	case DTT_GOSSIP_MSG_PRUNE: CHECK(size == DTT_GOSSIP_MSG_HEADER_BYTES); break;
	case DTT_GOSSIP_MSG_FORWARD_JOIN: check_peer(&m1.forward_join.peer); break;
	case DTT_GOSSIP_MSG_SHUFFLE:
		check_peer(&m1.shuffle.origin);
		check_peers(&m1.shuffle.nodes);
		break;
	case DTT_GOSSIP_MSG_SHUFFLE_REPLY: check_peers(&m1.shuffle_reply.nodes); break;
	case DTT_GOSSIP_MSG_NEIGHBOR: CHECK(m1.neighbor.priority <= DTT_GOSSIP_PRIO_LOW); break;
	case DTT_GOSSIP_MSG_DISCONNECT: break;
	case DTT_GOSSIP_MSG_GOSSIP:
		CHECK(m1.gossip.scope <= DTT_GOSSIP_SCOPE_NEIGHBORS);
		CHECK(m1.gossip.scope == DTT_GOSSIP_SCOPE_SWARM || m1.gossip.round == 0);
		CHECK((uint32_t)m1.gossip.offset + m1.gossip.chunk_len <= m1.gossip.total_len);
		CHECK(m1.gossip.chunk >= data &&
		      m1.gossip.chunk + m1.gossip.chunk_len == data + size);
		break;
	case DTT_GOSSIP_MSG_GRAFT: break;
	case DTT_GOSSIP_MSG_IHAVE:
		CHECK(m1.ihave.count >= 1 && m1.ihave.count <= DTT_GOSSIP_MSG_IHAVE_MAX);
		break;
	default: CHECK(0);
	}

	n1 = dtt_gossip_msg_encode(m1.topic, &m1, out1, sizeof(out1));
	CHECK(n1 > 0 && (size_t)n1 == size && memcmp(out1, data, size) == 0);
	CHECK(dtt_gossip_msg_decode(&m2, out1, (size_t)n1, NULL) == 0);
	n2 = dtt_gossip_msg_encode(m2.topic, &m2, out2, sizeof(out2));
	CHECK(n2 == n1 && memcmp(out1, out2, (size_t)n1) == 0);
}

/* ---- a node fed a session ---- */

struct fenv {
	struct dtt_env env;
	struct dtt_rng rng;
	uint64_t now;
};

static uint64_t f_now(void *ctx)
{
	return ((struct fenv *)ctx)->now;
}

static int64_t f_wall(void *ctx)
{
	return (int64_t)((struct fenv *)ctx)->now;
}

static int f_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	(void)ctx, (void)to, (void)buf, (void)len;
	return 0;
}

static void f_random(void *ctx, uint8_t *buf, size_t len)
{
	dtt_rng_fill(&((struct fenv *)ctx)->rng, buf, len);
}

static void f_log(void *ctx, int level, const char *module, const char *msg)
{
	(void)ctx, (void)level, (void)module, (void)msg;
}

static const struct dtt_env_ops f_ops = {f_now, f_wall, f_send, f_random, f_log};

static int t_send(void *ctx, const uint8_t *peer, const uint8_t *msg, size_t len)
{
	(void)ctx, (void)peer;
	CHECK(len >= 1 && len <= DTT_LINK_PAYLOAD_MAX);
	CHECK(dtt_gossip_msg_decode(&m2, msg, len, NULL) == 0);
	return 0;
}

static void t_close(void *ctx, const uint8_t *peer)
{
	(void)ctx, (void)peer;
}

static void t_watch(void *ctx, const uint8_t *peer, bool watch)
{
	(void)ctx, (void)peer, (void)watch;
}

static int t_set_addr(void *ctx, const uint8_t *peer, const struct dtt_addr *addr)
{
	(void)ctx, (void)peer;
	CHECK(addr->family == DTT_AF_INET || addr->family == DTT_AF_INET6);
	return 0;
}

static int t_get_addr(void *ctx, const uint8_t *peer, struct dtt_addr *out)
{
	(void)ctx, (void)peer, (void)out;
	return DTT_ERR_NOTFOUND;
}

static const struct dtt_gossip_transport transport = {t_send, t_close, t_watch, t_set_addr,
						      t_get_addr, NULL};

static void on_event(void *ctx, const struct dtt_gossip_event *ev)
{
	(void)ctx;
	CHECK(ev->type >= DTT_GOSSIP_EV_JOINED && ev->type <= DTT_GOSSIP_EV_RECEIVED);
	if (ev->type == DTT_GOSSIP_EV_RECEIVED)
		CHECK(ev->len <= DTT_PLUMTREE_MESSAGE_SIZE_MAX && (ev->len == 0 || ev->content));
}

static void run_session(const uint8_t *data, size_t size)
{
	static const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES];
	struct fenv fe;
	struct dtt_timers timers;
	struct dtt_gossip *g;
	uint8_t self[DTT_GOSSIP_PEER_BYTES], peer[DTT_GOSSIP_PEER_BYTES];
	const struct dtt_gossip_stats *s;
	uint64_t drops = 0;
	size_t off = 0;

	memset(&fe, 0, sizeof(fe));
	fe.env.ops = &f_ops;
	fe.env.ctx = &fe;
	fe.now = 1000;
	dtt_rng_seed(&fe.rng, 1);
	dtt_timers_init(&timers);
	memset(self, 0xee, sizeof(self));
	g = dtt_gossip_new(&fe.env, &timers, self, NULL, &transport, NULL, on_event, NULL);
	CHECK(g);
	CHECK(dtt_gossip_join(g, topic, NULL, 0) == 0);
	while (size - off >= 3) {
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];

		memset(peer, 0x10 + (data[off] & 7), sizeof(peer));
		if (data[off] & 0x80)
			memcpy(peer, self, sizeof(peer));
		off += 3;
		if (len > size - off)
			len = size - off;
		dtt_gossip_on_message(g, peer, data + off, len);
		off += len;
		fe.now += 7;
		dtt_timers_run(&timers, fe.now);
		if (data[off - len - 3] & 0x40)
			dtt_gossip_on_peer_down(g, peer, 1 + (data[off - len - 3] & 1));
	}
	fe.now += 100000;
	dtt_timers_run(&timers, fe.now);
	s = dtt_gossip_stats(g);
	for (int d = 0; d < DTT_GOSSIP_MSG_DROP__COUNT; d++)
		drops += s->dropped[d];
	drops += s->dropped[DTT_GOSSIP_DROP_SELF];
	CHECK(s->messages_in == s->control_in + s->data_in + drops);
	CHECK(dtt_gossip_leave(g, topic) == 0);
	dtt_gossip_free(g);
	CHECK(timers.count == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_codec(data, size);
	run_session(data, size);
	return 0;
}
