/* gossip.c - the gossip layer of one node (spec/GOSSIP.md §1, §7-§9): per-topic HyParView +
 * PlumTree swarms over one transport, message fragmentation and reassembly, events, and the
 * glue to dtt_links.
 *
 * Owns the topics (each a struct dtt_hpv and a struct dtt_plumtree), the reassembly slots, the
 * event queue and, for dtt_gossip_new_links, the links. Borrows the env, the timers and the
 * transport.
 * Timers:
 *   reasm_timer - earliest deadline of a partial message -> reasm_expired (drop it)
 *   work_timer  - armed at "now" when a topic's timer produced work (events, link downs, a
 *                 topic to free) -> work_expired runs it once that timer has returned
 *
 * Re-entrancy: every public entry point and every op the state machines call runs at depth >= 1.
 * Events and link downs are queued and run when the outermost public call returns (or from
 * work_timer), so callbacks never see a state machine half-way through a change, and a topic
 * left from a callback is freed only once nothing of it is on the stack.
 */
#include "gossip.h"

#include <string.h>

#include "alloc.h"
#include "crypto.h"
#include "err.h"

#define ID_BYTES  DTT_GOSSIP_PEER_BYTES
#define MID_BYTES DTT_GOSSIP_MSGID_BYTES
#define FRAG	  DTT_GOSSIP_MSG_FRAG_BYTES
#define EV_FIRST  8

struct topic {
	uint8_t id[DTT_GOSSIP_TOPIC_BYTES];
	struct dtt_gossip *g;
	struct dtt_hpv hpv;
	struct dtt_plumtree pt;
	uint8_t recent[DTT_GOSSIP_RECENT_MAX][MID_BYTES]; /* ring of received hashes */
	uint8_t recent_head, recent_count;
	bool dead; /* left; freed when nothing of it is on the stack */
	struct topic *next_dead;
};

/* One content being rebuilt from its fragments: keyed by (topic, peer, id, scope, round). */
struct reasm {
	bool used, done; /* done: delivered, the buffer is freed after the events */
	struct topic *t;
	uint8_t peer[ID_BYTES];
	uint8_t id[MID_BYTES];
	uint8_t scope;
	uint16_t round, total;
	uint64_t have; /* one bit per FRAG-sized fragment: at most 64 for a u16 length */
	uint64_t deadline_ms;
	uint8_t *buf;
};

struct qevent {
	int type;
	struct topic *t;
	uint8_t peer[ID_BYTES];
	int reason;
	uint8_t id[MID_BYTES];
	const uint8_t *content;
	size_t len;
	int scope;
	uint16_t round;
};

struct qdown {
	uint8_t peer[ID_BYTES];
	int reason;
};

struct dtt_gossip {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	struct dtt_gossip_config cfg;
	uint8_t self[ID_BYTES];
	const struct dtt_gossip_transport *tr;
	void *tr_ctx;
	struct dtt_links *links; /* owned, for dtt_gossip_new_links */
	dtt_gossip_event_cb cb;
	void *cb_ctx;

	struct topic **topics; /* live topics, join order */
	uint16_t topic_count;
	struct topic *dead;

	struct reasm *reasm; /* reasm_max slots, from the first fragment on (reasm_slots) */
	struct qevent *ev;
	uint32_t ev_count, ev_cap, ev_max;
	struct qdown downs[DTT_GOSSIP_DOWNS_MAX];
	uint32_t down_count;

	uint32_t depth;
	bool closing; /* our own close of closing_id is running: ignore its down report */
	uint8_t closing_id[ID_BYTES];
	const uint8_t *down_peer; /* the link being reported down: nothing to close */

	struct dtt_timer reasm_timer, work_timer;
	struct dtt_gossip_stats stats;
};

static const char *const own_drop_names[] = {
    [DTT_GOSSIP_DROP_TOPIC - DTT_GOSSIP_MSG_DROP__COUNT] = "topic",
    [DTT_GOSSIP_DROP_BAD_ID - DTT_GOSSIP_MSG_DROP__COUNT] = "bad_id",
    [DTT_GOSSIP_DROP_TOOBIG - DTT_GOSSIP_MSG_DROP__COUNT] = "too_big",
    [DTT_GOSSIP_DROP_FRAGMENT - DTT_GOSSIP_MSG_DROP__COUNT] = "fragment",
    [DTT_GOSSIP_DROP_REASM_FULL - DTT_GOSSIP_MSG_DROP__COUNT] = "reasm_full",
    [DTT_GOSSIP_DROP_REASM_TIMEOUT - DTT_GOSSIP_MSG_DROP__COUNT] = "reasm_timeout",
    [DTT_GOSSIP_DROP_NOT_NEIGHBOR - DTT_GOSSIP_MSG_DROP__COUNT] = "not_neighbor",
    [DTT_GOSSIP_DROP_SELF - DTT_GOSSIP_MSG_DROP__COUNT] = "self",
};
_Static_assert(sizeof(own_drop_names) / sizeof(own_drop_names[0]) ==
		   DTT_GOSSIP_DROP__COUNT - DTT_GOSSIP_MSG_DROP__COUNT,
	       "one name per value");

const char *dtt_gossip_drop_name(int reason)
{
	if (reason >= 0 && reason < DTT_GOSSIP_MSG_DROP__COUNT)
		return dtt_gossip_msg_drop_name(reason);
	if (reason >= DTT_GOSSIP_MSG_DROP__COUNT && reason < DTT_GOSSIP_DROP__COUNT)
		return own_drop_names[reason - DTT_GOSSIP_MSG_DROP__COUNT];
	return "invalid";
}

void dtt_gossip_config_init(struct dtt_gossip_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	dtt_hpv_config_init(&cfg->hpv);
	dtt_plumtree_config_init(&cfg->plumtree);
	cfg->topics_max = DTT_GOSSIP_TOPICS_MAX;
	cfg->reasm_max = DTT_GOSSIP_REASM_MAX;
	cfg->reasm_peer_max = DTT_GOSSIP_REASM_PEER_MAX;
	cfg->reasm_timeout_ms = DTT_GOSSIP_REASM_TIMEOUT_MS;
}

int dtt_gossip_config_check(const struct dtt_gossip_config *cfg)
{
	if (dtt_hpv_config_check(&cfg->hpv) || dtt_plumtree_config_check(&cfg->plumtree))
		return DTT_ERR_INVALID;
	if (cfg->topics_max < 1 || cfg->reasm_peer_max > cfg->reasm_max || !cfg->reasm_timeout_ms)
		return DTT_ERR_INVALID;
	return 0;
}

/* ---- small helpers ---- */

static bool id_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, ID_BYTES) == 0;
}

static uint64_t now(const struct dtt_gossip *g)
{
	return dtt_env_now_ms(g->env);
}

static struct topic *find_topic(const struct dtt_gossip *g, const uint8_t *id)
{
	for (uint16_t i = 0; i < g->topic_count; i++)
		if (memcmp(g->topics[i]->id, id, DTT_GOSSIP_TOPIC_BYTES) == 0)
			return g->topics[i];
	return NULL;
}

static void drop(struct dtt_gossip *g, int reason)
{
	g->stats.dropped[reason]++;
}

/* A peer some live topic has as a neighbour or has a request out to. */
static bool peer_in_use(const struct dtt_gossip *g, const uint8_t *peer)
{
	for (uint16_t i = 0; i < g->topic_count; i++) {
		const struct dtt_hpv *h = &g->topics[i]->hpv;

		if (dtt_hpv_is_active(h, peer) || dtt_hpv_is_pending(h, peer))
			return true;
	}
	return false;
}

/* ---- depth, queued work ---- */

static bool has_work(const struct dtt_gossip *g)
{
	return g->ev_count || g->down_count || g->dead;
}

static void handle_down(struct dtt_gossip *g, const uint8_t *peer, int reason);

static void topic_free(struct topic *t)
{
	dtt_hpv_deinit(&t->hpv);
	dtt_plumtree_deinit(&t->pt);
	dtt_free(t);
}

/* The reassembly table is allocated with the first fragment (on_fragment): most nodes never
 * see a fragmented message. */
static uint16_t reasm_slots(const struct dtt_gossip *g)
{
	return g->reasm ? g->cfg.reasm_max : 0;
}

static void reasm_release(struct reasm *r)
{
	dtt_free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Runs the queued link downs and events until none is left, then frees what they needed kept:
 * delivered reassembly buffers and left topics. Only at depth 1 with nothing of a topic on the
 * stack (the outermost public call, or work_timer). */
static void do_work(struct dtt_gossip *g)
{
	uint32_t e = 0;

	for (;;) {
		if (g->down_count) {
			struct qdown d = g->downs[0];

			memmove(&g->downs[0], &g->downs[1], sizeof(g->downs[0]) * --g->down_count);
			handle_down(g, d.peer, d.reason);
			continue;
		}
		if (e >= g->ev_count)
			break;
		{
			struct qevent q = g->ev[e++];
			struct dtt_gossip_event ev = {
			    .type = q.type,
			    .topic = q.t->id,
			    .peer = q.peer,
			    .reason = q.reason,
			    .id = q.type == DTT_GOSSIP_EV_RECEIVED ? q.id : NULL,
			    .content = q.content,
			    .len = q.len,
			    .scope = q.scope,
			    .round = q.round,
			};

			if (q.t->dead || !g->cb)
				continue;
			g->stats.events++;
			g->cb(g->cb_ctx, &ev);
		}
	}
	g->ev_count = 0;
	for (uint16_t i = 0; i < reasm_slots(g); i++)
		if (g->reasm[i].done)
			reasm_release(&g->reasm[i]);
	while (g->dead) {
		struct topic *t = g->dead;

		g->dead = t->next_dead;
		topic_free(t);
	}
}

static void api_enter(struct dtt_gossip *g)
{
	g->depth++;
}

static void api_leave(struct dtt_gossip *g)
{
	if (g->depth > 1) {
		g->depth--;
		return;
	}
	do_work(g);
	g->depth = 0;
}

/* The ops the state machines call: when depth was 0 a topic's own timer is running, so its
 * work waits for work_timer. */
static void op_enter(struct dtt_gossip *g)
{
	g->depth++;
}

static void op_leave(struct dtt_gossip *g)
{
	if (--g->depth == 0 && has_work(g) && !dtt_timer_is_armed(&g->work_timer))
		dtt_timer_arm(g->timers, &g->work_timer, now(g));
}

static void work_expired(struct dtt_timer *tm)
{
	struct dtt_gossip *g = DTT_CONTAINER_OF(tm, struct dtt_gossip, work_timer);

	api_enter(g);
	api_leave(g);
}

/* The queue starts small and doubles up to ev_max: most inputs make an event or two. */
static void push_event(struct dtt_gossip *g, const struct qevent *q)
{
	if (g->ev_count == g->ev_cap) {
		uint32_t ncap = g->ev_cap ? g->ev_cap * 2 : EV_FIRST;
		struct qevent *n;

		if (ncap > g->ev_max)
			ncap = g->ev_max;
		n = ncap > g->ev_cap ? dtt_realloc(g->ev, sizeof(*n) * ncap) : NULL;
		if (!n) {
			g->stats.events_dropped++;
			return;
		}
		g->ev = n;
		g->ev_cap = ncap;
	}
	g->ev[g->ev_count++] = *q;
}

/* ---- sending ---- */

static int send_msg(struct dtt_gossip *g, const uint8_t *topic, const uint8_t *peer,
		    const struct dtt_gossip_msg *m)
{
	uint8_t buf[DTT_GOSSIP_MSG_MAX];
	int n = dtt_gossip_msg_encode(topic, m, buf, sizeof(buf));
	int rc;

	if (n < 0) {
		g->stats.send_failed++;
		return n;
	}
	g->stats.messages_out++;
	g->stats.bytes_out += (uint64_t)n;
	if (m->type == DTT_GOSSIP_MSG_GOSSIP)
		g->stats.data_out++;
	else
		g->stats.control_out++;
	rc = g->tr->send(g->tr_ctx, peer, buf, (size_t)n);
	if (rc)
		g->stats.send_failed++;
	return rc;
}

/* A whole content as one GOSSIP message, or as FRAG-sized fragments. */
static int send_gossip(struct dtt_gossip *g, const uint8_t *topic, const uint8_t *peer,
		       const struct dtt_gossip_msg *m)
{
	struct dtt_gossip_msg f;
	uint32_t total = m->gossip.total_len;
	int rc = 0;

	if (total <= FRAG)
		return send_msg(g, topic, peer, m);
	f = *m;
	for (uint32_t off = 0; off < total; off += FRAG) {
		f.gossip.offset = (uint16_t)off;
		f.gossip.chunk_len = (uint16_t)(total - off < FRAG ? total - off : FRAG);
		f.gossip.chunk = m->gossip.chunk + off;
		rc = send_msg(g, topic, peer, &f);
		if (rc)
			return rc; /* the rest could not be reassembled anyway */
	}
	return 0;
}

/* This topic is done with peer: stop watching and close the link unless another topic (or a
 * pending request) still needs it. */
static void release(struct dtt_gossip *g, const uint8_t *peer)
{
	if (peer_in_use(g, peer))
		return;
	g->tr->watch(g->tr_ctx, peer, false);
	if (g->down_peer && id_eq(g->down_peer, peer))
		return;
	g->closing = true;
	memcpy(g->closing_id, peer, ID_BYTES);
	g->tr->close(g->tr_ctx, peer);
	g->closing = false;
}

/* Tells a peer that sends us PlumTree traffic as if we were its neighbour that we are not
 * (its Disconnect got lost, or the views crossed): it drops us and refills. */
static void hint_disconnect(struct dtt_gossip *g, struct topic *t, const uint8_t *peer)
{
	struct dtt_gossip_msg m;

	if (dtt_hpv_is_active(&t->hpv, peer) || dtt_hpv_is_pending(&t->hpv, peer))
		return;
	memset(&m, 0, sizeof(m));
	m.type = DTT_GOSSIP_MSG_DISCONNECT;
	m.disconnect.alive = true;
	g->stats.disconnect_hints++;
	send_msg(g, t->id, peer, &m);
}

/* ---- the ops of the state machines (ctx: struct topic) ---- */

static int hpv_send(void *ctx, const uint8_t *peer, const struct dtt_gossip_msg *m)
{
	struct topic *t = ctx;
	int rc;

	op_enter(t->g);
	rc = send_msg(t->g, t->id, peer, m);
	op_leave(t->g);
	return rc;
}

static void hpv_disconnect(void *ctx, const uint8_t *peer)
{
	struct topic *t = ctx;

	op_enter(t->g);
	release(t->g, peer);
	op_leave(t->g);
}

static void hpv_neighbor_up(void *ctx, const uint8_t *peer)
{
	struct topic *t = ctx;
	struct qevent q;

	op_enter(t->g);
	dtt_plumtree_neighbor_up(&t->pt, peer);
	t->g->tr->watch(t->g->tr_ctx, peer, true);
	memset(&q, 0, sizeof(q));
	q.type = DTT_GOSSIP_EV_NEIGHBOR_UP;
	q.t = t;
	memcpy(q.peer, peer, ID_BYTES);
	push_event(t->g, &q);
	if (t->hpv.active_count == 1) {
		q.type = DTT_GOSSIP_EV_JOINED;
		push_event(t->g, &q);
	}
	op_leave(t->g);
}

static void hpv_neighbor_down(void *ctx, const uint8_t *peer, int reason)
{
	struct topic *t = ctx;
	struct qevent q;

	op_enter(t->g);
	dtt_plumtree_neighbor_down(&t->pt, peer);
	memset(&q, 0, sizeof(q));
	q.type = DTT_GOSSIP_EV_NEIGHBOR_DOWN;
	q.t = t;
	memcpy(q.peer, peer, ID_BYTES);
	q.reason = reason;
	push_event(t->g, &q);
	op_leave(t->g);
}

static void hpv_set_addr(void *ctx, const uint8_t *peer, const struct dtt_addr *addr)
{
	struct topic *t = ctx;

	op_enter(t->g);
	t->g->tr->set_addr(t->g->tr_ctx, peer, addr);
	op_leave(t->g);
}

static bool hpv_get_addr(void *ctx, const uint8_t *peer, struct dtt_addr *out)
{
	struct topic *t = ctx;

	return t->g->tr->get_addr && t->g->tr->get_addr(t->g->tr_ctx, peer, out) == 0;
}

static const struct dtt_hpv_ops hpv_ops = {
    .send = hpv_send,
    .disconnect = hpv_disconnect,
    .neighbor_up = hpv_neighbor_up,
    .neighbor_down = hpv_neighbor_down,
    .set_addr = hpv_set_addr,
    .get_addr = hpv_get_addr,
};

static int pt_send(void *ctx, const uint8_t *peer, const struct dtt_gossip_msg *m)
{
	struct topic *t = ctx;
	int rc;

	op_enter(t->g);
	if (m->type == DTT_GOSSIP_MSG_GOSSIP)
		rc = send_gossip(t->g, t->id, peer, m);
	else
		rc = send_msg(t->g, t->id, peer, m);
	op_leave(t->g);
	return rc;
}

static void pt_deliver(void *ctx, const uint8_t *from, const uint8_t *id, const uint8_t *content,
		       size_t len, int scope, uint16_t round)
{
	struct topic *t = ctx;
	struct qevent q;
	uint8_t slot;

	op_enter(t->g);
	/* the ring of spec/PROTOCOL.md §7.7: the message id is that very hash */
	slot = (uint8_t)((t->recent_head + t->recent_count) % DTT_GOSSIP_RECENT_MAX);
	if (t->recent_count == DTT_GOSSIP_RECENT_MAX)
		t->recent_head = (uint8_t)((t->recent_head + 1) % DTT_GOSSIP_RECENT_MAX);
	else
		t->recent_count++;
	memcpy(t->recent[slot], id, MID_BYTES);

	memset(&q, 0, sizeof(q));
	q.type = DTT_GOSSIP_EV_RECEIVED;
	q.t = t;
	memcpy(q.peer, from, ID_BYTES);
	memcpy(q.id, id, MID_BYTES);
	q.content = content;
	q.len = len;
	q.scope = scope;
	q.round = round;
	push_event(t->g, &q);
	op_leave(t->g);
}

static int pt_loss_pm(void *ctx, const uint8_t *peer)
{
	struct topic *t = ctx;

	return t->g->tr->loss_pm ? t->g->tr->loss_pm(t->g->tr_ctx, peer) : -1;
}

static const struct dtt_plumtree_ops pt_ops = {
    .send = pt_send,
    .deliver = pt_deliver,
    .loss_pm = pt_loss_pm,
};

/* ---- topics ---- */

static struct topic *topic_new(struct dtt_gossip *g, const uint8_t *id)
{
	struct topic *t;

	if (g->topic_count >= g->cfg.topics_max)
		return NULL;
	t = dtt_alloc(sizeof(*t));
	if (!t)
		return NULL;
	memcpy(t->id, id, DTT_GOSSIP_TOPIC_BYTES);
	t->g = g;
	if (dtt_plumtree_init(&t->pt, g->env, g->timers, &g->cfg.plumtree, g->cfg.hpv.active_max,
			      &pt_ops, t, &g->stats.plumtree))
		goto err_free;
	if (dtt_hpv_init(&t->hpv, g->env, g->timers, &g->cfg.hpv, g->self, &hpv_ops, t,
			 &g->stats.hpv))
		goto err_pt;
	g->topics[g->topic_count++] = t;
	return t;

err_pt:
	dtt_plumtree_deinit(&t->pt);
err_free:
	dtt_free(t);
	return NULL;
}

/* ---- reassembly ---- */

static void reasm_rearm(struct dtt_gossip *g)
{
	uint64_t first = UINT64_MAX;

	for (uint16_t i = 0; i < reasm_slots(g); i++)
		if (g->reasm[i].used && !g->reasm[i].done && g->reasm[i].deadline_ms < first)
			first = g->reasm[i].deadline_ms;
	if (first == UINT64_MAX)
		dtt_timer_cancel(g->timers, &g->reasm_timer);
	else if (!dtt_timer_is_armed(&g->reasm_timer) || g->reasm_timer.deadline_ms != first)
		dtt_timer_arm(g->timers, &g->reasm_timer, first);
}

static void reasm_expired(struct dtt_timer *tm)
{
	struct dtt_gossip *g = DTT_CONTAINER_OF(tm, struct dtt_gossip, reasm_timer);
	uint64_t at = now(g);

	for (uint16_t i = 0; i < reasm_slots(g); i++) {
		struct reasm *r = &g->reasm[i];

		if (r->used && !r->done && r->deadline_ms <= at) {
			drop(g, DTT_GOSSIP_DROP_REASM_TIMEOUT);
			reasm_release(r);
		}
	}
	reasm_rearm(g);
}

static void reasm_drop_topic(struct dtt_gossip *g, const struct topic *t)
{
	for (uint16_t i = 0; i < reasm_slots(g); i++)
		if (g->reasm[i].used && !g->reasm[i].done && g->reasm[i].t == t)
			reasm_release(&g->reasm[i]);
	reasm_rearm(g);
}

/* A payload as PlumTree sees it: whole, from peer. */
static void deliver_gossip(struct dtt_gossip *g, struct topic *t, const uint8_t *peer,
			   const struct dtt_gossip_msg *m)
{
	int rc = dtt_plumtree_on_message(&t->pt, peer, m);

	if (rc == DTT_ERR_AUTH) {
		drop(g, DTT_GOSSIP_DROP_BAD_ID);
		return;
	}
	if (rc == DTT_ERR_TOOBIG) {
		drop(g, DTT_GOSSIP_DROP_TOOBIG);
		return;
	}
	hint_disconnect(g, t, peer);
}

static void on_fragment(struct dtt_gossip *g, struct topic *t, const uint8_t *peer,
			const struct dtt_gossip_msg *m)
{
	uint32_t total = m->gossip.total_len, off = m->gossip.offset;
	uint32_t nfrags = (total + FRAG - 1) / FRAG;
	uint64_t all = nfrags >= 64 ? UINT64_MAX : (((uint64_t)1 << nfrags) - 1);
	uint64_t bit = (uint64_t)1 << (off / FRAG);
	struct reasm *r = NULL, *free_slot = NULL;
	unsigned from_peer = 0;

	if (off % FRAG || m->gossip.chunk_len != (total - off < FRAG ? total - off : FRAG)) {
		drop(g, DTT_GOSSIP_DROP_FRAGMENT);
		return;
	}
	if (!g->reasm &&
	    !(g->reasm = dtt_alloc(sizeof(*g->reasm) * (g->cfg.reasm_max ? g->cfg.reasm_max : 1)))) {
		drop(g, DTT_GOSSIP_DROP_REASM_FULL);
		return;
	}
	for (uint16_t i = 0; i < reasm_slots(g); i++) {
		struct reasm *s = &g->reasm[i];

		if (!s->used) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->done || !id_eq(s->peer, peer))
			continue;
		from_peer++;
		if (s->t == t && memcmp(s->id, m->gossip.id, MID_BYTES) == 0 &&
		    s->scope == m->gossip.scope && s->round == m->gossip.round)
			r = s;
	}
	if (r && r->total != total) {
		drop(g, DTT_GOSSIP_DROP_FRAGMENT);
		return;
	}
	if (!r) {
		if (!free_slot || from_peer >= g->cfg.reasm_peer_max) {
			drop(g, DTT_GOSSIP_DROP_REASM_FULL);
			return;
		}
		r = free_slot;
		r->buf = dtt_alloc(total);
		if (!r->buf) {
			drop(g, DTT_GOSSIP_DROP_REASM_FULL);
			return;
		}
		r->used = true;
		r->t = t;
		memcpy(r->peer, peer, ID_BYTES);
		memcpy(r->id, m->gossip.id, MID_BYTES);
		r->scope = m->gossip.scope;
		r->round = m->gossip.round;
		r->total = (uint16_t)total;
		r->deadline_ms = now(g) + g->cfg.reasm_timeout_ms;
		reasm_rearm(g);
	}
	if (r->have & bit)
		return; /* the same fragment again (a second copy of the message) */
	memcpy(r->buf + off, m->gossip.chunk, m->gossip.chunk_len);
	r->have |= bit;
	if (r->have != all)
		return;
	{
		struct dtt_gossip_msg whole = *m;

		r->done = true; /* freed after the events that point into it */
		reasm_rearm(g);
		whole.gossip.offset = 0;
		whole.gossip.chunk_len = (uint16_t)total;
		whole.gossip.chunk = r->buf;
		g->stats.reassembled++;
		deliver_gossip(g, t, peer, &whole);
	}
}

/* ---- inbound ---- */

static void handle_message(struct dtt_gossip *g, const uint8_t *peer, const uint8_t *buf,
			   size_t len)
{
	struct dtt_gossip_msg m;
	struct topic *t;
	int reason;

	g->stats.messages_in++;
	g->stats.bytes_in += len;
	if (id_eq(peer, g->self)) {
		drop(g, DTT_GOSSIP_DROP_SELF);
		return;
	}
	if (dtt_gossip_msg_decode(&m, buf, len, &reason)) {
		drop(g, reason);
		return;
	}
	if (m.type == DTT_GOSSIP_MSG_GOSSIP)
		g->stats.data_in++;
	else
		g->stats.control_in++;
	t = find_topic(g, m.topic);
	if (!t) {
		drop(g, DTT_GOSSIP_DROP_TOPIC);
		return;
	}
	if (dtt_gossip_msg_is_hpv(m.type)) {
		dtt_hpv_on_message(&t->hpv, peer, &m);
		return;
	}
	if (m.type == DTT_GOSSIP_MSG_GOSSIP) {
		if (m.gossip.total_len > g->cfg.plumtree.max_message_size) {
			drop(g, DTT_GOSSIP_DROP_TOOBIG);
			return;
		}
		if (m.gossip.offset == 0 && m.gossip.chunk_len == m.gossip.total_len)
			deliver_gossip(g, t, peer, &m);
		else
			on_fragment(g, t, peer, &m);
		return;
	}
	if (!dtt_plumtree_is_neighbor(&t->pt, peer)) {
		drop(g, DTT_GOSSIP_DROP_NOT_NEIGHBOR);
		hint_disconnect(g, t, peer);
		return;
	}
	dtt_plumtree_on_message(&t->pt, peer, &m);
}

static void handle_down(struct dtt_gossip *g, const uint8_t *peer, int reason)
{
	uint8_t id[ID_BYTES];

	memcpy(id, peer, ID_BYTES);
	g->down_peer = id;
	for (uint16_t i = 0; i < g->topic_count; i++)
		dtt_hpv_on_peer_down(&g->topics[i]->hpv, id, reason);
	g->down_peer = NULL;
}

void dtt_gossip_on_message(struct dtt_gossip *g, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			   const uint8_t *msg, size_t len)
{
	api_enter(g);
	handle_message(g, peer, msg, len);
	api_leave(g);
}

void dtt_gossip_on_peer_up(struct dtt_gossip *g, const uint8_t peer[DTT_GOSSIP_PEER_BYTES])
{
	(void)peer;
	g->stats.links_up++;
}

void dtt_gossip_on_peer_down(struct dtt_gossip *g, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			     int reason)
{
	if (g->closing && id_eq(peer, g->closing_id))
		return;
	g->stats.links_down++;
	if (g->depth) {
		if (g->down_count >= DTT_GOSSIP_DOWNS_MAX) {
			g->stats.downs_dropped++;
			return;
		}
		memcpy(g->downs[g->down_count].peer, peer, ID_BYTES);
		g->downs[g->down_count].reason = reason;
		g->down_count++;
		return;
	}
	api_enter(g);
	handle_down(g, peer, reason);
	api_leave(g);
}

/* ---- API ---- */

int dtt_gossip_join(struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
		    const struct dtt_gossip_peer *peers, size_t n)
{
	struct topic *t;
	int rc = 0;

	if (!topic || (n && !peers))
		return DTT_ERR_INVALID;
	api_enter(g);
	t = find_topic(g, topic);
	if (!t) {
		if (g->topic_count >= g->cfg.topics_max) {
			rc = DTT_ERR_FULL;
			goto out;
		}
		t = topic_new(g, topic);
		if (!t) {
			rc = DTT_ERR_NOMEM;
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		int r;

		if (id_eq(peers[i].id, g->self))
			continue;
		if (peers[i].has_addr && !dtt_hpv_is_active(&t->hpv, peers[i].id)) {
			r = g->tr->set_addr(g->tr_ctx, peers[i].id, &peers[i].addr);
			if (r) {
				rc = r;
				continue;
			}
		}
		r = dtt_hpv_join(&t->hpv, peers[i].id);
		if (r)
			rc = r;
	}
out:
	api_leave(g);
	return rc;
}

int dtt_gossip_leave(struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES])
{
	struct topic *t = find_topic(g, topic);
	uint16_t i;

	if (!t)
		return DTT_ERR_NOTFOUND;
	api_enter(g);
	for (i = 0; g->topics[i] != t; i++)
		;
	memmove(&g->topics[i], &g->topics[i + 1], sizeof(g->topics[0]) * (g->topic_count - i - 1));
	g->topic_count--;
	t->dead = true;
	t->next_dead = g->dead;
	g->dead = t;
	reasm_drop_topic(g, t);
	dtt_hpv_leave(&t->hpv);
	dtt_plumtree_deinit(&t->pt);
	api_leave(g);
	return 0;
}

static int broadcast(struct dtt_gossip *g, const uint8_t *topic, const uint8_t *buf, size_t len,
		     int scope, uint8_t *id_out)
{
	struct topic *t = find_topic(g, topic);
	int rc;

	if (!t)
		return DTT_ERR_NOTFOUND;
	api_enter(g);
	rc = dtt_plumtree_broadcast(&t->pt, buf, len, scope, id_out);
	api_leave(g);
	return rc;
}

int dtt_gossip_broadcast(struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			 const uint8_t *buf, size_t len, uint8_t id_out[DTT_GOSSIP_MSGID_BYTES])
{
	return broadcast(g, topic, buf, len, DTT_GOSSIP_SCOPE_SWARM, id_out);
}

int dtt_gossip_broadcast_neighbors(struct dtt_gossip *g,
				   const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES], const uint8_t *buf,
				   size_t len)
{
	return broadcast(g, topic, buf, len, DTT_GOSSIP_SCOPE_NEIGHBORS, NULL);
}

bool dtt_gossip_is_member(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES])
{
	return find_topic(g, topic) != NULL;
}

bool dtt_gossip_is_joined(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES])
{
	const struct topic *t = find_topic(g, topic);

	return t && t->hpv.active_count > 0;
}

size_t dtt_gossip_neighbors(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			    uint8_t (*out)[DTT_GOSSIP_PEER_BYTES], size_t max)
{
	const struct topic *t = find_topic(g, topic);
	size_t n = 0;

	if (!t)
		return 0;
	for (; n < t->hpv.active_count && n < max; n++)
		memcpy(out[n], t->hpv.active[n].id, ID_BYTES);
	return n;
}

size_t dtt_gossip_topics(const struct dtt_gossip *g, uint8_t (*out)[DTT_GOSSIP_TOPIC_BYTES],
			 size_t max)
{
	size_t n = 0;

	for (; n < g->topic_count && n < max; n++)
		memcpy(out[n], g->topics[n]->id, DTT_GOSSIP_TOPIC_BYTES);
	return n;
}

size_t dtt_gossip_passive(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			  struct dtt_gossip_peer *out, size_t max)
{
	const struct topic *t = find_topic(g, topic);
	size_t n = 0;

	if (!t)
		return 0;
	for (; n < t->hpv.passive_count && n < max; n++)
		out[n] = t->hpv.passive[n];
	return n;
}

size_t dtt_gossip_recent_hashes(const struct dtt_gossip *g,
				const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
				uint8_t (*out)[DTT_GOSSIP_MSGID_BYTES], size_t max)
{
	const struct topic *t = find_topic(g, topic);
	size_t n = 0;

	if (!t)
		return 0;
	for (; n < t->recent_count && n < max; n++)
		memcpy(out[n], t->recent[(t->recent_head + n) % DTT_GOSSIP_RECENT_MAX], MID_BYTES);
	return n;
}

const struct dtt_gossip_stats *dtt_gossip_stats(const struct dtt_gossip *g)
{
	return &g->stats;
}

const uint8_t *dtt_gossip_id(const struct dtt_gossip *g)
{
	return g->self;
}

struct dtt_links *dtt_gossip_links(struct dtt_gossip *g)
{
	return g->links;
}

void dtt_gossip_on_datagram(struct dtt_gossip *g, const struct dtt_addr *from, const uint8_t *buf,
			    size_t len)
{
	if (g->links)
		dtt_links_on_datagram(g->links, from, buf, len);
}

/* ---- lifetime ---- */

struct dtt_gossip *dtt_gossip_new(const struct dtt_env *env, struct dtt_timers *timers,
				  const uint8_t self[DTT_GOSSIP_PEER_BYTES],
				  const struct dtt_gossip_config *cfg,
				  const struct dtt_gossip_transport *tr, void *tr_ctx,
				  dtt_gossip_event_cb cb, void *cb_ctx)
{
	struct dtt_gossip *g;

	if (!env || !timers || !self || !tr || !tr->send || !tr->close || !tr->watch ||
	    !tr->set_addr)
		return NULL;
	g = dtt_alloc(sizeof(*g));
	if (!g)
		return NULL;
	if (cfg)
		g->cfg = *cfg;
	else
		dtt_gossip_config_init(&g->cfg);
	if (dtt_gossip_config_check(&g->cfg))
		goto err_free;
	g->env = env;
	g->timers = timers;
	memcpy(g->self, self, ID_BYTES);
	g->tr = tr;
	g->tr_ctx = tr_ctx;
	g->cb = cb;
	g->cb_ctx = cb_ctx;
	/* per topic a handful of events per input at most; per node the downs of every topic */
	g->ev_max = 16u + 8u * g->cfg.topics_max;
	g->topics = dtt_alloc(sizeof(*g->topics) * g->cfg.topics_max);
	if (!g->topics)
		goto err_free;
	dtt_timer_init(&g->reasm_timer, reasm_expired);
	dtt_timer_init(&g->work_timer, work_expired);
	return g;

err_free:
	dtt_free(g);
	return NULL;
}

void dtt_gossip_free(struct dtt_gossip *g)
{
	if (!g)
		return;
	if (g->links)
		dtt_links_free(g->links);
	dtt_timer_cancel(g->timers, &g->reasm_timer);
	dtt_timer_cancel(g->timers, &g->work_timer);
	for (uint16_t i = 0; i < g->topic_count; i++)
		topic_free(g->topics[i]);
	while (g->dead) {
		struct topic *t = g->dead;

		g->dead = t->next_dead;
		topic_free(t);
	}
	for (uint16_t i = 0; i < reasm_slots(g); i++)
		dtt_free(g->reasm[i].buf);
	dtt_free(g->ev);
	dtt_free(g->reasm);
	dtt_free(g->topics);
	dtt_free(g);
}

/* ---- the transport over dtt_links ---- */

static int links_send(void *ctx, const uint8_t *peer, const uint8_t *msg, size_t len)
{
	return dtt_links_send(ctx, peer, msg, len);
}

static void links_close(void *ctx, const uint8_t *peer)
{
	dtt_links_close(ctx, peer);
}

static void links_watch(void *ctx, const uint8_t *peer, bool watch)
{
	dtt_links_watch(ctx, peer, watch);
}

static int links_set_addr(void *ctx, const uint8_t *peer, const struct dtt_addr *addr)
{
	return dtt_links_set_addr(ctx, peer, addr);
}

static int links_get_addr(void *ctx, const uint8_t *peer, struct dtt_addr *out)
{
	return dtt_links_addr(ctx, peer, out);
}

static int links_loss_pm(void *ctx, const uint8_t *peer)
{
	return dtt_links_loss_pm(ctx, peer);
}

const struct dtt_gossip_transport dtt_gossip_links_transport = {
    .send = links_send,
    .close = links_close,
    .watch = links_watch,
    .set_addr = links_set_addr,
    .get_addr = links_get_addr,
    .loss_pm = links_loss_pm,
};

static void links_on_message(void *ctx, const uint8_t *peer, const uint8_t *msg, size_t len)
{
	dtt_gossip_on_message(ctx, peer, msg, len);
}

static void links_on_up(void *ctx, const uint8_t *peer)
{
	dtt_gossip_on_peer_up(ctx, peer);
}

static void links_on_down(void *ctx, const uint8_t *peer, int reason)
{
	dtt_gossip_on_peer_down(ctx, peer, reason);
}

static const struct dtt_links_callbacks links_callbacks = {
    .on_message = links_on_message,
    .on_up = links_on_up,
    .on_down = links_on_down,
};

struct dtt_gossip *dtt_gossip_new_links(const struct dtt_env *env, struct dtt_timers *timers,
					const uint8_t identity_sk[64],
					const struct dtt_links_config *links_cfg,
					const struct dtt_gossip_config *cfg, dtt_gossip_event_cb cb,
					void *cb_ctx)
{
	struct dtt_links_config lcfg;
	struct dtt_gossip *g;

	if (!identity_sk)
		return NULL;
	if (links_cfg)
		lcfg = *links_cfg;
	else
		dtt_links_config_init(&lcfg);
	/* libsodium's secret key is seed || public key: our id is its second half */
	g = dtt_gossip_new(env, timers, identity_sk + 32, cfg, &dtt_gossip_links_transport, NULL,
			   cb, cb_ctx);
	if (!g)
		return NULL;
	g->links = dtt_links_new(env, timers, identity_sk, &lcfg, &links_callbacks, g);
	if (!g->links || !id_eq(dtt_links_id(g->links), g->self)) {
		dtt_gossip_free(g);
		return NULL;
	}
	g->tr_ctx = g->links;
	return g;
}
