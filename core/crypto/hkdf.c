/* hkdf.c - HKDF-SHA256 (RFC 5869 §2.2, §2.3) on libsodium's HMAC-SHA256.
 *
 * libsodium 1.0.18 has HMAC-SHA256 but no HKDF. Inputs may come as a list of parts that are
 * fed to HMAC one after another, which is how hpke.c builds its labeled inputs without a
 * concatenation buffer. Every intermediate (HMAC state, T(i), the PRK copy) is wiped.
 */
#include "crypto.h"
#include "err.h"

#include <sodium.h>
#include <string.h>

#define HKDF_OUT_MAX (255 * DTT_SHA256_BYTES)

static void hmac_parts(crypto_auth_hmacsha256_state *st, const struct dtt_hkdf_part *parts,
		       size_t count)
{
	for (size_t i = 0; i < count; i++) {
		if (parts[i].len > 0)
			crypto_auth_hmacsha256_update(st, parts[i].ptr, parts[i].len);
	}
}

void dtt_hkdf_extract_parts(uint8_t prk[DTT_SHA256_BYTES], const uint8_t *salt, size_t salt_len,
			    const struct dtt_hkdf_part *ikm, size_t count)
{
	static const uint8_t no_salt[1];
	crypto_auth_hmacsha256_state st;

	/* HMAC pads the key with zeros, so an empty salt is the RFC's string of HashLen zeros. */
	crypto_auth_hmacsha256_init(&st, salt_len > 0 ? salt : no_salt, salt_len);
	hmac_parts(&st, ikm, count);
	crypto_auth_hmacsha256_final(&st, prk);
	sodium_memzero(&st, sizeof(st));
}

int dtt_hkdf_expand_parts(uint8_t *out, size_t out_len, const uint8_t prk[DTT_SHA256_BYTES],
			  const struct dtt_hkdf_part *info, size_t count)
{
	crypto_auth_hmacsha256_state st;
	uint8_t key[DTT_SHA256_BYTES];
	uint8_t t[DTT_SHA256_BYTES];
	size_t done = 0;
	uint8_t counter = 1;

	if (out_len > HKDF_OUT_MAX)
		return DTT_ERR_INVALID;
	/* A copy, so that out may be the PRK's own buffer. */
	memcpy(key, prk, sizeof(key));
	while (done < out_len) {
		size_t n = out_len - done < sizeof(t) ? out_len - done : sizeof(t);

		/* T(i) = HMAC(PRK, T(i-1) || info || i), with T(0) empty. */
		crypto_auth_hmacsha256_init(&st, key, sizeof(key));
		if (done > 0)
			crypto_auth_hmacsha256_update(&st, t, sizeof(t));
		hmac_parts(&st, info, count);
		crypto_auth_hmacsha256_update(&st, &counter, 1);
		crypto_auth_hmacsha256_final(&st, t);
		memcpy(out + done, t, n);
		done += n;
		counter++;
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(t, sizeof(t));
	sodium_memzero(key, sizeof(key));
	return 0;
}

void dtt_hkdf_extract(uint8_t prk[DTT_SHA256_BYTES], const uint8_t *salt, size_t salt_len,
		      const uint8_t *ikm, size_t ikm_len)
{
	struct dtt_hkdf_part part = { ikm, ikm_len };

	dtt_hkdf_extract_parts(prk, salt, salt_len, &part, 1);
}

int dtt_hkdf_expand(uint8_t *out, size_t out_len, const uint8_t prk[DTT_SHA256_BYTES],
		    const uint8_t *info, size_t info_len)
{
	struct dtt_hkdf_part part = { info, info_len };

	return dtt_hkdf_expand_parts(out, out_len, prk, &part, 1);
}
