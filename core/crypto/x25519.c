/* x25519.c - X25519 (RFC 7748 §5) and the Ed25519 -> X25519 maps of spec/PROTOCOL.md §5.1
 * (ed25519-dalek-hpke's public_key_from_ed25519_to_x25519 / secret_key_from_ed25519_to_x25519).
 */
#include "crypto.h"
#include "err.h"

#include <sodium.h>
#include <string.h>

_Static_assert(DTT_X25519_BYTES == crypto_scalarmult_BYTES, "x25519 size");
_Static_assert(DTT_X25519_BYTES == crypto_scalarmult_SCALARBYTES, "x25519 scalar size");

void dtt_x25519_base(uint8_t pk[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES])
{
	/* Clamping makes the scalar a nonzero multiple of 8 below the group order, so the
	 * result is never zero and the return value carries nothing. */
	(void)crypto_scalarmult_base(pk, sk);
}

int dtt_x25519(uint8_t out[DTT_X25519_BYTES], const uint8_t sk[DTT_X25519_BYTES],
	       const uint8_t pk[DTT_X25519_BYTES])
{
	/* libsodium already refuses an all-zero result; the second test keeps the rule (RFC 7748
	 * §6.1, RFC 9180 §7.1.4) independent of the library version. */
	if (crypto_scalarmult(out, sk, pk) != 0 || sodium_is_zero(out, DTT_X25519_BYTES)) {
		sodium_memzero(out, DTT_X25519_BYTES);
		return DTT_ERR_CRYPTO;
	}
	return 0;
}

int dtt_ed25519_pk_to_x25519(uint8_t x[DTT_X25519_BYTES], const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	/* u = (1 + y) / (1 - y). libsodium refuses small-order keys and keys outside the
	 * prime-order subgroup; no key derived from a seed is either. */
	if (crypto_sign_ed25519_pk_to_curve25519(x, pk) != 0) {
		memset(x, 0, DTT_X25519_BYTES);
		return DTT_ERR_CRYPTO;
	}
	return 0;
}

void dtt_ed25519_seed_to_x25519(uint8_t x[DTT_X25519_BYTES],
				const uint8_t seed[DTT_ED25519_SEED_BYTES])
{
	/* Unclamped: X25519 clamps at use, so this and libsodium's clamped
	 * crypto_sign_ed25519_sk_to_curve25519 give the same DH results. */
	dtt_hash32(x, seed, DTT_ED25519_SEED_BYTES);
}
