/* fuzz_krpc.c - libFuzzer target for the KRPC decoder (BEP 5, 32, 42, 43, 44).
 *
 * decode -> re-encode with the message's own encoder -> decode again: the second message must
 * carry exactly the fields the encoder was given, with the same values, and encoding it once
 * more must give the same bytes. Every decoded field is also checked against an independent
 * lookup of its key in the generic bencode tokens (round trips alone cannot see a decoder that
 * is wrong in a self-consistent way). Rejected datagrams must name a drop reason. Borrowed
 * pointers must point into the datagram.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "bencode.h"
#include "err.h"
#include "krpc.h"

#define OUT_MAX 65536

static struct dtt_krpc_msg m1, m2;
static struct dtt_bencode_tok toks[DTT_KRPC_TOKENS_MAX];
static uint8_t out1[OUT_MAX], out2[OUT_MAX];

static void check_borrowed(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (!p)
		return;
	CHECK(p >= data && p <= data + size && len <= (size_t)(data + size - p));
}

static bool bytes_eq(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	return a_len == b_len && (a_len == 0 || memcmp(a, b, a_len) == 0);
}

/* Encodes m with the encoder of its kind. Returns the DTT_KRPC_HAS_* mask the decoded result
 * must show, or 0 when m cannot be re-encoded (an unknown method, required fields missing). */
static uint32_t reencode(const struct dtt_krpc_msg *m, struct dtt_wbuf *w)
{
	struct dtt_krpc_hdr h = {.t = m->t, .t_len = m->t_len, .ro = m->ro};
	uint32_t has = m->has;
	uint32_t want_bit = m->want ? DTT_KRPC_HAS_WANT : 0;
	uint32_t top = DTT_KRPC_HAS_VERSION | (m->ro ? DTT_KRPC_HAS_RO : 0);
	const uint8_t *token = m->token;
	int rc;

	if (has & DTT_KRPC_HAS_IP) {
		h.ip = &m->ip;
		top |= DTT_KRPC_HAS_IP;
	}

	if (m->type == DTT_KRPC_ERROR) {
		rc = dtt_krpc_encode_error(w, &h, m->error_code, m->error_msg, m->error_msg_len);
		CHECK(rc == 0 || rc == DTT_ERR_TOOBIG);
		return rc ? 0 : top;
	}

	if (m->type == DTT_KRPC_QUERY) {
		switch (m->method) {
		case DTT_KRPC_PING:
			rc = dtt_krpc_encode_ping(w, &h, m->id);
			top |= DTT_KRPC_HAS_ID;
			break;
		case DTT_KRPC_FIND_NODE:
			if (!(has & DTT_KRPC_HAS_TARGET))
				return 0;
			rc = dtt_krpc_encode_find_node(w, &h, m->id, m->target, m->want);
			top |= DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TARGET | want_bit;
			break;
		case DTT_KRPC_GET_PEERS:
			if (!(has & DTT_KRPC_HAS_INFO_HASH))
				return 0;
			rc = dtt_krpc_encode_get_peers(w, &h, m->id, m->info_hash, m->want);
			top |= DTT_KRPC_HAS_ID | DTT_KRPC_HAS_INFO_HASH | want_bit;
			break;
		case DTT_KRPC_ANNOUNCE_PEER:
			if ((has & (DTT_KRPC_HAS_INFO_HASH | DTT_KRPC_HAS_PORT | DTT_KRPC_HAS_TOKEN)) !=
			    (DTT_KRPC_HAS_INFO_HASH | DTT_KRPC_HAS_PORT | DTT_KRPC_HAS_TOKEN))
				return 0;
			rc = dtt_krpc_encode_announce_peer(w, &h, m->id, m->info_hash, m->port,
							   m->implied_port, token, m->token_len);
			top |= DTT_KRPC_HAS_ID | DTT_KRPC_HAS_INFO_HASH | DTT_KRPC_HAS_PORT |
			       DTT_KRPC_HAS_TOKEN | (m->implied_port ? DTT_KRPC_HAS_IMPLIED_PORT : 0);
			break;
		case DTT_KRPC_GET:
			if (!(has & DTT_KRPC_HAS_TARGET))
				return 0;
			rc = dtt_krpc_encode_get(w, &h, m->id, m->target,
						 has & DTT_KRPC_HAS_SEQ ? &m->seq : NULL, m->want);
			top |= DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TARGET | want_bit |
			       (has & DTT_KRPC_HAS_SEQ);
			break;
		case DTT_KRPC_PUT: {
			struct dtt_krpc_item it = {.v = m->v, .v_len = m->v_len};
			const uint32_t mut = DTT_KRPC_HAS_K | DTT_KRPC_HAS_SIG | DTT_KRPC_HAS_SEQ;

			if (!(has & DTT_KRPC_HAS_TOKEN) || !(has & DTT_KRPC_HAS_V))
				return 0;
			top |= DTT_KRPC_HAS_ID | DTT_KRPC_HAS_TOKEN | DTT_KRPC_HAS_V;
			if ((has & mut) == mut) {
				it.k = m->k;
				it.sig = m->sig;
				it.has_seq = true;
				it.seq = m->seq;
				it.has_cas = has & DTT_KRPC_HAS_CAS;
				it.cas = m->cas;
				it.salt = m->salt;
				it.salt_len = m->salt_len;
				top |= mut | (has & DTT_KRPC_HAS_CAS) |
				       (m->salt_len ? DTT_KRPC_HAS_SALT : 0);
			}
			rc = dtt_krpc_encode_put(w, &h, m->id, token, m->token_len, &it);
			break;
		}
		default:
			return 0;
		}
		CHECK(rc == 0 || rc == DTT_ERR_TOOBIG);
		return rc ? 0 : top;
	}

	/* A response does not say which query it answers: pick by its fields. */
	CHECK(m->type == DTT_KRPC_RESPONSE);
	{
		/* a present key, even an empty string, has a non-NULL pointer into the input */
		const uint8_t *nodes = has & DTT_KRPC_HAS_NODES ? m->nodes : NULL;
		const uint8_t *nodes6 = has & DTT_KRPC_HAS_NODES6 ? m->nodes6 : NULL;
		uint32_t nodes_bits = has & (DTT_KRPC_HAS_NODES | DTT_KRPC_HAS_NODES6);

		CHECK(!(nodes_bits & DTT_KRPC_HAS_NODES) || nodes);
		CHECK(!(nodes_bits & DTT_KRPC_HAS_NODES6) || nodes6);
		top |= DTT_KRPC_HAS_ID;
		if (has & (DTT_KRPC_HAS_SEQ | DTT_KRPC_HAS_V)) {
			struct dtt_krpc_item it = {.v = m->v, .v_len = m->v_len};
			const uint32_t mut = DTT_KRPC_HAS_K | DTT_KRPC_HAS_SIG | DTT_KRPC_HAS_SEQ |
					     DTT_KRPC_HAS_V;

			if (has & DTT_KRPC_HAS_SEQ) {
				it.has_seq = true;
				it.seq = m->seq;
			}
			if ((has & mut) == mut) {
				it.k = m->k;
				it.sig = m->sig;
			}
			if (!(has & DTT_KRPC_HAS_V))
				it.v = NULL;
			rc = dtt_krpc_encode_get_reply(w, &h, m->id, token, m->token_len, nodes,
						       m->nodes_len, nodes6, m->nodes6_len, &it);
			top |= DTT_KRPC_HAS_TOKEN | nodes_bits |
			       (has & (DTT_KRPC_HAS_SEQ | DTT_KRPC_HAS_V)) |
			       (it.k ? DTT_KRPC_HAS_K | DTT_KRPC_HAS_SIG : 0);
		} else if (has & (DTT_KRPC_HAS_VALUES | DTT_KRPC_HAS_TOKEN)) {
			const struct dtt_addr *values = has & DTT_KRPC_HAS_VALUES ? m->values : NULL;

			rc = dtt_krpc_encode_get_peers_reply(w, &h, m->id, token, m->token_len,
							     values, m->values_count, nodes,
							     m->nodes_len, nodes6, m->nodes6_len);
			top |= DTT_KRPC_HAS_TOKEN | nodes_bits | (has & DTT_KRPC_HAS_VALUES);
		} else if (nodes_bits) {
			rc = dtt_krpc_encode_find_node_reply(w, &h, m->id, nodes, m->nodes_len,
							     nodes6, m->nodes6_len);
			top |= nodes_bits;
		} else {
			rc = dtt_krpc_encode_reply(w, &h, m->id);
		}
	}
	CHECK(rc == 0 || rc == DTT_ERR_TOOBIG);
	return rc ? 0 : top;
}

/* b is the decoding of a's re-encoding: every field in mask must agree. */
static void check_same(const struct dtt_krpc_msg *a, const struct dtt_krpc_msg *b, uint32_t mask)
{
	CHECK(b->has == mask);
	CHECK(b->type == a->type && bytes_eq(a->t, a->t_len, b->t, b->t_len));
	CHECK(b->version_len == 4 && memcmp(b->version, DTT_KRPC_VERSION, 4) == 0);
	if (a->type == DTT_KRPC_QUERY)
		CHECK(b->method == a->method && bytes_eq(a->q, a->q_len, b->q, b->q_len));
	if (a->type == DTT_KRPC_ERROR)
		CHECK(b->error_code == a->error_code &&
		      bytes_eq(a->error_msg, a->error_msg_len, b->error_msg, b->error_msg_len));
	if (mask & DTT_KRPC_HAS_RO)
		CHECK(b->ro && a->ro);
	if (mask & DTT_KRPC_HAS_IP)
		CHECK(dtt_addr_eq(&a->ip, &b->ip));
	if (mask & DTT_KRPC_HAS_ID)
		CHECK(memcmp(a->id, b->id, DTT_KRPC_ID_BYTES) == 0);
	if (mask & DTT_KRPC_HAS_TARGET)
		CHECK(memcmp(a->target, b->target, DTT_KRPC_ID_BYTES) == 0);
	if (mask & DTT_KRPC_HAS_INFO_HASH)
		CHECK(memcmp(a->info_hash, b->info_hash, DTT_KRPC_ID_BYTES) == 0);
	if (mask & DTT_KRPC_HAS_TOKEN)
		CHECK(bytes_eq(a->token, a->token_len, b->token, b->token_len));
	if (mask & DTT_KRPC_HAS_NODES)
		CHECK(bytes_eq(a->nodes, a->nodes_len, b->nodes, b->nodes_len));
	if (mask & DTT_KRPC_HAS_NODES6)
		CHECK(bytes_eq(a->nodes6, a->nodes6_len, b->nodes6, b->nodes6_len));
	if (mask & DTT_KRPC_HAS_VALUES) {
		CHECK(b->values_count == a->values_count && b->values_more == 0);
		for (size_t i = 0; i < a->values_count; i++)
			CHECK(dtt_addr_eq(&a->values[i], &b->values[i]));
	}
	if (mask & DTT_KRPC_HAS_PORT)
		CHECK(a->port == b->port);
	if (mask & DTT_KRPC_HAS_IMPLIED_PORT)
		CHECK(a->implied_port && b->implied_port);
	if (mask & DTT_KRPC_HAS_SEQ)
		CHECK(a->seq == b->seq);
	if (mask & DTT_KRPC_HAS_CAS)
		CHECK(a->cas == b->cas);
	if (mask & DTT_KRPC_HAS_K)
		CHECK(memcmp(a->k, b->k, DTT_KRPC_K_BYTES) == 0);
	if (mask & DTT_KRPC_HAS_SIG)
		CHECK(memcmp(a->sig, b->sig, DTT_KRPC_SIG_BYTES) == 0);
	if (mask & DTT_KRPC_HAS_SALT)
		CHECK(bytes_eq(a->salt, a->salt_len, b->salt, b->salt_len));
	if (mask & DTT_KRPC_HAS_V)
		CHECK(bytes_eq(a->v, a->v_len, b->v, b->v_len));
	if (mask & DTT_KRPC_HAS_WANT)
		CHECK(a->want == b->want);
}

static int get(int dict, const char *key)
{
	return dtt_bencode_dict_get(toks, dict, key, strlen(key));
}

/* The field under key in dict: present exactly when the bit is set, and then a string equal to
 * p[0..len) (p == NULL: only the presence is checked here). */
static int check_str(int dict, const char *key, uint32_t has, uint32_t bit, const uint8_t *p,
		     size_t len)
{
	int i = get(dict, key);

	CHECK((i >= 0) == !!(has & bit));
	if (i >= 0 && p)
		CHECK(toks[i].type == DTT_BENCODE_STR && toks[i].len == len &&
		      (len == 0 || memcmp(toks[i].str, p, len) == 0));
	return i;
}

static int check_int(int dict, const char *key, uint32_t has, uint32_t bit, int64_t v)
{
	int i = get(dict, key);

	CHECK((i >= 0) == !!(has & bit));
	if (i >= 0)
		CHECK(toks[i].type == DTT_BENCODE_INT && toks[i].ival == v);
	return i;
}

static void check_against_tokens(const struct dtt_krpc_msg *m, const uint8_t *data, size_t size)
{
	int n = dtt_bencode_decode(data, size, toks, DTT_KRPC_TOKENS_MAX, DTT_KRPC_DEPTH_MAX);
	int i, body;

	CHECK(n > 0 && toks[0].type == DTT_BENCODE_DICT);
	i = get(0, "t");
	CHECK(i >= 0 && bytes_eq(toks[i].str, toks[i].len, m->t, m->t_len));
	i = get(0, "y");
	CHECK(i >= 0 && toks[i].len == 1 && toks[i].str[0] == " qre"[m->type]);
	check_str(0, "v", m->has, DTT_KRPC_HAS_VERSION, m->version, m->version_len);
	i = get(0, "ro");
	CHECK((i >= 0) == !!(m->has & DTT_KRPC_HAS_RO));
	if (i >= 0)
		CHECK(toks[i].type == DTT_BENCODE_INT && m->ro == (toks[i].ival != 0));
	i = check_str(0, "ip", m->has, DTT_KRPC_HAS_IP, NULL, 0);
	if (i >= 0) {
		uint8_t raw[18];
		struct dtt_wbuf w;

		dtt_wbuf_init(&w, raw, sizeof(raw));
		dtt_krpc_peer_encode(&w, &m->ip);
		CHECK(!w.err && bytes_eq(raw, w.len, toks[i].str, toks[i].len));
	}

	if (m->type == DTT_KRPC_ERROR) {
		i = get(0, "e");
		CHECK(i >= 0 && dtt_bencode_list_get(toks, i, 0) == i + 1);
		CHECK(toks[i + 1].ival == m->error_code);
		CHECK(m->has == (m->has & (DTT_KRPC_HAS_VERSION | DTT_KRPC_HAS_RO | DTT_KRPC_HAS_IP)));
		return;
	}
	if (m->type == DTT_KRPC_QUERY) {
		i = get(0, "q");
		CHECK(i >= 0 && toks[i].str == m->q && toks[i].len == m->q_len);
	}
	body = get(0, m->type == DTT_KRPC_QUERY ? "a" : "r");
	CHECK(body >= 0 && toks[body].type == DTT_BENCODE_DICT);

	check_str(body, "id", m->has, DTT_KRPC_HAS_ID, m->id, DTT_KRPC_ID_BYTES);
	check_str(body, "target", m->has, DTT_KRPC_HAS_TARGET, m->target, DTT_KRPC_ID_BYTES);
	check_str(body, "info_hash", m->has, DTT_KRPC_HAS_INFO_HASH, m->info_hash,
		  DTT_KRPC_ID_BYTES);
	check_str(body, "token", m->has, DTT_KRPC_HAS_TOKEN, m->token, m->token_len);
	check_str(body, "nodes", m->has, DTT_KRPC_HAS_NODES, m->nodes, m->nodes_len);
	check_str(body, "nodes6", m->has, DTT_KRPC_HAS_NODES6, m->nodes6, m->nodes6_len);
	check_str(body, "k", m->has, DTT_KRPC_HAS_K, m->k, DTT_KRPC_K_BYTES);
	check_str(body, "sig", m->has, DTT_KRPC_HAS_SIG, m->sig, DTT_KRPC_SIG_BYTES);
	check_str(body, "salt", m->has, DTT_KRPC_HAS_SALT, m->salt, m->salt_len);
	check_int(body, "port", m->has, DTT_KRPC_HAS_PORT, m->port);
	check_int(body, "seq", m->has, DTT_KRPC_HAS_SEQ, m->seq);
	check_int(body, "cas", m->has, DTT_KRPC_HAS_CAS, m->cas);
	i = get(body, "implied_port");
	CHECK((i >= 0) == !!(m->has & DTT_KRPC_HAS_IMPLIED_PORT));
	if (i >= 0)
		CHECK(m->implied_port == (toks[i].ival != 0));
	i = get(body, "v");
	CHECK((i >= 0) == !!(m->has & DTT_KRPC_HAS_V));
	if (i >= 0)
		CHECK(m->v == data + toks[i].start && m->v_len == toks[i].end - toks[i].start);
	i = get(body, "values");
	CHECK((i >= 0) == !!(m->has & DTT_KRPC_HAS_VALUES));
	if (i >= 0) {
		size_t k = 0;

		CHECK(m->values_count + m->values_more == toks[i].len);
		for (int c = dtt_bencode_first(toks, i); c >= 0 && k < m->values_count;
		     c = dtt_bencode_next(toks, i, c), k++) {
			uint8_t raw[18];
			struct dtt_wbuf w;

			dtt_wbuf_init(&w, raw, sizeof(raw));
			dtt_krpc_peer_encode(&w, &m->values[k]);
			CHECK(!w.err && bytes_eq(raw, w.len, toks[c].str, toks[c].len));
		}
	}
	i = get(body, "want");
	CHECK((i >= 0) == !!(m->has & DTT_KRPC_HAS_WANT));
	if (i >= 0) {
		unsigned want = 0;

		for (int c = dtt_bencode_first(toks, i); c >= 0; c = dtt_bencode_next(toks, i, c)) {
			if (dtt_bencode_str_eq(&toks[c], "n4", 2))
				want |= DTT_KRPC_WANT_N4;
			if (dtt_bencode_str_eq(&toks[c], "n6", 2))
				want |= DTT_KRPC_WANT_N6;
		}
		CHECK(want == m->want);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtt_wbuf w1, w2;
	uint32_t mask, mask2;
	int rc;

	rc = dtt_krpc_decode(&m1, data, size);
	if (rc) {
		CHECK(m1.drop > DTT_KRPC_DROP_NONE && m1.drop < DTT_KRPC_DROP__COUNT);
		CHECK(rc == (m1.drop == DTT_KRPC_DROP_LIMIT ? DTT_ERR_TOOBIG : DTT_ERR_MALFORMED));
		return 0;
	}
	CHECK(m1.drop == DTT_KRPC_DROP_NONE);
	CHECK(m1.type >= DTT_KRPC_QUERY && m1.type <= DTT_KRPC_ERROR);
	CHECK(m1.t_len <= DTT_KRPC_T_MAX && m1.token_len <= DTT_KRPC_TOKEN_MAX);
	CHECK(m1.values_count <= DTT_KRPC_VALUES_MAX);
	CHECK(m1.nodes_len % DTT_KRPC_NODE4_BYTES == 0 && m1.nodes6_len % DTT_KRPC_NODE6_BYTES == 0);
	if (m1.type != DTT_KRPC_ERROR)
		CHECK(m1.has & DTT_KRPC_HAS_ID);
	check_borrowed(m1.q, m1.q_len, data, size);
	check_borrowed(m1.version, m1.version_len, data, size);
	check_borrowed(m1.error_msg, m1.error_msg_len, data, size);
	check_borrowed(m1.nodes, m1.nodes_len, data, size);
	check_borrowed(m1.nodes6, m1.nodes6_len, data, size);
	check_borrowed(m1.salt, m1.salt_len, data, size);
	check_borrowed(m1.v, m1.v_len, data, size);
	if (m1.has & DTT_KRPC_HAS_V)
		CHECK(m1.v_len > 0);
	check_against_tokens(&m1, data, size);

	dtt_wbuf_init(&w1, out1, sizeof(out1));
	mask = reencode(&m1, &w1);
	if (!mask)
		return 0;
	CHECK(!w1.err);
	CHECK(dtt_krpc_decode(&m2, out1, w1.len) == 0);
	check_same(&m1, &m2, mask);

	/* encoding is a function of the decoded fields: a second pass gives the same bytes */
	dtt_wbuf_init(&w2, out2, sizeof(out2));
	mask2 = reencode(&m2, &w2);
	CHECK(mask2 == mask);
	CHECK(w2.len == w1.len && memcmp(out1, out2, w1.len) == 0);
	return 0;
}
