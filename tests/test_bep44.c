/* test_bep44.c - BEP 44 item rules: the three vectors of the BEP (spec/DHT.md §4) byte-exact,
 * targets, signatures from seeds, limits, and byte-string values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bep44.h"
#include "crypto.h"
#include "err.h"
#include "hex.h"

#define HEX_MAX 128

static const char *vec_value = "12:Hello World!";
static const char *vec_pk = "77ff84905a91936367c01360803104f92432fcd904a43511876df5cdf3e7e548";
static const char *vec1_sig = "305ac8aeb6c9c151fa120f120ea2cfb923564e11552d06a5d856091e5e853cff"
			      "1260d3f39e4999684aa92eb73ffd136e6f4f3ecbfda0ce53a1608ecd7ae21f01";
static const char *vec2_sig = "6834284b6b24c3204eb2fea824d82f88883a3d95e8b4a21b8c0ded553d17d17d"
			      "df9a8a7104b1258f30bed3787e6cb896fca78c58f8e03b5f18f14951a87d9a08";

static void unhex(uint8_t *out, size_t len, const char *hex)
{
	assert_int_equal(dtt_hex_decode(out, len, hex, strlen(hex)), (long)len);
}

static const uint8_t *val(void)
{
	return (const uint8_t *)vec_value;
}

static void test_bep44_signable_matches_vector_1(void **state)
{
	uint8_t buf[DTT_BEP44_SIGNABLE_MAX];
	const char *want = "3:seqi1e1:v12:Hello World!";
	int n = dtt_bep44_signable(buf, sizeof(buf), NULL, 0, 1, val(), strlen(vec_value));

	(void)state;
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static void test_bep44_signable_matches_vector_2_with_salt(void **state)
{
	uint8_t buf[DTT_BEP44_SIGNABLE_MAX];
	const char *want = "4:salt6:foobar3:seqi1e1:v12:Hello World!";
	int n = dtt_bep44_signable(buf, sizeof(buf), (const uint8_t *)"foobar", 6, 1, val(),
				   strlen(vec_value));

	(void)state;
	assert_int_equal(n, (int)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
}

static void test_bep44_empty_salt_is_no_salt(void **state)
{
	uint8_t a[64], b[64], ta[20], tb[20];
	uint8_t k[32];
	int na = dtt_bep44_signable(a, sizeof(a), (const uint8_t *)"x", 0, 7, val(), 15);
	int nb = dtt_bep44_signable(b, sizeof(b), NULL, 0, 7, val(), 15);

	(void)state;
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	assert_memory_equal(a, "3:seqi7e1:v", 11);
	unhex(k, 32, vec_pk);
	dtt_bep44_mutable_target(ta, k, (const uint8_t *)"x", 0);
	dtt_bep44_mutable_target(tb, k, NULL, 0);
	assert_memory_equal(ta, tb, 20);
}

static void test_bep44_signable_writes_extreme_seqs(void **state)
{
	uint8_t buf[64];
	const uint8_t v[] = "1:a";
	const char *max = "3:seqi9223372036854775807e1:v1:a";
	const char *min = "3:seqi-9223372036854775808e1:v1:a";
	const char *zero = "3:seqi0e1:v1:a";
	int n;

	(void)state;
	n = dtt_bep44_signable(buf, sizeof(buf), NULL, 0, INT64_MAX, v, 3);
	assert_int_equal(n, (int)strlen(max));
	assert_memory_equal(buf, max, strlen(max));
	n = dtt_bep44_signable(buf, sizeof(buf), NULL, 0, INT64_MIN, v, 3);
	assert_int_equal(n, (int)strlen(min));
	assert_memory_equal(buf, min, strlen(min));
	n = dtt_bep44_signable(buf, sizeof(buf), NULL, 0, 0, v, 3);
	assert_int_equal(n, (int)strlen(zero));
	assert_memory_equal(buf, zero, strlen(zero));
}

/* spec/PROTOCOL.md §6.1: a 604-byte record under a 32-byte salt signs 678 bytes. */
static void test_bep44_signable_of_a_record_is_678_bytes(void **state)
{
	uint8_t raw[604], v[610], salt[32], buf[DTT_BEP44_SIGNABLE_MAX];
	int vlen, n;

	(void)state;
	memset(raw, 0xab, sizeof(raw));
	memset(salt, 0x5a, sizeof(salt));
	vlen = dtt_bep44_string_encode(v, sizeof(v), raw, sizeof(raw));
	assert_int_equal(vlen, 608);
	n = dtt_bep44_signable(buf, sizeof(buf), salt, sizeof(salt), INT64_MAX, v, (size_t)vlen);
	assert_int_equal(n, 678);
	assert_memory_equal(buf, "4:salt32:", 9);
	assert_memory_equal(buf + 9, salt, 32);
	assert_memory_equal(buf + 41, "3:seqi9223372036854775807e1:v604:", 33);
	assert_memory_equal(buf + 74, raw, 604);
}

static void test_bep44_signable_refuses_a_short_buffer(void **state)
{
	uint8_t buf[40];
	size_t need = strlen("4:salt6:foobar3:seqi1e1:v12:Hello World!");

	(void)state;
	assert_int_equal(
	    dtt_bep44_signable(buf, need - 1, (const uint8_t *)"foobar", 6, 1, val(), 15),
	    DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bep44_signable(buf, 10, (const uint8_t *)"foobar", 6, 1, val(), 15),
			 DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bep44_signable(buf, need, (const uint8_t *)"foobar", 6, 1, val(), 15),
			 (int)need);
}

static void test_bep44_targets_match_vectors(void **state)
{
	uint8_t k[32], t[20], want[20];

	(void)state;
	unhex(k, 32, vec_pk);
	dtt_bep44_mutable_target(t, k, NULL, 0);
	unhex(want, 20, "4a533d47ec9c7d95b1ad75f576cffc641853b750");
	assert_memory_equal(t, want, 20);
	dtt_bep44_mutable_target(t, k, (const uint8_t *)"foobar", 6);
	unhex(want, 20, "411eba73b6f087ca51a3795d9c8c938d365e32c1");
	assert_memory_equal(t, want, 20);
	dtt_bep44_immutable_target(t, val(), strlen(vec_value));
	unhex(want, 20, "e5f96f6f38320f0f33959cb4d3d656452117aadb");
	assert_memory_equal(t, want, 20);
	assert_true(dtt_bep44_immutable_matches(want, val(), strlen(vec_value)));
	want[19] ^= 1;
	assert_false(dtt_bep44_immutable_matches(want, val(), strlen(vec_value)));
}

static void test_bep44_vector_signatures_verify(void **state)
{
	uint8_t k[32], sig1[64], sig2[64];
	const uint8_t *salt = (const uint8_t *)"foobar";

	(void)state;
	unhex(k, 32, vec_pk);
	unhex(sig1, 64, vec1_sig);
	unhex(sig2, 64, vec2_sig);
	assert_int_equal(dtt_bep44_verify(NULL, sig1, k, NULL, 0, 1, val(), 15), 0);
	assert_int_equal(dtt_bep44_verify(NULL, sig2, k, salt, 6, 1, val(), 15), 0);
	/* each signature covers its own buffer only */
	assert_int_equal(dtt_bep44_verify(NULL, sig1, k, salt, 6, 1, val(), 15), DTT_ERR_AUTH);
	assert_int_equal(dtt_bep44_verify(NULL, sig2, k, NULL, 0, 1, val(), 15), DTT_ERR_AUTH);
	/* another seq */
	assert_int_equal(dtt_bep44_verify(NULL, sig1, k, NULL, 0, 2, val(), 15), DTT_ERR_AUTH);
}

static void test_bep44_any_flipped_bit_fails(void **state)
{
	uint8_t k[32], sig[64], v[15], salt[6];

	(void)state;
	unhex(k, 32, vec_pk);
	unhex(sig, 64, vec2_sig);
	memcpy(v, vec_value, sizeof(v));
	memcpy(salt, "foobar", sizeof(salt));
	for (size_t bit = 0; bit < 64 * 8; bit += 37) {
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(dtt_bep44_verify(NULL, sig, k, salt, 6, 1, v, 15), DTT_ERR_AUTH);
		sig[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 15 * 8; bit += 5) {
		v[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(dtt_bep44_verify(NULL, sig, k, salt, 6, 1, v, 15), DTT_ERR_AUTH);
		v[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	for (size_t bit = 0; bit < 6 * 8; bit += 3) {
		salt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		assert_int_equal(dtt_bep44_verify(NULL, sig, k, salt, 6, 1, v, 15), DTT_ERR_AUTH);
		salt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	k[3] ^= 0x10;
	assert_int_equal(dtt_bep44_verify(NULL, sig, k, salt, 6, 1, v, 15), DTT_ERR_AUTH);
	k[3] ^= 0x10;
	assert_int_equal(dtt_bep44_verify(NULL, sig, k, salt, 6, 1, v, 15), 0);
}

static void test_bep44_sign_from_seed_round_trips(void **state)
{
	uint8_t seed[32], pk[32], sk[64], sig[64], again[64], raw[600], v[610], salt[32];
	uint8_t buf[DTT_BEP44_SIGNABLE_MAX], ref[64];
	int vlen, n;

	(void)state;
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < sizeof(raw); i++)
		raw[i] = (uint8_t)(i * 13);
	memset(salt, 0x42, sizeof(salt));
	dtt_ed25519_seed_keypair(pk, sk, seed);
	vlen = dtt_bep44_string_encode(v, sizeof(v), raw, sizeof(raw));
	assert_int_equal(vlen, 604);
	assert_int_equal(dtt_bep44_sign(NULL, sig, sk, salt, 32, INT64_MAX, v, (size_t)vlen), 0);
	assert_int_equal(dtt_bep44_verify(NULL, sig, pk, salt, 32, INT64_MAX, v, (size_t)vlen), 0);
	assert_int_equal(dtt_bep44_verify(NULL, sig, pk, salt, 32, INT64_MAX - 1, v, (size_t)vlen),
			 DTT_ERR_AUTH);
	/* deterministic, and exactly a signature over the signable */
	assert_int_equal(dtt_bep44_sign(NULL, again, sk, salt, 32, INT64_MAX, v, (size_t)vlen), 0);
	assert_memory_equal(sig, again, 64);
	n = dtt_bep44_signable(buf, sizeof(buf), salt, 32, INT64_MAX, v, (size_t)vlen);
	assert_true(n > 0);
	dtt_ed25519_sign(ref, buf, (size_t)n, sk);
	assert_memory_equal(sig, ref, 64);
	/* no salt */
	assert_int_equal(dtt_bep44_sign(NULL, sig, sk, NULL, 0, 3, v, (size_t)vlen), 0);
	assert_int_equal(dtt_bep44_verify(NULL, sig, pk, NULL, 0, 3, v, (size_t)vlen), 0);
}

static void test_bep44_limits_are_enforced_on_sign_and_verify(void **state)
{
	uint8_t seed[32] = {1}, pk[32], sk[64], sig[64], v[DTT_BEP44_V_MAX + 1], salt[65];

	(void)state;
	memset(v, '7', sizeof(v));
	memset(salt, 's', sizeof(salt));
	dtt_ed25519_seed_keypair(pk, sk, seed);
	assert_int_equal(dtt_bep44_sign(NULL, sig, sk, salt, 64, 1, v, DTT_BEP44_V_MAX), 0);
	assert_int_equal(dtt_bep44_verify(NULL, sig, pk, salt, 64, 1, v, DTT_BEP44_V_MAX), 0);
	assert_int_equal(dtt_bep44_sign(NULL, sig, sk, salt, 64, 1, v, DTT_BEP44_V_MAX + 1),
			 DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bep44_sign(NULL, sig, sk, salt, 65, 1, v, DTT_BEP44_V_MAX), DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bep44_verify(NULL, sig, pk, salt, 65, 1, v, 10), DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bep44_verify(NULL, sig, pk, salt, 1, 1, v, DTT_BEP44_V_MAX + 1),
			 DTT_ERR_TOOBIG);
}

static void test_bep44_string_encode_and_decode(void **state)
{
	uint8_t out[32];
	const uint8_t *raw;
	size_t raw_len;

	(void)state;
	assert_int_equal(
	    dtt_bep44_string_encode(out, sizeof(out), (const uint8_t *)"Hello World!", 12), 15);
	assert_memory_equal(out, vec_value, 15);
	assert_int_equal(dtt_bep44_string_encode(out, 14, (const uint8_t *)"Hello World!", 12),
			 DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bep44_string_encode(out, 2, NULL, 0), 2);
	assert_memory_equal(out, "0:", 2);
	assert_int_equal(dtt_bep44_string_size(0), 2);
	assert_int_equal(dtt_bep44_string_size(9), 11);
	assert_int_equal(dtt_bep44_string_size(10), 13);
	assert_int_equal(dtt_bep44_string_size(996), 1000);
	assert_int_equal(dtt_bep44_string_size(DTT_BEP44_RAW_V_MAX), DTT_BEP44_V_MAX);

	assert_int_equal(dtt_bep44_string_decode(val(), 15, &raw, &raw_len), 0);
	assert_int_equal(raw_len, 12);
	assert_ptr_equal(raw, val() + 3);
	assert_int_equal(dtt_bep44_string_decode((const uint8_t *)"0:", 2, &raw, &raw_len), 0);
	assert_int_equal(raw_len, 0);
	static const char *bad[] = {"",
				    "i1e",
				    "012:Hello World!",
				    "12:Hello World",
				    "12:Hello World!x",
				    "12Hello World!!",
				    ":",
				    "3",
				    "-1:",
				    "le",
				    "d1:ai1ee"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dtt_bep44_string_decode((const uint8_t *)bad[i], strlen(bad[i]),
							 &raw, &raw_len),
				 DTT_ERR_MALFORMED);
	assert_int_equal(dtt_bep44_string_decode((const uint8_t *)"99999999999999999999999:", 24,
						 &raw, &raw_len),
			 DTT_ERR_MALFORMED);
}

static int setup(void **state)
{
	(void)state;
	return dtt_crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bep44_signable_matches_vector_1),
	    cmocka_unit_test(test_bep44_signable_matches_vector_2_with_salt),
	    cmocka_unit_test(test_bep44_empty_salt_is_no_salt),
	    cmocka_unit_test(test_bep44_signable_writes_extreme_seqs),
	    cmocka_unit_test(test_bep44_signable_of_a_record_is_678_bytes),
	    cmocka_unit_test(test_bep44_signable_refuses_a_short_buffer),
	    cmocka_unit_test(test_bep44_targets_match_vectors),
	    cmocka_unit_test(test_bep44_vector_signatures_verify),
	    cmocka_unit_test(test_bep44_any_flipped_bit_fails),
	    cmocka_unit_test(test_bep44_sign_from_seed_round_trips),
	    cmocka_unit_test(test_bep44_limits_are_enforced_on_sign_and_verify),
	    cmocka_unit_test(test_bep44_string_encode_and_decode),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
