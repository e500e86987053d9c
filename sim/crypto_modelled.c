/* crypto_modelled.c - the modelled asymmetric primitives (crypto_modelled.h). */
#include "crypto_modelled.h"

#include <string.h>

#include "err.h"

static const char label_pub[] = "dtt-modelled-x25519-pub";
static const char label_dh[] = "dtt-modelled-x25519-dh";
static const char label_sig[] = "dtt-modelled-ed25519-sig";

static bool is_zero(const uint8_t *b, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

static void m_x25519_base(uint8_t pk[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES])
{
	struct dtt_sha512 h;
	uint8_t k[DTT_X25519_BYTES], full[DTT_SHA512_BYTES];

	/* clamped as X25519 does, so secrets X25519 treats alike give the same key */
	memcpy(k, sk, sizeof(k));
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	dtt_sha512_init(&h);
	dtt_sha512_update(&h, label_pub, sizeof(label_pub) - 1);
	dtt_sha512_update(&h, k, sizeof(k));
	dtt_sha512_final(&h, full);
	memcpy(pk, full, DTT_X25519_BYTES);
	pk[31] &= 127; /* like a real public key, below 2^255 */
	if (is_zero(pk, DTT_X25519_BYTES))
		pk[0] = 1;
}

static int m_x25519(uint8_t out[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES],
		    const uint8_t pk[DTT_X25519_BYTES])
{
	struct dtt_sha512 h;
	uint8_t own[DTT_X25519_BYTES], full[DTT_SHA512_BYTES];
	bool own_first;

	if (is_zero(pk, DTT_X25519_BYTES)) {
		memset(out, 0, DTT_X25519_BYTES);
		return DTT_ERR_CRYPTO;
	}
	m_x25519_base(own, sk);
	own_first = memcmp(own, pk, DTT_X25519_BYTES) <= 0;
	dtt_sha512_init(&h);
	dtt_sha512_update(&h, label_dh, sizeof(label_dh) - 1);
	dtt_sha512_update(&h, own_first ? own : pk, DTT_X25519_BYTES);
	dtt_sha512_update(&h, own_first ? pk : own, DTT_X25519_BYTES);
	dtt_sha512_final(&h, full);
	memcpy(out, full, DTT_X25519_BYTES);
	return 0;
}

static int m_pk_to_x25519(uint8_t x[DTT_X25519_BYTES], const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	if (is_zero(pk, DTT_ED25519_PK_BYTES)) {
		memset(x, 0, DTT_X25519_BYTES);
		return DTT_ERR_CRYPTO;
	}
	memcpy(x, pk, DTT_X25519_BYTES);
	return 0;
}

static void m_seed_keypair(uint8_t pk[DTT_ED25519_PK_BYTES], uint8_t sk[DTT_ED25519_SK_BYTES],
			   const uint8_t seed[DTT_ED25519_SEED_BYTES])
{
	uint8_t x[DTT_X25519_BYTES];

	dtt_ed25519_seed_to_x25519(x, seed);
	m_x25519_base(pk, x);
	memcpy(sk, seed, DTT_ED25519_SEED_BYTES);
	memcpy(sk + DTT_ED25519_SEED_BYTES, pk, DTT_ED25519_PK_BYTES);
}

static void sig_of(uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		   const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	struct dtt_sha512 h;

	dtt_sha512_init(&h);
	dtt_sha512_update(&h, label_sig, sizeof(label_sig) - 1);
	dtt_sha512_update(&h, pk, DTT_ED25519_PK_BYTES);
	dtt_sha512_update(&h, msg, len);
	dtt_sha512_final(&h, sig);
}

static void m_sign(uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		   const uint8_t sk[DTT_ED25519_SK_BYTES])
{
	sig_of(sig, msg, len, sk + DTT_ED25519_SEED_BYTES);
}

static int m_verify(const uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		    const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	uint8_t want[DTT_ED25519_SIG_BYTES];

	if (is_zero(pk, DTT_ED25519_PK_BYTES))
		return DTT_ERR_AUTH;
	sig_of(want, msg, len, pk);
	return memcmp(want, sig, DTT_ED25519_SIG_BYTES) == 0 ? 0 : DTT_ERR_AUTH;
}

static bool m_pk_is_valid(const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	return !is_zero(pk, DTT_ED25519_PK_BYTES);
}

const struct dtt_crypto_ops dtt_crypto_modelled_ops = {
    .name = "modelled",
    .x25519_base = m_x25519_base,
    .x25519 = m_x25519,
    .pk_to_x25519 = m_pk_to_x25519,
    .seed_keypair = m_seed_keypair,
    .sign = m_sign,
    .verify = m_verify,
    .pk_is_valid = m_pk_is_valid,
};
