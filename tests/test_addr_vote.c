/* test_addr_vote.c - voting on our public address from BEP 42 `ip` values (addr_vote.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "addr_vote.h"

static struct dtt_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	const uint8_t ip[4] = {a, b, c, d};
	struct dtt_addr x;

	dtt_addr_ipv4(&x, ip, port);
	return x;
}

static struct dtt_addr v6(uint8_t last, uint16_t port)
{
	struct dtt_addr x;

	memset(&x, 0, sizeof(x));
	x.family = DTT_AF_INET6;
	x.addr[0] = 0x20;
	x.addr[1] = 0x01;
	x.addr[15] = last;
	x.port = port;
	return x;
}

static void test_quorum_of_distinct_hosts(void **state)
{
	struct dtt_addr_vote v;
	struct dtt_addr me = v4(203, 0, 113, 7, 4000), got, voter;

	(void)state;
	dtt_addr_vote_init(&v);
	/* one host on many ports is one voter */
	for (uint16_t p = 1; p <= 5; p++) {
		voter = v4(198, 51, 100, 1, p);
		assert_false(dtt_addr_vote_cast(&v, &voter, &me));
	}
	voter = v4(198, 51, 100, 2, 6881);
	assert_false(dtt_addr_vote_cast(&v, &voter, &me));
	assert_false(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	voter = v4(198, 51, 100, 3, 6881);
	assert_true(dtt_addr_vote_cast(&v, &voter, &me));
	assert_true(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	assert_true(dtt_addr_eq(&got, &me));
	assert_int_equal(v.v4.votes, 3);
	/* the same vote again changes nothing */
	voter = v4(198, 51, 100, 4, 6881);
	assert_false(dtt_addr_vote_cast(&v, &voter, &me));
	assert_int_equal(v.changes, 1);
}

static void test_loopback_voters_count_by_port(void **state)
{
	struct dtt_addr_vote v;
	struct dtt_addr me = v4(127, 0, 0, 1, 4000), got, voter;

	(void)state;
	dtt_addr_vote_init(&v);
	for (uint16_t p = 1; p <= 2; p++) {
		voter = v4(127, 0, 0, 1, p);
		assert_false(dtt_addr_vote_cast(&v, &voter, &me));
	}
	voter = v4(127, 0, 0, 1, 2); /* the same node again */
	assert_false(dtt_addr_vote_cast(&v, &voter, &me));
	voter = v4(127, 0, 0, 1, 3);
	assert_true(dtt_addr_vote_cast(&v, &voter, &me));
	assert_true(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	assert_true(dtt_addr_eq(&got, &me));
}

static void test_a_tie_keeps_the_address_and_a_majority_moves_it(void **state)
{
	struct dtt_addr_vote v;
	struct dtt_addr a = v4(203, 0, 113, 7, 4000), b = v4(203, 0, 113, 8, 4000), got, voter;

	(void)state;
	dtt_addr_vote_init(&v);
	for (uint8_t i = 1; i <= 3; i++) {
		voter = v4(10, 0, 0, i, 6881);
		dtt_addr_vote_cast(&v, &voter, &a);
	}
	/* three voters change their mind: 0 for a, 3 for b */
	for (uint8_t i = 1; i <= 2; i++) {
		voter = v4(10, 0, 0, i, 6881);
		assert_false(dtt_addr_vote_cast(&v, &voter, &b));
		assert_true(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
		assert_true(dtt_addr_eq(&got, &a));
	}
	voter = v4(10, 0, 0, 3, 6881);
	assert_true(dtt_addr_vote_cast(&v, &voter, &b));
	assert_true(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	assert_true(dtt_addr_eq(&got, &b));
	/* 3 for each: a tie keeps b */
	for (uint8_t i = 4; i <= 6; i++) {
		voter = v4(10, 0, 0, i, 6881);
		assert_false(dtt_addr_vote_cast(&v, &voter, &a));
	}
	assert_true(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	assert_true(dtt_addr_eq(&got, &b));
	assert_int_equal(v.changes, 2);
}

static void test_window_forgets_the_oldest_voters(void **state)
{
	struct dtt_addr_vote v;
	struct dtt_addr a = v4(203, 0, 113, 7, 4000), b = v4(203, 0, 113, 8, 4000), got, voter;
	unsigned i;

	(void)state;
	dtt_addr_vote_init(&v);
	for (i = 0; i < DTT_ADDR_VOTE_VOTERS; i++) {
		voter = v4(10, 1, 0, (uint8_t)i, 6881);
		dtt_addr_vote_cast(&v, &voter, &a);
	}
	/* new voters for b push the oldest votes for a out: b wins at a strict majority */
	for (i = 0; i < DTT_ADDR_VOTE_VOTERS; i++) {
		voter = v4(10, 2, 0, (uint8_t)i, 6881);
		bool changed = dtt_addr_vote_cast(&v, &voter, &b);

		assert_int_equal(changed, i == DTT_ADDR_VOTE_VOTERS / 2);
	}
	assert_int_equal(v.v4.count, DTT_ADDR_VOTE_VOTERS);
	assert_true(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	assert_true(dtt_addr_eq(&got, &b));
}

static void test_families_vote_apart_and_junk_is_ignored(void **state)
{
	struct dtt_addr_vote v;
	struct dtt_addr a4 = v4(203, 0, 113, 7, 4000), a6 = v6(7, 4000), got, voter;
	struct dtt_addr zero = v4(0, 0, 0, 0, 4000), noport = v4(203, 0, 113, 7, 0);

	(void)state;
	dtt_addr_vote_init(&v);
	for (uint8_t i = 1; i <= 3; i++) {
		voter = v6(100 + i, 6881);
		dtt_addr_vote_cast(&v, &voter, &a6);
		voter = v4(10, 0, 0, i, 6881);
		assert_false(dtt_addr_vote_cast(&v, &voter, &zero));
		assert_false(dtt_addr_vote_cast(&v, &voter, &noport));
		voter = v6(100 + i, 6881); /* an IPv6 responder telling an IPv4 address */
		assert_false(dtt_addr_vote_cast(&v, &voter, &a4));
	}
	assert_int_equal(v.ignored, 9);
	assert_false(dtt_addr_vote_get(&v, DTT_AF_INET, &got));
	assert_true(dtt_addr_vote_get(&v, DTT_AF_INET6, &got));
	assert_true(dtt_addr_eq(&got, &a6));
	assert_false(dtt_addr_vote_get(&v, 9, &got));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quorum_of_distinct_hosts),
	    cmocka_unit_test(test_loopback_voters_count_by_port),
	    cmocka_unit_test(test_a_tie_keeps_the_address_and_a_majority_moves_it),
	    cmocka_unit_test(test_window_forgets_the_oldest_voters),
	    cmocka_unit_test(test_families_vote_apart_and_junk_is_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
