/* members.c - topic members in the simulator (SCENARIOS.md, spec/GOSSIP.md §11): real dtt
 * nodes that join a gossip topic through the topic tracker (records in the mainline DHT,
 * spec/PROTOCOL.md §7) or from known peers, broadcast traffic over HyParView/PlumTree, and the
 * metrics of the overlay (joined fraction, components of the active-view graph, degrees), of
 * the tracker (publishes, merges, DHT load) and of every broadcast (delivered, missed, RMR,
 * LDH, latency).
 *
 * Broadcasts: every traffic tick opens a round (one broadcast per sender) and closes the
 * previous one, so each broadcast has `every` to spread. A payload carries a tag (magic, topic,
 * counter) that maps each delivery to its broadcast. RMR = m / delivered - 1, with m the
 * payload (Gossip) messages the topic's members received during the round and delivered the
 * members other than the sender that got the message: the papers' m / (n - 1) - 1 with n
 * counting the sender. A round with several senders shares one m, so each of its broadcasts
 * gets the round's RMR (m over all its deliveries). Its cost: the PlumTree messages (payload
 * datagrams, one per fragment, and IHave, Graft and Prune) the members sent during the round,
 * shared evenly by its broadcasts. LDH = the largest hop count (round + 1)
 * at which a member first received it. Missed = members alive at the close, up since before
 * the broadcast, in the sender's component of the active-view graph when it was sent, that
 * never got it.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "dht.h"
#include "dtt.h"
#include "engine_priv.h"
#include "err.h"
#include "results.h"

#define TAG_MAGIC     "DTSB"
#define TAG_BYTES     14 /* magic, topic (LE16), counter (LE64) */
#define NEIGHBORS_MAX DTT_TOPIC_NEIGHBORS_MAX
#define PICK_TRIES    32
#define DHT_RETRIES   8 /* DHT bootstraps a member tries before it stops retrying */
#define LABEL_DOWN    UINT32_MAX

struct member {
	struct dtt_sim *sim;
	uint32_t node;	  /* simulator index */
	uint32_t ordinal; /* within the topic */
	uint16_t topic;
	bool has_id;
	bool subscribed; /* bootstrap dht: dtt_subscribe_and_join done (this incarnation) */
	uint8_t dht_tries;
	uint8_t id[DTT_PEER_ID_BYTES];
	struct dtt_topic *handle; /* bootstrap dht: the topic of dtt.h; NULL otherwise */
	uint64_t start_us;	  /* this incarnation */
	int64_t joined_ms;	  /* time to the first neighbour (this incarnation), -1: none */
};

struct bcast {
	uint32_t sender; /* ordinal */
	uint32_t delivered;
	uint16_t ldh;
	uint64_t *got; /* bitmap over the topic's ordinals */
	double *lat;   /* ms from the broadcast to each first delivery */
	size_t lat_n, lat_cap;
};

/* The topic's PlumTree counters so far, stopped incarnations included: payload messages its
 * members received (rx) and PlumTree messages they sent (tx); and its members alive now. */
struct tree_totals {
	uint64_t rx, tx;
	uint32_t alive;
};

struct round {
	bool open;
	uint64_t t_us;
	struct tree_totals start; /* the topic's counters when the round opened */
	uint32_t *label; /* per ordinal: component at the start; LABEL_DOWN: not alive */
	uint64_t first;	 /* counter of b[0] */
	struct bcast *b;
	size_t n, cap;
};

struct counters {
	uint64_t published, skipped, failed, bubble, overlap, gets, puts, broadcasts;
	uint64_t nb_changes; /* neighbor_up and neighbor_down events */
};

struct simtopic {
	const struct dtt_scenario_topic *sc;
	struct dtt_topic_id tid;
	struct dtt_tracker_config cfg;
	struct dtt_tracker_config mix_cfg; /* topics[].mix: the other strategy */
	uint32_t mbase; /* index of its first member in dtt_sim.members */
	uint32_t count;
	struct dtt_rng rng; /* contacts for bootstrap peers, traffic senders */
	struct counters iv, tot;
	uint64_t retired_rx; /* payload messages received by incarnations that stopped */
	uint64_t retired_tx; /* PlumTree messages sent by incarnations that stopped */
	uint64_t retired_hs, retired_hs_done; /* link handshakes of stopped incarnations */
	uint64_t hs_last;		      /* handshakes started at the last sample */
	uint64_t rounds, next_counter;
	struct round round;
	uint32_t *uf, *ufsize; /* union-find over ordinals */
	struct series ts[TM__COUNT];
	char names[TM__COUNT][DTT_SCENARIO_METRIC_MAX];
	double *joinlat;
	size_t joinlat_n, joinlat_cap;
	bool heal_pending;
	uint64_t heal_us;
	double time_to_heal_ms;
	uint32_t last_alive, last_joined, last_components;
	uint64_t b_count, b_delivered, b_missed, b_late, b_skipped, b_unsettled;
	double rmr_sum, ldh_sum, p50_sum, p99_max;
	double tx_sum, tx_member_sum; /* PlumTree messages per broadcast, and per member */
	uint64_t rmr_n, ldh_n, p50_n;
	uint32_t ldh_max;
};

struct comps {
	uint32_t alive, joined, components, largest;
	uint32_t groups; /* components of two members or more */
	uint32_t deg_min, deg_max;
	uint64_t deg_sum;
};

/* --- small helpers --- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static struct simnode *mnode(struct dtt_sim *s, const struct member *m)
{
	return &s->nodes[m->node];
}

static bool m_alive(const struct dtt_sim *s, const struct member *m)
{
	return s->nodes[m->node].state == NS_UP;
}

static struct member *tmember(struct dtt_sim *s, const struct simtopic *t, uint32_t ordinal)
{
	return &s->members[t->mbase + ordinal];
}

static void topic_emit(struct dtt_sim *s, struct simtopic *t, enum topic_metric k, uint64_t t_ms,
		       double v, double w)
{
	if (sim_series_add(&t->ts[k], t_ms, v, w))
		sim_fatal(s, DTT_ERR_NOMEM, "metric series");
	if (s->res)
		dtt_results_sample(s->res, t_ms, -1, t->names[k], v);
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	np = dtt_realloc(*p, c * size);
	if (!np)
		return DTT_ERR_NOMEM;
	*p = np;
	*cap = c;
	return 0;
}

/* --- peer id -> member --- */

static size_t id_slot(const struct dtt_sim *s, const uint8_t *id)
{
	return (size_t)sim_mix64(le64(id)) & s->idmap_mask;
}

static void idmap_insert(struct dtt_sim *s, uint32_t mi)
{
	size_t i = id_slot(s, s->members[mi].id);

	while (s->idmap[i])
		i = (i + 1) & s->idmap_mask;
	s->idmap[i] = mi + 1;
}

static int64_t idmap_find(const struct dtt_sim *s, const uint8_t *id)
{
	size_t i = id_slot(s, id);

	while (s->idmap[i]) {
		uint32_t mi = s->idmap[i] - 1;

		if (!memcmp(s->members[mi].id, id, DTT_PEER_ID_BYTES))
			return mi;
		i = (i + 1) & s->idmap_mask;
	}
	return -1;
}

static int64_t peer_index(const struct dtt_sim *s, const uint8_t *id)
{
	int64_t mi = id ? idmap_find(s, id) : -1;

	return mi < 0 ? -1 : (int64_t)s->members[mi].node;
}

/* --- the overlay graph --- */

static uint32_t uf_find(uint32_t *p, uint32_t x)
{
	while (p[x] != x) {
		p[x] = p[p[x]];
		x = p[x];
	}
	return x;
}

static void uf_union(uint32_t *p, uint32_t *size, uint32_t a, uint32_t b)
{
	a = uf_find(p, a);
	b = uf_find(p, b);
	if (a == b)
		return;
	if (size[a] < size[b] || (size[a] == size[b] && a > b)) {
		uint32_t x = a;

		a = b;
		b = x;
	}
	p[b] = a;
	size[a] += size[b];
}

/* Components of the undirected graph of active views among the topic's alive members (an edge
 * when either end lists the other), degrees and the joined count. labels (may be NULL) gets
 * each ordinal's component root, LABEL_DOWN when not alive. */
static void components(struct dtt_sim *s, struct simtopic *t, uint32_t *labels, struct comps *c)
{
	uint8_t nb[NEIGHBORS_MAX][DTT_PEER_ID_BYTES];

	memset(c, 0, sizeof(*c));
	c->deg_min = UINT32_MAX;
	for (uint32_t o = 0; o < t->count; o++) {
		t->uf[o] = m_alive(s, tmember(s, t, o)) ? o : LABEL_DOWN;
		t->ufsize[o] = 1;
	}
	for (uint32_t o = 0; o < t->count; o++) {
		struct member *m = tmember(s, t, o);
		size_t n;

		if (t->uf[o] == LABEL_DOWN)
			continue;
		c->alive++;
		n = m->handle ? dtt_topic_neighbors(m->handle, nb, NEIGHBORS_MAX) : 0;
		c->deg_sum += n;
		if (n < c->deg_min)
			c->deg_min = (uint32_t)n;
		if (n > c->deg_max)
			c->deg_max = (uint32_t)n;
		if (n)
			c->joined++;
		for (size_t i = 0; i < n; i++) {
			int64_t mi = idmap_find(s, nb[i]);
			const struct member *p;

			if (mi < 0)
				continue;
			p = &s->members[mi];
			if (p->topic != m->topic || t->uf[p->ordinal] == LABEL_DOWN)
				continue;
			uf_union(t->uf, t->ufsize, o, p->ordinal);
		}
	}
	for (uint32_t o = 0; o < t->count; o++) {
		uint32_t r;

		if (t->uf[o] == LABEL_DOWN) {
			if (labels)
				labels[o] = LABEL_DOWN;
			continue;
		}
		r = uf_find(t->uf, o);
		if (r == o) {
			c->components++;
			if (t->ufsize[o] >= 2)
				c->groups++;
			if (t->ufsize[o] > c->largest)
				c->largest = t->ufsize[o];
		}
		if (labels)
			labels[o] = r;
	}
	if (!c->alive)
		c->deg_min = 0;
}

/* Payload messages received by the topic's members so far (stopped incarnations included). */
/* PlumTree messages a node has sent: payload datagrams (one per fragment), IHave, Graft, Prune.
 * A simulated node is a member of one topic, so its node-wide counters are that topic's. */
static uint64_t tree_sent(const struct dtt_gossip_stats *st)
{
	return st->data_out + st->plumtree.ihave_sent + st->plumtree.graft_sent +
	       st->plumtree.prune_sent;
}

static struct tree_totals tree_totals(struct dtt_sim *s, const struct simtopic *t)
{
	struct tree_totals tt = {t->retired_rx, t->retired_tx, 0};

	for (uint32_t o = 0; o < t->count; o++) {
		struct member *m = tmember(s, t, o);
		struct dtt_counters c;

		if (!m_alive(s, m))
			continue;
		dtt_node_counters(mnode(s, m)->node, &c);
		tt.rx += c.gossip.plumtree.gossip_received;
		tt.tx += tree_sent(&c.gossip);
		tt.alive++;
	}
	return tt;
}

/* --- member callbacks (both bootstrap modes end here) --- */

static void on_joined(struct member *m)
{
	struct dtt_sim *s = m->sim;
	struct simtopic *t = &s->topics[m->topic];
	double ms;

	if (s->closing || m->joined_ms >= 0)
		return;
	m->joined_ms = (int64_t)((s->now_us - m->start_us) / 1000);
	ms = (double)(s->now_us - m->start_us) / 1000.0;
	if (grow((void **)&t->joinlat, &t->joinlat_cap, t->joinlat_n + 1, sizeof(double))) {
		sim_fatal(s, DTT_ERR_NOMEM, "join latencies");
		return;
	}
	t->joinlat[t->joinlat_n++] = ms;
	sim_event_row(s, m->node, "joined", -1, m->joined_ms, NULL);
}

static void on_neighbor(struct member *m, const uint8_t *peer, bool up, int reason)
{
	struct dtt_sim *s = m->sim;

	if (s->closing)
		return;
	s->topics[m->topic].iv.nb_changes++;
	if (up)
		sim_event_row(s, m->node, "neighbor_up", peer_index(s, peer), -1, NULL);
	else
		sim_event_row(s, m->node, "neighbor_down", peer_index(s, peer), reason,
			      dtt_neighbor_down_name(reason));
}

static void on_message(struct member *m, const uint8_t *content, size_t len, unsigned round)
{
	struct dtt_sim *s = m->sim;
	struct simtopic *t = &s->topics[m->topic];
	struct round *r = &t->round;
	struct bcast *b;
	uint64_t counter;
	uint16_t hop;

	if (s->closing || len < TAG_BYTES || memcmp(content, TAG_MAGIC, 4) ||
	    (uint16_t)(content[4] | content[5] << 8) != m->topic)
		return;
	counter = le64(content + 6);
	if (!r->open || counter < r->first || counter - r->first >= r->n) {
		t->b_late++;
		return;
	}
	b = &r->b[counter - r->first];
	if (b->got[m->ordinal / 64] & (1ull << (m->ordinal % 64)))
		return; /* again, after a rejoin */
	b->got[m->ordinal / 64] |= 1ull << (m->ordinal % 64);
	b->delivered++;
	hop = (uint16_t)(round + 1 > UINT16_MAX ? UINT16_MAX : round + 1);
	if (hop > b->ldh)
		b->ldh = hop;
	if (grow((void **)&b->lat, &b->lat_cap, b->lat_n + 1, sizeof(double))) {
		sim_fatal(s, DTT_ERR_NOMEM, "broadcast latencies");
		return;
	}
	b->lat[b->lat_n++] = (double)(s->now_us - r->t_us) / 1000.0;
}

static void cb_joined(void *ctx)
{
	on_joined(ctx);
}

static void cb_up(void *ctx, const uint8_t *peer)
{
	on_neighbor(ctx, peer, true, 0);
}

static void cb_down(void *ctx, const uint8_t *peer, int reason)
{
	on_neighbor(ctx, peer, false, reason);
}

static void cb_message(void *ctx, const uint8_t *content, size_t len, const uint8_t *from,
		       unsigned round)
{
	(void)from;
	on_message(ctx, content, len, round);
}

static void cb_tracker(void *ctx, enum dtt_tracker_event ev, long arg)
{
	struct member *m = ctx;
	struct dtt_sim *s = m->sim;
	struct counters *c = &s->topics[m->topic].iv;
	const char *kind = NULL;

	if (s->closing)
		return;
	switch (ev) {
	case DTT_TRACKER_EV_JOINED: kind = "bootstrap_done"; break;
	case DTT_TRACKER_EV_PUBLISHED:
		c->published++;
		kind = "publish";
		break;
	case DTT_TRACKER_EV_PUBLISH_SKIPPED:
		c->skipped++;
		kind = "publish_skipped";
		break;
	case DTT_TRACKER_EV_PUBLISH_FAILED:
		c->failed++;
		kind = "publish_failed";
		break;
	case DTT_TRACKER_EV_MERGE_BUBBLE:
		c->bubble++;
		kind = "merge_bubble";
		break;
	case DTT_TRACKER_EV_MERGE_OVERLAP:
		c->overlap++;
		kind = "merge_overlap";
		break;
	case DTT_TRACKER_EV_DHT_GET: c->gets++; break;
	case DTT_TRACKER_EV_DHT_PUT: c->puts++; break;
	}
	if (kind)
		sim_event_row(s, m->node, kind, -1, arg, NULL);
}

static const struct dtt_topic_callbacks member_callbacks = {
    .joined = cb_joined,
    .neighbor_up = cb_up,
    .neighbor_down = cb_down,
    .message = cb_message,
    .tracker = cb_tracker,
};

/* --- joining --- */

static void subscribe(struct dtt_sim *s, struct member *m)
{
	struct simtopic *t = &s->topics[m->topic];
	double f = t->sc->mix_fraction;
	bool mix = floor((m->ordinal + 1) * f) > floor(m->ordinal * f);
	struct dtt_record_publisher pub = {
	    .topic = t->tid,
	    .secret = t->sc->secret,
	    .secret_len = t->sc->secret_len,
	    .config = mix ? &t->mix_cfg : &t->cfg,
	};
	int err;

	m->subscribed = true;
	err = dtt_subscribe_and_join(mnode(s, m)->node, &pub, &member_callbacks, m, &m->handle);
	if (err) {
		m->handle = NULL;
		sim_event_row(s, m->node, "subscribe_failed", -1, err, dtt_strerror(err));
	}
}

static void dht_bootstrap(struct dtt_sim *s, struct member *m);

static void dht_done(void *ctx, int status, size_t nodes)
{
	struct member *m = ctx;
	struct dtt_sim *s = m->sim;

	if (s->closing || status == DTT_ERR_CANCELED)
		return;
	sim_event_row(s, m->node, status ? "dht_join_failed" : "dht_joined", -1, (int64_t)nodes,
		      status ? dtt_strerror(status) : NULL);
	/* The topic starts once the DHT is reachable, or after a first failure (the tracker
	 * retries its reads); the DHT bootstrap itself is retried a few times. */
	if (!m->subscribed)
		subscribe(s, m);
	if (status && m->dht_tries < DHT_RETRIES)
		dht_bootstrap(s, m);
}

static void dht_bootstrap(struct dtt_sim *s, struct member *m)
{
	struct dtt_addr boot[DTT_DHT_BOOTSTRAP_MAX];
	size_t n = 0;
	int err = DTT_ERR_INVALID;

	m->dht_tries++;
	for (size_t i = 0; i < s->boot_n && n < DTT_DHT_BOOTSTRAP_MAX; i++)
		boot[n++] = s->boot[i];
	if (n)
		err = dtt_dht_bootstrap(dtt_node_dht(mnode(s, m)->node), boot, n, dht_done, m);
	if (err) {
		sim_event_row(s, m->node, "dht_join_failed", -1, 0, dtt_strerror(err));
		if (!m->subscribed)
			subscribe(s, m);
	}
}

static bool eligible(struct dtt_sim *s, const struct member *self, const struct member *c,
		     const struct dtt_peer *chosen, size_t n)
{
	if (c == self || !m_alive(s, c) || !c->has_id)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!memcmp(chosen[i].id, c->id, DTT_PEER_ID_BYTES))
			return false;
	return true;
}

/* Bootstrap peers: ask 1..peers members that are up (they started earlier) to admit us. */
static void peers_join(struct dtt_sim *s, struct simtopic *t, struct member *m)
{
	struct dtt_peer peers[DTT_SCENARIO_PEERS_MAX];
	size_t want = 1 + (size_t)dtt_rng_uniform(&t->rng, t->sc->peers), n = 0;
	int err;

	for (size_t i = 0; i < PICK_TRIES * want && n < want; i++) {
		struct member *c = tmember(s, t, (uint32_t)dtt_rng_uniform(&t->rng, t->count));

		if (eligible(s, m, c, peers, n)) {
			memcpy(peers[n].id, c->id, DTT_PEER_ID_BYTES);
			peers[n].has_addr = true;
			sim_node_addr(c->node, &peers[n].addr);
			n++;
		}
	}
	if (n < want) { /* few members up: take them in order from a random start */
		uint32_t start = (uint32_t)dtt_rng_uniform(&t->rng, t->count);

		for (uint32_t i = 0; i < t->count && n < want; i++) {
			struct member *c = tmember(s, t, (start + i) % t->count);

			if (eligible(s, m, c, peers, n)) {
				memcpy(peers[n].id, c->id, DTT_PEER_ID_BYTES);
				peers[n].has_addr = true;
				sim_node_addr(c->node, &peers[n].addr);
				n++;
			}
		}
	}
	/* a member that accepts joins, asking its peers to admit it (none: it waits) */
	err = dtt_subscribe(mnode(s, m)->node, &t->tid, &member_callbacks, m, &m->handle);
	if (err)
		m->handle = NULL;
	else
		err = dtt_topic_join_peers(m->handle, peers, n);
	if (err)
		sim_event_row(s, m->node, "join_failed", -1, err, dtt_strerror(err));
}

void sim_member_started(struct dtt_sim *s, struct simnode *sn)
{
	struct member *m = &s->members[sn->member];
	struct simtopic *t = &s->topics[m->topic];
	/* no announce: like dtt-node join on a wildcard address, the member publishes the
	 * address its DHT replies vote (BEP 42 `ip`, core/dht/addr_vote.h) */
	if (!m->has_id) { /* the same identity comes back on every rejoin */
		memcpy(m->id, dtt_node_id(sn->node), DTT_PEER_ID_BYTES);
		m->has_id = true;
		idmap_insert(s, (uint32_t)sn->member);
	}
	m->start_us = s->now_us;
	m->joined_ms = -1;
	m->handle = NULL;
	m->subscribed = false;
	m->dht_tries = 0;
	if (t->sc->bootstrap == DTT_BOOTSTRAP_PEERS) {
		peers_join(s, t, m);
	} else {
		dht_bootstrap(s, m);
	}
}

void sim_member_stopping(struct dtt_sim *s, struct simnode *sn, bool graceful)
{
	struct member *m = &s->members[sn->member];
	struct simtopic *t = &s->topics[m->topic];
	struct dtt_counters c;

	if (graceful && m->handle) /* Disconnect(alive = false) to every neighbour */
		dtt_topic_leave(m->handle);
	dtt_node_counters(sn->node, &c);
	t->retired_rx += c.gossip.plumtree.gossip_received;
	t->retired_tx += tree_sent(&c.gossip);
	t->retired_hs += c.links.handshakes_started;
	t->retired_hs_done += c.links.handshakes_completed;
	m->handle = NULL;
	m->subscribed = false;
}

/* --- broadcast rounds --- */

static int round_reserve(struct dtt_sim *s, struct simtopic *t, size_t n)
{
	struct round *r = &t->round;
	size_t words = (t->count + 63) / 64, old = r->cap;

	(void)s;
	if (grow((void **)&r->b, &r->cap, n, sizeof(*r->b)))
		return DTT_ERR_NOMEM;
	for (size_t i = old; i < r->cap; i++) {
		memset(&r->b[i], 0, sizeof(r->b[i]));
		r->b[i].got = dtt_alloc(words * sizeof(uint64_t));
		if (!r->b[i].got)
			return DTT_ERR_NOMEM;
	}
	return 0;
}

static void close_round(struct dtt_sim *s, struct simtopic *t)
{
	struct round *r = &t->round;
	uint64_t m_msgs, total = 0;
	uint64_t t_ms = r->t_us / 1000;
	struct tree_totals now;
	double rmr, tx;

	if (!r->open)
		return;
	r->open = false;
	now = tree_totals(s, t);
	m_msgs = now.rx - r->start.rx;
	tx = (double)(now.tx - r->start.tx) / (double)r->n;
	for (size_t i = 0; i < r->n; i++)
		total += r->b[i].delivered;
	rmr = total ? (double)m_msgs / (double)total - 1.0 : NAN;
	for (size_t i = 0; i < r->n; i++) {
		struct bcast *b = &r->b[i];
		uint32_t lab = r->label[b->sender], missed = 0;
		double p50 = NAN, p99 = NAN, last = NAN, ratio;

		for (uint32_t o = 0; o < t->count && lab != LABEL_DOWN; o++) {
			const struct member *mm = tmember(s, t, o);

			if (o == b->sender || r->label[o] != lab || !m_alive(s, mm) ||
			    mnode(s, mm)->up_us > r->t_us)
				continue;
			if (!(b->got[o / 64] & (1ull << (o % 64))))
				missed++;
		}
		if (b->lat_n) {
			p50 = sim_percentile(b->lat, b->lat_n, 0.50);
			p99 = sim_percentile(b->lat, b->lat_n, 0.99);
			last = b->lat[b->lat_n - 1]; /* sorted */
		}
		ratio = b->delivered + missed
			    ? (double)b->delivered / (double)(b->delivered + missed)
			    : NAN;
		topic_emit(s, t, TM_DELIVERED, t_ms, b->delivered, 1);
		topic_emit(s, t, TM_MISSED, t_ms, missed, 1);
		if (!isnan(ratio))
			topic_emit(s, t, TM_RATIO, t_ms, ratio, (double)(b->delivered + missed));
		if (!isnan(rmr))
			topic_emit(s, t, TM_RMR, t_ms, rmr, 1);
		if (b->delivered)
			topic_emit(s, t, TM_LDH, t_ms, b->ldh, 1);
		if (b->lat_n) {
			topic_emit(s, t, TM_P50, t_ms, p50, (double)b->lat_n);
			topic_emit(s, t, TM_P99, t_ms, p99, (double)b->lat_n);
		}
		if (s->res && !s->closing) {
			struct dtt_results_message row = {
			    .t_ms = t_ms,
			    .kind = "broadcast",
			    .node = tmember(s, t, b->sender)->node,
			    .outcome = missed	      ? "missed"
				       : b->delivered ? "ok"
						      : "none",
			    .latency_ms = last,
			    .delivered = b->delivered,
			    .missed = missed,
			    .datagrams = llround(tx),
			    .rmr = rmr,
			    .ldh = b->delivered ? (double)b->ldh : NAN,
			    .p50_ms = p50,
			    .p99_ms = p99,
			};

			dtt_results_message(s->res, &row);
		}
		t->b_count++;
		t->tx_sum += tx;
		if (now.alive)
			t->tx_member_sum += tx / now.alive;
		t->b_delivered += b->delivered;
		t->b_missed += missed;
		if (!isnan(rmr)) {
			t->rmr_sum += rmr;
			t->rmr_n++;
		}
		if (b->delivered) {
			t->ldh_sum += b->ldh;
			t->ldh_n++;
			if (b->ldh > t->ldh_max)
				t->ldh_max = b->ldh;
		}
		if (b->lat_n) {
			t->p50_sum += p50;
			t->p50_n++;
			if (!(p99 <= t->p99_max))
				t->p99_max = p99;
		}
	}
	r->n = 0;
}

/* A tag and filler bytes that make each payload (and so its message id) unique. */
static void make_payload(uint8_t *p, size_t size, uint16_t topic, uint64_t counter)
{
	memcpy(p, TAG_MAGIC, 4);
	p[4] = (uint8_t)topic;
	p[5] = (uint8_t)(topic >> 8);
	for (int i = 0; i < 8; i++)
		p[6 + i] = (uint8_t)(counter >> (8 * i));
	for (size_t j = TAG_BYTES; j < size; j++)
		p[j] = (uint8_t)sim_mix64(counter << 16 ^ (uint64_t)topic << 56 ^ j);
}

static bool can_send(struct dtt_sim *s, struct simtopic *t, uint32_t o)
{
	struct member *m = tmember(s, t, o);

	return m_alive(s, m) && m->handle && dtt_topic_is_joined(m->handle);
}

static int add_sender(struct dtt_sim *s, struct simtopic *t, uint32_t o)
{
	struct round *r = &t->round;
	struct bcast *b;

	if (round_reserve(s, t, r->n + 1))
		return DTT_ERR_NOMEM;
	b = &r->b[r->n++];
	b->sender = o;
	b->delivered = 0;
	b->ldh = 0;
	b->lat_n = 0;
	memset(b->got, 0, (t->count + 63) / 64 * sizeof(uint64_t));
	return 0;
}

void sim_members_on_traffic(struct dtt_sim *s, uint32_t ti)
{
	struct simtopic *t = &s->topics[ti];
	const struct dtt_scenario_topic *sc = t->sc;
	uint64_t every = sim_ms_to_us(sc->traffic.every_ms);
	struct round *r = &t->round;
	uint8_t payload[DTT_SCENARIO_PAYLOAD_MAX];
	struct comps c;

	close_round(s, t);
	t->rounds++;
	/* the next round, if it still has a whole interval to spread before the end */
	if ((!sc->traffic.count || t->rounds < sc->traffic.count) &&
	    s->now_us + 2 * every <= s->end_us)
		sim_push(s, s->now_us + every, TAG(EV_TRAFFIC, ti), 0);
	r->n = 0;
	switch (sc->traffic.senders) {
	case DTT_SENDERS_SINGLE:
		for (uint32_t o = 0; o < t->count; o++) {
			if (can_send(s, t, o)) {
				if (add_sender(s, t, o))
					goto nomem;
				break;
			}
		}
		break;
	case DTT_SENDERS_RANDOM: {
		uint32_t o = UINT32_MAX, start;

		for (int i = 0; i < PICK_TRIES && o == UINT32_MAX; i++) {
			uint32_t c2 = (uint32_t)dtt_rng_uniform(&t->rng, t->count);

			if (can_send(s, t, c2))
				o = c2;
		}
		start = (uint32_t)dtt_rng_uniform(&t->rng, t->count);
		for (uint32_t i = 0; i < t->count && o == UINT32_MAX; i++)
			if (can_send(s, t, (start + i) % t->count))
				o = (start + i) % t->count;
		if (o != UINT32_MAX && add_sender(s, t, o))
			goto nomem;
		break;
	}
	case DTT_SENDERS_ALL:
		for (uint32_t o = 0; o < t->count; o++)
			if (can_send(s, t, o) && add_sender(s, t, o))
				goto nomem;
		break;
	}
	if (!r->n) {
		t->b_skipped++;
		sim_event_row(s, -1, "broadcast_skipped", -1, ti, "no joined member");
		return;
	}
	components(s, t, r->label, &c);
	r->start = tree_totals(s, t);
	r->t_us = s->now_us;
	r->first = t->next_counter;
	r->open = true;
	for (size_t i = 0; i < r->n; i++) {
		struct member *m = tmember(s, t, r->b[i].sender);
		struct simnode *sn = mnode(s, m);
		uint64_t counter = t->next_counter++;
		int err;

		make_payload(payload, sc->traffic.size, (uint16_t)ti, counter);
		s->cur_node = sn->index;
		/* a sender is joined (can_send): it has a topic */
		err = dtt_topic_broadcast(m->handle, payload, sc->traffic.size);
		if (err && err != DTT_ERR_NOMEM)
			sim_event_row(s, sn->index, "broadcast_failed", -1, err, dtt_strerror(err));
		sim_rearm(s, sn);
		t->iv.broadcasts++;
	}
	s->cur_node = -1;
	return;
nomem:
	sim_fatal(s, DTT_ERR_NOMEM, "broadcast round");
}

/* --- samples --- */

void sim_members_on_heal(struct dtt_sim *s)
{
	for (size_t i = 0; i < s->topics_n; i++) {
		s->topics[i].heal_pending = true;
		s->topics[i].heal_us = s->now_us;
	}
}

static void add_counters(struct counters *to, const struct counters *c)
{
	to->published += c->published;
	to->skipped += c->skipped;
	to->failed += c->failed;
	to->bubble += c->bubble;
	to->overlap += c->overlap;
	to->gets += c->gets;
	to->puts += c->puts;
	to->broadcasts += c->broadcasts;
	to->nb_changes += c->nb_changes;
}

/* Link handshakes the topic's members started so far, stopped incarnations included. */
static uint64_t handshakes_started(struct dtt_sim *s, const struct simtopic *t)
{
	uint64_t n = t->retired_hs;

	for (uint32_t o = 0; o < t->count; o++) {
		struct member *m = tmember(s, t, o);
		struct dtt_counters c;

		if (!m_alive(s, m))
			continue;
		dtt_node_counters(mnode(s, m)->node, &c);
		n += c.links.handshakes_started;
	}
	return n;
}

void sim_members_sample(struct dtt_sim *s, uint64_t t_ms, uint64_t dt_ms)
{
	for (size_t i = 0; i < s->topics_n; i++) {
		struct simtopic *t = &s->topics[i];
		struct counters *iv = &t->iv;
		double minutes = (double)dt_ms / 60000.0;
		struct comps c;

		components(s, t, NULL, &c);
		t->last_alive = c.alive;
		t->last_joined = c.joined;
		t->last_components = c.components;
		topic_emit(s, t, TM_ALIVE, t_ms, c.alive, 1);
		if (c.alive) {
			topic_emit(s, t, TM_JOINED, t_ms, (double)c.joined / c.alive, c.alive);
			topic_emit(s, t, TM_COMPONENTS, t_ms, c.components, 1);
			topic_emit(s, t, TM_LARGEST, t_ms, (double)c.largest / c.alive, c.alive);
			topic_emit(s, t, TM_BUBBLES, t_ms, c.groups - (c.largest >= 2), 1);
			topic_emit(s, t, TM_DEG_MEAN, t_ms, (double)c.deg_sum / c.alive, c.alive);
			topic_emit(s, t, TM_DEG_MIN, t_ms, c.deg_min, 1);
			topic_emit(s, t, TM_DEG_MAX, t_ms, c.deg_max, 1);
		}
		topic_emit(s, t, TM_PUBLISHED, t_ms, (double)iv->published, 1);
		topic_emit(s, t, TM_SKIPPED, t_ms, (double)iv->skipped, 1);
		topic_emit(s, t, TM_PUB_FAILED, t_ms, (double)iv->failed, 1);
		topic_emit(s, t, TM_BUBBLE, t_ms, (double)iv->bubble, 1);
		topic_emit(s, t, TM_OVERLAP, t_ms, (double)iv->overlap, 1);
		if (c.alive && minutes > 0) {
			topic_emit(s, t, TM_GETS_PMM, t_ms, (double)iv->gets / c.alive / minutes,
				   c.alive);
			topic_emit(s, t, TM_PUTS_PMM, t_ms, (double)iv->puts / c.alive / minutes,
				   c.alive);
			topic_emit(s, t, TM_NB_PMM, t_ms,
				   (double)iv->nb_changes / c.alive / minutes, c.alive);
		}
		{
			uint64_t hs = handshakes_started(s, t);

			if (c.alive && minutes > 0)
				topic_emit(s, t, TM_HS_PMM, t_ms,
					   (double)(hs - t->hs_last) / c.alive / minutes, c.alive);
			t->hs_last = hs;
		}
		topic_emit(s, t, TM_BROADCASTS, t_ms, (double)iv->broadcasts, 1);
		add_counters(&t->tot, iv);
		memset(iv, 0, sizeof(*iv));
		if (t->heal_pending && c.alive && c.components == 1) {
			char d[DTT_SCENARIO_NAME_MAX];

			t->heal_pending = false;
			t->time_to_heal_ms = (double)(s->now_us - t->heal_us) / 1000.0;
			snprintf(d, sizeof(d), "%s", t->sc->name);
			sim_event_row(s, -1, "healed", -1, (int64_t)t->time_to_heal_ms, d);
		}
	}
}

/* --- setup, end, inspection --- */

int sim_members_init(struct dtt_sim *s)
{
	const struct dtt_scenario *sc = s->sc;
	uint32_t mi = 0, idx = s->n_dht;
	size_t cap = 16;

	if (!sc->topics_count)
		return 0;
	s->topics = dtt_alloc(sc->topics_count * sizeof(*s->topics));
	s->members = dtt_alloc((size_t)sc->members * sizeof(*s->members));
	while (cap < 2 * (size_t)sc->members)
		cap *= 2;
	s->idmap = dtt_alloc(cap * sizeof(*s->idmap));
	if (!s->topics || !s->members || !s->idmap)
		return DTT_ERR_NOMEM;
	s->idmap_mask = cap - 1;
	s->topics_n = sc->topics_count;
	s->members_n = sc->members;
	for (size_t ti = 0; ti < sc->topics_count; ti++) {
		struct simtopic *t = &s->topics[ti];
		const struct dtt_scenario_topic *st = &sc->topics[ti];

		t->sc = st;
		t->mbase = mi;
		t->count = st->members;
		t->time_to_heal_ms = NAN;
		dtt_topic_id_from_name(&t->tid, st->name);
		if (dtt_tracker_strategy(&t->cfg, st->strategy))
			return DTT_ERR_INVALID;
		if (st->mix_fraction > 0 && dtt_tracker_strategy(&t->mix_cfg, st->mix_strategy))
			return DTT_ERR_INVALID;
		dtt_rng_derive(&t->rng, s->seed, DTT_SIM_RNG_MEMBERS, ti);
		t->uf = dtt_alloc(t->count * sizeof(*t->uf));
		t->ufsize = dtt_alloc(t->count * sizeof(*t->ufsize));
		t->round.label = dtt_alloc(t->count * sizeof(*t->round.label));
		if (!t->uf || !t->ufsize || !t->round.label)
			return DTT_ERR_NOMEM;
		for (int k = 0; k < TM__COUNT; k++) {
			if (sc->topics_count == 1)
				snprintf(t->names[k], sizeof(t->names[k]), "%s",
					 dtt_scenario_topic_metrics[k]);
			else
				snprintf(t->names[k], sizeof(t->names[k]), "%s@%s",
					 dtt_scenario_topic_metrics[k], st->name);
		}
		for (uint32_t k = 0; k < st->members; k++, mi++, idx++) {
			struct member *m = &s->members[mi];
			uint64_t burst = (uint64_t)k * st->bursts / st->members;
			uint64_t at = sim_ms_to_us(st->join_at_ms + burst * st->burst_every_ms);

			m->sim = s;
			m->node = idx;
			m->ordinal = k;
			m->topic = (uint16_t)ti;
			m->joined_ms = -1;
			s->nodes[idx].member = (int32_t)mi;
			if (st->join_over_ms)
				at += dtt_rng_uniform(&s->join_rng, sim_ms_to_us(st->join_over_ms));
			sim_push(s, at, TAG(EV_JOIN, idx), 0);
		}
		if (st->traffic.every_ms &&
		    sim_ms_to_us(st->traffic.start_ms + st->traffic.every_ms) <= s->end_us)
			sim_push(s, sim_ms_to_us(st->traffic.start_ms), TAG(EV_TRAFFIC, ti), 0);
	}
	return 0;
}

void sim_members_finish(struct dtt_sim *s)
{
	static const char *const names[] = {
	    "members",		 "joins",
	    "join_p50_ms",	 "join_p99_ms",
	    "broadcasts",	 "broadcast_delivered",
	    "broadcast_missed",	 "rmr_mean",
	    "ldh_mean",		 "ldh_max",
	    "records_published", "records_skipped_cap",
	    "merges_bubble",	 "merges_overlap",
	    "time_to_heal_ms",	 "components_end",
	};

	for (size_t i = 0; i < s->topics_n; i++) {
		struct simtopic *t = &s->topics[i];
		struct dtt_sim_topic_stats st;
		char name[DTT_SCENARIO_METRIC_MAX + 32];
		double v[sizeof(names) / sizeof(names[0])];

		/* A round cut short (--until) has not had its `every` to spread: it is dropped, not
		 * counted as missed. */
		if (t->round.open &&
		    s->now_us < t->round.t_us + sim_ms_to_us(t->sc->traffic.every_ms)) {
			t->b_unsettled += t->round.n;
			t->round.open = false;
			t->round.n = 0;
		}
		close_round(s, t);
		/* who never got a neighbour (with its clock skew, the usual suspect) */
		for (uint32_t o = 0; o < t->count; o++) {
			const struct member *m = tmember(s, t, o);

			if (m_alive(s, m) && m->joined_ms < 0)
				sim_event_row(s, m->node, "not_joined", -1, mnode(s, m)->skew_ms,
					      NULL);
		}
		if (!s->res)
			continue;
		dtt_sim_topic_stats(s, i, &st);
		v[0] = st.members;
		v[1] = (double)st.joins;
		v[2] = st.join_p50_ms;
		v[3] = st.join_p99_ms;
		v[4] = (double)st.broadcasts;
		v[5] = (double)st.delivered;
		v[6] = (double)st.missed;
		v[7] = st.rmr_mean;
		v[8] = st.ldh_mean;
		v[9] = st.ldh_max;
		v[10] = (double)st.published;
		v[11] = (double)st.skipped_cap;
		v[12] = (double)st.merges_bubble;
		v[13] = (double)st.merges_overlap;
		v[14] = st.time_to_heal_ms;
		v[15] = st.components;
		for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			if (s->topics_n == 1)
				snprintf(name, sizeof(name), "%s", names[k]);
			else
				snprintf(name, sizeof(name), "%s@%s", names[k], t->sc->name);
			dtt_results_summary(s->res, name, v[k]);
		}
	}
}

void sim_members_free(struct dtt_sim *s)
{
	for (size_t i = 0; s->topics && i < s->topics_n; i++) {
		struct simtopic *t = &s->topics[i];

		for (size_t k = 0; k < t->round.cap; k++) {
			dtt_free(t->round.b[k].got);
			dtt_free(t->round.b[k].lat);
		}
		dtt_free(t->round.b);
		dtt_free(t->round.label);
		dtt_free(t->uf);
		dtt_free(t->ufsize);
		dtt_free(t->joinlat);
		for (int k = 0; k < TM__COUNT; k++)
			sim_series_free(&t->ts[k]);
	}
	dtt_free(s->topics);
	dtt_free(s->members);
	dtt_free(s->idmap);
	s->topics = NULL;
	s->members = NULL;
	s->idmap = NULL;
	s->topics_n = 0;
}

bool sim_members_series(const struct dtt_sim *s, const char *name, struct dtt_sim_series *out)
{
	for (size_t i = 0; i < s->topics_n; i++) {
		const struct simtopic *t = &s->topics[i];

		for (int k = 0; k < TM__COUNT; k++) {
			if (strcmp(t->names[k], name))
				continue;
			out->t_ms = t->ts[k].t;
			out->value = t->ts[k].v;
			out->weight = t->ts[k].w;
			out->count = t->ts[k].n;
			return true;
		}
	}
	memset(out, 0, sizeof(*out));
	return false;
}

size_t dtt_sim_topics(const struct dtt_sim *s)
{
	return s->topics_n;
}

void dtt_sim_topic_stats(const struct dtt_sim *s, size_t i, struct dtt_sim_topic_stats *out)
{
	const struct simtopic *t = &s->topics[i];
	struct counters tot = t->tot;
	double *lat;

	memset(out, 0, sizeof(*out));
	add_counters(&tot, &t->iv);
	out->name = t->sc->name;
	out->members = t->count;
	out->alive = t->last_alive;
	out->joined = t->last_joined;
	out->components = t->last_components;
	out->joins = t->joinlat_n;
	for (uint32_t o = 0; o < t->count; o++) {
		const struct member *m = &s->members[t->mbase + o];

		if (s->nodes[m->node].state == NS_UP && m->joined_ms < 0)
			out->never_joined++;
	}
	out->join_p50_ms = out->join_p99_ms = out->join_max_ms = NAN;
	lat = t->joinlat_n ? dtt_alloc(t->joinlat_n * sizeof(*lat)) : NULL;
	if (lat) { /* sorted on a copy: the order joins happened in is kept */
		memcpy(lat, t->joinlat, t->joinlat_n * sizeof(*lat));
		out->join_p50_ms = sim_percentile(lat, t->joinlat_n, 0.50);
		out->join_p99_ms = sim_percentile(lat, t->joinlat_n, 0.99);
		out->join_max_ms = lat[t->joinlat_n - 1];
		dtt_free(lat);
	}
	out->broadcasts = t->b_count;
	out->delivered = t->b_delivered;
	out->missed = t->b_missed;
	out->broadcasts_skipped = t->b_skipped;
	out->unsettled = t->b_unsettled;
	out->late = t->b_late;
	out->rmr_mean = t->rmr_n ? t->rmr_sum / (double)t->rmr_n : NAN;
	out->tree_msgs_mean = t->b_count ? t->tx_sum / (double)t->b_count : NAN;
	out->tree_msgs_member_mean = t->b_count ? t->tx_member_sum / (double)t->b_count : NAN;
	out->ldh_mean = t->ldh_n ? t->ldh_sum / (double)t->ldh_n : NAN;
	out->ldh_max = t->ldh_max;
	out->latency_p50_mean_ms = t->p50_n ? t->p50_sum / (double)t->p50_n : NAN;
	out->latency_p99_max_ms = t->p50_n ? t->p99_max : NAN;
	out->published = tot.published;
	out->skipped_cap = tot.skipped;
	out->publish_failed = tot.failed;
	out->merges_bubble = tot.bubble;
	out->merges_overlap = tot.overlap;
	out->dht_gets = tot.gets;
	out->dht_puts = tot.puts;
	out->time_to_heal_ms = t->time_to_heal_ms;
	out->handshakes = t->retired_hs;
	out->handshakes_done = t->retired_hs_done;
	for (uint32_t o = 0; o < t->count; o++) {
		const struct member *m = &s->members[t->mbase + o];
		struct dtt_counters c;

		if (s->nodes[m->node].state != NS_UP)
			continue;
		dtt_node_counters(s->nodes[m->node].node, &c);
		out->handshakes += c.links.handshakes_started;
		out->handshakes_done += c.links.handshakes_completed;
	}
}
