/* ed25519.c - Ed25519 (RFC 8032 §5.1, pure) from seeds, with verification as strict as
 * ed25519-dalek's verify_strict (spec/PROTOCOL.md §2).
 *
 * Signing is libsodium's (deterministic, so byte-identical to ed25519-dalek). Verification
 * checks the encodings explicitly before libsodium checks the group equation, so that the
 * rules do not depend on how a libsodium build was configured:
 *   - S must be canonical (S < L);
 *   - the public key A must be a canonical encoding (y < p) and not have small order;
 *   - R must be a canonical encoding and not have small order;
 *   - then [S]B = R + [k]A, compared on the encoding of R (crypto_sign_verify_detached, which
 *     also fails if A does not decode).
 * dalek decodes R before its small-order test, but then compares the recomputed (canonical)
 * encoding with R's bytes, so refusing a non-canonical R early changes no result. All inputs
 * are public, so none of this needs to be constant-time.
 * Differences from dalek, both on keys no honest signer produces: dalek accepts a public key
 * whose y is not reduced (y >= p); we reject it, as libsodium and the strict reading of
 * RFC 8032 §5.1.3 do. Like dalek (and unlike crypto_core_ed25519_is_valid_point) we do not
 * require A to lie in the prime-order subgroup.
 */
#include "crypto.h"
#include "err.h"

#include <sodium.h>
#include <string.h>

#define POINT_BYTES 32

/* L = 2^252 + 27742317777372353535851937790883648493, little-endian. */
static const uint8_t group_order[32] = {
	0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
};

/* The neutral element (x = 0, y = 1), canonically encoded. */
static const uint8_t identity[POINT_BYTES] = { 0x01 };

_Static_assert(DTT_ED25519_SK_BYTES == crypto_sign_SECRETKEYBYTES, "sk layout");
_Static_assert(DTT_ED25519_PK_BYTES == crypto_sign_PUBLICKEYBYTES, "pk size");
_Static_assert(DTT_ED25519_SIG_BYTES == crypto_sign_BYTES, "sig size");
_Static_assert(DTT_ED25519_SEED_BYTES == crypto_sign_SEEDBYTES, "seed size");

static bool scalar_is_canonical(const uint8_t s[32])
{
	for (int i = 31; i >= 0; i--) {
		if (s[i] < group_order[i])
			return true;
		if (s[i] > group_order[i])
			return false;
	}
	return false; /* S == L */
}

/* The encoded y (sign bit cleared) is below p = 2^255 - 19. */
static bool point_is_canonical(const uint8_t p[POINT_BYTES])
{
	if ((p[31] & 0x7f) != 0x7f)
		return true;
	for (int i = 30; i > 0; i--) {
		if (p[i] != 0xff)
			return true;
	}
	return p[0] < 0xed;
}

/* The y coordinates (little-endian, sign bit of x cleared) of the eight points P with
 * [8]P = identity: y = 1 (the identity), y = -1 (order 2), y = 0 (the two points of order 4)
 * and +-y8 (the four of order 8). test_crypto.c walks the multiples of a point of order 8
 * and checks that verify refuses every one of them. */
static const uint8_t small_order_y[][POINT_BYTES] = {
	{ 0x01 },
	{ 0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	  0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f },
	{ 0x00 },
	{ 0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4, 0x89, 0xf2, 0xef, 0x98, 0xf0,
	  0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6, 0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05 },
	{ 0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b, 0x76, 0x0d, 0x10, 0x67, 0x0f,
	  0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39, 0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a },
};

/* For a canonical encoding: the point has order 1, 2, 4 or 8. */
static bool point_has_small_order(const uint8_t p[POINT_BYTES])
{
	uint8_t y[POINT_BYTES];

	memcpy(y, p, POINT_BYTES);
	y[31] &= 0x7f;
	for (size_t i = 0; i < sizeof(small_order_y) / sizeof(small_order_y[0]); i++) {
		if (memcmp(y, small_order_y[i], POINT_BYTES) == 0)
			return true;
	}
	return false;
}

void dtt_ed25519_seed_keypair(uint8_t pk[DTT_ED25519_PK_BYTES], uint8_t sk[DTT_ED25519_SK_BYTES],
			      const uint8_t seed[DTT_ED25519_SEED_BYTES])
{
	crypto_sign_seed_keypair(pk, sk, seed);
}

void dtt_ed25519_sign(uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		      const uint8_t sk[DTT_ED25519_SK_BYTES])
{
	crypto_sign_detached(sig, NULL, msg, len, sk);
}

int dtt_ed25519_verify(const uint8_t sig[DTT_ED25519_SIG_BYTES], const uint8_t *msg, size_t len,
		       const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	const uint8_t *r = sig;
	const uint8_t *s = sig + POINT_BYTES;

	if (!scalar_is_canonical(s))
		return DTT_ERR_AUTH;
	if (!point_is_canonical(pk) || point_has_small_order(pk))
		return DTT_ERR_AUTH;
	if (!point_is_canonical(r) || point_has_small_order(r))
		return DTT_ERR_AUTH;
	if (crypto_sign_verify_detached(sig, msg, len, pk) != 0)
		return DTT_ERR_AUTH;
	return 0;
}

bool dtt_ed25519_pk_is_valid(const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	uint8_t sum[POINT_BYTES];

	/* crypto_core_ed25519_add decodes both operands (any y, small order allowed, like
	 * dalek's decompress) and fails only if one is not on the curve, so adding the
	 * identity is a plain decoding test. */
	return crypto_core_ed25519_add(sum, pk, identity) == 0;
}
