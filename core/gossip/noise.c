/* noise.c - Noise Protocol Framework rev. 34 symmetric state (§5.2) with BLAKE2b, ChaChaPoly
 * and 25519, and the two IK messages (§7.5) used by the gossip links (link.c).
 *
 * Owns nothing; every buffer is the caller's. BLAKE2b comes from libsodium's generichash
 * (deterministic); HMAC is built on it as RFC 2104 with a 128-byte block, as §4.3 requires.
 */
#include "noise.h"

#include <sodium.h>
#include <string.h>

#include "crypto.h"
#include "err.h"
#include "provider.h"

#define BLOCK_BYTES 128

_Static_assert(DTT_NOISE_HASH_BYTES == crypto_generichash_blake2b_BYTES_MAX, "hash size");
_Static_assert(DTT_NOISE_KEY_BYTES == DTT_AEAD_KEY_BYTES, "key size");
_Static_assert(DTT_NOISE_NONCE_BYTES == DTT_AEAD_NONCE_BYTES, "nonce size");
_Static_assert(DTT_NOISE_TAG_BYTES == DTT_AEAD_TAG_BYTES, "tag size");
_Static_assert(DTT_NOISE_DH_BYTES == DTT_X25519_BYTES, "dh size");

void dtt_noise_hash(uint8_t out[DTT_NOISE_HASH_BYTES], const uint8_t *a, size_t a_len,
		    const uint8_t *b, size_t b_len)
{
	crypto_generichash_blake2b_state st;

	crypto_generichash_blake2b_init(&st, NULL, 0, DTT_NOISE_HASH_BYTES);
	crypto_generichash_blake2b_update(&st, a, a_len);
	if (b_len)
		crypto_generichash_blake2b_update(&st, b, b_len);
	crypto_generichash_blake2b_final(&st, out, DTT_NOISE_HASH_BYTES);
}

void dtt_noise_hmac(uint8_t out[DTT_NOISE_HASH_BYTES], const uint8_t *key, size_t key_len,
		    const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	crypto_generichash_blake2b_state st;
	uint8_t pad[BLOCK_BYTES];
	uint8_t inner[DTT_NOISE_HASH_BYTES];

	/* Keys here are at most HASHLEN bytes, so the "hash a long key" step never applies. */
	memset(pad, 0x36, sizeof(pad));
	for (size_t i = 0; i < key_len && i < BLOCK_BYTES; i++)
		pad[i] ^= key[i];
	crypto_generichash_blake2b_init(&st, NULL, 0, DTT_NOISE_HASH_BYTES);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	if (a_len)
		crypto_generichash_blake2b_update(&st, a, a_len);
	if (b_len)
		crypto_generichash_blake2b_update(&st, b, b_len);
	crypto_generichash_blake2b_final(&st, inner, sizeof(inner));

	memset(pad, 0x5c, sizeof(pad));
	for (size_t i = 0; i < key_len && i < BLOCK_BYTES; i++)
		pad[i] ^= key[i];
	crypto_generichash_blake2b_init(&st, NULL, 0, DTT_NOISE_HASH_BYTES);
	crypto_generichash_blake2b_update(&st, pad, sizeof(pad));
	crypto_generichash_blake2b_update(&st, inner, sizeof(inner));
	crypto_generichash_blake2b_final(&st, out, DTT_NOISE_HASH_BYTES);

	sodium_memzero(pad, sizeof(pad));
	sodium_memzero(inner, sizeof(inner));
	sodium_memzero(&st, sizeof(st));
}

void dtt_noise_hkdf2(uint8_t out1[DTT_NOISE_HASH_BYTES], uint8_t out2[DTT_NOISE_HASH_BYTES],
		     const uint8_t ck[DTT_NOISE_HASH_BYTES], const uint8_t *ikm, size_t ikm_len)
{
	static const uint8_t one = 0x01, two = 0x02;
	uint8_t temp[DTT_NOISE_HASH_BYTES];

	dtt_noise_hmac(temp, ck, DTT_NOISE_HASH_BYTES, ikm, ikm_len, NULL, 0);
	dtt_noise_hmac(out1, temp, sizeof(temp), &one, 1, NULL, 0);
	dtt_noise_hmac(out2, temp, sizeof(temp), out1, DTT_NOISE_HASH_BYTES, &two, 1);
	sodium_memzero(temp, sizeof(temp));
}

void dtt_noise_nonce(uint8_t nonce[DTT_NOISE_NONCE_BYTES], uint64_t n)
{
	memset(nonce, 0, 4);
	for (int i = 0; i < 8; i++)
		nonce[4 + i] = (uint8_t)(n >> (8 * i));
}

void dtt_noise_init(struct dtt_noise_sym *s, const char *protocol_name, const uint8_t *prologue,
		    size_t prologue_len)
{
	size_t name_len = strlen(protocol_name);

	memset(s, 0, sizeof(*s));
	if (name_len <= DTT_NOISE_HASH_BYTES)
		memcpy(s->h, protocol_name, name_len); /* zero padded to HASHLEN */
	else
		dtt_noise_hash(s->h, (const uint8_t *)protocol_name, name_len, NULL, 0);
	memcpy(s->ck, s->h, DTT_NOISE_HASH_BYTES);
	dtt_noise_mix_hash(s, prologue, prologue_len);
}

void dtt_noise_mix_hash(struct dtt_noise_sym *s, const uint8_t *data, size_t len)
{
	dtt_noise_hash(s->h, s->h, DTT_NOISE_HASH_BYTES, data, len);
}

void dtt_noise_mix_key(struct dtt_noise_sym *s, const uint8_t *ikm, size_t len)
{
	uint8_t temp_k[DTT_NOISE_HASH_BYTES];

	dtt_noise_hkdf2(s->ck, temp_k, s->ck, ikm, len);
	memcpy(s->k, temp_k, DTT_NOISE_KEY_BYTES); /* HASHLEN 64: truncated to 32 (§5.2) */
	s->n = 0;
	s->has_k = true;
	sodium_memzero(temp_k, sizeof(temp_k));
}

int dtt_noise_mix_dh(struct dtt_noise_sym *s, const struct dtt_crypto *c,
		     const uint8_t priv[DTT_NOISE_DH_BYTES], const uint8_t *own_pub,
		     const uint8_t pub[DTT_NOISE_DH_BYTES])
{
	uint8_t dh[DTT_NOISE_DH_BYTES];

	if (dtt_crypto_dh(c, dh, priv, own_pub, pub) != 0)
		return DTT_ERR_CRYPTO;
	dtt_noise_mix_key(s, dh, sizeof(dh));
	sodium_memzero(dh, sizeof(dh));
	return 0;
}

void dtt_noise_encrypt_and_hash(struct dtt_noise_sym *s, uint8_t *out, const uint8_t *pt,
				size_t len)
{
	uint8_t nonce[DTT_NOISE_NONCE_BYTES];

	if (!s->has_k) {
		if (out != pt)
			memmove(out, pt, len);
		dtt_noise_mix_hash(s, out, len);
		return;
	}
	dtt_noise_nonce(nonce, s->n++);
	dtt_aead_seal(out, pt, len, s->h, DTT_NOISE_HASH_BYTES, nonce, s->k);
	dtt_noise_mix_hash(s, out, len + DTT_NOISE_TAG_BYTES);
}

int dtt_noise_decrypt_and_hash(struct dtt_noise_sym *s, uint8_t *out, const uint8_t *ct, size_t len)
{
	uint8_t nonce[DTT_NOISE_NONCE_BYTES];
	uint8_t h_next[DTT_NOISE_HASH_BYTES];

	if (!s->has_k) {
		if (out != ct)
			memmove(out, ct, len);
		dtt_noise_mix_hash(s, out, len);
		return 0;
	}
	if (len < DTT_NOISE_TAG_BYTES)
		return DTT_ERR_AUTH;
	/* h absorbs the ciphertext, which out may overwrite: hash it first. */
	dtt_noise_hash(h_next, s->h, DTT_NOISE_HASH_BYTES, ct, len);
	dtt_noise_nonce(nonce, s->n);
	if (dtt_aead_open(out, ct, len, s->h, DTT_NOISE_HASH_BYTES, nonce, s->k) != 0)
		return DTT_ERR_AUTH;
	s->n++;
	memcpy(s->h, h_next, sizeof(h_next));
	return 0;
}

void dtt_noise_split(const struct dtt_noise_sym *s, uint8_t k1[DTT_NOISE_KEY_BYTES],
		     uint8_t k2[DTT_NOISE_KEY_BYTES])
{
	uint8_t t1[DTT_NOISE_HASH_BYTES], t2[DTT_NOISE_HASH_BYTES];

	dtt_noise_hkdf2(t1, t2, s->ck, NULL, 0);
	memcpy(k1, t1, DTT_NOISE_KEY_BYTES);
	memcpy(k2, t2, DTT_NOISE_KEY_BYTES);
	sodium_memzero(t1, sizeof(t1));
	sodium_memzero(t2, sizeof(t2));
}

void dtt_noise_wipe(struct dtt_noise_sym *s)
{
	sodium_memzero(s, sizeof(*s));
}

void dtt_noise_ik_premessage(struct dtt_noise_sym *s, const uint8_t rs[DTT_NOISE_DH_BYTES])
{
	dtt_noise_mix_hash(s, rs, DTT_NOISE_DH_BYTES);
}

int dtt_noise_ik_write_init(struct dtt_noise_sym *s, const struct dtt_crypto *c, uint8_t *out,
			    const uint8_t e_priv[DTT_NOISE_DH_BYTES],
			    const uint8_t s_priv[DTT_NOISE_DH_BYTES],
			    const uint8_t s_pub[DTT_NOISE_DH_BYTES],
			    const uint8_t rs[DTT_NOISE_DH_BYTES], const uint8_t *payload,
			    size_t len)
{
	uint8_t *p = out;

	/* e */
	dtt_crypto_x25519_base(c, p, e_priv);
	dtt_noise_mix_hash(s, p, DTT_NOISE_DH_BYTES);
	p += DTT_NOISE_DH_BYTES;
	/* es */
	if (dtt_noise_mix_dh(s, c, e_priv, out, rs) != 0)
		return DTT_ERR_CRYPTO;
	/* s */
	dtt_noise_encrypt_and_hash(s, p, s_pub, DTT_NOISE_DH_BYTES);
	p += DTT_NOISE_DH_BYTES + DTT_NOISE_TAG_BYTES;
	/* ss */
	if (dtt_noise_mix_dh(s, c, s_priv, s_pub, rs) != 0)
		return DTT_ERR_CRYPTO;
	dtt_noise_encrypt_and_hash(s, p, payload, len);
	return 0;
}

int dtt_noise_ik_read_init(struct dtt_noise_sym *s, const struct dtt_crypto *c,
			   uint8_t re[DTT_NOISE_DH_BYTES], uint8_t rs[DTT_NOISE_DH_BYTES],
			   uint8_t *payload, const uint8_t *msg, size_t msg_len,
			   const uint8_t s_priv[DTT_NOISE_DH_BYTES], const uint8_t *s_pub)
{
	const uint8_t *p = msg;

	if (msg_len < DTT_NOISE_IK_INIT_BYTES(0))
		return DTT_ERR_MALFORMED;
	memcpy(re, p, DTT_NOISE_DH_BYTES);
	dtt_noise_mix_hash(s, re, DTT_NOISE_DH_BYTES);
	p += DTT_NOISE_DH_BYTES;
	if (dtt_noise_mix_dh(s, c, s_priv, s_pub, re) != 0)
		return DTT_ERR_CRYPTO;
	if (dtt_noise_decrypt_and_hash(s, rs, p, DTT_NOISE_DH_BYTES + DTT_NOISE_TAG_BYTES) != 0)
		return DTT_ERR_AUTH;
	p += DTT_NOISE_DH_BYTES + DTT_NOISE_TAG_BYTES;
	if (dtt_noise_mix_dh(s, c, s_priv, s_pub, rs) != 0)
		return DTT_ERR_CRYPTO;
	if (dtt_noise_decrypt_and_hash(s, payload, p, msg_len - (size_t)(p - msg)) != 0)
		return DTT_ERR_AUTH;
	return 0;
}

int dtt_noise_ik_write_resp(struct dtt_noise_sym *s, const struct dtt_crypto *c, uint8_t *out,
			    const uint8_t e_priv[DTT_NOISE_DH_BYTES],
			    const uint8_t re[DTT_NOISE_DH_BYTES],
			    const uint8_t rs[DTT_NOISE_DH_BYTES], const uint8_t *payload,
			    size_t len)
{
	/* e */
	dtt_crypto_x25519_base(c, out, e_priv);
	dtt_noise_mix_hash(s, out, DTT_NOISE_DH_BYTES);
	/* ee, se (the responder's side of se is DH(e, rs)) */
	if (dtt_noise_mix_dh(s, c, e_priv, out, re) != 0 ||
	    dtt_noise_mix_dh(s, c, e_priv, out, rs) != 0)
		return DTT_ERR_CRYPTO;
	dtt_noise_encrypt_and_hash(s, out + DTT_NOISE_DH_BYTES, payload, len);
	return 0;
}

int dtt_noise_ik_read_resp(struct dtt_noise_sym *s, const struct dtt_crypto *c,
			   uint8_t *payload, const uint8_t *msg, size_t msg_len,
			   const uint8_t e_priv[DTT_NOISE_DH_BYTES], const uint8_t *e_pub,
			   const uint8_t s_priv[DTT_NOISE_DH_BYTES], const uint8_t *s_pub)
{
	if (msg_len < DTT_NOISE_IK_RESP_BYTES(0))
		return DTT_ERR_MALFORMED;
	dtt_noise_mix_hash(s, msg, DTT_NOISE_DH_BYTES);
	/* ee, se (the initiator's side of se is DH(s, re)) */
	if (dtt_noise_mix_dh(s, c, e_priv, e_pub, msg) != 0 ||
	    dtt_noise_mix_dh(s, c, s_priv, s_pub, msg) != 0)
		return DTT_ERR_CRYPTO;
	if (dtt_noise_decrypt_and_hash(s, payload, msg + DTT_NOISE_DH_BYTES,
				       msg_len - DTT_NOISE_DH_BYTES) != 0)
		return DTT_ERR_AUTH;
	return 0;
}
