/* test_memo.c - the BEP 44 signature-check memo (verify_memo.h): the same answers as
 * dtt_bep44_verify for every input (the BEP 44 vectors, each field altered, size limits,
 * random mixes through tiny tables), hits and evictions counted, allocation failures, a
 * storing node's step 4 through a shared memo, and a swarm that runs byte-identically with
 * and without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "bep44.h"
#include "crypto.h"
#include "dht.h"
#include "err.h"
#include "hex.h"
#include "rng.h"
#include "sim_net.h"
#include "store.h"
#include "verify_memo.h"

#define T0 1000000u

/* BEP 44 test vectors (the same as test_bep44.c). */
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

/* One check's inputs. */
struct item {
	uint8_t sig[64], k[32], salt[DTT_BEP44_SALT_MAX + 1], v[DTT_BEP44_V_MAX + 8];
	size_t salt_len, v_len;
	int64_t seq;
};

static void vec2(struct item *it)
{
	memset(it, 0, sizeof(*it));
	unhex(it->sig, 64, vec2_sig);
	unhex(it->k, 32, vec_pk);
	memcpy(it->salt, "foobar", 6);
	it->salt_len = 6;
	it->seq = 1;
	it->v_len = strlen(vec_value);
	memcpy(it->v, vec_value, it->v_len);
}

static int check(struct dtt_verify_memo *m, const struct item *it)
{
	return dtt_verify_memo_check(m, NULL, it->sig, it->k, it->salt, it->salt_len, it->seq, it->v,
				     it->v_len);
}

static int plain(const struct item *it)
{
	return dtt_bep44_verify(NULL, it->sig, it->k, it->salt, it->salt_len, it->seq, it->v, it->v_len);
}

static void expect_stats(const struct dtt_verify_memo *m, uint64_t checks, uint64_t hits,
			 uint64_t verified, uint64_t replaced)
{
	const struct dtt_verify_memo_stats *s = dtt_verify_memo_stats(m);

	assert_int_equal(s->checks, checks);
	assert_int_equal(s->hits, hits);
	assert_int_equal(s->verified, verified);
	assert_int_equal(s->replaced, replaced);
}

static void test_memo_sizes_round_down_to_a_power_of_two(void **state)
{
	static const struct {
		size_t ask, slots;
	} t[] = {{1, 1}, {2, 2}, {3, 2}, {100, 64}, {65536, 65536}, {100000, 65536}};
	struct dtt_verify_memo *m;

	(void)state;
	assert_null(dtt_verify_memo_new(0));
	assert_null(dtt_verify_memo_new((size_t)DTT_VERIFY_MEMO_SLOTS_MAX + 1));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		m = dtt_verify_memo_new(t[i].ask);
		assert_non_null(m);
		assert_int_equal(dtt_verify_memo_slots(m), t[i].slots);
		expect_stats(m, 0, 0, 0, 0);
		dtt_verify_memo_free(m);
	}
	dtt_verify_memo_free(NULL);
}

static void test_memo_vectors_hit_on_the_second_check(void **state)
{
	struct dtt_verify_memo *m = dtt_verify_memo_new(DTT_VERIFY_MEMO_SLOTS_DEFAULT);
	struct item a, b;

	(void)state;
	assert_non_null(m);
	vec2(&a);
	assert_int_equal(plain(&a), 0);
	assert_int_equal(check(m, &a), 0);
	expect_stats(m, 1, 0, 1, 0);
	assert_int_equal(check(m, &a), 0);
	assert_int_equal(check(m, &a), 0);
	expect_stats(m, 3, 2, 1, 0);
	/* vector 1: no salt; NULL and a zero-length salt are the same check */
	vec2(&b);
	unhex(b.sig, 64, vec1_sig);
	b.salt_len = 0;
	assert_int_equal(check(m, &b), 0);
	expect_stats(m, 4, 2, 2, 0);
	assert_int_equal(dtt_verify_memo_check(m, NULL, b.sig, b.k, NULL, 0, b.seq, b.v, b.v_len), 0);
	expect_stats(m, 5, 3, 2, 0);
	/* NULL memo: plain verification, nothing counted */
	assert_int_equal(check(NULL, &a), 0);
	expect_stats(m, 5, 3, 2, 0);
	dtt_verify_memo_free(m);
}

/* The key covers every input: after the valid vector is cached, each one-field change is a
 * miss that verifies (and fails), and each failure is then remembered as a failure. */
static void test_memo_every_field_is_part_of_the_key(void **state)
{
	struct dtt_verify_memo *m = dtt_verify_memo_new(DTT_VERIFY_MEMO_SLOTS_DEFAULT);
	struct item base, alt[8];
	uint8_t seed[32];
	uint8_t sk[64];
	size_t n = 0;
	uint64_t verified;

	(void)state;
	assert_non_null(m);
	vec2(&base);
	assert_int_equal(check(m, &base), 0);
	alt[n] = base, alt[n].sig[0] ^= 0x01, n++;  /* sig, R half */
	alt[n] = base, alt[n].sig[40] ^= 0x01, n++; /* sig, S half */
	alt[n] = base;				    /* another valid key */
	memset(seed, 7, sizeof(seed));
	dtt_ed25519_seed_keypair(alt[n].k, sk, seed);
	n++;
	alt[n] = base, alt[n].salt[5] = 'R', n++; /* salt bytes */
	alt[n] = base, alt[n].salt_len = 5, n++;  /* salt length */
	alt[n] = base, alt[n].salt_len = 0, n++;  /* no salt (vector 1's signable) */
	alt[n] = base, alt[n].seq = 2, n++;	  /* seq */
	alt[n] = base, alt[n].v[5] = 'w', n++;	  /* v */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(plain(&alt[i]), DTT_ERR_AUTH);
		assert_int_equal(check(m, &alt[i]), DTT_ERR_AUTH);
		verified = dtt_verify_memo_stats(m)->verified;
		assert_int_equal(verified, 2 + i);
	}
	for (size_t i = 0; i < n; i++)
		assert_int_equal(check(m, &alt[i]), DTT_ERR_AUTH); /* negative hits */
	assert_int_equal(check(m, &base), 0);
	expect_stats(m, 1 + 2 * n + 1, n + 1, 1 + n, 0);
	dtt_verify_memo_free(m);
}

static void test_memo_size_limits_are_decided_before_the_table(void **state)
{
	struct dtt_verify_memo *m = dtt_verify_memo_new(16);
	struct item it;

	(void)state;
	assert_non_null(m);
	vec2(&it);
	it.v_len = DTT_BEP44_V_MAX + 1;
	assert_int_equal(plain(&it), DTT_ERR_TOOBIG);
	assert_int_equal(check(m, &it), DTT_ERR_TOOBIG);
	vec2(&it);
	it.salt_len = DTT_BEP44_SALT_MAX + 1;
	assert_int_equal(plain(&it), DTT_ERR_TOOBIG);
	assert_int_equal(check(m, &it), DTT_ERR_TOOBIG);
	expect_stats(m, 0, 0, 0, 0);
	/* at the limits: checked (and invalid, nobody signed these) */
	vec2(&it);
	it.v_len = DTT_BEP44_V_MAX;
	it.salt_len = DTT_BEP44_SALT_MAX;
	assert_int_equal(check(m, &it), DTT_ERR_AUTH);
	assert_int_equal(check(m, &it), DTT_ERR_AUTH);
	expect_stats(m, 2, 1, 1, 0);
	dtt_verify_memo_free(m);
}

/* A one-slot table: every new key replaces the last one, and no stale answer leaks across. */
static void test_memo_collisions_replace_and_stay_correct(void **state)
{
	struct dtt_verify_memo *m = dtt_verify_memo_new(1);
	struct item good, bad;

	(void)state;
	assert_non_null(m);
	vec2(&good);
	bad = good;
	bad.seq = 7;
	assert_int_equal(check(m, &good), 0);
	assert_int_equal(check(m, &bad), DTT_ERR_AUTH);
	assert_int_equal(check(m, &good), 0);
	assert_int_equal(check(m, &good), 0);
	assert_int_equal(check(m, &bad), DTT_ERR_AUTH);
	expect_stats(m, 5, 1, 4, 3);
	dtt_verify_memo_free(m);
}

/* Random sequences of checks over valid and forged items through tables of 1..64 slots give
 * exactly dtt_bep44_verify's answers, and the counters add up. */
static void test_memo_random_mix_matches_plain_verify(void **state)
{
	enum { ITEMS = 48, CHECKS = 3000 };
	static struct item items[ITEMS];
	int want[ITEMS];
	struct dtt_rng rng;
	uint8_t seed[32], sk[64];
	int valid = 0;

	(void)state;
	dtt_rng_seed(&rng, 99);
	for (int i = 0; i < ITEMS; i++) {
		struct item *it = &items[i];
		uint8_t raw[64];
		int n;

		memset(it, 0, sizeof(*it));
		memset(seed, i % 5, sizeof(seed));
		dtt_ed25519_seed_keypair(it->k, sk, seed);
		it->salt_len = (size_t)dtt_rng_uniform(&rng, 3) * 4; /* 0, 4 or 8 */
		dtt_rng_fill(&rng, it->salt, it->salt_len);
		it->seq = (int64_t)dtt_rng_uniform(&rng, 4);
		dtt_rng_fill(&rng, raw, sizeof(raw));
		n = dtt_bep44_string_encode(it->v, sizeof(it->v), raw,
					    (size_t)dtt_rng_uniform(&rng, sizeof(raw)));
		assert_true(n > 0);
		it->v_len = (size_t)n;
		assert_int_equal(
		    dtt_bep44_sign(NULL, it->sig, sk, it->salt, it->salt_len, it->seq, it->v, it->v_len),
		    0);
		switch (i % 4) { /* forge three of four in different ways */
		case 1: it->sig[dtt_rng_uniform(&rng, 64)] ^= 0x20; break;
		case 2: it->seq++; break;
		case 3: it->v[it->v_len - 1] ^= 0x01; break;
		default: break;
		}
		want[i] = plain(it);
		valid += want[i] == 0;
	}
	assert_int_equal(valid, ITEMS / 4);
	for (size_t slots = 1; slots <= 64; slots *= 4) {
		struct dtt_verify_memo *m = dtt_verify_memo_new(slots);
		const struct dtt_verify_memo_stats *s;

		assert_non_null(m);
		for (int c = 0; c < CHECKS; c++) {
			int i = (int)dtt_rng_uniform(&rng, ITEMS);

			assert_int_equal(check(m, &items[i]), want[i]);
		}
		s = dtt_verify_memo_stats(m);
		assert_int_equal(s->checks, CHECKS);
		assert_int_equal(s->hits + s->verified, CHECKS);
		assert_true(s->verified >= (slots < ITEMS ? ITEMS / 2 : 1));
		assert_true(s->replaced <= s->verified);
		if (slots == 1)
			assert_true(s->hits < CHECKS / 8);
		dtt_verify_memo_free(m);
	}
}

static void test_memo_allocation_failures_leak_nothing(void **state)
{
	/* the struct, then both arrays are asked for before either is checked */
	static const uint64_t failures[] = {1, 2, 1};

	(void)state;
	for (long fail = 0; fail < 3; fail++) {
		struct dtt_alloc_stats before = dtt_alloc_stats(), after;

		dtt_alloc_fail_after(fail);
		assert_null(dtt_verify_memo_new(64));
		dtt_alloc_fail_after(-1);
		after = dtt_alloc_stats();
		assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
		assert_int_equal(after.failures - before.failures, failures[fail]);
	}
	dtt_alloc_fail_after(3);
	{
		struct dtt_verify_memo *m = dtt_verify_memo_new(64);

		dtt_alloc_fail_after(-1);
		assert_non_null(m);
		dtt_verify_memo_free(m);
	}
}

/* Two storing nodes share a memo: the second pays for neither the valid put nor the forged
 * one, and both answer exactly as without it. */
static void test_memo_store_step_4_through_a_shared_memo(void **state)
{
	struct dtt_verify_memo *m = dtt_verify_memo_new(256);
	struct dtt_store_config cfg;
	struct dtt_store a, b;
	struct item it;
	struct dtt_store_mutable sm;
	uint8_t target[20];

	(void)state;
	assert_non_null(m);
	dtt_store_config_init(&cfg);
	assert_null(cfg.verify_memo);
	cfg.verify_memo = m;
	assert_int_equal(dtt_store_init(&a, &cfg), 0);
	assert_int_equal(dtt_store_init(&b, &cfg), 0);
	vec2(&it);
	dtt_bep44_mutable_target(target, it.k, it.salt, it.salt_len);
	sm = (struct dtt_store_mutable){.k = it.k,
					.sig = it.sig,
					.salt = it.salt,
					.salt_len = it.salt_len,
					.seq = it.seq,
					.v = it.v,
					.v_len = it.v_len};
	assert_int_equal(dtt_store_put_mutable(&a, true, target, &sm, T0), 0);
	assert_int_equal(dtt_store_put_mutable(&b, true, target, &sm, T0), 0);
	assert_int_equal(dtt_store_count(&a), 1);
	assert_int_equal(dtt_store_count(&b), 1);
	expect_stats(m, 2, 1, 1, 0);
	/* forged: a higher seq under the old signature */
	sm.seq = 2;
	assert_int_equal(dtt_store_put_mutable(&a, true, target, &sm, T0), DTT_BEP44_ERR_BAD_SIG);
	assert_int_equal(dtt_store_put_mutable(&b, true, target, &sm, T0), DTT_BEP44_ERR_BAD_SIG);
	assert_int_equal(a.stats.rejected[DTT_STORE_REJECT_BAD_SIG], 1);
	assert_int_equal(b.stats.rejected[DTT_STORE_REJECT_BAD_SIG], 1);
	expect_stats(m, 4, 2, 2, 0);
	/* steps 1..3 still come first: a bad token never reaches the memo */
	assert_int_equal(dtt_store_put_mutable(&a, false, target, &sm, T0), DTT_BEP44_ERR_PROTOCOL);
	expect_stats(m, 4, 2, 2, 0);
	dtt_store_deinit(&a);
	dtt_store_deinit(&b);
	dtt_verify_memo_free(m);
}

/* ---- a swarm with and without a shared memo ---- */

#define SWARM_N 24

struct run {
	struct sim_net *net;
	struct dtt_dht *d[SWARM_N];
	int boots, done, values;
	int status[8];
	size_t stored[8];
};

static void recv_fn(void *user, const struct dtt_addr *from, const uint8_t *buf, size_t len)
{
	dtt_dht_on_datagram(user, from, buf, len);
}

static void boot_cb(void *ctx, int status, size_t nodes)
{
	struct run *r = ctx;

	(void)nodes;
	assert_int_equal(status, 0);
	r->boots++;
}

static void put_cb(void *ctx, const struct dtt_dht_put_result *res)
{
	struct run *r = ctx;

	r->status[r->done] = res->status;
	r->stored[r->done] = res->stored;
	r->done++;
}

static void value_cb(void *ctx, const struct dtt_dht_value *v)
{
	struct run *r = ctx;

	assert_int_equal(v->str_len, 5);
	assert_memory_equal(v->str, "value", 5);
	r->values++;
}

static void get_cb(void *ctx, const struct dtt_dht_get_result *res)
{
	struct run *r = ctx;

	r->status[r->done] = res->status;
	r->stored[r->done] = res->values;
	r->done++;
}

static bool boots_done(void *ctx)
{
	return ((struct run *)ctx)->boots == SWARM_N - 1;
}

static bool ops_done(void *ctx)
{
	return ((struct run *)ctx)->done == 8;
}

/* Bootstraps a swarm, puts four items from node 3 and gets them from four other nodes.
 * Returns the trace digest; fills r's results. */
static uint64_t swarm_run(struct run *r, struct dtt_verify_memo *memo)
{
	struct dtt_dht_config cfg;
	uint8_t seed[32], pk[32], sk[64], v[16];
	uint64_t digest;
	int vlen = dtt_bep44_string_encode(v, sizeof(v), (const uint8_t *)"value", 5);

	memset(r, 0, sizeof(*r));
	dtt_dht_config_init(&cfg);
	assert_null(cfg.verify_memo);
	cfg.verify_memo = memo;
	r->net = sim_net_new(SWARM_N, 4711, T0, 5);
	assert_non_null(r->net);
	for (size_t i = 0; i < SWARM_N; i++) {
		r->d[i] = dtt_dht_new(sim_net_env(r->net, i), sim_net_timers(r->net, i), &cfg);
		assert_non_null(r->d[i]);
		sim_net_attach(r->net, i, recv_fn, r->d[i]);
	}
	for (size_t i = 1; i < SWARM_N; i++)
		assert_int_equal(dtt_dht_bootstrap(r->d[i], sim_net_addr(r->net, 0), 1, boot_cb, r),
				 0);
	assert_true(sim_net_run_until_done(r->net, T0 + 60000, boots_done, r));
	sim_net_run_until(r->net, sim_net_now(r->net) + 5000);
	memset(seed, 0x42, sizeof(seed));
	dtt_ed25519_seed_keypair(pk, sk, seed);
	for (int i = 0; i < 4; i++) {
		char salt[8];

		snprintf(salt, sizeof(salt), "s%d", i);
		assert_true(dtt_dht_put_mutable(r->d[3], sk, (const uint8_t *)salt, strlen(salt), 1,
						NULL, v, (size_t)vlen, put_cb, r) > 0);
	}
	sim_net_run_until(r->net, sim_net_now(r->net) + 5000);
	for (int i = 0; i < 4; i++) {
		char salt[8];

		snprintf(salt, sizeof(salt), "s%d", i);
		assert_true(dtt_dht_get_mutable(r->d[10 + (size_t)i], pk, (const uint8_t *)salt,
						strlen(salt), value_cb, get_cb, r) > 0);
	}
	assert_true(sim_net_run_until_done(r->net, sim_net_now(r->net) + 60000, ops_done, r));
	sim_net_run_until(r->net, sim_net_now(r->net) + 1000);
	digest = sim_net_stats(r->net)->digest;
	for (size_t i = 0; i < SWARM_N; i++)
		dtt_dht_free(r->d[i]);
	sim_net_free(r->net);
	return digest;
}

static void test_memo_swarm_runs_identically_with_a_shared_memo(void **state)
{
	struct dtt_verify_memo *m = dtt_verify_memo_new(1024);
	static struct run plain_run, memo_run;
	uint64_t d_plain, d_memo;
	const struct dtt_verify_memo_stats *s;

	(void)state;
	assert_non_null(m);
	d_plain = swarm_run(&plain_run, NULL);
	d_memo = swarm_run(&memo_run, m);
	assert_int_equal(d_plain, d_memo);
	assert_int_equal(plain_run.done, 8);
	assert_memory_equal(plain_run.status, memo_run.status, sizeof(plain_run.status));
	assert_memory_equal(plain_run.stored, memo_run.stored, sizeof(plain_run.stored));
	assert_int_equal(plain_run.values, memo_run.values);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(memo_run.status[i], 0);
		assert_true(memo_run.stored[i] >= 1);
	}
	assert_int_equal(memo_run.values, 4);
	/* four distinct items: each verified once by its first storing node, then answered
	 * from the memo for the other storing nodes and for the reader */
	s = dtt_verify_memo_stats(m);
	assert_int_equal(s->verified, 4);
	assert_true(s->checks >= 4 * 2);
	assert_int_equal(s->hits, s->checks - 4);
	dtt_verify_memo_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memo_sizes_round_down_to_a_power_of_two),
	    cmocka_unit_test(test_memo_vectors_hit_on_the_second_check),
	    cmocka_unit_test(test_memo_every_field_is_part_of_the_key),
	    cmocka_unit_test(test_memo_size_limits_are_decided_before_the_table),
	    cmocka_unit_test(test_memo_collisions_replace_and_stay_correct),
	    cmocka_unit_test(test_memo_random_mix_matches_plain_verify),
	    cmocka_unit_test(test_memo_allocation_failures_leak_nothing),
	    cmocka_unit_test(test_memo_store_step_4_through_a_shared_memo),
	    cmocka_unit_test(test_memo_swarm_runs_identically_with_a_shared_memo),
	};

	if (dtt_crypto_init())
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
