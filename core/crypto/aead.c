/* aead.c - ChaCha20-Poly1305, IETF variant (RFC 8439 §2.8): 32-byte key, 12-byte nonce,
 * 16-byte tag appended to the ciphertext.
 */
#include "crypto.h"
#include "err.h"

#include <sodium.h>

_Static_assert(DTT_AEAD_KEY_BYTES == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "key size");
_Static_assert(DTT_AEAD_NONCE_BYTES == crypto_aead_chacha20poly1305_ietf_NPUBBYTES, "nonce");
_Static_assert(DTT_AEAD_TAG_BYTES == crypto_aead_chacha20poly1305_ietf_ABYTES, "tag size");

void dtt_aead_seal(uint8_t *ct, const uint8_t *pt, size_t len, const uint8_t *ad, size_t ad_len,
		   const uint8_t nonce[DTT_AEAD_NONCE_BYTES], const uint8_t key[DTT_AEAD_KEY_BYTES])
{
	crypto_aead_chacha20poly1305_ietf_encrypt(ct, NULL, pt, len, ad, ad_len, NULL, nonce, key);
}

int dtt_aead_open(uint8_t *pt, const uint8_t *ct, size_t ct_len, const uint8_t *ad,
		  size_t ad_len, const uint8_t nonce[DTT_AEAD_NONCE_BYTES],
		  const uint8_t key[DTT_AEAD_KEY_BYTES])
{
	if (ct_len < DTT_AEAD_TAG_BYTES)
		return DTT_ERR_AUTH;
	/* The tag is compared in constant time inside libsodium (crypto_verify_16). */
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, NULL, NULL, ct, ct_len, ad, ad_len,
						      nonce, key) != 0) {
		if (ct_len > DTT_AEAD_TAG_BYTES)
			sodium_memzero(pt, ct_len - DTT_AEAD_TAG_BYTES);
		return DTT_ERR_AUTH;
	}
	return 0;
}
