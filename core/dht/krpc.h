/* krpc.h - the KRPC wire codec of the mainline DHT: BEP 5 queries and responses, BEP 44
 * get/put, BEP 32 nodes6/want, BEP 42 `ip`, BEP 43 `ro`.
 *
 * Decoding: one datagram -> one struct dtt_krpc_msg, without allocation. Pointer fields of
 * the message BORROW the datagram: they stay valid only as long as the caller keeps the input
 * buffer unchanged. Fixed-size fields (t, ids, token, k, sig) are copied. A datagram that does
 * not decode is dropped by the caller and counted by msg.drop (enum dtt_krpc_drop).
 *
 * Encoding: one function per message kind, each appending one canonical bencoded dict (keys
 * sorted by raw bytes) to a struct dtt_wbuf. Every message carries our client version
 * `v` = DTT_KRPC_VERSION at the top level, and optionally `ip` (BEP 42) and `ro` (BEP 43)
 * from struct dtt_krpc_hdr. Encoders return 0, DTT_ERR_INVALID (an argument out of its
 * bounds) or DTT_ERR_TOOBIG (the wbuf is full; its error flag is then set). On failure the
 * wbuf content is unspecified.
 *
 * The codec has no state and no timers; it never reads the clock or the env.
 */
#ifndef DTT_DHT_KRPC_H
#define DTT_DHT_KRPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "env.h"

#define DTT_KRPC_ID_BYTES 20    /* node id, target, info_hash */
#define DTT_KRPC_T_MAX 16       /* transaction id: longer ones are dropped */
#define DTT_KRPC_TOKEN_MAX 64   /* write token: longer ones are dropped */
#define DTT_KRPC_K_BYTES 32     /* BEP 44 ed25519 public key */
#define DTT_KRPC_SIG_BYTES 64   /* BEP 44 ed25519 signature */
#define DTT_KRPC_SALT_MAX 64    /* BEP 44: longer salts get error 207 (judged by the store) */
#define DTT_KRPC_V_MAX 1000     /* BEP 44: longer bencoded values get error 205 (store) */
#define DTT_KRPC_PEER4_BYTES 6  /* compact IPv4 peer: address, port (big-endian) */
#define DTT_KRPC_PEER6_BYTES 18 /* compact IPv6 peer */
#define DTT_KRPC_NODE4_BYTES 26 /* compact IPv4 node: id, peer */
#define DTT_KRPC_NODE6_BYTES 38 /* compact IPv6 node (BEP 32) */
#define DTT_KRPC_VALUES_MAX 32  /* peers kept from `values`; the rest is only counted */
#define DTT_KRPC_TOKENS_MAX 1024 /* bencode tokens per datagram (a 1000-byte `v` fits) */
#define DTT_KRPC_DEPTH_MAX 16    /* container nesting per datagram */

/* Our client version: "DT" and two version bytes (major, minor). */
#define DTT_KRPC_VERSION "DT\x00\x01"
#define DTT_KRPC_VERSION_BYTES 4

enum dtt_krpc_type {
	DTT_KRPC_QUERY = 1,    /* y = "q" */
	DTT_KRPC_RESPONSE = 2, /* y = "r" */
	DTT_KRPC_ERROR = 3,    /* y = "e" */
};

enum dtt_krpc_method {
	DTT_KRPC_UNKNOWN = 0, /* any other q: see msg.q for the raw name (answer 204) */
	DTT_KRPC_PING,
	DTT_KRPC_FIND_NODE,
	DTT_KRPC_GET_PEERS,
	DTT_KRPC_ANNOUNCE_PEER,
	DTT_KRPC_GET,
	DTT_KRPC_PUT,
	DTT_KRPC_METHOD__COUNT,
};

/* KRPC error codes (`e` = [code, message]): BEP 5 and BEP 44. */
enum dtt_krpc_error {
	DTT_KRPC_ERROR_GENERIC = 201,
	DTT_KRPC_ERROR_SERVER = 202,
	DTT_KRPC_ERROR_PROTOCOL = 203, /* malformed packet, invalid arguments, bad token */
	DTT_KRPC_ERROR_METHOD = 204,   /* method unknown */
	DTT_KRPC_ERROR_V_TOO_BIG = 205,
	DTT_KRPC_ERROR_BAD_SIG = 206,
	DTT_KRPC_ERROR_SALT_TOO_BIG = 207,
	DTT_KRPC_ERROR_CAS_MISMATCH = 301,
	DTT_KRPC_ERROR_SEQ_TOO_OLD = 302,
};

/* Why a datagram was not decoded; index of the node's drop counters. Reasons from
 * DTT_KRPC_DROP_BAD_ARGS on are found after `t`, `y` and `q` were read, so for a query
 * (msg.type == DTT_KRPC_QUERY) the caller may still answer error 203 to msg.t. */
enum dtt_krpc_drop {
	DTT_KRPC_DROP_NONE = 0,
	DTT_KRPC_DROP_BENCODE,   /* not strict bencode (syntax, key order, trailing bytes) */
	DTT_KRPC_DROP_LIMIT,     /* more tokens or deeper nesting than the datagram budget */
	DTT_KRPC_DROP_NOT_DICT,  /* top-level value is not a dict */
	DTT_KRPC_DROP_BAD_T,     /* `t` missing, not a string, or longer than DTT_KRPC_T_MAX */
	DTT_KRPC_DROP_BAD_Y,     /* `y` missing or not one of q, r, e */
	DTT_KRPC_DROP_BAD_Q,     /* query without a string `q` */
	DTT_KRPC_DROP_BAD_EXTRA, /* top-level `ip`, `ro` or `v` of the wrong type or size */
	DTT_KRPC_DROP_BAD_ERROR, /* `e` is not a list starting [int, string] */
	DTT_KRPC_DROP_BAD_ARGS,  /* query without an `a` dict, response without an `r` dict */
	DTT_KRPC_DROP_BAD_ID,    /* `id` missing or not 20 bytes */
	DTT_KRPC_DROP_BAD_HASH,  /* `target` or `info_hash` not 20 bytes */
	DTT_KRPC_DROP_BAD_TOKEN, /* `token` not a string of at most DTT_KRPC_TOKEN_MAX bytes */
	DTT_KRPC_DROP_BAD_NODES, /* `nodes`/`nodes6` not a string of whole compact entries */
	DTT_KRPC_DROP_BAD_VALUES, /* `values` not a list of 6- or 18-byte strings */
	DTT_KRPC_DROP_BAD_PORT,  /* `port` not an int in 0..65535, `implied_port` not an int */
	DTT_KRPC_DROP_BAD_ITEM,  /* BEP 44 `k`, `sig`, `seq`, `cas` or `salt` of the wrong type/size */
	DTT_KRPC_DROP_BAD_WANT,  /* `want` not a list of strings */
	DTT_KRPC_DROP__COUNT,
};

/* Presence bits of struct dtt_krpc_msg.has: a field is meaningful only when its bit is set. */
#define DTT_KRPC_HAS_ID (1u << 0)
#define DTT_KRPC_HAS_TARGET (1u << 1)
#define DTT_KRPC_HAS_INFO_HASH (1u << 2)
#define DTT_KRPC_HAS_TOKEN (1u << 3)
#define DTT_KRPC_HAS_NODES (1u << 4)
#define DTT_KRPC_HAS_NODES6 (1u << 5)
#define DTT_KRPC_HAS_VALUES (1u << 6)
#define DTT_KRPC_HAS_PORT (1u << 7)
#define DTT_KRPC_HAS_IMPLIED_PORT (1u << 8)
#define DTT_KRPC_HAS_SEQ (1u << 9)
#define DTT_KRPC_HAS_CAS (1u << 10)
#define DTT_KRPC_HAS_K (1u << 11)
#define DTT_KRPC_HAS_SIG (1u << 12)
#define DTT_KRPC_HAS_SALT (1u << 13)
#define DTT_KRPC_HAS_V (1u << 14)
#define DTT_KRPC_HAS_WANT (1u << 15)
#define DTT_KRPC_HAS_RO (1u << 16)      /* top level */
#define DTT_KRPC_HAS_IP (1u << 17)      /* top level */
#define DTT_KRPC_HAS_VERSION (1u << 18) /* top level */

/* BEP 32 `want` flags. */
#define DTT_KRPC_WANT_N4 1u
#define DTT_KRPC_WANT_N6 2u

/* One decoded datagram. Fields from `a` (queries) and `r` (responses) share one set. */
struct dtt_krpc_msg {
	enum dtt_krpc_drop drop; /* DTT_KRPC_DROP_NONE when decoded */
	uint8_t type;            /* enum dtt_krpc_type, 0 if `y` was not read */
	uint8_t method;          /* enum dtt_krpc_method (queries) */
	uint8_t t_len;
	uint8_t t[DTT_KRPC_T_MAX];
	const uint8_t *q; /* raw method name (queries), borrowed */
	size_t q_len;
	uint32_t has; /* DTT_KRPC_HAS_* */

	/* top level */
	bool ro;                  /* BEP 43: `ro` present and non-zero */
	struct dtt_addr ip;       /* BEP 42: our address as the responder saw it */
	const uint8_t *version;   /* client version `v` (usually 4 bytes), borrowed */
	size_t version_len;

	/* errors: e = [code, message] */
	int64_t error_code;
	const uint8_t *error_msg; /* borrowed; NULL if the list had only a code */
	size_t error_msg_len;

	/* a / r */
	uint8_t id[DTT_KRPC_ID_BYTES];
	uint8_t target[DTT_KRPC_ID_BYTES];
	uint8_t info_hash[DTT_KRPC_ID_BYTES];
	uint8_t token_len;
	uint8_t token[DTT_KRPC_TOKEN_MAX];
	const uint8_t *nodes; /* compact IPv4 nodes, nodes_len % 26 == 0, borrowed */
	size_t nodes_len;
	const uint8_t *nodes6; /* compact IPv6 nodes, nodes6_len % 38 == 0, borrowed */
	size_t nodes6_len;
	size_t values_count; /* peers kept in values[] */
	size_t values_more;  /* valid peers beyond DTT_KRPC_VALUES_MAX, not kept */
	uint16_t port;
	bool implied_port; /* non-zero implied_port: use the UDP source port */
	int64_t seq;       /* BEP 44; any int64 (the store judges negative values) */
	int64_t cas;
	uint8_t k[DTT_KRPC_K_BYTES];
	uint8_t sig[DTT_KRPC_SIG_BYTES];
	const uint8_t *salt; /* borrowed, any length: the store answers 207 above 64 */
	size_t salt_len;
	const uint8_t *v; /* BEP 44 value: its VERBATIM bencoding in the datagram, borrowed */
	size_t v_len;     /* the store answers 205 above DTT_KRPC_V_MAX */
	uint8_t want;     /* DTT_KRPC_WANT_* */

	/* Last, so that decoding clears only the fields before it: entries at and after
	 * values_count are stale. */
	struct dtt_addr values[DTT_KRPC_VALUES_MAX];
};

/* Decodes buf[0..len) into m (which is fully overwritten). Returns 0, or DTT_ERR_MALFORMED /
 * DTT_ERR_TOOBIG with m->drop set to the reason. Unknown keys are ignored at every level;
 * known keys of the wrong type or size drop the datagram. Requirements beyond `id` (such as
 * `target` for find_node) are left to the handler, which answers 203 when they are missing. */
int dtt_krpc_decode(struct dtt_krpc_msg *m, const uint8_t *buf, size_t len);

/* Static names for counters and logs ("ping", "bad_token", ...). */
const char *dtt_krpc_method_name(enum dtt_krpc_method method);
const char *dtt_krpc_drop_name(enum dtt_krpc_drop drop);

/* The top-level fields every outgoing message shares. */
struct dtt_krpc_hdr {
	const uint8_t *t; /* transaction id, 0..DTT_KRPC_T_MAX bytes */
	size_t t_len;
	bool ro;                   /* BEP 43: write `ro` = 1 (queries of a read-only node) */
	const struct dtt_addr *ip; /* BEP 42: the requester's address (responses), or NULL */
};

/* Queries. want is a mask of DTT_KRPC_WANT_* (0: omit `want`). */
int dtt_krpc_encode_ping(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			 const uint8_t id[static DTT_KRPC_ID_BYTES]);
int dtt_krpc_encode_find_node(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			      const uint8_t id[static DTT_KRPC_ID_BYTES],
			      const uint8_t target[static DTT_KRPC_ID_BYTES], unsigned want);
int dtt_krpc_encode_get_peers(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			      const uint8_t id[static DTT_KRPC_ID_BYTES],
			      const uint8_t info_hash[static DTT_KRPC_ID_BYTES], unsigned want);
/* implied_port writes `implied_port` = 1; false omits the key. */
int dtt_krpc_encode_announce_peer(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
				  const uint8_t id[static DTT_KRPC_ID_BYTES],
				  const uint8_t info_hash[static DTT_KRPC_ID_BYTES], uint16_t port,
				  bool implied_port, const uint8_t *token, size_t token_len);
/* seq: NULL omits it (BEP 44: "only newer than seq"). */
int dtt_krpc_encode_get(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			const uint8_t id[static DTT_KRPC_ID_BYTES],
			const uint8_t target[static DTT_KRPC_ID_BYTES], const int64_t *seq,
			unsigned want);

/* A BEP 44 item as sent in a put or in a get response. All pointers borrowed. */
struct dtt_krpc_item {
	const uint8_t *v; /* verbatim bencoding of the value (the caller vouches that it is
			   * canonical bencode), or NULL (get response: seq only) */
	size_t v_len;
	const uint8_t *k;   /* 32 bytes, or NULL for an immutable item */
	const uint8_t *sig; /* 64 bytes, with k */
	bool has_seq;       /* mutable items always have seq; get may answer seq alone */
	int64_t seq;
	const uint8_t *salt; /* put only; salt_len 0 means no salt and it is never written */
	size_t salt_len;
	bool has_cas; /* put only */
	int64_t cas;
};

/* put: mutable when item->k is set (needs sig, seq and v), immutable otherwise (v only). */
int dtt_krpc_encode_put(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			const uint8_t id[static DTT_KRPC_ID_BYTES], const uint8_t *token,
			size_t token_len, const struct dtt_krpc_item *item);

/* Responses. nodes / nodes6 are concatenated compact entries (see dtt_krpc_nodes_encode);
 * NULL omits the key, a non-NULL pointer with length 0 writes an empty string. */
int dtt_krpc_encode_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			  const uint8_t id[static DTT_KRPC_ID_BYTES]); /* ping, announce_peer, put */
int dtt_krpc_encode_find_node_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
				    const uint8_t id[static DTT_KRPC_ID_BYTES],
				    const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
				    size_t nodes6_len);
/* values: peers written as compact strings, or NULL to omit `values` (then give nodes). */
int dtt_krpc_encode_get_peers_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
				    const uint8_t id[static DTT_KRPC_ID_BYTES],
				    const uint8_t *token, size_t token_len,
				    const struct dtt_addr *values, size_t values_count,
				    const uint8_t *nodes, size_t nodes_len, const uint8_t *nodes6,
				    size_t nodes6_len);
/* item: NULL when nothing is stored; salt and cas of the item are ignored (never returned). */
int dtt_krpc_encode_get_reply(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			      const uint8_t id[static DTT_KRPC_ID_BYTES], const uint8_t *token,
			      size_t token_len, const uint8_t *nodes, size_t nodes_len,
			      const uint8_t *nodes6, size_t nodes6_len,
			      const struct dtt_krpc_item *item);
/* e = [code, msg]: msg is msg_len bytes (use strlen for text), code a DTT_KRPC_ERROR_*. */
int dtt_krpc_encode_error(struct dtt_wbuf *w, const struct dtt_krpc_hdr *h, int64_t code,
			  const void *msg, size_t msg_len);

/* Compact addresses: 6 bytes for IPv4, 18 for IPv6, port big-endian. */
struct dtt_krpc_node {
	uint8_t id[DTT_KRPC_ID_BYTES];
	struct dtt_addr addr;
};

/* Decodes a 6- or 18-byte compact peer. Returns 0 or DTT_ERR_MALFORMED (other lengths). */
int dtt_krpc_peer_decode(struct dtt_addr *out, const uint8_t *p, size_t len);
/* Appends 6 or 18 bytes (raw, not a bencoded string). Unknown family sets w->err. */
void dtt_krpc_peer_encode(struct dtt_wbuf *w, const struct dtt_addr *a);

/* Decodes compact node info of one family (DTT_AF_INET: 26-byte entries, DTT_AF_INET6: 38).
 * Writes at most out_max entries and returns how many, or DTT_ERR_MALFORMED when len is not
 * a multiple of the entry size (or the family is unknown). */
int dtt_krpc_nodes_decode(struct dtt_krpc_node *out, size_t out_max, const uint8_t *p,
			  size_t len, uint8_t family);
/* Appends the compact form of every node of the given family (others are skipped), raw
 * bytes for a `nodes`/`nodes6` string. Returns the number written or DTT_ERR_TOOBIG. */
int dtt_krpc_nodes_encode(struct dtt_wbuf *w, const struct dtt_krpc_node *nodes, size_t n,
			  uint8_t family);

#endif
