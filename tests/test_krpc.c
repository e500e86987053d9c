/* test_krpc.c - the KRPC codec: BEP 5 examples, BEP 44 get/put, drops by reason, round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "krpc.h"

/* A literal with its exact length (the version bytes contain a NUL). */
#define LIT(s) (const uint8_t *)(s), (sizeof(s) - 1)

#define ID_A "abcdefghij0123456789"
#define ID_M "mnopqrstuvwxyz123456"
#define VER "1:v4:DT\x00\x01"

/* BEP 44 test vector 2 (mutable with salt). */
#define PK_HEX "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548"
#define SIG_HEX                                                                                    \
	"6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d"                         \
	"df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08"

static struct dtt_krpc_msg m, m2;
static uint8_t buf[4096];
static struct dtt_wbuf w;
static const struct dtt_krpc_hdr hdr_aa = {.t = (const uint8_t *)"aa", .t_len = 2};

static int decode(const uint8_t *p, size_t len)
{
	return dtt_krpc_decode(&m, p, len);
}

static int decode_w(void)
{
	return dtt_krpc_decode(&m, buf, w.len);
}

static void reset(void)
{
	dtt_wbuf_init(&w, buf, sizeof(buf));
}

/* Offset of needle in hay, or -1. */
static long find(const uint8_t *hay, size_t hay_len, const char *needle, size_t n)
{
	for (size_t i = 0; i + n <= hay_len; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return (long)i;
	return -1;
}

static void pk_sig(uint8_t pk[32], uint8_t sig[64])
{
	assert_int_equal(dtt_hex_decode(pk, 32, PK_HEX, strlen(PK_HEX)), 32);
	assert_int_equal(dtt_hex_decode(sig, 64, SIG_HEX, strlen(SIG_HEX)), 64);
}

static void assert_t_aa(void)
{
	assert_int_equal(m.t_len, 2);
	assert_memory_equal(m.t, "aa", 2);
}

/* ---- the BEP 5 examples ---- */

static void test_krpc_decodes_bep5_ping_query(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:y1:qe")), 0);
	assert_int_equal(m.drop, DTT_KRPC_DROP_NONE);
	assert_int_equal(m.type, DTT_KRPC_QUERY);
	assert_int_equal(m.method, DTT_KRPC_PING);
	assert_int_equal(m.q_len, 4);
	assert_memory_equal(m.q, "ping", 4);
	assert_t_aa();
	assert_int_equal(m.has, DTT_KRPC_HAS_ID);
	assert_memory_equal(m.id, ID_A, 20);
}

static void test_krpc_decodes_bep5_ping_response(void **state)
{
	assert_int_equal(decode(LIT("d1:rd2:id20:" ID_M "e1:t2:aa1:y1:re")), 0);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_t_aa();
	assert_int_equal(m.has, DTT_KRPC_HAS_ID);
	assert_memory_equal(m.id, ID_M, 20);
}

static void test_krpc_decodes_bep5_find_node_query(void **state)
{
	assert_int_equal(
		decode(LIT("d1:ad2:id20:" ID_A "6:target20:" ID_M "e1:q9:find_node1:t2:aa1:y1:qe")),
		0);
	assert_int_equal(m.method, DTT_KRPC_FIND_NODE);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TARGET);
	assert_memory_equal(m.id, ID_A, 20);
	assert_memory_equal(m.target, ID_M, 20);
}

static void test_krpc_decodes_bep5_get_peers_exchange(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "9:info_hash20:" ID_M
				    "e1:q9:get_peers1:t2:aa1:y1:qe")),
			 0);
	assert_int_equal(m.method, DTT_KRPC_GET_PEERS);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_INFO_HASH);
	assert_memory_equal(m.info_hash, ID_M, 20);

	/* response with peers: "axje.u" and "idhtnm" are 6-byte compact peers */
	assert_int_equal(decode(LIT("d1:rd2:id20:" ID_A
				    "5:token8:aoeusnth6:valuesl6:axje.u6:idhtnmee1:t2:aa1:y1:re")),
			 0);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TOKEN | DTT_KRPC_HAS_VALUES);
	assert_int_equal(m.token_len, 8);
	assert_memory_equal(m.token, "aoeusnth", 8);
	assert_int_equal(m.values_count, 2);
	assert_int_equal(m.values_more, 0);
	assert_int_equal(m.values[0].family, DTT_AF_INET);
	assert_memory_equal(m.values[0].addr, "axje", 4);
	assert_int_equal(m.values[0].port, ('.' << 8) | 'u');
	assert_memory_equal(m.values[1].addr, "idht", 4);
	assert_int_equal(m.values[1].port, ('n' << 8) | 'm');
}

static void test_krpc_decodes_bep5_announce_peer_query(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "12:implied_porti1e9:info_hash20:" ID_M
				    "4:porti6881e5:token8:aoeusnthe1:q13:announce_peer1:t2:aa"
				    "1:y1:qe")),
			 0);
	assert_int_equal(m.method, DTT_KRPC_ANNOUNCE_PEER);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_IMPLIED_PORT |
					DTT_KRPC_HAS_INFO_HASH | DTT_KRPC_HAS_PORT |
					DTT_KRPC_HAS_TOKEN);
	assert_true(m.implied_port);
	assert_int_equal(m.port, 6881);
	assert_memory_equal(m.info_hash, ID_M, 20);
	assert_memory_equal(m.token, "aoeusnth", 8);
}

static void test_krpc_decodes_bep5_error_example(void **state)
{
	assert_int_equal(decode(LIT("d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee")), 0);
	assert_int_equal(m.type, DTT_KRPC_ERROR);
	assert_t_aa();
	assert_true(m.error_code == DTT_KRPC_ERROR_GENERIC);
	assert_int_equal(m.error_msg_len, 23);
	assert_memory_equal(m.error_msg, "A Generic Error Ocurred", 23);
	assert_int_equal(m.has, 0);
}

static void test_krpc_decodes_error_without_message(void **state)
{
	assert_int_equal(decode(LIT("d1:eli204ee1:t2:aa1:y1:ee")), 0);
	assert_true(m.error_code == 204);
	assert_null(m.error_msg);
	assert_int_equal(m.error_msg_len, 0);
}

/* ---- exact bytes ---- */

static void test_krpc_encodes_ping_query_byte_for_byte(void **state)
{
	static const char want[] = "d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa" VER "1:y1:qe";

	reset();
	assert_int_equal(dtt_krpc_encode_ping(&w, &hdr_aa, (const uint8_t *)ID_A), 0);
	assert_int_equal(w.len, sizeof(want) - 1);
	assert_memory_equal(buf, want, w.len);
}

static void test_krpc_encodes_bep5_error_byte_for_byte(void **state)
{
	static const char want[] = "d1:eli201e23:A Generic Error Ocurrede1:t2:aa" VER "1:y1:ee";
	const char *msg = "A Generic Error Ocurred";

	reset();
	assert_int_equal(
		dtt_krpc_encode_error(&w, &hdr_aa, DTT_KRPC_ERROR_GENERIC, msg, strlen(msg)), 0);
	assert_int_equal(w.len, sizeof(want) - 1);
	assert_memory_equal(buf, want, w.len);
}

static void test_krpc_encodes_find_node_reply_with_ip_and_ro_byte_for_byte(void **state)
{
	/* node: id ID_M at 10.0.0.1:6881 (0x1ae1); requester 127.0.0.1:6882 (0x1ae2) */
	static const char want[] = "d2:ip6:\x7f\x00\x00\x01\x1a\xe2"
				   "1:rd2:id20:" ID_A "5:nodes26:" ID_M "\x0a\x00\x00\x01\x1a\xe1"
				   "e2:roi1e1:t2:aa" VER "1:y1:re";
	struct dtt_krpc_node node;
	struct dtt_addr ip;
	uint8_t nodes[26];
	struct dtt_wbuf nw;
	struct dtt_krpc_hdr h = hdr_aa;

	memcpy(node.id, ID_M, 20);
	dtt_addr_ipv4(&node.addr, (const uint8_t[]){10, 0, 0, 1}, 6881);
	dtt_addr_ipv4(&ip, (const uint8_t[]){127, 0, 0, 1}, 6882);
	dtt_wbuf_init(&nw, nodes, sizeof(nodes));
	assert_int_equal(dtt_krpc_nodes_encode(&nw, &node, 1, DTT_AF_INET), 1);
	assert_int_equal(nw.len, 26);
	h.ip = &ip;
	h.ro = true;

	reset();
	assert_int_equal(dtt_krpc_encode_find_node_reply(&w, &h, (const uint8_t *)ID_A, nodes, 26,
							 NULL, 0),
			 0);
	assert_int_equal(w.len, sizeof(want) - 1);
	assert_memory_equal(buf, want, w.len);

	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_NODES | DTT_KRPC_HAS_RO |
					DTT_KRPC_HAS_IP | DTT_KRPC_HAS_VERSION);
	assert_true(m.ro);
	assert_true(dtt_addr_eq(&m.ip, &ip));
}

static void test_krpc_encodes_bep44_mutable_put_byte_for_byte(void **state)
{
	uint8_t pk[32], sig[64];
	static const char head[] = "d1:ad3:casi1e2:id20:" ID_A "1:k32:";
	static const char mid[] = "4:salt6:foobar3:seqi2e3:sig64:";
	static const char tail[] = "5:token4:tok11:v12:Hello World!e1:q3:put1:t2:aa" VER "1:y1:qe";
	struct dtt_krpc_item it = {
		.v = (const uint8_t *)"12:Hello World!",
		.v_len = 15,
		.has_seq = true,
		.seq = 2,
		.salt = (const uint8_t *)"foobar",
		.salt_len = 6,
		.has_cas = true,
		.cas = 1,
	};
	size_t off = 0;

	pk_sig(pk, sig);
	it.k = pk;
	it.sig = sig;
	reset();
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, (const uint8_t *)ID_A,
					     (const uint8_t *)"tok1", 4, &it),
			 0);
	assert_int_equal(w.len, sizeof(head) - 1 + 32 + sizeof(mid) - 1 + 64 + sizeof(tail) - 1);
	assert_memory_equal(buf + off, head, sizeof(head) - 1);
	off += sizeof(head) - 1;
	assert_memory_equal(buf + off, pk, 32);
	off += 32;
	assert_memory_equal(buf + off, mid, sizeof(mid) - 1);
	off += sizeof(mid) - 1;
	assert_memory_equal(buf + off, sig, 64);
	off += 64;
	assert_memory_equal(buf + off, tail, sizeof(tail) - 1);

	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.method, DTT_KRPC_PUT);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_CAS | DTT_KRPC_HAS_K |
					DTT_KRPC_HAS_SALT | DTT_KRPC_HAS_SEQ | DTT_KRPC_HAS_SIG |
					DTT_KRPC_HAS_TOKEN | DTT_KRPC_HAS_V | DTT_KRPC_HAS_VERSION);
	assert_true(m.cas == 1);
	assert_true(m.seq == 2);
	assert_memory_equal(m.k, pk, 32);
	assert_memory_equal(m.sig, sig, 64);
	assert_int_equal(m.salt_len, 6);
	assert_memory_equal(m.salt, "foobar", 6);
	assert_int_equal(m.v_len, 15);
	assert_memory_equal(m.v, "12:Hello World!", 15);
	assert_int_equal(m.version_len, 4);
	assert_memory_equal(m.version, DTT_KRPC_VERSION, 4);
}

static void test_krpc_put_never_writes_an_empty_salt(void **state)
{
	uint8_t pk[32], sig[64];
	struct dtt_krpc_item it = {.v = (const uint8_t *)"1:x", .v_len = 3, .has_seq = true,
				   .seq = 1, .salt = (const uint8_t *)"", .salt_len = 0};

	pk_sig(pk, sig);
	it.k = pk;
	it.sig = sig;
	reset();
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, (const uint8_t *)ID_A,
					     (const uint8_t *)"t", 1, &it),
			 0);
	assert_int_equal(find(buf, w.len, "4:salt", 6), -1);
	assert_int_equal(decode_w(), 0);
	assert_false(m.has & DTT_KRPC_HAS_SALT);
	assert_false(m.has & DTT_KRPC_HAS_CAS);
}

/* ---- round trips ---- */

static void test_krpc_query_encoders_round_trip(void **state)
{
	const uint8_t *id = (const uint8_t *)ID_A, *target = (const uint8_t *)ID_M;
	uint8_t t16[16];
	struct dtt_krpc_hdr h = {.t = t16, .t_len = 16, .ro = true};
	int64_t seq = -5;

	for (int i = 0; i < 16; i++)
		t16[i] = (uint8_t)(0xf0 + i);

	reset();
	assert_int_equal(dtt_krpc_encode_ping(&w, &h, id), 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.type, DTT_KRPC_QUERY);
	assert_int_equal(m.method, DTT_KRPC_PING);
	assert_int_equal(m.t_len, 16);
	assert_memory_equal(m.t, t16, 16);
	assert_true(m.ro);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_RO | DTT_KRPC_HAS_VERSION);

	reset();
	assert_int_equal(dtt_krpc_encode_find_node(&w, &hdr_aa, id, target,
						   DTT_KRPC_WANT_N4 | DTT_KRPC_WANT_N6),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.method, DTT_KRPC_FIND_NODE);
	assert_memory_equal(m.target, target, 20);
	assert_int_equal(m.want, DTT_KRPC_WANT_N4 | DTT_KRPC_WANT_N6);
	assert_false(m.ro);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TARGET | DTT_KRPC_HAS_WANT |
					DTT_KRPC_HAS_VERSION);

	reset();
	assert_int_equal(dtt_krpc_encode_get_peers(&w, &hdr_aa, id, target, DTT_KRPC_WANT_N6), 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.method, DTT_KRPC_GET_PEERS);
	assert_memory_equal(m.info_hash, target, 20);
	assert_int_equal(m.want, DTT_KRPC_WANT_N6);

	reset();
	assert_int_equal(dtt_krpc_encode_announce_peer(&w, &hdr_aa, id, target, 65535, false,
						       (const uint8_t *)"tk", 2),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.method, DTT_KRPC_ANNOUNCE_PEER);
	assert_int_equal(m.port, 65535);
	assert_false(m.has & DTT_KRPC_HAS_IMPLIED_PORT);
	assert_int_equal(m.token_len, 2);
	assert_memory_equal(m.token, "tk", 2);

	reset();
	assert_int_equal(dtt_krpc_encode_get(&w, &hdr_aa, id, target, &seq, 0), 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.method, DTT_KRPC_GET);
	assert_memory_equal(m.target, target, 20);
	assert_true(m.has & DTT_KRPC_HAS_SEQ);
	assert_true(m.seq == -5);
	assert_false(m.has & DTT_KRPC_HAS_WANT);

	reset();
	assert_int_equal(dtt_krpc_encode_get(&w, &hdr_aa, id, target, NULL, 0), 0);
	assert_int_equal(decode_w(), 0);
	assert_false(m.has & DTT_KRPC_HAS_SEQ);

	/* immutable put: id, token, v only */
	{
		struct dtt_krpc_item it = {.v = (const uint8_t *)"l1:ai1ee", .v_len = 8};

		reset();
		assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, id, (const uint8_t *)"tok", 3,
						     &it),
				 0);
		assert_int_equal(decode_w(), 0);
		assert_int_equal(m.method, DTT_KRPC_PUT);
		assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TOKEN | DTT_KRPC_HAS_V |
						DTT_KRPC_HAS_VERSION);
		assert_int_equal(m.v_len, 8);
		assert_memory_equal(m.v, "l1:ai1ee", 8);
	}
}

static void test_krpc_response_encoders_round_trip(void **state)
{
	const uint8_t *id = (const uint8_t *)ID_M;
	struct dtt_krpc_node nodes[3];
	struct dtt_addr peers[2], ip6;
	uint8_t n4[2 * 26], n6[38];
	struct dtt_wbuf nw;
	struct dtt_krpc_node back[4];
	struct dtt_krpc_hdr h = hdr_aa;
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	for (int i = 0; i < 3; i++) {
		memset(nodes[i].id, 'a' + i, 20);
		dtt_addr_ipv4(&nodes[i].addr, (const uint8_t[]){192, 168, 0, (uint8_t)i},
			      (uint16_t)(1000 + i));
	}
	memset(&nodes[1].addr, 0, sizeof(nodes[1].addr));
	nodes[1].addr.family = DTT_AF_INET6;
	memcpy(nodes[1].addr.addr, v6, 16);
	nodes[1].addr.port = 443;
	ip6 = nodes[1].addr;

	dtt_wbuf_init(&nw, n4, sizeof(n4));
	assert_int_equal(dtt_krpc_nodes_encode(&nw, nodes, 3, DTT_AF_INET), 2);
	assert_int_equal(nw.len, 52);
	dtt_wbuf_init(&nw, n6, sizeof(n6));
	assert_int_equal(dtt_krpc_nodes_encode(&nw, nodes, 3, DTT_AF_INET6), 1);
	assert_int_equal(nw.len, 38);

	/* plain reply, to an IPv6 requester */
	h.ip = &ip6;
	reset();
	assert_int_equal(dtt_krpc_encode_reply(&w, &h, id), 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.type, DTT_KRPC_RESPONSE);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_IP | DTT_KRPC_HAS_VERSION);
	assert_memory_equal(m.id, id, 20);
	assert_true(dtt_addr_eq(&m.ip, &ip6));

	/* find_node reply with both families */
	reset();
	assert_int_equal(dtt_krpc_encode_find_node_reply(&w, &hdr_aa, id, n4, 52, n6, 38), 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_NODES | DTT_KRPC_HAS_NODES6 |
					DTT_KRPC_HAS_VERSION);
	assert_int_equal(m.nodes_len, 52);
	assert_int_equal(m.nodes6_len, 38);
	assert_int_equal(dtt_krpc_nodes_decode(back, 4, m.nodes, m.nodes_len, DTT_AF_INET), 2);
	assert_memory_equal(back[0].id, nodes[0].id, 20);
	assert_true(dtt_addr_eq(&back[0].addr, &nodes[0].addr));
	assert_memory_equal(back[1].id, nodes[2].id, 20);
	assert_true(dtt_addr_eq(&back[1].addr, &nodes[2].addr));
	assert_int_equal(dtt_krpc_nodes_decode(back, 4, m.nodes6, m.nodes6_len, DTT_AF_INET6), 1);
	assert_memory_equal(back[0].id, nodes[1].id, 20);
	assert_true(dtt_addr_eq(&back[0].addr, &ip6));

	/* an empty nodes string is written and read back as empty */
	reset();
	assert_int_equal(dtt_krpc_encode_find_node_reply(&w, &hdr_aa, id, n4, 0, NULL, 0), 0);
	assert_int_equal(decode_w(), 0);
	assert_true(m.has & DTT_KRPC_HAS_NODES);
	assert_int_equal(m.nodes_len, 0);

	/* get_peers reply with values of both families and nodes */
	peers[0] = nodes[0].addr;
	peers[1] = ip6;
	reset();
	assert_int_equal(dtt_krpc_encode_get_peers_reply(&w, &hdr_aa, id, (const uint8_t *)"tok", 3,
							 peers, 2, n4, 52, NULL, 0),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_NODES | DTT_KRPC_HAS_TOKEN |
					DTT_KRPC_HAS_VALUES | DTT_KRPC_HAS_VERSION);
	assert_int_equal(m.values_count, 2);
	assert_true(dtt_addr_eq(&m.values[0], &peers[0]));
	assert_true(dtt_addr_eq(&m.values[1], &peers[1]));

	/* get_peers reply without values */
	reset();
	assert_int_equal(dtt_krpc_encode_get_peers_reply(&w, &hdr_aa, id, (const uint8_t *)"tok", 3,
							 NULL, 0, n4, 26, NULL, 0),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_false(m.has & DTT_KRPC_HAS_VALUES);
	assert_int_equal(m.nodes_len, 26);

	/* error with ro and ip */
	h.ro = true;
	reset();
	assert_int_equal(dtt_krpc_encode_error(&w, &h, DTT_KRPC_ERROR_SEQ_TOO_OLD, "old", 3), 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.type, DTT_KRPC_ERROR);
	assert_true(m.error_code == 302);
	assert_int_equal(m.error_msg_len, 3);
	assert_true(m.ro);
	assert_true(dtt_addr_eq(&m.ip, &ip6));
}

static void test_krpc_get_reply_forms_round_trip(void **state)
{
	const uint8_t *id = (const uint8_t *)ID_M;
	uint8_t pk[32], sig[64], n4[26] = {0};
	struct dtt_krpc_item it = {.v = (const uint8_t *)"12:Hello World!", .v_len = 15,
				   .has_seq = true, .seq = 1};
	const uint32_t base = DTT_KRPC_HAS_ID | DTT_KRPC_HAS_NODES | DTT_KRPC_HAS_TOKEN |
			      DTT_KRPC_HAS_VERSION;

	pk_sig(pk, sig);
	it.k = pk;
	it.sig = sig;

	/* mutable item: {id, k, nodes, seq, sig, token, v} */
	reset();
	assert_int_equal(dtt_krpc_encode_get_reply(&w, &hdr_aa, id, (const uint8_t *)"tokn", 4, n4,
						   26, NULL, 0, &it),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.has, base | DTT_KRPC_HAS_K | DTT_KRPC_HAS_SEQ | DTT_KRPC_HAS_SIG |
					DTT_KRPC_HAS_V);
	assert_memory_equal(m.k, pk, 32);
	assert_memory_equal(m.sig, sig, 64);
	assert_true(m.seq == 1);
	assert_int_equal(m.v_len, 15);
	assert_memory_equal(m.v, "12:Hello World!", 15);

	/* seq only: the asker already has this seq */
	{
		struct dtt_krpc_item so = {.has_seq = true, .seq = INT64_MAX};

		reset();
		assert_int_equal(dtt_krpc_encode_get_reply(&w, &hdr_aa, id, (const uint8_t *)"tokn",
							   4, n4, 26, NULL, 0, &so),
				 0);
		assert_int_equal(decode_w(), 0);
		assert_int_equal(m.has, base | DTT_KRPC_HAS_SEQ);
		assert_true(m.seq == INT64_MAX);
	}

	/* immutable item: v only */
	{
		struct dtt_krpc_item im = {.v = (const uint8_t *)"12:Hello World!", .v_len = 15};

		reset();
		assert_int_equal(dtt_krpc_encode_get_reply(&w, &hdr_aa, id, (const uint8_t *)"tokn",
							   4, n4, 26, NULL, 0, &im),
				 0);
		assert_int_equal(decode_w(), 0);
		assert_int_equal(m.has, base | DTT_KRPC_HAS_V);
	}

	/* nothing stored */
	reset();
	assert_int_equal(dtt_krpc_encode_get_reply(&w, &hdr_aa, id, (const uint8_t *)"tokn", 4, n4,
						   26, NULL, 0, NULL),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.has, base);
}

/* ---- tolerance ---- */

static void test_krpc_keeps_verbatim_v_span_apart_from_client_version(void **state)
{
	/* a.v is a list (any bencoded type is allowed); top-level v is the client version */
	static const uint8_t in[] = "d1:ad2:id20:" ID_A "5:token1:x1:vl4:spamd1:ai-1eeee"
				    "1:q3:put1:t2:aa1:v4:LT\x02\x08" "1:y1:qe";
	const char *span = "l4:spamd1:ai-1eee";

	assert_int_equal(decode(in, sizeof(in) - 1), 0);
	assert_int_equal(m.v_len, strlen(span));
	assert_memory_equal(m.v, span, m.v_len);
	assert_ptr_equal(m.v, in + find(in, sizeof(in) - 1, span, strlen(span))); /* borrowed */
	assert_int_equal(m.version_len, 4);
	assert_memory_equal(m.version, "LT\x02\x08", 4);
}

static void test_krpc_accepts_unknown_keys_at_every_level(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "4:zzzzli1ed1:xleeee"
				    "1:q4:ping1:t2:aa1:y1:q1:zd1:x0:ee")),
			 0);
	assert_int_equal(m.method, DTT_KRPC_PING);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID);

	/* libtorrent's `p` inside r, ro=0 (mainline sends it always), an unknown want */
	assert_int_equal(decode(LIT("d1:rd2:id20:" ID_M "1:pi6881e4:wantl2:n42:n9ee"
				    "2:roi0e1:t2:aa1:y1:re")),
			 0);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID | DTT_KRPC_HAS_WANT | DTT_KRPC_HAS_RO);
	assert_false(m.ro);
	assert_int_equal(m.want, DTT_KRPC_WANT_N4);

	/* an error may carry extra elements and a response its unrelated a */
	assert_int_equal(decode(LIT("d1:eli202e6:serveri1ee1:t0:1:y1:ee")), 0);
	assert_true(m.error_code == 202);
	assert_int_equal(m.t_len, 0);
	assert_int_equal(decode(LIT("d1:ai1e1:rd2:id20:" ID_M "e1:t2:aa1:y1:re")), 0);
}

static void test_krpc_unknown_method_keeps_its_raw_name(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "e1:q11:sample_info1:t2:aa1:y1:qe")), 0);
	assert_int_equal(m.type, DTT_KRPC_QUERY);
	assert_int_equal(m.method, DTT_KRPC_UNKNOWN);
	assert_int_equal(m.q_len, 11);
	assert_memory_equal(m.q, "sample_info", 11);
}

static void test_krpc_reports_oversized_salt_and_value_for_the_store(void **state)
{
	uint8_t pk[32], sig[64], salt[100], v[1100];
	struct dtt_krpc_item it = {.v = v, .v_len = sizeof(v), .has_seq = true, .seq = 1,
				   .salt = salt, .salt_len = sizeof(salt)};

	pk_sig(pk, sig);
	it.k = pk;
	it.sig = sig;
	memset(salt, 's', sizeof(salt));
	memcpy(v, "1095:", 5);
	memset(v + 5, 'v', sizeof(v) - 5);
	reset();
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, (const uint8_t *)ID_A,
					     (const uint8_t *)"t", 1, &it),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.salt_len, 100);
	assert_int_equal(m.v_len, 1100);
}

static void test_krpc_keeps_values_up_to_the_bound_and_counts_the_rest(void **state)
{
	struct dtt_addr peers[DTT_KRPC_VALUES_MAX + 9];

	for (size_t i = 0; i < DTT_KRPC_VALUES_MAX + 9; i++)
		dtt_addr_ipv4(&peers[i], (const uint8_t[]){10, 0, 1, (uint8_t)i}, (uint16_t)i);
	reset();
	assert_int_equal(dtt_krpc_encode_get_peers_reply(&w, &hdr_aa, (const uint8_t *)ID_A,
							 (const uint8_t *)"t", 1, peers,
							 DTT_KRPC_VALUES_MAX + 9, NULL, 0, NULL, 0),
			 0);
	assert_int_equal(decode_w(), 0);
	assert_int_equal(m.values_count, DTT_KRPC_VALUES_MAX);
	assert_int_equal(m.values_more, 9);
	assert_true(dtt_addr_eq(&m.values[DTT_KRPC_VALUES_MAX - 1],
				&peers[DTT_KRPC_VALUES_MAX - 1]));
}

/* ---- drops ---- */

struct drop_case {
	const char *in;
	size_t len;
	enum dtt_krpc_drop why;
};

#define CASE(s, why) {(s), sizeof(s) - 1, (why)}
#define Q_HEAD "d1:ad2:id20:" ID_A
#define Q_TAIL "e1:q4:ping1:t2:aa1:y1:qe"
#define R_HEAD "d1:rd2:id20:" ID_M
#define R_TAIL "e1:t2:aa1:y1:re"

static const struct drop_case drop_cases[] = {
	CASE("", DTT_KRPC_DROP_BENCODE),
	CASE("d1:t2:aa1:y1:q", DTT_KRPC_DROP_BENCODE),			      /* truncated */
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:y1:qee", DTT_KRPC_DROP_BENCODE), /* trailing */
	CASE("d1:y1:q1:t2:aae", DTT_KRPC_DROP_BENCODE),			      /* unsorted */
	CASE("d1:t2:aa1:t2:bb1:y1:ee", DTT_KRPC_DROP_BENCODE),		      /* duplicate */
	CASE("d1:ti01e1:y1:ee", DTT_KRPC_DROP_BENCODE),			      /* leading 0 */
	CASE("i1e", DTT_KRPC_DROP_NOT_DICT),
	CASE("l1:t2:aae", DTT_KRPC_DROP_NOT_DICT),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:y1:qe", DTT_KRPC_DROP_BAD_T),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:ti1e1:y1:qe", DTT_KRPC_DROP_BAD_T),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t17:0123456789abcdefg1:y1:qe", DTT_KRPC_DROP_BAD_T),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aae", DTT_KRPC_DROP_BAD_Y),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:y1:xe", DTT_KRPC_DROP_BAD_Y),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:y2:qqe", DTT_KRPC_DROP_BAD_Y),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:yi1ee", DTT_KRPC_DROP_BAD_Y),
	CASE("d1:ad2:id20:" ID_A "e1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_Q),
	CASE("d1:ad2:id20:" ID_A "e1:qi1e1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_Q),
	CASE("d1:ad2:id20:" ID_A "e2:ip5:abcde1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_EXTRA),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping2:ro1:11:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_EXTRA),
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:vi1e1:y1:qe", DTT_KRPC_DROP_BAD_EXTRA),
	CASE("d1:e3:bad1:t2:aa1:y1:ee", DTT_KRPC_DROP_BAD_ERROR),
	CASE("d1:ele1:t2:aa1:y1:ee", DTT_KRPC_DROP_BAD_ERROR),
	CASE("d1:el3:bade1:t2:aa1:y1:ee", DTT_KRPC_DROP_BAD_ERROR),
	CASE("d1:eli201ei1ee1:t2:aa1:y1:ee", DTT_KRPC_DROP_BAD_ERROR),
	CASE("d1:t2:aa1:y1:ee", DTT_KRPC_DROP_BAD_ERROR),
	CASE("d1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_ARGS),
	CASE("d1:ald2:id20:" ID_A "ee1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_ARGS),
	CASE("d1:t2:aa1:y1:re", DTT_KRPC_DROP_BAD_ARGS),
	CASE("d1:rd2:id20:" ID_M "e1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_Q), /* r, but y says q */
	CASE("d1:ad2:id20:" ID_A "e1:q4:ping1:t2:aa1:y1:re", DTT_KRPC_DROP_BAD_ARGS),
	CASE("d1:ade1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_ID),
	CASE("d1:ad2:id19:abcdefghij012345678e1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_ID),
	CASE("d1:ad2:idi1ee1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_ID),
	CASE("d1:rd5:token1:xe1:t2:aa1:y1:re", DTT_KRPC_DROP_BAD_ID),
	CASE(Q_HEAD "6:target19:mnopqrstuvwxyz12345" Q_TAIL, DTT_KRPC_DROP_BAD_HASH),
	CASE(Q_HEAD "9:info_hash21:mnopqrstuvwxyz1234567" Q_TAIL, DTT_KRPC_DROP_BAD_HASH),
	CASE(Q_HEAD "5:token65:0123456789012345678901234567890123456789012345678901234567890123"
		    "4" Q_TAIL,
	     DTT_KRPC_DROP_BAD_TOKEN),
	CASE(Q_HEAD "5:tokeni1e" Q_TAIL, DTT_KRPC_DROP_BAD_TOKEN),
	CASE(R_HEAD "5:nodes25:0123456789012345678901234" R_TAIL, DTT_KRPC_DROP_BAD_NODES),
	CASE(R_HEAD "6:nodes637:0123456789012345678901234567890123456" R_TAIL,
	     DTT_KRPC_DROP_BAD_NODES),
	CASE(R_HEAD "5:nodesle" R_TAIL, DTT_KRPC_DROP_BAD_NODES),
	CASE(R_HEAD "6:valuesl5:abcdee" R_TAIL, DTT_KRPC_DROP_BAD_VALUES),
	CASE(R_HEAD "6:valuesli1ee" R_TAIL, DTT_KRPC_DROP_BAD_VALUES),
	CASE(R_HEAD "6:values6:abcdef" R_TAIL, DTT_KRPC_DROP_BAD_VALUES),
	CASE(Q_HEAD "4:porti65536e" Q_TAIL, DTT_KRPC_DROP_BAD_PORT),
	CASE(Q_HEAD "4:porti-1e" Q_TAIL, DTT_KRPC_DROP_BAD_PORT),
	CASE(Q_HEAD "4:port4:6881" Q_TAIL, DTT_KRPC_DROP_BAD_PORT),
	CASE("d1:ad2:id20:" ID_A "12:implied_port1:1e1:q4:ping1:t2:aa1:y1:qe",
	     DTT_KRPC_DROP_BAD_PORT),
	CASE("d1:ad3:cas1:12:id20:" ID_A "e1:q4:ping1:t2:aa1:y1:qe", DTT_KRPC_DROP_BAD_ITEM),
	CASE(Q_HEAD "1:k31:0123456789012345678901234567890" Q_TAIL, DTT_KRPC_DROP_BAD_ITEM),
	CASE(Q_HEAD "4:salti1e" Q_TAIL, DTT_KRPC_DROP_BAD_ITEM),
	CASE(Q_HEAD "3:seq1:1" Q_TAIL, DTT_KRPC_DROP_BAD_ITEM),
	CASE(Q_HEAD "3:sig3:abc" Q_TAIL, DTT_KRPC_DROP_BAD_ITEM),
	CASE(Q_HEAD "4:want2:n4" Q_TAIL, DTT_KRPC_DROP_BAD_WANT),
	CASE(Q_HEAD "4:wantli4ee" Q_TAIL, DTT_KRPC_DROP_BAD_WANT),
};

static void test_krpc_drops_malformed_datagrams_by_reason(void **state)
{
	for (size_t i = 0; i < sizeof(drop_cases) / sizeof(drop_cases[0]); i++) {
		const struct drop_case *c = &drop_cases[i];
		int rc = decode((const uint8_t *)c->in, c->len);

		if (m.drop != c->why)
			fail_msg("case %zu: drop %s, want %s", i, dtt_krpc_drop_name(m.drop),
				 dtt_krpc_drop_name(c->why));
		assert_int_equal(rc, DTT_ERR_MALFORMED);
	}
}

static void test_krpc_drops_datagrams_over_the_token_or_depth_budget(void **state)
{
	static uint8_t in[8192];
	struct dtt_wbuf b;

	/* 17 nested lists inside an unknown key: deeper than DTT_KRPC_DEPTH_MAX */
	dtt_wbuf_init(&b, in, sizeof(in));
	dtt_wbuf_put(&b, LIT("d1:ad2:id20:" ID_A "1:z"));
	for (int i = 0; i < DTT_KRPC_DEPTH_MAX - 1; i++)
		dtt_wbuf_u8(&b, 'l');
	for (int i = 0; i < DTT_KRPC_DEPTH_MAX - 1; i++)
		dtt_wbuf_u8(&b, 'e');
	dtt_wbuf_put(&b, LIT(Q_TAIL));
	assert_false(b.err);
	assert_int_equal(decode(in, b.len), DTT_ERR_TOOBIG);
	assert_int_equal(m.drop, DTT_KRPC_DROP_LIMIT);

	/* one level less fits */
	dtt_wbuf_init(&b, in, sizeof(in));
	dtt_wbuf_put(&b, LIT("d1:ad2:id20:" ID_A "1:z"));
	for (int i = 0; i < DTT_KRPC_DEPTH_MAX - 2; i++)
		dtt_wbuf_u8(&b, 'l');
	for (int i = 0; i < DTT_KRPC_DEPTH_MAX - 2; i++)
		dtt_wbuf_u8(&b, 'e');
	dtt_wbuf_put(&b, LIT(Q_TAIL));
	assert_int_equal(decode(in, b.len), 0);

	/* more tokens than DTT_KRPC_TOKENS_MAX */
	dtt_wbuf_init(&b, in, sizeof(in));
	dtt_wbuf_put(&b, LIT("d1:ad2:id20:" ID_A "1:zl"));
	for (int i = 0; i < DTT_KRPC_TOKENS_MAX; i++)
		dtt_wbuf_put(&b, LIT("i0e"));
	dtt_wbuf_put(&b, LIT("e" Q_TAIL));
	assert_false(b.err);
	assert_int_equal(decode(in, b.len), DTT_ERR_TOOBIG);
	assert_int_equal(m.drop, DTT_KRPC_DROP_LIMIT);
}

static void test_krpc_query_with_bad_arguments_still_names_t_for_a_203(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "6:target3:abce1:q9:find_node1:t2:xy"
				    "1:y1:qe")),
			 DTT_ERR_MALFORMED);
	assert_int_equal(m.drop, DTT_KRPC_DROP_BAD_HASH);
	assert_true(m.drop >= DTT_KRPC_DROP_BAD_ARGS);
	assert_int_equal(m.type, DTT_KRPC_QUERY);
	assert_int_equal(m.method, DTT_KRPC_FIND_NODE);
	assert_int_equal(m.t_len, 2);
	assert_memory_equal(m.t, "xy", 2);
}

/* ---- helpers and contracts ---- */

static void test_krpc_nodes_decode_rejects_partial_entries_and_honours_out_max(void **state)
{
	uint8_t raw[3 * 26];
	struct dtt_krpc_node out[2];

	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)i;
	assert_int_equal(dtt_krpc_nodes_decode(out, 2, raw, 25, DTT_AF_INET), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_krpc_nodes_decode(out, 2, raw, 38, DTT_AF_INET), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_krpc_nodes_decode(out, 2, raw, 26, 9), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_krpc_nodes_decode(out, 2, raw, 0, DTT_AF_INET), 0);
	assert_int_equal(dtt_krpc_nodes_decode(out, 2, raw, 78, DTT_AF_INET), 2);
	assert_memory_equal(out[1].id, raw + 26, 20);
	assert_int_equal(out[1].addr.family, DTT_AF_INET);
	assert_memory_equal(out[1].addr.addr, raw + 46, 4);
	assert_int_equal(out[1].addr.port, (50 << 8) | 51);
	assert_int_equal(dtt_krpc_nodes_decode(out, 2, raw, 76, DTT_AF_INET6), 2);
	assert_int_equal(out[1].addr.family, DTT_AF_INET6);
	assert_memory_equal(out[1].addr.addr, raw + 38 + 20, 16);
	assert_int_equal(out[1].addr.port, (74 << 8) | 75);
}

static void test_krpc_peer_codec_round_trips_and_rejects_other_lengths(void **state)
{
	struct dtt_addr a, b;
	uint8_t raw[18];
	struct dtt_wbuf pw;

	assert_int_equal(dtt_addr_parse(&a, "[2001:db8::7]:51413"), 0);
	dtt_wbuf_init(&pw, raw, sizeof(raw));
	dtt_krpc_peer_encode(&pw, &a);
	assert_false(pw.err);
	assert_int_equal(pw.len, 18);
	assert_int_equal(raw[16], 51413 >> 8);
	assert_int_equal(raw[17], 51413 & 0xff);
	assert_int_equal(dtt_krpc_peer_decode(&b, raw, 18), 0);
	assert_true(dtt_addr_eq(&a, &b));
	assert_int_equal(dtt_krpc_peer_decode(&b, raw, 7), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_krpc_peer_decode(&b, raw, 0), DTT_ERR_MALFORMED);

	memset(&a, 0, sizeof(a));
	dtt_wbuf_init(&pw, raw, sizeof(raw));
	dtt_krpc_peer_encode(&pw, &a); /* no family */
	assert_true(pw.err);
}

static void test_krpc_encoders_reject_arguments_out_of_bounds(void **state)
{
	const uint8_t *id = (const uint8_t *)ID_A;
	uint8_t big[80] = {0}, pk[32], sig[64];
	struct dtt_krpc_hdr h = {.t = big, .t_len = DTT_KRPC_T_MAX + 1};
	struct dtt_krpc_item it = {.v = (const uint8_t *)"1:x", .v_len = 3};
	struct dtt_addr none = {0};

	pk_sig(pk, sig);
	reset();
	assert_int_equal(dtt_krpc_encode_ping(&w, &h, id), DTT_ERR_INVALID);
	h.t_len = 2;
	h.ip = &none;
	assert_int_equal(dtt_krpc_encode_reply(&w, &h, id), DTT_ERR_INVALID);
	assert_int_equal(dtt_krpc_encode_announce_peer(&w, &hdr_aa, id, id, 1, false, big,
						       DTT_KRPC_TOKEN_MAX + 1),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_krpc_encode_find_node_reply(&w, &hdr_aa, id, big, 25, NULL, 0),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_krpc_encode_find_node_reply(&w, &hdr_aa, id, NULL, 0, big, 26),
			 DTT_ERR_INVALID);
	assert_int_equal(dtt_krpc_encode_get_peers_reply(&w, &hdr_aa, id, big, 4, &none, 1, NULL,
							 0, NULL, 0),
			 DTT_ERR_INVALID);
	/* mutable put without sig / seq, immutable put with seq, no v */
	it.k = pk;
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, id, big, 4, &it), DTT_ERR_INVALID);
	it.sig = sig;
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, id, big, 4, &it), DTT_ERR_INVALID);
	it.k = NULL;
	it.sig = NULL;
	it.has_seq = true;
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, id, big, 4, &it), DTT_ERR_INVALID);
	it.has_seq = false;
	it.v = NULL;
	assert_int_equal(dtt_krpc_encode_put(&w, &hdr_aa, id, big, 4, &it), DTT_ERR_INVALID);
	/* get reply: k without sig, neither v nor seq */
	it = (struct dtt_krpc_item){.k = pk, .v = (const uint8_t *)"1:x", .v_len = 3,
				    .has_seq = true};
	assert_int_equal(dtt_krpc_encode_get_reply(&w, &hdr_aa, id, big, 4, NULL, 0, NULL, 0, &it),
			 DTT_ERR_INVALID);
	it = (struct dtt_krpc_item){0};
	assert_int_equal(dtt_krpc_encode_get_reply(&w, &hdr_aa, id, big, 4, NULL, 0, NULL, 0, &it),
			 DTT_ERR_INVALID);
	assert_int_equal(w.len, 0); /* nothing was written */
}

static void test_krpc_encoders_fail_cleanly_when_the_buffer_is_short(void **state)
{
	uint8_t small[128];
	size_t full;

	reset();
	assert_int_equal(dtt_krpc_encode_find_node(&w, &hdr_aa, (const uint8_t *)ID_A,
						   (const uint8_t *)ID_M, DTT_KRPC_WANT_N4),
			 0);
	full = w.len;
	assert_true(full < sizeof(small));
	for (size_t cap = 0; cap < full; cap++) {
		struct dtt_wbuf sw;

		dtt_wbuf_init(&sw, small, cap);
		assert_int_equal(dtt_krpc_encode_find_node(&sw, &hdr_aa, (const uint8_t *)ID_A,
							   (const uint8_t *)ID_M,
							   DTT_KRPC_WANT_N4),
				 DTT_ERR_TOOBIG);
		assert_true(sw.err);
	}
	{
		struct dtt_wbuf sw;

		dtt_wbuf_init(&sw, small, full);
		assert_int_equal(dtt_krpc_encode_find_node(&sw, &hdr_aa, (const uint8_t *)ID_A,
							   (const uint8_t *)ID_M,
							   DTT_KRPC_WANT_N4),
				 0);
		assert_memory_equal(small, buf, full);
	}
}

static void test_krpc_names_every_drop_reason_and_method_distinctly(void **state)
{
	for (int i = 0; i < DTT_KRPC_DROP__COUNT; i++) {
		assert_non_null(dtt_krpc_drop_name((enum dtt_krpc_drop)i));
		assert_string_not_equal(dtt_krpc_drop_name((enum dtt_krpc_drop)i), "invalid");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(dtt_krpc_drop_name((enum dtt_krpc_drop)i),
						dtt_krpc_drop_name((enum dtt_krpc_drop)j));
	}
	assert_string_equal(dtt_krpc_drop_name(DTT_KRPC_DROP__COUNT), "invalid");
	assert_string_equal(dtt_krpc_method_name(DTT_KRPC_ANNOUNCE_PEER), "announce_peer");
	assert_string_equal(dtt_krpc_method_name(DTT_KRPC_PUT), "put");
	assert_string_equal(dtt_krpc_method_name(DTT_KRPC_METHOD__COUNT), "invalid");
}

static void test_krpc_decoding_overwrites_the_previous_message(void **state)
{
	assert_int_equal(decode(LIT("d1:ad2:id20:" ID_A "6:target20:" ID_M
				    "e1:q9:find_node1:t2:aa1:y1:qe")),
			 0);
	m2 = m;
	assert_int_equal(decode(LIT("d1:rd2:id20:" ID_M "e1:t1:b1:y1:re")), 0);
	assert_int_equal(m.has, DTT_KRPC_HAS_ID);
	assert_int_equal(m.method, 0);
	assert_int_equal(m.t_len, 1);
	assert_true(m2.has & DTT_KRPC_HAS_TARGET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_krpc_decodes_bep5_ping_query),
		cmocka_unit_test(test_krpc_decodes_bep5_ping_response),
		cmocka_unit_test(test_krpc_decodes_bep5_find_node_query),
		cmocka_unit_test(test_krpc_decodes_bep5_get_peers_exchange),
		cmocka_unit_test(test_krpc_decodes_bep5_announce_peer_query),
		cmocka_unit_test(test_krpc_decodes_bep5_error_example),
		cmocka_unit_test(test_krpc_decodes_error_without_message),
		cmocka_unit_test(test_krpc_encodes_ping_query_byte_for_byte),
		cmocka_unit_test(test_krpc_encodes_bep5_error_byte_for_byte),
		cmocka_unit_test(test_krpc_encodes_find_node_reply_with_ip_and_ro_byte_for_byte),
		cmocka_unit_test(test_krpc_encodes_bep44_mutable_put_byte_for_byte),
		cmocka_unit_test(test_krpc_put_never_writes_an_empty_salt),
		cmocka_unit_test(test_krpc_query_encoders_round_trip),
		cmocka_unit_test(test_krpc_response_encoders_round_trip),
		cmocka_unit_test(test_krpc_get_reply_forms_round_trip),
		cmocka_unit_test(test_krpc_keeps_verbatim_v_span_apart_from_client_version),
		cmocka_unit_test(test_krpc_accepts_unknown_keys_at_every_level),
		cmocka_unit_test(test_krpc_unknown_method_keeps_its_raw_name),
		cmocka_unit_test(test_krpc_reports_oversized_salt_and_value_for_the_store),
		cmocka_unit_test(test_krpc_keeps_values_up_to_the_bound_and_counts_the_rest),
		cmocka_unit_test(test_krpc_drops_malformed_datagrams_by_reason),
		cmocka_unit_test(test_krpc_drops_datagrams_over_the_token_or_depth_budget),
		cmocka_unit_test(test_krpc_query_with_bad_arguments_still_names_t_for_a_203),
		cmocka_unit_test(test_krpc_nodes_decode_rejects_partial_entries_and_honours_out_max),
		cmocka_unit_test(test_krpc_peer_codec_round_trips_and_rejects_other_lengths),
		cmocka_unit_test(test_krpc_encoders_reject_arguments_out_of_bounds),
		cmocka_unit_test(test_krpc_encoders_fail_cleanly_when_the_buffer_is_short),
		cmocka_unit_test(test_krpc_names_every_drop_reason_and_method_distinctly),
		cmocka_unit_test(test_krpc_decoding_overwrites_the_previous_message),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
