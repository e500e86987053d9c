/* test_dht.c - the DHT node and client (BEP 5, 43, 44): one node on the fake env answering
 * hand-made queries byte for byte, then swarms on tests/sim_net doing bootstrap, put, get,
 * cancel, free and a deterministic trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "bencode.h"
#include "bep44.h"
#include "crypto.h"
#include "dht.h"
#include "err.h"
#include "fake_env.h"
#include "krpc.h"
#include "rt.h"
#include "sim_net.h"
#include "store.h"
#include "token.h"

#define T0 1000000u

/* ---------------------------------------------------------------------------------------
 * helpers: one node on the fake env
 * ------------------------------------------------------------------------------------ */

struct one {
	struct fake_env fe;
	struct dtt_timers timers;
	struct dtt_dht *dht;
};

struct signer {
	uint8_t pk[32];
	uint8_t sk[64];
};

static void signer_init(struct signer *s, uint8_t b)
{
	uint8_t seed[32];

	memset(seed, b, sizeof(seed));
	dtt_ed25519_seed_keypair(s->pk, s->sk, seed);
}

static void one_init_cfg(struct one *o, uint64_t seed, const struct dtt_dht_config *cfg)
{
	fake_env_init(&o->fe, seed, T0, 1700000000000);
	dtt_timers_init(&o->timers);
	o->dht = dtt_dht_new(&o->fe.env, &o->timers, cfg);
	assert_non_null(o->dht);
}

static void one_init(struct one *o, uint64_t seed)
{
	one_init_cfg(o, seed, NULL);
}

static void one_free(struct one *o)
{
	dtt_dht_free(o->dht);
	assert_int_equal(dtt_timers_next_ms(&o->timers), UINT64_MAX);
}

static void one_advance(struct one *o, uint64_t ms)
{
	fake_env_advance(&o->fe, ms);
	dtt_timers_run(&o->timers, o->fe.now_ms);
}

static void addr_of(struct dtt_addr *a, uint8_t last, uint16_t port)
{
	const uint8_t ip[4] = {10, 0, 0, last};

	dtt_addr_ipv4(a, ip, port);
}

static void id_of(uint8_t id[20], uint8_t b)
{
	memset(id, b, 20);
}

static void feed(struct one *o, const struct dtt_addr *from, const void *buf, size_t len)
{
	dtt_dht_on_datagram(o->dht, from, buf, len);
}

struct boot_rec {
	int done;
	int status;
	size_t nodes;
};

static void boot_done(void *ctx, int status, size_t nodes)
{
	struct boot_rec *r = ctx;

	r->done++;
	r->status = status;
	r->nodes = nodes;
}

/* Decodes the i-th captured datagram (the message borrows the capture buffer). */
static void sent_msg(struct one *o, size_t i, struct dtt_krpc_msg *m)
{
	assert_true(i < o->fe.sent_count);
	assert_int_equal(dtt_krpc_decode(m, o->fe.sent[i].buf, o->fe.sent[i].len), 0);
}

static bool contains(const uint8_t *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(hay + i, needle, n) == 0)
			return true;
	}
	return false;
}

static const struct dtt_krpc_hdr hdr_aa = {.t = (const uint8_t *)"aa", .t_len = 2};

/* Encodes into w with a fresh buffer; asserts success. */
#define ENCODE(w, buf, call)                                                                       \
	do {                                                                                       \
		dtt_wbuf_init(&(w), (buf), sizeof(buf));                                           \
		assert_int_equal((call), 0);                                                       \
	} while (0)

static void send_ping(struct one *o, const struct dtt_addr *from, const uint8_t id[20])
{
	uint8_t buf[256];
	struct dtt_wbuf w;

	ENCODE(w, buf, dtt_krpc_encode_ping(&w, &hdr_aa, id));
	feed(o, from, buf, w.len);
}

/* A node (id, addr) queries us, we ping it back (the rt asks for it) and it answers, so it
 * becomes a confirmed contact. */
static void make_contact(struct one *o, const struct dtt_addr *a, const uint8_t id[20])
{
	struct dtt_krpc_msg m;
	struct dtt_krpc_hdr h = {0};
	uint8_t buf[256];
	struct dtt_wbuf w;
	size_t before;

	fake_env_clear_sent(&o->fe);
	send_ping(o, a, id);
	assert_int_equal(o->fe.sent_count, 2); /* the reply, then our ping */
	sent_msg(o, 1, &m);
	assert_int_equal(m.type, DTT_KRPC_QUERY);
	assert_int_equal(m.method, DTT_KRPC_PING);
	assert_true(dtt_addr_eq(&o->fe.sent[1].to, a));
	h.t = m.t;
	h.t_len = m.t_len;
	before = dtt_dht_stats(o->dht)->responses_received;
	ENCODE(w, buf, dtt_krpc_encode_reply(&w, &h, id));
	feed(o, a, buf, w.len);
	assert_int_equal(dtt_dht_stats(o->dht)->responses_received, before + 1);
	fake_env_clear_sent(&o->fe);
}

/* The only datagram sent must be an error with this code. */
static void expect_error(struct one *o, int64_t code)
{
	struct dtt_krpc_msg m;

	assert_int_equal(o->fe.sent_count, 1);
	sent_msg(o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_ERROR);
	assert_int_equal(m.error_code, code);
	assert_int_equal(m.t_len, 2);
	assert_memory_equal(m.t, "aa", 2);
	fake_env_clear_sent(&o->fe);
}

/* ---------------------------------------------------------------------------------------
 * single node: BEP 5
 * ------------------------------------------------------------------------------------ */

static void test_dht_answers_ping_with_its_id_and_the_requester_ip(void **state)
{
	static const uint8_t q[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	uint8_t expect[128];
	struct dtt_addr a;
	struct dtt_krpc_msg m;
	struct one o;
	size_t n = 0;

	one_init(&o, 1);
	addr_of(&a, 2, 6881);
	feed(&o, &a, q, sizeof(q) - 1);
	assert_int_equal(o.fe.sent_count, 2);

	/* d 2:ip 6:<10.0.0.2:6881> 1:r d 2:id 20:<id> e 1:t 2:aa 1:v 4:DT\0\1 1:y 1:r e */
	memcpy(expect + n,
	       "d2:ip6:\x0a\x00\x00\x02\x1a\xe1"
	       "1:rd2:id20:",
	       7 + 6 + 11);
	n += 7 + 6 + 11;
	memcpy(expect + n, dtt_dht_id(o.dht), 20);
	n += 20;
	memcpy(expect + n,
	       "e1:t2:aa1:v4:DT\x00\x01"
	       "1:y1:re",
	       17 + 7);
	n += 17 + 7;
	assert_true(dtt_addr_eq(&o.fe.sent[0].to, &a));
	assert_int_equal(o.fe.sent[0].len, n);
	assert_memory_equal(o.fe.sent[0].buf, expect, n);

	/* the querier is new to the table, which asks us to ping it */
	sent_msg(&o, 1, &m);
	assert_int_equal(m.method, DTT_KRPC_PING);
	assert_memory_equal(m.id, dtt_dht_id(o.dht), 20);
	assert_false(m.ro);
	assert_int_equal(m.t_len, 2);
	assert_int_equal(dtt_dht_stats(&*o.dht)->queries_received[DTT_KRPC_PING], 1);
	assert_int_equal(dtt_dht_stats(o.dht)->queries_sent[DTT_KRPC_PING], 1);
	assert_int_equal(dtt_dht_node_count(o.dht), 1);
	one_free(&o);
}

static void test_dht_find_node_returns_closest_compact_nodes(void **state)
{
	struct dtt_addr a, b, c;
	uint8_t ida[20], idb[20], idc[20], target[20], buf[256], expect[52];
	struct dtt_krpc_msg m;
	struct dtt_wbuf w;
	struct one o;
	const uint8_t *first, *second;
	const struct dtt_addr *fa, *sa;

	one_init(&o, 2);
	addr_of(&a, 2, 1001);
	addr_of(&b, 3, 1002);
	addr_of(&c, 4, 1003);
	id_of(ida, 0x11);
	id_of(idb, 0x22);
	id_of(idc, 0x33);
	make_contact(&o, &a, ida);
	make_contact(&o, &b, idb);

	id_of(target, 0x20); /* 0x22 is nearer than 0x11 */
	ENCODE(w, buf, dtt_krpc_encode_find_node(&w, &hdr_aa, idc, target, 0));
	feed(&o, &c, buf, w.len);
	assert_true(o.fe.sent_count >= 1);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_memory_equal(m.id, dtt_dht_id(o.dht), 20);
	assert_true(m.has & DTT_KRPC_HAS_IP);
	assert_true(dtt_addr_eq(&m.ip, &c));
	assert_int_equal(m.nodes_len, 52);
	first = idb;
	second = ida;
	fa = &b;
	sa = &a;
	memcpy(expect, first, 20);
	memcpy(expect + 20, fa->addr, 4);
	expect[24] = (uint8_t)(fa->port >> 8);
	expect[25] = (uint8_t)fa->port;
	memcpy(expect + 26, second, 20);
	memcpy(expect + 46, sa->addr, 4);
	expect[50] = (uint8_t)(sa->port >> 8);
	expect[51] = (uint8_t)sa->port;
	assert_memory_equal(m.nodes, expect, 52);
	assert_false(m.has & DTT_KRPC_HAS_NODES6);
	one_free(&o);
}

static void test_dht_query_missing_arguments_gets_203(void **state)
{
	/* find_node without target, get without target, announce_peer without token */
	static const char fn[] = "d1:ad2:id20:abcdefghij0123456789e1:q9:find_node1:t2:aa1:y1:qe";
	static const char get[] = "d1:ad2:id20:abcdefghij0123456789e1:q3:get1:t2:aa1:y1:qe";
	static const char gp[] = "d1:ad2:id20:abcdefghij0123456789e1:q9:get_peers1:t2:aa1:y1:qe";
	/* a query whose `a` lacks `id`: the decoder drops it, the node still answers 203 */
	static const char noid[] = "d1:ade1:q4:ping1:t2:aa1:y1:qe";
	struct dtt_addr a;
	struct one o;

	one_init(&o, 3);
	addr_of(&a, 2, 6881);
	feed(&o, &a, fn, sizeof(fn) - 1);
	o.fe.sent_count = o.fe.sent_count > 1 ? 1 : o.fe.sent_count; /* ignore the rt's ping */
	expect_error(&o, 203);
	feed(&o, &a, get, sizeof(get) - 1);
	expect_error(&o, 203);
	feed(&o, &a, gp, sizeof(gp) - 1);
	expect_error(&o, 203);
	feed(&o, &a, noid, sizeof(noid) - 1);
	expect_error(&o, 203);
	assert_int_equal(dtt_dht_stats(o.dht)->dropped[DTT_KRPC_DROP_BAD_ID], 1);
	assert_int_equal(dtt_dht_stats(o.dht)->errors_sent[DTT_DHT_CODE_PROTOCOL], 4);
	one_free(&o);
}

static void test_dht_unknown_method_gets_204(void **state)
{
	static const char q[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:vote1:t2:aa1:y1:qe";
	struct dtt_addr a;
	struct dtt_krpc_msg m;
	struct one o;

	one_init(&o, 4);
	addr_of(&a, 2, 6881);
	feed(&o, &a, q, sizeof(q) - 1);
	assert_true(o.fe.sent_count >= 1);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_ERROR);
	assert_int_equal(m.error_code, 204);
	assert_int_equal(m.error_msg_len, strlen("Method Unknown"));
	assert_memory_equal(m.error_msg, "Method Unknown", m.error_msg_len);
	assert_int_equal(dtt_dht_stats(o.dht)->queries_received[DTT_KRPC_UNKNOWN], 1);
	one_free(&o);
}

static void test_dht_malformed_datagrams_are_counted_not_answered(void **state)
{
	static const char trunc[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa";
	static const char unsorted[] = "d1:t2:aa1:y1:q1:q4:ping1:ad2:id20:abcdefghij0123456789ee";
	static const char list[] = "li1ei2ee";
	static const char badt[] = "d1:y1:qe";
	static const char bady[] = "d1:t2:aa1:y1:ze";
	const struct dtt_dht_stats *st;
	struct dtt_addr a, bad;
	struct one o;

	one_init(&o, 5);
	addr_of(&a, 2, 6881);
	feed(&o, &a, trunc, sizeof(trunc) - 1);
	feed(&o, &a, unsorted, sizeof(unsorted) - 1);
	feed(&o, &a, list, sizeof(list) - 1);
	feed(&o, &a, badt, sizeof(badt) - 1);
	feed(&o, &a, bady, sizeof(bady) - 1);
	feed(&o, &a, "", 0);
	addr_of(&bad, 2, 0); /* port 0 */
	feed(&o, &bad, list, sizeof(list) - 1);
	assert_int_equal(o.fe.sent_count, 0);
	st = dtt_dht_stats(o.dht);
	assert_int_equal(st->dropped[DTT_KRPC_DROP_BENCODE], 3);
	assert_int_equal(st->dropped[DTT_KRPC_DROP_NOT_DICT], 1);
	assert_int_equal(st->dropped[DTT_KRPC_DROP_BAD_T], 1);
	assert_int_equal(st->dropped[DTT_KRPC_DROP_BAD_Y], 1);
	assert_int_equal(st->dropped[DTT_DHT_DROP_BAD_FROM], 1);
	assert_int_equal(st->datagrams_in, 7);
	assert_int_equal(dtt_dht_node_count(o.dht), 0);
	assert_string_equal(dtt_dht_drop_name(DTT_KRPC_DROP_BENCODE), "bencode");
	assert_string_equal(dtt_dht_drop_name(DTT_DHT_DROP_UNSOLICITED), "unsolicited");
	assert_string_equal(dtt_dht_drop_name(DTT_DHT_DROP_RATE_LIMITED), "rate_limited");
	assert_string_equal(dtt_dht_drop_name(DTT_DHT_DROP__COUNT), "invalid");
	for (int i = 0; i < DTT_DHT_DROP__COUNT; i++)
		assert_non_null(dtt_dht_drop_name(i));
	one_free(&o);
}

static void test_dht_unsolicited_responses_are_dropped(void **state)
{
	struct dtt_addr a, other;
	uint8_t ida[20], buf[256];
	struct dtt_krpc_msg m;
	struct dtt_krpc_hdr h = {0};
	struct dtt_wbuf w;
	struct one o;

	one_init(&o, 6);
	addr_of(&a, 2, 6881);
	addr_of(&other, 9, 6881);
	id_of(ida, 0x44);
	/* never asked anything: dropped */
	ENCODE(w, buf, dtt_krpc_encode_reply(&w, &hdr_aa, ida));
	feed(&o, &a, buf, w.len);
	assert_int_equal(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_UNSOLICITED], 1);

	/* a real outstanding ping: the right tid from the wrong address is still unsolicited */
	send_ping(&o, &a, ida);
	sent_msg(&o, 1, &m);
	h.t = m.t;
	h.t_len = m.t_len;
	ENCODE(w, buf, dtt_krpc_encode_reply(&w, &h, ida));
	fake_env_clear_sent(&o.fe);
	feed(&o, &other, buf, w.len);
	assert_int_equal(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_UNSOLICITED], 2);
	assert_int_equal(dtt_dht_rpc_count(o.dht), 1);
	/* from the right address it matches, once */
	feed(&o, &a, buf, w.len);
	assert_int_equal(dtt_dht_stats(o.dht)->responses_received, 1);
	assert_int_equal(dtt_dht_rpc_count(o.dht), 0);
	feed(&o, &a, buf, w.len);
	assert_int_equal(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_UNSOLICITED], 3);
	assert_int_equal(o.fe.sent_count, 0);
	one_free(&o);
}

static void test_dht_read_only_node_never_answers_and_sends_ro(void **state)
{
	struct dtt_dht_config cfg;
	struct dtt_addr a;
	uint8_t ida[20];
	struct dtt_krpc_msg m;
	struct boot_rec b = {0};
	struct one o;
	static const char *ro = "2:roi1e";

	dtt_dht_config_init(&cfg);
	cfg.read_only = true;
	one_init_cfg(&o, 7, &cfg);
	addr_of(&a, 2, 6881);
	id_of(ida, 0x55);
	send_ping(&o, &a, ida);
	assert_int_equal(o.fe.sent_count, 0);
	assert_int_equal(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_READ_ONLY], 1);
	assert_int_equal(dtt_dht_node_count(o.dht), 0);

	/* its own queries carry ro=1 at the top level */
	assert_int_equal(dtt_dht_bootstrap(o.dht, &a, 1, boot_done, &b), 0);
	assert_int_equal(o.fe.sent_count, 0); /* queries leave from the operation's timer */
	one_advance(&o, 0);
	assert_int_equal(o.fe.sent_count, 1);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.method, DTT_KRPC_FIND_NODE);
	assert_true(m.ro);
	assert_true(contains(o.fe.sent[0].buf, o.fe.sent[0].len, ro));
	/* nobody answers: the bootstrap ends with a timeout and an empty table */
	one_advance(&o, DTT_DHT_QUERY_TIMEOUT_MS);
	assert_int_equal(b.done, 1);
	assert_int_equal(b.status, DTT_ERR_TIMEOUT);
	assert_int_equal(b.nodes, 0);
	one_free(&o);
}

static void test_dht_read_only_querier_is_answered_but_not_inserted(void **state)
{
	struct dtt_krpc_hdr h = hdr_aa;
	struct dtt_addr a;
	uint8_t ida[20], buf[256];
	struct dtt_wbuf w;
	struct dtt_krpc_msg m;
	struct one o;

	one_init(&o, 8);
	addr_of(&a, 2, 6881);
	id_of(ida, 0x66);
	h.ro = true;
	ENCODE(w, buf, dtt_krpc_encode_ping(&w, &h, ida));
	feed(&o, &a, buf, w.len);
	assert_int_equal(o.fe.sent_count, 1); /* the reply, and no ping back */
	sent_msg(&o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_int_equal(dtt_dht_node_count(o.dht), 0);
	one_free(&o);
}

/* ---------------------------------------------------------------------------------------
 * single node: get_peers / announce_peer
 * ------------------------------------------------------------------------------------ */

static void test_dht_announce_peer_needs_token_and_get_peers_returns_it(void **state)
{
	struct dtt_addr a, b;
	uint8_t ida[20], idb[20], ih[20], buf[512], tok[64];
	size_t tok_len;
	struct dtt_krpc_msg m;
	struct dtt_wbuf w;
	struct one o;

	one_init(&o, 9);
	addr_of(&a, 2, 40000);
	addr_of(&b, 3, 6881);
	id_of(ida, 0x12);
	id_of(idb, 0x34);
	id_of(ih, 0xab);
	ENCODE(w, buf, dtt_krpc_encode_get_peers(&w, &hdr_aa, ida, ih, 0));
	feed(&o, &a, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_true(m.has & DTT_KRPC_HAS_TOKEN);
	assert_true(m.has & DTT_KRPC_HAS_NODES); /* empty table: an empty `nodes` */
	assert_int_equal(m.nodes_len, 0);
	assert_false(m.has & DTT_KRPC_HAS_VALUES);
	tok_len = m.token_len;
	assert_int_equal(tok_len, 8);
	memcpy(tok, m.token, tok_len);
	fake_env_clear_sent(&o.fe);

	/* a wrong token: 203 */
	ENCODE(w, buf,
	       dtt_krpc_encode_announce_peer(&w, &hdr_aa, ida, ih, 5555, false,
					     (const uint8_t *)"nottoken", 8));
	feed(&o, &a, buf, w.len);
	expect_error(&o, 203);
	/* the token from another IP: 203 */
	ENCODE(w, buf,
	       dtt_krpc_encode_announce_peer(&w, &hdr_aa, idb, ih, 5555, false, tok, tok_len));
	feed(&o, &b, buf, w.len);
	o.fe.sent_count = 1; /* ignore the rt's ping to the new querier b */
	expect_error(&o, 203);
	/* implied_port: the UDP source port 40000 is stored, not 5555 */
	ENCODE(w, buf,
	       dtt_krpc_encode_announce_peer(&w, &hdr_aa, ida, ih, 5555, true, tok, tok_len));
	feed(&o, &a, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_int_equal(dtt_dht_stats(o.dht)->announces_accepted, 1);
	fake_env_clear_sent(&o.fe);

	ENCODE(w, buf, dtt_krpc_encode_get_peers(&w, &hdr_aa, idb, ih, 0));
	feed(&o, &b, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_true(m.has & DTT_KRPC_HAS_VALUES);
	assert_int_equal(m.values_count, 1);
	assert_true(dtt_addr_eq(&m.values[0], &a));
	assert_int_equal(m.values[0].port, 40000);
	fake_env_clear_sent(&o.fe);

	/* peers expire (the expiry timer) */
	one_advance(&o, DTT_DHT_PEER_LIFETIME_MS + 1);
	ENCODE(w, buf, dtt_krpc_encode_get_peers(&w, &hdr_aa, idb, ih, 0));
	fake_env_clear_sent(&o.fe);
	feed(&o, &b, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_false(m.has & DTT_KRPC_HAS_VALUES);
	one_free(&o);
}

/* ---------------------------------------------------------------------------------------
 * single node: BEP 44 get/put
 * ------------------------------------------------------------------------------------ */

struct item {
	uint8_t v[1100];
	size_t v_len;
	uint8_t salt[80];
	size_t salt_len;
	int64_t seq;
	uint8_t sig[64];
	uint8_t target[20];
};

static void item_make(struct item *it, const struct signer *s, const char *salt, size_t salt_len,
		      int64_t seq, const char *raw, size_t raw_len)
{
	int n;

	memset(it, 0, sizeof(*it));
	n = dtt_bep44_string_encode(it->v, sizeof(it->v), (const uint8_t *)raw, raw_len);
	assert_true(n > 0);
	it->v_len = (size_t)n;
	memcpy(it->salt, salt, salt_len);
	it->salt_len = salt_len;
	it->seq = seq;
	if (it->v_len <= DTT_BEP44_V_MAX && salt_len <= DTT_BEP44_SALT_MAX)
		assert_int_equal(
		    dtt_bep44_sign(NULL, it->sig, s->sk, it->salt, salt_len, seq, it->v, it->v_len), 0);
	dtt_bep44_mutable_target(it->target, s->pk, it->salt, salt_len);
}

/* Asks for the token of it->target from (a, id). */
static size_t get_token(struct one *o, const struct dtt_addr *a, const uint8_t id[20],
			const uint8_t target[20], uint8_t tok[64])
{
	struct dtt_krpc_msg m;
	uint8_t buf[256];
	struct dtt_wbuf w;

	fake_env_clear_sent(&o->fe);
	ENCODE(w, buf, dtt_krpc_encode_get(&w, &hdr_aa, id, target, NULL, 0));
	feed(o, a, buf, w.len);
	sent_msg(o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_true(m.has & DTT_KRPC_HAS_TOKEN);
	memcpy(tok, m.token, m.token_len);
	fake_env_clear_sent(&o->fe);
	return m.token_len;
}

static void put_item(struct one *o, const struct dtt_addr *a, const uint8_t id[20],
		     const struct signer *s, const struct item *it, const int64_t *cas,
		     const uint8_t *tok, size_t tok_len)
{
	struct dtt_krpc_item ki = {
	    .v = it->v,
	    .v_len = it->v_len,
	    .k = s->pk,
	    .sig = it->sig,
	    .has_seq = true,
	    .seq = it->seq,
	    .salt = it->salt,
	    .salt_len = it->salt_len,
	    .has_cas = cas != NULL,
	    .cas = cas ? *cas : 0,
	};
	uint8_t buf[2048];
	struct dtt_wbuf w;

	fake_env_clear_sent(&o->fe);
	ENCODE(w, buf, dtt_krpc_encode_put(&w, &hdr_aa, id, tok, tok_len, &ki));
	feed(o, a, buf, w.len);
}

static void expect_ok(struct one *o)
{
	struct dtt_krpc_msg m;

	assert_int_equal(o->fe.sent_count, 1);
	sent_msg(o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	fake_env_clear_sent(&o->fe);
}

static void test_dht_put_validation_codes_and_get_forms(void **state)
{
	struct signer s;
	struct item it, big, salty;
	struct dtt_addr a, b;
	uint8_t ida[20], idb[20], tok[64], buf[256];
	size_t tok_len;
	int64_t cas;
	char raw[998];
	char salt65[65];
	struct dtt_krpc_msg m;
	struct dtt_wbuf w;
	const struct dtt_dht_stats *st;
	struct one o;
	int64_t seq;

	one_init(&o, 10);
	signer_init(&s, 7);
	addr_of(&a, 2, 6881);
	addr_of(&b, 3, 6881);
	id_of(ida, 0x71);
	id_of(idb, 0x72);
	/* a first query from a makes the rt ping it; answer nothing, just drop the capture */
	item_make(&it, &s, "foobar", 6, 5, "Hello World!", 12);
	tok_len = get_token(&o, &a, ida, it.target, tok);
	assert_int_equal(tok_len, 8);

	put_item(&o, &a, ida, &s, &it, NULL, (const uint8_t *)"badtoken", 8);
	expect_error(&o, 203);

	it.sig[0] ^= 1;
	put_item(&o, &a, ida, &s, &it, NULL, tok, tok_len);
	expect_error(&o, 206);
	it.sig[0] ^= 1;

	memset(raw, 'x', sizeof(raw));
	item_make(&big, &s, "foobar", 6, 5, raw, sizeof(raw)); /* 1002 bencoded bytes */
	assert_int_equal(big.v_len, 1002);
	put_item(&o, &a, ida, &s, &big, NULL, tok, tok_len);
	expect_error(&o, 205);

	memset(salt65, 's', sizeof(salt65));
	item_make(&salty, &s, salt65, sizeof(salt65), 5, "Hello World!", 12);
	{
		uint8_t tok2[64];
		size_t tok2_len = get_token(&o, &a, ida, salty.target, tok2);

		put_item(&o, &a, ida, &s, &salty, NULL, tok2, tok2_len);
		expect_error(&o, 207);
	}

	put_item(&o, &a, ida, &s, &it, NULL, tok, tok_len);
	expect_ok(&o);
	assert_int_equal(dtt_store_count(dtt_dht_store(o.dht)), 1);

	item_make(&it, &s, "foobar", 6, 6, "Hello World!", 12);
	cas = 4;
	put_item(&o, &a, ida, &s, &it, &cas, tok, tok_len);
	expect_error(&o, 301);

	item_make(&it, &s, "foobar", 6, 3, "Hello World!", 12);
	put_item(&o, &a, ida, &s, &it, NULL, tok, tok_len);
	expect_error(&o, 302);

	/* a get from elsewhere returns the whole item */
	item_make(&it, &s, "foobar", 6, 5, "Hello World!", 12);
	ENCODE(w, buf, dtt_krpc_encode_get(&w, &hdr_aa, idb, it.target, NULL, 0));
	feed(&o, &b, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_true(m.has & DTT_KRPC_HAS_TOKEN);
	assert_true(m.has & DTT_KRPC_HAS_NODES);
	assert_int_equal(m.seq, 5);
	assert_memory_equal(m.k, s.pk, 32);
	assert_memory_equal(m.sig, it.sig, 64);
	assert_int_equal(m.v_len, 15);
	assert_memory_equal(m.v, "12:Hello World!", 15);
	assert_int_equal(
	    dtt_bep44_verify(NULL, m.sig, m.k, (const uint8_t *)"foobar", 6, m.seq, m.v, m.v_len), 0);
	fake_env_clear_sent(&o.fe);

	/* with seq >= stored: seq only */
	seq = 5;
	ENCODE(w, buf, dtt_krpc_encode_get(&w, &hdr_aa, idb, it.target, &seq, 0));
	feed(&o, &b, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_true(m.has & DTT_KRPC_HAS_SEQ);
	assert_int_equal(m.seq, 5);
	assert_false(m.has & (DTT_KRPC_HAS_V | DTT_KRPC_HAS_K | DTT_KRPC_HAS_SIG));
	fake_env_clear_sent(&o.fe);
	/* with an older seq: everything */
	seq = 4;
	ENCODE(w, buf, dtt_krpc_encode_get(&w, &hdr_aa, idb, it.target, &seq, 0));
	feed(&o, &b, buf, w.len);
	sent_msg(&o, 0, &m);
	assert_true(m.has & DTT_KRPC_HAS_V);

	st = dtt_dht_stats(o.dht);
	assert_int_equal(st->puts_accepted, 1);
	assert_int_equal(st->puts_rejected[DTT_DHT_CODE_PROTOCOL], 1);
	assert_int_equal(st->puts_rejected[DTT_DHT_CODE_BAD_SIG], 1);
	assert_int_equal(st->puts_rejected[DTT_DHT_CODE_V_TOO_BIG], 1);
	assert_int_equal(st->puts_rejected[DTT_DHT_CODE_SALT_TOO_BIG], 1);
	assert_int_equal(st->puts_rejected[DTT_DHT_CODE_CAS], 1);
	assert_int_equal(st->puts_rejected[DTT_DHT_CODE_SEQ_LESS], 1);
	assert_int_equal(st->errors_sent[DTT_DHT_CODE_CAS], 1);
	assert_int_equal(st->queries_received[DTT_KRPC_PUT], 7);
	assert_string_equal(dtt_dht_code_name(dtt_dht_code_index(301)), "cas");
	assert_int_equal(dtt_dht_code_index(999), DTT_DHT_CODE_OTHER);
	one_free(&o);
}

static void test_dht_tokens_expire_after_two_rotations_and_items_after_lifetime(void **state)
{
	struct signer s;
	struct item it;
	struct dtt_addr a;
	uint8_t ida[20], tok[64];
	size_t tok_len;
	struct one o;

	one_init(&o, 11);
	signer_init(&s, 8);
	addr_of(&a, 2, 6881);
	id_of(ida, 0x81);
	item_make(&it, &s, "", 0, 1, "x", 1);
	tok_len = get_token(&o, &a, ida, it.target, tok);
	/* one rotation later the token still works */
	one_advance(&o, DTT_DHT_TOKEN_ROTATE_MS + 1);
	put_item(&o, &a, ida, &s, &it, NULL, tok, tok_len);
	expect_ok(&o);
	/* two rotations later it does not */
	one_advance(&o, DTT_DHT_TOKEN_ROTATE_MS);
	put_item(&o, &a, ida, &s, &it, NULL, tok, tok_len);
	expect_error(&o, 203);
	/* the expiry timer drops the item after its lifetime */
	assert_int_equal(dtt_store_count(dtt_dht_store(o.dht)), 1);
	one_advance(&o, DTT_DHT_ITEM_LIFETIME_MS);
	assert_int_equal(dtt_store_count(dtt_dht_store(o.dht)), 0);
	one_free(&o);
}

static void test_dht_rpc_timeout_is_counted_and_reported_to_rt(void **state)
{
	struct dtt_addr a;
	uint8_t ida[20];
	struct dtt_rt_info info;
	struct one o;

	one_init(&o, 12);
	addr_of(&a, 2, 6881);
	id_of(ida, 0x91);
	send_ping(&o, &a, ida); /* we ping back; nobody answers */
	assert_int_equal(dtt_dht_rpc_count(o.dht), 1);
	one_advance(&o, DTT_DHT_QUERY_TIMEOUT_MS - 1);
	assert_int_equal(dtt_dht_stats(o.dht)->timeouts, 0);
	one_advance(&o, 1);
	assert_int_equal(dtt_dht_stats(o.dht)->timeouts, 1);
	assert_int_equal(dtt_dht_rpc_count(o.dht), 0);
	assert_true(dtt_rt_get(dtt_dht_rt(o.dht), ida, o.fe.now_ms, &info));
	assert_int_equal(info.fails, 1);
	assert_false(info.ping_pending);
	one_free(&o);
}

static void test_dht_refreshes_stale_buckets_with_find_node(void **state)
{
	struct dtt_dht_config cfg;
	struct dtt_addr a;
	uint8_t ida[20];
	struct dtt_krpc_msg m;
	struct one o;

	dtt_dht_config_init(&cfg);
	cfg.thin_refresh_ms = 0;
	one_init_cfg(&o, 13, &cfg);
	addr_of(&a, 2, 6881);
	id_of(ida, 0xa1);
	make_contact(&o, &a, ida);
	one_advance(&o, DTT_DHT_BUCKET_REFRESH_MS - 1000);
	assert_int_equal(o.fe.sent_count, 0);
	one_advance(&o, 1000);
	assert_int_equal(o.fe.sent_count, 1);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.method, DTT_KRPC_FIND_NODE);
	assert_true(dtt_addr_eq(&o.fe.sent[0].to, &a));
	assert_int_equal(dtt_dht_op_count(o.dht), 1);
	/* nobody answers: the refresh lookup ends after the timeout */
	one_advance(&o, DTT_DHT_QUERY_TIMEOUT_MS);
	assert_int_equal(dtt_dht_op_count(o.dht), 0);
	assert_int_equal(dtt_dht_stats(o.dht)->lookups_finished, 1);
	one_free(&o);
}

static void test_dht_thin_table_looks_up_own_id_every_thin_period(void **state)
{
	struct dtt_addr a;
	uint8_t ida[20];
	struct dtt_krpc_msg m;
	struct one o;

	one_init(&o, 16);
	addr_of(&a, 2, 6881);
	id_of(ida, 0xb1);
	make_contact(&o, &a, ida);
	one_advance(&o, DTT_DHT_THIN_REFRESH_MS - 1);
	assert_int_equal(o.fe.sent_count, 0);
	one_advance(&o, 1);
	assert_int_equal(o.fe.sent_count, 1);
	sent_msg(&o, 0, &m);
	assert_int_equal(m.method, DTT_KRPC_FIND_NODE);
	assert_memory_equal(m.target, dtt_dht_id(o.dht), 20);
	one_free(&o);
}

/* ---------------------------------------------------------------------------------------
 * operation callbacks on one node
 * ------------------------------------------------------------------------------------ */

struct get_rec {
	int done;
	struct dtt_dht_get_result res;
	int values;
	int values_before_done;
	uint8_t v[8][64];
	size_t v_len[8];
	struct dtt_addr from[8];
	struct dtt_dht *cancel_dht; /* cancel op from inside the value callback */
	int64_t cancel_op;
};

static void get_value(void *ctx, const struct dtt_dht_value *val)
{
	struct get_rec *r = ctx;

	assert_int_equal(r->done, 0);
	assert_non_null(val->v);
	assert_non_null(val->k);
	assert_non_null(val->sig);
	if (r->values < 8) {
		assert_non_null(val->str);
		if (val->str_len <= sizeof(r->v[0]))
			memcpy(r->v[r->values], val->str, val->str_len);
		r->v_len[r->values] = val->str_len;
		r->from[r->values] = val->from;
	}
	r->values++;
	r->values_before_done++;
	if (r->cancel_dht)
		dtt_dht_cancel(r->cancel_dht, r->cancel_op);
}

static void get_done(void *ctx, const struct dtt_dht_get_result *res)
{
	struct get_rec *r = ctx;

	r->done++;
	r->res = *res;
}

struct put_rec {
	int done;
	struct dtt_dht_put_result res;
};

static void put_done(void *ctx, const struct dtt_dht_put_result *res)
{
	struct put_rec *r = ctx;

	r->done++;
	r->res = *res;
}

static void test_dht_get_on_empty_table_ends_notfound_later_not_inside_the_call(void **state)
{
	struct signer s;
	struct get_rec g = {0};
	struct one o;
	int64_t op;

	one_init(&o, 14);
	signer_init(&s, 9);
	op = dtt_dht_get_mutable(o.dht, s.pk, (const uint8_t *)"salt", 4, get_value, get_done, &g);
	assert_true(op > 0);
	assert_int_equal(g.done, 0);
	one_advance(&o, 0);
	assert_int_equal(g.done, 1);
	assert_int_equal(g.res.status, DTT_ERR_NOTFOUND);
	assert_int_equal(g.res.queried, 0);
	assert_int_equal(dtt_dht_op_count(o.dht), 0);
	/* canceling a finished op is a no-op */
	dtt_dht_cancel(o.dht, op);
	assert_int_equal(g.done, 1);
	one_free(&o);
}

static void test_dht_start_calls_reject_bad_arguments_and_full_tables(void **state)
{
	struct dtt_dht_config cfg;
	struct signer s;
	struct get_rec g1 = {0}, g2 = {0}, g3 = {0};
	struct put_rec p = {0};
	uint8_t salt[65] = {0};
	struct dtt_addr a;
	struct one o;

	dtt_dht_config_init(&cfg);
	cfg.lookups_max = 2;
	one_init_cfg(&o, 15, &cfg);
	signer_init(&s, 10);
	addr_of(&a, 2, 6881);
	assert_int_equal(dtt_dht_get_mutable(o.dht, s.pk, salt, 65, NULL, get_done, &g1),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, NULL, NULL, &g1),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_dht_put_mutable(o.dht, s.sk, NULL, 0, 1, NULL, (const uint8_t *)"3:ab",
					     4, put_done, &p),
			 DTT_ERR_INVALID); /* not bencode */
	assert_int_equal(dtt_dht_put_mutable(o.dht, s.sk, NULL, 0, -1, NULL,
					     (const uint8_t *)"2:ab", 4, put_done, &p),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_dht_bootstrap(o.dht, NULL, 0, boot_done, NULL), DTT_ERR_INVALID);
	assert_true(dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, NULL, get_done, &g1) > 0);
	assert_true(dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, NULL, get_done, &g2) > 0);
	assert_int_equal(dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, NULL, get_done, &g3),
			 DTT_ERR_FULL);
	assert_int_equal(dtt_dht_put_mutable(o.dht, s.sk, NULL, 0, 1, NULL, (const uint8_t *)"2:ab",
					     4, put_done, &p),
			 DTT_ERR_FULL);
	/* free cancels the two running ones, exactly once each; the refused ones never fire */
	dtt_dht_free(o.dht);
	assert_int_equal(g1.done, 1);
	assert_int_equal(g1.res.status, DTT_ERR_CANCELED);
	assert_int_equal(g2.done, 1);
	assert_int_equal(g3.done, 0);
	assert_int_equal(p.done, 0);
	assert_int_equal(dtt_timers_next_ms(&o.timers), UINT64_MAX);
}

static void test_dht_config_out_of_range_is_refused(void **state)
{
	struct dtt_dht_config cfg;
	struct fake_env fe;
	struct dtt_timers ts;

	fake_env_init(&fe, 1, T0, 0);
	dtt_timers_init(&ts);
	dtt_dht_config_init(&cfg);
	cfg.alpha = 0;
	assert_null(dtt_dht_new(&fe.env, &ts, &cfg));
	dtt_dht_config_init(&cfg);
	cfg.shortlist_max = 4; /* < k */
	assert_null(dtt_dht_new(&fe.env, &ts, &cfg));
	dtt_dht_config_init(&cfg);
	cfg.rt.k = 0;
	assert_null(dtt_dht_new(&fe.env, &ts, &cfg));
	assert_int_equal(dtt_timers_next_ms(&ts), UINT64_MAX);
}

/* ---------------------------------------------------------------------------------------
 * swarms on sim_net
 * ------------------------------------------------------------------------------------ */

#define SWARM_MAX  64
#define LATENCY_MS 5

struct swarm {
	struct sim_net *net;
	struct dtt_dht *d[SWARM_MAX];
	size_t n;
	struct boot_rec boot[SWARM_MAX];
};

static void swarm_recv(void *user, const struct dtt_addr *from, const uint8_t *buf, size_t len)
{
	dtt_dht_on_datagram(user, from, buf, len);
}

static void swarm_new(struct swarm *sw, size_t n, uint64_t seed, const struct dtt_dht_config *cfg)
{
	memset(sw, 0, sizeof(*sw));
	assert_true(n <= SWARM_MAX);
	sw->n = n;
	sw->net = sim_net_new(n, seed, T0, LATENCY_MS);
	assert_non_null(sw->net);
	for (size_t i = 0; i < n; i++) {
		sw->d[i] = dtt_dht_new(sim_net_env(sw->net, i), sim_net_timers(sw->net, i), cfg);
		assert_non_null(sw->d[i]);
		sim_net_attach(sw->net, i, swarm_recv, sw->d[i]);
	}
}

static void swarm_free(struct swarm *sw)
{
	for (size_t i = 0; i < sw->n; i++) {
		if (!sw->d[i])
			continue;
		dtt_dht_free(sw->d[i]);
		assert_int_equal(dtt_timers_next_ms(sim_net_timers(sw->net, i)), UINT64_MAX);
	}
	sim_net_free(sw->net);
}

static bool all_booted(void *ctx)
{
	struct swarm *sw = ctx;

	for (size_t i = 0; i < sw->n; i++) {
		if (!sw->boot[i].done)
			return false;
	}
	return true;
}

#define JOIN_GAP_MS 200

/* Nodes 0 and 1 bootstrap from each other, then node i joins at (i - 1) * JOIN_GAP_MS
 * through node 0; then the swarm settles. */
static void swarm_bootstrap(struct swarm *sw)
{
	uint64_t t0 = sim_net_now(sw->net);

	for (size_t i = 0; i < sw->n; i++) {
		const struct dtt_addr *seed = sim_net_addr(sw->net, i == 0 ? 1 : 0);

		if (i > 1)
			sim_net_run_until(sw->net, t0 + (i - 1) * JOIN_GAP_MS);
		assert_int_equal(dtt_dht_bootstrap(sw->d[i], seed, 1, boot_done, &sw->boot[i]), 0);
	}
	assert_true(sim_net_run_until_done(sw->net, sim_net_now(sw->net) + 30000, all_booted, sw));
	sim_net_run_until(sw->net, sim_net_now(sw->net) + 5000);
}

static bool get_finished(void *ctx)
{
	return ((struct get_rec *)ctx)->done > 0;
}

static bool put_finished(void *ctx)
{
	return ((struct put_rec *)ctx)->done > 0;
}

static void swarm_put(struct swarm *sw, size_t i, const struct signer *s, const char *salt,
		      int64_t seq, const char *raw, struct put_rec *p)
{
	uint8_t v[1100];
	int n = dtt_bep44_string_encode(v, sizeof(v), (const uint8_t *)raw, strlen(raw));

	assert_true(n > 0);
	memset(p, 0, sizeof(*p));
	assert_true(dtt_dht_put_mutable(sw->d[i], s->sk, (const uint8_t *)salt, strlen(salt), seq,
					NULL, v, (size_t)n, put_done, p) > 0);
	assert_true(sim_net_run_until_done(sw->net, sim_net_now(sw->net) + 30000, put_finished, p));
	assert_int_equal(p->done, 1);
}

static void swarm_get(struct swarm *sw, size_t i, const struct signer *s, const char *salt,
		      struct get_rec *g)
{
	memset(g, 0, sizeof(*g));
	assert_true(dtt_dht_get_mutable(sw->d[i], s->pk, (const uint8_t *)salt, strlen(salt),
					get_value, get_done, g) > 0);
	assert_true(sim_net_run_until_done(sw->net, sim_net_now(sw->net) + 30000, get_finished, g));
	assert_int_equal(g->done, 1);
}

/* Nodes whose store holds target. */
static size_t holders(struct swarm *sw, const uint8_t target[20], bool *which)
{
	size_t n = 0;

	for (size_t i = 0; i < sw->n; i++) {
		struct dtt_store_item it;
		bool has = dtt_store_get(dtt_dht_store(sw->d[i]), target, false, 0,
					 sim_net_now(sw->net), &it) == 0;

		if (which)
			which[i] = has;
		n += has;
	}
	return n;
}

/* Node indices sorted by the XOR distance of their ids to target, nearest first. */
static void by_distance(struct swarm *sw, const uint8_t target[20], size_t *order)
{
	for (size_t i = 0; i < sw->n; i++)
		order[i] = i;
	for (size_t i = 1; i < sw->n; i++) {
		for (size_t j = i;
		     j > 0 && dtt_rt_distance_cmp(target, dtt_dht_id(sw->d[order[j]]),
						  dtt_dht_id(sw->d[order[j - 1]])) < 0;
		     j--) {
			size_t t = order[j];

			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	}
}

static void test_dht_swarm_bootstrap_fills_every_table(void **state)
{
	struct swarm sw;
	uint8_t far[20];
	struct dtt_rt_node rn;

	swarm_new(&sw, 32, 100, NULL);
	swarm_bootstrap(&sw);
	for (size_t i = 0; i < sw.n; i++) {
		assert_int_equal(sw.boot[i].done, 1);
		assert_int_equal(sw.boot[i].status, 0);
		assert_true(sw.boot[i].nodes >= 1);
		assert_true(dtt_dht_node_count(sw.d[i]) >= DTT_DHT_K);
		assert_int_equal(dtt_dht_op_count(sw.d[i]), 0);
		/* the join refreshed the far buckets too: someone across the id space is known */
		memcpy(far, dtt_dht_id(sw.d[i]), 20);
		far[0] ^= 0x80;
		assert_int_equal(dtt_rt_closest(dtt_dht_rt(sw.d[i]), far, &rn, 1), 1);
		assert_true((rn.id[0] ^ dtt_dht_id(sw.d[i])[0]) & 0x80);
	}
	swarm_free(&sw);
}

static void test_dht_swarm_started_at_once_heals_through_thin_refresh(void **state)
{
	struct swarm sw;
	size_t thin = 0;

	swarm_new(&sw, 32, 109, NULL);
	/* everyone at the same instant through node 0, whose table is still empty */
	for (size_t i = 0; i < sw.n; i++)
		assert_int_equal(dtt_dht_bootstrap(sw.d[i], sim_net_addr(sw.net, i == 0 ? 1 : 0), 1,
						   boot_done, &sw.boot[i]),
				 0);
	assert_true(sim_net_run_until_done(sw.net, sim_net_now(sw.net) + 30000, all_booted, &sw));
	for (size_t i = 1; i < sw.n; i++)
		thin += dtt_dht_node_count(sw.d[i]) < DTT_DHT_K;
	assert_true(thin > sw.n / 2); /* a star around node 0 */
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 2 * DTT_DHT_THIN_REFRESH_MS + 1000);
	for (size_t i = 0; i < sw.n; i++)
		assert_true(dtt_dht_node_count(sw.d[i]) >= DTT_DHT_K);
	swarm_free(&sw);
}

static void test_dht_bootstrap_seed_down_is_asked_again_while_table_empty(void **state)
{
	struct swarm sw;

	(void)state;
	swarm_new(&sw, 8, 113, NULL);
	for (size_t i = 2; i < sw.n; i++)
		assert_int_equal(dtt_dht_bootstrap(sw.d[i], sim_net_addr(sw.net, 0), 1, boot_done,
						   &sw.boot[i]), 0);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 5000);
	/* node 1's seed is not up yet: its bootstrap times out with an empty table */
	sim_net_set_down(sw.net, 0, true);
	assert_int_equal(dtt_dht_bootstrap(sw.d[1], sim_net_addr(sw.net, 0), 1, boot_done,
					   &sw.boot[1]), 0);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 30000);
	assert_int_equal(sw.boot[1].done, 1);
	assert_int_equal(sw.boot[1].status, DTT_ERR_TIMEOUT);
	assert_int_equal(dtt_dht_node_count(sw.d[1]), 0);
	/* the seed comes up; the thin-table check asks it again */
	sim_net_set_down(sw.net, 0, false);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + DTT_DHT_THIN_REFRESH_MS + 5000);
	assert_int_equal(sw.boot[1].done, 1); /* the first callback fired once, no more */
	assert_true(dtt_dht_node_count(sw.d[1]) >= 2);
	swarm_free(&sw);
}

/* The network of one node goes down for 10 minutes: its lookups fail every contact of its
 * full table. With contacts but none usable it must not stay deaf (it used to re-seed only
 * from an empty table): it asks its seeds and the failed contacts again, with a growing wait,
 * so the outage costs a bounded number of datagrams and the table is back soon after. */
static void test_dht_outage_fails_every_contact_and_the_table_recovers(void **state)
{
	struct swarm sw;
	struct get_rec g;
	struct signer s;
	struct put_rec p;
	const size_t me = 5;
	uint64_t sent0, t0;
	int gets = 0;

	(void)state;
	signer_init(&s, 31);
	swarm_new(&sw, 32, 117, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 1, &s, "back", 1, "after the outage", &p);
	assert_true(dtt_rt_usable_count(dtt_dht_rt(sw.d[me])) >= DTT_DHT_K);
	sim_net_set_cut(sw.net, me, true);
	t0 = sim_net_now(sw.net);
	/* its gets during the outage fail every contact it has */
	while (dtt_rt_usable_count(dtt_dht_rt(sw.d[me])) > 0 && gets < 200) {
		swarm_get(&sw, me, &s, "back", &g);
		assert_int_equal(g.values, 0);
		gets++;
	}
	assert_int_equal(dtt_rt_usable_count(dtt_dht_rt(sw.d[me])), 0);
	assert_true(dtt_dht_node_count(sw.d[me]) >= DTT_DHT_K); /* full of failed contacts */
	/* the rest of the 10 minutes, alone: a bounded number of recovery attempts */
	sent0 = sim_net_sent_by(sw.net, me);
	sim_net_run_until(sw.net, t0 + 10 * 60 * 1000);
	assert_true(dtt_dht_stats(sw.d[me])->recoveries >= 3);
	assert_true(sim_net_sent_by(sw.net, me) - sent0 <=
		    (10 * 60 * 1000 / DTT_DHT_THIN_REFRESH_MS + 4) * DTT_DHT_BOOTSTRAP_MAX);
	/* the network is back: within one wait and a lookup the table is usable again */
	sim_net_set_cut(sw.net, me, false);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + DTT_DHT_THIN_REFRESH_MS + 20000);
	assert_true(dtt_rt_usable_count(dtt_dht_rt(sw.d[me])) >= DTT_DHT_K);
	swarm_get(&sw, me, &s, "back", &g);
	assert_int_equal(g.values, 1);
	swarm_free(&sw);
}

static void test_dht_swarm_put_stores_on_k_closest_and_get_streams_it(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	struct item it;
	bool which[SWARM_MAX];
	size_t order[SWARM_MAX];

	signer_init(&s, 20);
	item_make(&it, &s, "topic", 5, 1, "hello", 5);
	swarm_new(&sw, 32, 101, NULL);
	swarm_bootstrap(&sw);

	swarm_put(&sw, 5, &s, "topic", 1, "hello", &p);
	assert_int_equal(p.res.status, 0);
	assert_int_equal(p.res.stored, DTT_DHT_K);
	assert_int_equal(p.res.failed, 0);
	assert_true(p.res.responded >= DTT_DHT_K);
	assert_int_equal(holders(&sw, it.target, which), DTT_DHT_K);
	/* ... and they are the K nodes nearest to the target (node 5 itself excluded) */
	by_distance(&sw, it.target, order);
	for (size_t i = 0, seen = 0; i < sw.n && seen < DTT_DHT_K; i++) {
		if (order[i] == 5)
			continue;
		assert_true(which[order[i]]);
		seen++;
	}

	/* a get from another node finds it once (K storers, one distinct value), before done */
	swarm_get(&sw, 20, &s, "topic", &g);
	assert_int_equal(g.res.status, 0);
	assert_int_equal(g.values, 1);
	assert_int_equal(g.values_before_done, 1);
	assert_int_equal(g.res.values, 1);
	assert_int_equal(g.v_len[0], 5);
	assert_memory_equal(g.v[0], "hello", 5);
	assert_true(which[sim_net_index(sw.net, &g.from[0])]);
	assert_true(g.res.responded >= DTT_DHT_K);
	assert_true(g.res.queried >= g.res.responded);
	assert_true(g.res.elapsed_ms > 0 && g.res.elapsed_ms < 1000);
	assert_int_equal(dtt_dht_stats(sw.d[20])->values_delivered, 1);

	/* the wrong salt is another target: nothing there */
	swarm_get(&sw, 20, &s, "other", &g);
	assert_int_equal(g.res.status, DTT_ERR_NOTFOUND);
	assert_int_equal(g.values, 0);
	assert_true(g.res.responded >= DTT_DHT_K);
	swarm_free(&sw);
}

static void test_dht_swarm_get_reports_each_distinct_same_seq_value(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	struct item it2;
	bool which[SWARM_MAX];
	size_t planted = 0;
	int seen_hello = 0, seen_other = 0;

	signer_init(&s, 21);
	swarm_new(&sw, 32, 102, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 3, &s, "slot", INT64_MAX, "hello", &p);
	assert_int_equal(p.res.stored, DTT_DHT_K);

	/* two storers hold another record under the same seq (the topic tracker's shared slot,
	 * written straight into their stores) */
	item_make(&it2, &s, "slot", 4, INT64_MAX, "other", 5);
	assert_int_equal(holders(&sw, it2.target, which), DTT_DHT_K);
	for (size_t i = 0; i < sw.n && planted < 2; i++) {
		struct dtt_store_mutable m = {
		    .k = s.pk,
		    .sig = it2.sig,
		    .salt = it2.salt,
		    .salt_len = it2.salt_len,
		    .seq = it2.seq,
		    .v = it2.v,
		    .v_len = it2.v_len,
		};

		if (!which[i])
			continue;
		assert_int_equal(dtt_store_put_mutable(dtt_dht_store(sw.d[i]), true, it2.target, &m,
						       sim_net_now(sw.net)),
				 0);
		planted++;
	}
	swarm_get(&sw, 30, &s, "slot", &g);
	assert_int_equal(g.res.status, 0);
	assert_int_equal(g.values, 2);
	assert_int_equal(g.res.values, 2);
	for (int i = 0; i < 2; i++) {
		seen_hello += g.v_len[i] == 5 && memcmp(g.v[i], "hello", 5) == 0;
		seen_other += g.v_len[i] == 5 && memcmp(g.v[i], "other", 5) == 0;
	}
	assert_int_equal(seen_hello, 1);
	assert_int_equal(seen_other, 1);
	swarm_free(&sw);
}

static void test_dht_swarm_get_with_half_the_nodes_down_keeps_partial_results(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	struct item it;
	bool which[SWARM_MAX];
	size_t alive_holders = 0;
	uint64_t t0;

	signer_init(&s, 22);
	item_make(&it, &s, "half", 4, 7, "still here", 10);
	swarm_new(&sw, 32, 103, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 1, &s, "half", 7, "still here", &p);
	assert_int_equal(p.res.stored, DTT_DHT_K);
	holders(&sw, it.target, which);
	/* every odd node dies; node 2 (even) reads */
	for (size_t i = 1; i < sw.n; i += 2)
		sim_net_set_down(sw.net, i, true);
	for (size_t i = 0; i < sw.n; i += 2)
		alive_holders += which[i];
	assert_true(alive_holders > 0);

	t0 = sim_net_now(sw.net);
	swarm_get(&sw, 2, &s, "half", &g);
	assert_true(g.res.status == 0 || g.res.status == DTT_ERR_TIMEOUT);
	assert_true(sim_net_now(sw.net) - t0 <= DTT_DHT_LOOKUP_TIMEOUT_MS);
	assert_true(g.res.elapsed_ms <= DTT_DHT_LOOKUP_TIMEOUT_MS);
	assert_int_equal(g.values, 1);
	assert_int_equal(g.res.values, 1);
	assert_memory_equal(g.v[0], "still here", 10);
	assert_true(dtt_dht_stats(sw.d[2])->timeouts > 0);
	assert_true(g.res.queried > g.res.responded);

	/* a put in the same situation still stores on the live nodes it reaches */
	swarm_put(&sw, 4, &s, "half", 8, "newer", &p);
	assert_int_equal(p.res.status, 0);
	assert_true(p.res.stored >= 1);
	assert_true(p.res.elapsed_ms <= DTT_DHT_LOOKUP_TIMEOUT_MS + DTT_DHT_QUERY_TIMEOUT_MS);
	swarm_free(&sw);
}

struct put_tap {
	size_t puts;
	size_t with_cas;
	bool cas_to[SWARM_MAX];
};

static void count_puts(void *ctx, long from, size_t to, const uint8_t *buf, size_t len)
{
	struct put_tap *t = ctx;
	struct dtt_krpc_msg m;

	if (dtt_krpc_decode(&m, buf, len) || m.type != DTT_KRPC_QUERY || m.method != DTT_KRPC_PUT)
		return;
	t->puts++;
	if (m.has & DTT_KRPC_HAS_CAS) {
		assert_int_equal(m.cas, 1);
		t->with_cas++;
		t->cas_to[to] = true;
	}
}

static void test_dht_swarm_put_sends_cas_only_where_a_value_was_seen(void **state)
{
	struct swarm sw;
	struct signer s;
	struct item old;
	struct put_tap tap;
	struct put_rec p;
	size_t order[SWARM_MAX], putter = SWARM_MAX;
	int64_t cas = 1;
	uint8_t v[] = "3:new", v3[] = "5:newer";
	const size_t planted[2] = {2, 5}; /* ranks among the K nearest */

	signer_init(&s, 29);
	item_make(&old, &s, "cas", 3, 1, "old", 3);
	swarm_new(&sw, 32, 111, NULL);
	swarm_bootstrap(&sw);
	by_distance(&sw, old.target, order);
	putter = order[sw.n - 1]; /* the farthest node writes */
	for (size_t i = 0; i < 2; i++) {
		struct dtt_store_mutable m = {
		    .k = s.pk,
		    .sig = old.sig,
		    .salt = old.salt,
		    .salt_len = old.salt_len,
		    .seq = old.seq,
		    .v = old.v,
		    .v_len = old.v_len,
		};

		assert_int_equal(dtt_store_put_mutable(dtt_dht_store(sw.d[order[planted[i]]]), true,
						       old.target, &m, sim_net_now(sw.net)),
				 0);
	}

	memset(&tap, 0, sizeof(tap));
	sim_net_set_tap(sw.net, count_puts, &tap);
	memset(&p, 0, sizeof(p));
	assert_true(dtt_dht_put_mutable(sw.d[putter], s.sk, (const uint8_t *)"cas", 3, 2, &cas, v,
					sizeof(v) - 1, put_done, &p) > 0);
	assert_true(sim_net_run_until_done(sw.net, sim_net_now(sw.net) + 30000, put_finished, &p));
	assert_int_equal(p.res.status, 0);
	assert_int_equal(p.res.stored, DTT_DHT_K);
	assert_int_equal(tap.puts, DTT_DHT_K);
	assert_int_equal(tap.with_cas, 2);
	assert_true(tap.cas_to[order[planted[0]]]);
	assert_true(tap.cas_to[order[planted[1]]]);

	/* now all K hold seq 2: a cas of 1 is refused everywhere (BEP 44: 301) */
	memset(&tap, 0, sizeof(tap));
	memset(&p, 0, sizeof(p));
	assert_true(dtt_dht_put_mutable(sw.d[putter], s.sk, (const uint8_t *)"cas", 3, 3, &cas, v3,
					sizeof(v3) - 1, put_done, &p) > 0);
	assert_true(sim_net_run_until_done(sw.net, sim_net_now(sw.net) + 30000, put_finished, &p));
	assert_int_equal(tap.with_cas, DTT_DHT_K);
	assert_int_equal(p.res.status, DTT_ERR_STATE);
	assert_int_equal(p.res.stored, 0);
	assert_int_equal(p.res.errors[DTT_DHT_CODE_CAS], DTT_DHT_K);
	assert_int_equal(dtt_dht_stats(sw.d[putter])->errors_received[DTT_DHT_CODE_CAS], DTT_DHT_K);
	sim_net_set_tap(sw.net, NULL, NULL);
	swarm_free(&sw);
}

static void test_dht_swarm_cancel_fires_done_once(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p, p2;
	struct get_rec g, g2;
	int64_t op;
	uint8_t v[] = "5:hello";

	signer_init(&s, 23);
	swarm_new(&sw, 16, 104, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 0, &s, "c", 1, "hello", &p);

	/* cancel right after the start */
	memset(&g, 0, sizeof(g));
	op = dtt_dht_get_mutable(sw.d[5], s.pk, (const uint8_t *)"c", 1, get_value, get_done, &g);
	assert_true(op > 0);
	dtt_dht_cancel(sw.d[5], op);
	assert_int_equal(g.done, 1);
	assert_int_equal(g.res.status, DTT_ERR_CANCELED);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 20000);
	assert_int_equal(g.done, 1);
	assert_int_equal(g.values, 0);

	/* cancel from inside the value callback: done follows at once, exactly once */
	memset(&g2, 0, sizeof(g2));
	op = dtt_dht_get_mutable(sw.d[6], s.pk, (const uint8_t *)"c", 1, get_value, get_done, &g2);
	assert_true(op > 0);
	g2.cancel_dht = sw.d[6];
	g2.cancel_op = op;
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 20000);
	assert_int_equal(g2.values, 1);
	assert_int_equal(g2.done, 1);
	assert_int_equal(g2.res.status, DTT_ERR_CANCELED);
	assert_int_equal(g2.res.values, 1);

	/* cancel a put in flight */
	memset(&p2, 0, sizeof(p2));
	op = dtt_dht_put_mutable(sw.d[7], s.sk, (const uint8_t *)"c", 1, 2, NULL, v, sizeof(v) - 1,
				 put_done, &p2);
	assert_true(op > 0);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + LATENCY_MS * 3);
	assert_int_equal(p2.done, 0);
	dtt_dht_cancel(sw.d[7], op);
	assert_int_equal(p2.done, 1);
	assert_int_equal(p2.res.status, DTT_ERR_CANCELED);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 20000);
	assert_int_equal(p2.done, 1);
	assert_int_equal(dtt_dht_op_count(sw.d[7]), 0);
	swarm_free(&sw);
}

static void test_dht_swarm_free_with_operations_in_flight_fires_each_once(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	struct boot_rec b = {0};
	uint8_t v[] = "5:hello";

	signer_init(&s, 24);
	swarm_new(&sw, 16, 105, NULL);
	swarm_bootstrap(&sw);
	memset(&p, 0, sizeof(p));
	memset(&g, 0, sizeof(g));
	assert_true(dtt_dht_get_mutable(sw.d[9], s.pk, NULL, 0, get_value, get_done, &g) > 0);
	assert_true(dtt_dht_put_mutable(sw.d[9], s.sk, NULL, 0, 1, NULL, v, sizeof(v) - 1, put_done,
					&p) > 0);
	assert_int_equal(dtt_dht_bootstrap(sw.d[9], sim_net_addr(sw.net, 0), 1, boot_done, &b), 0);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + LATENCY_MS);
	assert_true(dtt_dht_rpc_count(sw.d[9]) > 0);
	assert_int_equal(dtt_dht_op_count(sw.d[9]), 3);

	sim_net_attach(sw.net, 9, NULL, NULL);
	dtt_dht_free(sw.d[9]);
	sw.d[9] = NULL;
	assert_int_equal(dtt_timers_next_ms(sim_net_timers(sw.net, 9)), UINT64_MAX);
	assert_int_equal(g.done, 1);
	assert_int_equal(g.res.status, DTT_ERR_CANCELED);
	assert_int_equal(p.done, 1);
	assert_int_equal(p.res.status, DTT_ERR_CANCELED);
	assert_int_equal(b.done, 1);
	assert_int_equal(b.status, DTT_ERR_CANCELED);
	/* the rest of the swarm carries on with replies to a node that is gone */
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 20000);
	assert_int_equal(g.done + p.done + b.done, 3);
	swarm_free(&sw);
}

static void test_dht_swarm_large_put_fits_one_datagram(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	char raw[DTT_BEP44_RAW_V_MAX + 1];
	char salt[DTT_BEP44_SALT_MAX + 1];

	memset(raw, 'r', DTT_BEP44_RAW_V_MAX);
	raw[DTT_BEP44_RAW_V_MAX] = 0;
	memset(salt, 's', DTT_BEP44_SALT_MAX);
	salt[DTT_BEP44_SALT_MAX] = 0;
	signer_init(&s, 25);
	swarm_new(&sw, 16, 106, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 2, &s, salt, 1, raw, &p);
	assert_int_equal(p.res.status, 0);
	assert_int_equal(p.res.stored, DTT_DHT_K);
	swarm_get(&sw, 11, &s, salt, &g);
	assert_int_equal(g.values, 1);
	assert_true(sim_net_stats(sw.net)->max_len > 1000);
	assert_true(sim_net_stats(sw.net)->max_len <= DTT_DHT_DATAGRAM_MAX);
	swarm_free(&sw);
}

static void test_dht_swarm_put_survives_loss(void **state)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;

	signer_init(&s, 26);
	swarm_new(&sw, 32, 107, NULL);
	swarm_bootstrap(&sw);
	sim_net_set_loss(sw.net, 100); /* 10% */
	swarm_put(&sw, 8, &s, "lossy", 3, "value", &p);
	assert_int_equal(p.res.status, 0);
	assert_true(p.res.stored >= DTT_DHT_K / 2);
	assert_int_equal(p.res.stored + p.res.failed, DTT_DHT_K);
	swarm_get(&sw, 17, &s, "lossy", &g);
	assert_int_equal(g.values, 1);
	swarm_free(&sw);
}

/* One scenario: bootstrap, put, get; returns the trace digest. */
static uint64_t scenario_digest(uint64_t seed, uint64_t *delivered)
{
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	uint64_t digest;

	signer_init(&s, 27);
	swarm_new(&sw, 24, seed, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 4, &s, "trace", 1, "determinism", &p);
	swarm_get(&sw, 19, &s, "trace", &g);
	assert_int_equal(g.values, 1);
	sim_net_run_until(sw.net, sim_net_now(sw.net) + 20 * 60 * 1000); /* refreshes, rotation */
	digest = sim_net_stats(sw.net)->digest;
	*delivered = sim_net_stats(sw.net)->delivered;
	swarm_free(&sw);
	return digest;
}

static void test_dht_swarm_same_seed_gives_identical_trace(void **state)
{
	uint64_t d1, d2, d3, n1, n2, n3;

	d1 = scenario_digest(4242, &n1);
	d2 = scenario_digest(4242, &n2);
	d3 = scenario_digest(4243, &n3);
	assert_int_equal(d1, d2);
	assert_int_equal(n1, n2);
	assert_true(n1 > 1000);
	assert_true(d1 != d3);
}

static void test_dht_swarm_allocation_is_balanced(void **state)
{
	struct dtt_alloc_stats before = dtt_alloc_stats(), after;
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;

	signer_init(&s, 28);
	swarm_new(&sw, 12, 108, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 1, &s, "mem", 1, "leak?", &p);
	swarm_get(&sw, 2, &s, "mem", &g);
	swarm_free(&sw);
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
}

/* ---------------------------------------------------------------------------------------
 * hostile input
 * ------------------------------------------------------------------------------------ */

/* A random reply to the query captured in d: random ids, node lists (with our own id, port
 * 0, duplicates), tokens, items with the right key but wrong signatures, or garbage. */
static size_t hostile_reply(struct dtt_rng *rng, const struct fake_dgram *d, const uint8_t *own_id,
			    const uint8_t pk[32], uint8_t *out, size_t cap)
{
	struct dtt_krpc_msg q;
	struct dtt_krpc_hdr h = {0};
	struct dtt_wbuf w;
	uint8_t id[20], nodes[20 * 26], tok[64], sig[64], k[32], v[1100], raw[1096];
	size_t nn = dtt_rng_uniform(rng, 21), tok_len = dtt_rng_uniform(rng, 65);
	struct dtt_krpc_item item = {0};

	if (dtt_krpc_decode(&q, d->buf, d->len) || q.type != DTT_KRPC_QUERY)
		return 0;
	h.t = q.t;
	h.t_len = q.t_len;
	if (dtt_rng_uniform(rng, 8) == 0)
		h.t_len = dtt_rng_uniform(rng, q.t_len + 1); /* a wrong transaction id */
	dtt_rng_fill(rng, id, sizeof(id));
	if (dtt_rng_uniform(rng, 16) == 0)
		memcpy(id, own_id, 20);
	dtt_rng_fill(rng, nodes, nn * 26);
	for (size_t i = 0; i < nn; i++) {
		uint8_t *e = nodes + i * 26;

		e[20] = 10; /* mostly addresses the fake env will capture */
		switch (dtt_rng_uniform(rng, 6)) {
		case 0: memcpy(e, own_id, 20); break;
		case 1:
			e[24] = e[25] = 0; /* port 0 */
			break;
		case 2:
			if (i)
				memcpy(e, e - 26, 26); /* duplicate */
			break;
		}
	}
	dtt_rng_fill(rng, tok, sizeof(tok));
	dtt_rng_fill(rng, sig, sizeof(sig));
	memcpy(k, pk, 32);
	if (dtt_rng_uniform(rng, 4) == 0)
		k[0] ^= 1;
	dtt_wbuf_init(&w, out, cap);
	switch (dtt_rng_uniform(rng, 5)) {
	case 0: {
		size_t raw_len = dtt_rng_uniform(rng, sizeof(raw) + 1);
		int n;

		dtt_rng_fill(rng, raw, raw_len);
		n = dtt_bep44_string_encode(v, sizeof(v), raw, raw_len);
		if (n < 0)
			return 0;
		item.v = v;
		item.v_len = (size_t)n;
		item.k = k;
		item.sig = sig;
		item.has_seq = true;
		item.seq = (int64_t)dtt_rng_next(rng);
		if (dtt_krpc_encode_get_reply(&w, &h, id, tok, tok_len, nodes, nn * 26, NULL, 0,
					      &item))
			return 0;
		break;
	}
	case 1:
		if (dtt_krpc_encode_error(&w, &h, (int64_t)dtt_rng_uniform(rng, 400), "x", 1))
			return 0;
		break;
	case 2:
		if (dtt_krpc_encode_reply(&w, &h, id))
			return 0;
		break;
	default:
		if (dtt_krpc_encode_get_peers_reply(&w, &h, id, tok, tok_len, NULL, 0, nodes,
						    nn * 26, NULL, 0))
			return 0;
		break;
	}
	/* sometimes break the bytes as well */
	if (dtt_rng_uniform(rng, 4) == 0 && w.len) {
		size_t flips = 1 + dtt_rng_uniform(rng, 4);

		for (size_t i = 0; i < flips; i++)
			out[dtt_rng_uniform(rng, w.len)] = (uint8_t)dtt_rng_next(rng);
		if (dtt_rng_uniform(rng, 2))
			w.len = dtt_rng_uniform(rng, w.len + 1);
	}
	return w.len;
}

static void test_dht_hostile_replies_and_queries_never_break_the_node(void **state)
{
	static const char *const queries[] = {
	    "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
	    "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q9:find_node1:t2:"
	    "aa1:y1:qe",
	    "d1:ad2:id20:abcdefghij01234567899:info_hash20:mnopqrstuvwxyz123456e1:q9:get_peers1:t2:"
	    "aa1:y1:qe",
	    "d1:ad2:id20:abcdefghij01234567896:target20:mnopqrstuvwxyz123456e1:q3:get1:t2:aa1:y1:"
	    "qe",
	    "d1:ad2:id20:abcdefghij01234567891:k32:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3:seqi1e3:sig64:"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb5:token8:cccccccc"
	    "1:v1:xe1:q3:put1:t2:aa1:y1:qe",
	};
	struct dtt_dht_config cfg;
	struct signer s;
	struct get_rec g = {0};
	struct put_rec p = {0};
	struct dtt_addr a, from;
	uint8_t ida[20], out[2048], v[] = "3:abc";
	struct dtt_rng rng;
	struct one o;
	size_t handled = 0;

	dtt_dht_config_init(&cfg);
	cfg.query_timeout_ms = 30; /* many short operations */
	cfg.lookup_timeout_ms = 300;
	cfg.rpcs_max = 32;
	one_init_cfg(&o, 17, &cfg);
	dtt_rng_seed(&rng, 17);
	signer_init(&s, 11);
	addr_of(&a, 2, 6881);
	id_of(ida, 0xc1);
	make_contact(&o, &a, ida);

	for (int round = 0; round < 4000; round++) {
		if (g.done || round == 0) {
			memset(&g, 0, sizeof(g));
			assert_true(
			    dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, get_value, get_done, &g) > 0);
		}
		if (p.done || round == 0) {
			memset(&p, 0, sizeof(p));
			assert_true(dtt_dht_put_mutable(o.dht, s.sk, NULL, 0, 1, NULL, v, 5,
							put_done, &p) > 0);
		}
		one_advance(&o, 7);
		/* answer everything the node sent since the last round, hostilely */
		for (size_t i = handled; i < o.fe.sent_count; i++) {
			size_t n;

			assert_true(o.fe.sent[i].len <= DTT_DHT_DATAGRAM_MAX);
			n = hostile_reply(&rng, &o.fe.sent[i], dtt_dht_id(o.dht), s.pk, out,
					  sizeof(out));
			if (n)
				feed(&o, &o.fe.sent[i].to, out, n);
		}
		handled = o.fe.sent_count;
		/* and a mutated query from a random 10.x address */
		{
			const char *q = queries[dtt_rng_uniform(&rng, 5)];
			size_t len = strlen(q);

			memcpy(out, q, len);
			for (size_t f = dtt_rng_uniform(&rng, 3); f > 0; f--)
				out[dtt_rng_uniform(&rng, len)] = (uint8_t)dtt_rng_next(&rng);
			addr_of(&from, (uint8_t)(3 + dtt_rng_uniform(&rng, 200)),
				(uint16_t)(1 + dtt_rng_uniform(&rng, 60000)));
			feed(&o, &from, out, len);
		}
		for (size_t i = handled; i < o.fe.sent_count; i++)
			assert_true(o.fe.sent[i].len <= DTT_DHT_DATAGRAM_MAX);
		if (o.fe.sent_count > FAKE_ENV_SENT_MAX - 64) {
			fake_env_clear_sent(&o.fe);
			handled = 0;
		} else {
			handled = o.fe.sent_count;
		}
		assert_true(dtt_dht_rpc_count(o.dht) <= cfg.rpcs_max);
		assert_true(dtt_dht_op_count(o.dht) <= 2 + 2 /* refreshes */);
		assert_true(g.done <= 1 && p.done <= 1);
	}
	/* every operation ends (the clock moves in steps, as a poll loop's would) */
	for (int i = 0; i < 200; i++)
		one_advance(&o, 100);
	assert_int_equal(g.done, 1);
	assert_int_equal(p.done, 1);
	assert_int_equal(dtt_dht_op_count(o.dht), 0);
	assert_int_equal(dtt_dht_rpc_count(o.dht), 0);
	assert_true(dtt_dht_stats(o.dht)->responses_received > 1000);
	assert_true(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_BAD_ITEM] > 0);
	assert_true(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_UNSOLICITED] > 0);
	assert_true(dtt_dht_stats(o.dht)->dropped[DTT_DHT_DROP_OWN_ID] > 0);
	/* and the node still answers a plain ping */
	fake_env_clear_sent(&o.fe);
	send_ping(&o, &a, ida);
	assert_true(o.fe.sent_count >= 1);
	{
		struct dtt_krpc_msg m;

		sent_msg(&o, 0, &m);
		assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	}
	one_free(&o);
}

static void test_dht_lookup_ends_when_rpc_slots_run_out(void **state)
{
	struct dtt_dht_config cfg;
	struct swarm sw;
	struct signer s;
	struct put_rec p;
	struct get_rec g;
	struct dtt_dht *tiny;

	dtt_dht_config_init(&cfg);
	signer_init(&s, 12);
	swarm_new(&sw, 16, 110, NULL);
	swarm_bootstrap(&sw);
	swarm_put(&sw, 0, &s, "tiny", 1, "v", &p);
	/* node 15 gets replaced by one with room for a single outstanding RPC */
	cfg.rpcs_max = 1;
	sim_net_attach(sw.net, 15, NULL, NULL);
	dtt_dht_free(sw.d[15]);
	dtt_dht_config_init(&cfg);
	cfg.rpcs_max = 1;
	tiny = dtt_dht_new(sim_net_env(sw.net, 15), sim_net_timers(sw.net, 15), &cfg);
	assert_non_null(tiny);
	sw.d[15] = tiny;
	sim_net_attach(sw.net, 15, swarm_recv, tiny);
	memset(&sw.boot[15], 0, sizeof(sw.boot[15]));
	assert_int_equal(
	    dtt_dht_bootstrap(tiny, sim_net_addr(sw.net, 0), 1, boot_done, &sw.boot[15]), 0);
	assert_true(sim_net_run_until_done(sw.net, sim_net_now(sw.net) + 30000, all_booted, &sw));
	swarm_get(&sw, 15, &s, "tiny", &g);
	assert_int_equal(g.res.status, 0);
	assert_int_equal(g.values, 1);
	assert_true(dtt_dht_stats(tiny)->rpcs_full > 0);
	swarm_free(&sw);
}

static void test_dht_refreshes_leave_half_the_operation_slots_to_the_caller(void **state)
{
	struct dtt_dht_config cfg;
	struct signer s;
	struct get_rec g = {0};
	struct one o;

	dtt_dht_config_init(&cfg);
	cfg.lookups_max = 2;
	cfg.thin_refresh_ms = 0;
	one_init_cfg(&o, 19, &cfg);
	signer_init(&s, 14);
	/* 24 contacts that answer our pings: the table splits into several buckets */
	for (uint8_t i = 0; i < 24; i++) {
		struct dtt_addr a;
		uint8_t id[20], buf[256];
		struct dtt_krpc_msg m;
		struct dtt_krpc_hdr h = {0};
		struct dtt_wbuf w;

		addr_of(&a, (uint8_t)(10 + i), 6881);
		dtt_rng_fill(&o.fe.rng, id, sizeof(id));
		fake_env_clear_sent(&o.fe);
		send_ping(&o, &a, id);
		for (size_t j = 0; j < o.fe.sent_count; j++) {
			sent_msg(&o, j, &m);
			if (m.type != DTT_KRPC_QUERY || !dtt_addr_eq(&o.fe.sent[j].to, &a))
				continue;
			h.t = m.t;
			h.t_len = m.t_len;
			ENCODE(w, buf, dtt_krpc_encode_reply(&w, &h, id));
			feed(&o, &a, buf, w.len);
		}
	}
	assert_true(dtt_rt_bucket_count(dtt_dht_rt(o.dht)) >= 2);
	one_advance(&o, DTT_DHT_BUCKET_REFRESH_MS);
	/* every bucket is due, but refreshes take one of the two slots */
	assert_int_equal(dtt_dht_op_count(o.dht), 1);
	assert_true(dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, NULL, get_done, &g) > 0);
	one_free(&o);
	assert_int_equal(g.done, 1);
}

/* ---------------------------------------------------------------------------------------
 * error paths: failing sends, failing allocations
 * ------------------------------------------------------------------------------------ */

static void test_dht_failed_sends_count_and_rpcs_still_time_out(void **state)
{
	struct dtt_addr a;
	uint8_t ida[20];
	struct one o;

	one_init(&o, 18);
	addr_of(&a, 2, 6881);
	id_of(ida, 0xd1);
	o.fe.send_result = DTT_ERR_IO;
	send_ping(&o, &a, ida); /* the reply and our ping both fail to leave */
	assert_int_equal(o.fe.sent_count, 0);
	assert_int_equal(dtt_dht_stats(o.dht)->datagrams_out, 2);
	assert_int_equal(dtt_dht_stats(o.dht)->send_failed, 2);
	assert_int_equal(dtt_dht_rpc_count(o.dht), 1); /* a lost datagram: wait for it */
	one_advance(&o, DTT_DHT_QUERY_TIMEOUT_MS);
	assert_int_equal(dtt_dht_stats(o.dht)->timeouts, 1);
	one_free(&o);
}

/* Drives one node through contacts (with bucket splits), a get, a put and a bootstrap while
 * allocation n and every later one fail. */
static void alloc_failure_run(long n)
{
	struct dtt_alloc_stats before = dtt_alloc_stats(), after;
	struct get_rec g = {0};
	struct put_rec p = {0};
	struct boot_rec b = {0};
	int64_t gop = 0, pop = 0;
	int bop = -1;
	struct signer s;
	struct one o;
	uint8_t v[] = "1:x";

	signer_init(&s, 13);
	fake_env_init(&o.fe, 40, T0, 0);
	dtt_timers_init(&o.timers);
	dtt_alloc_fail_after(n);
	o.dht = dtt_dht_new(&o.fe.env, &o.timers, NULL);
	if (o.dht) {
		for (uint8_t i = 0; i < 24; i++) {
			struct dtt_addr a;
			uint8_t id[20];
			struct dtt_krpc_msg m;
			struct dtt_krpc_hdr h = {0};
			uint8_t buf[256];
			struct dtt_wbuf w;
			size_t first = o.fe.sent_count;

			addr_of(&a, (uint8_t)(10 + i), 6881);
			id_of(id, (uint8_t)(i * 11 + 1));
			id[19] = i;
			send_ping(&o, &a, id);
			for (size_t j = first; j < o.fe.sent_count; j++) {
				if (dtt_krpc_decode(&m, o.fe.sent[j].buf, o.fe.sent[j].len) ||
				    m.type != DTT_KRPC_QUERY)
					continue;
				h.t = m.t;
				h.t_len = m.t_len;
				dtt_wbuf_init(&w, buf, sizeof(buf));
				if (dtt_krpc_encode_reply(&w, &h, id) == 0)
					feed(&o, &a, buf, w.len);
			}
			fake_env_clear_sent(&o.fe);
		}
		gop = dtt_dht_get_mutable(o.dht, s.pk, NULL, 0, get_value, get_done, &g);
		pop = dtt_dht_put_mutable(o.dht, s.sk, NULL, 0, 1, NULL, v, 3, put_done, &p);
		bop = dtt_dht_bootstrap(o.dht, NULL, 0, boot_done, &b);
		one_advance(&o, 0);
		one_advance(&o, DTT_DHT_QUERY_TIMEOUT_MS);
		dtt_dht_free(o.dht);
	}
	dtt_alloc_fail_after(-1);
	assert_int_equal(g.done, gop > 0);
	assert_int_equal(p.done, pop > 0);
	assert_int_equal(b.done, bop == 0);
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
}

static void test_dht_allocation_failures_leak_nothing_and_keep_callbacks_exact(void **state)
{
	for (long n = 0; n < 40; n++)
		alloc_failure_run(n);
}

/* ---------------------------------------------------------------------------------------
 * BEP 42 `ip`: the public address voted from replies
 * ------------------------------------------------------------------------------------ */

/* Like make_contact, but the reply to our ping says where it saw us from (seen, or none). */
static void contact_says(struct one *o, const struct dtt_addr *a, const uint8_t id[20],
			 const struct dtt_addr *seen)
{
	struct dtt_krpc_msg m;
	struct dtt_krpc_hdr h = {0};
	uint8_t buf[256];
	struct dtt_wbuf w;

	fake_env_clear_sent(&o->fe);
	send_ping(o, a, id);
	assert_int_equal(o->fe.sent_count, 2);
	sent_msg(o, 1, &m);
	h.t = m.t;
	h.t_len = m.t_len;
	h.ip = seen;
	ENCODE(w, buf, dtt_krpc_encode_reply(&w, &h, id));
	feed(o, a, buf, w.len);
	fake_env_clear_sent(&o->fe);
}

static void test_dht_public_addr_needs_three_responders(void **state)
{
	struct dtt_addr a, me, other, got;
	struct one o;
	uint8_t id[20];

	(void)state;
	one_init(&o, 41);
	addr_of(&me, 200, 7000);
	addr_of(&other, 201, 7000);
	assert_false(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
	assert_null(dtt_dht_addr_vote(o.dht));
	for (uint8_t i = 1; i <= 2; i++) {
		addr_of(&a, i, 6881);
		id_of(id, (uint8_t)(i << 4 | i));
		contact_says(&o, &a, id, &me);
	}
	assert_false(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
	assert_int_equal(dtt_dht_public_addr_changes(o.dht), 0);
	/* a query carrying `ip` is no vote: only replies to our own queries count */
	{
		uint8_t buf[256];
		struct dtt_wbuf w;
		struct dtt_krpc_hdr h = hdr_aa;

		h.ip = &me;
		addr_of(&a, 9, 6881);
		id_of(id, 9);
		ENCODE(w, buf, dtt_krpc_encode_ping(&w, &h, id));
		feed(&o, &a, buf, w.len);
		fake_env_clear_sent(&o.fe);
	}
	assert_false(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
	/* a reply without `ip` is no vote either */
	addr_of(&a, 10, 6881);
	id_of(id, 10);
	contact_says(&o, &a, id, NULL);
	assert_false(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
	addr_of(&a, 3, 6881);
	id_of(id, 3);
	contact_says(&o, &a, id, &me);
	assert_true(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
	assert_true(dtt_addr_eq(&got, &me));
	assert_int_equal(dtt_dht_public_addr_changes(o.dht), 1);
	assert_int_equal(dtt_dht_stats(o.dht)->ip_votes, 3);
	assert_false(dtt_dht_public_addr(o.dht, DTT_AF_INET6, &got));
	/* the address moves once more fresh responders say so than still hold the old one */
	for (uint8_t i = 11; i <= 14; i++) {
		addr_of(&a, i, 6881);
		id_of(id, (uint8_t)(i << 4 | i));
		contact_says(&o, &a, id, &other);
		assert_true(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
		assert_true(dtt_addr_eq(&got, i < 14 ? &me : &other));
	}
	assert_int_equal(dtt_dht_public_addr_changes(o.dht), 2);
	one_free(&o);
}

static void test_dht_public_addr_off_keeps_no_votes(void **state)
{
	struct dtt_dht_config cfg;
	struct dtt_addr a, me, got;
	struct one o;
	uint8_t id[20];

	(void)state;
	dtt_dht_config_init(&cfg);
	cfg.vote_addr = false;
	one_init_cfg(&o, 42, &cfg);
	addr_of(&me, 200, 7000);
	for (uint8_t i = 1; i <= 4; i++) {
		addr_of(&a, i, 6881);
		id_of(id, (uint8_t)(i << 4 | i));
		contact_says(&o, &a, id, &me);
	}
	assert_false(dtt_dht_public_addr(o.dht, DTT_AF_INET, &got));
	assert_null(dtt_dht_addr_vote(o.dht));
	assert_int_equal(dtt_dht_stats(o.dht)->ip_votes, 0);
	one_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dht_answers_ping_with_its_id_and_the_requester_ip),
	    cmocka_unit_test(test_dht_public_addr_needs_three_responders),
	    cmocka_unit_test(test_dht_public_addr_off_keeps_no_votes),
	    cmocka_unit_test(test_dht_find_node_returns_closest_compact_nodes),
	    cmocka_unit_test(test_dht_query_missing_arguments_gets_203),
	    cmocka_unit_test(test_dht_unknown_method_gets_204),
	    cmocka_unit_test(test_dht_malformed_datagrams_are_counted_not_answered),
	    cmocka_unit_test(test_dht_unsolicited_responses_are_dropped),
	    cmocka_unit_test(test_dht_read_only_node_never_answers_and_sends_ro),
	    cmocka_unit_test(test_dht_read_only_querier_is_answered_but_not_inserted),
	    cmocka_unit_test(test_dht_announce_peer_needs_token_and_get_peers_returns_it),
	    cmocka_unit_test(test_dht_put_validation_codes_and_get_forms),
	    cmocka_unit_test(test_dht_tokens_expire_after_two_rotations_and_items_after_lifetime),
	    cmocka_unit_test(test_dht_rpc_timeout_is_counted_and_reported_to_rt),
	    cmocka_unit_test(test_dht_refreshes_stale_buckets_with_find_node),
	    cmocka_unit_test(test_dht_thin_table_looks_up_own_id_every_thin_period),
	    cmocka_unit_test(test_dht_hostile_replies_and_queries_never_break_the_node),
	    cmocka_unit_test(test_dht_refreshes_leave_half_the_operation_slots_to_the_caller),
	    cmocka_unit_test(test_dht_failed_sends_count_and_rpcs_still_time_out),
	    cmocka_unit_test(test_dht_allocation_failures_leak_nothing_and_keep_callbacks_exact),
	    cmocka_unit_test(test_dht_get_on_empty_table_ends_notfound_later_not_inside_the_call),
	    cmocka_unit_test(test_dht_start_calls_reject_bad_arguments_and_full_tables),
	    cmocka_unit_test(test_dht_config_out_of_range_is_refused),
	    cmocka_unit_test(test_dht_swarm_bootstrap_fills_every_table),
	    cmocka_unit_test(test_dht_swarm_started_at_once_heals_through_thin_refresh),
	    cmocka_unit_test(test_dht_bootstrap_seed_down_is_asked_again_while_table_empty),
	    cmocka_unit_test(test_dht_outage_fails_every_contact_and_the_table_recovers),
	    cmocka_unit_test(test_dht_swarm_put_stores_on_k_closest_and_get_streams_it),
	    cmocka_unit_test(test_dht_swarm_get_reports_each_distinct_same_seq_value),
	    cmocka_unit_test(test_dht_swarm_get_with_half_the_nodes_down_keeps_partial_results),
	    cmocka_unit_test(test_dht_swarm_put_sends_cas_only_where_a_value_was_seen),
	    cmocka_unit_test(test_dht_swarm_cancel_fires_done_once),
	    cmocka_unit_test(test_dht_swarm_free_with_operations_in_flight_fires_each_once),
	    cmocka_unit_test(test_dht_swarm_large_put_fits_one_datagram),
	    cmocka_unit_test(test_dht_swarm_put_survives_loss),
	    cmocka_unit_test(test_dht_lookup_ends_when_rpc_slots_run_out),
	    cmocka_unit_test(test_dht_swarm_same_seed_gives_identical_trace),
	    cmocka_unit_test(test_dht_swarm_allocation_is_balanced),
	};

	if (dtt_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
