/* hash.c - SHA-512 (libsodium), SHA-1 (OpenSSL; BEP 44 targets and DHT ids) and H(x). */
#include "crypto.h"
#include "err.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>
#include <string.h>

#define DTT_SHA1_CONCAT_MAX 256

_Static_assert(sizeof(struct dtt_sha512) >= sizeof(crypto_hash_sha512_state),
	       "dtt_sha512 too small for libsodium's state");

int dtt_crypto_init(void)
{
	return sodium_init() < 0 ? DTT_ERR_CRYPTO : 0;
}

void dtt_sha512_init(struct dtt_sha512 *s)
{
	crypto_hash_sha512_init((crypto_hash_sha512_state *)(void *)s->state);
}

void dtt_sha512_update(struct dtt_sha512 *s, const void *in, size_t len)
{
	crypto_hash_sha512_update((crypto_hash_sha512_state *)(void *)s->state, in, len);
}

void dtt_sha512_final(struct dtt_sha512 *s, uint8_t out[DTT_SHA512_BYTES])
{
	crypto_hash_sha512_final((crypto_hash_sha512_state *)(void *)s->state, out);
	sodium_memzero(s, sizeof(*s));
}

void dtt_sha512(uint8_t out[DTT_SHA512_BYTES], const void *in, size_t len)
{
	crypto_hash_sha512(out, in, len);
}

void dtt_hash32(uint8_t out[DTT_HASH32_BYTES], const void *in, size_t len)
{
	uint8_t full[DTT_SHA512_BYTES];

	crypto_hash_sha512(full, in, len);
	memcpy(out, full, DTT_HASH32_BYTES);
	sodium_memzero(full, sizeof(full));
}

void dtt_sha1(uint8_t out[DTT_SHA1_BYTES], const void *in, size_t len)
{
	SHA1(in, len, out);
}

void dtt_sha1_2(uint8_t out[DTT_SHA1_BYTES], const void *a, size_t alen, const void *b,
		size_t blen)
{
	uint8_t buf[DTT_SHA1_CONCAT_MAX];

	/* BEP 44 targets hash k (32) || salt (<= 64): a stack copy beats an EVP context. */
	if (alen > sizeof(buf) || blen > sizeof(buf) - alen) {
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		unsigned int n = 0;

		if (c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) && EVP_DigestUpdate(c, a, alen) &&
		    EVP_DigestUpdate(c, b, blen) && EVP_DigestFinal_ex(c, out, &n)) {
			EVP_MD_CTX_free(c);
			return;
		}
		EVP_MD_CTX_free(c);
		memset(out, 0, DTT_SHA1_BYTES);
		return;
	}
	memcpy(buf, a, alen);
	memcpy(buf + alen, b, blen);
	SHA1(buf, alen + blen, out);
}
