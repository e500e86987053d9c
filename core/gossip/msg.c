/* msg.c - the gossip wire codec (spec/GOSSIP.md §3): strict, canonical, bounded; the layout is
 * in msg.h. Owns nothing; a decoded GOSSIP chunk borrows the input. */
#include "msg.h"

#include <string.h>

#include "buf.h"
#include "err.h"

static const char *const drop_names[] = {
    [DTT_GOSSIP_MSG_DROP_NONE] = "none",	 [DTT_GOSSIP_MSG_DROP_SHORT] = "short",
    [DTT_GOSSIP_MSG_DROP_VERSION] = "version",	 [DTT_GOSSIP_MSG_DROP_TYPE] = "type",
    [DTT_GOSSIP_MSG_DROP_VALUE] = "value",	 [DTT_GOSSIP_MSG_DROP_LIMIT] = "limit",
    [DTT_GOSSIP_MSG_DROP_TRAILING] = "trailing",
};
_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == DTT_GOSSIP_MSG_DROP__COUNT,
	       "one name per value");

const char *dtt_gossip_msg_drop_name(int reason)
{
	if (reason >= 0 && reason < DTT_GOSSIP_MSG_DROP__COUNT)
		return drop_names[reason];
	return "invalid";
}

const char *dtt_gossip_msg_type_name(int type)
{
	switch (type) {
	case DTT_GOSSIP_MSG_JOIN: return "join";
	case DTT_GOSSIP_MSG_FORWARD_JOIN: return "forward_join";
	case DTT_GOSSIP_MSG_SHUFFLE: return "shuffle";
	case DTT_GOSSIP_MSG_SHUFFLE_REPLY: return "shuffle_reply";
	case DTT_GOSSIP_MSG_NEIGHBOR: return "neighbor";
	case DTT_GOSSIP_MSG_DISCONNECT: return "disconnect";
	case DTT_GOSSIP_MSG_GOSSIP: return "gossip";
	case DTT_GOSSIP_MSG_PRUNE: return "prune";
	case DTT_GOSSIP_MSG_GRAFT: return "graft";
	case DTT_GOSSIP_MSG_IHAVE: return "ihave";
	default: return "unknown";
	}
}

/* ---- encoding ---- */

static bool peer_ok(const struct dtt_gossip_peer *p)
{
	if (!p->has_addr)
		return true;
	return (p->addr.family == DTT_AF_INET || p->addr.family == DTT_AF_INET6) &&
	       p->addr.port != 0;
}

size_t dtt_gossip_peer_size(const struct dtt_gossip_peer *p)
{
	if (!p->has_addr)
		return DTT_GOSSIP_PEER_BYTES + 1;
	return DTT_GOSSIP_PEER_BYTES + 1 + (p->addr.family == DTT_AF_INET ? 4 : 16) + 2;
}

static void put_peer(struct dtt_wbuf *w, const struct dtt_gossip_peer *p)
{
	dtt_wbuf_put(w, p->id, DTT_GOSSIP_PEER_BYTES);
	if (!p->has_addr) {
		dtt_wbuf_u8(w, 0);
		return;
	}
	dtt_wbuf_u8(w, p->addr.family);
	dtt_wbuf_put(w, p->addr.addr, p->addr.family == DTT_AF_INET ? 4 : 16);
	dtt_wbuf_be16(w, p->addr.port);
}

static bool peers_ok(const struct dtt_gossip_peers *ps)
{
	if (ps->count > DTT_GOSSIP_MSG_PEERS_MAX)
		return false;
	for (size_t i = 0; i < ps->count; i++)
		if (!peer_ok(&ps->v[i]))
			return false;
	return true;
}

static void put_peers(struct dtt_wbuf *w, const struct dtt_gossip_peers *ps)
{
	dtt_wbuf_u8(w, ps->count);
	for (size_t i = 0; i < ps->count; i++)
		put_peer(w, &ps->v[i]);
}

static bool gossip_ok(const struct dtt_gossip_msg *m)
{
	uint32_t end = (uint32_t)m->gossip.offset + m->gossip.chunk_len;

	if (m->gossip.scope > DTT_GOSSIP_SCOPE_NEIGHBORS)
		return false;
	if (m->gossip.scope == DTT_GOSSIP_SCOPE_NEIGHBORS && m->gossip.round != 0)
		return false;
	if (end > m->gossip.total_len)
		return false;
	/* only an empty content has an empty chunk */
	if (m->gossip.chunk_len == 0 && m->gossip.total_len != 0)
		return false;
	return m->gossip.chunk_len == 0 || m->gossip.chunk;
}

int dtt_gossip_msg_encode(const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			  const struct dtt_gossip_msg *m, uint8_t *out, size_t cap)
{
	struct dtt_wbuf w;

	if (cap > DTT_GOSSIP_MSG_MAX)
		cap = DTT_GOSSIP_MSG_MAX;
	dtt_wbuf_init(&w, out, cap);
	dtt_wbuf_u8(&w, DTT_GOSSIP_MSG_VERSION);
	dtt_wbuf_put(&w, topic, DTT_GOSSIP_TOPIC_BYTES);
	dtt_wbuf_u8(&w, m->type);

	switch (m->type) {
	case DTT_GOSSIP_MSG_JOIN:
	case DTT_GOSSIP_MSG_PRUNE: break;
	case DTT_GOSSIP_MSG_FORWARD_JOIN:
		if (!peer_ok(&m->forward_join.peer))
			return DTT_ERR_INVALID;
		put_peer(&w, &m->forward_join.peer);
		dtt_wbuf_be16(&w, m->forward_join.ttl);
		break;
	case DTT_GOSSIP_MSG_SHUFFLE:
		if (!peer_ok(&m->shuffle.origin) || !peers_ok(&m->shuffle.nodes))
			return DTT_ERR_INVALID;
		put_peer(&w, &m->shuffle.origin);
		dtt_wbuf_be16(&w, m->shuffle.ttl);
		put_peers(&w, &m->shuffle.nodes);
		break;
	case DTT_GOSSIP_MSG_SHUFFLE_REPLY:
		if (!peers_ok(&m->shuffle_reply.nodes))
			return DTT_ERR_INVALID;
		put_peers(&w, &m->shuffle_reply.nodes);
		break;
	case DTT_GOSSIP_MSG_NEIGHBOR:
		if (m->neighbor.priority > DTT_GOSSIP_PRIO_LOW)
			return DTT_ERR_INVALID;
		dtt_wbuf_u8(&w, m->neighbor.priority);
		break;
	case DTT_GOSSIP_MSG_DISCONNECT: dtt_wbuf_u8(&w, m->disconnect.alive ? 1 : 0); break;
	case DTT_GOSSIP_MSG_GOSSIP:
		if (!gossip_ok(m))
			return DTT_ERR_INVALID;
		dtt_wbuf_put(&w, m->gossip.id, DTT_GOSSIP_MSGID_BYTES);
		dtt_wbuf_u8(&w, m->gossip.scope);
		dtt_wbuf_be16(&w, m->gossip.round);
		dtt_wbuf_be16(&w, m->gossip.total_len);
		dtt_wbuf_be16(&w, m->gossip.offset);
		dtt_wbuf_be16(&w, m->gossip.chunk_len);
		if (m->gossip.chunk_len)
			dtt_wbuf_put(&w, m->gossip.chunk, m->gossip.chunk_len);
		break;
	case DTT_GOSSIP_MSG_GRAFT:
		dtt_wbuf_u8(&w, m->graft.has_id ? 1 : 0);
		if (m->graft.has_id)
			dtt_wbuf_put(&w, m->graft.id, DTT_GOSSIP_MSGID_BYTES);
		dtt_wbuf_be16(&w, m->graft.round);
		break;
	case DTT_GOSSIP_MSG_IHAVE:
		if (m->ihave.count == 0 || m->ihave.count > DTT_GOSSIP_MSG_IHAVE_MAX)
			return DTT_ERR_INVALID;
		dtt_wbuf_u8(&w, m->ihave.count);
		for (size_t i = 0; i < m->ihave.count; i++) {
			dtt_wbuf_put(&w, m->ihave.v[i].id, DTT_GOSSIP_MSGID_BYTES);
			dtt_wbuf_be16(&w, m->ihave.v[i].round);
		}
		break;
	default: return DTT_ERR_INVALID;
	}
	if (w.err)
		return DTT_ERR_TOOBIG;
	return (int)w.len;
}

/* ---- decoding ---- */

/* Decoding state: the reader and the first reason found. */
struct dec {
	struct dtt_rbuf r;
	int drop;
};

static void fail(struct dec *d, int reason)
{
	if (d->drop == DTT_GOSSIP_MSG_DROP_NONE)
		d->drop = reason;
	d->r.err = true;
}

static uint8_t get_u8(struct dec *d)
{
	if (dtt_rbuf_left(&d->r) < 1) {
		fail(d, DTT_GOSSIP_MSG_DROP_SHORT);
		return 0;
	}
	return dtt_rbuf_u8(&d->r);
}

static uint16_t get_be16(struct dec *d)
{
	if (dtt_rbuf_left(&d->r) < 2) {
		fail(d, DTT_GOSSIP_MSG_DROP_SHORT);
		return 0;
	}
	return dtt_rbuf_be16(&d->r);
}

static void get_bytes(struct dec *d, void *out, size_t n)
{
	if (dtt_rbuf_left(&d->r) < n) {
		fail(d, DTT_GOSSIP_MSG_DROP_SHORT);
		return;
	}
	dtt_rbuf_copy(&d->r, out, n);
}

static bool get_bool(struct dec *d)
{
	uint8_t v = get_u8(d);

	if (v > 1)
		fail(d, DTT_GOSSIP_MSG_DROP_VALUE);
	return v == 1;
}

static void get_peer(struct dec *d, struct dtt_gossip_peer *p)
{
	uint8_t family;

	memset(p, 0, sizeof(*p));
	get_bytes(d, p->id, DTT_GOSSIP_PEER_BYTES);
	family = get_u8(d);
	if (d->r.err || family == 0)
		return;
	if (family != DTT_AF_INET && family != DTT_AF_INET6) {
		fail(d, DTT_GOSSIP_MSG_DROP_VALUE);
		return;
	}
	p->has_addr = true;
	p->addr.family = family;
	get_bytes(d, p->addr.addr, family == DTT_AF_INET ? 4 : 16);
	p->addr.port = get_be16(d);
	if (!d->r.err && p->addr.port == 0)
		fail(d, DTT_GOSSIP_MSG_DROP_VALUE);
}

static void get_peers(struct dec *d, struct dtt_gossip_peers *ps)
{
	uint8_t n = get_u8(d);

	ps->count = 0;
	if (d->r.err)
		return;
	if (n > DTT_GOSSIP_MSG_PEERS_MAX) {
		fail(d, DTT_GOSSIP_MSG_DROP_LIMIT);
		return;
	}
	for (uint8_t i = 0; i < n && !d->r.err; i++)
		get_peer(d, &ps->v[i]);
	if (!d->r.err)
		ps->count = n;
}

static void get_gossip(struct dec *d, struct dtt_gossip_msg *m)
{
	get_bytes(d, m->gossip.id, DTT_GOSSIP_MSGID_BYTES);
	m->gossip.scope = get_u8(d);
	m->gossip.round = get_be16(d);
	m->gossip.total_len = get_be16(d);
	m->gossip.offset = get_be16(d);
	m->gossip.chunk_len = get_be16(d);
	m->gossip.chunk = NULL;
	if (d->r.err)
		return;
	if (dtt_rbuf_left(&d->r) < m->gossip.chunk_len) {
		fail(d, DTT_GOSSIP_MSG_DROP_SHORT);
		return;
	}
	m->gossip.chunk = dtt_rbuf_get(&d->r, m->gossip.chunk_len);
	if (!gossip_ok(m))
		fail(d, DTT_GOSSIP_MSG_DROP_VALUE);
}

static void get_ihave(struct dec *d, struct dtt_gossip_msg *m)
{
	uint8_t n = get_u8(d);

	m->ihave.count = 0;
	if (d->r.err)
		return;
	if (n == 0 || n > DTT_GOSSIP_MSG_IHAVE_MAX) {
		fail(d, DTT_GOSSIP_MSG_DROP_LIMIT);
		return;
	}
	for (uint8_t i = 0; i < n && !d->r.err; i++) {
		get_bytes(d, m->ihave.v[i].id, DTT_GOSSIP_MSGID_BYTES);
		m->ihave.v[i].round = get_be16(d);
	}
	if (!d->r.err)
		m->ihave.count = n;
}

int dtt_gossip_msg_decode(struct dtt_gossip_msg *m, const uint8_t *buf, size_t len, int *drop)
{
	struct dec d = {.drop = DTT_GOSSIP_MSG_DROP_NONE};
	uint8_t version;

	m->type = 0;
	dtt_rbuf_init(&d.r, buf, len);
	if (len > DTT_GOSSIP_MSG_MAX) {
		/* no encoder writes it, and no link carries it */
		if (drop)
			*drop = DTT_GOSSIP_MSG_DROP_LIMIT;
		return DTT_ERR_MALFORMED;
	}
	version = get_u8(&d);
	if (!d.r.err && version != DTT_GOSSIP_MSG_VERSION)
		fail(&d, DTT_GOSSIP_MSG_DROP_VERSION);
	get_bytes(&d, m->topic, DTT_GOSSIP_TOPIC_BYTES);
	m->type = get_u8(&d);

	if (!d.r.err) {
		switch (m->type) {
		case DTT_GOSSIP_MSG_JOIN:
		case DTT_GOSSIP_MSG_PRUNE: break;
		case DTT_GOSSIP_MSG_FORWARD_JOIN:
			get_peer(&d, &m->forward_join.peer);
			m->forward_join.ttl = get_be16(&d);
			break;
		case DTT_GOSSIP_MSG_SHUFFLE:
			get_peer(&d, &m->shuffle.origin);
			m->shuffle.ttl = get_be16(&d);
			get_peers(&d, &m->shuffle.nodes);
			break;
		case DTT_GOSSIP_MSG_SHUFFLE_REPLY: get_peers(&d, &m->shuffle_reply.nodes); break;
		case DTT_GOSSIP_MSG_NEIGHBOR:
			m->neighbor.priority = get_u8(&d);
			if (!d.r.err && m->neighbor.priority > DTT_GOSSIP_PRIO_LOW)
				fail(&d, DTT_GOSSIP_MSG_DROP_VALUE);
			break;
		case DTT_GOSSIP_MSG_DISCONNECT: m->disconnect.alive = get_bool(&d); break;
		case DTT_GOSSIP_MSG_GOSSIP: get_gossip(&d, m); break;
		case DTT_GOSSIP_MSG_GRAFT:
			m->graft.has_id = get_bool(&d);
			if (m->graft.has_id)
				get_bytes(&d, m->graft.id, DTT_GOSSIP_MSGID_BYTES);
			else
				memset(m->graft.id, 0, sizeof(m->graft.id));
			m->graft.round = get_be16(&d);
			break;
		case DTT_GOSSIP_MSG_IHAVE: get_ihave(&d, m); break;
		default: fail(&d, DTT_GOSSIP_MSG_DROP_TYPE); break;
		}
	}
	if (!d.r.err && dtt_rbuf_left(&d.r) != 0)
		fail(&d, DTT_GOSSIP_MSG_DROP_TRAILING);
	if (drop)
		*drop = d.drop;
	return d.r.err ? DTT_ERR_MALFORMED : 0;
}
