/* msg.h - the gossip wire codec: one HyParView or PlumTree message (spec/GOSSIP.md §3) in one
 * link payload (link.h, at most DTT_LINK_PAYLOAD_MAX bytes), dtt's UDP framing of §7.
 *
 * Layout (integers big-endian):
 *
 *   version u8 (= 1) | topic [32] | type u8 | body
 *
 *   JOIN          (empty: the contact learns our address from the link)
 *   FORWARD_JOIN  peer | ttl u16
 *   SHUFFLE       origin peer | ttl u16 | count u8 | count x peer
 *   SHUFFLE_REPLY count u8 | count x peer
 *   NEIGHBOR      priority u8 (0 high, 1 low)
 *   DISCONNECT    alive u8 (0, 1)
 *   GOSSIP        id [32] | scope u8 (0 swarm, 1 neighbors) | round u16 | total_len u16 |
 *                 offset u16 | chunk_len u16 | chunk [chunk_len]
 *   PRUNE         (empty)
 *   GRAFT         has_id u8 (0, 1) | [id [32]] | round u16
 *   IHAVE         count u8 (1..31) | count x (id [32] | round u16)
 *
 *   peer = id [32] | family u8 (0 none, 4, 6) | [addr [4 or 16] | port u16 (not 0)]
 *
 * A GOSSIP message carries the bytes [offset, offset + chunk_len) of a content of total_len
 * bytes: a content over DTT_GOSSIP_MSG_FRAG_BYTES travels as several messages (gossip.c
 * reassembles them). The message id is SHA-512(content)[0..32] (dtt_hash32).
 *
 * The encoding is canonical: every field has exactly one valid form and nothing may follow the
 * body, so decode(bytes) = m implies encode(m) = bytes. Decoding borrows the GOSSIP chunk from
 * the input; everything else is copied into the struct.
 */
#ifndef DTT_GOSSIP_MSG_H
#define DTT_GOSSIP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "link.h"

#define DTT_GOSSIP_MSG_VERSION	      1
#define DTT_GOSSIP_TOPIC_BYTES	      32
#define DTT_GOSSIP_PEER_BYTES	      DTT_LINK_ID_BYTES /* a peer id: ed25519 public key */
#define DTT_GOSSIP_MSGID_BYTES	      32		/* SHA-512(content)[0..32] */
#define DTT_GOSSIP_MSG_HEADER_BYTES   (1 + DTT_GOSSIP_TOPIC_BYTES + 1)
#define DTT_GOSSIP_MSG_MAX	      DTT_LINK_PAYLOAD_MAX /* every encoded message fits */
#define DTT_GOSSIP_MSG_PEERS_MAX      16 /* entries of a Shuffle or ShuffleReply */
#define DTT_GOSSIP_MSG_IHAVE_MAX      31 /* (1100 - 34 - 1) / 34 entries of an IHave */
#define DTT_GOSSIP_MSG_GOSSIP_BYTES   (DTT_GOSSIP_MSGID_BYTES + 1 + 2 + 2 + 2 + 2)
#define DTT_GOSSIP_MSG_FRAG_BYTES     1024  /* content bytes per GOSSIP message */
#define DTT_GOSSIP_MSG_CONTENT_MAX    65535 /* total_len is a u16 */
#define DTT_GOSSIP_MSG_PEER_MAX_BYTES (DTT_GOSSIP_PEER_BYTES + 1 + 16 + 2)

enum dtt_gossip_msg_type {
	/* HyParView (spec/GOSSIP.md §3.1) */
	DTT_GOSSIP_MSG_JOIN = 1,
	DTT_GOSSIP_MSG_FORWARD_JOIN = 2,
	DTT_GOSSIP_MSG_SHUFFLE = 3,
	DTT_GOSSIP_MSG_SHUFFLE_REPLY = 4,
	DTT_GOSSIP_MSG_NEIGHBOR = 5,
	DTT_GOSSIP_MSG_DISCONNECT = 6,
	/* PlumTree (spec/GOSSIP.md §3.2) */
	DTT_GOSSIP_MSG_GOSSIP = 16,
	DTT_GOSSIP_MSG_PRUNE = 17,
	DTT_GOSSIP_MSG_GRAFT = 18,
	DTT_GOSSIP_MSG_IHAVE = 19,
};

enum dtt_gossip_priority {
	DTT_GOSSIP_PRIO_HIGH = 0,
	DTT_GOSSIP_PRIO_LOW = 1,
};

enum dtt_gossip_scope {
	DTT_GOSSIP_SCOPE_SWARM = 0,	/* forwarded through the tree; round counts hops */
	DTT_GOSSIP_SCOPE_NEIGHBORS = 1, /* one hop, never forwarded; round is 0 */
};

/* A peer in an introduction (ForwardJoin, Shuffle, ShuffleReply) or in a join call: its id and,
 * when the sender knows it, the address it can be reached at. */
struct dtt_gossip_peer {
	uint8_t id[DTT_GOSSIP_PEER_BYTES];
	bool has_addr;
	struct dtt_addr addr;
};

struct dtt_gossip_peers {
	uint8_t count;
	struct dtt_gossip_peer v[DTT_GOSSIP_MSG_PEERS_MAX];
};

struct dtt_gossip_ihave {
	uint8_t id[DTT_GOSSIP_MSGID_BYTES];
	uint16_t round;
};

struct dtt_gossip_msg {
	uint8_t topic[DTT_GOSSIP_TOPIC_BYTES]; /* filled by decode; encode takes it apart */
	uint8_t type;			       /* enum dtt_gossip_msg_type */
	union {
		struct {
			struct dtt_gossip_peer peer;
			uint16_t ttl;
		} forward_join;
		struct {
			struct dtt_gossip_peer origin;
			uint16_t ttl;
			struct dtt_gossip_peers nodes;
		} shuffle;
		struct {
			struct dtt_gossip_peers nodes;
		} shuffle_reply;
		struct {
			uint8_t priority; /* enum dtt_gossip_priority */
		} neighbor;
		struct {
			bool alive;
		} disconnect;
		struct {
			uint8_t id[DTT_GOSSIP_MSGID_BYTES];
			uint8_t scope; /* enum dtt_gossip_scope */
			uint16_t round;
			uint16_t total_len; /* of the whole content */
			uint16_t offset;    /* of this chunk in the content */
			uint16_t chunk_len;
			const uint8_t *chunk; /* borrowed */
		} gossip;
		struct {
			bool has_id;
			uint8_t id[DTT_GOSSIP_MSGID_BYTES];
			uint16_t round;
		} graft;
		struct {
			uint8_t count;
			struct dtt_gossip_ihave v[DTT_GOSSIP_MSG_IHAVE_MAX];
		} ihave;
	};
};

/* Why a payload did not decode (index of the gossip node's drop counters, see gossip.h). */
enum dtt_gossip_msg_drop {
	DTT_GOSSIP_MSG_DROP_NONE = 0,
	DTT_GOSSIP_MSG_DROP_SHORT,    /* truncated */
	DTT_GOSSIP_MSG_DROP_VERSION,  /* unknown version byte */
	DTT_GOSSIP_MSG_DROP_TYPE,     /* unknown message type */
	DTT_GOSSIP_MSG_DROP_VALUE,    /* a field out of its range (bool, scope, family, port 0,
				       * chunk outside the content, ...) */
	DTT_GOSSIP_MSG_DROP_LIMIT,    /* a count over its maximum, an empty IHave, or a payload
				       * over DTT_GOSSIP_MSG_MAX */
	DTT_GOSSIP_MSG_DROP_TRAILING, /* bytes after the body */
	DTT_GOSSIP_MSG_DROP__COUNT,
};

const char *dtt_gossip_msg_drop_name(int reason);
const char *dtt_gossip_msg_type_name(int type);

static inline bool dtt_gossip_msg_is_hpv(int type)
{
	return type >= DTT_GOSSIP_MSG_JOIN && type <= DTT_GOSSIP_MSG_DISCONNECT;
}

/* Encodes m under topic into out (cap bytes). Returns the length (> 0), DTT_ERR_INVALID when
 * m breaks a rule the decoder enforces (unknown type, count over its maximum, bad family,
 * chunk outside the content, ...), or DTT_ERR_TOOBIG when the message exceeds cap or
 * DTT_GOSSIP_MSG_MAX. */
int dtt_gossip_msg_encode(const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			  const struct dtt_gossip_msg *m, uint8_t *out, size_t cap);

/* Decodes one payload into m. Returns 0, or DTT_ERR_MALFORMED with *drop set to the reason
 * (drop may be NULL). A GOSSIP chunk points into buf. */
int dtt_gossip_msg_decode(struct dtt_gossip_msg *m, const uint8_t *buf, size_t len, int *drop);

/* The encoded size of one peer entry. */
size_t dtt_gossip_peer_size(const struct dtt_gossip_peer *p);

#endif
