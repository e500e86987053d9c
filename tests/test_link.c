/* test_link.c - the gossip links (core/gossip/link.h, spec/GOSSIP.md §12, docs/gossip-links.md):
 * the Noise IK handshake against the Noise test vector (tests/vectors/), then whole links on a
 * simulated network (tests/sim_net.h): handshakes, crossing initiations, wrong keys, replays,
 * tampering, keepalives, dead-peer and failure timing on the fake clock, bounds, rate limits,
 * rekeying, allocation failures and determinism.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "crypto.h"
#include "err.h"
#include "hex.h"
#include "link.h"
#include "noise.h"
#include "rng.h"
#include "sim_net.h"
#include "timer.h"

#define VECTOR_FILE   DTT_VECTORS_DIR "/noise-ik-25519-chachapoly-blake2b.txt"
#define T0	      1700000000000ull /* sim_net's clocks: wall == monotonic */
#define LAT	      10	       /* one-way latency, ms */
#define NODES_MAX     6
#define RX_MAX	      1100
#define MSGS_MAX      64
#define INIT_LEN      141
#define RESP_LEN      57
#define DATA_OVERHEAD 30

/* ---- a small world of links on sim_net ---- */

struct rx {
	struct dtt_addr from;
	uint64_t at;
	size_t len;
	uint8_t buf[DTT_LINK_DATAGRAM_MAX + 16];
};

struct msg {
	uint8_t from[DTT_LINK_ID_BYTES];
	size_t len;
	uint8_t data[DTT_LINK_PAYLOAD_MAX];
};

struct world;

struct node {
	struct world *w;
	size_t i;
	struct dtt_links *l;
	uint8_t pk[32], sk[64];
	bool hold; /* record datagrams but do not hand them to the links */
	struct rx *rx;
	size_t rx_count;
	size_t ups, downs, msgs;
	uint64_t up_at, down_at;
	int down_reason;
	uint8_t down_peer[DTT_LINK_ID_BYTES];
	struct msg *log; /* the first MSGS_MAX messages */
	/* on_message: echo to the sender once (tests of callbacks calling back in) */
	bool echo;
};

struct world {
	struct sim_net *net;
	struct node n[NODES_MAX];
	size_t count;
	struct dtt_links_config cfg;
};

static void on_message(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES], const uint8_t *msg,
		       size_t len)
{
	struct node *n = ctx;

	if (n->msgs < MSGS_MAX) {
		memcpy(n->log[n->msgs].from, peer, DTT_LINK_ID_BYTES);
		n->log[n->msgs].len = len;
		memcpy(n->log[n->msgs].data, msg, len);
	}
	n->msgs++;
	if (n->echo)
		assert_int_equal(dtt_links_send(n->l, peer, msg, len), 0);
}

static void on_up(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES])
{
	struct node *n = ctx;

	n->ups++;
	n->up_at = sim_net_now(n->w->net);
}

static void on_down(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES], int reason)
{
	struct node *n = ctx;

	n->downs++;
	n->down_at = sim_net_now(n->w->net);
	n->down_reason = reason;
	memcpy(n->down_peer, peer, DTT_LINK_ID_BYTES);
}

static const struct dtt_links_callbacks cbs = {
    .on_message = on_message,
    .on_up = on_up,
    .on_down = on_down,
};

static void node_recv(void *user, const struct dtt_addr *from, const uint8_t *buf, size_t len)
{
	struct node *n = user;

	if (n->rx_count < RX_MAX && len <= sizeof(n->rx[0].buf)) {
		struct rx *r = &n->rx[n->rx_count++];

		r->from = *from;
		r->at = sim_net_now(n->w->net);
		r->len = len;
		memcpy(r->buf, buf, len);
	}
	if (!n->hold)
		dtt_links_on_datagram(n->l, from, buf, len);
}

static void node_keys(struct node *n, uint64_t seed)
{
	struct dtt_rng r;
	uint8_t s[32];

	dtt_rng_derive(&r, seed, 99, n->i);
	dtt_rng_fill(&r, s, sizeof(s));
	dtt_ed25519_seed_keypair(n->pk, n->sk, s);
}

static struct world *world_new(size_t count, uint64_t seed, const struct dtt_links_config *cfg)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	assert_true(count <= NODES_MAX);
	w->net = sim_net_new(count, seed, T0, LAT);
	assert_non_null(w->net);
	w->count = count;
	if (cfg)
		w->cfg = *cfg;
	else
		dtt_links_config_init(&w->cfg);
	for (size_t i = 0; i < count; i++) {
		struct node *n = &w->n[i];

		n->w = w;
		n->i = i;
		n->rx = calloc(RX_MAX, sizeof(*n->rx));
		n->log = calloc(MSGS_MAX, sizeof(*n->log));
		assert_non_null(n->rx);
		assert_non_null(n->log);
		node_keys(n, seed);
		n->l = dtt_links_new(sim_net_env(w->net, i), sim_net_timers(w->net, i), n->sk,
				     &w->cfg, &cbs, n);
		assert_non_null(n->l);
		assert_memory_equal(dtt_links_id(n->l), n->pk, 32);
		sim_net_attach(w->net, i, node_recv, n);
	}
	return w;
}

static void world_free(struct world *w)
{
	for (size_t i = 0; i < w->count; i++) {
		dtt_links_free(w->n[i].l);
		free(w->n[i].rx);
		free(w->n[i].log);
	}
	sim_net_free(w->net);
	free(w);
}

static void run_for(struct world *w, uint64_t ms)
{
	sim_net_run_until(w->net, sim_net_now(w->net) + ms);
}

static uint64_t now(struct world *w)
{
	return sim_net_now(w->net);
}

/* a learns b's address */
static void introduce(struct node *a, struct node *b)
{
	assert_int_equal(dtt_links_set_addr(a->l, b->pk, sim_net_addr(a->w->net, b->i)), 0);
}

static void send_str(struct node *a, struct node *b, const char *s)
{
	assert_int_equal(dtt_links_send(a->l, b->pk, (const uint8_t *)s, strlen(s)), 0);
}

static void assert_msg(const struct node *n, size_t k, const struct node *from, const char *s)
{
	assert_true(k < n->msgs);
	assert_memory_equal(n->log[k].from, from->pk, 32);
	assert_int_equal(n->log[k].len, strlen(s));
	assert_memory_equal(n->log[k].data, s, strlen(s));
}

static void deliver(struct node *to, const struct node *from, const uint8_t *buf, size_t len)
{
	dtt_links_on_datagram(to->l, sim_net_addr(to->w->net, from->i), buf, len);
}

static const struct dtt_links_stats *st(const struct node *n)
{
	return dtt_links_stats(n->l);
}

static uint64_t drops_total(const struct node *n)
{
	uint64_t t = 0;

	for (int i = 0; i < DTT_LINKS_DROP__COUNT; i++)
		t += st(n)->dropped[i];
	return t;
}

static size_t count_type(const struct node *n, uint8_t type)
{
	size_t c = 0;

	for (size_t k = 0; k < n->rx_count; k++)
		c += n->rx[k].buf[0] == type;
	return c;
}

/* A and B with an established session started by A ("hello" delivered). */
static struct world *pair(uint64_t seed, const struct dtt_links_config *cfg)
{
	struct world *w = world_new(2, seed, cfg);

	introduce(&w->n[0], &w->n[1]);
	send_str(&w->n[0], &w->n[1], "hello");
	run_for(w, 4 * LAT);
	assert_int_equal(w->n[1].msgs, 1);
	assert_true(dtt_links_has_session(w->n[0].l, w->n[1].pk));
	assert_true(dtt_links_has_session(w->n[1].l, w->n[0].pk));
	return w;
}

/* ---- the Noise vector ---- */

struct field {
	uint8_t b[256];
	size_t len;
};

struct vector {
	char name[64];
	struct field prologue, si, ei, rs_pub, sr, er, hash;
	struct field payload[8], ct[8];
	size_t msgs;
};

static void read_vector(struct vector *v)
{
	FILE *f = fopen(VECTOR_FILE, "r");
	char line[1024];
	size_t np = 0, nc = 0;

	assert_non_null(f);
	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		char *val;
		struct field *fl = NULL;
		long n;

		if (line[0] == '#' || !colon)
			continue;
		*colon = 0;
		val = colon + 1;
		while (*val == ' ')
			val++;
		val[strcspn(val, "\r\n")] = 0;
		if (!strcmp(line, "protocol_name")) {
			snprintf(v->name, sizeof(v->name), "%s", val);
			continue;
		}
		if (!strcmp(line, "prologue"))
			fl = &v->prologue;
		else if (!strcmp(line, "init_static"))
			fl = &v->si;
		else if (!strcmp(line, "init_ephemeral"))
			fl = &v->ei;
		else if (!strcmp(line, "init_remote_static"))
			fl = &v->rs_pub;
		else if (!strcmp(line, "resp_static"))
			fl = &v->sr;
		else if (!strcmp(line, "resp_ephemeral"))
			fl = &v->er;
		else if (!strcmp(line, "handshake_hash"))
			fl = &v->hash;
		else if (!strcmp(line, "payload") && np < 8)
			fl = &v->payload[np++];
		else if (!strcmp(line, "ciphertext") && nc < 8)
			fl = &v->ct[nc++];
		assert_non_null(fl);
		n = dtt_hex_decode(fl->b, sizeof(fl->b), val, strlen(val));
		assert_true(n >= 0);
		fl->len = (size_t)n;
	}
	fclose(f);
	assert_int_equal(np, nc);
	v->msgs = np;
}

static void test_noise_ik_matches_the_published_vector(void **state)
{
	struct vector v;
	struct dtt_noise_sym i, r, bad;
	uint8_t si_pub[32], sr_pub[32], re[32], rs[32], out[256], pt[256];
	uint8_t ik1[32], ik2[32], rk1[32], rk2[32], nonce[12];

	read_vector(&v);
	assert_string_equal(v.name, "Noise_IK_25519_ChaChaPoly_BLAKE2b");
	assert_int_equal(v.msgs, 6);
	dtt_x25519_base(si_pub, v.si.b);
	dtt_x25519_base(sr_pub, v.sr.b);
	assert_memory_equal(sr_pub, v.rs_pub.b, 32);

	dtt_noise_init(&i, v.name, v.prologue.b, v.prologue.len);
	dtt_noise_ik_premessage(&i, sr_pub);
	dtt_noise_init(&r, v.name, v.prologue.b, v.prologue.len);
	dtt_noise_ik_premessage(&r, sr_pub);

	/* -> e, es, s, ss */
	assert_int_equal(DTT_NOISE_IK_INIT_BYTES(v.payload[0].len), v.ct[0].len);
	assert_int_equal(dtt_noise_ik_write_init(&i, NULL, out, v.ei.b, v.si.b, si_pub, sr_pub,
						 v.payload[0].b, v.payload[0].len),
			 0);
	assert_memory_equal(out, v.ct[0].b, v.ct[0].len);
	/* the suite's file records h as it stands after the first message */
	assert_memory_equal(i.h, v.hash.b, 64);
	/* a flipped bit anywhere is refused, on a copy of the responder's state */
	for (size_t bit = 0; bit < v.ct[0].len * 8; bit += 37) {
		memcpy(out, v.ct[0].b, v.ct[0].len);
		out[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		bad = r;
		assert_int_not_equal(
		    dtt_noise_ik_read_init(&bad, NULL, re, rs, pt, out, v.ct[0].len, v.sr.b,
					   NULL),
		    0);
	}
	assert_int_equal(dtt_noise_ik_read_init(&r, NULL, re, rs, pt, v.ct[0].b, v.ct[0].len,
						v.sr.b, NULL),
			 0);
	assert_memory_equal(pt, v.payload[0].b, v.payload[0].len);
	assert_memory_equal(rs, si_pub, 32);

	/* <- e, ee, se */
	assert_int_equal(DTT_NOISE_IK_RESP_BYTES(v.payload[1].len), v.ct[1].len);
	assert_int_equal(
	    dtt_noise_ik_write_resp(&r, NULL, out, v.er.b, re, rs, v.payload[1].b,
				    v.payload[1].len),
	    0);
	assert_memory_equal(out, v.ct[1].b, v.ct[1].len);
	assert_int_equal(dtt_noise_ik_read_resp(&i, NULL, pt, v.ct[1].b, v.ct[1].len, v.ei.b, NULL,
						v.si.b, NULL),
			 0);
	assert_memory_equal(pt, v.payload[1].b, v.payload[1].len);
	assert_memory_equal(i.h, r.h, 64);

	/* transport: k1 initiator -> responder, k2 back, each counting from 0 */
	dtt_noise_split(&i, ik1, ik2);
	dtt_noise_split(&r, rk1, rk2);
	assert_memory_equal(ik1, rk1, 32);
	assert_memory_equal(ik2, rk2, 32);
	for (size_t m = 2; m < v.msgs; m++) {
		bool from_init = (m % 2) == 0;

		dtt_noise_nonce(nonce, (m - 2) / 2);
		dtt_aead_seal(out, v.payload[m].b, v.payload[m].len, NULL, 0, nonce,
			      from_init ? ik1 : rk2);
		assert_int_equal(v.payload[m].len + 16, v.ct[m].len);
		assert_memory_equal(out, v.ct[m].b, v.ct[m].len);
	}
}

/* ---- handshakes and traffic ---- */

static void test_handshake_completes_and_messages_flow_both_ways(void **state)
{
	struct world *w = world_new(2, 1, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	struct dtt_addr got;

	introduce(a, b);
	assert_int_equal(dtt_links_addr(b->l, a->pk, &got), DTT_ERR_NOTFOUND);
	send_str(a, b, "hello");
	assert_false(dtt_links_has_session(a->l, b->pk));
	run_for(w, 100);

	/* init (141) -> response (57) -> the queued message confirms the session */
	assert_int_equal(b->rx_count, 2);
	assert_int_equal(b->rx[0].len, INIT_LEN);
	assert_int_equal(b->rx[0].buf[0], 0x11);
	assert_int_equal(b->rx[1].len, DATA_OVERHEAD + 5);
	assert_int_equal(b->rx[1].buf[0], 0x14);
	assert_int_equal(a->rx_count, 1);
	assert_int_equal(a->rx[0].len, RESP_LEN);
	assert_int_equal(a->rx[0].buf[0], 0x12);
	assert_int_equal(a->ups, 1);
	assert_int_equal(a->up_at, T0 + 2 * LAT);
	assert_int_equal(b->ups, 1);
	assert_int_equal(b->up_at, T0 + 3 * LAT);
	assert_int_equal(b->msgs, 1);
	assert_msg(b, 0, a, "hello");
	assert_int_equal(dtt_links_addr(b->l, a->pk, &got), 0);
	assert_true(dtt_addr_eq(&got, sim_net_addr(w->net, 0)));

	/* back over the same session: no second handshake */
	send_str(b, a, "world");
	send_str(b, a, "again");
	run_for(w, 100);
	assert_int_equal(a->msgs, 2);
	assert_msg(a, 0, b, "world");
	assert_msg(a, 1, b, "again");
	assert_int_equal(st(a)->handshakes_started, 1);
	assert_int_equal(st(b)->handshakes_started, 0);
	assert_int_equal(st(a)->handshakes_completed, 1);
	assert_int_equal(st(b)->handshakes_completed, 1);
	assert_int_equal(st(a)->messages_out, 1);
	assert_int_equal(st(b)->messages_out, 2);
	assert_int_equal(st(a)->messages_in, 2);
	assert_int_equal(st(b)->messages_in, 1);
	assert_int_equal(st(a)->sessions_up, 1);
	assert_int_equal(st(a)->keepalives_out, 0);
	assert_int_equal(drops_total(a) + drops_total(b), 0);
	assert_int_equal(a->downs + b->downs, 0);
	for (size_t k = 0; k < a->rx_count; k++)
		assert_true(dtt_links_is_frame(a->rx[k].buf, a->rx[k].len));
	world_free(w);
}

static void test_simultaneous_initiation_converges_to_one_session(void **state)
{
	struct world *w = world_new(2, 2, NULL);
	struct node *lo = &w->n[0], *hi = &w->n[1];

	if (memcmp(lo->pk, hi->pk, 32) > 0) {
		lo = &w->n[1];
		hi = &w->n[0];
	}
	introduce(lo, hi);
	introduce(hi, lo);
	send_str(lo, hi, "from lo");
	send_str(hi, lo, "from hi");
	run_for(w, 200);

	assert_int_equal(st(lo)->handshakes_started, 1);
	assert_int_equal(st(hi)->handshakes_started, 1);
	assert_int_equal(st(lo)->handshakes_crossed, 1); /* ignored hi's initiation */
	assert_int_equal(st(hi)->handshakes_crossed, 1); /* gave its own up */
	assert_int_equal(st(lo)->handshakes_completed, 1);
	assert_int_equal(st(hi)->handshakes_completed, 1);
	assert_int_equal(lo->ups, 1);
	assert_int_equal(hi->ups, 1);
	assert_int_equal(lo->msgs, 1);
	assert_int_equal(hi->msgs, 1);
	assert_msg(lo, 0, hi, "from hi");
	assert_msg(hi, 0, lo, "from lo");
	assert_int_equal(drops_total(lo) + drops_total(hi), 0);
	/* lo's initiation won: only hi answered one */
	assert_int_equal(count_type(lo, 0x12), 1);
	assert_int_equal(count_type(hi, 0x12), 0);
	assert_int_equal(count_type(lo, 0x11), 1);
	assert_int_equal(count_type(hi, 0x11), 1);

	/* the one session carries traffic both ways afterwards */
	send_str(lo, hi, "2");
	send_str(hi, lo, "3");
	run_for(w, 100);
	assert_msg(hi, 1, lo, "2");
	assert_msg(lo, 1, hi, "3");
	assert_int_equal(st(lo)->handshakes_started + st(hi)->handshakes_started, 2);
	world_free(w);
}

static void test_wrong_peer_key_is_rejected_and_counted(void **state)
{
	struct world *w = world_new(3, 3, NULL);
	struct node *a = &w->n[0], *x = &w->n[1], *y = &w->n[2];

	/* a believes x lives where y does */
	assert_int_equal(dtt_links_set_addr(a->l, x->pk, sim_net_addr(w->net, y->i)), 0);
	send_str(a, x, "for x only");
	run_for(w, 4999); /* 5 attempts, 1 s each */
	assert_int_equal(a->downs, 0);
	run_for(w, 1);
	assert_int_equal(st(y)->dropped[DTT_LINKS_DROP_HANDSHAKE], 5);
	assert_int_equal(drops_total(y), 5);
	assert_int_equal(st(y)->datagrams_out, 0);
	assert_int_equal(y->ups + y->msgs, 0);
	assert_int_equal(x->rx_count, 0);
	assert_int_equal(st(a)->datagrams_out, 5);
	assert_int_equal(a->downs, 1);
	assert_int_equal(a->down_reason, DTT_LINK_DOWN_FAILED);
	assert_int_equal(a->down_at, T0 + 5000);
	assert_memory_equal(a->down_peer, x->pk, 32);
	assert_int_equal(a->ups, 0);
	world_free(w);
}

static void test_forged_response_does_not_spoil_the_handshake(void **state)
{
	struct world *w = world_new(2, 4, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint8_t forged[RESP_LEN];

	introduce(a, b);
	a->hold = true;
	send_str(a, b, "m");
	run_for(w, 2 * LAT);
	assert_int_equal(a->rx_count, 1);
	assert_int_equal(a->rx[0].len, RESP_LEN);
	/* answers to a's index (in the clear) that do not come from b's keys */
	memcpy(forged, a->rx[0].buf, RESP_LEN);
	forged[10] ^= 0x40; /* inside e */
	deliver(a, b, forged, RESP_LEN);
	assert_int_equal(st(a)->dropped[DTT_LINKS_DROP_HANDSHAKE], 1);
	forged[10] ^= 0x40;
	forged[RESP_LEN - 1] ^= 1; /* the tag */
	deliver(a, b, forged, RESP_LEN);
	assert_int_equal(st(a)->dropped[DTT_LINKS_DROP_HANDSHAKE], 2);
	assert_false(dtt_links_has_session(a->l, b->pk));
	/* the real one still works */
	a->hold = false;
	deliver(a, b, a->rx[0].buf, a->rx[0].len);
	assert_true(dtt_links_has_session(a->l, b->pk));
	run_for(w, 2 * LAT);
	assert_int_equal(b->msgs, 1);
	assert_int_equal(drops_total(b), 0);
	world_free(w);
}

static void test_replayed_handshake_messages_are_rejected(void **state)
{
	struct world *w = pair(5, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint64_t b_out = st(b)->datagrams_out;
	struct dtt_addr elsewhere;
	uint8_t ip[4] = {10, 9, 9, 9};

	assert_int_equal(b->rx[0].len, INIT_LEN);
	assert_int_equal(a->rx[0].len, RESP_LEN);
	deliver(b, a, b->rx[0].buf, b->rx[0].len);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 1);
	dtt_addr_ipv4(&elsewhere, ip, 7000);
	dtt_links_on_datagram(b->l, &elsewhere, b->rx[0].buf, b->rx[0].len);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 2);
	assert_int_equal(st(b)->datagrams_out, b_out); /* no answer to a replay */

	deliver(a, b, a->rx[0].buf, a->rx[0].len);
	assert_int_equal(st(a)->dropped[DTT_LINKS_DROP_REPLAY], 1);

	/* the session is untouched */
	send_str(a, b, "still");
	run_for(w, 2 * LAT);
	assert_msg(b, 1, a, "still");
	assert_int_equal(a->ups + b->ups, 2);
	assert_int_equal(a->downs + b->downs, 0);
	world_free(w);
}

static void test_every_bit_flip_of_an_initiation_is_rejected(void **state)
{
	struct dtt_links_config cfg;
	struct world *w;
	struct node *a, *b;
	uint8_t m[INIT_LEN];

	dtt_links_config_init(&cfg);
	cfg.handshakes_per_s = 100000;
	w = world_new(2, 6, &cfg);
	a = &w->n[0];
	b = &w->n[1];
	introduce(a, b);
	b->hold = true;
	send_str(a, b, "x");
	run_for(w, LAT);
	assert_int_equal(b->rx_count, 1);
	for (size_t bit = 0; bit < INIT_LEN * 8; bit++) {
		memcpy(m, b->rx[0].buf, INIT_LEN);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		deliver(b, a, m, INIT_LEN);
	}
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_TYPE], 8);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_HANDSHAKE], (INIT_LEN - 1) * 8);
	assert_int_equal(drops_total(b), INIT_LEN * 8);
	assert_int_equal(st(b)->datagrams_out, 0);
	/* the original still works */
	b->hold = false;
	deliver(b, a, b->rx[0].buf, INIT_LEN);
	run_for(w, 3 * LAT);
	assert_int_equal(b->msgs, 1);
	world_free(w);
}

static void test_every_bit_flip_of_a_transport_datagram_is_rejected(void **state)
{
	struct world *w = pair(7, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	const char *text = "tamper me";
	size_t len = DATA_OVERHEAD + strlen(text);
	uint8_t m[64];
	struct rx *orig;

	b->hold = true;
	send_str(a, b, text);
	run_for(w, LAT);
	orig = &b->rx[b->rx_count - 1];
	assert_int_equal(orig->len, len);
	for (size_t bit = 0; bit < len * 8; bit++) {
		memcpy(m, orig->buf, len);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		deliver(b, a, m, len);
	}
	assert_int_equal(b->msgs, 1); /* only "hello" */
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_TYPE], 8);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_UNKNOWN_INDEX], 32);
	/* counter 1 with its low bit flipped is counter 0, which "hello" used */
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 1);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_AUTH], 8 + 63 + (len - 14) * 8);
	assert_int_equal(drops_total(b), len * 8);
	deliver(b, a, orig->buf, len);
	assert_int_equal(b->msgs, 2);
	assert_msg(b, 1, a, text);
	deliver(b, a, orig->buf, len);
	assert_int_equal(b->msgs, 2);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 2);
	world_free(w);
}

static void test_replay_window_accepts_reordering_and_refuses_repeats(void **state)
{
	struct world *w = pair(8, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	static const int order[] = {5, 2, 4, 1, 2, 5, 0, 3, 6, 7, 8, 9, 9, 0};
	size_t base, top;
	char s[16];

	b->hold = true;
	base = b->rx_count;
	for (int k = 0; k < 10; k++) {
		snprintf(s, sizeof(s), "m%d", k);
		send_str(a, b, s);
	}
	run_for(w, LAT);
	assert_int_equal(b->rx_count - base, 10);
	for (size_t k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		deliver(b, a, b->rx[base + order[k]].buf, b->rx[base + order[k]].len);
	assert_int_equal(b->msgs, 11);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 4);
	assert_msg(b, 1, a, "m5");
	assert_msg(b, 2, a, "m2");
	assert_msg(b, 3, a, "m4");
	assert_msg(b, 4, a, "m1");
	assert_msg(b, 5, a, "m0");
	assert_msg(b, 10, a, "m9");

	/* the edge of the window: the newest counter, then 959 and 960 behind it */
	base = b->rx_count;
	for (int k = 0; k < 1000; k++) {
		snprintf(s, sizeof(s), "w%d", k);
		send_str(a, b, s);
	}
	run_for(w, LAT);
	assert_int_equal(b->rx_count - base, 1000);
	top = base + 999;
	deliver(b, a, b->rx[top].buf, b->rx[top].len);
	assert_int_equal(b->msgs, 12);
	deliver(b, a, b->rx[top - 960].buf, b->rx[top - 960].len);
	assert_int_equal(b->msgs, 12);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 5);
	deliver(b, a, b->rx[top - 959].buf, b->rx[top - 959].len);
	assert_int_equal(b->msgs, 13);
	deliver(b, a, b->rx[top - 959].buf, b->rx[top - 959].len);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_REPLAY], 6);
	assert_int_equal(drops_total(b), 6);
	world_free(w);
}

static void test_malformed_and_unknown_frames_are_counted(void **state)
{
	struct world *w = pair(9, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint8_t buf[1300];

	memset(buf, 0, sizeof(buf));
	deliver(b, a, buf, 0);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_SHORT], 1);
	buf[0] = 0x14;
	deliver(b, a, buf, DATA_OVERHEAD - 1);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_SHORT], 2);
	deliver(b, a, buf, DATA_OVERHEAD); /* receiver index 0 is not ours */
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_UNKNOWN_INDEX], 1);
	deliver(b, a, buf, DTT_LINK_DATAGRAM_MAX + 1);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_OVERSIZE], 1);
	buf[0] = 0x11;
	deliver(b, a, buf, INIT_LEN - 1);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_SHORT], 3);
	deliver(b, a, buf, INIT_LEN + 1);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_OVERSIZE], 2);
	deliver(b, a, buf, INIT_LEN); /* all zero: e is a small-order point */
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_HANDSHAKE], 1);
	buf[0] = 0x12;
	deliver(b, a, buf, RESP_LEN);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_UNKNOWN_INDEX], 2);
	deliver(b, a, buf, RESP_LEN - 1);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_SHORT], 4);
	buf[0] = 'd';
	deliver(b, a, buf, 40);
	buf[0] = 0x13;
	deliver(b, a, buf, 40);
	buf[0] = 0x24; /* a version we do not speak */
	deliver(b, a, buf, 40);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_TYPE], 3);
	assert_int_equal(drops_total(b), 12);
	assert_int_equal(st(b)->datagrams_in, 14);

	assert_false(dtt_links_is_frame(buf, 0));
	for (int t = 0; t < 256; t++) {
		buf[0] = (uint8_t)t;
		assert_int_equal(dtt_links_is_frame(buf, 1), t == 0x11 || t == 0x12 || t == 0x14);
	}
	assert_string_equal(dtt_links_drop_name(DTT_LINKS_DROP_UNKNOWN_INDEX), "unknown_index");
	assert_string_equal(dtt_links_drop_name(DTT_LINKS_DROP__COUNT), "invalid");
	assert_string_equal(dtt_links_drop_name(-1), "invalid");
	/* the session survived all of it */
	send_str(a, b, "ok");
	run_for(w, 2 * LAT);
	assert_msg(b, 1, a, "ok");
	world_free(w);
}

/* ---- liveness ---- */

static void test_keepalives_keep_a_watched_idle_peer_up(void **state)
{
	struct world *w = pair(10, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint64_t start = now(w);

	/* only a watches: b answers a's pings */
	dtt_links_watch(a->l, b->pk, true);
	run_for(w, 60000);
	assert_int_equal(a->downs + b->downs, 0);
	assert_true(dtt_links_has_session(a->l, b->pk));
	/* "hello" left a at T0 + 20; then a ping every keepalive_ms of a's silence */
	assert_int_equal(st(a)->keepalives_out, (start + 60000 - (T0 + 2 * LAT)) / 2000);
	assert_int_equal(st(b)->keepalives_out, st(a)->keepalives_out);
	assert_int_equal(st(a)->handshakes_started, 1);

	/* both watching: still up, and no more traffic than one ping and answer per period */
	dtt_links_watch(b->l, a->pk, true);
	run_for(w, 60000);
	assert_int_equal(a->downs + b->downs, 0);
	assert_true(st(a)->keepalives_out + st(b)->keepalives_out <= 2 * (120000 / 2000) + 2);
	assert_int_equal(drops_total(a) + drops_total(b), 0);
	world_free(w);
}

/* A lossy link is not a dead one: at 30% loss a quiet watched link stays up for half an hour
 * (once a peer has been silent for keepalive_ms it is pinged every 200 ms until dead_ms, and a
 * rekey that gets no answer keeps the session), and the pings cost at most one per 200 ms. */
static void test_quiet_watched_link_survives_heavy_loss(void **state)
{
	struct world *w = pair(13, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];

	(void)state;
	dtt_links_watch(a->l, b->pk, true);
	dtt_links_watch(b->l, a->pk, true);
	run_for(w, 5000);
	assert_true(dtt_links_has_session(a->l, b->pk) && dtt_links_has_session(b->l, a->pk));
	sim_net_set_loss(w->net, 300);
	run_for(w, 30 * 60000);
	assert_int_equal(a->downs + b->downs, 0);
	assert_true(st(a)->keepalives_out <= 30 * 60000 / 200);
	assert_true(dtt_links_has_session(a->l, b->pk));
	world_free(w);
}

/* The loss estimate reads the gaps in the session counters: unknown before 16 datagrams,
 * 0 on a clean link, near the network's loss on a lossy one, and back down once it is clean. */
static void test_loss_estimate_follows_the_links_loss(void **state)
{
	struct world *w = pair(21, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	int pm;

	(void)state;
	assert_int_equal(dtt_links_loss_pm(b->l, a->pk), -1); /* one datagram so far */
	assert_int_equal(dtt_links_loss_pm(b->l, b->pk), -1); /* no such peer */
	for (int k = 0; k < 15; k++)
		send_str(a, b, "clean");
	run_for(w, 4 * LAT);
	assert_int_equal(dtt_links_loss_pm(b->l, a->pk), 0);
	assert_int_equal(dtt_links_loss_pm(a->l, b->pk), -1); /* b sent a one datagram */

	sim_net_set_loss(w->net, 300);
	for (int k = 0; k < 2000; k++) {
		send_str(a, b, "lossy");
		run_for(w, 1);
	}
	run_for(w, 4 * LAT);
	pm = dtt_links_loss_pm(b->l, a->pk);
	assert_true(pm >= 200 && pm <= 400);

	sim_net_set_loss(w->net, 0);
	for (int k = 0; k < 16 * 40; k++) /* 40 clean blocks: (3/4)^40 of the estimate is left */
		send_str(a, b, "clean again");
	run_for(w, 4 * LAT);
	assert_true(dtt_links_loss_pm(b->l, a->pk) <= 1);
	world_free(w);
}

static void test_silent_watched_peer_goes_down_timed_out_after_dead_ms(void **state)
{
	struct world *w = pair(11, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint64_t last_from_b;

	dtt_links_watch(a->l, b->pk, true);
	dtt_links_watch(b->l, a->pk, true);
	run_for(w, 10000);
	/* b dies; once what it sent before has landed, the last datagram a got from b is the
	 * last entry of a's log */
	sim_net_set_down(w->net, 1, true);
	run_for(w, LAT);
	assert_true(a->rx_count > 0 && a->rx_count < RX_MAX);
	last_from_b = a->rx[a->rx_count - 1].at;
	assert_true(last_from_b > now(w) - 2000);
	sim_net_run_until(w->net, last_from_b + 6000 - 1);
	assert_int_equal(a->downs, 0);
	sim_net_run_until(w->net, last_from_b + 6000);
	assert_int_equal(a->downs, 1);
	assert_int_equal(a->down_reason, DTT_LINK_DOWN_TIMED_OUT);
	assert_int_equal(a->down_at, last_from_b + 6000);
	assert_memory_equal(a->down_peer, b->pk, 32);
	assert_false(dtt_links_has_session(a->l, b->pk));
	assert_int_equal(st(a)->sessions_down, 1);
	/* down means unwatched: nothing more happens */
	run_for(w, 60000);
	assert_int_equal(a->downs, 1);
	world_free(w);
}

static void test_unanswered_peer_goes_down_failed_after_the_attempts(void **state)
{
	struct world *w = world_new(2, 12, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];

	sim_net_set_down(w->net, 1, true);
	introduce(a, b);
	send_str(a, b, "lost");
	sim_net_run_until(w->net, T0 + 4999);
	assert_int_equal(a->downs, 0);
	assert_int_equal(st(a)->datagrams_out, 5);
	sim_net_run_until(w->net, T0 + 5000);
	assert_int_equal(a->downs, 1);
	assert_int_equal(a->down_reason, DTT_LINK_DOWN_FAILED);
	assert_int_equal(a->down_at, T0 + 5000);
	assert_int_equal(st(a)->datagrams_out, 5);
	assert_int_equal(st(a)->bytes_out, 5 * INIT_LEN);
	assert_int_equal(st(a)->handshakes_started, 1);

	/* the queue went with it: b, back, gets only what is sent now */
	sim_net_set_down(w->net, 1, false);
	send_str(a, b, "found");
	run_for(w, 100);
	assert_int_equal(b->msgs, 1);
	assert_msg(b, 0, a, "found");
	assert_int_equal(st(a)->handshakes_started, 2);

	/* a watched peer with no address: TIMED_OUT after dead_ms */
	{
		struct world *w2 = world_new(3, 13, NULL);

		dtt_links_watch(w2->n[0].l, w2->n[2].pk, true);
		run_for(w2, 5999);
		assert_int_equal(w2->n[0].downs, 0);
		run_for(w2, 1);
		assert_int_equal(w2->n[0].downs, 1);
		assert_int_equal(w2->n[0].down_reason, DTT_LINK_DOWN_TIMED_OUT);
		world_free(w2);
	}
	world_free(w);
}

static void test_queue_is_bounded(void **state)
{
	struct world *w = world_new(2, 14, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	char s[8];

	sim_net_set_down(w->net, 1, true);
	introduce(a, b);
	for (int k = 0; k < 8; k++) {
		snprintf(s, sizeof(s), "q%d", k);
		send_str(a, b, s);
	}
	assert_int_equal(dtt_links_send(a->l, b->pk, (const uint8_t *)"q8", 2), DTT_ERR_FULL);
	assert_int_equal(st(a)->dropped[DTT_LINKS_DROP_FULL], 1);
	/* b comes back before the third attempt (T0 + 2000) */
	sim_net_run_until(w->net, T0 + 1500);
	sim_net_set_down(w->net, 1, false);
	run_for(w, 1000);
	assert_int_equal(b->msgs, 8);
	for (int k = 0; k < 8; k++) {
		snprintf(s, sizeof(s), "q%d", k);
		assert_msg(b, (size_t)k, a, s);
	}
	assert_int_equal(a->downs, 0);
	assert_int_equal(st(a)->datagrams_out, 3 + 8);
	world_free(w);
}

static void test_handshakes_are_rate_limited_per_source_address(void **state)
{
	struct world *w = world_new(2, 15, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint8_t junk[INIT_LEN];
	struct dtt_addr from;
	uint8_t ip[4] = {192, 0, 2, 1};

	memset(junk, 0x5a, sizeof(junk));
	junk[0] = 0x11;
	for (int k = 0; k < 25; k++) {
		dtt_addr_ipv4(&from, ip, (uint16_t)(1000 + k)); /* ports do not help */
		dtt_links_on_datagram(b->l, &from, junk, sizeof(junk));
	}
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_HANDSHAKE], 20);
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_RATE], 5);
	ip[3] = 2;
	dtt_addr_ipv4(&from, ip, 1000);
	dtt_links_on_datagram(b->l, &from, junk, sizeof(junk));
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_HANDSHAKE], 21);
	/* a new window a second later */
	run_for(w, 999);
	ip[3] = 1;
	dtt_addr_ipv4(&from, ip, 1000);
	dtt_links_on_datagram(b->l, &from, junk, sizeof(junk));
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_RATE], 6);
	run_for(w, 1);
	dtt_links_on_datagram(b->l, &from, junk, sizeof(junk));
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_HANDSHAKE], 22);

	/* a flood from more sources than the table holds never blocks a fresh one */
	for (int k = 0; k < 100; k++) {
		uint8_t ip2[4] = {198, 51, 100, (uint8_t)k};

		dtt_addr_ipv4(&from, ip2, 1);
		dtt_links_on_datagram(b->l, &from, junk, sizeof(junk));
	}
	assert_int_equal(st(b)->dropped[DTT_LINKS_DROP_HANDSHAKE], 122);
	introduce(a, b);
	send_str(a, b, "legit");
	run_for(w, 100);
	assert_msg(b, 0, a, "legit");
	world_free(w);
}

static void test_rekey_keeps_traffic_flowing(void **state)
{
	struct dtt_links_config cfg;
	struct world *w;
	struct node *a, *b;
	uint64_t sent_ab = 0, sent_ba = 0;

	dtt_links_config_init(&cfg);
	cfg.rekey_ms = 3000;
	w = world_new(2, 16, &cfg);
	a = &w->n[0];
	b = &w->n[1];
	introduce(a, b);
	dtt_links_watch(a->l, b->pk, true);
	run_for(w, 100);
	dtt_links_watch(b->l, a->pk, true);
	for (int t = 0; t < 20000; t += 10) {
		if (t % 50 == 0) {
			send_str(a, b, "ab");
			sent_ab++;
		}
		if (t % 70 == 0) {
			send_str(b, a, "ba");
			sent_ba++;
		}
		run_for(w, 10);
	}
	run_for(w, 100);
	assert_int_equal(b->msgs, sent_ab);
	assert_int_equal(a->msgs, sent_ba);
	assert_int_equal(a->ups, 1);
	assert_int_equal(b->ups, 1);
	assert_int_equal(a->downs + b->downs, 0);
	/* a renews every rekey_ms; b, which answered, never has to */
	assert_int_equal(st(a)->handshakes_started, 1 + 20100 / 3000);
	assert_int_equal(st(b)->handshakes_started, 0);
	assert_int_equal(st(a)->handshakes_completed, st(a)->handshakes_started);
	assert_int_equal(st(b)->handshakes_completed, st(a)->handshakes_started);
	assert_int_equal(drops_total(a) + drops_total(b), 0);
	world_free(w);
}

static void test_close_tells_the_peer_and_both_go_down_closed(void **state)
{
	struct world *w = pair(17, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];

	dtt_links_watch(b->l, a->pk, true);
	dtt_links_close(a->l, b->pk);
	assert_int_equal(a->downs, 1);
	assert_int_equal(a->down_reason, DTT_LINK_DOWN_CLOSED);
	assert_false(dtt_links_has_session(a->l, b->pk));
	run_for(w, LAT);
	assert_int_equal(b->downs, 1);
	assert_int_equal(b->down_reason, DTT_LINK_DOWN_CLOSED);
	assert_false(dtt_links_has_session(b->l, a->pk));
	/* closing again is a no-op; the address is kept and a new session starts on demand */
	dtt_links_close(a->l, b->pk);
	assert_int_equal(a->downs, 1);
	send_str(a, b, "again");
	run_for(w, 100);
	assert_msg(b, 1, a, "again");
	assert_int_equal(a->ups, 2);
	assert_int_equal(b->ups, 2);
	/* b is no longer watching a after its down: a's silence is fine */
	run_for(w, 30000);
	assert_int_equal(b->downs, 1);
	world_free(w);
}

static void test_idle_unwatched_session_expires_quietly(void **state)
{
	struct dtt_links_config cfg;
	struct world *w;
	struct node *a, *b;

	dtt_links_config_init(&cfg);
	cfg.rekey_ms = 5000;
	w = pair(18, &cfg);
	a = &w->n[0];
	b = &w->n[1];
	/* a last heard and sent at T0 + 20, b last heard at T0 + 30 */
	sim_net_run_until(w->net, T0 + 5019);
	assert_true(dtt_links_has_session(a->l, b->pk));
	sim_net_run_until(w->net, T0 + 5020);
	assert_false(dtt_links_has_session(a->l, b->pk));
	sim_net_run_until(w->net, T0 + 5029);
	assert_true(dtt_links_has_session(b->l, a->pk));
	sim_net_run_until(w->net, T0 + 5030);
	assert_false(dtt_links_has_session(b->l, a->pk));
	assert_int_equal(a->downs + b->downs, 0);
	assert_int_equal(st(a)->sessions_down, 1);
	assert_int_equal(st(a)->datagrams_out, 2);
	send_str(a, b, "later");
	run_for(w, 100);
	assert_msg(b, 1, a, "later");
	assert_int_equal(a->ups, 2);
	assert_int_equal(b->ups, 2);
	world_free(w);
}

static void test_full_table_evicts_the_least_recently_used_unwatched_peer(void **state)
{
	struct dtt_links_config cfg;
	struct world *w;
	struct node *a;
	uint8_t pk[8][32], sk[64], seed[32];
	struct dtt_addr addr, got;
	uint8_t ip[4] = {10, 1, 1, 1};

	dtt_links_config_init(&cfg);
	cfg.peers_max = 4;
	w = world_new(1, 19, &cfg);
	a = &w->n[0];
	dtt_addr_ipv4(&addr, ip, 1);
	for (int k = 0; k < 8; k++) {
		memset(seed, k + 1, sizeof(seed));
		dtt_ed25519_seed_keypair(pk[k], sk, seed);
	}
	for (int k = 0; k < 4; k++)
		assert_int_equal(dtt_links_set_addr(a->l, pk[k], &addr), 0);
	dtt_links_watch(a->l, pk[0], true);
	assert_int_equal(dtt_links_set_addr(a->l, pk[1], &addr), 0); /* used again: 2 is LRU */
	assert_int_equal(dtt_links_set_addr(a->l, pk[4], &addr), 0);
	assert_int_equal(dtt_links_addr(a->l, pk[2], &got), DTT_ERR_NOTFOUND);
	assert_int_equal(dtt_links_addr(a->l, pk[0], &got), 0);
	assert_int_equal(dtt_links_addr(a->l, pk[1], &got), 0);
	assert_int_equal(dtt_links_addr(a->l, pk[3], &got), 0);
	/* the watched one is never evicted; with every peer watched the table is full */
	dtt_links_watch(a->l, pk[1], true);
	dtt_links_watch(a->l, pk[3], true);
	dtt_links_watch(a->l, pk[4], true);
	assert_int_equal(dtt_links_set_addr(a->l, pk[5], &addr), DTT_ERR_FULL);
	dtt_links_watch(a->l, pk[6], true);
	assert_int_equal(st(a)->dropped[DTT_LINKS_DROP_FULL], 1);
	/* our own id, and a key that is not a point */
	assert_int_equal(dtt_links_set_addr(a->l, a->pk, &addr), DTT_ERR_INVALID);
	memset(seed, 0, sizeof(seed));
	seed[0] = 1; /* the neutral element: of small order */
	assert_int_equal(dtt_links_set_addr(a->l, seed, &addr), DTT_ERR_INVALID);
	assert_int_equal(dtt_links_send(a->l, pk[7], (const uint8_t *)"x", 1), DTT_ERR_NOTFOUND);
	world_free(w);
}

static void test_send_checks_sizes_and_every_datagram_fits(void **state)
{
	struct world *w = pair(20, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	uint8_t big[DTT_LINK_PAYLOAD_MAX + 1];

	memset(big, 0xab, sizeof(big));
	assert_int_equal(dtt_links_send(a->l, b->pk, big, sizeof(big)), DTT_ERR_TOOBIG);
	assert_int_equal(dtt_links_send(a->l, b->pk, big, 0), DTT_ERR_INVALID);
	assert_int_equal(dtt_links_send(a->l, b->pk, big, DTT_LINK_PAYLOAD_MAX), 0);
	run_for(w, LAT);
	assert_int_equal(b->rx[b->rx_count - 1].len, DTT_LINK_PAYLOAD_MAX + DATA_OVERHEAD);
	assert_int_equal(b->log[1].len, DTT_LINK_PAYLOAD_MAX);
	assert_memory_equal(b->log[1].data, big, DTT_LINK_PAYLOAD_MAX);
	assert_true(sim_net_stats(w->net)->max_len <= DTT_LINK_DATAGRAM_MAX);
	world_free(w);
}

static void test_sessions_follow_the_authenticated_address(void **state)
{
	struct world *w = pair(26, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];
	struct dtt_addr x, roam, got;
	uint8_t ip[4] = {10, 9, 9, 9};

	/* b's datagrams come from a new address: the session follows them */
	dtt_addr_ipv4(&roam, ip, 4242);
	a->hold = true;
	send_str(b, a, "roaming");
	run_for(w, LAT);
	dtt_links_on_datagram(a->l, &roam, a->rx[a->rx_count - 1].buf, a->rx[a->rx_count - 1].len);
	assert_msg(a, 0, b, "roaming");
	assert_int_equal(dtt_links_addr(a->l, b->pk, &got), 0);
	assert_true(dtt_addr_eq(&got, &roam));
	/* a replayed datagram from elsewhere moves nothing */
	ip[3] = 7;
	dtt_addr_ipv4(&x, ip, 7);
	dtt_links_on_datagram(a->l, &x, a->rx[a->rx_count - 1].buf, a->rx[a->rx_count - 1].len);
	assert_int_equal(st(a)->dropped[DTT_LINKS_DROP_REPLAY], 1);
	assert_int_equal(dtt_links_addr(a->l, b->pk, &got), 0);
	assert_true(dtt_addr_eq(&got, &roam));
	a->hold = false;

	/* an address from elsewhere waits until the session is gone */
	ip[3] = 8;
	dtt_addr_ipv4(&x, ip, 7);
	assert_int_equal(dtt_links_set_addr(a->l, b->pk, &x), 0);
	assert_int_equal(dtt_links_addr(a->l, b->pk, &got), 0);
	assert_true(dtt_addr_eq(&got, &roam));
	dtt_links_close(a->l, b->pk);
	assert_int_equal(dtt_links_addr(a->l, b->pk, &got), 0);
	assert_true(dtt_addr_eq(&got, &x));
	world_free(w);
}

static void test_callbacks_may_send_back(void **state)
{
	struct world *w = world_new(2, 21, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];

	b->echo = true;
	introduce(a, b);
	send_str(a, b, "ping");
	run_for(w, 100);
	assert_msg(a, 0, b, "ping");
	assert_int_equal(st(b)->handshakes_started, 0);
	world_free(w);
}

static void test_a_restarted_peer_gets_a_new_session(void **state)
{
	struct world *w = pair(22, NULL);
	struct node *a = &w->n[0], *b = &w->n[1];

	dtt_links_watch(b->l, a->pk, true);
	run_for(w, 1000);
	/* a loses all state; its wall clock moved on, so its new initiation is fresh to b */
	dtt_links_free(a->l);
	a->l = dtt_links_new(sim_net_env(w->net, 0), sim_net_timers(w->net, 0), a->sk, &w->cfg,
			     &cbs, a);
	assert_non_null(a->l);
	introduce(a, b);
	send_str(a, b, "i am back");
	run_for(w, 100);
	assert_msg(b, 1, a, "i am back");
	send_str(b, a, "welcome");
	run_for(w, 100);
	assert_msg(a, 0, b, "welcome");
	assert_int_equal(b->downs, 0);
	assert_int_equal(b->ups, 1); /* b never lost a, the session was only renewed */
	run_for(w, 20000);	     /* b's watch is served by the new session */
	assert_int_equal(b->downs, 0);
	world_free(w);
}

static void test_bad_config_and_bad_identity_are_refused(void **state)
{
	struct world *w = world_new(1, 23, NULL);
	struct dtt_links_config cfg, bad;
	uint8_t sk[64];
	uint32_t *fields[] = {
	    &bad.peers_max,	     &bad.queue_max,	   &bad.handshake_timeout_ms,
	    &bad.handshake_attempts, &bad.keepalive_ms,	   &bad.dead_ms,
	    &bad.rekey_ms,	     &bad.handshakes_per_s};
	const struct dtt_env *env = sim_net_env(w->net, 0);
	struct dtt_timers *timers = sim_net_timers(w->net, 0);

	dtt_links_config_init(&cfg);
	assert_int_equal(cfg.peers_max, 256);
	assert_int_equal(cfg.dead_ms, 6000);
	for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
		bad = cfg;
		*fields[k] = 0;
		assert_null(dtt_links_new(env, timers, w->n[0].sk, &bad, &cbs, NULL));
	}
	assert_null(dtt_links_new(env, timers, w->n[0].sk, NULL, &cbs, NULL));
	memcpy(sk, w->n[0].sk, 64);
	sk[40] ^= 1; /* the public half does not belong to the seed */
	assert_null(dtt_links_new(env, timers, sk, &cfg, &cbs, NULL));
	dtt_links_free(NULL);
	world_free(w);
}

static void test_allocation_failures_are_clean(void **state)
{
	struct dtt_alloc_stats before = dtt_alloc_stats(), after;
	long recovered = 0;

	/* every allocation of a whole exchange fails in turn: no crash, no leak, recovery */
	for (long n = 0; n < 40; n++) {
		struct world *w = world_new(2, 24, NULL);
		struct node *a = &w->n[0], *b = &w->n[1];
		int rc;

		dtt_alloc_fail_after(n);
		rc = dtt_links_set_addr(a->l, b->pk, sim_net_addr(w->net, 1));
		if (rc == 0)
			rc = dtt_links_send(a->l, b->pk, (const uint8_t *)"x", 1);
		assert_true(rc == 0 || rc == DTT_ERR_NOMEM);
		dtt_links_watch(a->l, b->pk, true);
		run_for(w, 10000);
		dtt_alloc_fail_after(-1);
		if (b->msgs == 1)
			recovered++;
		introduce(a, b);
		send_str(a, b, "y");
		run_for(w, 4000);
		assert_true(dtt_links_has_session(a->l, b->pk));
		assert_msg(b, b->msgs - 1, a, "y");
		world_free(w);
	}
	assert_true(recovered > 0);
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);

	{
		struct world *w = world_new(1, 25, NULL);
		struct dtt_links *l;

		dtt_alloc_fail_after(0);
		l = dtt_links_new(sim_net_env(w->net, 0), sim_net_timers(w->net, 0), w->n[0].sk,
				  &w->cfg, &cbs, NULL);
		dtt_alloc_fail_after(-1);
		assert_null(l);
		world_free(w);
	}
}

static uint64_t scenario_digest(uint64_t seed)
{
	struct dtt_links_config cfg;
	struct world *w;
	uint64_t d;

	dtt_links_config_init(&cfg);
	cfg.rekey_ms = 2000;
	w = world_new(3, seed, &cfg);
	introduce(&w->n[0], &w->n[1]);
	introduce(&w->n[1], &w->n[2]);
	introduce(&w->n[2], &w->n[0]);
	introduce(&w->n[1], &w->n[0]);
	dtt_links_watch(w->n[0].l, w->n[1].pk, true);
	for (int k = 0; k < 50; k++) {
		send_str(&w->n[k % 3], &w->n[(k + 1) % 3], "round");
		if (k % 7 == 0)
			send_str(&w->n[1], &w->n[0], "back");
		run_for(w, 137);
	}
	run_for(w, 10000);
	assert_int_equal(w->n[0].downs + w->n[1].downs + w->n[2].downs, 0);
	d = sim_net_stats(w->net)->digest;
	world_free(w);
	return d;
}

static void test_same_seed_gives_the_same_datagrams(void **state)
{
	uint64_t a = scenario_digest(7), b = scenario_digest(7), c = scenario_digest(8);

	assert_int_equal(a, b);
	assert_int_not_equal(a, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_noise_ik_matches_the_published_vector),
	    cmocka_unit_test(test_handshake_completes_and_messages_flow_both_ways),
	    cmocka_unit_test(test_simultaneous_initiation_converges_to_one_session),
	    cmocka_unit_test(test_wrong_peer_key_is_rejected_and_counted),
	    cmocka_unit_test(test_forged_response_does_not_spoil_the_handshake),
	    cmocka_unit_test(test_replayed_handshake_messages_are_rejected),
	    cmocka_unit_test(test_every_bit_flip_of_an_initiation_is_rejected),
	    cmocka_unit_test(test_every_bit_flip_of_a_transport_datagram_is_rejected),
	    cmocka_unit_test(test_replay_window_accepts_reordering_and_refuses_repeats),
	    cmocka_unit_test(test_malformed_and_unknown_frames_are_counted),
	    cmocka_unit_test(test_keepalives_keep_a_watched_idle_peer_up),
	    cmocka_unit_test(test_silent_watched_peer_goes_down_timed_out_after_dead_ms),
	    cmocka_unit_test(test_quiet_watched_link_survives_heavy_loss),
	    cmocka_unit_test(test_loss_estimate_follows_the_links_loss),
	    cmocka_unit_test(test_unanswered_peer_goes_down_failed_after_the_attempts),
	    cmocka_unit_test(test_queue_is_bounded),
	    cmocka_unit_test(test_handshakes_are_rate_limited_per_source_address),
	    cmocka_unit_test(test_rekey_keeps_traffic_flowing),
	    cmocka_unit_test(test_close_tells_the_peer_and_both_go_down_closed),
	    cmocka_unit_test(test_idle_unwatched_session_expires_quietly),
	    cmocka_unit_test(test_full_table_evicts_the_least_recently_used_unwatched_peer),
	    cmocka_unit_test(test_send_checks_sizes_and_every_datagram_fits),
	    cmocka_unit_test(test_sessions_follow_the_authenticated_address),
	    cmocka_unit_test(test_callbacks_may_send_back),
	    cmocka_unit_test(test_a_restarted_peer_gets_a_new_session),
	    cmocka_unit_test(test_bad_config_and_bad_identity_are_refused),
	    cmocka_unit_test(test_allocation_failures_are_clean),
	    cmocka_unit_test(test_same_seed_gives_the_same_datagrams),
	};

	if (dtt_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
