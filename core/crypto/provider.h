/* provider.h - the asymmetric primitives as the core calls them: a provider interface and an
 * optional shared memo (DESIGN.md, "Cost model").
 *
 * struct dtt_crypto travels with the env (struct dtt_env.crypto); NULL means the real
 * primitives of crypto.h with no memo, which is what a real node uses. The core calls X25519
 * (key generation, DH), Ed25519 (key pairs from seeds, sign, verify, the key check) and the
 * Ed25519 -> X25519 public-key conversion only through the calls below, so a provider can
 * replace them (ops; NULL means the real ones). Hashing, HKDF, AEAD and the secret-key
 * conversion (a hash) are always real. Only the simulator supplies another provider
 * (sim/crypto_modelled.c); nothing in the core or in dtt-node can select one.
 *
 * The simulator hands one struct dtt_crypto to every node it runs, with a memo of
 * pure-function results:
 *
 *   dh       X25519(sk, pk) keyed by the unordered pair (own public key, peer public key):
 *            X25519(a, B) = X25519(b, A), so the second end of a handshake takes the value the
 *            first end computed. Correct because a clamped scalar is the only one giving its
 *            public key (two clamped scalars differ by less than 8 * L), so the pair of public
 *            keys determines the value whenever own_pub = X25519(sk, 9), which every caller
 *            guarantees (it passes NULL otherwise, and the memo is skipped);
 *   conv     Ed25519 -> X25519 public-key conversion (and its failure) keyed by the Ed25519 key;
 *   keypair  Ed25519 public key of a seed (the secret key is seed || pk): the per-(topic,
 *            minute) slot keys and record encryption keys that every member derives;
 *   pkcheck  whether an Ed25519 key decodes to a curve point (candidate ids of the tracker).
 *
 * Every table is direct-mapped with a fixed number of slots (a power of two) allocated once;
 * a new entry replaces the one in its slot (an eviction). Hits change a result's cost, never
 * the result, so digests stay identical with or without the memo. The memo holds DH values and
 * is for the simulator only: nothing in a real node creates one. No globals, no clock, no
 * randomness; single-threaded like the whole core.
 */
#ifndef DTT_CRYPTO_PROVIDER_H
#define DTT_CRYPTO_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

enum dtt_crypto_memo_table {
	DTT_CRYPTO_MEMO_DH = 0,
	DTT_CRYPTO_MEMO_CONV,
	DTT_CRYPTO_MEMO_KEYPAIR,
	DTT_CRYPTO_MEMO_PKCHECK,
	DTT_CRYPTO_MEMO__COUNT,
};

struct dtt_crypto_memo_stats {
	uint64_t lookups;   /* calls that consulted the table */
	uint64_t hits;	    /* answered from it */
	uint64_t evictions; /* stored results that pushed another key out of its slot */
};

struct dtt_crypto_memo;

/* Slot counts per table, each rounded down to a power of two (0: the table's default). */
struct dtt_crypto_memo_sizes {
	size_t slots[DTT_CRYPTO_MEMO__COUNT];
};

/* Bytes one slot of each table takes (for docs/memory.md and the run report). */
size_t dtt_crypto_memo_slot_bytes(enum dtt_crypto_memo_table t);
/* sizes NULL: every default. NULL when allocation fails or a size is above 1 << 24. */
struct dtt_crypto_memo *dtt_crypto_memo_new(const struct dtt_crypto_memo_sizes *sizes);
void dtt_crypto_memo_free(struct dtt_crypto_memo *m); /* NULL is a no-op */
const struct dtt_crypto_memo_stats *dtt_crypto_memo_stats(const struct dtt_crypto_memo *m,
							  enum dtt_crypto_memo_table t);
/* Total bytes allocated by the memo. */
size_t dtt_crypto_memo_bytes(const struct dtt_crypto_memo *m);
const char *dtt_crypto_memo_table_name(enum dtt_crypto_memo_table t);

/* A provider of the asymmetric primitives: the same sizes and contracts as their crypto.h
 * counterparts (DH all zero -> DTT_ERR_CRYPTO, verify 0 or DTT_ERR_AUTH, ...). Every function
 * must be a pure function of its arguments. */
struct dtt_crypto_ops {
	const char *name;
	void (*x25519_base)(uint8_t pk[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES]);
	int (*x25519)(uint8_t out[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES],
		      const uint8_t pk[DTT_X25519_BYTES]);
	int (*pk_to_x25519)(uint8_t x[DTT_X25519_BYTES], const uint8_t pk[DTT_ED25519_PK_BYTES]);
	void (*seed_keypair)(uint8_t pk[DTT_ED25519_PK_BYTES], uint8_t sk[DTT_ED25519_SK_BYTES],
			     const uint8_t seed[DTT_ED25519_SEED_BYTES]);
	void (*sign)(uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		     const uint8_t sk[DTT_ED25519_SK_BYTES]);
	int (*verify)(const uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		      const uint8_t pk[DTT_ED25519_PK_BYTES]);
	bool (*pk_is_valid)(const uint8_t pk[DTT_ED25519_PK_BYTES]);
};

struct dtt_crypto {
	const struct dtt_crypto_ops *ops; /* NULL: the real primitives */
	struct dtt_crypto_memo *memo;	  /* NULL: every call computes */
};

/* "real", or the provider's name. */
const char *dtt_crypto_name(const struct dtt_crypto *c);

/* The calls below take c NULL as "real primitives, no memo". Each returns exactly what its
 * crypto.h counterpart returns. */

/* X25519(sk, 9): ephemeral keys, never memoized. */
void dtt_crypto_x25519_base(const struct dtt_crypto *c, uint8_t pk[DTT_X25519_BYTES],
			    const uint8_t sk[DTT_X25519_BYTES]);
/* X25519(sk, pk); own_pub, when not NULL, must be X25519(sk, 9): it keys the memo. */
DTT_MUST_CHECK int dtt_crypto_dh(const struct dtt_crypto *c, uint8_t out[DTT_X25519_BYTES],
				 const uint8_t sk[DTT_X25519_BYTES],
				 const uint8_t *own_pub, const uint8_t pk[DTT_X25519_BYTES]);
DTT_MUST_CHECK int dtt_crypto_pk_to_x25519(const struct dtt_crypto *c,
					   uint8_t x[DTT_X25519_BYTES],
					   const uint8_t pk[DTT_ED25519_PK_BYTES]);
/* A key pair from a seed that others derive too (memoized); fresh seeds (drawn once) use
 * dtt_crypto_seed_keypair_once, which skips the memo so it does not push out useful entries. */
void dtt_crypto_seed_keypair(const struct dtt_crypto *c, uint8_t pk[DTT_ED25519_PK_BYTES],
			     uint8_t sk[DTT_ED25519_SK_BYTES],
			     const uint8_t seed[DTT_ED25519_SEED_BYTES]);
void dtt_crypto_seed_keypair_once(const struct dtt_crypto *c, uint8_t pk[DTT_ED25519_PK_BYTES],
				  uint8_t sk[DTT_ED25519_SK_BYTES],
				  const uint8_t seed[DTT_ED25519_SEED_BYTES]);
bool dtt_crypto_pk_is_valid(const struct dtt_crypto *c, const uint8_t pk[DTT_ED25519_PK_BYTES]);
void dtt_crypto_sign(const struct dtt_crypto *c, uint8_t sig[DTT_ED25519_SIG_BYTES],
		     const uint8_t *msg, size_t len, const uint8_t sk[DTT_ED25519_SK_BYTES]);
DTT_MUST_CHECK int dtt_crypto_verify(const struct dtt_crypto *c,
				     const uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg,
				     size_t len, const uint8_t pk[DTT_ED25519_PK_BYTES]);

#endif
