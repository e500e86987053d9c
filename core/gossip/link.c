/* link.c - authenticated, encrypted links between node identities over UDP (spec/GOSSIP.md §12):
 * Noise_IK_25519_ChaChaPoly_BLAKE2b handshakes (Noise rev. 34, noise.c) between the X25519
 * forms of the ed25519 ids, ChaCha20-Poly1305 transport with explicit 64-bit counters and an
 * RFC 6479 replay window, keepalives, dead-peer detection and rekeying. WireGuard is the model;
 * docs/gossip-links.md is the wire format and the timer table.
 *
 * Owns: the peer table (sorted by id), the receiver-index table (sorted by index), per-peer
 * connection state (sessions, handshake, queue; allocated only while in use), the handshake
 * rate-limit table, the identity secrets. Borrows: the env, the timers, the callback ctx.
 * Timers: one per peer with a connection or a watch (struct peer_live.timer ->
 * peer_timer_expired), armed by peer_schedule at the earliest of
 *   handshake  hs.sent_ms + handshake_timeout_ms   -> retry, or DOWN_FAILED after the attempts
 *   dead       max(last_rx, watch) + dead_ms        -> DOWN_TIMED_OUT (watched peers)
 *   keepalive  last_tx + keepalive_ms, or max(last_rx, last_ping) + keepalive_ms -> a ping
 *              (watched peers with a session)
 *   rekey      session start + rekey_ms (+ the handshake window for sessions we answered)
 *   idle       max(last_rx, last_tx) + rekey_ms     -> quiet expiry (unwatched peers)
 *   alt        expiry of a superseded or never-confirmed session
 * Every deadline is a stored time compared with now, so traffic only writes timestamps and
 * never touches the timer heap; the handler re-derives what is due and re-arms.
 */
#include "link.h"

#include <sodium.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "noise.h"
#include "provider.h"

#define TYPE_INIT 0x11 /* high nibble: version 1; never 'd' (0x64) */
#define TYPE_RESP 0x12
#define TYPE_DATA 0x14

#define FLAG_CLOSE 0x01 /* the sender forgets this session */
#define FLAG_PING  0x02 /* answer with a keepalive */

#define INIT_PAYLOAD_BYTES (DTT_LINK_ID_BYTES + 8 + 4) /* id, timestamp, sender index */
#define INIT_BYTES	   (1 + DTT_NOISE_IK_INIT_BYTES(INIT_PAYLOAD_BYTES))
#define RESP_PAYLOAD_BYTES 4 /* sender index */
#define RESP_BYTES	   (1 + 4 + DTT_NOISE_IK_RESP_BYTES(RESP_PAYLOAD_BYTES))
#define DATA_HDR_BYTES	   14 /* type, flags, receiver index, counter */
#define DATA_MIN_BYTES	   (DATA_HDR_BYTES + DTT_AEAD_TAG_BYTES)

#define REPLAY_WORDS  (DTT_LINK_REPLAY_WINDOW_BITS / 64)
#define REPLAY_REJECT (DTT_LINK_REPLAY_WINDOW_BITS - 64)
#define LOSS_BLOCK    16 /* received datagrams per loss sample */
#define LOSS_WEIGHT   4  /* a sample's weight in the estimate: 1/4 */
#define SEND_LIMIT    (UINT64_MAX - DTT_LINK_REPLAY_WINDOW_BITS) /* counters we never use */

#define RATE_MAX	32 /* source addresses tracked by the handshake rate limit */
#define RATE_WINDOW_MS	1000
#define IDX_DRAWS	16
#define PEERS_CAP_FIRST 8
#define PEERS_MAX_LIMIT (1u << 24)

_Static_assert(DTT_LINK_REPLAY_WINDOW_BITS % 64 == 0 && DTT_LINK_REPLAY_WINDOW_BITS >= 128,
	       "replay window");
_Static_assert(DATA_HDR_BYTES + DTT_LINK_PAYLOAD_MAX + DTT_AEAD_TAG_BYTES <= DTT_LINK_DATAGRAM_MAX,
	       "payload fits a datagram");
_Static_assert(INIT_BYTES == 141 && RESP_BYTES == 57, "handshake sizes (docs/gossip-links.md)");

static const char protocol_name[] = "Noise_IK_25519_ChaChaPoly_BLAKE2b";
static const char prologue[] = "dtt-gossip-link/1";

struct replay {
	uint64_t top; /* greatest counter accepted */
	uint64_t bits[REPLAY_WORDS];
};

struct sess {
	uint8_t send_key[DTT_AEAD_KEY_BYTES];
	uint8_t recv_key[DTT_AEAD_KEY_BYTES];
	uint64_t send_n;
	uint64_t created_ms;
	struct replay rw;
	uint32_t local_idx;  /* receiver index the peer puts on datagrams to us */
	uint32_t remote_idx; /* receiver index we put on datagrams to the peer */
	uint64_t est_from;   /* the loss estimate's block: first counter, datagrams received */
	uint32_t est_rx;
	bool live;
	bool initiator; /* we sent message 1: we rekey it */
	bool confirmed; /* usable for sending (a responder waits for the first transport) */
};

struct hs {
	struct dtt_noise_sym sym; /* after message 1, waiting for message 2 */
	uint8_t e_priv[DTT_X25519_BYTES];
	uint8_t e_pub[DTT_X25519_BYTES]; /* keys the shared DH memo (provider.h) */
	uint64_t sent_ms;
	uint32_t local_idx;
	uint32_t attempts;
	bool live;
};

struct qmsg {
	struct qmsg *next;
	size_t len;
	uint8_t data[];
};

/* Everything a peer needs only while talking: allocated on the first handshake, freed when the
 * link goes down or idles out. */
struct conn {
	struct sess cur; /* sends and receives */
	struct sess alt; /* superseded (receive only) or answered but not yet confirmed */
	uint64_t alt_expire_ms;
	uint64_t rekey_retry_ms; /* a rekey that failed (loss): the next try, not before */
	struct hs hs;
	struct qmsg *q_head, *q_tail;
	uint32_t q_len;
	/* set_addr during a session: the peer's address once the session is gone (kept here,
	 * not in the address book entry, as only a peer with a session can have one) */
	bool has_hint;
	struct dtt_addr hint;
	uint16_t loss_pm; /* the peer's datagrams lost on the way to us, per mille, smoothed */
	bool loss_known;  /* loss_pm has seen a block */
};

/* An address book entry: what is kept of every known peer. What only a peer with a connection
 * or a watch needs is in struct peer_live. */
struct peer {
	uint8_t id[DTT_LINK_ID_BYTES];
	struct dtt_addr addr;
	bool has_addr, watched, up;
	uint8_t epoch;		/* bumped whenever the connection is torn down; compared only
				 * across one callback (on_datagram's fire_up), so 8 bits do */
	struct peer_live *live; /* with a connection or a watch (live_get; peer_schedule frees) */
	uint64_t init_ts;	/* greatest initiation timestamp accepted from the peer */
	uint64_t lru;		/* use stamp, for eviction */
	uint64_t last_tx_ms;	/* last transport datagram we sent (outlives the connection) */
};

/* 88 bytes and the allocator's 8 make a 96-byte chunk: up to peers_max of these per node */
_Static_assert(sizeof(struct peer) <= 88, "an address book entry stays small");

/* The timer and the liveness timestamps of a peer with a connection or a watch: allocated with
 * the first of them, freed by peer_schedule once neither is left. Nothing it holds is read again
 * before it is written anew: a new connection sets last_rx_ms before the timer reads it, and a
 * new watch sets watch_ms, which is never older than last_rx_ms. */
struct peer_live {
	struct dtt_timer timer;
	struct dtt_links *l;
	struct peer *p;
	struct conn *conn;     /* sessions, handshake, queue (conn_get, conn_free) */
	uint64_t last_rx_ms;   /* last authenticated datagram */
	uint64_t last_ping_ms; /* last keepalive that asked for an answer */
	uint64_t watch_ms;     /* when the watch began */
};

struct idx_ent {
	uint32_t idx;
	struct peer *p;
};

struct rate_ent {
	uint64_t start_ms;
	uint32_t count;
	uint8_t family;
	bool used;
	uint8_t addr[16];
};

struct dtt_links {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	struct dtt_links_callbacks cb;
	void *ctx;
	struct dtt_links_config cfg;
	uint8_t id[DTT_LINK_ID_BYTES];
	uint8_t s_priv[DTT_X25519_BYTES];
	uint8_t s_pub[DTT_X25519_BYTES];
	struct dtt_noise_sym init_base; /* name + prologue */
	struct dtt_noise_sym resp_base; /* ... + our static: where every message 1 to us starts */
	struct peer **peers;		/* sorted by id */
	uint16_t *keys;			/* keys[i]: the first two bytes of peers[i]->id */
	uint32_t peers_count, peers_cap;
	struct idx_ent *idx; /* sorted by index; grows with the indexes in use (idx_add) */
	uint32_t idx_count, idx_cap;
	struct rate_ent rate[RATE_MAX];
	uint64_t lru_clock;
	uint64_t ts_last;  /* last initiation timestamp we sent */
	struct peer *busy; /* the peer a datagram is being handled for: never evicted */
	struct dtt_links_stats stats;
};

static const char *const drop_names[] = {
    [DTT_LINKS_DROP_SHORT] = "short",
    [DTT_LINKS_DROP_TYPE] = "type",
    [DTT_LINKS_DROP_HANDSHAKE] = "handshake",
    [DTT_LINKS_DROP_REPLAY] = "replay",
    [DTT_LINKS_DROP_UNKNOWN_INDEX] = "unknown_index",
    [DTT_LINKS_DROP_AUTH] = "auth",
    [DTT_LINKS_DROP_RATE] = "rate",
    [DTT_LINKS_DROP_FULL] = "full",
    [DTT_LINKS_DROP_OVERSIZE] = "oversize",
};
_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == DTT_LINKS_DROP__COUNT,
	       "one name per value");

const char *dtt_links_drop_name(int reason)
{
	if (reason < 0 || reason >= DTT_LINKS_DROP__COUNT)
		return "invalid";
	return drop_names[reason];
}

void dtt_links_config_init(struct dtt_links_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->peers_max = 256;
	cfg->queue_max = 8;
	cfg->handshake_timeout_ms = 1000;
	cfg->handshake_attempts = 5;
	cfg->keepalive_ms = 2000;
	cfg->dead_ms = 6000;
	cfg->rekey_ms = 120000;
	cfg->handshakes_per_s = 20;
}

/* ---- small helpers ---- */

static void store_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t max64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t now_ms(const struct dtt_links *l)
{
	return dtt_env_now_ms(l->env);
}

static void drop(struct dtt_links *l, enum dtt_links_drop reason)
{
	l->stats.dropped[reason]++;
}

static void touch(struct dtt_links *l, struct peer *p)
{
	p->lru = ++l->lru_clock;
}

/* How long a handshake may take in all: also how long a superseded session stays receivable
 * and an answered one waits for its confirmation. */
static uint64_t hs_window_ms(const struct dtt_links *l)
{
	return (uint64_t)l->cfg.handshake_timeout_ms * l->cfg.handshake_attempts;
}

static void send_raw(struct dtt_links *l, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	l->stats.datagrams_out++;
	l->stats.bytes_out += len;
	(void)dtt_env_send(l->env, to, buf, len); /* a failed send is a lost datagram */
}

/* ---- replay window (RFC 6479) ---- */

static bool replay_ok(const struct replay *rw, uint64_t n)
{
	if (n > rw->top)
		return true;
	if (rw->top - n >= REPLAY_REJECT)
		return false;
	return !(rw->bits[(n / 64) % REPLAY_WORDS] & (1ull << (n % 64)));
}

static void replay_commit(struct replay *rw, uint64_t n)
{
	if (n > rw->top) {
		uint64_t cur = rw->top / 64, next = n / 64;
		uint64_t diff = min64(next - cur, REPLAY_WORDS);

		for (uint64_t i = 1; i <= diff; i++)
			rw->bits[(cur + i) % REPLAY_WORDS] = 0;
		rw->top = n;
	}
	rw->bits[(n / 64) % REPLAY_WORDS] |= 1ull << (n % 64);
}

/* ---- tables ---- */

static inline uint16_t id_key(const uint8_t id[DTT_LINK_ID_BYTES])
{
	return (uint16_t)(id[0] << 8 | id[1]);
}

/* Position of id in the sorted peer array (found), or where it would go. The search runs on
 * the keys, which order like the ids' first two bytes, and reads a peer only on a key match. */
static uint32_t peer_search(const struct dtt_links *l, const uint8_t id[DTT_LINK_ID_BYTES],
			    bool *found)
{
	uint32_t lo = 0, hi = l->peers_count;
	uint16_t k = id_key(id);

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = l->keys[mid] != k ? (l->keys[mid] < k ? -1 : 1)
					  : memcmp(l->peers[mid]->id, id, DTT_LINK_ID_BYTES);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct peer *peer_find(const struct dtt_links *l, const uint8_t id[DTT_LINK_ID_BYTES])
{
	bool found;
	uint32_t i = peer_search(l, id, &found);

	return found ? l->peers[i] : NULL;
}

static uint32_t idx_search(const struct dtt_links *l, uint32_t idx, bool *found)
{
	uint32_t lo = 0, hi = l->idx_count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (l->idx[mid].idx == idx) {
			*found = true;
			return mid;
		}
		if (l->idx[mid].idx < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct peer *idx_find(const struct dtt_links *l, uint32_t idx)
{
	bool found;
	uint32_t i = idx_search(l, idx, &found);

	return found ? l->idx[i].p : NULL;
}

/* A fresh random receiver index for p. Capacity is reserved when a peer is added (three per
 * peer: handshake, current, alternate), so only an unlucky run of draws can fail. */
/* The index table grows with the sessions and handshakes in use (at most three per peer:
 * cur, alt and hs), not with the address book. */
static int idx_add(struct dtt_links *l, struct peer *p, uint32_t *out)
{
	if (l->idx_count >= l->idx_cap) {
		uint32_t limit = 3 * l->cfg.peers_max;
		uint32_t cap = l->idx_cap ? l->idx_cap * 2 : PEERS_CAP_FIRST;
		struct idx_ent *ni;

		if (l->idx_cap >= limit)
			return DTT_ERR_FULL;
		if (cap > limit)
			cap = limit;
		ni = dtt_realloc(l->idx, cap * sizeof(*ni));
		if (!ni)
			return DTT_ERR_NOMEM;
		l->idx = ni;
		l->idx_cap = cap;
	}
	for (int draw = 0; draw < IDX_DRAWS; draw++) {
		uint8_t b[4];
		uint32_t idx, pos;
		bool found;

		dtt_env_random(l->env, b, sizeof(b));
		idx = load_le32(b);
		pos = idx_search(l, idx, &found);
		if (found)
			continue;
		memmove(&l->idx[pos + 1], &l->idx[pos], (l->idx_count - pos) * sizeof(*l->idx));
		l->idx[pos].idx = idx;
		l->idx[pos].p = p;
		l->idx_count++;
		*out = idx;
		return 0;
	}
	return DTT_ERR_FULL;
}

static void idx_remove(struct dtt_links *l, uint32_t idx)
{
	bool found;
	uint32_t pos = idx_search(l, idx, &found);

	if (!found)
		return;
	memmove(&l->idx[pos], &l->idx[pos + 1], (l->idx_count - pos - 1) * sizeof(*l->idx));
	l->idx_count--;
}

/* ---- connection state ---- */

static void sess_release(struct dtt_links *l, struct sess *s)
{
	if (s->live)
		idx_remove(l, s->local_idx);
	sodium_memzero(s, sizeof(*s));
}

static void hs_release(struct dtt_links *l, struct hs *hs)
{
	if (hs->live)
		idx_remove(l, hs->local_idx);
	sodium_memzero(hs, sizeof(*hs));
}

static void queue_clear(struct conn *c)
{
	while (c->q_head) {
		struct qmsg *m = c->q_head;

		c->q_head = m->next;
		dtt_free_secret(m, sizeof(*m) + m->len);
	}
	c->q_tail = NULL;
	c->q_len = 0;
}

static struct conn *conn_of(const struct peer *p)
{
	return p->live ? p->live->conn : NULL;
}

static void conn_free(struct dtt_links *l, struct peer *p)
{
	struct conn *c = conn_of(p);

	if (!c)
		return;
	hs_release(l, &c->hs);
	sess_release(l, &c->cur);
	sess_release(l, &c->alt);
	queue_clear(c);
	if (c->has_hint)
		p->addr = c->hint;
	dtt_free_secret(c, sizeof(*c));
	p->live->conn = NULL; /* a connection comes with a peer_live */
	p->epoch++;
}

static bool conn_is_empty(const struct conn *c)
{
	return !c->cur.live && !c->alt.live && !c->hs.live && c->q_len == 0;
}

static void peer_timer_expired(struct dtt_timer *t);

/* The peer's timer and timestamps (NULL: out of memory). */
static struct peer_live *live_get(struct dtt_links *l, struct peer *p)
{
	if (!p->live) {
		p->live = dtt_alloc(sizeof(*p->live));
		if (!p->live)
			return NULL;
		dtt_timer_init(&p->live->timer, peer_timer_expired);
		p->live->l = l;
		p->live->p = p;
	}
	return p->live;
}

static void live_free(struct dtt_links *l, struct peer *p)
{
	if (!p->live)
		return;
	dtt_timer_cancel(l->timers, &p->live->timer);
	dtt_free(p->live);
	p->live = NULL;
}

/* A connection comes with a peer_live. */
static struct conn *conn_get(struct dtt_links *l, struct peer *p)
{
	if (!live_get(l, p))
		return NULL;
	if (!p->live->conn)
		p->live->conn = dtt_alloc(sizeof(*p->live->conn));
	return p->live->conn;
}

static bool can_send(const struct conn *c)
{
	return c && c->cur.live && c->cur.send_n < SEND_LIMIT;
}

/* ---- timers ---- */

static uint64_t rekey_after_ms(const struct dtt_links *l, const struct sess *s)
{
	/* The side that answered waits a handshake window longer, so that normally only the
	 * initiator of a session renews it and the two never cross. */
	return l->cfg.rekey_ms + (s->initiator ? 0 : hs_window_ms(l));
}

/* When a watched peer is due a ping: keepalive_ms after its last datagram, and once it has
 * been that quiet (a lossy link, or a dead peer) every keepalive_ms / 10, so that a run of
 * lost datagrams does not pass for a dead peer before dead_ms (at 30% loss, 20 pings that
 * all go unanswered: 1 in 700,000). A dead peer costs those 20 pings. */
static uint64_t ping_due_ms(const struct dtt_links *l, const struct peer *p)
{
	uint32_t gap = l->cfg.keepalive_ms / 10 ? l->cfg.keepalive_ms / 10 : 1;

	return max64(p->live->last_rx_ms + l->cfg.keepalive_ms, p->live->last_ping_ms + gap);
}

static uint64_t peer_deadline(const struct dtt_links *l, const struct peer *p)
{
	const struct conn *c = conn_of(p);
	uint64_t t = UINT64_MAX;

	/* a watch and a connection come with a peer_live */
	if (p->watched)
		t = max64(p->live->last_rx_ms, p->live->watch_ms) + l->cfg.dead_ms;
	if (!c)
		return t;
	if (c->hs.live)
		t = min64(t, c->hs.sent_ms + l->cfg.handshake_timeout_ms);
	if (c->alt.live)
		t = min64(t, c->alt_expire_ms);
	if (!p->watched && !c->hs.live && c->q_len == 0)
		t = min64(t, max64(p->live->last_rx_ms, p->last_tx_ms) + l->cfg.rekey_ms);
	if (p->watched && c->cur.live) {
		t = min64(t, p->last_tx_ms + l->cfg.keepalive_ms);
		t = min64(t, ping_due_ms(l, p));
	}
	if (c->cur.live && !c->hs.live)
		t = min64(t, max64(c->cur.created_ms + rekey_after_ms(l, &c->cur),
				   c->rekey_retry_ms));
	return t;
}

static void peer_schedule(struct dtt_links *l, struct peer *p)
{
	uint64_t t = peer_deadline(l, p);

	if (t == UINT64_MAX) {
		if (!conn_of(p) && !p->watched)
			live_free(l, p);
		else if (p->live)
			dtt_timer_cancel(l->timers, &p->live->timer);
		return;
	}
	if (dtt_timer_is_armed(&p->live->timer) && p->live->timer.deadline_ms == t)
		return;
	dtt_timer_arm(l->timers, &p->live->timer, t);
}

/* ---- sending ---- */

static void send_data(struct dtt_links *l, struct peer *p, uint8_t flags, const uint8_t *msg,
		      size_t len)
{
	struct sess *s = &conn_of(p)->cur;
	uint8_t buf[DTT_LINK_DATAGRAM_MAX];
	uint8_t nonce[DTT_AEAD_NONCE_BYTES];
	uint64_t n = s->send_n++;

	buf[0] = TYPE_DATA;
	buf[1] = flags;
	store_le32(buf + 2, s->remote_idx);
	dtt_store_le64(buf + 6, n);
	dtt_noise_nonce(nonce, n);
	dtt_aead_seal(buf + DATA_HDR_BYTES, msg, len, buf, DATA_HDR_BYTES, nonce, s->send_key);
	p->last_tx_ms = now_ms(l);
	if (len)
		l->stats.messages_out++;
	else
		l->stats.keepalives_out++;
	send_raw(l, &p->addr, buf, DATA_HDR_BYTES + len + DTT_AEAD_TAG_BYTES);
}

static void send_keepalive(struct dtt_links *l, struct peer *p, bool ping)
{
	if (ping)
		p->live->last_ping_ms = now_ms(l);
	send_data(l, p, ping ? FLAG_PING : 0, NULL, 0);
}

/* Sends what waited for the session; returns how many. */
static uint32_t queue_flush(struct dtt_links *l, struct peer *p)
{
	struct conn *c = conn_of(p);
	uint32_t sent = 0;

	while (c->q_head && can_send(c)) {
		struct qmsg *m = c->q_head;

		c->q_head = m->next;
		c->q_len--;
		send_data(l, p, 0, m->data, m->len);
		dtt_free_secret(m, sizeof(*m) + m->len);
		sent++;
	}
	if (!c->q_head)
		c->q_tail = NULL;
	return sent;
}

/* The next initiation timestamp: the wall clock, but strictly increasing within this
 * instance, so that a peer never refuses our retry as a replay. */
static uint64_t next_timestamp(struct dtt_links *l)
{
	int64_t wall = dtt_env_wall_ms(l->env);
	uint64_t ts = wall > 0 ? (uint64_t)wall : 0;

	if (ts <= l->ts_last)
		ts = l->ts_last + 1;
	l->ts_last = ts;
	return ts;
}

/* One attempt: a fresh ephemeral and timestamp, the same receiver index. */
static int hs_send(struct dtt_links *l, struct peer *p)
{
	struct hs *hs = &conn_of(p)->hs;
	uint8_t payload[INIT_PAYLOAD_BYTES];
	uint8_t buf[INIT_BYTES];
	struct dtt_noise_sym sym = l->init_base;
	uint8_t xpub[DTT_X25519_BYTES];
	int rc;

	/* The id's X25519 form (the Noise static key) is derived where it is needed rather than
	 * kept in every address book entry; peer_add checked that it exists. */
	if (dtt_crypto_pk_to_x25519(l->env->crypto, xpub, p->id) != 0)
		return DTT_ERR_CRYPTO;
	dtt_env_random(l->env, hs->e_priv, sizeof(hs->e_priv));
	memcpy(payload, l->id, DTT_LINK_ID_BYTES);
	dtt_store_le64(payload + DTT_LINK_ID_BYTES, next_timestamp(l));
	store_le32(payload + DTT_LINK_ID_BYTES + 8, hs->local_idx);
	dtt_noise_ik_premessage(&sym, xpub);
	buf[0] = TYPE_INIT;
	rc = dtt_noise_ik_write_init(&sym, l->env->crypto, buf + 1, hs->e_priv, l->s_priv,
				     l->s_pub, xpub, payload, sizeof(payload));
	if (rc == 0) {
		hs->sym = sym;
		memcpy(hs->e_pub, buf + 1, sizeof(hs->e_pub));
		hs->sent_ms = now_ms(l);
		send_raw(l, &p->addr, buf, sizeof(buf));
	}
	dtt_noise_wipe(&sym);
	return rc;
}

static int hs_start(struct dtt_links *l, struct peer *p)
{
	struct hs *hs = &conn_of(p)->hs;
	int rc = idx_add(l, p, &hs->local_idx);

	if (rc)
		return rc;
	hs->live = true;
	hs->attempts = 1;
	rc = hs_send(l, p);
	if (rc) {
		hs_release(l, hs);
		return rc;
	}
	l->stats.handshakes_started++;
	return 0;
}

/* Tears the connection down. Returns whether the upper layer has to hear of it (the rules of
 * link.h): the peer was watched or up, or messages were lost. */
static bool peer_down(struct dtt_links *l, struct peer *p)
{
	const struct conn *c = conn_of(p);
	bool notify = p->watched || p->up || (c && c->q_len > 0);

	conn_free(l, p);
	if (p->up)
		l->stats.sessions_down++;
	p->up = false;
	p->watched = false;
	peer_schedule(l, p);
	return notify;
}

static void fire_down(struct dtt_links *l, struct peer *p, int reason)
{
	uint8_t id[DTT_LINK_ID_BYTES];

	/* The callback may evict p: hand it a copy. */
	memcpy(id, p->id, sizeof(id));
	if (l->cb.on_down)
		l->cb.on_down(l->ctx, id, reason);
}

static void fire_up(struct dtt_links *l, struct peer *p)
{
	uint8_t id[DTT_LINK_ID_BYTES];

	memcpy(id, p->id, sizeof(id));
	if (l->cb.on_up)
		l->cb.on_up(l->ctx, id);
}

/* ---- peers ---- */

static bool peer_evictable(const struct dtt_links *l, const struct peer *p)
{
	const struct conn *c = conn_of(p);

	return !p->watched && p != l->busy && (!c || c->q_len == 0);
}

static void peer_destroy(struct dtt_links *l, struct peer *p)
{
	conn_free(l, p);
	live_free(l, p);
	if (p->up)
		l->stats.sessions_down++;
	dtt_free(p);
}

static int peer_evict_one(struct dtt_links *l)
{
	uint32_t victim = UINT32_MAX;

	for (uint32_t i = 0; i < l->peers_count; i++) {
		const struct peer *p = l->peers[i];

		if (peer_evictable(l, p) &&
		    (victim == UINT32_MAX || p->lru < l->peers[victim]->lru))
			victim = i;
	}
	if (victim == UINT32_MAX)
		return DTT_ERR_FULL;
	peer_destroy(l, l->peers[victim]);
	memmove(&l->peers[victim], &l->peers[victim + 1],
		(l->peers_count - victim - 1) * sizeof(*l->peers));
	memmove(&l->keys[victim], &l->keys[victim + 1],
		(l->peers_count - victim - 1) * sizeof(*l->keys));
	l->peers_count--;
	return 0;
}

/* Adds id (xpub: its X25519 form when already known, which proves id a valid key). Evicts when
 * full. */
static struct peer *peer_add(struct dtt_links *l, const uint8_t id[DTT_LINK_ID_BYTES],
			     const uint8_t *xpub, int *err)
{
	uint8_t x[DTT_X25519_BYTES];
	struct peer *p;
	uint32_t pos;
	bool found;

	if (sodium_memcmp(id, l->id, DTT_LINK_ID_BYTES) == 0) {
		*err = DTT_ERR_INVALID;
		return NULL;
	}
	if (xpub) {
		memcpy(x, xpub, sizeof(x));
	} else if (dtt_crypto_pk_to_x25519(l->env->crypto, x, id) != 0) {
		*err = DTT_ERR_INVALID;
		return NULL;
	}
	if (l->peers_count >= l->cfg.peers_max && peer_evict_one(l) != 0) {
		*err = DTT_ERR_FULL;
		return NULL;
	}
	if (l->peers_count == l->peers_cap) {
		uint32_t cap = l->peers_cap ? l->peers_cap * 2 : PEERS_CAP_FIRST;
		struct peer **np;
		uint16_t *nk;

		if (cap > l->cfg.peers_max)
			cap = l->cfg.peers_max;
		np = dtt_realloc(l->peers, cap * sizeof(*np));
		if (!np) {
			*err = DTT_ERR_NOMEM;
			return NULL;
		}
		l->peers = np;
		nk = dtt_realloc(l->keys, cap * sizeof(*nk));
		if (!nk) {
			*err = DTT_ERR_NOMEM;
			return NULL;
		}
		l->keys = nk;
		l->peers_cap = cap;
	}
	p = dtt_alloc(sizeof(*p));
	if (!p) {
		*err = DTT_ERR_NOMEM;
		return NULL;
	}
	memcpy(p->id, id, DTT_LINK_ID_BYTES);
	touch(l, p);
	pos = peer_search(l, id, &found);
	memmove(&l->peers[pos + 1], &l->peers[pos], (l->peers_count - pos) * sizeof(*l->peers));
	memmove(&l->keys[pos + 1], &l->keys[pos], (l->peers_count - pos) * sizeof(*l->keys));
	l->peers[pos] = p;
	l->keys[pos] = id_key(id);
	l->peers_count++;
	return p;
}

static struct peer *peer_get(struct dtt_links *l, const uint8_t id[DTT_LINK_ID_BYTES], int *err)
{
	struct peer *p = peer_find(l, id);

	return p ? p : peer_add(l, id, NULL, err);
}

/* ---- the peer timer ---- */

static void peer_timer_expired(struct dtt_timer *t)
{
	struct peer_live *live = DTT_CONTAINER_OF(t, struct peer_live, timer);
	struct dtt_links *l = live->l;
	struct peer *p = live->p;
	struct conn *c = conn_of(p);
	uint64_t now = now_ms(l);

	/* live lasts while p has its connection or watch: peer_schedule (peer_down calls it) may
	 * free it once neither is left, so nothing reads live after those */
	if (p->watched && now >= max64(live->last_rx_ms, live->watch_ms) + l->cfg.dead_ms) {
		peer_down(l, p);
		fire_down(l, p, DTT_LINK_DOWN_TIMED_OUT);
		return;
	}
	if (!c) {
		peer_schedule(l, p);
		return;
	}
	if (c->hs.live && now >= c->hs.sent_ms + l->cfg.handshake_timeout_ms) {
		if (c->hs.attempts < l->cfg.handshake_attempts && hs_send(l, p) == 0) {
			c->hs.attempts++;
		} else if (can_send(c)) {
			/* A rekey that got no answer (loss) while the session still works: keep
			 * it, try again a handshake window later; liveness judges the peer. */
			hs_release(l, &c->hs);
			c->rekey_retry_ms = now + hs_window_ms(l);
			l->stats.rekeys_failed++;
		} else {
			goto failed;
		}
	}
	if (c->alt.live && now >= c->alt_expire_ms) {
		sess_release(l, &c->alt);
		if (c->q_len && !c->cur.live && !c->hs.live && hs_start(l, p) != 0)
			goto failed;
	}
	if (!p->watched && !c->hs.live && c->q_len == 0 &&
	    now >= max64(live->last_rx_ms, p->last_tx_ms) + l->cfg.rekey_ms) {
		peer_down(l, p); /* idle and unwatched: quietly */
		return;
	}
	if (p->watched && can_send(c) &&
	    (now >= p->last_tx_ms + l->cfg.keepalive_ms ||
	     now >= ping_due_ms(l, p)))
		send_keepalive(l, p, true);
	if (c->cur.live && !c->hs.live && now >= c->cur.created_ms + rekey_after_ms(l, &c->cur) &&
	    now >= c->rekey_retry_ms && hs_start(l, p) != 0)
		goto failed;
	if (conn_is_empty(c))
		conn_free(l, p);
	peer_schedule(l, p);
	/* Every due condition was handled above, so the next deadline is in the future; should
	 * that ever not hold, move on by a millisecond rather than spin in dtt_timers_run. */
	if (p->live && dtt_timer_is_armed(&p->live->timer) && p->live->timer.deadline_ms <= now)
		dtt_timer_arm(l->timers, &p->live->timer, now + 1);
	return;

failed:
	if (peer_down(l, p))
		fire_down(l, p, DTT_LINK_DOWN_FAILED);
}

/* ---- inbound ---- */

static bool addr_same_host(const struct rate_ent *e, const struct dtt_addr *a)
{
	size_t n = a->family == DTT_AF_INET ? 4 : 16;

	return e->family == a->family && memcmp(e->addr, a->addr, n) == 0;
}

/* Counts one initiation from a's host; false when its window is used up. */
static bool rate_allow(struct dtt_links *l, const struct dtt_addr *a)
{
	uint64_t now = now_ms(l);
	struct rate_ent *e = NULL;

	for (int i = 0; i < RATE_MAX; i++) {
		if (l->rate[i].used && addr_same_host(&l->rate[i], a)) {
			e = &l->rate[i];
			break;
		}
	}
	if (!e) {
		/* A free slot, else the one whose window began first (lowest slot on ties). */
		e = &l->rate[0];
		for (int i = 0; i < RATE_MAX && e->used; i++) {
			if (!l->rate[i].used || l->rate[i].start_ms < e->start_ms)
				e = &l->rate[i];
		}
		memset(e, 0, sizeof(*e));
		e->used = true;
		e->family = a->family;
		memcpy(e->addr, a->addr, sizeof(e->addr));
		e->start_ms = now;
	}
	if (now - e->start_ms >= RATE_WINDOW_MS) {
		e->start_ms = now;
		e->count = 0;
	}
	if (e->count >= l->cfg.handshakes_per_s)
		return false;
	e->count++;
	return true;
}

/* Message 1: "-> e, es, s, ss" with payload id || timestamp || sender index. */
static void on_init(struct dtt_links *l, const struct dtt_addr *from, const uint8_t *buf,
		    size_t len)
{
	struct dtt_noise_sym sym;
	uint8_t re[DTT_X25519_BYTES], rs[DTT_X25519_BYTES], x[DTT_X25519_BYTES];
	uint8_t payload[INIT_PAYLOAD_BYTES], reply[RESP_BYTES], lidx_le[4];
	uint8_t e_priv[DTT_X25519_BYTES], k1[DTT_AEAD_KEY_BYTES], k2[DTT_AEAD_KEY_BYTES];
	const uint8_t *id = payload;
	struct peer *p;
	struct conn *c;
	uint64_t ts, now;
	uint32_t sidx, lidx;
	int err;

	if (len < INIT_BYTES) {
		drop(l, DTT_LINKS_DROP_SHORT);
		return;
	}
	if (len > INIT_BYTES) {
		drop(l, DTT_LINKS_DROP_OVERSIZE);
		return;
	}
	/* Before any DH: this is what an attacker can make us spend. */
	if (!rate_allow(l, from)) {
		drop(l, DTT_LINKS_DROP_RATE);
		return;
	}
	sym = l->resp_base;
	if (dtt_noise_ik_read_init(&sym, l->env->crypto, re, rs, payload, buf + 1, len - 1,
				   l->s_priv, l->s_pub) != 0)
		goto bad;
	ts = dtt_load_le64(payload + DTT_LINK_ID_BYTES);
	sidx = load_le32(payload + DTT_LINK_ID_BYTES + 8);
	p = peer_find(l, id);
	if (p) {
		if (dtt_crypto_pk_to_x25519(l->env->crypto, x, p->id) != 0 ||
		    sodium_memcmp(x, rs, DTT_X25519_BYTES) != 0)
			goto bad; /* claims an id whose key it does not hold */
		if (ts <= p->init_ts) {
			drop(l, DTT_LINKS_DROP_REPLAY);
			goto out;
		}
	} else {
		if (sodium_memcmp(id, l->id, DTT_LINK_ID_BYTES) == 0 ||
		    dtt_crypto_pk_to_x25519(l->env->crypto, x, id) != 0 ||
		    sodium_memcmp(x, rs, DTT_X25519_BYTES) != 0)
			goto bad;
		p = peer_add(l, id, x, &err);
		if (!p) {
			drop(l, DTT_LINKS_DROP_FULL);
			goto out;
		}
	}
	now = now_ms(l);
	p->init_ts = ts;
	touch(l, p);
	if (!p->has_addr) {
		p->addr = *from;
		p->has_addr = true;
	}
	c = conn_of(p);
	if (c && c->hs.live && memcmp(l->id, p->id, DTT_LINK_ID_BYTES) < 0) {
		/* Both sides initiated: the lower id's initiation wins, this one is dropped. */
		p->live->last_rx_ms = now;
		l->stats.handshakes_crossed++;
		peer_schedule(l, p);
		goto out;
	}
	c = conn_get(l, p);
	if (!c) {
		drop(l, DTT_LINKS_DROP_FULL);
		goto out;
	}
	p->live->last_rx_ms = now;
	if (c->hs.live) {
		l->stats.handshakes_crossed++;
		hs_release(l, &c->hs); /* theirs wins; our queue waits for the confirmation */
	}
	sess_release(l, &c->alt);
	if (idx_add(l, p, &lidx) != 0) {
		drop(l, DTT_LINKS_DROP_FULL);
		if (conn_is_empty(c))
			conn_free(l, p);
		peer_schedule(l, p);
		goto out;
	}
	dtt_env_random(l->env, e_priv, sizeof(e_priv));
	store_le32(lidx_le, lidx);
	reply[0] = TYPE_RESP;
	store_le32(reply + 1, sidx);
	if (dtt_noise_ik_write_resp(&sym, l->env->crypto, reply + 5, e_priv, re, rs, lidx_le,
				    sizeof(lidx_le))) {
		idx_remove(l, lidx);
		if (conn_is_empty(c))
			conn_free(l, p);
		peer_schedule(l, p);
		sodium_memzero(e_priv, sizeof(e_priv));
		goto bad;
	}
	dtt_noise_split(&sym, k1, k2);
	memcpy(c->alt.recv_key, k1, sizeof(k1));
	memcpy(c->alt.send_key, k2, sizeof(k2));
	c->alt.local_idx = lidx;
	c->alt.remote_idx = sidx;
	c->alt.created_ms = now;
	c->alt.live = true;
	c->alt_expire_ms = now + hs_window_ms(l);
	send_raw(l, from, reply, sizeof(reply));
	peer_schedule(l, p);
	sodium_memzero(e_priv, sizeof(e_priv));
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	goto out;

bad:
	drop(l, DTT_LINKS_DROP_HANDSHAKE);
out:
	dtt_noise_wipe(&sym);
	sodium_memzero(payload, sizeof(payload));
}

/* Message 2: "<- e, ee, se" with payload sender index, to the index of our message 1. */
static void on_resp(struct dtt_links *l, const struct dtt_addr *from, const uint8_t *buf,
		    size_t len)
{
	struct dtt_noise_sym sym;
	uint8_t payload[RESP_PAYLOAD_BYTES], k1[DTT_AEAD_KEY_BYTES], k2[DTT_AEAD_KEY_BYTES];
	struct peer *p, *busy;
	struct conn *c;
	struct sess s;
	uint32_t idx;
	bool became_up;

	if (len < RESP_BYTES) {
		drop(l, DTT_LINKS_DROP_SHORT);
		return;
	}
	if (len > RESP_BYTES) {
		drop(l, DTT_LINKS_DROP_OVERSIZE);
		return;
	}
	idx = load_le32(buf + 1);
	p = idx_find(l, idx);
	if (!p) {
		drop(l, DTT_LINKS_DROP_UNKNOWN_INDEX);
		return;
	}
	c = conn_of(p);
	if (!c->hs.live || c->hs.local_idx != idx) {
		drop(l, DTT_LINKS_DROP_REPLAY); /* its handshake is already done */
		return;
	}
	sym = c->hs.sym; /* a forged answer must not spoil the real one */
	if (dtt_noise_ik_read_resp(&sym, l->env->crypto, payload, buf + 5, len - 5, c->hs.e_priv,
				   c->hs.e_pub, l->s_priv, l->s_pub)) {
		dtt_noise_wipe(&sym);
		drop(l, DTT_LINKS_DROP_HANDSHAKE);
		return;
	}
	dtt_noise_split(&sym, k1, k2);
	dtt_noise_wipe(&sym);
	memset(&s, 0, sizeof(s));
	memcpy(s.send_key, k1, sizeof(k1));
	memcpy(s.recv_key, k2, sizeof(k2));
	s.local_idx = idx; /* the handshake's index now names the session */
	s.remote_idx = load_le32(payload);
	s.created_ms = now_ms(l);
	s.live = s.initiator = s.confirmed = true;
	sodium_memzero(&c->hs, sizeof(c->hs));
	if (c->cur.live) {
		sess_release(l, &c->alt);
		c->alt = c->cur;
		c->alt_expire_ms = s.created_ms + hs_window_ms(l);
	} else {
		sess_release(l, &c->alt);
	}
	c->cur = s;
	sodium_memzero(&s, sizeof(s));
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	p->addr = *from;
	p->has_addr = true;
	p->live->last_rx_ms = c->cur.created_ms;
	touch(l, p);
	l->stats.handshakes_completed++;
	became_up = !p->up;
	if (became_up) {
		p->up = true;
		l->stats.sessions_up++;
	}
	/* The first transport datagram confirms the session to the responder. */
	if (queue_flush(l, p) == 0)
		send_keepalive(l, p, false);
	peer_schedule(l, p);
	if (became_up) {
		busy = l->busy;
		l->busy = p;
		fire_up(l, p);
		l->busy = busy;
	}
}

/* The loss estimate: a session's counters number every datagram the peer sent on it, so
 * after each LOSS_BLOCK received datagrams the gap to the greatest counter is what was lost
 * on the way (late arrivals from the block before are counted in this one, never below
 * zero). Blocks are smoothed with weight 1/LOSS_WEIGHT; the estimate outlives rekeys. */
static void loss_sample(struct conn *c, struct sess *s)
{
	uint64_t sent;
	uint32_t pm;

	if (++s->est_rx < LOSS_BLOCK)
		return;
	sent = s->rw.top + 1 - s->est_from;
	if (sent < s->est_rx)
		sent = s->est_rx;
	pm = (uint32_t)((sent - s->est_rx) * 1000 / sent);
	c->loss_pm = (uint16_t)((c->loss_pm * (LOSS_WEIGHT - 1) + pm) / LOSS_WEIGHT);
	c->loss_known = true;
	s->est_from = s->rw.top + 1;
	s->est_rx = 0;
}

static void on_data(struct dtt_links *l, const struct dtt_addr *from, const uint8_t *buf,
		    size_t len)
{
	uint8_t pt[DTT_LINK_DATAGRAM_MAX];
	uint8_t nonce[DTT_AEAD_NONCE_BYTES];
	uint8_t flags = buf[1];
	uint32_t idx = load_le32(buf + 2);
	uint64_t n = dtt_load_le64(buf + 6);
	size_t pt_len = len - DATA_MIN_BYTES;
	struct peer *p, *busy;
	struct conn *c;
	struct sess *s;
	bool became_up = false, was_up;
	uint8_t epoch;

	p = idx_find(l, idx);
	if (!p) {
		drop(l, DTT_LINKS_DROP_UNKNOWN_INDEX);
		return;
	}
	c = conn_of(p);
	if (c->cur.live && c->cur.local_idx == idx) {
		s = &c->cur;
	} else if (c->alt.live && c->alt.local_idx == idx) {
		s = &c->alt;
	} else {
		drop(l, DTT_LINKS_DROP_UNKNOWN_INDEX); /* a handshake index */
		return;
	}
	if (!replay_ok(&s->rw, n)) {
		drop(l, DTT_LINKS_DROP_REPLAY);
		return;
	}
	dtt_noise_nonce(nonce, n);
	if (dtt_aead_open(pt, buf + DATA_HDR_BYTES, len - DATA_HDR_BYTES, buf, DATA_HDR_BYTES,
			  nonce, s->recv_key) != 0) {
		drop(l, DTT_LINKS_DROP_AUTH);
		return;
	}
	replay_commit(&s->rw, n);
	loss_sample(c, s);

	p->live->last_rx_ms = now_ms(l);
	p->addr = *from;
	p->has_addr = true;
	touch(l, p);
	was_up = p->up;
	if (s == &c->alt && !c->alt.confirmed) {
		/* The initiator's first datagram confirms the session we answered: it becomes
		 * current and the old one stays receivable for a while. */
		struct sess old = c->cur;

		c->cur = c->alt;
		c->cur.confirmed = true;
		c->alt = old;
		c->alt_expire_ms = p->live->last_rx_ms + hs_window_ms(l);
		sodium_memzero(&old, sizeof(old));
		s = &c->cur;
		l->stats.handshakes_completed++;
		if (!p->up) {
			p->up = true;
			became_up = true;
			l->stats.sessions_up++;
		}
		queue_flush(l, p);
	}
	if (flags & FLAG_CLOSE) {
		if (s == &c->cur) {
			p->up = was_up; /* a session closed as it came up was never reported */
			if (became_up)
				l->stats.sessions_up--;
			if (peer_down(l, p))
				fire_down(l, p, DTT_LINK_DOWN_CLOSED);
		} else {
			peer_schedule(l, p); /* an older session's close: the current one stays */
		}
		sodium_memzero(pt, pt_len);
		return;
	}
	if (flags & FLAG_PING)
		send_keepalive(l, p, false);
	if (pt_len)
		l->stats.messages_in++;
	peer_schedule(l, p);

	busy = l->busy;
	l->busy = p;
	epoch = p->epoch;
	if (became_up)
		fire_up(l, p);
	if (pt_len && p->epoch == epoch && l->cb.on_message) {
		uint8_t id[DTT_LINK_ID_BYTES];

		memcpy(id, p->id, sizeof(id));
		l->cb.on_message(l->ctx, id, pt, pt_len);
	}
	l->busy = busy;
	sodium_memzero(pt, pt_len);
}

void dtt_links_on_datagram(struct dtt_links *l, const struct dtt_addr *from, const uint8_t *buf,
			   size_t len)
{
	l->stats.datagrams_in++;
	l->stats.bytes_in += len;
	if (len == 0) {
		drop(l, DTT_LINKS_DROP_SHORT);
		return;
	}
	switch (buf[0]) {
	case TYPE_INIT: on_init(l, from, buf, len); return;
	case TYPE_RESP: on_resp(l, from, buf, len); return;
	case TYPE_DATA:
		if (len < DATA_MIN_BYTES)
			drop(l, DTT_LINKS_DROP_SHORT);
		else if (len > DTT_LINK_DATAGRAM_MAX)
			drop(l, DTT_LINKS_DROP_OVERSIZE);
		else
			on_data(l, from, buf, len);
		return;
	default: drop(l, DTT_LINKS_DROP_TYPE); return;
	}
}

bool dtt_links_is_frame(const uint8_t *buf, size_t len)
{
	return len > 0 && (buf[0] == TYPE_INIT || buf[0] == TYPE_RESP || buf[0] == TYPE_DATA);
}

/* ---- API ---- */

struct dtt_links *dtt_links_new(const struct dtt_env *env, struct dtt_timers *timers,
				const uint8_t identity_sk[64], const struct dtt_links_config *cfg,
				const struct dtt_links_callbacks *cb, void *ctx)
{
	struct dtt_links *l;
	uint8_t x[DTT_X25519_BYTES];

	if (!env || !timers || !identity_sk || !cfg || cfg->peers_max == 0 ||
	    cfg->peers_max > PEERS_MAX_LIMIT || cfg->queue_max == 0 ||
	    cfg->handshake_timeout_ms == 0 || cfg->handshake_attempts == 0 ||
	    cfg->keepalive_ms == 0 || cfg->dead_ms == 0 || cfg->rekey_ms == 0 ||
	    cfg->handshakes_per_s == 0)
		return NULL;
	l = dtt_alloc(sizeof(*l));
	if (!l)
		return NULL;
	l->env = env;
	l->timers = timers;
	if (cb)
		l->cb = *cb;
	l->ctx = ctx;
	l->cfg = *cfg;
	memcpy(l->id, identity_sk + DTT_ED25519_SEED_BYTES, DTT_LINK_ID_BYTES);
	dtt_ed25519_seed_to_x25519(l->s_priv, identity_sk);
	dtt_crypto_x25519_base(env->crypto, l->s_pub, l->s_priv);
	/* The public half must be the seed's: a mismatched key could never be reached. */
	if (dtt_crypto_pk_to_x25519(env->crypto, x, l->id) != 0 ||
	    sodium_memcmp(x, l->s_pub, DTT_X25519_BYTES) != 0) {
		dtt_free_secret(l, sizeof(*l));
		return NULL;
	}
	dtt_noise_init(&l->init_base, protocol_name, (const uint8_t *)prologue, strlen(prologue));
	l->resp_base = l->init_base;
	dtt_noise_ik_premessage(&l->resp_base, l->s_pub);
	return l;
}

void dtt_links_free(struct dtt_links *l)
{
	if (!l)
		return;
	for (uint32_t i = 0; i < l->peers_count; i++)
		peer_destroy(l, l->peers[i]);
	dtt_free(l->peers);
	dtt_free(l->keys);
	dtt_free(l->idx);
	dtt_free_secret(l, sizeof(*l));
}

const uint8_t *dtt_links_id(const struct dtt_links *l)
{
	return l->id;
}

int dtt_links_set_addr(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES],
		       const struct dtt_addr *addr)
{
	int err = 0;
	struct peer *p;
	struct conn *c;

	if (!addr || (addr->family != DTT_AF_INET && addr->family != DTT_AF_INET6))
		return DTT_ERR_INVALID;
	p = peer_get(l, peer, &err);
	if (!p)
		return err;
	touch(l, p);
	c = conn_of(p);
	if (!can_send(c)) {
		p->addr = *addr;
		p->has_addr = true;
		if (c)
			c->has_hint = false;
	} else if (!dtt_addr_eq(addr, &p->addr)) {
		/* The session's address is the one the peer proved; this one is for later. */
		c->hint = *addr;
		c->has_hint = true;
	}
	return 0;
}

int dtt_links_addr(const struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES],
		   struct dtt_addr *out)
{
	const struct peer *p = peer_find(l, peer);

	if (!p || !p->has_addr)
		return DTT_ERR_NOTFOUND;
	*out = p->addr;
	return 0;
}

int dtt_links_loss_pm(const struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES])
{
	const struct peer *p = peer_find(l, peer);
	const struct conn *c = p ? conn_of(p) : NULL;

	if (!c || !c->loss_known)
		return -1;
	return c->loss_pm;
}

int dtt_links_send(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES], const uint8_t *msg,
		   size_t len)
{
	struct peer *p;
	struct conn *c;
	struct qmsg *m;

	if (len > DTT_LINK_PAYLOAD_MAX)
		return DTT_ERR_TOOBIG;
	if (len == 0 || !msg)
		return DTT_ERR_INVALID;
	p = peer_find(l, peer);
	if (!p || (!p->has_addr && !can_send(conn_of(p))))
		return DTT_ERR_NOTFOUND;
	touch(l, p);
	c = conn_of(p);
	if (can_send(c)) {
		send_data(l, p, 0, msg, len);
		if (!c->hs.live && now_ms(l) >= c->cur.created_ms + rekey_after_ms(l, &c->cur))
			(void)hs_start(l, p); /* the timer retries or fails it if this fails */
		peer_schedule(l, p);
		return 0;
	}
	if (c && c->q_len >= l->cfg.queue_max) {
		drop(l, DTT_LINKS_DROP_FULL);
		return DTT_ERR_FULL;
	}
	c = conn_get(l, p);
	if (!c)
		return DTT_ERR_NOMEM;
	m = dtt_alloc(sizeof(*m) + len);
	if (!m) {
		if (conn_is_empty(c))
			conn_free(l, p);
		return DTT_ERR_NOMEM;
	}
	memcpy(m->data, msg, len);
	m->len = len;
	/* An answered session about to be confirmed needs no handshake of ours. */
	if (!c->hs.live && !(c->alt.live && !c->alt.confirmed)) {
		int rc = hs_start(l, p);

		if (rc) {
			dtt_free(m);
			if (conn_is_empty(c))
				conn_free(l, p);
			peer_schedule(l, p);
			return rc;
		}
	}
	if (c->q_tail)
		c->q_tail->next = m;
	else
		c->q_head = m;
	c->q_tail = m;
	c->q_len++;
	peer_schedule(l, p);
	return 0;
}

void dtt_links_watch(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES], bool watch)
{
	struct peer *p;
	int err = 0;

	if (!watch) {
		p = peer_find(l, peer);
		if (p && p->watched) {
			p->watched = false;
			peer_schedule(l, p);
		}
		return;
	}
	p = peer_get(l, peer, &err);
	if (!p) {
		drop(l, DTT_LINKS_DROP_FULL);
		return;
	}
	touch(l, p);
	if (p->watched)
		return;
	if (!live_get(l, p)) {
		drop(l, DTT_LINKS_DROP_FULL);
		return;
	}
	p->watched = true;
	p->live->watch_ms = now_ms(l);
	if (p->has_addr && !can_send(conn_of(p))) {
		struct conn *c = conn_get(l, p);

		/* A failure here leaves the peer silent: the dead-peer timeout reports it. */
		if (c && !c->hs.live && !(c->alt.live && !c->alt.confirmed) && hs_start(l, p) &&
		    conn_is_empty(c))
			conn_free(l, p);
	}
	peer_schedule(l, p);
}

void dtt_links_close(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES])
{
	struct peer *p = peer_find(l, peer);
	bool had;

	if (!p)
		return;
	had = conn_of(p) != NULL;
	if (can_send(conn_of(p)))
		send_data(l, p, FLAG_CLOSE, NULL, 0);
	peer_down(l, p);
	if (had)
		fire_down(l, p, DTT_LINK_DOWN_CLOSED);
}

bool dtt_links_has_session(const struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES])
{
	const struct peer *p = peer_find(l, peer);

	return p && can_send(conn_of(p));
}

const struct dtt_links_stats *dtt_links_stats(const struct dtt_links *l)
{
	return &l->stats;
}
