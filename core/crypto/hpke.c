/* hpke.c - RFC 9180 HPKE, base mode, one suite: DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
 * ChaCha20-Poly1305 (0x0020 / 0x0001 / 0x0003), following the steps of spec/PROTOCOL.md §5.1.
 *
 * Deterministic: the ephemeral secret skE is an argument. Every intermediate secret (dh,
 * eae_prk, shared_secret, secret, dkp_prk) is wiped before return; the context keeps only
 * key, base_nonce, exporter_secret and seq, and dtt_hpke_ctx_wipe clears those.
 */
#include "crypto.h"
#include "provider.h"
#include "err.h"

#include <sodium.h>
#include <string.h>

#define HPKE_VERSION "HPKE-v1"
#define HPKE_VERSION_LEN 7
#define KSC_BYTES (1 + 2 * DTT_SHA256_BYTES) /* mode || psk_id_hash || info_hash */
#define MODE_BASE 0x00

/* suite_id = "KEM" || I2OSP(kem_id, 2) (RFC 9180 §4.1). */
static const uint8_t suite_kem[] = { 'K', 'E', 'M', 0x00, 0x20 };
/* suite_id = "HPKE" || I2OSP(kem_id, 2) || I2OSP(kdf_id, 2) || I2OSP(aead_id, 2) (§5.1). */
static const uint8_t suite_hpke[] = { 'H', 'P', 'K', 'E', 0x00, 0x20, 0x00, 0x01, 0x00, 0x03 };

struct suite {
	const uint8_t *id;
	size_t len;
};

static const struct suite kem = { suite_kem, sizeof(suite_kem) };
static const struct suite hpke = { suite_hpke, sizeof(suite_hpke) };

/* LabeledExtract(salt, label, ikm) = Extract(salt, "HPKE-v1" || suite_id || label || ikm). */
static void labeled_extract(uint8_t prk[DTT_SHA256_BYTES], const struct suite *s,
			    const uint8_t *salt, size_t salt_len, const char *label,
			    const uint8_t *ikm, size_t ikm_len)
{
	const struct dtt_hkdf_part parts[] = {
		{ (const uint8_t *)HPKE_VERSION, HPKE_VERSION_LEN },
		{ s->id, s->len },
		{ (const uint8_t *)label, strlen(label) },
		{ ikm, ikm_len },
	};

	dtt_hkdf_extract_parts(prk, salt, salt_len, parts, sizeof(parts) / sizeof(parts[0]));
}

/* LabeledExpand(prk, label, info, L) =
 * Expand(prk, I2OSP(L, 2) || "HPKE-v1" || suite_id || label || info, L). */
static int labeled_expand(uint8_t *out, size_t out_len, const struct suite *s,
			  const uint8_t prk[DTT_SHA256_BYTES], const char *label,
			  const uint8_t *info, size_t info_len)
{
	/* Expand refuses out_len > 255 * 32 = 8160, so L always fits its two bytes. */
	const uint8_t len_be[2] = { (uint8_t)(out_len >> 8), (uint8_t)out_len };
	const struct dtt_hkdf_part parts[] = {
		{ len_be, sizeof(len_be) },
		{ (const uint8_t *)HPKE_VERSION, HPKE_VERSION_LEN },
		{ s->id, s->len },
		{ (const uint8_t *)label, strlen(label) },
		{ info, info_len },
	};

	return dtt_hkdf_expand_parts(out, out_len, prk, parts, sizeof(parts) / sizeof(parts[0]));
}

/* ExtractAndExpand(dh, kem_context) with kem_context = enc || pkRm (§4.1). */
static void extract_and_expand(uint8_t shared_secret[DTT_SHA256_BYTES],
			       const uint8_t dh[DTT_X25519_BYTES],
			       const uint8_t enc[DTT_HPKE_ENC_BYTES],
			       const uint8_t pk_rm[DTT_X25519_BYTES])
{
	uint8_t eae_prk[DTT_SHA256_BYTES];
	uint8_t kem_context[DTT_HPKE_ENC_BYTES + DTT_X25519_BYTES];

	memcpy(kem_context, enc, DTT_HPKE_ENC_BYTES);
	memcpy(kem_context + DTT_HPKE_ENC_BYTES, pk_rm, DTT_X25519_BYTES);
	labeled_extract(eae_prk, &kem, NULL, 0, "eae_prk", dh, DTT_X25519_BYTES);
	/* 32 <= 8160: cannot fail. */
	(void)labeled_expand(shared_secret, DTT_SHA256_BYTES, &kem, eae_prk, "shared_secret",
			     kem_context, sizeof(kem_context));
	sodium_memzero(eae_prk, sizeof(eae_prk));
}

void dtt_hpke_derive_keypair(uint8_t sk[DTT_X25519_BYTES], uint8_t pk[DTT_X25519_BYTES],
			     const uint8_t *ikm, size_t ikm_len)
{
	uint8_t dkp_prk[DTT_SHA256_BYTES];

	/* §7.1.3 for X25519: no rejection sampling, the expanded bytes are the key. */
	labeled_extract(dkp_prk, &kem, NULL, 0, "dkp_prk", ikm, ikm_len);
	(void)labeled_expand(sk, DTT_X25519_BYTES, &kem, dkp_prk, "sk", NULL, 0);
	sodium_memzero(dkp_prk, sizeof(dkp_prk));
	dtt_x25519_base(pk, sk);
}

int dtt_hpke_encap(const struct dtt_crypto *c, uint8_t shared_secret[DTT_SHA256_BYTES],
		   uint8_t enc[DTT_HPKE_ENC_BYTES], const uint8_t pk_r[DTT_X25519_BYTES],
		   const uint8_t sk_e[DTT_X25519_BYTES])
{
	uint8_t dh[DTT_X25519_BYTES];
	uint8_t pk_rm[DTT_X25519_BYTES];

	/* A copy first: enc and pk_r may be the same buffer. */
	memcpy(pk_rm, pk_r, sizeof(pk_rm));
	dtt_crypto_x25519_base(c, enc, sk_e);
	if (dtt_crypto_dh(c, dh, sk_e, enc, pk_rm) != 0) {
		sodium_memzero(shared_secret, DTT_SHA256_BYTES);
		return DTT_ERR_CRYPTO;
	}
	extract_and_expand(shared_secret, dh, enc, pk_rm);
	sodium_memzero(dh, sizeof(dh));
	return 0;
}

int dtt_hpke_decap(const struct dtt_crypto *c, uint8_t shared_secret[DTT_SHA256_BYTES],
		   const uint8_t enc[DTT_HPKE_ENC_BYTES], const uint8_t sk_r[DTT_X25519_BYTES])
{
	uint8_t dh[DTT_X25519_BYTES];
	uint8_t pk_rm[DTT_X25519_BYTES];

	dtt_crypto_x25519_base(c, pk_rm, sk_r);
	if (dtt_crypto_dh(c, dh, sk_r, pk_rm, enc) != 0) {
		sodium_memzero(shared_secret, DTT_SHA256_BYTES);
		return DTT_ERR_CRYPTO;
	}
	extract_and_expand(shared_secret, dh, enc, pk_rm);
	sodium_memzero(dh, sizeof(dh));
	return 0;
}

void dtt_hpke_key_schedule(struct dtt_hpke_ctx *ctx,
			   const uint8_t shared_secret[DTT_SHA256_BYTES], const uint8_t *info,
			   size_t info_len)
{
	uint8_t ksc[KSC_BYTES];
	uint8_t secret[DTT_SHA256_BYTES];

	/* Base mode: psk and psk_id are empty. */
	ksc[0] = MODE_BASE;
	labeled_extract(ksc + 1, &hpke, NULL, 0, "psk_id_hash", NULL, 0);
	labeled_extract(ksc + 1 + DTT_SHA256_BYTES, &hpke, NULL, 0, "info_hash", info, info_len);
	labeled_extract(secret, &hpke, shared_secret, DTT_SHA256_BYTES, "secret", NULL, 0);
	/* Lengths 32, 12, 32 <= 8160: these cannot fail. */
	(void)labeled_expand(ctx->key, sizeof(ctx->key), &hpke, secret, "key", ksc, sizeof(ksc));
	(void)labeled_expand(ctx->base_nonce, sizeof(ctx->base_nonce), &hpke, secret, "base_nonce",
			     ksc, sizeof(ksc));
	(void)labeled_expand(ctx->exporter_secret, sizeof(ctx->exporter_secret), &hpke, secret,
			     "exp", ksc, sizeof(ksc));
	ctx->seq = 0;
	sodium_memzero(secret, sizeof(secret));
}

int dtt_hpke_setup_base_s(const struct dtt_crypto *c, struct dtt_hpke_ctx *ctx,
			  uint8_t enc[DTT_HPKE_ENC_BYTES],
			  const uint8_t pk_r[DTT_X25519_BYTES], const uint8_t *info,
			  size_t info_len, const uint8_t sk_e[DTT_X25519_BYTES])
{
	uint8_t shared_secret[DTT_SHA256_BYTES];
	int err;

	err = dtt_hpke_encap(c, shared_secret, enc, pk_r, sk_e);
	if (err != 0) {
		dtt_hpke_ctx_wipe(ctx);
		return err;
	}
	dtt_hpke_key_schedule(ctx, shared_secret, info, info_len);
	sodium_memzero(shared_secret, sizeof(shared_secret));
	return 0;
}

int dtt_hpke_setup_base_r(const struct dtt_crypto *c, struct dtt_hpke_ctx *ctx,
			  const uint8_t enc[DTT_HPKE_ENC_BYTES],
			  const uint8_t sk_r[DTT_X25519_BYTES], const uint8_t *info,
			  size_t info_len)
{
	uint8_t shared_secret[DTT_SHA256_BYTES];
	int err;

	err = dtt_hpke_decap(c, shared_secret, enc, sk_r);
	if (err != 0) {
		dtt_hpke_ctx_wipe(ctx);
		return err;
	}
	dtt_hpke_key_schedule(ctx, shared_secret, info, info_len);
	sodium_memzero(shared_secret, sizeof(shared_secret));
	return 0;
}

/* nonce = base_nonce XOR I2OSP(seq, Nn) (§5.2). */
static void compute_nonce(uint8_t nonce[DTT_AEAD_NONCE_BYTES], const struct dtt_hpke_ctx *ctx)
{
	memcpy(nonce, ctx->base_nonce, DTT_AEAD_NONCE_BYTES);
	for (size_t i = 0; i < sizeof(ctx->seq); i++)
		nonce[DTT_AEAD_NONCE_BYTES - 1 - i] ^= (uint8_t)(ctx->seq >> (8 * i));
}

int dtt_hpke_seal(struct dtt_hpke_ctx *ctx, uint8_t *ct, const uint8_t *aad, size_t aad_len,
		  const uint8_t *pt, size_t pt_len)
{
	uint8_t nonce[DTT_AEAD_NONCE_BYTES];

	/* The RFC's limit is 2^96 - 1 messages; a 64-bit counter stops earlier, never wraps. */
	if (ctx->seq == UINT64_MAX)
		return DTT_ERR_STATE;
	compute_nonce(nonce, ctx);
	dtt_aead_seal(ct, pt, pt_len, aad, aad_len, nonce, ctx->key);
	ctx->seq++;
	return 0;
}

int dtt_hpke_open(struct dtt_hpke_ctx *ctx, uint8_t *pt, const uint8_t *aad, size_t aad_len,
		  const uint8_t *ct, size_t ct_len)
{
	uint8_t nonce[DTT_AEAD_NONCE_BYTES];
	int err;

	if (ctx->seq == UINT64_MAX)
		return DTT_ERR_STATE;
	compute_nonce(nonce, ctx);
	err = dtt_aead_open(pt, ct, ct_len, aad, aad_len, nonce, ctx->key);
	if (err != 0)
		return err;
	/* Only a successful open advances the sequence (§5.2). */
	ctx->seq++;
	return 0;
}

int dtt_hpke_export(const struct dtt_hpke_ctx *ctx, uint8_t *out, size_t out_len,
		    const uint8_t *exporter_context, size_t ctx_len)
{
	return labeled_expand(out, out_len, &hpke, ctx->exporter_secret, "sec", exporter_context,
			      ctx_len);
}

void dtt_hpke_ctx_wipe(struct dtt_hpke_ctx *ctx)
{
	sodium_memzero(ctx, sizeof(*ctx));
}
