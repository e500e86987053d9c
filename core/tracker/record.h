/* record.h - topic records byte-compatible with distributed-topic-tracker 0.3.x
 * (spec/PROTOCOL.md §3-§5): derivations of the per-minute slot, the signed Record, the gossip
 * record content and the two-layer HPKE EncryptedRecord stored as a BEP 44 value.
 *
 * Pure functions of their inputs; the only randomness (one-time key, two HPKE ephemeral keys)
 * is drawn from the env passed to dtt_record_seal.
 */
#ifndef DTT_TRACKER_RECORD_H
#define DTT_TRACKER_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "crypto.h"

#define DTT_TOPIC_BYTES 32
#define DTT_RECORD_PEERS_MAX 5          /* MAX_RECORD_PEERS, part of the wire format */
#define DTT_RECORD_HASHES_MAX 5         /* MAX_MESSAGE_HASHES, part of the wire format */
#define DTT_RECORD_HEADER_BYTES 72      /* topic 32 + minute 8 + pub_key 32 */
#define DTT_RECORD_MIN_BYTES 136        /* header + signature */
#define DTT_GOSSIP_CONTENT_BYTES 320    /* 5 peers + 5 hashes, 32 bytes each */
#define DTT_GOSSIP_RECORD_BYTES 456
#define DTT_HPKE_BLOB_OVERHEAD 56       /* LE64 enc length + enc + tag */
#define DTT_ENCRYPTED_KEY_BYTES 88      /* HPKE blob of the 32-byte one-time seed */
#define DTT_ENCRYPTED_RECORD_MAX 2048   /* EncryptedRecord MAX_SIZE */
#define DTT_GOSSIP_ENCRYPTED_BYTES 604
#define DTT_RECORD_CONTENT_MAX                                                                   \
	(DTT_ENCRYPTED_RECORD_MAX - 4 - DTT_HPKE_BLOB_OVERHEAD - DTT_ENCRYPTED_KEY_BYTES -       \
	 DTT_RECORD_MIN_BYTES)
#define DTT_SLOT_SEQ INT64_MAX          /* BEP 44 seq (and cas) of every record put */

/* --- derivations (§3) --- */
/* topic_hash = H(name). */
void dtt_topic_hash(uint8_t out[DTT_TOPIC_BYTES], const void *name, size_t len);
/* initial_secret_hash = H(secret). */
void dtt_secret_hash(uint8_t out[32], const void *secret, size_t len);
/* The BEP 44 slot of (topic, minute): signing key, salt and target. */
struct dtt_slot {
	uint64_t minute;
	uint8_t seed[DTT_ED25519_SEED_BYTES]; /* H(topic || LE64 m) */
	uint8_t pk[DTT_ED25519_PK_BYTES];     /* BEP 44 k */
	uint8_t sk[DTT_ED25519_SK_BYTES];
	uint8_t salt[32];                     /* H("salt" || topic || LE64 m) */
	uint8_t target[DTT_SHA1_BYTES];       /* SHA-1(k || salt) */
};
/* c: the crypto provider and memo (provider.h), NULL for the real primitives. */
struct dtt_crypto;
void dtt_slot_derive(const struct dtt_crypto *c, struct dtt_slot *s,
		     const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute);
/* Wraps an EncryptedRecord as the slot's BEP 44 value (a bencoded byte string, written to v,
 * cap bytes) and signs it with the slot key at seq = DTT_SLOT_SEQ (spec/PROTOCOL.md §6.1).
 * Returns the length of v, or DTT_ERR_TOOBIG (value over the BEP 44 limit or cap). */
int dtt_slot_sign_value(const struct dtt_crypto *c, const struct dtt_slot *s,
			const uint8_t *record, size_t record_len, uint8_t *v, size_t cap,
			uint8_t sig[DTT_ED25519_SIG_BYTES]);

/* Secret rotation: the Ed25519 seed of the key the one-time key is sealed to. Every member of
 * a topic must use the same function. */
typedef void (*dtt_rotation_fn)(void *ctx, uint8_t seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
				uint64_t minute, const uint8_t secret_hash[32]);
struct dtt_rotation {
	dtt_rotation_fn fn; /* NULL means dtt_rotation_default */
	void *ctx;
};
/* DefaultSecretRotation: H(topic || BE64 m || secret_hash). */
void dtt_rotation_default(void *ctx, uint8_t seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
			  uint64_t minute, const uint8_t secret_hash[32]);
void dtt_rotation_seed(const struct dtt_rotation *rot, uint8_t seed[32],
		       const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute,
		       const uint8_t secret_hash[32]);

/* --- the Record (§4) --- */
struct dtt_record {
	uint8_t topic[DTT_TOPIC_BYTES];
	uint64_t unix_minute;
	uint8_t pub_key[DTT_ED25519_PK_BYTES];
	size_t content_len;
	uint8_t content[DTT_RECORD_CONTENT_MAX];
	uint8_t signature[DTT_ED25519_SIG_BYTES];
};

/* GossipRecordContent: up to 5 peers and 5 message hashes; empty slots are all zero. */
struct dtt_gossip_content {
	uint8_t peers[DTT_RECORD_PEERS_MAX][32];
	uint8_t hashes[DTT_RECORD_HASHES_MAX][32];
};

/* Fills topic, minute, pub_key (from sk) and content, then signs with sk (the node's key).
 * DTT_ERR_TOOBIG if content_len > DTT_RECORD_CONTENT_MAX. */
int dtt_record_make(const struct dtt_crypto *c, struct dtt_record *r,
		    const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute, const uint8_t *content,
		    size_t content_len, const uint8_t sk[DTT_ED25519_SK_BYTES]);
/* Plaintext bytes: topic || LE64 minute || pub_key || content || signature. Returns the length
 * (136 + content_len) or DTT_ERR_TOOBIG. */
int dtt_record_encode(const struct dtt_record *r, uint8_t *out, size_t cap);
/* Parses >= 136 bytes (any content length up to the maximum). 0 or DTT_ERR_MALFORMED. */
int dtt_record_decode(struct dtt_record *r, const uint8_t *buf, size_t len);
/* Record::verify: topic and minute equal, pub_key a valid point, strict signature.
 * 0, DTT_ERR_MISMATCH (topic or minute) or DTT_ERR_AUTH. */
int dtt_record_verify(const struct dtt_crypto *c, const struct dtt_record *r,
		      const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute);

void dtt_gossip_content_encode(const struct dtt_gossip_content *c,
			       uint8_t out[DTT_GOSSIP_CONTENT_BYTES]);
/* Decodes the first 320 bytes (postcard ignores trailing bytes). DTT_ERR_MALFORMED if shorter. */
int dtt_gossip_content_decode(struct dtt_gossip_content *c, const uint8_t *buf, size_t len);
bool dtt_is_zero32(const uint8_t b[32]);

/* Where the publisher and its listed peers can be reached. Records name peers by key only (an
 * iroh node resolves keys through its own discovery); over plain UDP a reader needs addresses.
 * dtt appends them after the 320 bytes of GossipRecordContent, which postcard readers (the
 * Rust crate) ignore: "dtA1", a count, then per entry the slot (0: the publisher, 1..5: peer
 * slot 0..4), the family (4 or 6), the address and the port (big-endian). */
#define DTT_RECORD_ADDRS_MAGIC "dtA1"
#define DTT_RECORD_ADDRS_MAX (1 + DTT_RECORD_PEERS_MAX)
#define DTT_RECORD_ADDRS_BYTES_MAX (4 + 1 + DTT_RECORD_ADDRS_MAX * (2 + 16 + 2))
struct dtt_record_addrs {
	bool has[DTT_RECORD_ADDRS_MAX];
	struct dtt_addr addr[DTT_RECORD_ADDRS_MAX]; /* [0] publisher, [1 + i] peers[i] */
};
/* Writes the trailer into out (cap bytes); returns its length (0 when no address is known)
 * or DTT_ERR_TOOBIG. */
int dtt_record_addrs_encode(const struct dtt_record_addrs *a, uint8_t *out, size_t cap);
/* Reads the trailer that follows the 320 content bytes, if any: entries that do not parse
 * are ignored; a or its entries stay empty when there is no trailer. */
void dtt_record_addrs_decode(struct dtt_record_addrs *a, const uint8_t *content, size_t len);

/* --- EncryptedRecord (§5) --- */
/* Which check rejected a value, for callers that report it. */
enum dtt_record_check {
	DTT_RECORD_OK = 0,
	DTT_RECORD_BAD_FRAMING,      /* EncryptedRecord length rules (§5.4) */
	DTT_RECORD_BAD_KEY_BLOB,     /* the one-time key does not open: wrong secret/topic/minute */
	DTT_RECORD_BAD_RECORD_BLOB,  /* the record layer does not open */
	DTT_RECORD_BAD_RECORD,       /* plaintext shorter than a Record */
	DTT_RECORD_WRONG_TOPIC,
	DTT_RECORD_WRONG_MINUTE,
	DTT_RECORD_BAD_SIGNATURE,    /* invalid pub_key or signature */
};
const char *dtt_record_check_name(enum dtt_record_check c);

/* Seals r to the encryption key whose seed is enc_seed (from the rotation), drawing the
 * one-time seed and both HPKE ephemeral keys from env. Writes the EncryptedRecord and returns
 * its length, or DTT_ERR_TOOBIG / DTT_ERR_CRYPTO. */
int dtt_record_seal(const struct dtt_env *env, const struct dtt_record *r,
		    const uint8_t enc_seed[32], uint8_t *out, size_t cap);
/* Opens an EncryptedRecord and verifies it for (topic, minute). 0 or a negative DTT_ERR_*;
 * *check (if not NULL) names the check that failed. */
int dtt_record_open(const struct dtt_crypto *c, struct dtt_record *r, const uint8_t *value,
		    size_t len, const uint8_t enc_seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
		    uint64_t minute, enum dtt_record_check *check);

#endif
