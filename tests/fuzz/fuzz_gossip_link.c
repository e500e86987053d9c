/* fuzz_gossip_link.c - libFuzzer target for the gossip link frame decoder and state machine
 * (core/gossip/link.h, spec/GOSSIP.md §12).
 *
 * Every input starts from the same world: links A and B on a tiny in-file env (manual clock,
 * an outbox, a fixed-seed random stream) with an established session. The input is then read
 * as a program of operations: arbitrary datagrams to A or B (from the peer's address or a
 * stranger's), real messages from A with bytes of the input XORed in, replays of any datagram
 * seen so far, clock jumps that run the timers, and API calls (send, watch, close).
 *
 * Speed: the identities are derived once, and both sides share one crypto memo across inputs
 * (core/crypto/provider.h): every input replays the same setup handshake from the same seeded
 * random streams, so its X25519 values come from the memo. The public keys the links compute
 * from their secrets (the static ones at every dtt_links_new, the ephemeral ones at every
 * handshake, drawn from those same streams) come from a cache of the real function here
 * (base_cache): the provider's ops are the real primitives with that cache in front. A memo or
 * cache changes the cost of a primitive, never its result, so the links behave exactly as with
 * the plain primitives. The fuzz build also leaves the crypto itself out of the coverage
 * instrumentation (coverage-ignore.txt).
 *
 * Properties: no crash or sanitizer report; every message B delivers is one A sent, byte for
 * byte, and at most once (and the same the other way); a datagram is dropped under at most
 * one reason; every datagram the links send is a frame of at most DTT_LINK_DATAGRAM_MAX bytes
 * that does not start with 'd'.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "crypto.h"
#include "env.h"
#include "err.h"
#include "link.h"
#include "provider.h"
#include "rng.h"
#include "timer.h"

#define OUTBOX_MAX 64
#define SEEN_MAX   32
#define SENT_MAX   256
#define PUMP_MAX   256
#define MSG_MAX	   64
#define SEQ_BYTES  4

struct dgram {
	struct dtt_addr from, to;
	size_t len;
	uint8_t buf[DTT_LINK_DATAGRAM_MAX];
};

struct side {
	struct dtt_env env;
	struct dtt_timers timers;
	struct dtt_rng rng;
	struct dtt_addr addr;
	struct dtt_links *l;
	uint8_t sk[64], pk[32];
	/* what this side sent: message k starts with k (SEQ_BYTES, little-endian) */
	uint8_t sent[SENT_MAX][MSG_MAX];
	size_t sent_len[SENT_MAX];
	uint32_t sent_count;
	uint8_t got[SENT_MAX]; /* how often the other side delivered message k */
};

static struct world {
	uint64_t now;
	struct side s[2];
	struct dgram outbox[OUTBOX_MAX];
	size_t out_count;
	struct dgram seen[SEEN_MAX]; /* every datagram delivered so far, for replays */
	size_t seen_count;
} w;

static uint64_t env_now(void *ctx)
{
	return w.now;
}

static int64_t env_wall(void *ctx)
{
	return (int64_t)w.now;
}

static int env_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	struct side *s = ctx;

	CHECK(len > 0 && len <= DTT_LINK_DATAGRAM_MAX && buf[0] != 'd');
	if (w.out_count < OUTBOX_MAX) {
		struct dgram *d = &w.outbox[w.out_count++];

		d->from = s->addr;
		d->to = *to;
		d->len = len;
		memcpy(d->buf, buf, len);
	}
	return 0;
}

static void env_random(void *ctx, uint8_t *buf, size_t len)
{
	dtt_rng_fill(&((struct side *)ctx)->rng, buf, len);
}

static void env_log(void *ctx, int level, const char *module, const char *msg)
{
}

static const struct dtt_env_ops ops = {
    .now_ms = env_now,
    .wall_ms = env_wall,
    .send = env_send,
    .random = env_random,
    .log = env_log,
};

static void on_message(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES], const uint8_t *msg,
		       size_t len)
{
	struct side *me = ctx, *other = me == &w.s[0] ? &w.s[1] : &w.s[0];
	uint32_t k;

	/* authenticity: only the other side's messages, each exactly as sent, at most once */
	CHECK(memcmp(peer, other->pk, 32) == 0);
	CHECK(len >= SEQ_BYTES);
	k = (uint32_t)msg[0] | (uint32_t)msg[1] << 8 | (uint32_t)msg[2] << 16 |
	    (uint32_t)msg[3] << 24;
	CHECK(k < other->sent_count);
	CHECK(other->sent_len[k] == len && memcmp(other->sent[k], msg, len) == 0);
	CHECK(other->got[k] == 0);
	other->got[k]++;
}

static void on_up(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES])
{
}

static void on_down(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES], int reason)
{
	CHECK(reason >= DTT_LINK_DOWN_TIMED_OUT && reason <= DTT_LINK_DOWN_CLOSED);
}

static const struct dtt_links_callbacks cbs = {
    .on_message = on_message,
    .on_up = on_up,
    .on_down = on_down,
};

static struct side *side_at(const struct dtt_addr *a)
{
	for (int i = 0; i < 2; i++) {
		if (dtt_addr_eq(a, &w.s[i].addr))
			return &w.s[i];
	}
	return NULL;
}

static void remember(const struct dgram *d)
{
	w.seen[w.seen_count % SEEN_MAX] = *d;
	w.seen_count++;
}

/* Delivers the outbox (and whatever the deliveries send) in order, bounded. */
static void pump(void)
{
	for (int n = 0; n < PUMP_MAX && w.out_count > 0; n++) {
		struct dgram d = w.outbox[0];
		struct side *to;

		memmove(&w.outbox[0], &w.outbox[1], (w.out_count - 1) * sizeof(w.outbox[0]));
		w.out_count--;
		to = side_at(&d.to);
		if (!to)
			continue;
		remember(&d);
		dtt_links_on_datagram(to->l, &d.from, d.buf, d.len);
	}
}

static void advance(uint64_t ms)
{
	w.now += ms;
	for (int i = 0; i < 2; i++)
		dtt_timers_run(&w.s[i].timers, w.now);
}

/* A message from side s with its sequence number and up to MSG_MAX - SEQ_BYTES input bytes. */
static void send_msg(struct side *s, const uint8_t *body, size_t body_len)
{
	struct side *other = s == &w.s[0] ? &w.s[1] : &w.s[0];
	uint32_t k = s->sent_count;
	uint8_t *m;
	size_t len;
	int rc;

	if (k >= SENT_MAX)
		return;
	if (body_len > MSG_MAX - SEQ_BYTES)
		body_len = MSG_MAX - SEQ_BYTES;
	m = s->sent[k];
	for (int i = 0; i < SEQ_BYTES; i++)
		m[i] = (uint8_t)(k >> (8 * i));
	memcpy(m + SEQ_BYTES, body, body_len);
	len = SEQ_BYTES + body_len;
	rc = dtt_links_send(s->l, other->pk, m, len);
	CHECK(rc == 0 || rc == DTT_ERR_FULL || rc == DTT_ERR_NOTFOUND);
	if (rc == 0) {
		s->sent_len[k] = len;
		s->sent_count++;
	}
}

/* X25519 public keys by secret key, direct-mapped: a collision only recomputes. */
#define BASE_CACHE_SLOTS 4096

static struct base_entry {
	bool used;
	uint8_t sk[DTT_X25519_BYTES], pk[DTT_X25519_BYTES];
} base_cache[BASE_CACHE_SLOTS];

static void cached_x25519_base(uint8_t pk[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES])
{
	uint32_t h = (uint32_t)sk[0] | (uint32_t)sk[1] << 8 | (uint32_t)sk[2] << 16;
	struct base_entry *e = &base_cache[h % BASE_CACHE_SLOTS];

	if (!e->used || memcmp(e->sk, sk, DTT_X25519_BYTES) != 0) {
		dtt_x25519_base(e->pk, sk);
		memcpy(e->sk, sk, DTT_X25519_BYTES);
		e->used = true;
	}
	memcpy(pk, e->pk, DTT_X25519_BYTES);
}

/* The real primitives (crypto.h), with the cache above in front of dtt_x25519_base. */
static const struct dtt_crypto_ops cached_ops = {
    .name = "real+base-cache",
    .x25519_base = cached_x25519_base,
    .x25519 = dtt_x25519,
    .pk_to_x25519 = dtt_ed25519_pk_to_x25519,
    .seed_keypair = dtt_ed25519_seed_keypair,
    .sign = dtt_ed25519_sign,
    .verify = dtt_ed25519_verify,
    .pk_is_valid = dtt_ed25519_pk_is_valid,
};

static struct dtt_crypto crypto = {.ops = &cached_ops}; /* with a memo shared by every input */
static uint8_t keys_sk[2][64], keys_pk[2][32];

static void keys_init(void)
{
	for (int i = 0; i < 2; i++) {
		uint8_t seed[32];

		memset(seed, 0x21 + i, sizeof(seed));
		dtt_ed25519_seed_keypair(keys_pk[i], keys_sk[i], seed);
	}
	crypto.memo = dtt_crypto_memo_new(NULL);
	CHECK(crypto.memo);
}

static void world_init(void)
{
	static const uint8_t ips[2][4] = {{10, 0, 0, 1}, {10, 0, 0, 2}};
	struct dtt_links_config cfg;

	memset(&w, 0, sizeof(w));
	w.now = 1700000000000ull;
	dtt_links_config_init(&cfg);
	cfg.peers_max = 4;
	cfg.rekey_ms = 20000;
	for (int i = 0; i < 2; i++) {
		struct side *s = &w.s[i];

		s->env.ops = &ops;
		s->env.ctx = s;
		s->env.log_level = DTT_LOG_ERROR;
		s->env.crypto = &crypto;
		dtt_timers_init(&s->timers);
		dtt_rng_seed(&s->rng, 1000 + (uint64_t)i);
		dtt_addr_ipv4(&s->addr, ips[i], 6881);
		memcpy(s->pk, keys_pk[i], 32);
		memcpy(s->sk, keys_sk[i], 64);
		s->l = dtt_links_new(&s->env, &s->timers, s->sk, &cfg, &cbs, s);
		CHECK(s->l);
	}
	CHECK(dtt_links_set_addr(w.s[0].l, w.s[1].pk, &w.s[1].addr) == 0);
	CHECK(dtt_links_set_addr(w.s[1].l, w.s[0].pk, &w.s[0].addr) == 0);
	send_msg(&w.s[0], (const uint8_t *)"setup", 5);
	pump();
	CHECK(w.s[0].got[0] == 1);
	CHECK(dtt_links_has_session(w.s[0].l, w.s[1].pk));
	CHECK(dtt_links_has_session(w.s[1].l, w.s[0].pk));
}

static void world_check_and_free(void)
{
	for (int i = 0; i < 2; i++) {
		const struct dtt_links_stats *st = dtt_links_stats(w.s[i].l);
		uint64_t drops = 0;

		for (int r = 0; r < DTT_LINKS_DROP__COUNT; r++)
			drops += st->dropped[r];
		/* the FULL counter also counts refused sends and watches */
		CHECK(drops - st->dropped[DTT_LINKS_DROP_FULL] <= st->datagrams_in);
		CHECK(st->sessions_up >= st->sessions_down);
		dtt_links_free(w.s[i].l);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	size_t off = 0;

	if (!ready) {
		CHECK(dtt_crypto_init() == 0);
		keys_init();
		ready = true;
	}
	world_init();
	while (off < size) {
		uint8_t op = data[off++];
		size_t left = size - off, n;
		struct side *to = &w.s[(op >> 3) & 1], *from = &w.s[!((op >> 3) & 1)];
		struct dgram d;

		switch (op & 7) {
		case 0: /* an arbitrary datagram from the peer's address */
		case 1: /* ... or from a stranger */
			n = left ? data[off] : 0;
			off += left ? 1 : 0;
			left = size - off;
			if (n > left)
				n = left;
			if ((op & 0x30) == 0x30 && left >= n) /* sometimes a full-size one */
				n = left < DTT_LINK_DATAGRAM_MAX + 8 ? left
								     : DTT_LINK_DATAGRAM_MAX + 8;
			memset(&d, 0, sizeof(d));
			d.from = from->addr;
			if (op & 1)
				d.from.addr[3] = 99;
			dtt_links_on_datagram(to->l, &d.from, data + off, n);
			off += n;
			break;
		case 2: /* a real message with input bytes XORed into its datagram */
			n = left < 8 ? left : 8;
			send_msg(from, data + off, n);
			off += n;
			if (w.out_count > 0) {
				struct dgram *last = &w.outbox[w.out_count - 1];
				size_t pos = left > n ? data[off] : 0;

				if (left > n) {
					off++;
					left = size - off;
					for (size_t i = 0; i < 4 && i < left; i++)
						last->buf[(pos + i) % last->len] ^= data[off + i];
					off += left < 4 ? left : 4;
				}
			}
			pump();
			break;
		case 3: /* replay something delivered before */
			if (w.seen_count && left) {
				d = w.seen[data[off++] %
					   (w.seen_count < SEEN_MAX ? w.seen_count : SEEN_MAX)];
				if (side_at(&d.to))
					dtt_links_on_datagram(side_at(&d.to)->l, &d.from, d.buf,
							      d.len);
			}
			break;
		case 4: /* time passes */
			n = left ? data[off++] : 1;
			advance((uint64_t)n * 97);
			pump();
			break;
		case 5: /* a message from the API, delivered */
			n = left < 16 ? left : 16;
			send_msg(from, data + off, n);
			off += n;
			pump();
			break;
		case 6: /* watch / unwatch */
			dtt_links_watch(from->l, to->pk, (op & 0x10) != 0);
			pump();
			break;
		default: /* close, or a dropped outbox */
			if (op & 0x10)
				dtt_links_close(from->l, to->pk);
			else
				w.out_count = 0;
			pump();
			break;
		}
	}
	advance(60000);
	pump();
	world_check_and_free();
	return 0;
}
