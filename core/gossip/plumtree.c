/* plumtree.c - PlumTree epidemic broadcast trees for one topic (spec/GOSSIP.md §6).
 *
 * Owns the eager/lazy neighbour table with its IHave queues, the received ids, the payload
 * cache and the missing (announced) ids. Borrows the env, timers, config, ops and stats.
 * Timers:
 *   dispatch_timer - dispatch_timeout_ms after the first queued IHave -> dispatch_expired
 *   graft_timer    - earliest deadline among the missing ids -> graft_expired
 */
#include "plumtree.h"

#include <string.h>

#include "alloc.h"
#include "crypto.h"
#include "err.h"

#define ID_BYTES   DTT_GOSSIP_PEER_BYTES
#define MID_BYTES  DTT_GOSSIP_MSGID_BYTES
#define RING_FIRST 16
#define MISSING_FIRST 2 /* most announced ids arrive soon: a missing list is short */

struct dtt_plumtree_peer {
	uint8_t id[ID_BYTES];
	bool eager;
	uint8_t queued;			/* IHave entries waiting for dispatch */
	struct dtt_gossip_ihave *queue; /* DTT_GOSSIP_MSG_IHAVE_MAX entries, allocated on use */
};

struct dtt_plumtree_seen {
	uint8_t id[MID_BYTES];
	uint64_t expires_ms;
};

struct dtt_plumtree_cached {
	uint8_t id[MID_BYTES];
	uint64_t expires_ms;
	uint16_t round; /* as we forward it */
	uint16_t len;
	uint8_t *content;
};

struct announcer {
	uint8_t peer[ID_BYTES];
	uint16_t round;
	uint8_t grafts; /* Grafts sent to it for this id */
};

struct dtt_plumtree_missing {
	uint8_t id[MID_BYTES];
	uint64_t deadline_ms; /* next Graft */
	uint8_t count;	      /* announcers, oldest first (the next to graft first) */
	struct announcer ann[DTT_PLUMTREE_ANNOUNCERS_MAX];
};

void dtt_plumtree_config_init(struct dtt_plumtree_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->graft_timeout_1_ms = DTT_PLUMTREE_GRAFT_TIMEOUT_1_MS;
	cfg->graft_timeout_2_ms = DTT_PLUMTREE_GRAFT_TIMEOUT_2_MS;
	cfg->dispatch_timeout_ms = DTT_PLUMTREE_DISPATCH_TIMEOUT_MS;
	cfg->optimization_threshold = DTT_PLUMTREE_OPTIMIZATION_THRESHOLD;
	cfg->cache_retention_ms = DTT_PLUMTREE_CACHE_RETENTION_MS;
	cfg->id_retention_ms = DTT_PLUMTREE_ID_RETENTION_MS;
	cfg->max_message_size = DTT_PLUMTREE_MESSAGE_SIZE_MAX;
	cfg->received_max = DTT_PLUMTREE_RECEIVED_MAX;
	cfg->cache_max = DTT_PLUMTREE_CACHE_MAX;
	cfg->missing_max = DTT_PLUMTREE_MISSING_MAX;
	cfg->graft_rounds = DTT_PLUMTREE_GRAFT_ROUNDS;
	cfg->graft_retry_ms = DTT_PLUMTREE_GRAFT_RETRY_MS;
	cfg->lossy_pm = DTT_PLUMTREE_LOSSY_PM;
	cfg->ihave_copies = DTT_PLUMTREE_IHAVE_COPIES;
}

int dtt_plumtree_config_check(const struct dtt_plumtree_config *cfg)
{
	if (!cfg->graft_timeout_1_ms || !cfg->graft_timeout_2_ms || !cfg->graft_rounds ||
	    !cfg->graft_retry_ms || !cfg->ihave_copies || cfg->ihave_copies > 4 ||
	    cfg->lossy_pm > 1000)
		return DTT_ERR_INVALID;
	if (cfg->max_message_size < DTT_PLUMTREE_MESSAGE_SIZE_MIN ||
	    cfg->max_message_size > DTT_GOSSIP_MSG_CONTENT_MAX)
		return DTT_ERR_INVALID;
	if (cfg->id_retention_ms < cfg->cache_retention_ms)
		return DTT_ERR_INVALID;
	if (cfg->received_max < 1 || cfg->missing_max < 1)
		return DTT_ERR_INVALID;
	if (cfg->received_max > (1u << 24) || cfg->cache_max > (1u << 20) ||
	    cfg->missing_max > (1u << 20))
		return DTT_ERR_INVALID;
	return 0;
}

/* ---- helpers ---- */

static uint64_t now(const struct dtt_plumtree *pt)
{
	return dtt_env_now_ms(pt->env);
}

static bool id_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, ID_BYTES) == 0;
}

static int find_peer(const struct dtt_plumtree *pt, const uint8_t *id)
{
	for (uint16_t i = 0; i < pt->peer_count; i++)
		if (id_eq(pt->peers[i].id, id))
			return i;
	return -1;
}

bool dtt_plumtree_is_neighbor(const struct dtt_plumtree *pt,
			      const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	return find_peer(pt, peer) >= 0;
}

int dtt_plumtree_is_eager(const struct dtt_plumtree *pt, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	int i = find_peer(pt, peer);

	return i < 0 ? -1 : pt->peers[i].eager;
}

static void send_simple(struct dtt_plumtree *pt, const uint8_t *peer, int type)
{
	struct dtt_gossip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = (uint8_t)type;
	pt->ops->send(pt->ctx, peer, &m);
}

static void send_graft(struct dtt_plumtree *pt, const uint8_t *peer, const uint8_t *id,
		       uint16_t round)
{
	struct dtt_gossip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GRAFT;
	m.graft.has_id = id != NULL;
	if (id)
		memcpy(m.graft.id, id, MID_BYTES);
	m.graft.round = round;
	pt->ops->send(pt->ctx, peer, &m);
	pt->stats->graft_sent++;
}

static void send_gossip(struct dtt_plumtree *pt, const uint8_t *peer, const uint8_t *id,
			const uint8_t *content, size_t len, int scope, uint16_t round)
{
	struct dtt_gossip_msg m;

	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_GOSSIP;
	memcpy(m.gossip.id, id, MID_BYTES);
	m.gossip.scope = (uint8_t)scope;
	m.gossip.round = round;
	m.gossip.total_len = (uint16_t)len;
	m.gossip.offset = 0;
	m.gossip.chunk_len = (uint16_t)len;
	m.gossip.chunk = content;
	pt->ops->send(pt->ctx, peer, &m);
	pt->stats->gossip_sent++;
}

/* ---- received ids and payload cache (rings, oldest first, expired lazily) ---- */

/* Doubles a ring of elem-sized entries (up to max), keeping its order. */
static bool ring_grow(void **ring, uint32_t *head, uint32_t count, uint32_t *cap, size_t elem,
		      uint32_t max)
{
	uint32_t ncap = *cap ? *cap * 2 : RING_FIRST;
	uint8_t *n;

	if (ncap > max)
		ncap = max;
	if (ncap <= *cap)
		return false;
	n = dtt_alloc(elem * ncap);
	if (!n)
		return false;
	for (uint32_t i = 0; i < count; i++)
		memcpy(n + (size_t)i * elem, (uint8_t *)*ring + (size_t)((*head + i) % *cap) * elem,
		       elem);
	dtt_free(*ring);
	*ring = n;
	*head = 0;
	*cap = ncap;
	return true;
}

static struct dtt_plumtree_seen *seen_at(const struct dtt_plumtree *pt, uint32_t i)
{
	return &pt->seen[(pt->seen_head + i) % pt->seen_cap];
}

static struct dtt_plumtree_cached *cache_at(const struct dtt_plumtree *pt, uint32_t i)
{
	return &pt->cache[(pt->cache_head + i) % pt->cache_cap];
}

static void seen_pop(struct dtt_plumtree *pt)
{
	pt->seen_head = (pt->seen_head + 1) % pt->seen_cap;
	pt->seen_count--;
}

static void cache_pop(struct dtt_plumtree *pt)
{
	dtt_free(cache_at(pt, 0)->content);
	pt->cache_head = (pt->cache_head + 1) % pt->cache_cap;
	pt->cache_count--;
}

static void expire(struct dtt_plumtree *pt)
{
	uint64_t at = now(pt);

	while (pt->seen_count && seen_at(pt, 0)->expires_ms <= at)
		seen_pop(pt);
	while (pt->cache_count && cache_at(pt, 0)->expires_ms <= at)
		cache_pop(pt);
}

static bool seen_has(const struct dtt_plumtree *pt, const uint8_t *id)
{
	for (uint32_t i = 0; i < pt->seen_count; i++)
		if (memcmp(seen_at(pt, i)->id, id, MID_BYTES) == 0)
			return true;
	return false;
}

bool dtt_plumtree_has_seen(struct dtt_plumtree *pt, const uint8_t id[DTT_GOSSIP_MSGID_BYTES])
{
	expire(pt);
	return seen_has(pt, id);
}

static void seen_add(struct dtt_plumtree *pt, const uint8_t *id)
{
	struct dtt_plumtree_seen *s;

	if (pt->seen_count == pt->seen_cap &&
	    !ring_grow((void **)&pt->seen, &pt->seen_head, pt->seen_count, &pt->seen_cap,
		       sizeof(*pt->seen), pt->cfg->received_max)) {
		if (!pt->seen_count)
			return; /* no memory at all: the id goes unremembered */
		seen_pop(pt);
		pt->stats->received_evicted++;
	}
	s = seen_at(pt, pt->seen_count++);
	memcpy(s->id, id, MID_BYTES);
	s->expires_ms = now(pt) + pt->cfg->id_retention_ms;
}

static int cache_add(struct dtt_plumtree *pt, const uint8_t *id, const uint8_t *content, size_t len,
		     uint16_t round)
{
	struct dtt_plumtree_cached *c;
	uint8_t *copy;

	if (!pt->cfg->cache_max || !pt->cfg->cache_retention_ms)
		return 0;
	copy = dtt_alloc(len ? len : 1);
	if (!copy)
		return DTT_ERR_NOMEM;
	if (len)
		memcpy(copy, content, len);
	if (pt->cache_count == pt->cache_cap &&
	    !ring_grow((void **)&pt->cache, &pt->cache_head, pt->cache_count, &pt->cache_cap,
		       sizeof(*pt->cache), pt->cfg->cache_max)) {
		if (!pt->cache_count) {
			dtt_free(copy);
			return DTT_ERR_NOMEM;
		}
		cache_pop(pt);
		pt->stats->cache_evicted++;
	}
	c = cache_at(pt, pt->cache_count++);
	memcpy(c->id, id, MID_BYTES);
	c->expires_ms = now(pt) + pt->cfg->cache_retention_ms;
	c->round = round;
	c->len = (uint16_t)len;
	c->content = copy;
	return 0;
}

static const struct dtt_plumtree_cached *cache_find(const struct dtt_plumtree *pt,
						    const uint8_t *id)
{
	for (uint32_t i = 0; i < pt->cache_count; i++)
		if (memcmp(cache_at(pt, i)->id, id, MID_BYTES) == 0)
			return cache_at(pt, i);
	return NULL;
}

/* ---- IHave queues ---- */

/* A neighbour whose link loses lossy_pm per mille of the datagrams or more gets every
 * announcement twice over: an IHave even when it is eager (its payload may be lost, and
 * then only an announcement lets it graft) and ihave_copies datagrams of each IHave. */
static bool lossy(const struct dtt_plumtree *pt, const uint8_t *peer)
{
	if (!pt->cfg->lossy_pm || !pt->ops->loss_pm)
		return false;
	return pt->ops->loss_pm(pt->ctx, peer) >= (int)pt->cfg->lossy_pm;
}

static void flush_peer(struct dtt_plumtree *pt, struct dtt_plumtree_peer *p)
{
	struct dtt_gossip_msg m;
	uint8_t copies;

	if (!p->queued)
		return;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_IHAVE;
	m.ihave.count = p->queued;
	memcpy(m.ihave.v, p->queue, sizeof(p->queue[0]) * p->queued);
	p->queued = 0;
	dtt_free(p->queue);
	p->queue = NULL;
	pt->ops->send(pt->ctx, p->id, &m);
	pt->stats->ihave_sent++;
	pt->stats->ihave_entries_sent += m.ihave.count;
	copies = lossy(pt, p->id) ? pt->cfg->ihave_copies : 1;
	for (uint8_t c = 1; c < copies; c++) {
		pt->ops->send(pt->ctx, p->id, &m);
		pt->stats->ihave_sent++;
	}
}

static void queue_ihave(struct dtt_plumtree *pt, struct dtt_plumtree_peer *p, const uint8_t *id,
			uint16_t round)
{
	if (!p->queue) {
		p->queue = dtt_alloc(sizeof(*p->queue) * DTT_GOSSIP_MSG_IHAVE_MAX);
		if (!p->queue)
			return; /* the peer can still graft after someone else's IHave */
	}
	memcpy(p->queue[p->queued].id, id, MID_BYTES);
	p->queue[p->queued].round = round;
	p->queued++;
	if (p->queued == DTT_GOSSIP_MSG_IHAVE_MAX) {
		flush_peer(pt, p); /* a full message goes at once */
		return;
	}
	if (!dtt_timer_is_armed(&pt->dispatch_timer))
		dtt_timer_arm(pt->timers, &pt->dispatch_timer,
			      now(pt) + pt->cfg->dispatch_timeout_ms);
}

static void dispatch_expired(struct dtt_timer *t)
{
	struct dtt_plumtree *pt = DTT_CONTAINER_OF(t, struct dtt_plumtree, dispatch_timer);

	for (uint16_t i = 0; i < pt->peer_count; i++)
		flush_peer(pt, &pt->peers[i]);
}

/* ---- missing ids and grafts ---- */

static int find_missing(const struct dtt_plumtree *pt, const uint8_t *id)
{
	for (uint32_t i = 0; i < pt->missing_count; i++)
		if (memcmp(pt->missing[i].id, id, MID_BYTES) == 0)
			return (int)i;
	return -1;
}

static void graft_rearm(struct dtt_plumtree *pt)
{
	uint64_t first = UINT64_MAX;

	for (uint32_t i = 0; i < pt->missing_count; i++)
		if (pt->missing[i].deadline_ms < first)
			first = pt->missing[i].deadline_ms;
	if (first == UINT64_MAX)
		dtt_timer_cancel(pt->timers, &pt->graft_timer);
	else if (!dtt_timer_is_armed(&pt->graft_timer) || pt->graft_timer.deadline_ms != first)
		dtt_timer_arm(pt->timers, &pt->graft_timer, first);
}

/* Removes missing[i], keeping the order of the others (a run must not depend on it anyway,
 * but a stable order keeps traces readable). */
static void missing_remove_at(struct dtt_plumtree *pt, uint32_t i)
{
	memmove(&pt->missing[i], &pt->missing[i + 1],
		sizeof(pt->missing[0]) * (pt->missing_count - i - 1));
	pt->missing_count--;
	if (pt->missing_count == 0) {
		/* ids go missing only around a broadcast: an idle member keeps no list (about
		 * 5 KB for the first 16 entries) */
		dtt_free(pt->missing);
		pt->missing = NULL;
		pt->missing_cap = 0;
	}
}

static struct dtt_plumtree_missing *missing_add(struct dtt_plumtree *pt, const uint8_t *id)
{
	struct dtt_plumtree_missing *m;

	if (pt->missing_count >= pt->cfg->missing_max)
		return NULL;
	if (pt->missing_count == pt->missing_cap) {
		uint32_t ncap = pt->missing_cap ? pt->missing_cap * 2 : MISSING_FIRST;
		struct dtt_plumtree_missing *n;

		if (ncap > pt->cfg->missing_max)
			ncap = pt->cfg->missing_max;
		n = dtt_realloc(pt->missing, sizeof(*n) * ncap);
		if (!n)
			return NULL;
		pt->missing = n;
		pt->missing_cap = ncap;
	}
	m = &pt->missing[pt->missing_count++];
	memset(m, 0, sizeof(*m));
	memcpy(m->id, id, MID_BYTES);
	m->deadline_ms = now(pt) + pt->cfg->graft_timeout_1_ms;
	return m;
}

static void graft_expired(struct dtt_timer *t)
{
	struct dtt_plumtree *pt = DTT_CONTAINER_OF(t, struct dtt_plumtree, graft_timer);
	uint64_t at = now(pt);

	expire(pt);
	for (uint32_t i = 0; i < pt->missing_count;) {
		struct dtt_plumtree_missing *m = &pt->missing[i];
		struct announcer a;
		int p;

		if (m->deadline_ms > at) {
			i++;
			continue;
		}
		if (!m->count || seen_has(pt, m->id)) {
			if (m->count == 0)
				pt->stats->graft_exhausted++;
			missing_remove_at(pt, i);
			continue;
		}
		/* the oldest announcer first; the next one if this Graft goes unanswered. An
		 * announcer with rounds left goes to the back for another try, after the others;
		 * the first round runs graft_timeout_2_ms apart, later ones graft_retry_ms. */
		a = m->ann[0];
		memmove(&m->ann[0], &m->ann[1], sizeof(m->ann[0]) * (m->count - 1));
		a.grafts++;
		if (a.grafts < pt->cfg->graft_rounds)
			m->ann[m->count - 1] = a;
		else
			m->count--;
		m->deadline_ms = at + (m->count && m->ann[0].grafts == 0 ? pt->cfg->graft_timeout_2_ms
									: pt->cfg->graft_retry_ms);
		p = find_peer(pt, a.peer);
		if (p >= 0) {
			pt->peers[p].eager = true;
			send_graft(pt, a.peer, m->id, a.round);
		}
		i++;
	}
	graft_rearm(pt);
}

static void on_ihave(struct dtt_plumtree *pt, const uint8_t *from, const struct dtt_gossip_msg *in)
{
	bool changed = false;

	pt->stats->ihave_received++;
	expire(pt);
	for (uint8_t k = 0; k < in->ihave.count; k++) {
		const struct dtt_gossip_ihave *e = &in->ihave.v[k];
		struct dtt_plumtree_missing *m;
		int i;
		bool dup = false;

		if (seen_has(pt, e->id))
			continue;
		i = find_missing(pt, e->id);
		if (i >= 0) {
			m = &pt->missing[i];
		} else {
			m = missing_add(pt, e->id);
			if (!m) {
				pt->stats->missing_full++;
				continue;
			}
			changed = true;
		}
		for (uint8_t j = 0; j < m->count; j++)
			if (id_eq(m->ann[j].peer, from))
				dup = true;
		if (dup || m->count >= DTT_PLUMTREE_ANNOUNCERS_MAX)
			continue;
		memcpy(m->ann[m->count].peer, from, ID_BYTES);
		m->ann[m->count].round = e->round;
		m->ann[m->count].grafts = 0;
		m->count++;
	}
	if (changed)
		graft_rearm(pt);
}

static void on_graft(struct dtt_plumtree *pt, int p, const struct dtt_gossip_msg *in)
{
	const struct dtt_plumtree_cached *c;

	pt->stats->graft_received++;
	pt->peers[p].eager = true;
	if (!in->graft.has_id)
		return;
	expire(pt);
	c = cache_find(pt, in->graft.id);
	if (!c) {
		pt->stats->graft_missed++;
		return;
	}
	send_gossip(pt, pt->peers[p].id, c->id, c->content, c->len, DTT_GOSSIP_SCOPE_SWARM,
		    c->round);
}

/* ---- payloads ---- */

/* A new payload arrived with round r from `from` after IHaves announced it: if an announcer
 * is closer to the origin by the threshold, make it our parent instead (§6.5). */
static void optimize(struct dtt_plumtree *pt, const uint8_t *from, uint16_t r,
		     const struct dtt_plumtree_missing *m)
{
	const struct announcer *best = NULL;
	int b, f;

	for (uint8_t j = 0; j < m->count; j++)
		if (!best || m->ann[j].round < best->round)
			best = &m->ann[j];
	if (!best || best->round >= r || r - best->round < pt->cfg->optimization_threshold)
		return;
	b = find_peer(pt, best->peer);
	f = find_peer(pt, from);
	if (b < 0 || f < 0 || b == f)
		return;
	pt->stats->optimizations++;
	if (!pt->peers[b].eager) {
		pt->peers[b].eager = true;
		send_graft(pt, best->peer, NULL, best->round);
	}
	pt->peers[f].eager = false;
	send_simple(pt, from, DTT_GOSSIP_MSG_PRUNE);
	pt->stats->prune_sent++;
}

static int on_gossip(struct dtt_plumtree *pt, const uint8_t *from, const struct dtt_gossip_msg *in)
{
	const uint8_t *content = in->gossip.chunk;
	size_t len = in->gossip.total_len;
	uint8_t hash[MID_BYTES];
	uint16_t r = in->gossip.round, fwd;
	int p, i;

	if (in->gossip.offset != 0 || in->gossip.chunk_len != in->gossip.total_len)
		return DTT_ERR_INVALID;
	if (len > pt->cfg->max_message_size)
		return DTT_ERR_TOOBIG;
	dtt_hash32(hash, content, len);
	if (memcmp(hash, in->gossip.id, MID_BYTES) != 0) {
		pt->stats->bad_id++;
		return DTT_ERR_AUTH;
	}
	pt->stats->gossip_received++;
	p = find_peer(pt, from);

	if (in->gossip.scope == DTT_GOSSIP_SCOPE_NEIGHBORS) {
		pt->stats->delivered++;
		pt->ops->deliver(pt->ctx, from, hash, content, len, DTT_GOSSIP_SCOPE_NEIGHBORS, 0);
		return 0;
	}

	expire(pt);
	if (seen_has(pt, hash)) {
		pt->stats->duplicates++;
		if (p >= 0) {
			pt->peers[p].eager = false;
			send_simple(pt, from, DTT_GOSSIP_MSG_PRUNE);
			pt->stats->prune_sent++;
		}
		return 0;
	}

	seen_add(pt, hash);
	fwd = r == UINT16_MAX ? r : (uint16_t)(r + 1);
	cache_add(pt, hash, content, len, fwd);
	for (uint16_t k = 0; k < pt->peer_count; k++) {
		struct dtt_plumtree_peer *q = &pt->peers[k];

		if (id_eq(q->id, from))
			continue;
		if (q->eager)
			send_gossip(pt, q->id, hash, content, len, DTT_GOSSIP_SCOPE_SWARM, fwd);
		if (!q->eager || lossy(pt, q->id))
			queue_ihave(pt, q, hash, fwd);
	}
	i = find_missing(pt, hash);
	if (i >= 0) {
		struct dtt_plumtree_missing m = pt->missing[i];

		missing_remove_at(pt, (uint32_t)i);
		graft_rearm(pt);
		optimize(pt, from, r, &m);
	}
	if (r > pt->stats->max_round)
		pt->stats->max_round = r;
	pt->stats->delivered++;
	pt->ops->deliver(pt->ctx, from, hash, content, len, DTT_GOSSIP_SCOPE_SWARM, r);
	return 0;
}

int dtt_plumtree_on_message(struct dtt_plumtree *pt, const uint8_t from[DTT_GOSSIP_PEER_BYTES],
			    const struct dtt_gossip_msg *m)
{
	int p;

	if (m->type == DTT_GOSSIP_MSG_GOSSIP)
		return on_gossip(pt, from, m);
	if (m->type != DTT_GOSSIP_MSG_IHAVE && m->type != DTT_GOSSIP_MSG_GRAFT &&
	    m->type != DTT_GOSSIP_MSG_PRUNE)
		return DTT_ERR_INVALID;
	p = find_peer(pt, from);
	if (p < 0)
		return DTT_ERR_STATE;
	switch (m->type) {
	case DTT_GOSSIP_MSG_IHAVE: on_ihave(pt, from, m); break;
	case DTT_GOSSIP_MSG_GRAFT: on_graft(pt, p, m); break;
	default:
		pt->stats->prune_received++;
		pt->peers[p].eager = false;
		break;
	}
	return 0;
}

int dtt_plumtree_broadcast(struct dtt_plumtree *pt, const uint8_t *content, size_t len, int scope,
			   uint8_t id_out[DTT_GOSSIP_MSGID_BYTES])
{
	uint8_t id[MID_BYTES];
	int rc = 0;

	if (len > pt->cfg->max_message_size)
		return DTT_ERR_TOOBIG;
	if ((scope != DTT_GOSSIP_SCOPE_SWARM && scope != DTT_GOSSIP_SCOPE_NEIGHBORS) ||
	    (len && !content))
		return DTT_ERR_INVALID;
	dtt_hash32(id, content, len);
	if (id_out)
		memcpy(id_out, id, MID_BYTES);
	pt->stats->broadcasts++;
	if (scope == DTT_GOSSIP_SCOPE_NEIGHBORS) {
		for (uint16_t k = 0; k < pt->peer_count; k++)
			send_gossip(pt, pt->peers[k].id, id, content, len, scope, 0);
		return 0;
	}
	expire(pt);
	if (!seen_has(pt, id))
		seen_add(pt, id);
	if (!cache_find(pt, id))
		rc = cache_add(pt, id, content, len, 0);
	for (uint16_t k = 0; k < pt->peer_count; k++) {
		struct dtt_plumtree_peer *q = &pt->peers[k];

		/* The eager neighbours get the payload and an IHave too: if every first copy of
		 * a broadcast is lost, nobody else could announce it. */
		if (q->eager)
			send_gossip(pt, q->id, id, content, len, DTT_GOSSIP_SCOPE_SWARM, 0);
		queue_ihave(pt, q, id, 0);
	}
	return rc;
}

/* ---- membership ---- */

void dtt_plumtree_neighbor_up(struct dtt_plumtree *pt, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	int i = find_peer(pt, peer);
	uint16_t at = 0;

	if (i >= 0) {
		pt->peers[i].eager = true;
		return;
	}
	if (pt->peer_count >= pt->peers_max)
		return; /* HyParView never exceeds its active view; nothing to do if it did */
	while (at < pt->peer_count && memcmp(pt->peers[at].id, peer, ID_BYTES) < 0)
		at++;
	memmove(&pt->peers[at + 1], &pt->peers[at], sizeof(pt->peers[0]) * (pt->peer_count - at));
	memset(&pt->peers[at], 0, sizeof(pt->peers[0]));
	memcpy(pt->peers[at].id, peer, ID_BYTES);
	pt->peers[at].eager = true;
	pt->peer_count++;
}

void dtt_plumtree_neighbor_down(struct dtt_plumtree *pt, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	int i = find_peer(pt, peer);

	if (i < 0)
		return;
	dtt_free(pt->peers[i].queue);
	memmove(&pt->peers[i], &pt->peers[i + 1],
		sizeof(pt->peers[0]) * (size_t)(pt->peer_count - i - 1));
	pt->peer_count--;
	/* its announcements cannot be grafted any more */
	for (uint32_t k = 0; k < pt->missing_count; k++) {
		struct dtt_plumtree_missing *m = &pt->missing[k];

		for (uint8_t j = 0; j < m->count;) {
			if (id_eq(m->ann[j].peer, peer)) {
				memmove(&m->ann[j], &m->ann[j + 1],
					sizeof(m->ann[0]) * (size_t)(m->count - j - 1));
				m->count--;
			} else {
				j++;
			}
		}
	}
}

/* ---- lifetime ---- */

int dtt_plumtree_init(struct dtt_plumtree *pt, const struct dtt_env *env, struct dtt_timers *timers,
		      const struct dtt_plumtree_config *cfg, uint16_t peers_max,
		      const struct dtt_plumtree_ops *ops, void *ctx,
		      struct dtt_plumtree_stats *stats)
{
	memset(pt, 0, sizeof(*pt));
	if (dtt_plumtree_config_check(cfg) || peers_max < 1)
		return DTT_ERR_INVALID;
	pt->env = env;
	pt->timers = timers;
	pt->cfg = cfg;
	pt->ops = ops;
	pt->ctx = ctx;
	pt->stats = stats;
	pt->peers_max = peers_max;
	pt->peers = dtt_alloc(sizeof(*pt->peers) * peers_max);
	if (!pt->peers)
		return DTT_ERR_NOMEM;
	dtt_timer_init(&pt->dispatch_timer, dispatch_expired);
	dtt_timer_init(&pt->graft_timer, graft_expired);
	return 0;
}

void dtt_plumtree_deinit(struct dtt_plumtree *pt)
{
	if (!pt->timers)
		return;
	dtt_timer_cancel(pt->timers, &pt->dispatch_timer);
	dtt_timer_cancel(pt->timers, &pt->graft_timer);
	for (uint16_t i = 0; i < pt->peer_count; i++)
		dtt_free(pt->peers[i].queue);
	while (pt->cache_count)
		cache_pop(pt);
	dtt_free(pt->cache);
	dtt_free(pt->seen);
	dtt_free(pt->missing);
	dtt_free(pt->peers);
	memset(pt, 0, sizeof(*pt));
}
