/* test_modelled.c - the modelled crypto provider (sim/crypto_modelled.h) keeps the contracts the
 * core relies on: DH values agree only between the two key pairs involved, a signature
 * verifies only under the key that made it and for its message, an id's X25519 form is the
 * X25519 key of its seed, and since AEAD stays real a tampered handshake or record fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "crypto_modelled.h"
#include "err.h"
#include "fake_env.h"
#include "noise.h"
#include "provider.h"
#include "record.h"

static const struct dtt_crypto modelled = {.ops = &dtt_crypto_modelled_ops};

static void fill(uint8_t *b, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(v * 13 + 7 * i);
}

static void test_dh_agrees_only_between_the_two_pairs(void **state)
{
	uint8_t a[32], b[32], c[32], pa[32], pb[32], pc[32], ab[32], ba[32], ac[32], cb[32];
	uint8_t zero[32] = {0};

	(void)state;
	fill(a, 32, 1);
	fill(b, 32, 2);
	fill(c, 32, 3);
	dtt_crypto_x25519_base(&modelled, pa, a);
	dtt_crypto_x25519_base(&modelled, pb, b);
	dtt_crypto_x25519_base(&modelled, pc, c);
	assert_true(pa[31] < 0x80);
	assert_int_equal(dtt_crypto_dh(&modelled, ab, a, NULL, pb), 0);
	assert_int_equal(dtt_crypto_dh(&modelled, ba, b, NULL, pa), 0);
	assert_int_equal(dtt_crypto_dh(&modelled, ac, a, NULL, pc), 0);
	assert_int_equal(dtt_crypto_dh(&modelled, cb, c, NULL, pb), 0);
	assert_memory_equal(ab, ba, 32);
	assert_memory_not_equal(ab, ac, 32);
	assert_memory_not_equal(ab, cb, 32);
	assert_int_equal(dtt_crypto_dh(&modelled, ab, a, NULL, zero), DTT_ERR_CRYPTO);
	/* secrets X25519 clamps alike are the same key */
	a[0] ^= 0x07;
	dtt_crypto_x25519_base(&modelled, pc, a);
	assert_memory_equal(pa, pc, 32);
	assert_string_equal(dtt_crypto_name(&modelled), "modelled");
	assert_string_equal(dtt_crypto_name(NULL), "real");
}

static void test_an_ids_x25519_form_is_its_seeds_key(void **state)
{
	uint8_t seed[32], pk[32], sk[64], x[32], xs[32], xpub[32];

	(void)state;
	fill(seed, 32, 4);
	dtt_crypto_seed_keypair(&modelled, pk, sk, seed);
	assert_memory_equal(sk, seed, 32);
	assert_memory_equal(sk + 32, pk, 32);
	assert_int_equal(dtt_crypto_pk_to_x25519(&modelled, x, pk), 0);
	dtt_ed25519_seed_to_x25519(xs, seed);
	dtt_crypto_x25519_base(&modelled, xpub, xs);
	assert_memory_equal(x, xpub, 32);
	assert_true(dtt_crypto_pk_is_valid(&modelled, pk));
	memset(pk, 0, sizeof(pk));
	assert_false(dtt_crypto_pk_is_valid(&modelled, pk));
	assert_int_equal(dtt_crypto_pk_to_x25519(&modelled, x, pk), DTT_ERR_CRYPTO);
}

static void test_a_signature_verifies_only_under_its_key_and_message(void **state)
{
	uint8_t s1[32], s2[32], pk1[32], sk1[64], pk2[32], sk2[64], sig[64];
	uint8_t msg[100];

	(void)state;
	fill(s1, 32, 5);
	fill(s2, 32, 6);
	fill(msg, sizeof(msg), 7);
	dtt_crypto_seed_keypair(&modelled, pk1, sk1, s1);
	dtt_crypto_seed_keypair(&modelled, pk2, sk2, s2);
	dtt_crypto_sign(&modelled, sig, msg, sizeof(msg), sk1);
	assert_int_equal(dtt_crypto_verify(&modelled, sig, msg, sizeof(msg), pk1), 0);
	assert_int_equal(dtt_crypto_verify(&modelled, sig, msg, sizeof(msg), pk2), DTT_ERR_AUTH);
	msg[3] ^= 1;
	assert_int_equal(dtt_crypto_verify(&modelled, sig, msg, sizeof(msg), pk1), DTT_ERR_AUTH);
	msg[3] ^= 1;
	sig[60] ^= 1;
	assert_int_equal(dtt_crypto_verify(&modelled, sig, msg, sizeof(msg), pk1), DTT_ERR_AUTH);
}

/* The IK handshake of the links, on modelled keys: both ends derive the same transport keys,
 * and a flipped bit in message 1 is refused (AEAD and hashing stay real). */
static void test_a_noise_handshake_completes_and_tampering_fails(void **state)
{
	static const char name[] = "Noise_IK_25519_ChaChaPoly_BLAKE2b";
	uint8_t si[32], sr[32], ei[32], er[32], si_pub[32], sr_pub[32], ei_pub[32];
	uint8_t m1[DTT_NOISE_IK_INIT_BYTES(4)], m2[DTT_NOISE_IK_RESP_BYTES(4)];
	uint8_t re[32], rs[32], pt[4], k1[32], k2[32], k1r[32], k2r[32];
	struct dtt_noise_sym i, r, bad;

	(void)state;
	fill(si, 32, 8);
	fill(sr, 32, 9);
	fill(ei, 32, 10);
	fill(er, 32, 11);
	dtt_crypto_x25519_base(&modelled, si_pub, si);
	dtt_crypto_x25519_base(&modelled, sr_pub, sr);
	dtt_noise_init(&i, name, NULL, 0);
	dtt_noise_ik_premessage(&i, sr_pub);
	r = i;
	assert_int_equal(dtt_noise_ik_write_init(&i, &modelled, m1, ei, si, si_pub, sr_pub,
						 (const uint8_t *)"ping", 4),
			 0);
	memcpy(ei_pub, m1, 32);
	bad = r;
	m1[40] ^= 1;
	assert_int_not_equal(
	    dtt_noise_ik_read_init(&bad, &modelled, re, rs, pt, m1, sizeof(m1), sr, sr_pub), 0);
	m1[40] ^= 1;
	assert_int_equal(
	    dtt_noise_ik_read_init(&r, &modelled, re, rs, pt, m1, sizeof(m1), sr, sr_pub), 0);
	assert_memory_equal(rs, si_pub, 32);
	assert_memory_equal(pt, "ping", 4);
	assert_int_equal(
	    dtt_noise_ik_write_resp(&r, &modelled, m2, er, re, rs, (const uint8_t *)"pong", 4), 0);
	assert_int_equal(dtt_noise_ik_read_resp(&i, &modelled, pt, m2, sizeof(m2), ei, ei_pub, si,
						si_pub),
			 0);
	assert_memory_equal(pt, "pong", 4);
	dtt_noise_split(&i, k1, k2);
	dtt_noise_split(&r, k1r, k2r);
	assert_memory_equal(k1, k1r, 32);
	assert_memory_equal(k2, k2r, 32);
}

/* A record sealed under modelled crypto opens with the topic's keys, and a flipped bit in the
 * sealed value makes the opening fail. */
static void test_a_record_opens_and_a_tampered_one_fails(void **state)
{
	struct fake_env f;
	struct dtt_record rec, out;
	uint8_t topic[32], seed[32], pk[32], sk[64], enc_seed[32];
	uint8_t sealed[DTT_ENCRYPTED_RECORD_MAX], content[40];
	enum dtt_record_check check;
	int n;

	(void)state;
	fake_env_init(&f, 1, 0, 0);
	f.env.crypto = &modelled;
	fill(topic, 32, 12);
	fill(seed, 32, 13);
	fill(enc_seed, 32, 14);
	fill(content, sizeof(content), 15);
	dtt_crypto_seed_keypair(&modelled, pk, sk, seed);
	assert_int_equal(
	    dtt_record_make(&modelled, &rec, topic, 1000, content, sizeof(content), sk), 0);
	n = dtt_record_seal(&f.env, &rec, enc_seed, sealed, sizeof(sealed));
	assert_true(n > 0);
	assert_int_equal(
	    dtt_record_open(&modelled, &out, sealed, (size_t)n, enc_seed, topic, 1000, &check), 0);
	assert_memory_equal(out.pub_key, pk, 32);
	assert_memory_equal(out.content, content, sizeof(content));
	/* under the real primitives the same bytes do not open */
	assert_int_not_equal(
	    dtt_record_open(NULL, &out, sealed, (size_t)n, enc_seed, topic, 1000, &check), 0);
	sealed[n / 2] ^= 1;
	assert_int_not_equal(
	    dtt_record_open(&modelled, &out, sealed, (size_t)n, enc_seed, topic, 1000, &check), 0);
}

static int setup_crypto(void **state)
{
	(void)state;
	return dtt_crypto_init();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dh_agrees_only_between_the_two_pairs),
		cmocka_unit_test(test_an_ids_x25519_form_is_its_seeds_key),
		cmocka_unit_test(test_a_signature_verifies_only_under_its_key_and_message),
		cmocka_unit_test(test_a_noise_handshake_completes_and_tampering_fails),
		cmocka_unit_test(test_a_record_opens_and_a_tampered_one_fails),
	};

	return cmocka_run_group_tests(tests, setup_crypto, NULL);
}
