/* crypto.h - the primitives dtt needs, on libsodium and OpenSSL 3.
 *
 * Nothing here draws randomness: every key, nonce and ephemeral secret is an argument, so
 * callers take them from env->random and a seed reproduces every ciphertext.
 * HPKE is RFC 9180 base mode with the one suite dtt uses:
 * DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / ChaCha20-Poly1305 (0x0020, 0x0001, 0x0003).
 */
#ifndef DTT_CRYPTO_CRYPTO_H
#define DTT_CRYPTO_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTT_SHA512_BYTES 64
#define DTT_SHA256_BYTES 32
#define DTT_SHA1_BYTES 20
#define DTT_HASH32_BYTES 32 /* SHA-512 truncated to its first 32 bytes */
#define DTT_ED25519_SEED_BYTES 32
#define DTT_ED25519_PK_BYTES 32
#define DTT_ED25519_SK_BYTES 64 /* seed || pk, libsodium's layout */
#define DTT_ED25519_SIG_BYTES 64
#define DTT_X25519_BYTES 32
#define DTT_AEAD_KEY_BYTES 32
#define DTT_AEAD_NONCE_BYTES 12
#define DTT_AEAD_TAG_BYTES 16
#define DTT_HPKE_ENC_BYTES 32

#if defined(__GNUC__)
#define DTT_MUST_CHECK __attribute__((warn_unused_result))
#else
#define DTT_MUST_CHECK
#endif

/* Initialises libsodium; call once before anything else. 0 or DTT_ERR_CRYPTO. */
int dtt_crypto_init(void);

/* --- hashes --- */
struct dtt_sha512 {
	uint8_t state[256]; /* crypto_hash_sha512_state, opaque */
};
void dtt_sha512_init(struct dtt_sha512 *s);
void dtt_sha512_update(struct dtt_sha512 *s, const void *in, size_t len);
void dtt_sha512_final(struct dtt_sha512 *s, uint8_t out[DTT_SHA512_BYTES]);
void dtt_sha512(uint8_t out[DTT_SHA512_BYTES], const void *in, size_t len);
/* H(x) of spec/PROTOCOL.md §2: SHA-512(x)[0..32]. */
void dtt_hash32(uint8_t out[DTT_HASH32_BYTES], const void *in, size_t len);
void dtt_sha1(uint8_t out[DTT_SHA1_BYTES], const void *in, size_t len);
/* SHA-1 of a || b, for BEP 44 targets (k || salt). */
void dtt_sha1_2(uint8_t out[DTT_SHA1_BYTES], const void *a, size_t alen, const void *b,
		size_t blen);

/* --- HKDF-SHA256 (RFC 5869) --- */
/* One piece of an input given as a list of pieces that are hashed as their concatenation.
 * ptr may be NULL when len is 0. */
struct dtt_hkdf_part {
	const uint8_t *ptr;
	size_t len;
};
/* salt may be NULL when salt_len is 0 (RFC 5869: an empty salt acts as 32 zero bytes). */
void dtt_hkdf_extract(uint8_t prk[DTT_SHA256_BYTES], const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len);
/* out_len <= 255 * 32; returns 0 or DTT_ERR_INVALID. out may overlap prk. */
int dtt_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t prk[DTT_SHA256_BYTES],
		    const uint8_t *info, size_t info_len);
/* The same two steps with IKM (resp. info) = parts[0] || ... || parts[count - 1], so that the
 * labeled forms of RFC 9180 §4 need no bounded concatenation buffer. */
void dtt_hkdf_extract_parts(uint8_t prk[DTT_SHA256_BYTES], const uint8_t *salt, size_t salt_len,
			    const struct dtt_hkdf_part *ikm, size_t count);
int dtt_hkdf_expand_parts(uint8_t *out, size_t out_len, const uint8_t prk[DTT_SHA256_BYTES],
			  const struct dtt_hkdf_part *info, size_t count);

/* --- Ed25519 (RFC 8032, pure) --- */
void dtt_ed25519_seed_keypair(uint8_t pk[DTT_ED25519_PK_BYTES], uint8_t sk[DTT_ED25519_SK_BYTES],
			      const uint8_t seed[DTT_ED25519_SEED_BYTES]);
void dtt_ed25519_sign(uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		      const uint8_t sk[DTT_ED25519_SK_BYTES]);
/* Strict verification as ed25519-dalek's verify_strict: rejects a non-canonical S, a
 * small-order or non-canonical public key and a small-order R. 0 or DTT_ERR_AUTH. */
DTT_MUST_CHECK int dtt_ed25519_verify(const uint8_t sig[DTT_ED25519_SIG_BYTES],
				      const uint8_t *msg, size_t len,
				      const uint8_t pk[DTT_ED25519_PK_BYTES]);
/* True if pk decodes to a curve point (what an EndpointId / VerifyingKey accepts): like
 * ed25519-dalek's VerifyingKey::from_bytes it accepts small-order points and a y >= p. */
bool dtt_ed25519_pk_is_valid(const uint8_t pk[DTT_ED25519_PK_BYTES]);

/* --- X25519 and the Ed25519 -> X25519 maps of spec/PROTOCOL.md §5.1 --- */
void dtt_x25519_base(uint8_t pk[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES]);
/* DH; DTT_ERR_CRYPTO if the result is all zero (small-order peer key). */
DTT_MUST_CHECK int dtt_x25519(uint8_t out[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES],
			      const uint8_t pk[DTT_X25519_BYTES]);
/* Montgomery u of an Ed25519 public key; DTT_ERR_CRYPTO if pk is not a valid point. */
DTT_MUST_CHECK int dtt_ed25519_pk_to_x25519(uint8_t x[DTT_X25519_BYTES],
					    const uint8_t pk[DTT_ED25519_PK_BYTES]);
/* SHA-512(seed)[0..32], unclamped (ed25519-dalek to_scalar_bytes). */
void dtt_ed25519_seed_to_x25519(uint8_t x[DTT_X25519_BYTES],
				const uint8_t seed[DTT_ED25519_SEED_BYTES]);

/* --- ChaCha20-Poly1305 (IETF, RFC 8439) --- */
/* ct receives len + 16 bytes; pt and ct may be the same buffer. */
void dtt_aead_seal(uint8_t *ct, const uint8_t *pt, size_t len, const uint8_t *ad, size_t ad_len,
		   const uint8_t nonce[DTT_AEAD_NONCE_BYTES], const uint8_t key[DTT_AEAD_KEY_BYTES]);
/* pt receives ct_len - 16 bytes. 0, or DTT_ERR_AUTH (also for ct_len < 16); on failure pt is
 * zeroed. ct and pt may be the same buffer (then ct is lost on failure). */
DTT_MUST_CHECK int dtt_aead_open(uint8_t *pt, const uint8_t *ct, size_t ct_len, const uint8_t *ad,
				 size_t ad_len, const uint8_t nonce[DTT_AEAD_NONCE_BYTES],
				 const uint8_t key[DTT_AEAD_KEY_BYTES]);

/* --- HPKE (RFC 9180), base mode, the one suite above ---
 * c: the provider of X25519 (provider.h); NULL for the real one. */
struct dtt_crypto;
struct dtt_hpke_ctx {
	uint8_t key[DTT_AEAD_KEY_BYTES];
	uint8_t base_nonce[DTT_AEAD_NONCE_BYTES];
	uint8_t exporter_secret[DTT_SHA256_BYTES];
	uint64_t seq;
};
/* DeriveKeyPair (RFC 9180 §7.1.3) for X25519. */
void dtt_hpke_derive_keypair(uint8_t sk[DTT_X25519_BYTES], uint8_t pk[DTT_X25519_BYTES],
			     const uint8_t *ikm, size_t ikm_len);
/* Encap (RFC 9180 §4.1) with a caller-chosen ephemeral secret: enc = X25519(skE, 9),
 * shared_secret = ExtractAndExpand(X25519(skE, pkR), enc || pkR). DTT_ERR_CRYPTO if the DH
 * is all zero (small-order pkR); shared_secret is then zeroed. The setup calls below use these;
 * they are exported for the RFC 9180 vectors. */
DTT_MUST_CHECK int dtt_hpke_encap(const struct dtt_crypto *c,
				  uint8_t shared_secret[DTT_SHA256_BYTES],
				  uint8_t enc[DTT_HPKE_ENC_BYTES],
				  const uint8_t pk_r[DTT_X25519_BYTES],
				  const uint8_t sk_e[DTT_X25519_BYTES]);
/* Decap: the receiver's side of the above, with pkRm = X25519(skR, 9). */
DTT_MUST_CHECK int dtt_hpke_decap(const struct dtt_crypto *c,
				  uint8_t shared_secret[DTT_SHA256_BYTES],
				  const uint8_t enc[DTT_HPKE_ENC_BYTES],
				  const uint8_t sk_r[DTT_X25519_BYTES]);
/* KeySchedule (RFC 9180 §5.1) in base mode: fills key, base_nonce, exporter_secret; seq = 0. */
void dtt_hpke_key_schedule(struct dtt_hpke_ctx *ctx,
			   const uint8_t shared_secret[DTT_SHA256_BYTES], const uint8_t *info,
			   size_t info_len);
/* SetupBaseS with a caller-chosen ephemeral secret skE (from env randomness). Writes enc.
 * 0, or DTT_ERR_CRYPTO (small-order pkR; ctx is then wiped). */
DTT_MUST_CHECK int dtt_hpke_setup_base_s(const struct dtt_crypto *c, struct dtt_hpke_ctx *ctx,
					 uint8_t enc[DTT_HPKE_ENC_BYTES],
					 const uint8_t pk_r[DTT_X25519_BYTES], const uint8_t *info,
					 size_t info_len, const uint8_t sk_e[DTT_X25519_BYTES]);
/* SetupBaseR. 0, or DTT_ERR_CRYPTO (small-order enc; ctx is then wiped). */
DTT_MUST_CHECK int dtt_hpke_setup_base_r(const struct dtt_crypto *c, struct dtt_hpke_ctx *ctx,
					 const uint8_t enc[DTT_HPKE_ENC_BYTES],
					 const uint8_t sk_r[DTT_X25519_BYTES], const uint8_t *info,
					 size_t info_len);
/* Seal/Open with the context's sequence number, then increment it. ct = pt_len + 16.
 * Seal: 0, or DTT_ERR_STATE once seq has reached UINT64_MAX (the message limit).
 * Open: 0, DTT_ERR_AUTH (seq unchanged; pt zeroed), or DTT_ERR_STATE as for seal.
 * pt and ct may be the same buffer. */
DTT_MUST_CHECK int dtt_hpke_seal(struct dtt_hpke_ctx *ctx, uint8_t *ct, const uint8_t *aad,
				 size_t aad_len, const uint8_t *pt, size_t pt_len);
DTT_MUST_CHECK int dtt_hpke_open(struct dtt_hpke_ctx *ctx, uint8_t *pt, const uint8_t *aad,
				 size_t aad_len, const uint8_t *ct, size_t ct_len);
/* Export (RFC 9180 §5.3): LabeledExpand(exporter_secret, "sec", exporter_context, out_len).
 * 0, or DTT_ERR_INVALID if out_len > 255 * 32. */
int dtt_hpke_export(const struct dtt_hpke_ctx *ctx, uint8_t *out, size_t out_len,
		    const uint8_t *exporter_context, size_t ctx_len);
/* Wipes the context's secrets. */
void dtt_hpke_ctx_wipe(struct dtt_hpke_ctx *ctx);

#endif
