/* test_provider.c - the crypto provider seam (core/crypto/provider.h): every memoized call
 * returns what the plain primitive returns, the two ends of a DH share one value, failures are
 * remembered as failures, and hits and evictions are counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "err.h"
#include "provider.h"

static void fill(uint8_t *b, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v + 37 * i);
}

static const struct dtt_crypto_memo_stats *st(const struct dtt_crypto *c,
					      enum dtt_crypto_memo_table t)
{
	return dtt_crypto_memo_stats(c->memo, t);
}

static void test_dh_second_end_takes_the_first_ends_value(void **state)
{
	struct dtt_crypto c = {.memo = dtt_crypto_memo_new(NULL)};
	uint8_t a[32], b[32], pa[32], pb[32], ab[32], ba[32], real[32];

	(void)state;
	assert_non_null(c.memo);
	fill(a, 32, 1);
	fill(b, 32, 2);
	dtt_crypto_x25519_base(&c, pa, a);
	dtt_crypto_x25519_base(&c, pb, b);
	assert_int_equal(dtt_x25519(real, a, pb), 0);
	assert_int_equal(dtt_crypto_dh(&c, ab, a, pa, pb), 0);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_DH)->hits, 0);
	assert_int_equal(dtt_crypto_dh(&c, ba, b, pb, pa), 0);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_DH)->hits, 1);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_DH)->lookups, 2);
	assert_memory_equal(ab, real, 32);
	assert_memory_equal(ba, real, 32);
	/* without own_pub the memo is not consulted */
	assert_int_equal(dtt_crypto_dh(&c, ba, b, NULL, pa), 0);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_DH)->lookups, 2);
	assert_memory_equal(ba, real, 32);
	dtt_crypto_memo_free(c.memo);
}

static void test_dh_failure_is_remembered(void **state)
{
	struct dtt_crypto c = {.memo = dtt_crypto_memo_new(NULL)};
	uint8_t a[32], pa[32], out[32], zero[32] = {0}, order1[32] = {1};

	(void)state;
	fill(a, 32, 3);
	dtt_crypto_x25519_base(&c, pa, a);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dtt_crypto_dh(&c, out, a, pa, zero), DTT_ERR_CRYPTO);
		assert_int_equal(dtt_crypto_dh(&c, out, a, pa, order1), DTT_ERR_CRYPTO);
	}
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_DH)->hits, 2);
	dtt_crypto_memo_free(c.memo);
}

static void test_conversion_and_checks_match_the_primitives(void **state)
{
	struct dtt_crypto c = {.memo = dtt_crypto_memo_new(NULL)};
	uint8_t seed[32], pk[32], sk[64], pk2[32], sk2[64], x[32], x2[32], bad[32];

	(void)state;
	fill(seed, 32, 4);
	dtt_ed25519_seed_keypair(pk, sk, seed);
	for (int i = 0; i < 2; i++) {
		dtt_crypto_seed_keypair(&c, pk2, sk2, seed);
		assert_memory_equal(pk, pk2, 32);
		assert_memory_equal(sk, sk2, 64);
		assert_int_equal(dtt_crypto_pk_to_x25519(&c, x2, pk), 0);
		assert_int_equal(dtt_ed25519_pk_to_x25519(x, pk), 0);
		assert_memory_equal(x, x2, 32);
		assert_true(dtt_crypto_pk_is_valid(&c, pk));
	}
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_KEYPAIR)->hits, 1);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_CONV)->hits, 1);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_PKCHECK)->hits, 1);
	/* a key that is not a point: refused both times */
	memset(bad, 0xff, sizeof(bad));
	bad[0] = 0x02;
	bad[31] = 0x7f;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dtt_crypto_pk_to_x25519(&c, x, bad),
				 dtt_ed25519_pk_to_x25519(x2, bad));
		assert_int_equal(dtt_crypto_pk_is_valid(&c, bad), dtt_ed25519_pk_is_valid(bad));
	}
	/* fresh key pairs bypass the memo */
	dtt_crypto_seed_keypair_once(&c, pk2, sk2, seed);
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_KEYPAIR)->lookups, 2);
	dtt_crypto_memo_free(c.memo);
}

static void test_null_provider_is_the_real_primitives(void **state)
{
	uint8_t a[32], b[32], pa[32], pb[32], out[32], real[32];

	(void)state;
	fill(a, 32, 5);
	fill(b, 32, 6);
	dtt_crypto_x25519_base(NULL, pa, a);
	dtt_x25519_base(pb, b);
	assert_int_equal(dtt_crypto_dh(NULL, out, a, pa, pb), 0);
	assert_int_equal(dtt_x25519(real, b, pa), 0);
	assert_memory_equal(out, real, 32);
}

static void test_a_small_table_evicts_and_counts(void **state)
{
	struct dtt_crypto_memo_sizes sz = {{0}};
	struct dtt_crypto c = {0};
	uint8_t seed[32], pk[32], sk[64];

	(void)state;
	sz.slots[DTT_CRYPTO_MEMO_KEYPAIR] = 3; /* rounded down to 2 */
	c.memo = dtt_crypto_memo_new(&sz);
	assert_non_null(c.memo);
	for (int i = 0; i < 16; i++) {
		fill(seed, 32, (uint8_t)(10 + i));
		dtt_crypto_seed_keypair(&c, pk, sk, seed);
	}
	assert_int_equal(st(&c, DTT_CRYPTO_MEMO_KEYPAIR)->lookups, 16);
	assert_true(st(&c, DTT_CRYPTO_MEMO_KEYPAIR)->evictions >= 14);
	sz.slots[DTT_CRYPTO_MEMO_DH] = (size_t)1 << 25;
	assert_null(dtt_crypto_memo_new(&sz));
	dtt_crypto_memo_free(c.memo);
}

static int setup_crypto(void **state)
{
	(void)state;
	return dtt_crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_second_end_takes_the_first_ends_value),
		cmocka_unit_test(test_dh_failure_is_remembered),
		cmocka_unit_test(test_conversion_and_checks_match_the_primitives),
		cmocka_unit_test(test_null_provider_is_the_real_primitives),
		cmocka_unit_test(test_a_small_table_evicts_and_counts),
	};

	return cmocka_run_group_tests(tests, setup_crypto, NULL);
}
