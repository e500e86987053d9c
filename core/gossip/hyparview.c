/* hyparview.c - HyParView membership for one topic (spec/GOSSIP.md §4, §8; the paper's §4).
 *
 * Owns the active view, the passive view and the pending requests. Borrows the env (clock,
 * randomness), the timers, the config, the ops and the stats.
 * Timers:
 *   shuffle_timer - every shuffle_interval_ms -> shuffle_expired
 *   pending_timer - earliest pending deadline -> pending_expired
 *   refill_timer  - every refill_interval_ms while active_count < active_max -> refill_expired
 */
#include "hyparview.h"

#include <string.h>

#include "alloc.h"
#include "err.h"
#include "link.h"

#define ID_BYTES DTT_GOSSIP_PEER_BYTES

void dtt_hpv_config_init(struct dtt_hpv_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->active_max = DTT_HPV_ACTIVE_MAX;
	cfg->passive_max = DTT_HPV_PASSIVE_MAX;
	cfg->arwl = DTT_HPV_ARWL;
	cfg->prwl = DTT_HPV_PRWL;
	cfg->shuffle_ttl = DTT_HPV_SHUFFLE_TTL;
	cfg->shuffle_active = DTT_HPV_SHUFFLE_ACTIVE;
	cfg->shuffle_passive = DTT_HPV_SHUFFLE_PASSIVE;
	cfg->shuffle_interval_ms = DTT_HPV_SHUFFLE_INTERVAL_MS;
	cfg->neighbor_timeout_ms = DTT_HPV_NEIGHBOR_TIMEOUT_MS;
	cfg->join_timeout_ms = DTT_HPV_JOIN_TIMEOUT_MS;
	cfg->refill_interval_ms = DTT_HPV_REFILL_INTERVAL_MS;
	cfg->pending_max = DTT_HPV_PENDING_MAX;
	cfg->request_attempts = DTT_HPV_REQUEST_ATTEMPTS;
}

int dtt_hpv_config_check(const struct dtt_hpv_config *cfg)
{
	if (cfg->active_max < 1 || cfg->active_max > DTT_HPV_ACTIVE_LIMIT)
		return DTT_ERR_INVALID;
	if (cfg->passive_max > DTT_HPV_PASSIVE_LIMIT)
		return DTT_ERR_INVALID;
	if ((uint32_t)cfg->shuffle_active + cfg->shuffle_passive + 1 > DTT_GOSSIP_MSG_PEERS_MAX)
		return DTT_ERR_INVALID;
	if (!cfg->shuffle_interval_ms || !cfg->neighbor_timeout_ms || !cfg->join_timeout_ms)
		return DTT_ERR_INVALID;
	if (cfg->pending_max < 1 || cfg->request_attempts < 1)
		return DTT_ERR_INVALID;
	return 0;
}

const char *dtt_gossip_down_name(int reason)
{
	switch (reason) {
	case DTT_GOSSIP_DOWN_EVICTED: return "evicted";
	case DTT_GOSSIP_DOWN_LEFT: return "left";
	case DTT_GOSSIP_DOWN_TIMED_OUT: return "timed_out";
	case DTT_GOSSIP_DOWN_LINK_FAILED: return "link_failed";
	default: return "invalid";
	}
}

/* ---- small helpers ---- */

static bool id_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, ID_BYTES) == 0;
}

static int find_peer(const struct dtt_gossip_peer *v, uint16_t n, const uint8_t *id)
{
	for (uint16_t i = 0; i < n; i++)
		if (id_eq(v[i].id, id))
			return i;
	return -1;
}

static int find_pending(const struct dtt_hpv *h, const uint8_t *id)
{
	for (uint16_t i = 0; i < h->pending_count; i++)
		if (id_eq(h->pending[i].id, id))
			return i;
	return -1;
}

bool dtt_hpv_is_active(const struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	return find_peer(h->active, h->active_count, peer) >= 0;
}

bool dtt_hpv_is_passive(const struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	return find_peer(h->passive, h->passive_count, peer) >= 0;
}

bool dtt_hpv_is_pending(const struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	return find_pending(h, peer) >= 0;
}

static uint64_t now(const struct dtt_hpv *h)
{
	return dtt_env_now_ms(h->env);
}

static size_t uniform(const struct dtt_hpv *h, size_t bound)
{
	return (size_t)dtt_env_uniform(h->env, bound);
}

/* Fills p with peer id and the best address we know: the transport's for a peer we talk to,
 * else the one an introduction gave. */
static void peer_with_addr(const struct dtt_hpv *h, const uint8_t *id,
			   const struct dtt_gossip_peer *known, struct dtt_gossip_peer *p)
{
	memset(p, 0, sizeof(*p));
	memcpy(p->id, id, ID_BYTES);
	if (h->ops->get_addr && h->ops->get_addr(h->ctx, id, &p->addr) &&
	    (p->addr.family == DTT_AF_INET || p->addr.family == DTT_AF_INET6) && p->addr.port) {
		p->has_addr = true;
		return;
	}
	memset(&p->addr, 0, sizeof(p->addr));
	if (known && known->has_addr) {
		p->has_addr = true;
		p->addr = known->addr;
	}
}

/* Up to k distinct random entries of v[0..n) other than `skip` (may be NULL), appended to
 * out (count in *out_n, at most DTT_GOSSIP_MSG_PEERS_MAX). A partial Fisher-Yates shuffle
 * over indices. */
static void sample(const struct dtt_hpv *h, const struct dtt_gossip_peer *v, uint16_t n,
		   const uint8_t *skip, size_t k, struct dtt_gossip_peers *out)
{
	uint16_t idx[DTT_HPV_PASSIVE_LIMIT];
	size_t m = 0;

	for (uint16_t i = 0; i < n; i++)
		if (!skip || !id_eq(v[i].id, skip))
			idx[m++] = i;
	for (size_t i = 0; i < k && i < m && out->count < DTT_GOSSIP_MSG_PEERS_MAX; i++) {
		size_t j = i + uniform(h, m - i);
		uint16_t t = idx[i];

		idx[i] = idx[j];
		idx[j] = t;
		peer_with_addr(h, v[idx[i]].id, &v[idx[i]], &out->v[out->count++]);
	}
}

/* A random active neighbour other than a and b (either may be NULL), or -1. */
static int random_active_except(const struct dtt_hpv *h, const uint8_t *a, const uint8_t *b)
{
	uint16_t idx[DTT_HPV_ACTIVE_LIMIT];
	size_t m = 0;

	for (uint16_t i = 0; i < h->active_count; i++) {
		if (a && id_eq(h->active[i].id, a))
			continue;
		if (b && id_eq(h->active[i].id, b))
			continue;
		idx[m++] = i;
	}
	return m ? idx[uniform(h, m)] : -1;
}

static int send_msg(struct dtt_hpv *h, const uint8_t *peer, const struct dtt_gossip_msg *m)
{
	int rc = h->ops->send(h->ctx, peer, m);

	if (rc)
		h->stats->send_failed++;
	return rc;
}

/* ---- pending requests ---- */

static void pending_rearm(struct dtt_hpv *h)
{
	uint64_t first = UINT64_MAX;

	for (uint16_t i = 0; i < h->pending_count; i++)
		if (h->pending[i].deadline_ms < first)
			first = h->pending[i].deadline_ms;
	if (first == UINT64_MAX)
		dtt_timer_cancel(h->timers, &h->pending_timer);
	else if (!dtt_timer_is_armed(&h->pending_timer) || h->pending_timer.deadline_ms != first)
		dtt_timer_arm(h->timers, &h->pending_timer, first);
}

static bool pending_add(struct dtt_hpv *h, const uint8_t *id, uint32_t timeout_ms, uint8_t type,
			uint8_t priority)
{
	struct dtt_hpv_pending *p;

	if (h->pending_count >= h->cfg->pending_max) {
		h->stats->pending_full++;
		return false;
	}
	p = &h->pending[h->pending_count++];
	memcpy(p->id, id, ID_BYTES);
	p->deadline_ms = now(h) + timeout_ms;
	p->type = type;
	p->priority = priority;
	p->sent = 1;
	pending_rearm(h);
	return true;
}

static bool pending_remove(struct dtt_hpv *h, const uint8_t *id)
{
	int i = find_pending(h, id);

	if (i < 0)
		return false;
	h->pending[i] = h->pending[--h->pending_count];
	pending_rearm(h);
	return true;
}

/* Pending requests to peers outside the active view: what refill has in flight. */
static uint16_t pending_outside(const struct dtt_hpv *h)
{
	uint16_t n = 0;

	for (uint16_t i = 0; i < h->pending_count; i++)
		if (!dtt_hpv_is_active(h, h->pending[i].id))
			n++;
	return n;
}

/* ---- views ---- */

static void passive_remove_at(struct dtt_hpv *h, int i)
{
	h->passive[i] = h->passive[--h->passive_count];
}

static void passive_remove(struct dtt_hpv *h, const uint8_t *id)
{
	int i = find_peer(h->passive, h->passive_count, id);

	if (i >= 0)
		passive_remove_at(h, i);
}

/* Inserts p (ignoring ourselves and active peers); a known peer gets the newer address. */
static void passive_add(struct dtt_hpv *h, const struct dtt_gossip_peer *p)
{
	int i;

	if (id_eq(p->id, h->self) || dtt_hpv_is_active(h, p->id) || h->cfg->passive_max == 0)
		return;
	i = find_peer(h->passive, h->passive_count, p->id);
	if (i >= 0) {
		if (p->has_addr) {
			h->passive[i].has_addr = true;
			h->passive[i].addr = p->addr;
		}
		return;
	}
	if (h->passive_count >= h->cfg->passive_max) {
		passive_remove_at(h, (int)uniform(h, h->passive_count));
		h->stats->passive_evicted++;
	}
	h->passive[h->passive_count] = *p;
	if (!p->has_addr)
		memset(&h->passive[h->passive_count].addr, 0, sizeof(struct dtt_addr));
	h->passive_count++;
}

/* A peer we talk to goes passive with the address the transport knows for it. */
static void passive_add_id(struct dtt_hpv *h, const uint8_t *id)
{
	struct dtt_gossip_peer p;

	peer_with_addr(h, id, NULL, &p);
	passive_add(h, &p);
}

static void refill_arm(struct dtt_hpv *h)
{
	if (h->cfg->refill_interval_ms && !h->left && h->active_count < h->cfg->active_max &&
	    !dtt_timer_is_armed(&h->refill_timer))
		dtt_timer_arm(h->timers, &h->refill_timer, now(h) + h->cfg->refill_interval_ms);
}

/* ---- messages out ---- */

/* Sends a Neighbor unless one is pending for the peer; every Neighbor is pending until its
 * answer or its timer, which is what stops two peers from answering each other forever.
 * 0, 1 (suppressed: already pending or pending_max outstanding) or the send error. */
static int send_neighbor(struct dtt_hpv *h, const uint8_t *peer, int priority)
{
	struct dtt_gossip_msg m;
	int rc;

	if (dtt_hpv_is_pending(h, peer))
		return 1;
	/* an answer to a peer already admitted stays pending as long as the peer may repeat its
	 * request: a repeat is answered again while it is */
	if (!pending_add(h, peer,
			 dtt_hpv_is_active(h, peer)
			     ? h->cfg->neighbor_timeout_ms * h->cfg->request_attempts
			     : h->cfg->neighbor_timeout_ms,
			 DTT_GOSSIP_MSG_NEIGHBOR, (uint8_t)priority))
		return 1;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_NEIGHBOR;
	m.neighbor.priority = (uint8_t)priority;
	rc = send_msg(h, peer, &m);
	if (rc) {
		pending_remove(h, peer);
		return rc;
	}
	h->stats->neighbors_sent++;
	return 0;
}

/* A ShuffleReply of n entries, passive first then active, never `to` itself. */
static void send_shuffle_reply(struct dtt_hpv *h, const uint8_t *to, size_t n)
{
	struct dtt_gossip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_SHUFFLE_REPLY;
	if (n > DTT_GOSSIP_MSG_PEERS_MAX)
		n = DTT_GOSSIP_MSG_PEERS_MAX;
	sample(h, h->passive, h->passive_count, to, n, &m.shuffle_reply.nodes);
	if (m.shuffle_reply.nodes.count < n)
		sample(h, h->active, h->active_count, to, n - m.shuffle_reply.nodes.count,
		       &m.shuffle_reply.nodes);
	send_msg(h, to, &m);
}

/* ShuffleReply (so the peer has somewhere to go) then Disconnect. */
static void send_disconnect(struct dtt_hpv *h, const uint8_t *to, bool alive)
{
	struct dtt_gossip_msg m;

	send_shuffle_reply(h, to, (size_t)h->cfg->shuffle_active + h->cfg->shuffle_passive);
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_DISCONNECT;
	m.disconnect.alive = alive;
	send_msg(h, to, &m);
}

/* The answer to a repeated request from a peer we admitted: a Neighbor again while our first
 * answer is pending, at most request_attempts copies in all (so two peers that each take the
 * other's Neighbor for a request stop after a few). */
static void resend_neighbor(struct dtt_hpv *h, const uint8_t *peer, int priority)
{
	struct dtt_gossip_msg m;
	int i = find_pending(h, peer);

	if (i < 0 || h->pending[i].sent >= h->cfg->request_attempts)
		return;
	h->pending[i].sent++;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_NEIGHBOR;
	m.neighbor.priority = (uint8_t)priority;
	if (send_msg(h, peer, &m) == 0)
		h->stats->neighbors_sent++;
}

/* ---- active view ---- */

/* Removes active[i]: reports it, optionally says goodbye, optionally keeps it passive, and
 * releases the session. The caller refills. */
static void active_remove_at(struct dtt_hpv *h, int i, int reason, bool notify, bool keep)
{
	uint8_t id[ID_BYTES];

	memcpy(id, h->active[i].id, ID_BYTES);
	h->active[i] = h->active[--h->active_count];
	h->ops->neighbor_down(h->ctx, id, reason);
	if (notify)
		send_disconnect(h, id, true);
	if (keep)
		passive_add_id(h, id);
	else
		passive_remove(h, id);
	if (!dtt_hpv_is_pending(h, id))
		h->ops->disconnect(h->ctx, id);
	refill_arm(h);
}

/* Tries to admit peer. High priority always succeeds (a random neighbour is evicted from a
 * full view); Low only with a free slot. With reply, the peer is told by a Neighbor. */
static bool active_add(struct dtt_hpv *h, const uint8_t *peer, int priority, bool reply)
{
	if (id_eq(peer, h->self))
		return false;
	if (dtt_hpv_is_active(h, peer)) {
		if (reply && dtt_hpv_is_pending(h, peer))
			resend_neighbor(h, peer, priority);
		else if (reply)
			send_neighbor(h, peer, priority);
		return true;
	}
	if (h->active_count >= h->cfg->active_max) {
		if (priority != DTT_GOSSIP_PRIO_HIGH)
			return false;
		h->stats->evicted++;
		active_remove_at(h, (int)uniform(h, h->active_count), DTT_GOSSIP_DOWN_EVICTED, true,
				 true);
	}
	passive_remove(h, peer);
	pending_remove(h, peer); /* clear "pending" once the peer is active (§4.1 quirk) */
	memset(&h->active[h->active_count], 0, sizeof(h->active[0]));
	memcpy(h->active[h->active_count].id, peer, ID_BYTES);
	h->active_count++;
	h->ops->neighbor_up(h->ctx, peer);
	if (reply)
		send_neighbor(h, peer, priority);
	return true;
}

/* If active + outstanding requests leave room, asks one random passive peer (High when we
 * have no neighbour at all). A peer the transport cannot even queue a message for is dropped
 * and the next one tried. */
static void refill(struct dtt_hpv *h)
{
	uint16_t idx[DTT_HPV_PASSIVE_LIMIT];

	if (h->left)
		return;
	while ((uint32_t)h->active_count + pending_outside(h) < h->cfg->active_max) {
		size_t m = 0;
		struct dtt_gossip_peer q;
		int rc;

		for (uint16_t i = 0; i < h->passive_count; i++)
			if (!dtt_hpv_is_pending(h, h->passive[i].id))
				idx[m++] = i;
		if (!m)
			return;
		q = h->passive[idx[uniform(h, m)]];
		if (q.has_addr)
			h->ops->set_addr(h->ctx, q.id, &q.addr);
		rc = send_neighbor(h, q.id,
				   h->active_count ? DTT_GOSSIP_PRIO_LOW : DTT_GOSSIP_PRIO_HIGH);
		if (rc >= 0)
			return;
		passive_remove(h, q.id);
	}
}

/* ---- timers ---- */

static void shuffle_expired(struct dtt_timer *t)
{
	struct dtt_hpv *h = DTT_CONTAINER_OF(t, struct dtt_hpv, shuffle_timer);
	struct dtt_gossip_msg m;
	int x;

	dtt_timer_arm(h->timers, &h->shuffle_timer, now(h) + h->cfg->shuffle_interval_ms);
	x = random_active_except(h, NULL, NULL);
	if (x < 0)
		return;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_SHUFFLE;
	memcpy(m.shuffle.origin.id, h->self, ID_BYTES);
	m.shuffle.ttl = h->cfg->shuffle_ttl;
	sample(h, h->active, h->active_count, h->active[x].id, h->cfg->shuffle_active,
	       &m.shuffle.nodes);
	sample(h, h->passive, h->passive_count, h->active[x].id, h->cfg->shuffle_passive,
	       &m.shuffle.nodes);
	if (send_msg(h, h->active[x].id, &m) == 0)
		h->stats->shuffles_sent++;
}

static void pending_expired(struct dtt_timer *t)
{
	struct dtt_hpv *h = DTT_CONTAINER_OF(t, struct dtt_hpv, pending_timer);
	uint64_t at = now(h);
	bool dropped = false;

	for (uint16_t i = 0; i < h->pending_count;) {
		uint8_t id[ID_BYTES];

		if (h->pending[i].deadline_ms > at) {
			i++;
			continue;
		}
		memcpy(id, h->pending[i].id, ID_BYTES);
		/* an unanswered request goes out again (the datagram, or the answer, may have been
		 * lost) until request_attempts copies went unanswered */
		if (!dtt_hpv_is_active(h, id) && h->pending[i].sent < h->cfg->request_attempts) {
			struct dtt_gossip_msg m;
			struct dtt_hpv_pending *pe = &h->pending[i];

			memset(&m, 0, sizeof(m));
			m.type = pe->type;
			m.neighbor.priority = pe->priority;
			pe->sent++;
			pe->deadline_ms = at + (pe->type == DTT_GOSSIP_MSG_JOIN
						    ? h->cfg->join_timeout_ms
						    : h->cfg->neighbor_timeout_ms);
			h->stats->requests_repeated++;
			if (send_msg(h, id, &m) == 0) {
				i++;
				continue;
			}
		}
		h->pending[i] = h->pending[--h->pending_count];
		/* an unanswered reply to a neighbour only clears the entry */
		if (dtt_hpv_is_active(h, id))
			continue;
		h->stats->pending_timeouts++;
		passive_remove(h, id);
		h->ops->disconnect(h->ctx, id);
		dropped = true;
	}
	pending_rearm(h);
	if (dropped)
		refill(h);
}

static void refill_expired(struct dtt_timer *t)
{
	struct dtt_hpv *h = DTT_CONTAINER_OF(t, struct dtt_hpv, refill_timer);

	refill(h);
	refill_arm(h);
}

/* ---- messages in ---- */

static void on_join(struct dtt_hpv *h, const uint8_t *from)
{
	struct dtt_gossip_msg m;

	h->stats->joins_received++;
	/* A repeated Join from a peer we admitted: our answer was lost. Answer again while it is
	 * pending; the walk went out with the first copy. */
	if (dtt_hpv_is_active(h, from)) {
		resend_neighbor(h, from, DTT_GOSSIP_PRIO_HIGH);
		return;
	}
	/* a Join voids any request we had out to the peer: it restarted, or the two crossed */
	pending_remove(h, from);
	active_add(h, from, DTT_GOSSIP_PRIO_HIGH, true);

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_FORWARD_JOIN;
	peer_with_addr(h, from, NULL, &m.forward_join.peer);
	m.forward_join.ttl = h->cfg->arwl;
	for (uint16_t i = 0; i < h->active_count; i++)
		if (!id_eq(h->active[i].id, from))
			send_msg(h, h->active[i].id, &m);
}

static void on_forward_join(struct dtt_hpv *h, const uint8_t *from, const struct dtt_gossip_msg *in)
{
	const struct dtt_gossip_peer *n = &in->forward_join.peer;
	struct dtt_gossip_msg m;
	int next;

	h->stats->forward_joins_received++;
	if (id_eq(n->id, h->self))
		return;
	if (dtt_hpv_is_active(h, n->id)) {
		send_neighbor(h, n->id, DTT_GOSSIP_PRIO_HIGH);
		return;
	}
	if (in->forward_join.ttl == 0 || h->active_count <= 1) {
		/* the walk ends here: ask the joiner, admit it when it answers (iroh #56) */
		if (n->has_addr)
			h->ops->set_addr(h->ctx, n->id, &n->addr);
		send_neighbor(h, n->id, DTT_GOSSIP_PRIO_HIGH);
		return;
	}
	if (in->forward_join.ttl == h->cfg->prwl)
		passive_add(h, n);
	if (dtt_hpv_is_pending(h, n->id))
		return;
	next = random_active_except(h, from, NULL);
	if (next < 0)
		return;
	m = *in;
	m.forward_join.ttl = in->forward_join.ttl - 1;
	if (!m.forward_join.peer.has_addr)
		peer_with_addr(h, n->id, NULL, &m.forward_join.peer);
	send_msg(h, h->active[next].id, &m);
}

static void on_shuffle(struct dtt_hpv *h, const uint8_t *from, const struct dtt_gossip_msg *in)
{
	const struct dtt_gossip_peer *origin = &in->shuffle.origin;
	struct dtt_gossip_msg m;
	int next = -1;

	h->stats->shuffles_received++;
	if (in->shuffle.ttl > 0 && h->active_count > 1)
		next = random_active_except(h, origin->id, from);
	if (next >= 0) {
		m = *in;
		m.shuffle.ttl = in->shuffle.ttl - 1;
		/* the first hop knows where the origin is: introduce it with that address */
		if (!m.shuffle.origin.has_addr)
			peer_with_addr(h, origin->id, NULL, &m.shuffle.origin);
		send_msg(h, h->active[next].id, &m);
		return;
	}
	/* the walk ends here */
	if (!id_eq(origin->id, h->self)) {
		size_t n = (size_t)in->shuffle.nodes.count + 1;

		if (origin->has_addr && !dtt_hpv_is_active(h, origin->id))
			h->ops->set_addr(h->ctx, origin->id, &origin->addr);
		send_shuffle_reply(h, origin->id, n);
		passive_add(h, origin);
	}
	for (uint8_t i = 0; i < in->shuffle.nodes.count; i++)
		passive_add(h, &in->shuffle.nodes.v[i]);
}

static void on_shuffle_reply(struct dtt_hpv *h, const struct dtt_gossip_msg *in)
{
	h->stats->shuffle_replies_received++;
	for (uint8_t i = 0; i < in->shuffle_reply.nodes.count; i++)
		passive_add(h, &in->shuffle_reply.nodes.v[i]);
	refill(h);
}

static void on_neighbor(struct dtt_hpv *h, const uint8_t *from, int priority)
{
	bool answer;

	h->stats->neighbors_received++;
	/* From a peer we admitted and still await: a repeated request (our answer was lost). */
	if (dtt_hpv_is_active(h, from) && dtt_hpv_is_pending(h, from)) {
		resend_neighbor(h, from, priority);
		return;
	}
	/* a Neighbor from a peer we asked is the answer; any other is a request */
	answer = pending_remove(h, from);
	if (!active_add(h, from, priority, !answer)) {
		h->stats->rejected++;
		send_disconnect(h, from, true);
	}
}

static void on_disconnect(struct dtt_hpv *h, const uint8_t *from, bool alive)
{
	int i = find_peer(h->active, h->active_count, from);

	h->stats->disconnects_received++;
	pending_remove(h, from);
	if (i >= 0) {
		active_remove_at(h, i, alive ? DTT_GOSSIP_DOWN_EVICTED : DTT_GOSSIP_DOWN_LEFT,
				 false, alive);
		refill(h);
	} else if (!alive) {
		passive_remove(h, from);
	}
}

void dtt_hpv_on_message(struct dtt_hpv *h, const uint8_t from[DTT_GOSSIP_PEER_BYTES],
			const struct dtt_gossip_msg *m)
{
	if (h->left || id_eq(from, h->self))
		return;
	switch (m->type) {
	case DTT_GOSSIP_MSG_JOIN: on_join(h, from); break;
	case DTT_GOSSIP_MSG_FORWARD_JOIN: on_forward_join(h, from, m); break;
	case DTT_GOSSIP_MSG_SHUFFLE: on_shuffle(h, from, m); break;
	case DTT_GOSSIP_MSG_SHUFFLE_REPLY: on_shuffle_reply(h, m); break;
	case DTT_GOSSIP_MSG_NEIGHBOR: on_neighbor(h, from, m->neighbor.priority); break;
	case DTT_GOSSIP_MSG_DISCONNECT: on_disconnect(h, from, m->disconnect.alive); return;
	default: return;
	}
	/* a one-off exchange with a peer outside the view (a ShuffleReply, a refused request):
	 * this topic no longer needs the session (spec/GOSSIP.md §4.4) */
	if (!dtt_hpv_is_active(h, from) && !dtt_hpv_is_pending(h, from))
		h->ops->disconnect(h->ctx, from);
}

void dtt_hpv_on_peer_down(struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			  int link_reason)
{
	bool was_pending;
	int i;

	if (h->left)
		return;
	was_pending = pending_remove(h, peer);
	i = find_peer(h->active, h->active_count, peer);
	if (i >= 0) {
		active_remove_at(h, i,
				 link_reason == DTT_LINK_DOWN_TIMED_OUT
				     ? DTT_GOSSIP_DOWN_TIMED_OUT
				     : DTT_GOSSIP_DOWN_LINK_FAILED,
				 false, false);
		refill(h);
		return;
	}
	/* a handshake that never completed: the peer is unreachable */
	if (link_reason == DTT_LINK_DOWN_FAILED) {
		passive_remove(h, peer);
		if (was_pending)
			refill(h);
	}
}

int dtt_hpv_join(struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	struct dtt_gossip_msg m;
	int rc;

	if (h->left)
		return DTT_ERR_STATE;
	if (id_eq(peer, h->self))
		return DTT_ERR_INVALID;
	if (dtt_hpv_is_active(h, peer) || dtt_hpv_is_pending(h, peer))
		return 0;
	if (!pending_add(h, peer, h->cfg->join_timeout_ms, DTT_GOSSIP_MSG_JOIN, 0))
		return DTT_ERR_FULL;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_JOIN;
	rc = send_msg(h, peer, &m);
	if (rc) {
		pending_remove(h, peer);
		return rc;
	}
	h->stats->joins_sent++;
	return 0;
}

void dtt_hpv_leave(struct dtt_hpv *h)
{
	if (h->left)
		return;
	h->left = true;
	dtt_timer_cancel(h->timers, &h->shuffle_timer);
	dtt_timer_cancel(h->timers, &h->pending_timer);
	dtt_timer_cancel(h->timers, &h->refill_timer);
	h->pending_count = 0;
	for (uint16_t i = 0; i < h->active_count; i++)
		send_disconnect(h, h->active[i].id, false);
	while (h->active_count) {
		uint8_t id[ID_BYTES];

		memcpy(id, h->active[--h->active_count].id, ID_BYTES);
		h->ops->disconnect(h->ctx, id);
	}
}

/* ---- lifetime ---- */

int dtt_hpv_init(struct dtt_hpv *h, const struct dtt_env *env, struct dtt_timers *timers,
		 const struct dtt_hpv_config *cfg, const uint8_t self[DTT_GOSSIP_PEER_BYTES],
		 const struct dtt_hpv_ops *ops, void *ctx, struct dtt_hpv_stats *stats)
{
	memset(h, 0, sizeof(*h));
	if (dtt_hpv_config_check(cfg))
		return DTT_ERR_INVALID;
	h->env = env;
	h->timers = timers;
	h->cfg = cfg;
	h->ops = ops;
	h->ctx = ctx;
	h->stats = stats;
	memcpy(h->self, self, ID_BYTES);
	h->active = dtt_alloc(sizeof(*h->active) * cfg->active_max);
	h->passive = dtt_alloc(sizeof(*h->passive) * (cfg->passive_max ? cfg->passive_max : 1));
	h->pending = dtt_alloc(sizeof(*h->pending) * cfg->pending_max);
	if (!h->active || !h->passive || !h->pending)
		goto err_free;
	dtt_timer_init(&h->shuffle_timer, shuffle_expired);
	dtt_timer_init(&h->pending_timer, pending_expired);
	dtt_timer_init(&h->refill_timer, refill_expired);
	dtt_timer_arm(timers, &h->shuffle_timer, now(h) + cfg->shuffle_interval_ms);
	refill_arm(h);
	return 0;

err_free:
	dtt_free(h->pending);
	dtt_free(h->passive);
	dtt_free(h->active);
	memset(h, 0, sizeof(*h));
	return DTT_ERR_NOMEM;
}

void dtt_hpv_deinit(struct dtt_hpv *h)
{
	if (!h->timers)
		return;
	dtt_timer_cancel(h->timers, &h->shuffle_timer);
	dtt_timer_cancel(h->timers, &h->pending_timer);
	dtt_timer_cancel(h->timers, &h->refill_timer);
	dtt_free(h->pending);
	dtt_free(h->passive);
	dtt_free(h->active);
	memset(h, 0, sizeof(*h));
}
