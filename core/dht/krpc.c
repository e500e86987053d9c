/* krpc.c - KRPC codec (BEP 5 messages, BEP 44 get/put, BEP 32 nodes6/want, BEP 42 ip,
 * BEP 43 ro). Owns nothing, borrows the datagram it decodes and the buffers it encodes into;
 * no timers.
 *
 * Keys are written in ascending raw-byte order, which for the top level is
 *   a < e < ip < q < r < ro < t < v < y
 * and inside `a`/`r`
 *   cas < id < implied_port < info_hash < k < nodes < nodes6 < port < salt < seq < sig
 *   < target < token < v < values < want.
 */
#include "krpc.h"

#include <stddef.h>
#include <string.h>

#include "bencode.h"
#include "err.h"

#define KEY_IS(tok, lit) dtt_bencode_str_eq((tok), (lit), sizeof(lit) - 1)

static const char *const method_names[] = {
	[DTT_KRPC_UNKNOWN] = "unknown",	    [DTT_KRPC_PING] = "ping",
	[DTT_KRPC_FIND_NODE] = "find_node", [DTT_KRPC_GET_PEERS] = "get_peers",
	[DTT_KRPC_ANNOUNCE_PEER] = "announce_peer",
	[DTT_KRPC_GET] = "get",		    [DTT_KRPC_PUT] = "put",
};
_Static_assert(sizeof(method_names) / sizeof(method_names[0]) == DTT_KRPC_METHOD__COUNT,
	       "one name per value");

static const char *const drop_names[] = {
	[DTT_KRPC_DROP_NONE] = "none",		 [DTT_KRPC_DROP_BENCODE] = "bencode",
	[DTT_KRPC_DROP_LIMIT] = "limit",	 [DTT_KRPC_DROP_NOT_DICT] = "not_dict",
	[DTT_KRPC_DROP_BAD_T] = "bad_t",	 [DTT_KRPC_DROP_BAD_Y] = "bad_y",
	[DTT_KRPC_DROP_BAD_Q] = "bad_q",	 [DTT_KRPC_DROP_BAD_EXTRA] = "bad_extra",
	[DTT_KRPC_DROP_BAD_ERROR] = "bad_error", [DTT_KRPC_DROP_BAD_ARGS] = "bad_args",
	[DTT_KRPC_DROP_BAD_ID] = "bad_id",	 [DTT_KRPC_DROP_BAD_HASH] = "bad_hash",
	[DTT_KRPC_DROP_BAD_TOKEN] = "bad_token", [DTT_KRPC_DROP_BAD_NODES] = "bad_nodes",
	[DTT_KRPC_DROP_BAD_VALUES] = "bad_values", [DTT_KRPC_DROP_BAD_PORT] = "bad_port",
	[DTT_KRPC_DROP_BAD_ITEM] = "bad_item",	 [DTT_KRPC_DROP_BAD_WANT] = "bad_want",
};
_Static_assert(sizeof(drop_names) / sizeof(drop_names[0]) == DTT_KRPC_DROP__COUNT,
	       "one name per value");

const char *dtt_krpc_method_name(enum dtt_krpc_method method)
{
	return (unsigned)method < DTT_KRPC_METHOD__COUNT ? method_names[method] : "invalid";
}

const char *dtt_krpc_drop_name(enum dtt_krpc_drop drop)
{
	return (unsigned)drop < DTT_KRPC_DROP__COUNT ? drop_names[drop] : "invalid";
}

/* ---- compact addresses ---- */

int dtt_krpc_peer_decode(struct dtt_addr *out, const uint8_t *p, size_t len)
{
	memset(out, 0, sizeof(*out));
	if (len == DTT_KRPC_PEER4_BYTES) {
		out->family = DTT_AF_INET;
		memcpy(out->addr, p, 4);
	} else if (len == DTT_KRPC_PEER6_BYTES) {
		out->family = DTT_AF_INET6;
		memcpy(out->addr, p, 16);
	} else {
		return DTT_ERR_MALFORMED;
	}
	out->port = (uint16_t)(p[len - 2] << 8 | p[len - 1]);
	return 0;
}

static size_t peer_len(const struct dtt_addr *a)
{
	if (a->family == DTT_AF_INET)
		return DTT_KRPC_PEER4_BYTES;
	if (a->family == DTT_AF_INET6)
		return DTT_KRPC_PEER6_BYTES;
	return 0;
}

void dtt_krpc_peer_encode(struct dtt_wbuf *w, const struct dtt_addr *a)
{
	size_t n = peer_len(a);

	if (!n) {
		w->err = true;
		return;
	}
	dtt_wbuf_put(w, a->addr, n - 2);
	dtt_wbuf_be16(w, a->port);
}

int dtt_krpc_nodes_decode(struct dtt_krpc_node *out, size_t out_max, const uint8_t *p,
			  size_t len, uint8_t family)
{
	size_t sz, n;

	if (family == DTT_AF_INET)
		sz = DTT_KRPC_NODE4_BYTES;
	else if (family == DTT_AF_INET6)
		sz = DTT_KRPC_NODE6_BYTES;
	else
		return DTT_ERR_MALFORMED;
	if (len % sz)
		return DTT_ERR_MALFORMED;
	n = len / sz;
	if (n > out_max)
		n = out_max;
	if (n > INT32_MAX)
		n = INT32_MAX;
	for (size_t i = 0; i < n; i++, p += sz) {
		memcpy(out[i].id, p, DTT_KRPC_ID_BYTES);
		dtt_krpc_peer_decode(&out[i].addr, p + DTT_KRPC_ID_BYTES, sz - DTT_KRPC_ID_BYTES);
	}
	return (int)n;
}

int dtt_krpc_nodes_encode(struct dtt_wbuf *w, const struct dtt_krpc_node *nodes, size_t n,
			  uint8_t family)
{
	int count = 0;

	for (size_t i = 0; i < n && count < INT32_MAX; i++) {
		if (nodes[i].addr.family != family)
			continue;
		dtt_wbuf_put(w, nodes[i].id, DTT_KRPC_ID_BYTES);
		dtt_krpc_peer_encode(w, &nodes[i].addr);
		count++;
	}
	return w->err ? DTT_ERR_TOOBIG : count;
}

/* ---- decoding ---- */

static int drop(struct dtt_krpc_msg *m, enum dtt_krpc_drop why)
{
	m->drop = why;
	return why == DTT_KRPC_DROP_LIMIT ? DTT_ERR_TOOBIG : DTT_ERR_MALFORMED;
}

static bool is_str(const struct dtt_bencode_tok *t, size_t len)
{
	return t->type == DTT_BENCODE_STR && t->len == len;
}

static enum dtt_krpc_drop parse_values(struct dtt_krpc_msg *m, const struct dtt_bencode_tok *toks,
				       int list)
{
	if (toks[list].type != DTT_BENCODE_LIST)
		return DTT_KRPC_DROP_BAD_VALUES;
	for (DTT_BENCODE_EACH(toks, list, i)) {
		struct dtt_addr a;

		if (toks[i].type != DTT_BENCODE_STR ||
		    dtt_krpc_peer_decode(&a, toks[i].str, toks[i].len))
			return DTT_KRPC_DROP_BAD_VALUES;
		if (m->values_count < DTT_KRPC_VALUES_MAX)
			m->values[m->values_count++] = a;
		else
			m->values_more++;
	}
	m->has |= DTT_KRPC_HAS_VALUES;
	return DTT_KRPC_DROP_NONE;
}

static enum dtt_krpc_drop parse_want(struct dtt_krpc_msg *m, const struct dtt_bencode_tok *toks,
				     int list)
{
	if (toks[list].type != DTT_BENCODE_LIST)
		return DTT_KRPC_DROP_BAD_WANT;
	for (DTT_BENCODE_EACH(toks, list, i)) {
		if (toks[i].type != DTT_BENCODE_STR)
			return DTT_KRPC_DROP_BAD_WANT;
		if (KEY_IS(&toks[i], "n4"))
			m->want |= DTT_KRPC_WANT_N4;
		else if (KEY_IS(&toks[i], "n6"))
			m->want |= DTT_KRPC_WANT_N6;
		/* other families are ignored */
	}
	m->has |= DTT_KRPC_HAS_WANT;
	return DTT_KRPC_DROP_NONE;
}

/* Copies a string token of exactly n bytes into out. */
static bool take_fixed(const struct dtt_bencode_tok *t, uint8_t *out, size_t n)
{
	if (!is_str(t, n))
		return false;
	memcpy(out, t->str, n);
	return true;
}

/* One key of `a` or `r`. Unknown keys are ignored. */
static enum dtt_krpc_drop parse_arg(struct dtt_krpc_msg *m, const uint8_t *buf,
				    const struct dtt_bencode_tok *toks, int k)
{
	const struct dtt_bencode_tok *key = &toks[k], *val = &toks[k + 1];

	if (key->len == 0)
		return DTT_KRPC_DROP_NONE;
	switch (key->str[0]) {
	case 'c':
		if (KEY_IS(key, "cas")) {
			if (val->type != DTT_BENCODE_INT)
				return DTT_KRPC_DROP_BAD_ITEM;
			m->cas = val->ival;
			m->has |= DTT_KRPC_HAS_CAS;
		}
		break;
	case 'i':
		if (KEY_IS(key, "id")) {
			if (!take_fixed(val, m->id, DTT_KRPC_ID_BYTES))
				return DTT_KRPC_DROP_BAD_ID;
			m->has |= DTT_KRPC_HAS_ID;
		} else if (KEY_IS(key, "implied_port")) {
			if (val->type != DTT_BENCODE_INT)
				return DTT_KRPC_DROP_BAD_PORT;
			m->implied_port = val->ival != 0;
			m->has |= DTT_KRPC_HAS_IMPLIED_PORT;
		} else if (KEY_IS(key, "info_hash")) {
			if (!take_fixed(val, m->info_hash, DTT_KRPC_ID_BYTES))
				return DTT_KRPC_DROP_BAD_HASH;
			m->has |= DTT_KRPC_HAS_INFO_HASH;
		}
		break;
	case 'k':
		if (KEY_IS(key, "k")) {
			if (!take_fixed(val, m->k, DTT_KRPC_K_BYTES))
				return DTT_KRPC_DROP_BAD_ITEM;
			m->has |= DTT_KRPC_HAS_K;
		}
		break;
	case 'n':
		if (KEY_IS(key, "nodes")) {
			if (val->type != DTT_BENCODE_STR || val->len % DTT_KRPC_NODE4_BYTES)
				return DTT_KRPC_DROP_BAD_NODES;
			m->nodes = val->str;
			m->nodes_len = val->len;
			m->has |= DTT_KRPC_HAS_NODES;
		} else if (KEY_IS(key, "nodes6")) {
			if (val->type != DTT_BENCODE_STR || val->len % DTT_KRPC_NODE6_BYTES)
				return DTT_KRPC_DROP_BAD_NODES;
			m->nodes6 = val->str;
			m->nodes6_len = val->len;
			m->has |= DTT_KRPC_HAS_NODES6;
		}
		break;
	case 'p':
		if (KEY_IS(key, "port")) {
			if (val->type != DTT_BENCODE_INT || val->ival < 0 || val->ival > 65535)
				return DTT_KRPC_DROP_BAD_PORT;
			m->port = (uint16_t)val->ival;
			m->has |= DTT_KRPC_HAS_PORT;
		}
		break;
	case 's':
		if (KEY_IS(key, "salt")) {
			if (val->type != DTT_BENCODE_STR)
				return DTT_KRPC_DROP_BAD_ITEM;
			m->salt = val->str;
			m->salt_len = val->len;
			m->has |= DTT_KRPC_HAS_SALT;
		} else if (KEY_IS(key, "seq")) {
			if (val->type != DTT_BENCODE_INT)
				return DTT_KRPC_DROP_BAD_ITEM;
			m->seq = val->ival;
			m->has |= DTT_KRPC_HAS_SEQ;
		} else if (KEY_IS(key, "sig")) {
			if (!take_fixed(val, m->sig, DTT_KRPC_SIG_BYTES))
				return DTT_KRPC_DROP_BAD_ITEM;
			m->has |= DTT_KRPC_HAS_SIG;
		}
		break;
	case 't':
		if (KEY_IS(key, "target")) {
			if (!take_fixed(val, m->target, DTT_KRPC_ID_BYTES))
				return DTT_KRPC_DROP_BAD_HASH;
			m->has |= DTT_KRPC_HAS_TARGET;
		} else if (KEY_IS(key, "token")) {
			if (val->type != DTT_BENCODE_STR || val->len > DTT_KRPC_TOKEN_MAX)
				return DTT_KRPC_DROP_BAD_TOKEN;
			memcpy(m->token, val->str, val->len);
			m->token_len = (uint8_t)val->len;
			m->has |= DTT_KRPC_HAS_TOKEN;
		}
		break;
	case 'v':
		if (KEY_IS(key, "v")) {
			/* BEP 44: hashed and signed as it appeared, so keep the span. */
			m->v = buf + val->start;
			m->v_len = val->end - val->start;
			m->has |= DTT_KRPC_HAS_V;
		} else if (KEY_IS(key, "values")) {
			return parse_values(m, toks, k + 1);
		}
		break;
	case 'w':
		if (KEY_IS(key, "want"))
			return parse_want(m, toks, k + 1);
		break;
	}
	return DTT_KRPC_DROP_NONE;
}

static enum dtt_krpc_drop parse_body(struct dtt_krpc_msg *m, const uint8_t *buf,
				     const struct dtt_bencode_tok *toks, int dict)
{
	enum dtt_krpc_drop why;

	if (dict < 0 || toks[dict].type != DTT_BENCODE_DICT)
		return DTT_KRPC_DROP_BAD_ARGS;
	/* a key is one string token, so its value is always the next token */
	for (int k = dtt_bencode_first(toks, dict); k >= 0; k = dtt_bencode_next(toks, dict, k + 1)) {
		why = parse_arg(m, buf, toks, k);
		if (why)
			return why;
	}
	if (!(m->has & DTT_KRPC_HAS_ID))
		return DTT_KRPC_DROP_BAD_ID;
	return DTT_KRPC_DROP_NONE;
}

static enum dtt_krpc_method method_of(const struct dtt_bencode_tok *q)
{
	if (KEY_IS(q, "ping"))
		return DTT_KRPC_PING;
	if (KEY_IS(q, "find_node"))
		return DTT_KRPC_FIND_NODE;
	if (KEY_IS(q, "get_peers"))
		return DTT_KRPC_GET_PEERS;
	if (KEY_IS(q, "announce_peer"))
		return DTT_KRPC_ANNOUNCE_PEER;
	if (KEY_IS(q, "get"))
		return DTT_KRPC_GET;
	if (KEY_IS(q, "put"))
		return DTT_KRPC_PUT;
	return DTT_KRPC_UNKNOWN;
}

static enum dtt_krpc_drop parse_error(struct dtt_krpc_msg *m, const struct dtt_bencode_tok *toks,
				      int e)
{
	int code, msg;

	if (e < 0 || toks[e].type != DTT_BENCODE_LIST)
		return DTT_KRPC_DROP_BAD_ERROR;
	code = dtt_bencode_first(toks, e);
	if (code < 0 || toks[code].type != DTT_BENCODE_INT)
		return DTT_KRPC_DROP_BAD_ERROR;
	m->error_code = toks[code].ival;
	msg = dtt_bencode_next(toks, e, code);
	if (msg >= 0) {
		if (toks[msg].type != DTT_BENCODE_STR)
			return DTT_KRPC_DROP_BAD_ERROR;
		m->error_msg = toks[msg].str;
		m->error_msg_len = toks[msg].len;
	}
	return DTT_KRPC_DROP_NONE;
}

int dtt_krpc_decode(struct dtt_krpc_msg *m, const uint8_t *buf, size_t len)
{
	struct dtt_bencode_tok toks[DTT_KRPC_TOKENS_MAX];
	int a = -1, e = -1, q = -1, r = -1, t = -1, y = -1, ip = -1, ro = -1, ver = -1;
	enum dtt_krpc_drop why;
	int n;

	memset(m, 0, offsetof(struct dtt_krpc_msg, values)); /* values[] is guarded by its count */
	n = dtt_bencode_decode(buf, len, toks, DTT_KRPC_TOKENS_MAX, DTT_KRPC_DEPTH_MAX);
	if (n == DTT_ERR_TOOBIG)
		return drop(m, DTT_KRPC_DROP_LIMIT);
	if (n < 0)
		return drop(m, DTT_KRPC_DROP_BENCODE);
	if (toks[0].type != DTT_BENCODE_DICT)
		return drop(m, DTT_KRPC_DROP_NOT_DICT);

	for (int k = dtt_bencode_first(toks, 0); k >= 0; k = dtt_bencode_next(toks, 0, k + 1)) {
		const struct dtt_bencode_tok *key = &toks[k];

		if (KEY_IS(key, "a"))
			a = k + 1;
		else if (KEY_IS(key, "e"))
			e = k + 1;
		else if (KEY_IS(key, "ip"))
			ip = k + 1;
		else if (KEY_IS(key, "q"))
			q = k + 1;
		else if (KEY_IS(key, "r"))
			r = k + 1;
		else if (KEY_IS(key, "ro"))
			ro = k + 1;
		else if (KEY_IS(key, "t"))
			t = k + 1;
		else if (KEY_IS(key, "v"))
			ver = k + 1;
		else if (KEY_IS(key, "y"))
			y = k + 1;
	}

	if (t < 0 || toks[t].type != DTT_BENCODE_STR || toks[t].len > DTT_KRPC_T_MAX)
		return drop(m, DTT_KRPC_DROP_BAD_T);
	memcpy(m->t, toks[t].str, toks[t].len);
	m->t_len = (uint8_t)toks[t].len;

	if (y < 0 || !is_str(&toks[y], 1))
		return drop(m, DTT_KRPC_DROP_BAD_Y);
	switch (toks[y].str[0]) {
	case 'q':
		m->type = DTT_KRPC_QUERY;
		break;
	case 'r':
		m->type = DTT_KRPC_RESPONSE;
		break;
	case 'e':
		m->type = DTT_KRPC_ERROR;
		break;
	default:
		return drop(m, DTT_KRPC_DROP_BAD_Y);
	}

	if (m->type == DTT_KRPC_QUERY) {
		if (q < 0 || toks[q].type != DTT_BENCODE_STR)
			return drop(m, DTT_KRPC_DROP_BAD_Q);
		m->q = toks[q].str;
		m->q_len = toks[q].len;
		m->method = (uint8_t)method_of(&toks[q]);
	}

	if (ip >= 0) {
		if (toks[ip].type != DTT_BENCODE_STR ||
		    dtt_krpc_peer_decode(&m->ip, toks[ip].str, toks[ip].len))
			return drop(m, DTT_KRPC_DROP_BAD_EXTRA);
		m->has |= DTT_KRPC_HAS_IP;
	}
	if (ro >= 0) {
		if (toks[ro].type != DTT_BENCODE_INT)
			return drop(m, DTT_KRPC_DROP_BAD_EXTRA);
		m->ro = toks[ro].ival != 0;
		m->has |= DTT_KRPC_HAS_RO;
	}
	if (ver >= 0) {
		if (toks[ver].type != DTT_BENCODE_STR)
			return drop(m, DTT_KRPC_DROP_BAD_EXTRA);
		m->version = toks[ver].str;
		m->version_len = toks[ver].len;
		m->has |= DTT_KRPC_HAS_VERSION;
	}

	if (m->type == DTT_KRPC_ERROR)
		why = parse_error(m, toks, e);
	else
		why = parse_body(m, buf, toks, m->type == DTT_KRPC_QUERY ? a : r);
	if (why)
		return drop(m, why);
	return 0;
}

/* ---- encoding ---- */

static bool hdr_ok(const struct dtt_krpc_hdr *h)
{
	return h->t_len <= DTT_KRPC_T_MAX && (h->t || !h->t_len) && (!h->ip || peer_len(h->ip));
}

static void put_ip(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h)
{
	if (!h->ip)
		return;
	dtt_bencode_cstr(w, "ip");
	dtt_wbuf_dec(w, (int64_t)peer_len(h->ip));
	dtt_wbuf_u8(w, ':');
	dtt_krpc_peer_encode(w, h->ip);
}

/* [ro] t v y, then the closing `e` of the message. */
static int put_tail(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h, const char *y)
{
	if (h->ro) {
		dtt_bencode_cstr(w, "ro");
		dtt_bencode_int(w, 1);
	}
	dtt_bencode_cstr(w, "t");
	dtt_bencode_str(w, h->t, h->t_len);
	dtt_bencode_cstr(w, "v");
	dtt_bencode_str(w, DTT_KRPC_VERSION, DTT_KRPC_VERSION_BYTES);
	dtt_bencode_cstr(w, "y");
	dtt_bencode_cstr(w, y);
	dtt_bencode_end(w);
	return w->err ? DTT_ERR_TOOBIG : 0;
}

/* d 1:a d ... (the caller writes the arguments, starting with those before `id`) */
static void query_begin(struct dtt_wbuf *w)
{
	dtt_bencode_dict_begin(w);
	dtt_bencode_cstr(w, "a");
	dtt_bencode_dict_begin(w);
}

/* ... e [ip] 1:q <name> [ro] t v y e */
static int query_end(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h, const char *name)
{
	dtt_bencode_end(w);
	put_ip(w, h);
	dtt_bencode_cstr(w, "q");
	dtt_bencode_cstr(w, name);
	return put_tail(w, h, "q");
}

/* d [ip] 1:r d ... */
static void response_begin(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h)
{
	dtt_bencode_dict_begin(w);
	put_ip(w, h);
	dtt_bencode_cstr(w, "r");
	dtt_bencode_dict_begin(w);
}

/* ... e [ro] t v y e */
static int response_end(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h)
{
	dtt_bencode_end(w);
	return put_tail(w, h, "r");
}

static void put_key_str(struct dtt_wbuf *w, const char *key, const void *p, size_t len)
{
	dtt_bencode_cstr(w, key);
	dtt_bencode_str(w, p, len);
}

static void put_key_int(struct dtt_wbuf *w, const char *key, int64_t v)
{
	dtt_bencode_cstr(w, key);
	dtt_bencode_int(w, v);
}

/* 4:want l 2:n4 2:n6 e */
static void put_want(struct dtt_wbuf *w, unsigned want)
{
	if (!(want & (DTT_KRPC_WANT_N4 | DTT_KRPC_WANT_N6)))
		return;
	dtt_bencode_cstr(w, "want");
	dtt_bencode_list_begin(w);
	if (want & DTT_KRPC_WANT_N4)
		dtt_bencode_cstr(w, "n4");
	if (want & DTT_KRPC_WANT_N6)
		dtt_bencode_cstr(w, "n6");
	dtt_bencode_end(w);
}

static bool nodes_ok(const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
		     size_t nodes6_len)
{
	return (nodes || !nodes_len) && nodes_len % DTT_KRPC_NODE4_BYTES == 0 &&
	       (nodes6 || !nodes6_len) && nodes6_len % DTT_KRPC_NODE6_BYTES == 0;
}

static void put_nodes(struct dtt_wbuf *w, const uint8_t *nodes, size_t nodes_len,
		      const uint8_t *nodes6, size_t nodes6_len)
{
	if (nodes)
		put_key_str(w, "nodes", nodes, nodes_len);
	if (nodes6)
		put_key_str(w, "nodes6", nodes6, nodes6_len);
}

static bool token_ok(const uint8_t *token, size_t token_len)
{
	return (token || !token_len) && token_len <= DTT_KRPC_TOKEN_MAX;
}

/* d1:ad2:id20:<id>e1:q4:ping1:t2:aa1:v4:DT..1:y1:qe */
int dtt_krpc_encode_ping(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			 const uint8_t id[static DTT_KRPC_ID_BYTES])
{
	if (!hdr_ok(h))
		return DTT_ERR_INVALID;
	query_begin(w);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	return query_end(w, h, "ping");
}

/* d1:ad2:id20:<id>6:target20:<target>[4:wantl2:n42:n6e]e1:q9:find_node1:t2:aa1:v4:DT..1:y1:qe */
int dtt_krpc_encode_find_node(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			      const uint8_t id[static DTT_KRPC_ID_BYTES],
			      const uint8_t target[static DTT_KRPC_ID_BYTES], unsigned want)
{
	if (!hdr_ok(h))
		return DTT_ERR_INVALID;
	query_begin(w);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	put_key_str(w, "target", target, DTT_KRPC_ID_BYTES);
	put_want(w, want);
	return query_end(w, h, "find_node");
}

/* d1:ad2:id20:<id>9:info_hash20:<hash>[4:wantl..e]e1:q9:get_peers1:t2:aa1:v4:DT..1:y1:qe */
int dtt_krpc_encode_get_peers(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			      const uint8_t id[static DTT_KRPC_ID_BYTES],
			      const uint8_t info_hash[static DTT_KRPC_ID_BYTES], unsigned want)
{
	if (!hdr_ok(h))
		return DTT_ERR_INVALID;
	query_begin(w);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	put_key_str(w, "info_hash", info_hash, DTT_KRPC_ID_BYTES);
	put_want(w, want);
	return query_end(w, h, "get_peers");
}

/* d1:ad2:id20:<id>[12:implied_porti1e]9:info_hash20:<hash>4:porti6881e5:token4:<tok>e
 *  1:q13:announce_peer1:t2:aa1:v4:DT..1:y1:qe */
int dtt_krpc_encode_announce_peer(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
				  const uint8_t id[static DTT_KRPC_ID_BYTES],
				  const uint8_t info_hash[static DTT_KRPC_ID_BYTES], uint16_t port,
				  bool implied_port, const uint8_t *token, size_t token_len)
{
	if (!hdr_ok(h) || !token_ok(token, token_len))
		return DTT_ERR_INVALID;
	query_begin(w);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	if (implied_port)
		put_key_int(w, "implied_port", 1);
	put_key_str(w, "info_hash", info_hash, DTT_KRPC_ID_BYTES);
	put_key_int(w, "port", port);
	put_key_str(w, "token", token, token_len);
	return query_end(w, h, "announce_peer");
}

/* d1:ad2:id20:<id>[3:seqi4e]6:target20:<target>[4:wantl..e]e1:q3:get1:t2:aa1:v4:DT..1:y1:qe */
int dtt_krpc_encode_get(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			const uint8_t id[static DTT_KRPC_ID_BYTES],
			const uint8_t target[static DTT_KRPC_ID_BYTES], const int64_t *seq,
			unsigned want)
{
	if (!hdr_ok(h))
		return DTT_ERR_INVALID;
	query_begin(w);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	if (seq)
		put_key_int(w, "seq", *seq);
	put_key_str(w, "target", target, DTT_KRPC_ID_BYTES);
	put_want(w, want);
	return query_end(w, h, "get");
}

/* mutable:
 *   d1:ad[3:casi1e]2:id20:<id>1:k32:<pk>[4:salt6:foobar]3:seqi1e3:sig64:<sig>5:token4:<tok>
 *    1:v12:Hello World!e1:q3:put1:t2:aa1:v4:DT..1:y1:qe
 * immutable:
 *   d1:ad2:id20:<id>5:token4:<tok>1:v12:Hello World!e1:q3:put1:t2:aa1:v4:DT..1:y1:qe */
int dtt_krpc_encode_put(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			const uint8_t id[static DTT_KRPC_ID_BYTES], const uint8_t *token,
			size_t token_len, const struct dtt_krpc_item *item)
{
	bool mut = item->k != NULL;

	if (!hdr_ok(h) || !token_ok(token, token_len) || !item->v || !item->v_len)
		return DTT_ERR_INVALID;
	if (mut && (!item->sig || !item->has_seq || (!item->salt && item->salt_len)))
		return DTT_ERR_INVALID;
	if (!mut && (item->sig || item->has_seq || item->salt_len || item->has_cas))
		return DTT_ERR_INVALID;
	query_begin(w);
	if (mut && item->has_cas)
		put_key_int(w, "cas", item->cas);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	if (mut) {
		put_key_str(w, "k", item->k, DTT_KRPC_K_BYTES);
		if (item->salt_len) /* an empty salt is no salt: never on the wire */
			put_key_str(w, "salt", item->salt, item->salt_len);
		put_key_int(w, "seq", item->seq);
		put_key_str(w, "sig", item->sig, DTT_KRPC_SIG_BYTES);
	}
	put_key_str(w, "token", token, token_len);
	dtt_bencode_cstr(w, "v");
	dtt_bencode_raw(w, item->v, item->v_len);
	return query_end(w, h, "put");
}

/* d[2:ip6:<addr>]1:rd2:id20:<id>e1:t2:aa1:v4:DT..1:y1:re */
int dtt_krpc_encode_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			  const uint8_t id[static DTT_KRPC_ID_BYTES])
{
	if (!hdr_ok(h))
		return DTT_ERR_INVALID;
	response_begin(w, h);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	return response_end(w, h);
}

/* d[2:ip6:<addr>]1:rd2:id20:<id>5:nodes208:<8 x 26>[6:nodes6..]e1:t2:aa1:v4:DT..1:y1:re */
int dtt_krpc_encode_find_node_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
				    const uint8_t id[static DTT_KRPC_ID_BYTES],
				    const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
				    size_t nodes6_len)
{
	if (!hdr_ok(h) || !nodes_ok(nodes, nodes_len, nodes6, nodes6_len))
		return DTT_ERR_INVALID;
	response_begin(w, h);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	put_nodes(w, nodes, nodes_len, nodes6, nodes6_len);
	return response_end(w, h);
}

/* d[2:ip..]1:rd2:id20:<id>[5:nodes..][6:nodes6..]5:token4:<tok>[6:valuesl6:<peer>6:<peer>e]e
 *  1:t2:aa1:v4:DT..1:y1:re */
int dtt_krpc_encode_get_peers_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
				    const uint8_t id[static DTT_KRPC_ID_BYTES],
				    const uint8_t *token, size_t token_len,
				    const struct dtt_addr *values, size_t values_count,
				    const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
				    size_t nodes6_len)
{
	if (!hdr_ok(h) || !token_ok(token, token_len) ||
	    !nodes_ok(nodes, nodes_len, nodes6, nodes6_len) || (!values && values_count))
		return DTT_ERR_INVALID;
	for (size_t i = 0; i < values_count; i++)
		if (!peer_len(&values[i]))
			return DTT_ERR_INVALID;
	response_begin(w, h);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	put_nodes(w, nodes, nodes_len, nodes6, nodes6_len);
	put_key_str(w, "token", token, token_len);
	if (values) {
		dtt_bencode_cstr(w, "values");
		dtt_bencode_list_begin(w);
		for (size_t i = 0; i < values_count; i++) {
			dtt_wbuf_dec(w, (int64_t)peer_len(&values[i]));
			dtt_wbuf_u8(w, ':');
			dtt_krpc_peer_encode(w, &values[i]);
		}
		dtt_bencode_end(w);
	}
	return response_end(w, h);
}

/* d1:rd2:id20:<id>1:k32:<pk>5:nodes..3:seqi1e3:sig64:<sig>5:token4:<tok>1:v12:Hello World!e
 *  1:t2:aa1:v4:DT..1:y1:re
 * seq only (the asker's seq is not older): d1:rd2:id20:<id>5:nodes..3:seqi1e5:token4:<tok>e..
 * immutable: d1:rd2:id20:<id>5:nodes..5:token4:<tok>1:v12:Hello World!e.. */
int dtt_krpc_encode_get_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			      const uint8_t id[static DTT_KRPC_ID_BYTES], const uint8_t *token,
			      size_t token_len, const uint8_t *nodes, size_t nodes_len,
			      const uint8_t *nodes6, size_t nodes6_len,
			      const struct dtt_krpc_item *item)
{
	if (!hdr_ok(h) || !token_ok(token, token_len) ||
	    !nodes_ok(nodes, nodes_len, nodes6, nodes6_len))
		return DTT_ERR_INVALID;
	if (item) {
		if (!item->k != !item->sig || (item->k && (!item->has_seq || !item->v)) ||
		    (!item->v && !item->has_seq) || (item->v && !item->v_len))
			return DTT_ERR_INVALID;
	}
	response_begin(w, h);
	put_key_str(w, "id", id, DTT_KRPC_ID_BYTES);
	if (item && item->k)
		put_key_str(w, "k", item->k, DTT_KRPC_K_BYTES);
	put_nodes(w, nodes, nodes_len, nodes6, nodes6_len);
	if (item && item->has_seq)
		put_key_int(w, "seq", item->seq);
	if (item && item->sig)
		put_key_str(w, "sig", item->sig, DTT_KRPC_SIG_BYTES);
	put_key_str(w, "token", token, token_len);
	if (item && item->v) {
		dtt_bencode_cstr(w, "v");
		dtt_bencode_raw(w, item->v, item->v_len);
	}
	return response_end(w, h);
}

/* d1:eli201e23:A Generic Error Ocurrede[2:ip..][2:roi1e]1:t2:aa1:v4:DT..1:y1:ee */
int dtt_krpc_encode_error(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h, int64_t code,
			  const void *msg, size_t msg_len)
{
	if (!hdr_ok(h) || (!msg && msg_len))
		return DTT_ERR_INVALID;
	dtt_bencode_dict_begin(w);
	dtt_bencode_cstr(w, "e");
	dtt_bencode_list_begin(w);
	dtt_bencode_int(w, code);
	dtt_bencode_str(w, msg, msg_len);
	dtt_bencode_end(w);
	put_ip(w, h);
	return put_tail(w, h, "e");
}
