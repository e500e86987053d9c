/* test_rt.c - the BEP 5 routing table: splits, full far buckets, bad and questionable nodes,
 * replacement caches, closest ordering, refresh, allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "err.h"
#include "fake_env.h"
#include "rt.h"

#define MIN15 (15 * 60 * 1000)
#define T0    5000000u

static uint8_t own[20];

/* An id whose XOR distance to base is d (d given as 20 big-endian bytes). */
static void id_xor(uint8_t out[20], const uint8_t base[20], const uint8_t d[20])
{
	for (int i = 0; i < 20; i++)
		out[i] = base[i] ^ d[i];
}

/* An id sharing exactly `cpl` leading bits with our own id; tag varies the low bytes. */
static void id_cpl(uint8_t out[20], size_t cpl, uint16_t tag)
{
	uint8_t d[20] = {0};

	d[18] = (uint8_t)(tag >> 8);
	d[19] = (uint8_t)tag;
	/* the tag only lives below the distinguishing bit */
	for (size_t p = 0; p <= cpl; p++)
		d[p / 8] &= (uint8_t) ~(0x80 >> (p % 8));
	d[cpl / 8] |= (uint8_t)(0x80 >> (cpl % 8));
	id_xor(out, own, d);
}

static struct dtt_addr addr_n(unsigned n)
{
	struct dtt_addr a;
	uint8_t ip[4] = {10, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};

	dtt_addr_ipv4(&a, ip, 6881);
	return a;
}

static struct dtt_rt_config cfg_default(void)
{
	struct dtt_rt_config c;

	dtt_rt_config_init(&c);
	return c;
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < 20; i++)
		own[i] = (uint8_t)(0x5a ^ (i * 29));
	return 0;
}

/* heard with a reply; returns the ping request flag */
static bool reply(struct dtt_rt *rt, const uint8_t *id, unsigned a, uint64_t now)
{
	struct dtt_rt_node ping;
	struct dtt_addr ad = addr_n(a);

	return dtt_rt_on_heard(rt, id, &ad, now, true, &ping);
}

static void test_rt_config_defaults_and_validation(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_config c = cfg_default();

	(void)state;
	assert_int_equal(c.k, 8);
	assert_int_equal(c.fails_bad, 3);
	assert_int_equal(c.buckets_max, 160);
	assert_int_equal(c.questionable_ms, MIN15);
	assert_int_equal(c.refresh_ms, MIN15);
	c.k = 0;
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), DTT_ERR_INVALID);
	c = cfg_default();
	c.buckets_max = 161;
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), DTT_ERR_INVALID);
	c = cfg_default();
	c.fails_bad = 0;
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), DTT_ERR_INVALID);
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	assert_int_equal(dtt_rt_bucket_count(&rt), 1);
	assert_int_equal(dtt_rt_node_count(&rt), 0);
	dtt_rt_deinit(&rt);
	dtt_rt_deinit(&rt); /* twice is harmless */
}

static void test_rt_refuses_own_id(void **state)
{
	struct dtt_rt rt;

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	assert_false(reply(&rt, own, 1, T0));
	assert_int_equal(dtt_rt_node_count(&rt), 0);
	assert_int_equal(rt.stats.dropped[DTT_RT_DROP_OWN_ID], 1);
	dtt_rt_deinit(&rt);
}

static void test_rt_splits_own_bucket_when_full(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	/* four far ids (first bit differs) and four near ones (cpl 1..4) fill the one bucket */
	for (uint16_t i = 0; i < 4; i++) {
		id_cpl(id, 0, i);
		reply(&rt, id, i, T0);
		id_cpl(id, 1 + i, 0);
		reply(&rt, id, 100 + i, T0);
	}
	assert_int_equal(dtt_rt_node_count(&rt), 8);
	assert_int_equal(dtt_rt_bucket_count(&rt), 1);
	/* the ninth splits it: far ids stay in bucket 0, near ones move to bucket 1 */
	id_cpl(id, 7, 9);
	assert_false(reply(&rt, id, 200, T0));
	assert_int_equal(dtt_rt_bucket_count(&rt), 2);
	assert_int_equal(dtt_rt_node_count(&rt), 9);
	assert_int_equal(rt.stats.splits, 1);
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_int_equal(info.bucket, 1);
	assert_false(info.in_cache);
	id_cpl(id, 0, 3);
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_int_equal(info.bucket, 0);
	id_cpl(id, 4, 0);
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_int_equal(info.bucket, 1);
	/* deeper ids keep splitting the last bucket: 160 of them, one per prefix length */
	for (size_t cpl = 0; cpl < 160; cpl++) {
		id_cpl(id, cpl, 0x777);
		reply(&rt, id, 1000 + (unsigned)cpl, T0);
	}
	assert_true(dtt_rt_bucket_count(&rt) <= DTT_RT_BUCKETS_MAX);
	id_cpl(id, 159, 0);
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_false(info.in_cache);
	dtt_rt_deinit(&rt);
}

static void test_rt_caches_newcomer_when_far_bucket_is_full(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping;
	struct dtt_addr a = addr_n(999);
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	id_cpl(id, 5, 0); /* something near, so that bucket 0 stops being the own bucket */
	reply(&rt, id, 500, T0);
	for (uint16_t i = 0; i < 8; i++) {
		id_cpl(id, 0, i);
		reply(&rt, id, i, T0);
	}
	assert_int_equal(dtt_rt_bucket_count(&rt), 2);
	assert_int_equal(dtt_rt_node_count(&rt), 9);
	/* a ninth far node: no split (bucket 0 does not hold our id), all good: cached, no ping */
	id_cpl(id, 0, 8);
	assert_false(dtt_rt_on_heard(&rt, id, &a, T0 + 1, true, &ping));
	assert_int_equal(dtt_rt_bucket_count(&rt), 2);
	assert_int_equal(dtt_rt_node_count(&rt), 9);
	assert_true(dtt_rt_get(&rt, id, T0 + 1, &info));
	assert_true(info.in_cache);
	assert_int_equal(rt.stats.cached, 1);
	/* the cache holds 3; a fifth newcomer that never replied loses against replied ones */
	for (uint16_t i = 9; i < 11; i++) {
		id_cpl(id, 0, i);
		reply(&rt, id, i, T0 + 2);
	}
	id_cpl(id, 0, 11);
	assert_false(dtt_rt_on_heard(&rt, id, &a, T0 + 3, false, &ping));
	assert_false(dtt_rt_get(&rt, id, T0 + 3, &info));
	assert_int_equal(rt.stats.dropped[DTT_RT_DROP_BUCKET_FULL], 1);
	/* a replied newcomer evicts the oldest cache entry */
	id_cpl(id, 0, 12);
	reply(&rt, id, 12, T0 + 4);
	assert_true(dtt_rt_get(&rt, id, T0 + 4, &info));
	assert_int_equal(rt.stats.cache_evicted, 1);
	id_cpl(id, 0, 8);
	assert_false(dtt_rt_get(&rt, id, T0 + 4, &info));
	dtt_rt_deinit(&rt);

	/* without a cache the newcomer is simply dropped */
	struct dtt_rt_config c = cfg_default();
	c.replacements_max = 0;
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), 0);
	id_cpl(id, 5, 0);
	reply(&rt, id, 500, T0);
	for (uint16_t i = 0; i < 9; i++) {
		id_cpl(id, 0, i);
		reply(&rt, id, i, T0);
	}
	assert_int_equal(dtt_rt_node_count(&rt), 9);
	assert_false(dtt_rt_get(&rt, id, T0, &info));
	assert_int_equal(rt.stats.dropped[DTT_RT_DROP_BUCKET_FULL], 1);
	dtt_rt_deinit(&rt);
}

/* Fills bucket 0 (far, not splittable) with 8 replied contacts 0..7 at time t. */
static void fill_far_bucket(struct dtt_rt *rt, uint64_t t)
{
	uint8_t id[20];

	id_cpl(id, 5, 0);
	reply(rt, id, 500, t);
	for (uint16_t i = 0; i < 8; i++) {
		id_cpl(id, 0, i);
		reply(rt, id, i, t + i);
	}
	assert_int_equal(dtt_rt_bucket_count(rt), 2);
}

static void test_rt_replaces_bad_node(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping;
	struct dtt_addr a3 = addr_n(3);
	uint8_t id[20], bad[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	fill_far_bucket(&rt, T0);
	id_cpl(bad, 0, 3);
	for (int i = 0; i < 2; i++) {
		assert_false(dtt_rt_on_timeout(&rt, bad, &a3, T0 + 10, &ping));
		assert_true(dtt_rt_get(&rt, bad, T0 + 10, &info));
		assert_int_equal(info.state, DTT_RT_QUESTIONABLE);
	}
	assert_false(dtt_rt_on_timeout(&rt, bad, &a3, T0 + 10, &ping));
	assert_true(dtt_rt_get(&rt, bad, T0 + 10, &info));
	assert_int_equal(info.state, DTT_RT_BAD);
	assert_int_equal(info.fails, 3);
	/* a bad contact is never handed out */
	struct dtt_rt_node out[16];
	size_t n = dtt_rt_closest(&rt, bad, out, 16);
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++)
		assert_memory_not_equal(out[i].id, bad, 20);
	/* a newcomer takes its slot directly */
	id_cpl(id, 0, 50);
	assert_false(reply(&rt, id, 50, T0 + 20));
	assert_false(dtt_rt_get(&rt, bad, T0 + 20, &info));
	assert_true(dtt_rt_get(&rt, id, T0 + 20, &info));
	assert_false(info.in_cache);
	assert_int_equal(rt.stats.replaced_bad, 1);
	assert_int_equal(dtt_rt_node_count(&rt), 9);
	dtt_rt_deinit(&rt);
}

static void test_rt_failed_contacts_are_listed_for_recovery_in_turn(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_node ping, out[8];
	uint8_t ids[6][20];
	size_t n;

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	for (uint16_t i = 0; i < 6; i++) {
		id_cpl(ids[i], i, (uint16_t)(100 + i));
		assert_false(reply(&rt, ids[i], 100u + i, T0));
	}
	assert_int_equal(dtt_rt_usable_count(&rt), 6);
	assert_int_equal(dtt_rt_failed(&rt, 0, out, 8), 0);
	/* four of them fail three times: bad, no longer usable, listed as failed */
	for (int i = 0; i < 4; i++) {
		struct dtt_addr a = addr_n(100u + (unsigned)i);

		for (int f = 0; f < 3; f++)
			assert_false(dtt_rt_on_timeout(&rt, ids[i], &a, T0 + 10, &ping));
	}
	assert_int_equal(dtt_rt_usable_count(&rt), 2);
	assert_int_equal(dtt_rt_node_count(&rt), 6);
	n = dtt_rt_failed(&rt, 0, out, 8);
	assert_int_equal(n, 4);
	/* skip rotates through them and wraps around */
	n = dtt_rt_failed(&rt, 3, out, 2);
	assert_int_equal(n, 2);
	{
		struct dtt_rt_node all[4];

		assert_int_equal(dtt_rt_failed(&rt, 0, all, 4), 4);
		assert_memory_equal(out[0].id, all[3].id, 20);
		assert_memory_equal(out[1].id, all[0].id, 20);
		assert_int_equal(dtt_rt_failed(&rt, 4, out, 1), 1);
		assert_memory_equal(out[0].id, all[0].id, 20);
	}
	/* one answers again: usable again, no longer failed */
	assert_false(reply(&rt, ids[0], 100, T0 + 20));
	assert_int_equal(dtt_rt_usable_count(&rt), 3);
	assert_int_equal(dtt_rt_failed(&rt, 0, out, 8), 3);
	dtt_rt_deinit(&rt);
}

static void test_rt_bad_node_is_replaced_from_cache(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping;
	struct dtt_addr a2 = addr_n(2), a60 = addr_n(60);
	uint8_t id[20], victim[20], c1[20], c2[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	fill_far_bucket(&rt, T0);
	/* two candidates wait: c1 replied, c2 only queried us (more recently) */
	id_cpl(c1, 0, 60);
	reply(&rt, c1, 60, T0 + 100);
	id_cpl(c2, 0, 61);
	assert_false(dtt_rt_on_heard(&rt, c2, &a60, T0 + 200, false, &ping));
	id_cpl(victim, 0, 2);
	/* a timeout reported for another address does not count */
	assert_false(dtt_rt_on_timeout(&rt, victim, &a60, T0 + 300, &ping));
	assert_true(dtt_rt_get(&rt, victim, T0 + 300, &info));
	assert_int_equal(info.fails, 0);
	for (int i = 0; i < 3; i++)
		assert_false(dtt_rt_on_timeout(&rt, victim, &a2, T0 + 300, &ping));
	/* the replied candidate wins, although the other was seen later */
	assert_false(dtt_rt_get(&rt, victim, T0 + 300, &info));
	assert_true(dtt_rt_get(&rt, c1, T0 + 300, &info));
	assert_false(info.in_cache);
	assert_true(dtt_rt_get(&rt, c2, T0 + 300, &info));
	assert_true(info.in_cache);
	assert_int_equal(rt.stats.promoted, 1);
	/* next bad one: the unconfirmed candidate is promoted and must be pinged */
	id_cpl(id, 0, 4);
	struct dtt_addr a4 = addr_n(4);
	assert_false(dtt_rt_on_timeout(&rt, id, &a4, T0 + 400, &ping));
	assert_false(dtt_rt_on_timeout(&rt, id, &a4, T0 + 400, &ping));
	assert_true(dtt_rt_on_timeout(&rt, id, &a4, T0 + 400, &ping));
	assert_memory_equal(ping.id, c2, 20);
	assert_true(dtt_addr_eq(&ping.addr, &a60));
	assert_true(dtt_rt_get(&rt, c2, T0 + 400, &info));
	assert_false(info.in_cache);
	assert_true(info.ping_pending);
	dtt_rt_deinit(&rt);
}

static void test_rt_node_questionable_after_15_min(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping;
	struct dtt_addr a = addr_n(1);
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	id_cpl(id, 3, 1);
	assert_false(reply(&rt, id, 1, T0));
	assert_true(dtt_rt_get(&rt, id, T0 + MIN15 - 1, &info));
	assert_int_equal(info.state, DTT_RT_GOOD);
	assert_int_equal(dtt_rt_good_count(&rt, T0 + MIN15 - 1), 1);
	assert_true(dtt_rt_get(&rt, id, T0 + MIN15, &info));
	assert_int_equal(info.state, DTT_RT_QUESTIONABLE);
	assert_int_equal(dtt_rt_good_count(&rt, T0 + MIN15), 0);
	/* a query from a node that has replied before makes it good again */
	assert_false(dtt_rt_on_heard(&rt, id, &a, T0 + MIN15, false, &ping));
	assert_true(dtt_rt_get(&rt, id, T0 + 2 * MIN15 - 1, &info));
	assert_int_equal(info.state, DTT_RT_GOOD);
	assert_int_equal(info.last_reply_ms, T0);
	/* one failure: questionable until it answers again */
	assert_false(dtt_rt_on_timeout(&rt, id, &a, T0 + MIN15 + 1, &ping));
	assert_true(dtt_rt_get(&rt, id, T0 + MIN15 + 2, &info));
	assert_int_equal(info.state, DTT_RT_QUESTIONABLE);
	reply(&rt, id, 1, T0 + MIN15 + 3);
	assert_true(dtt_rt_get(&rt, id, T0 + MIN15 + 3, &info));
	assert_int_equal(info.state, DTT_RT_GOOD);
	assert_int_equal(info.fails, 0);
	dtt_rt_deinit(&rt);
}

static void test_rt_unconfirmed_node_is_pinged_and_not_handed_out(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping, out[4];
	struct dtt_addr a = addr_n(7);
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	id_cpl(id, 2, 7);
	assert_true(dtt_rt_on_heard(&rt, id, &a, T0, false, &ping));
	assert_memory_equal(ping.id, id, 20);
	assert_true(dtt_addr_eq(&ping.addr, &a));
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_int_equal(info.state, DTT_RT_QUESTIONABLE);
	assert_false(info.confirmed);
	assert_int_equal(dtt_rt_closest(&rt, id, out, 4), 0);
	assert_int_equal(dtt_rt_export(&rt, out, 4), 0);
	/* it answers the ping */
	assert_false(dtt_rt_on_heard(&rt, id, &a, T0 + 50, true, &ping));
	assert_true(dtt_rt_get(&rt, id, T0 + 50, &info));
	assert_int_equal(info.state, DTT_RT_GOOD);
	assert_false(info.ping_pending);
	assert_int_equal(dtt_rt_closest(&rt, id, out, 4), 1);
	assert_int_equal(dtt_rt_export(&rt, out, 4), 1);
	assert_memory_equal(out[0].id, id, 20);
	dtt_rt_deinit(&rt);
}

static void test_rt_full_bucket_asks_to_ping_least_recently_seen(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping;
	struct dtt_addr a = addr_n(77);
	uint8_t id[20], first[20], second[20];
	uint64_t later = T0 + 100 + MIN15;

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	fill_far_bucket(&rt, T0); /* contact i last seen at T0 + i */
	/* everyone questionable now; 0 is the least recently seen, then 1 */
	id_cpl(first, 0, 0);
	id_cpl(second, 0, 1);
	id_cpl(id, 0, 40);
	assert_true(dtt_rt_on_heard(&rt, id, &a, later, true, &ping));
	assert_memory_equal(ping.id, first, 20);
	assert_int_equal(rt.stats.pings_wanted, 1);
	/* while that ping runs, the next newcomer asks for the next one */
	id_cpl(id, 0, 41);
	assert_true(dtt_rt_on_heard(&rt, id, &a, later, true, &ping));
	assert_memory_equal(ping.id, second, 20);
	/* the first answers: good again, nothing else to do for it */
	assert_false(reply(&rt, first, 0, later + 1));
	assert_true(dtt_rt_get(&rt, first, later + 1, &info));
	assert_int_equal(info.state, DTT_RT_GOOD);
	assert_false(info.ping_pending);
	/* the second times out three times (pinged again in between) and its slot goes to the
	 * best cache entry */
	struct dtt_addr a1 = addr_n(1);
	assert_false(dtt_rt_on_timeout(&rt, second, &a1, later + 2, &ping));
	assert_false(dtt_rt_on_timeout(&rt, second, &a1, later + 3, &ping));
	assert_false(dtt_rt_on_timeout(&rt, second, &a1, later + 4, &ping));
	assert_false(dtt_rt_get(&rt, second, later + 4, &info));
	/* 40 and 41 tie (both replied, seen at the same time): the older cache slot wins */
	id_cpl(id, 0, 40);
	assert_true(dtt_rt_get(&rt, id, later + 4, &info));
	assert_false(info.in_cache);
	id_cpl(id, 0, 41);
	assert_true(dtt_rt_get(&rt, id, later + 4, &info));
	assert_true(info.in_cache);
	dtt_rt_deinit(&rt);
}

static void test_rt_good_contact_keeps_its_address(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_info info;
	struct dtt_rt_node ping;
	struct dtt_addr a1 = addr_n(1), a2 = addr_n(2);
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	id_cpl(id, 1, 1);
	dtt_rt_on_heard(&rt, id, &a1, T0, true, &ping);
	/* a good contact does not move, not even on a reply from elsewhere */
	dtt_rt_on_heard(&rt, id, &a2, T0 + 1, true, &ping);
	dtt_rt_on_heard(&rt, id, &a2, T0 + 2, false, &ping);
	assert_true(dtt_rt_get(&rt, id, T0 + 2, &info));
	assert_true(dtt_addr_eq(&info.node.addr, &a1));
	assert_int_equal(info.last_seen_ms, T0);
	assert_int_equal(rt.stats.dropped[DTT_RT_DROP_ADDR_CHANGED], 2);
	/* once questionable, a reply from the new address moves it; a mere query would not */
	dtt_rt_on_heard(&rt, id, &a2, T0 + MIN15, false, &ping);
	assert_true(dtt_rt_get(&rt, id, T0 + MIN15, &info));
	assert_true(dtt_addr_eq(&info.node.addr, &a1));
	dtt_rt_on_heard(&rt, id, &a2, T0 + MIN15, true, &ping);
	assert_true(dtt_rt_get(&rt, id, T0 + MIN15, &info));
	assert_true(dtt_addr_eq(&info.node.addr, &a2));
	assert_int_equal(info.state, DTT_RT_GOOD);
	dtt_rt_deinit(&rt);
}

/* Node ids own ^ d with hand-picked distances d; target own, so the order is the order of d. */
static void test_rt_closest_ordering_exact(void **state)
{
	static const struct {
		uint8_t byte;
		uint8_t val;
	} ds[] = {
	    {19, 0x03}, {0, 0x80}, {19, 0x01}, {18, 0x01}, {0, 0x40}, {10, 0xff},
	    {19, 0x02}, {0, 0xc0}, {1, 0x01},  {10, 0x80}, {0, 0x01}, {18, 0x80},
	};
	/* ascending distance: indexes into ds */
	static const size_t order[] = {2, 6, 0, 3, 11, 9, 5, 8, 10, 4, 1, 7};
	const size_t count = sizeof(ds) / sizeof(ds[0]);
	struct dtt_rt rt;
	struct dtt_rt_node out[16];
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	for (size_t i = 0; i < count; i++) {
		uint8_t d[20] = {0};

		d[ds[i].byte] = ds[i].val;
		id_xor(id, own, d);
		assert_false(reply(&rt, id, (unsigned)i, T0));
	}
	assert_int_equal(dtt_rt_node_count(&rt), count);
	assert_int_equal(dtt_rt_closest(&rt, own, out, 16), count);
	for (size_t i = 0; i < count; i++) {
		uint8_t d[20] = {0};

		d[ds[order[i]].byte] = ds[order[i]].val;
		id_xor(id, own, d);
		assert_memory_equal(out[i].id, id, 20);
		struct dtt_addr want = addr_n((unsigned)order[i]);
		assert_true(dtt_addr_eq(&out[i].addr, &want));
	}
	/* a shorter request gives the same prefix */
	assert_int_equal(dtt_rt_closest(&rt, own, out, 3), 3);
	{
		uint8_t d[20] = {0};

		d[19] = 0x02;
		id_xor(id, own, d);
		assert_memory_equal(out[1].id, id, 20);
	}
	assert_int_equal(dtt_rt_closest(&rt, own, out, 0), 0);
	dtt_rt_deinit(&rt);
}

/* An independent oracle: distances as hex strings, sorted with strcmp. */
struct ranked {
	char hex[41];
	uint8_t id[20];
};

static int ranked_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ranked *)a)->hex, ((const struct ranked *)b)->hex);
}

static void test_rt_closest_matches_brute_force(void **state)
{
	struct fake_env fe;
	struct dtt_rt rt;
	struct dtt_rt_node out[8];
	struct dtt_rt_node all[1400];
	struct ranked r[1400];
	uint8_t target[20], id[20];
	size_t n_all;

	(void)state;
	fake_env_init(&fe, 7, T0, 0);
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	for (unsigned i = 0; i < 3000; i++) {
		dtt_env_random(&fe.env, id, 20);
		/* bias towards our own id so that many buckets fill */
		for (unsigned b = 0; b < (i % 24); b++)
			id[b / 8] = (uint8_t)((id[b / 8] & ~(0x80 >> (b % 8))) |
					      (own[b / 8] & (0x80 >> (b % 8))));
		reply(&rt, id, i, T0);
	}
	n_all = dtt_rt_export(&rt, all, 1400);
	assert_int_equal(n_all, dtt_rt_node_count(&rt));
	assert_true(n_all > 100);
	for (int trial = 0; trial < 20; trial++) {
		dtt_env_random(&fe.env, target, 20);
		if (trial % 2)
			memcpy(target, own, 10);
		for (size_t i = 0; i < n_all; i++) {
			uint8_t d[20];

			for (int b = 0; b < 20; b++)
				d[b] = all[i].id[b] ^ target[b];
			for (int b = 0; b < 20; b++)
				snprintf(r[i].hex + 2 * b, 3, "%02x", d[b]);
			memcpy(r[i].id, all[i].id, 20);
		}
		qsort(r, n_all, sizeof(r[0]), ranked_cmp);
		assert_int_equal(dtt_rt_closest(&rt, target, out, 8), 8);
		for (size_t i = 0; i < 8; i++)
			assert_memory_equal(out[i].id, r[i].id, 20);
	}
	dtt_rt_deinit(&rt);
}

/* ---- dtt_rt_closest against a full sort, over many tables, targets and n ---- */

#define RAND_ALL_MAX 12000

struct ref_entry {
	uint8_t dist[20];
	struct dtt_rt_node node;
};

static int ref_cmp(const void *a, const void *b)
{
	return memcmp(((const struct ref_entry *)a)->dist, ((const struct ref_entry *)b)->dist, 20);
}

/* The reference: every eligible contact (dtt_rt_export hands out exactly those: confirmed,
 * not bad, in a bucket), ranked by the XOR distance as 20 big-endian bytes, cut at n. */
static size_t closest_reference(const struct dtt_rt *rt, const uint8_t *target,
				struct ref_entry *ref, struct dtt_rt_node *scratch)
{
	size_t n = dtt_rt_export(rt, scratch, RAND_ALL_MAX);

	assert_true(n < RAND_ALL_MAX);
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 20; b++)
			ref[i].dist[b] = scratch[i].id[b] ^ target[b];
		ref[i].node = scratch[i];
	}
	qsort(ref, n, sizeof(ref[0]), ref_cmp);
	return n;
}

/* Copies the first `bits` bits of src into dst. */
static void keep_prefix(uint8_t *dst, const uint8_t *src, size_t bits)
{
	for (size_t b = 0; b < bits && b < 160; b++) {
		uint8_t m = (uint8_t)(0x80 >> (b % 8));

		dst[b / 8] = (uint8_t)((dst[b / 8] & ~m) | (src[b / 8] & m));
	}
}

static void test_rt_closest_equals_full_sort_on_random_tables(void **state)
{
	static const uint8_t ks[] = {1, 2, 3, 8, 8, 20, 64};
	static const uint8_t bmax[] = {1, 2, 5, 17, 160, 160, 160};
	static const size_t ns[] = {1, 2, 3, 7, 8, 9, 16, 20, 33, 64, 200};
	static struct dtt_rt_node scratch[RAND_ALL_MAX], out[256];
	static struct ref_entry ref[RAND_ALL_MAX];
	struct fake_env fe;
	size_t compared = 0, deep = 0, partial = 0;

	(void)state;
	fake_env_init(&fe, 2024, T0, 0);
	for (int table = 0; table < 42; table++) {
		struct dtt_rt_config cfg;
		struct dtt_rt rt;
		uint8_t me[20], id[20], target[20];
		unsigned inserts = 50 + (unsigned)dtt_rng_uniform(&fe.rng, 1500);
		uint64_t now = T0;

		dtt_rt_config_init(&cfg);
		cfg.k = ks[table % 7];
		cfg.buckets_max = bmax[(table / 7) % 7];
		cfg.replacements_max = (uint8_t)(table % 4);
		cfg.fails_bad = (uint8_t)(1 + table % 3);
		cfg.contacts_max = table % 5 == 4 ? 100 : (uint32_t)cfg.k * cfg.buckets_max;
		dtt_env_random(&fe.env, me, 20);
		assert_int_equal(dtt_rt_init(&rt, &cfg, me, now), 0);
		for (unsigned i = 0; i < inserts; i++) {
			struct dtt_addr a = addr_n(i);
			struct dtt_rt_node ping;
			uint64_t r = dtt_rng_next(&fe.rng);
			size_t pre;

			dtt_env_random(&fe.env, id, 20);
			/* share a random prefix with our id, so that deep buckets fill */
			pre = (size_t)(dtt_rng_uniform(&fe.rng, 2) ? r % 40 : r % 161);
			keep_prefix(id, me, pre);
			now += r % 3000;
			/* a third only query us (never confirmed: not eligible) */
			if (dtt_rt_on_heard(&rt, id, &a, now, (r >> 20) % 3 != 0, &ping) &&
			    (r >> 24) % 2) {
				/* half the pings fail, some repeatedly: bad contacts */
				for (unsigned f = 0; f < 1 + (r >> 28) % 3; f++)
					dtt_rt_on_timeout(&rt, ping.id, &ping.addr, now, &ping);
			}
			if ((r >> 32) % 17 == 0) {
				/* a confirmed contact times out, maybe up to bad */
				size_t m = dtt_rt_export(&rt, scratch, RAND_ALL_MAX);

				if (m) {
					struct dtt_rt_node *c = &scratch[(r >> 40) % m];

					for (unsigned f = 0; f < 1 + (r >> 48) % 3; f++)
						dtt_rt_on_timeout(&rt, c->id, &c->addr, now, &ping);
				}
			}
		}
		deep += dtt_rt_bucket_count(&rt) > 8;
		for (int t = 0; t < 60; t++) {
			size_t all, want, got, m;
			uint64_t r = dtt_rng_next(&fe.rng);

			dtt_env_random(&fe.env, target, 20);
			switch (t % 6) {
			case 0: break;					 /* anywhere */
			case 1: keep_prefix(target, me, r % 161); break; /* near us */
			case 2: memcpy(target, me, 20); break;		 /* our id */
			case 3:						 /* a contact */
			case 4:						 /* near one */
				m = dtt_rt_export(&rt, scratch, RAND_ALL_MAX);
				if (m) {
					memcpy(target, scratch[(r >> 8) % m].id, 20);
					if (t % 6 == 4)
						target[19] ^= (uint8_t)(1 + (r >> 40) % 255);
				}
				break;
			default: memset(target, (t / 6) % 2 ? 0xff : 0x00, 20); break;
			}
			all = closest_reference(&rt, target, ref, scratch);
			for (size_t ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
				want = ns[ni] < all ? ns[ni] : all;
				memset(out, 0xee, sizeof(out));
				got = dtt_rt_closest(&rt, target, out, ns[ni]);
				assert_int_equal(got, want);
				for (size_t i = 0; i < got; i++) {
					assert_memory_equal(out[i].id, ref[i].node.id, 20);
					assert_true(dtt_addr_eq(&out[i].addr, &ref[i].node.addr));
				}
				/* nothing written past the count */
				for (size_t i = got; i < ns[ni] && i < 256; i++)
					assert_int_equal(out[i].id[0], 0xee);
				partial += got < all;
				compared++;
			}
			assert_int_equal(dtt_rt_closest(&rt, target, out, 0), 0);
		}
		dtt_rt_deinit(&rt);
		/* a deinitialised table has nothing to hand out */
		assert_int_equal(dtt_rt_closest(&rt, target, out, 8), 0);
	}
	assert_int_equal(compared, 42 * 60 * 11);
	assert_true(deep >= 20);	     /* many tables split deeply */
	assert_true(partial > compared / 2); /* mostly the top-n of a larger table */
}

static bool in_bucket_range(const uint8_t *id, size_t bucket, bool last)
{
	size_t cpl = 0;

	while (cpl < 160 && !((id[cpl / 8] ^ own[cpl / 8]) & (0x80 >> (cpl % 8))))
		cpl++;
	return last ? cpl >= bucket : cpl == bucket;
}

static void test_rt_refresh_due_after_15_min(void **state)
{
	struct fake_env fe;
	struct dtt_rt rt;
	uint8_t id[20], target[20];

	(void)state;
	fake_env_init(&fe, 11, T0, 0);
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	assert_int_equal(dtt_rt_next_refresh_ms(&rt), T0 + MIN15);
	assert_false(dtt_rt_bucket_refresh_due(&rt, &fe.env, T0 + MIN15 - 1, target));
	assert_true(dtt_rt_bucket_refresh_due(&rt, &fe.env, T0 + MIN15, target));
	assert_false(dtt_rt_bucket_refresh_due(&rt, &fe.env, T0 + MIN15, target));
	assert_int_equal(dtt_rt_next_refresh_ms(&rt), T0 + 2 * MIN15);

	/* two buckets: each hands out a random id inside its own range */
	uint64_t t1 = T0 + 2 * MIN15;
	fill_far_bucket(&rt, t1);
	id_cpl(id, 9, 1);
	reply(&rt, id, 900, t1 + 1000); /* bucket 1 changes later than bucket 0 */
	assert_int_equal(dtt_rt_next_refresh_ms(&rt), t1 + 7 + MIN15);
	assert_false(dtt_rt_bucket_refresh_due(&rt, &fe.env, t1 + 7 + MIN15 - 1, target));
	assert_true(dtt_rt_bucket_refresh_due(&rt, &fe.env, t1 + 7 + MIN15, target));
	assert_true(in_bucket_range(target, 0, false));
	assert_false(dtt_rt_bucket_refresh_due(&rt, &fe.env, t1 + 7 + MIN15, target));
	assert_true(dtt_rt_bucket_refresh_due(&rt, &fe.env, t1 + 1000 + MIN15, target));
	assert_true(in_bucket_range(target, 1, true));
	/* every bucket comes due again refresh_ms after it was handed out */
	for (int i = 0; i < 50; i++) {
		uint64_t now = t1 + 1000 + (uint64_t)(2 + i) * MIN15;

		assert_true(dtt_rt_bucket_refresh_due(&rt, &fe.env, now, target));
		assert_true(in_bucket_range(target, 0, false));
		assert_true(dtt_rt_bucket_refresh_due(&rt, &fe.env, now, target));
		assert_true(in_bucket_range(target, 1, true));
	}
	dtt_rt_deinit(&rt);
}

static void test_rt_refresh_targets_deep_buckets(void **state)
{
	struct fake_env fe;
	struct dtt_rt rt;
	struct dtt_rt_config c = cfg_default();
	uint8_t id[20], target[20];
	size_t n;

	(void)state;
	c.k = 1;
	fake_env_init(&fe, 12, T0, 0);
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), 0);
	for (size_t cpl = 0; cpl < 160; cpl++) {
		id_cpl(id, cpl, 0);
		reply(&rt, id, (unsigned)cpl, T0);
	}
	n = dtt_rt_bucket_count(&rt);
	assert_int_equal(n, 160);
	assert_int_equal(dtt_rt_node_count(&rt), 160);
	for (size_t b = 0; b < n; b++) {
		assert_true(dtt_rt_bucket_refresh_due(&rt, &fe.env, T0 + MIN15, target));
		assert_true(in_bucket_range(target, b, b == n - 1));
	}
	assert_false(dtt_rt_bucket_refresh_due(&rt, &fe.env, T0 + MIN15, target));
	dtt_rt_deinit(&rt);
}

static void test_rt_bucket_and_contact_caps(void **state)
{
	struct dtt_rt rt;
	struct dtt_rt_config c = cfg_default();
	struct dtt_rt_info info;
	uint8_t id[20];

	(void)state;
	c.buckets_max = 2;
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), 0);
	for (size_t cpl = 0; cpl < 40; cpl++) {
		id_cpl(id, cpl, 1);
		reply(&rt, id, (unsigned)cpl, T0);
	}
	assert_int_equal(dtt_rt_bucket_count(&rt), 2);
	assert_int_equal(dtt_rt_node_count(&rt), 9);
	dtt_rt_deinit(&rt);

	c = cfg_default();
	c.contacts_max = 5;
	assert_int_equal(dtt_rt_init(&rt, &c, own, T0), 0);
	for (uint16_t i = 0; i < 7; i++) {
		id_cpl(id, 3, i);
		reply(&rt, id, i, T0);
	}
	assert_int_equal(dtt_rt_node_count(&rt), 5);
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_true(info.in_cache);
	dtt_rt_deinit(&rt);
}

static void test_rt_split_survives_allocation_failure(void **state)
{
	struct dtt_alloc_stats before = dtt_alloc_stats(), after;
	struct dtt_rt rt;
	struct dtt_rt_info info;
	uint8_t id[20];

	(void)state;
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), 0);
	for (uint16_t i = 0; i < 8; i++) {
		id_cpl(id, (size_t)(i % 4), i);
		reply(&rt, id, i, T0);
	}
	for (long fail = 0; fail < 2; fail++) {
		/* 0: the bucket cannot be allocated; 1: the bucket array cannot grow */
		dtt_alloc_fail_after(fail);
		id_cpl(id, 6, (uint16_t)(100 + fail));
		reply(&rt, id, 100, T0);
		dtt_alloc_fail_after(-1);
		assert_int_equal(dtt_rt_bucket_count(&rt), 1);
		assert_int_equal(dtt_rt_node_count(&rt), 8);
		assert_true(dtt_rt_get(&rt, id, T0, &info));
		assert_true(info.in_cache);
		assert_int_equal(rt.stats.dropped[DTT_RT_DROP_NOMEM], (uint64_t)fail + 1);
	}
	/* with memory back, the next newcomer splits (twice: the cached ones move in and fill
	 * bucket 1 again) */
	id_cpl(id, 7, 200);
	reply(&rt, id, 200, T0);
	assert_int_equal(dtt_rt_bucket_count(&rt), 3);
	assert_int_equal(rt.stats.splits, 2);
	assert_int_equal(dtt_rt_node_count(&rt), 11);
	id_cpl(id, 6, 100);
	assert_true(dtt_rt_get(&rt, id, T0, &info));
	assert_false(info.in_cache);
	dtt_rt_deinit(&rt);
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
	/* init itself */
	dtt_alloc_fail_after(1);
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), DTT_ERR_NOMEM);
	dtt_alloc_fail_after(0);
	assert_int_equal(dtt_rt_init(&rt, NULL, own, T0), DTT_ERR_NOMEM);
	dtt_alloc_fail_after(-1);
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
}

static void test_rt_is_deterministic(void **state)
{
	struct fake_env fa, fb;
	struct dtt_rt ra, rb;
	struct dtt_rt_node oa[8], ob[8], pa, pb;
	uint8_t id[20], target[20], ta[20], tb[20];

	(void)state;
	fake_env_init(&fa, 99, T0, 0);
	fake_env_init(&fb, 99, T0, 0);
	assert_int_equal(dtt_rt_init(&ra, NULL, own, T0), 0);
	assert_int_equal(dtt_rt_init(&rb, NULL, own, T0), 0);
	for (unsigned i = 0; i < 500; i++) {
		struct dtt_addr a = addr_n(i);
		bool resp = (i % 3) != 0;
		bool wa, wb;

		dtt_env_random(&fa.env, id, 20);
		dtt_env_random(&fb.env, id, 20);
		wa = dtt_rt_on_heard(&ra, id, &a, T0 + i * 5000, resp, &pa);
		wb = dtt_rt_on_heard(&rb, id, &a, T0 + i * 5000, resp, &pb);
		assert_int_equal(wa, wb);
		if (wa)
			assert_memory_equal(pa.id, pb.id, 20);
		if (i % 7 == 0 && wa) {
			struct dtt_rt_node xa, xb;

			assert_int_equal(
			    dtt_rt_on_timeout(&ra, pa.id, &pa.addr, T0 + i * 5000 + 1, &xa),
			    dtt_rt_on_timeout(&rb, pb.id, &pb.addr, T0 + i * 5000 + 1, &xb));
		}
	}
	memset(target, 0x99, 20);
	assert_int_equal(dtt_rt_closest(&ra, target, oa, 8), dtt_rt_closest(&rb, target, ob, 8));
	assert_memory_equal(oa, ob, sizeof(oa));
	assert_int_equal(dtt_rt_bucket_refresh_due(&ra, &fa.env, T0 + 100 * MIN15, ta),
			 dtt_rt_bucket_refresh_due(&rb, &fb.env, T0 + 100 * MIN15, tb));
	assert_memory_equal(ta, tb, 20);
	assert_memory_equal(&ra.stats, &rb.stats, sizeof(ra.stats));
	dtt_rt_deinit(&ra);
	dtt_rt_deinit(&rb);
}

static void test_rt_distance_cmp(void **state)
{
	uint8_t t[20] = {0}, a[20] = {0}, b[20] = {0};

	(void)state;
	a[19] = 1;
	b[0] = 0x80;
	assert_true(dtt_rt_distance_cmp(t, a, b) < 0);
	assert_true(dtt_rt_distance_cmp(t, b, a) > 0);
	assert_int_equal(dtt_rt_distance_cmp(t, a, a), 0);
	t[0] = 0x80; /* now b is at distance 0 */
	assert_true(dtt_rt_distance_cmp(t, b, a) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rt_config_defaults_and_validation),
	    cmocka_unit_test(test_rt_refuses_own_id),
	    cmocka_unit_test(test_rt_splits_own_bucket_when_full),
	    cmocka_unit_test(test_rt_caches_newcomer_when_far_bucket_is_full),
	    cmocka_unit_test(test_rt_replaces_bad_node),
	    cmocka_unit_test(test_rt_bad_node_is_replaced_from_cache),
	    cmocka_unit_test(test_rt_failed_contacts_are_listed_for_recovery_in_turn),
	    cmocka_unit_test(test_rt_node_questionable_after_15_min),
	    cmocka_unit_test(test_rt_unconfirmed_node_is_pinged_and_not_handed_out),
	    cmocka_unit_test(test_rt_full_bucket_asks_to_ping_least_recently_seen),
	    cmocka_unit_test(test_rt_good_contact_keeps_its_address),
	    cmocka_unit_test(test_rt_closest_ordering_exact),
	    cmocka_unit_test(test_rt_closest_matches_brute_force),
	    cmocka_unit_test(test_rt_closest_equals_full_sort_on_random_tables),
	    cmocka_unit_test(test_rt_refresh_due_after_15_min),
	    cmocka_unit_test(test_rt_refresh_targets_deep_buckets),
	    cmocka_unit_test(test_rt_bucket_and_contact_caps),
	    cmocka_unit_test(test_rt_split_survives_allocation_failure),
	    cmocka_unit_test(test_rt_is_deterministic),
	    cmocka_unit_test(test_rt_distance_cmp),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
