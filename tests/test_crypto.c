/* test_crypto.c - vectors and edge cases for core/crypto: HKDF-SHA256 (RFC 5869 A.1-A.3),
 * Ed25519 (RFC 8032 §7.1 and the verify_strict rejections), X25519 (RFC 7748 §5.2, §6.1),
 * the Ed25519 -> X25519 maps (spec/PROTOCOL.md §10) and ChaCha20-Poly1305 (RFC 8439 §2.8.2).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto.h"
#include "err.h"
#include "hex.h"

#define HEX_MAX 256

/* Decodes a hex literal of the tests; the literal's length is checked by the caller. */
static size_t unhex(uint8_t *out, size_t cap, const char *hex)
{
	long n = dtt_hex_decode(out, cap, hex, strlen(hex));

	assert_true(n >= 0);
	return (size_t)n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
	uint8_t want[HEX_MAX];

	assert_int_equal(unhex(want, sizeof(want), hex), len);
	assert_memory_equal(got, want, len);
}

/* --- HKDF-SHA256, RFC 5869 Appendix A --- */

struct hkdf_case {
	const char *ikm, *salt, *info, *prk, *okm;
};

static const struct hkdf_case hkdf_cases[] = {
	{ /* A.1: basic */
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
	  "f0f1f2f3f4f5f6f7f8f9", "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
	  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865" },
	{ /* A.2: longer inputs and outputs */
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	  "404142434445464748494a4b4c4d4e4f",
	  "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf",
	  "b0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	  "d0d1d2d3d4d5d6d7d8d9dadbdcdddedfe0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	  "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff",
	  "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
	  "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
	  "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
	  "cc30c58179ec3e87c14c01d5c1f3434f1d87" },
	{ /* A.3: zero-length salt and info */
	  "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
	  "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
	  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8" },
};

static void test_hkdf_matches_rfc5869_cases_1_to_3(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hkdf_cases) / sizeof(hkdf_cases[0]); i++) {
		const struct hkdf_case *c = &hkdf_cases[i];
		uint8_t ikm[HEX_MAX], salt[HEX_MAX], info[HEX_MAX], okm[HEX_MAX];
		uint8_t prk[DTT_SHA256_BYTES];
		size_t ikm_len = unhex(ikm, sizeof(ikm), c->ikm);
		size_t salt_len = unhex(salt, sizeof(salt), c->salt);
		size_t info_len = unhex(info, sizeof(info), c->info);
		size_t okm_len = strlen(c->okm) / 2;

		dtt_hkdf_extract(prk, salt_len ? salt : NULL, salt_len, ikm, ikm_len);
		assert_hex(prk, sizeof(prk), c->prk);
		assert_int_equal(dtt_hkdf_expand(okm, okm_len, prk, info_len ? info : NULL, info_len),
				 0);
		assert_hex(okm, okm_len, c->okm);
	}
}

static void test_hkdf_expand_refuses_more_than_255_blocks(void **state)
{
	static uint8_t big[255 * 32 + 1];
	uint8_t prk[DTT_SHA256_BYTES], okm[42];

	(void)state;
	memset(prk, 0x5a, sizeof(prk));
	assert_int_equal(dtt_hkdf_expand(big, sizeof(big), prk, NULL, 0), DTT_ERR_INVALID);
	assert_int_equal(dtt_hkdf_expand(big, sizeof(big) - 1, prk, NULL, 0), 0);
	/* A shorter output is a prefix of a longer one. */
	assert_int_equal(dtt_hkdf_expand(okm, sizeof(okm), prk, NULL, 0), 0);
	assert_memory_equal(okm, big, sizeof(okm));
	assert_int_equal(dtt_hkdf_expand(okm, 0, prk, NULL, 0), 0);
}

static void test_hkdf_parts_hash_as_their_concatenation(void **state)
{
	const struct hkdf_case *c = &hkdf_cases[1];
	uint8_t ikm[HEX_MAX], salt[HEX_MAX], info[HEX_MAX], okm[82];
	uint8_t prk[DTT_SHA256_BYTES];
	size_t ikm_len = unhex(ikm, sizeof(ikm), c->ikm);
	size_t salt_len = unhex(salt, sizeof(salt), c->salt);
	size_t info_len = unhex(info, sizeof(info), c->info);
	const struct dtt_hkdf_part ikm_parts[] = {
		{ ikm, 7 }, { NULL, 0 }, { ikm + 7, 50 }, { ikm + 57, ikm_len - 57 }
	};
	const struct dtt_hkdf_part info_parts[] = { { info, 1 }, { info + 1, info_len - 1 } };

	(void)state;
	dtt_hkdf_extract_parts(prk, salt, salt_len, ikm_parts, 4);
	assert_hex(prk, sizeof(prk), c->prk);
	assert_int_equal(dtt_hkdf_expand_parts(okm, sizeof(okm), prk, info_parts, 2), 0);
	assert_hex(okm, sizeof(okm), c->okm);
}

static void test_hkdf_expand_may_write_over_its_prk(void **state)
{
	const struct hkdf_case *c = &hkdf_cases[0];
	uint8_t buf[42], info[16];
	size_t info_len = unhex(info, sizeof(info), c->info);

	(void)state;
	unhex(buf, DTT_SHA256_BYTES, c->prk);
	assert_int_equal(dtt_hkdf_expand(buf, sizeof(buf), buf, info, info_len), 0);
	assert_hex(buf, sizeof(buf), c->okm);
}

/* --- Ed25519, RFC 8032 §7.1 --- */

struct ed_case {
	const char *seed, *pk, *msg, *sig;
};

static const struct ed_case ed_cases[] = {
	{ "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
	  "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b" },
	{ "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
	  "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00" },
	{ "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
	  "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a" },
};

/* L, little-endian. */
static const char group_order_hex[] =
	"edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
/* The neutral element, canonical and with y = p + 1. */
static const char identity_hex[] =
	"0100000000000000000000000000000000000000000000000000000000000000";
static const char identity_noncanonical_hex[] =
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/* The point of order 2, (0, -1). */
static const char order2_hex[] =
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/* y = p + 3: a non-canonical encoding of a point that decodes (checked below). */
static const char y_p_plus_3_hex[] =
	"f0ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
/* y = 2 is not the y of any curve point. */
static const char not_a_point_hex[] =
	"0200000000000000000000000000000000000000000000000000000000000000";

static void test_ed25519_matches_rfc8032_tests_1_to_3(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(ed_cases) / sizeof(ed_cases[0]); i++) {
		const struct ed_case *c = &ed_cases[i];
		uint8_t seed[32], pk[32], sk[64], msg[8], sig[64], bad_msg[9];
		size_t msg_len;

		unhex(seed, sizeof(seed), c->seed);
		msg_len = unhex(msg, sizeof(msg), c->msg);
		dtt_ed25519_seed_keypair(pk, sk, seed);
		assert_hex(pk, sizeof(pk), c->pk);
		assert_memory_equal(sk, seed, 32);
		assert_memory_equal(sk + 32, pk, 32);
		dtt_ed25519_sign(sig, msg, msg_len, sk);
		assert_hex(sig, sizeof(sig), c->sig);
		assert_int_equal(dtt_ed25519_verify(sig, msg, msg_len, pk), 0);
		assert_true(dtt_ed25519_pk_is_valid(pk));

		/* Another message, a flipped signature bit, a flipped key bit. */
		memcpy(bad_msg, msg, msg_len);
		bad_msg[msg_len] = 0;
		assert_int_equal(dtt_ed25519_verify(sig, bad_msg, msg_len + 1, pk), DTT_ERR_AUTH);
		for (size_t bit = 0; bit < 512; bit += 37) {
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			assert_int_equal(dtt_ed25519_verify(sig, msg, msg_len, pk), DTT_ERR_AUTH);
			sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
		pk[0] ^= 1;
		assert_int_equal(dtt_ed25519_verify(sig, msg, msg_len, pk), DTT_ERR_AUTH);
	}
}

/* a = the clamped scalar of a seed (RFC 8032 §5.1.5), reduced mod L. */
static void secret_scalar(uint8_t a[32], const uint8_t seed[32])
{
	uint8_t h[64], wide[64] = { 0 };

	dtt_sha512(h, seed, 32);
	h[0] &= 248;
	h[31] &= 127;
	h[31] |= 64;
	memcpy(wide, h, 32);
	crypto_core_ed25519_scalar_reduce(a, wide);
}

/* A scalar below L from a fill byte. */
static void fixed_scalar(uint8_t s[32], uint8_t fill)
{
	uint8_t wide[64] = { 0 };

	memset(wide, fill, 32);
	crypto_core_ed25519_scalar_reduce(s, wide);
}

/* k = SHA-512(R || A || M) mod L (RFC 8032 §5.1.7). */
static void challenge(uint8_t k[32], const uint8_t r[32], const uint8_t pk[32], const uint8_t *msg,
		      size_t len)
{
	struct dtt_sha512 s;
	uint8_t h[64];

	dtt_sha512_init(&s);
	dtt_sha512_update(&s, r, 32);
	dtt_sha512_update(&s, pk, 32);
	dtt_sha512_update(&s, msg, len);
	dtt_sha512_final(&s, h);
	crypto_core_ed25519_scalar_reduce(k, h);
}

/* [n]P for any point that decodes (small order included) and any 256-bit n, by double and
 * add on crypto_core_ed25519_add. False if P does not decode. */
static bool point_mul(uint8_t out[32], const uint8_t n[32], const uint8_t p[32])
{
	uint8_t acc[32], tmp[32];

	unhex(acc, sizeof(acc), identity_hex);
	for (int i = 255; i >= 0; i--) {
		if (crypto_core_ed25519_add(tmp, acc, acc) != 0)
			return false;
		memcpy(acc, tmp, 32);
		if ((n[i / 8] >> (i % 8)) & 1) {
			if (crypto_core_ed25519_add(tmp, acc, p) != 0)
				return false;
			memcpy(acc, tmp, 32);
		}
	}
	memcpy(out, acc, 32);
	return true;
}

/* The bare cofactorless group equation [S]B = R + [k]A, with none of the encoding rules:
 * what a lax verifier checks. The rejection tests below use it to show that each refused
 * signature is one such a verifier would accept. */
static bool equation_holds(const uint8_t sig[64], const uint8_t *msg, size_t len,
			   const uint8_t pk[32])
{
	uint8_t one[32] = { 1 }, base[32], sb[32], k[32], ka[32], rhs[32];

	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(base, one), 0);
	challenge(k, sig, pk, msg, len);
	if (!point_mul(sb, sig + 32, base) || !point_mul(ka, k, pk))
		return false;
	if (crypto_core_ed25519_add(rhs, sig, ka) != 0)
		return false;
	return memcmp(sb, rhs, 32) == 0;
}

static void test_ed25519_equation_helper_agrees_with_the_rfc_vectors(void **state)
{
	const struct ed_case *c = &ed_cases[2];
	uint8_t pk[32], msg[2], sig[64];

	(void)state;
	unhex(pk, sizeof(pk), c->pk);
	unhex(msg, sizeof(msg), c->msg);
	unhex(sig, sizeof(sig), c->sig);
	assert_true(equation_holds(sig, msg, sizeof(msg), pk));
	sig[40] ^= 1;
	assert_false(equation_holds(sig, msg, sizeof(msg), pk));
}

static void test_ed25519_verify_rejects_s_plus_l(void **state)
{
	const struct ed_case *c = &ed_cases[1];
	uint8_t pk[32], msg[1], sig[64], l[32];
	unsigned carry = 0;

	(void)state;
	unhex(pk, sizeof(pk), c->pk);
	unhex(msg, sizeof(msg), c->msg);
	unhex(sig, sizeof(sig), c->sig);
	unhex(l, sizeof(l), group_order_hex);
	for (size_t i = 0; i < 32; i++) {
		carry += (unsigned)sig[32 + i] + l[i];
		sig[32 + i] = (uint8_t)carry;
		carry >>= 8;
	}
	assert_int_equal(carry, 0);
	/* [S + L]B = [S]B: the equation still holds, only the encoding of S is malleated. */
	assert_true(equation_holds(sig, msg, sizeof(msg), pk));
	assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), DTT_ERR_AUTH);

	/* S = L exactly is not canonical either. */
	memcpy(sig + 32, l, 32);
	assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), DTT_ERR_AUTH);
}

/* Signs "for" a small-order key T: with R = [r]B and S = r, the equation reduces to
 * [k]T = identity, which holds once k = 0 mod 8. Searches the one-byte message for that. */
static void forge_for_torsion_key(uint8_t sig[64], uint8_t msg[1], const uint8_t pk[32])
{
	uint8_t k[32];

	fixed_scalar(sig + 32, 0x33);
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, sig + 32), 0);
	for (msg[0] = 0;; msg[0]++) {
		challenge(k, sig, pk, msg, 1);
		if ((k[0] & 7) == 0)
			return;
		assert_int_not_equal(msg[0], 255);
	}
}

static void test_ed25519_verify_rejects_small_order_public_keys(void **state)
{
	const char *keys[] = { identity_hex, identity_noncanonical_hex, order2_hex };
	uint8_t sig[64], msg[1], pk[32];

	(void)state;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		unhex(pk, sizeof(pk), keys[i]);
		assert_true(dtt_ed25519_pk_is_valid(pk));
		forge_for_torsion_key(sig, msg, pk);
		assert_true(equation_holds(sig, msg, sizeof(msg), pk));
		assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), DTT_ERR_AUTH);
	}
}

/* ed25519.c lists the y of the eight points of order dividing 8. Walk the multiples of a point
 * of order exactly 8 (which are all eight, the 8-torsion being cyclic), each with both sign
 * bits, and check that verify refuses every one as a key, with a signature that satisfies the
 * equation, and as R. */
static void test_ed25519_verify_rejects_all_eight_torsion_points(void **state)
{
	static const char order8_hex[] =
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05";
	uint8_t t8[32], p[32], four[32] = { 4 }, eight[32] = { 8 }, q[32], id[32];
	uint8_t seed[32], pk[32], sk[64], sig[64], msg[1];
	size_t decoded = 0;

	(void)state;
	unhex(id, sizeof(id), identity_hex);
	unhex(t8, sizeof(t8), order8_hex);
	assert_true(point_mul(q, eight, t8));
	assert_memory_equal(q, id, 32);
	assert_true(point_mul(q, four, t8));
	assert_memory_not_equal(q, id, 32);

	unhex(seed, sizeof(seed), ed_cases[0].seed);
	dtt_ed25519_seed_keypair(pk, sk, seed);
	memcpy(p, t8, 32);
	for (int i = 1; i <= 8; i++) {
		for (int sign = 0; sign < 2; sign++) {
			uint8_t t[32];

			memcpy(t, p, 32);
			t[31] = (uint8_t)((t[31] & 0x7f) | (sign << 7));
			/* For x != 0 the other sign is -P, itself a multiple; for x = 0 (y = +-1)
			 * it is the "negative zero" encoding, which decodes as well. */
			assert_true(dtt_ed25519_pk_is_valid(t));
			decoded++;
			forge_for_torsion_key(sig, msg, t);
			assert_true(equation_holds(sig, msg, sizeof(msg), t));
			assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), t), DTT_ERR_AUTH);
			/* As R under an honest key (the equation cannot hold here). */
			dtt_ed25519_sign(sig, msg, sizeof(msg), sk); /* a valid S for this key */
			memcpy(sig, t, 32);
			assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), DTT_ERR_AUTH);
		}
		assert_int_equal(crypto_core_ed25519_add(q, p, t8), 0);
		memcpy(p, q, 32);
	}
	assert_memory_equal(p, t8, 32); /* [9]T8 = T8: the walk went all the way round */
	assert_int_equal(decoded, 16);
}

static void test_ed25519_verify_rejects_small_order_r(void **state)
{
	const struct ed_case *c = &ed_cases[2];
	const uint8_t msg[] = "signed with R = identity";
	uint8_t seed[32], pk[32], sk[64], a[32], k[32], r[32], sig[64];

	(void)state;
	unhex(seed, sizeof(seed), c->seed);
	dtt_ed25519_seed_keypair(pk, sk, seed);
	secret_scalar(a, seed);
	/* R = identity, S = k * a: then [S]B = [k]A = R + [k]A, the equation holds. */
	unhex(sig, 32, identity_hex);
	challenge(k, sig, pk, msg, sizeof(msg));
	crypto_core_ed25519_scalar_mul(sig + 32, k, a);
	assert_true(equation_holds(sig, msg, sizeof(msg), pk));
	assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), DTT_ERR_AUTH);
	/* The same signature with R = identity encoded as y = p + 1. */
	unhex(sig, 32, identity_noncanonical_hex);
	challenge(k, sig, pk, msg, sizeof(msg));
	crypto_core_ed25519_scalar_mul(sig + 32, k, a);
	assert_true(equation_holds(sig, msg, sizeof(msg), pk));
	assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), DTT_ERR_AUTH);

	/* With a real R the same construction passes: the helpers above are right. */
	fixed_scalar(r, 0x44);
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0);
	challenge(k, sig, pk, msg, sizeof(msg));
	crypto_core_ed25519_scalar_mul(sig + 32, k, a);
	crypto_core_ed25519_scalar_add(sig + 32, sig + 32, r);
	assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), pk), 0);
}

static void test_ed25519_verify_rejects_noncanonical_public_key(void **state)
{
	const struct ed_case *c = &ed_cases[0];
	uint8_t pk[32], sig[64];

	(void)state;
	/* It decodes (y = 3 is on the curve) and is not small order, so only the encoding rule
	 * is left to refuse it. No signature for it can be built without its discrete log;
	 * the small-order cases above cover non-canonical keys with a satisfied equation. */
	unhex(pk, sizeof(pk), y_p_plus_3_hex);
	assert_true(dtt_ed25519_pk_is_valid(pk));
	unhex(sig, sizeof(sig), c->sig);
	assert_int_equal(dtt_ed25519_verify(sig, NULL, 0, pk), DTT_ERR_AUTH);
}

/* Like ed25519-dalek's verify_strict, a key with a torsion component (A + T, T of order 2) is
 * not small order and is accepted when the equation holds. */
static void test_ed25519_verify_accepts_mixed_order_key_like_dalek(void **state)
{
	const struct ed_case *c = &ed_cases[1];
	uint8_t seed[32], pk[32], sk[64], t2[32], mixed[32], a[32], r[32], k[32], sig[64], x[32];
	uint8_t msg[1] = { 0 };

	(void)state;
	unhex(seed, sizeof(seed), c->seed);
	dtt_ed25519_seed_keypair(pk, sk, seed);
	unhex(t2, sizeof(t2), order2_hex);
	assert_int_equal(crypto_core_ed25519_add(mixed, pk, t2), 0);
	secret_scalar(a, seed);
	fixed_scalar(r, 0x55);
	assert_int_equal(crypto_scalarmult_ed25519_base_noclamp(sig, r), 0);
	/* [k](A + T) = [k]A when k is even: pick the first message that gives an even k. */
	for (;;) {
		challenge(k, sig, mixed, msg, sizeof(msg));
		if ((k[0] & 1) == 0)
			break;
		msg[0]++;
		assert_int_not_equal(msg[0], 0);
	}
	crypto_core_ed25519_scalar_mul(sig + 32, k, a);
	crypto_core_ed25519_scalar_add(sig + 32, sig + 32, r);
	assert_true(equation_holds(sig, msg, sizeof(msg), mixed));
	assert_true(dtt_ed25519_pk_is_valid(mixed));
	assert_int_equal(dtt_ed25519_verify(sig, msg, sizeof(msg), mixed), 0);
	/* The Montgomery map is stricter (libsodium's prime-order-subgroup check). */
	assert_int_equal(dtt_ed25519_pk_to_x25519(x, mixed), DTT_ERR_CRYPTO);
}

static void test_ed25519_pk_is_valid_means_decodes(void **state)
{
	uint8_t pk[32];

	(void)state;
	unhex(pk, sizeof(pk), not_a_point_hex);
	assert_false(dtt_ed25519_pk_is_valid(pk));
	pk[31] |= 0x80;
	assert_false(dtt_ed25519_pk_is_valid(pk));
	unhex(pk, sizeof(pk), "03b90c04ca3cd5d4300d2bfb096406a85356acf5f42874d43831b49aab872e83");
	assert_true(dtt_ed25519_pk_is_valid(pk));
	/* A signature under a key that does not decode never verifies. */
	{
		uint8_t sig[64];

		unhex(sig, sizeof(sig), ed_cases[0].sig);
		unhex(pk, sizeof(pk), not_a_point_hex);
		assert_int_equal(dtt_ed25519_verify(sig, NULL, 0, pk), DTT_ERR_AUTH);
	}
}

/* --- X25519, RFC 7748 --- */

static void test_x25519_matches_rfc7748_section_5_2(void **state)
{
	static const char *const cases[][3] = {
		{ "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
		  "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
		  "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552" },
		{ "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
		  "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
		  "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957" },
	};

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint8_t k[32], u[32], out[32];

		unhex(k, sizeof(k), cases[i][0]);
		unhex(u, sizeof(u), cases[i][1]);
		assert_int_equal(dtt_x25519(out, k, u), 0);
		assert_hex(out, sizeof(out), cases[i][2]);
	}
}

static void test_x25519_matches_rfc7748_iterations(void **state)
{
	uint8_t k[32] = { 9 }, u[32] = { 9 }, next[32];

	(void)state;
	for (int i = 1; i <= 1000; i++) {
		assert_int_equal(dtt_x25519(next, k, u), 0);
		memcpy(u, k, 32);
		memcpy(k, next, 32);
		if (i == 1)
			assert_hex(k, 32,
				   "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079");
	}
	assert_hex(k, 32, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51");
}

static void test_x25519_matches_rfc7748_section_6_1(void **state)
{
	uint8_t a[32], b[32], a_pub[32], b_pub[32], s1[32], s2[32];

	(void)state;
	unhex(a, sizeof(a), "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	unhex(b, sizeof(b), "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
	dtt_x25519_base(a_pub, a);
	dtt_x25519_base(b_pub, b);
	assert_hex(a_pub, 32, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	assert_hex(b_pub, 32, "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
	assert_int_equal(dtt_x25519(s1, a, b_pub), 0);
	assert_int_equal(dtt_x25519(s2, b, a_pub), 0);
	assert_hex(s1, 32, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	assert_memory_equal(s1, s2, 32);
}

static void test_x25519_refuses_an_all_zero_result(void **state)
{
	static const char *const small_order[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	uint8_t sk[32], u[32], out[32];

	(void)state;
	unhex(sk, sizeof(sk), "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
	for (size_t i = 0; i < sizeof(small_order) / sizeof(small_order[0]); i++) {
		unhex(u, sizeof(u), small_order[i]);
		memset(out, 0xaa, sizeof(out));
		assert_int_equal(dtt_x25519(out, sk, u), DTT_ERR_CRYPTO);
		assert_true(sodium_is_zero(out, sizeof(out)));
	}
}

/* --- Ed25519 -> X25519, spec/PROTOCOL.md §5.1 and §10 --- */

static void test_ed25519_to_x25519_matches_protocol_vectors(void **state)
{
	uint8_t seed[32], pk[32], sk[64], x_sk[32], x_pk[32], x_base[32], x_dh[32];
	uint8_t nine[32] = { 9 };

	(void)state;
	/* §10.1, topic "my-topic", minute 29000000: the encryption seed. */
	unhex(seed, sizeof(seed), "3b9b3b0d2f1f100bc948bb6f78556181851aec518e8846c5bae77990ef46099a");
	dtt_ed25519_seed_keypair(pk, sk, seed);
	assert_hex(pk, 32, "9f55ed17b3627d4497b4fea00e668af4b830c18877b4de19528101e1dd02d21f");
	dtt_ed25519_seed_to_x25519(x_sk, seed);
	assert_hex(x_sk, 32, "b7b51ee9d5b1a29b0102480b4884d279e410ce66e5bf92ddd79b082ebb57fcaa");
	assert_int_equal(dtt_ed25519_pk_to_x25519(x_pk, pk), 0);
	assert_hex(x_pk, 32, "1ed18ca5077b020817b91fc6a2f8e90b00d79d05ec9fccd0ad3bcb55c2ac1614");
	dtt_x25519_base(x_base, x_sk);
	assert_memory_equal(x_base, x_pk, 32);
	assert_int_equal(dtt_x25519(x_dh, x_sk, nine), 0);
	assert_memory_equal(x_dh, x_pk, 32);

	/* §10.1, topic "my-iroh-gossip-topic": the two maps agree there too. */
	unhex(seed, sizeof(seed), "efb6019cd980ba61cab4efa1be5811f47e9d93fb83b6546a41648d2b0002eef7");
	dtt_ed25519_seed_keypair(pk, sk, seed);
	assert_hex(pk, 32, "789f8f042c101abf4362e8ee0681aee18ac2c92af82c713953c5b852c675b420");
	dtt_ed25519_seed_to_x25519(x_sk, seed);
	assert_int_equal(dtt_ed25519_pk_to_x25519(x_pk, pk), 0);
	dtt_x25519_base(x_base, x_sk);
	assert_memory_equal(x_base, x_pk, 32);
}

static void test_ed25519_pk_to_x25519_refuses_bad_points(void **state)
{
	const char *bad[] = { not_a_point_hex, identity_hex, order2_hex };
	uint8_t pk[32], x[32];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unhex(pk, sizeof(pk), bad[i]);
		memset(x, 0xaa, sizeof(x));
		assert_int_equal(dtt_ed25519_pk_to_x25519(x, pk), DTT_ERR_CRYPTO);
		assert_true(sodium_is_zero(x, sizeof(x)));
	}
}

/* --- ChaCha20-Poly1305, RFC 8439 §2.8.2 --- */

static const char aead_pt[] = "Ladies and Gentlemen of the class of '99: If I could offer you "
			      "only one tip for the future, sunscreen would be it.";
static const char aead_key_hex[] =
	"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
static const char aead_nonce_hex[] = "070000004041424344454647";
static const char aead_ad_hex[] = "50515253c0c1c2c3c4c5c6c7";
static const char aead_ct_hex[] =
	"d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	"3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	"92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	"3ff4def08e4b7a9de576d26586cec64b6116"
	"1ae10b594f09e26a7e902ecbd0600691"; /* tag */

#define AEAD_PT_LEN (sizeof(aead_pt) - 1)

struct aead_fixture {
	uint8_t key[32], nonce[12], ad[12];
	uint8_t ct[AEAD_PT_LEN + DTT_AEAD_TAG_BYTES];
};

static void aead_fixture_load(struct aead_fixture *f)
{
	unhex(f->key, sizeof(f->key), aead_key_hex);
	unhex(f->nonce, sizeof(f->nonce), aead_nonce_hex);
	unhex(f->ad, sizeof(f->ad), aead_ad_hex);
	assert_int_equal(unhex(f->ct, sizeof(f->ct), aead_ct_hex), sizeof(f->ct));
}

static void test_aead_matches_rfc8439_section_2_8_2(void **state)
{
	struct aead_fixture f;
	uint8_t ct[AEAD_PT_LEN + DTT_AEAD_TAG_BYTES], pt[AEAD_PT_LEN];

	(void)state;
	aead_fixture_load(&f);
	assert_int_equal(AEAD_PT_LEN, 114);
	dtt_aead_seal(ct, (const uint8_t *)aead_pt, AEAD_PT_LEN, f.ad, sizeof(f.ad), f.nonce, f.key);
	assert_memory_equal(ct, f.ct, sizeof(ct));
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce, f.key),
			 0);
	assert_memory_equal(pt, aead_pt, AEAD_PT_LEN);
}

static void test_aead_open_rejects_any_change(void **state)
{
	struct aead_fixture f;
	uint8_t pt[AEAD_PT_LEN];

	(void)state;
	aead_fixture_load(&f);
	/* A flipped bit in the ciphertext, in the tag, in the AD, in the nonce, in the key. */
	for (size_t i = 0; i < sizeof(f.ct); i += 13) {
		f.ct[i] ^= 0x01;
		memset(pt, 0xaa, sizeof(pt));
		assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce,
					       f.key),
				 DTT_ERR_AUTH);
		assert_true(sodium_is_zero(pt, sizeof(pt)));
		f.ct[i] ^= 0x01;
	}
	f.ct[sizeof(f.ct) - 1] ^= 0x80;
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce, f.key),
			 DTT_ERR_AUTH);
	f.ct[sizeof(f.ct) - 1] ^= 0x80;
	f.ad[0] ^= 1;
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce, f.key),
			 DTT_ERR_AUTH);
	f.ad[0] ^= 1;
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad) - 1, f.nonce,
				       f.key),
			 DTT_ERR_AUTH);
	f.nonce[11] ^= 1;
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce, f.key),
			 DTT_ERR_AUTH);
	f.nonce[11] ^= 1;
	f.key[31] ^= 1;
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce, f.key),
			 DTT_ERR_AUTH);
	f.key[31] ^= 1;
	/* Truncated by one byte. */
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct) - 1, f.ad, sizeof(f.ad), f.nonce,
				       f.key),
			 DTT_ERR_AUTH);
	/* And back to the original, which still opens. */
	assert_int_equal(dtt_aead_open(pt, f.ct, sizeof(f.ct), f.ad, sizeof(f.ad), f.nonce, f.key),
			 0);
}

static void test_aead_open_rejects_shorter_than_a_tag(void **state)
{
	struct aead_fixture f;
	uint8_t pt[1];

	(void)state;
	aead_fixture_load(&f);
	for (size_t len = 0; len < DTT_AEAD_TAG_BYTES; len++)
		assert_int_equal(dtt_aead_open(pt, f.ct, len, NULL, 0, f.nonce, f.key),
				 DTT_ERR_AUTH);
}

static void test_aead_works_in_place_and_on_empty_input(void **state)
{
	struct aead_fixture f;
	uint8_t buf[AEAD_PT_LEN + DTT_AEAD_TAG_BYTES], tag[DTT_AEAD_TAG_BYTES];

	(void)state;
	aead_fixture_load(&f);
	memcpy(buf, aead_pt, AEAD_PT_LEN);
	dtt_aead_seal(buf, buf, AEAD_PT_LEN, f.ad, sizeof(f.ad), f.nonce, f.key);
	assert_memory_equal(buf, f.ct, sizeof(buf));
	assert_int_equal(dtt_aead_open(buf, buf, sizeof(buf), f.ad, sizeof(f.ad), f.nonce, f.key),
			 0);
	assert_memory_equal(buf, aead_pt, AEAD_PT_LEN);

	/* An empty plaintext is a bare tag over the AD. */
	dtt_aead_seal(tag, NULL, 0, f.ad, sizeof(f.ad), f.nonce, f.key);
	assert_int_equal(dtt_aead_open(NULL, tag, sizeof(tag), f.ad, sizeof(f.ad), f.nonce, f.key),
			 0);
	tag[0] ^= 1;
	assert_int_equal(dtt_aead_open(NULL, tag, sizeof(tag), f.ad, sizeof(f.ad), f.nonce, f.key),
			 DTT_ERR_AUTH);
}

static int setup_crypto(void **state)
{
	(void)state;
	return dtt_crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hkdf_matches_rfc5869_cases_1_to_3),
		cmocka_unit_test(test_hkdf_expand_refuses_more_than_255_blocks),
		cmocka_unit_test(test_hkdf_parts_hash_as_their_concatenation),
		cmocka_unit_test(test_hkdf_expand_may_write_over_its_prk),
		cmocka_unit_test(test_ed25519_matches_rfc8032_tests_1_to_3),
		cmocka_unit_test(test_ed25519_equation_helper_agrees_with_the_rfc_vectors),
		cmocka_unit_test(test_ed25519_verify_rejects_s_plus_l),
		cmocka_unit_test(test_ed25519_verify_rejects_small_order_public_keys),
		cmocka_unit_test(test_ed25519_verify_rejects_all_eight_torsion_points),
		cmocka_unit_test(test_ed25519_verify_rejects_small_order_r),
		cmocka_unit_test(test_ed25519_verify_rejects_noncanonical_public_key),
		cmocka_unit_test(test_ed25519_verify_accepts_mixed_order_key_like_dalek),
		cmocka_unit_test(test_ed25519_pk_is_valid_means_decodes),
		cmocka_unit_test(test_x25519_matches_rfc7748_section_5_2),
		cmocka_unit_test(test_x25519_matches_rfc7748_iterations),
		cmocka_unit_test(test_x25519_matches_rfc7748_section_6_1),
		cmocka_unit_test(test_x25519_refuses_an_all_zero_result),
		cmocka_unit_test(test_ed25519_to_x25519_matches_protocol_vectors),
		cmocka_unit_test(test_ed25519_pk_to_x25519_refuses_bad_points),
		cmocka_unit_test(test_aead_matches_rfc8439_section_2_8_2),
		cmocka_unit_test(test_aead_open_rejects_any_change),
		cmocka_unit_test(test_aead_open_rejects_shorter_than_a_tag),
		cmocka_unit_test(test_aead_works_in_place_and_on_empty_input),
	};

	return cmocka_run_group_tests(tests, setup_crypto, NULL);
}
