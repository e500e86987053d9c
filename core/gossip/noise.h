/* noise.h - the Noise Protocol Framework (rev. 34) pieces the gossip links need: the symmetric
 * state of §5.2 with BLAKE2b (§12.8, HASHLEN 64, HMAC/HKDF of §4.3), ChaChaPoly (§12.4: 32 bits
 * of zeros then the 64-bit little-endian counter as nonce) and 25519 (§12.1), and the two
 * messages of the IK pattern (§7.5):
 *
 *     <- s
 *     ...
 *     -> e, es, s, ss
 *     <- e, ee, se
 *
 * Nothing here draws randomness or allocates: ephemeral secrets are arguments (link.c takes
 * them from env->random), so a handshake is a pure function of its inputs and can be checked
 * against the published Noise test vectors. Every secret intermediate is wiped.
 */
#ifndef DTT_GOSSIP_NOISE_H
#define DTT_GOSSIP_NOISE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtt_crypto; /* provider.h: NULL means the real primitives, no memo */

#define DTT_NOISE_HASH_BYTES  64 /* BLAKE2b-512 */
#define DTT_NOISE_KEY_BYTES   32 /* ChaChaPoly key; HKDF outputs are truncated to this */
#define DTT_NOISE_DH_BYTES    32 /* X25519 */
#define DTT_NOISE_TAG_BYTES   16
#define DTT_NOISE_NONCE_BYTES 12
/* IK message sizes for a payload of n bytes. */
#define DTT_NOISE_IK_INIT_BYTES(n)                                                                 \
	(DTT_NOISE_DH_BYTES + DTT_NOISE_DH_BYTES + DTT_NOISE_TAG_BYTES + (n) + DTT_NOISE_TAG_BYTES)
#define DTT_NOISE_IK_RESP_BYTES(n) (DTT_NOISE_DH_BYTES + (n) + DTT_NOISE_TAG_BYTES)

/* SymmetricState with its CipherState (§5.1, §5.2). Plain data: copy it to fork a handshake. */
struct dtt_noise_sym {
	uint8_t ck[DTT_NOISE_HASH_BYTES];
	uint8_t h[DTT_NOISE_HASH_BYTES];
	uint8_t k[DTT_NOISE_KEY_BYTES];
	uint64_t n;
	bool has_k;
};

/* BLAKE2b-512 of a || b (b may be NULL when b_len is 0). */
void dtt_noise_hash(uint8_t out[DTT_NOISE_HASH_BYTES], const uint8_t *a, size_t a_len,
		    const uint8_t *b, size_t b_len);
/* HMAC-BLAKE2b (RFC 2104, block 128 bytes) of a || b under key (key_len <= 64). */
void dtt_noise_hmac(uint8_t out[DTT_NOISE_HASH_BYTES], const uint8_t *key, size_t key_len,
		    const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);
/* HKDF of §4.3 with two outputs (each HASHLEN bytes). */
void dtt_noise_hkdf2(uint8_t out1[DTT_NOISE_HASH_BYTES], uint8_t out2[DTT_NOISE_HASH_BYTES],
		     const uint8_t ck[DTT_NOISE_HASH_BYTES], const uint8_t *ikm, size_t ikm_len);
/* The ChaChaPoly nonce for counter n. */
void dtt_noise_nonce(uint8_t nonce[DTT_NOISE_NONCE_BYTES], uint64_t n);

/* InitializeSymmetric(protocol_name) then MixHash(prologue). */
void dtt_noise_init(struct dtt_noise_sym *s, const char *protocol_name, const uint8_t *prologue,
		    size_t prologue_len);
void dtt_noise_mix_hash(struct dtt_noise_sym *s, const uint8_t *data, size_t len);
void dtt_noise_mix_key(struct dtt_noise_sym *s, const uint8_t *ikm, size_t len);
/* MixKey(DH(priv, pub)). own_pub is X25519(priv, 9) when known (it lets c's memo share the
 * value with the other end), else NULL. 0, or DTT_ERR_CRYPTO for an all-zero DH (small-order
 * pub). */
int dtt_noise_mix_dh(struct dtt_noise_sym *s, const struct dtt_crypto *c,
		     const uint8_t priv[DTT_NOISE_DH_BYTES], const uint8_t *own_pub,
		     const uint8_t pub[DTT_NOISE_DH_BYTES]);
/* EncryptAndHash: out gets len (+16 once a key is set) bytes; out may equal pt. */
void dtt_noise_encrypt_and_hash(struct dtt_noise_sym *s, uint8_t *out, const uint8_t *pt,
				size_t len);
/* DecryptAndHash: out gets len (-16 once a key is set) bytes. 0 or DTT_ERR_AUTH; the state is
 * then unusable (work on a copy when the input is untrusted). */
int dtt_noise_decrypt_and_hash(struct dtt_noise_sym *s, uint8_t *out, const uint8_t *ct,
			       size_t len);
/* Split(): k1 for initiator -> responder, k2 for responder -> initiator. */
void dtt_noise_split(const struct dtt_noise_sym *s, uint8_t k1[DTT_NOISE_KEY_BYTES],
		     uint8_t k2[DTT_NOISE_KEY_BYTES]);
/* Wipes the state. */
void dtt_noise_wipe(struct dtt_noise_sym *s);

/* ---- IK ---- */

/* The responder's static key as pre-message: MixHash(rs). Both sides start from
 * dtt_noise_init(...) followed by this. */
void dtt_noise_ik_premessage(struct dtt_noise_sym *s, const uint8_t rs[DTT_NOISE_DH_BYTES]);
/* Initiator, "-> e, es, s, ss" and the payload. out gets DTT_NOISE_IK_INIT_BYTES(len) bytes.
 * 0, or DTT_ERR_CRYPTO (rs of small order). */
int dtt_noise_ik_write_init(struct dtt_noise_sym *s, const struct dtt_crypto *c, uint8_t *out,
			    const uint8_t e_priv[DTT_NOISE_DH_BYTES],
			    const uint8_t s_priv[DTT_NOISE_DH_BYTES],
			    const uint8_t s_pub[DTT_NOISE_DH_BYTES],
			    const uint8_t rs[DTT_NOISE_DH_BYTES], const uint8_t *payload,
			    size_t len);
/* Responder: reads message 1 (msg_len = DTT_NOISE_IK_INIT_BYTES(payload length)); writes the
 * initiator's ephemeral to re, its static to rs and the payload. s_pub: our static public key
 * or NULL (as own_pub of dtt_noise_mix_dh). 0, DTT_ERR_MALFORMED (short), DTT_ERR_CRYPTO
 * (small-order key) or DTT_ERR_AUTH. */
int dtt_noise_ik_read_init(struct dtt_noise_sym *s, const struct dtt_crypto *c,
			   uint8_t re[DTT_NOISE_DH_BYTES], uint8_t rs[DTT_NOISE_DH_BYTES],
			   uint8_t *payload, const uint8_t *msg, size_t msg_len,
			   const uint8_t s_priv[DTT_NOISE_DH_BYTES], const uint8_t *s_pub);
/* Responder, "<- e, ee, se" and the payload. out gets DTT_NOISE_IK_RESP_BYTES(len) bytes. */
int dtt_noise_ik_write_resp(struct dtt_noise_sym *s, const struct dtt_crypto *c, uint8_t *out,
			    const uint8_t e_priv[DTT_NOISE_DH_BYTES],
			    const uint8_t re[DTT_NOISE_DH_BYTES],
			    const uint8_t rs[DTT_NOISE_DH_BYTES], const uint8_t *payload,
			    size_t len);
/* Initiator: reads message 2. e_pub, s_pub: our public keys or NULL (as own_pub of
 * dtt_noise_mix_dh). 0, DTT_ERR_MALFORMED, DTT_ERR_CRYPTO or DTT_ERR_AUTH. */
int dtt_noise_ik_read_resp(struct dtt_noise_sym *s, const struct dtt_crypto *c,
			   uint8_t *payload, const uint8_t *msg, size_t msg_len,
			   const uint8_t e_priv[DTT_NOISE_DH_BYTES], const uint8_t *e_pub,
			   const uint8_t s_priv[DTT_NOISE_DH_BYTES], const uint8_t *s_pub);

#endif
