/* test_token.c - write tokens (BEP 5 §tokens): bound to IP and target, rotation edges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "fake_env.h"
#include "token.h"

#define MIN5 DTT_DHT_TOKEN_ROTATE_MS
#define T0   1000000u

struct fixture {
	struct fake_env fe;
	struct dtt_token tok;
	struct dtt_addr ip;
	uint8_t target[20];
};

static struct fixture fx;

static int setup(void **state)
{
	static const uint8_t ip[4] = {198, 51, 100, 7};

	(void)state;
	memset(&fx, 0, sizeof(fx));
	fake_env_init(&fx.fe, 42, T0, 0);
	dtt_token_init(&fx.tok, &fx.fe.env, T0, 0);
	dtt_addr_ipv4(&fx.ip, ip, 6881);
	memset(fx.target, 0x33, sizeof(fx.target));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dtt_token_deinit(&fx.tok);
	return 0;
}

static bool check_at(uint64_t now, const struct dtt_addr *ip, const uint8_t *target,
		     const uint8_t *tok)
{
	return dtt_token_check(&fx.tok, &fx.fe.env, now, ip, target, tok, DTT_TOKEN_BYTES);
}

static void test_token_valid_token_is_accepted(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES], again[DTT_TOKEN_BYTES];

	(void)state;
	assert_int_equal(fx.tok.rotate_ms, MIN5);
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	assert_true(check_at(T0, &fx.ip, fx.target, t));
	/* the same inputs give the same token within an epoch */
	dtt_token_make(&fx.tok, &fx.fe.env, T0 + 1000, &fx.ip, fx.target, again);
	assert_memory_equal(t, again, sizeof(t));
}

static void test_token_port_is_not_bound(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES];
	struct dtt_addr other_port = fx.ip;

	(void)state;
	other_port.port = 1;
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	assert_true(check_at(T0, &other_port, fx.target, t));
}

static void test_token_other_ip_is_rejected(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES];
	struct dtt_addr other = fx.ip, v6;

	(void)state;
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	other.addr[3] ^= 1;
	assert_false(check_at(T0, &other, fx.target, t));
	/* same leading bytes as an IPv6 address: another family, another token */
	memset(&v6, 0, sizeof(v6));
	v6.family = DTT_AF_INET6;
	memcpy(v6.addr, fx.ip.addr, 4);
	assert_false(check_at(T0, &v6, fx.target, t));
}

static void test_token_other_target_is_rejected(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES], other[20];

	(void)state;
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	memcpy(other, fx.target, 20);
	other[19] ^= 0x80;
	assert_false(check_at(T0, &fx.ip, other, t));
}

static void test_token_damaged_or_wrong_length_is_rejected(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES + 1];

	(void)state;
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	t[DTT_TOKEN_BYTES] = 0;
	assert_false(
	    dtt_token_check(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t, DTT_TOKEN_BYTES - 1));
	assert_false(
	    dtt_token_check(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t, DTT_TOKEN_BYTES + 1));
	assert_false(dtt_token_check(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t, 0));
	for (size_t i = 0; i < DTT_TOKEN_BYTES; i++) {
		t[i] ^= 0x01;
		assert_false(check_at(T0, &fx.ip, fx.target, t));
		t[i] ^= 0x01;
	}
	assert_true(check_at(T0, &fx.ip, fx.target, t));
}

static void test_token_accepted_after_one_rotation(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES], fresh[DTT_TOKEN_BYTES];

	(void)state;
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	assert_true(check_at(T0 + MIN5 + 1, &fx.ip, fx.target, t));
	assert_int_equal(fx.tok.rotations, 1);
	/* a token made now differs, and is valid too */
	dtt_token_make(&fx.tok, &fx.fe.env, T0 + MIN5 + 1, &fx.ip, fx.target, fresh);
	assert_memory_not_equal(t, fresh, sizeof(t));
	assert_true(check_at(T0 + MIN5 + 1, &fx.ip, fx.target, fresh));
}

static void test_token_rejected_after_two_rotations(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES];

	(void)state;
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	assert_true(check_at(T0 + MIN5, &fx.ip, fx.target, t));
	assert_false(check_at(T0 + 2 * MIN5, &fx.ip, fx.target, t));
	assert_int_equal(fx.tok.rotations, 2);
}

/* The epoch ends exactly at 5 min: 299 999 ms is still the first secret; 300 000 rotates;
 * a token made just before that rotation lives until 600 000 (exclusive). */
static void test_token_rotation_boundary_is_exactly_5_min(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES], late[DTT_TOKEN_BYTES];

	(void)state;
	assert_int_equal(dtt_token_next_rotation_ms(&fx.tok), T0 + MIN5);
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	dtt_token_make(&fx.tok, &fx.fe.env, T0 + MIN5 - 1, &fx.ip, fx.target, late);
	assert_memory_equal(t, late, sizeof(t));
	assert_int_equal(fx.tok.rotations, 0);
	assert_true(check_at(T0 + MIN5, &fx.ip, fx.target, late));
	assert_int_equal(fx.tok.rotations, 1);
	assert_int_equal(dtt_token_next_rotation_ms(&fx.tok), T0 + 2 * MIN5);
	assert_true(check_at(T0 + 2 * MIN5 - 1, &fx.ip, fx.target, late));
	assert_false(check_at(T0 + 2 * MIN5, &fx.ip, fx.target, late));
}

/* Rotation stays on the grid even when nobody calls for a while, and a long silence drops
 * both secrets. */
static void test_token_rotation_stays_on_grid(void **state)
{
	uint8_t t[DTT_TOKEN_BYTES];

	(void)state;
	dtt_token_tick(&fx.tok, &fx.fe.env, T0 + MIN5 + MIN5 / 2);
	assert_int_equal(dtt_token_next_rotation_ms(&fx.tok), T0 + 2 * MIN5);
	dtt_token_make(&fx.tok, &fx.fe.env, T0 + MIN5 + MIN5 / 2, &fx.ip, fx.target, t);
	assert_true(check_at(T0 + 3 * MIN5 - 1, &fx.ip, fx.target, t));
	assert_false(check_at(T0 + 7 * MIN5, &fx.ip, fx.target, t));
	assert_int_equal(dtt_token_next_rotation_ms(&fx.tok), T0 + 8 * MIN5);
	/* 1 + 1 + 2 (a jump of five epochs draws only two fresh secrets) */
	assert_int_equal(fx.tok.rotations, 4);
	/* a clock that goes backwards rotates nothing */
	dtt_token_tick(&fx.tok, &fx.fe.env, T0);
	assert_int_equal(fx.tok.rotations, 4);
}

static void test_token_explicit_rotation_uses_given_bytes(void **state)
{
	uint8_t s1[DTT_TOKEN_SECRET_BYTES], t[DTT_TOKEN_BYTES], t2[DTT_TOKEN_BYTES];
	struct dtt_token other;
	uint8_t zero[sizeof(struct dtt_token)];

	(void)state;
	memset(s1, 0x11, sizeof(s1));
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	dtt_token_rotate(&fx.tok, s1);
	assert_memory_equal(fx.tok.cur, s1, sizeof(s1));
	assert_true(check_at(T0, &fx.ip, fx.target, t));
	/* a second node with the same current secret computes the same token */
	dtt_token_init(&other, &fx.fe.env, T0, 0);
	dtt_token_rotate(&other, s1);
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, t);
	dtt_token_make(&other, &fx.fe.env, T0, &fx.ip, fx.target, t2);
	assert_memory_equal(t, t2, sizeof(t));
	/* deinit wipes the secrets */
	dtt_token_deinit(&other);
	memset(zero, 0, sizeof(zero));
	assert_memory_equal(&other, zero, sizeof(other));
}

/* Two nodes seeded differently hand out different tokens for the same requester. */
static void test_token_secrets_come_from_env(void **state)
{
	struct fake_env fe2;
	struct dtt_token other;
	uint8_t a[DTT_TOKEN_BYTES], b[DTT_TOKEN_BYTES];

	(void)state;
	fake_env_init(&fe2, 43, T0, 0);
	dtt_token_init(&other, &fe2.env, T0, 0);
	dtt_token_make(&fx.tok, &fx.fe.env, T0, &fx.ip, fx.target, a);
	dtt_token_make(&other, &fe2.env, T0, &fx.ip, fx.target, b);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_false(dtt_token_check(&other, &fe2.env, T0, &fx.ip, fx.target, a, sizeof(a)));
	dtt_token_deinit(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_token_valid_token_is_accepted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_port_is_not_bound, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_other_ip_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_other_target_is_rejected, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_damaged_or_wrong_length_is_rejected, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_token_accepted_after_one_rotation, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_token_rejected_after_two_rotations, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_token_rotation_boundary_is_exactly_5_min, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_token_rotation_stays_on_grid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_token_explicit_rotation_uses_given_bytes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_token_secrets_come_from_env, setup, teardown),
	};

	if (dtt_crypto_init() != 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
