/* test_store.c - the BEP 44 item store: validation order and KRPC codes (spec/DHT.md §4),
 * seq/CAS table, equal-seq policies, expiry, items_max, rate limit, allocation failures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "alloc.h"
#include "bep44.h"
#include "crypto.h"
#include "err.h"
#include "store.h"

#define H2 DTT_DHT_ITEM_LIFETIME_MS
#define T0 1000000u

struct signer {
	uint8_t pk[32];
	uint8_t sk[64];
};

/* A mutable put with its own buffers. */
struct mput {
	struct dtt_store_mutable m;
	uint8_t v[1100];
	uint8_t sig[64];
	uint8_t salt[80];
	uint8_t target[20];
};

static struct signer alice, bob;

static void signer_init(struct signer *s, uint8_t b)
{
	uint8_t seed[32];

	memset(seed, b, sizeof(seed));
	dtt_ed25519_seed_keypair(s->pk, s->sk, seed);
}

/* v is a bencoded string of raw_len bytes of fill; salt is salt_len bytes of 's'. Signed
 * (when within the limits) by s. */
static void mput_make(struct mput *p, const struct signer *s, size_t salt_len, int64_t seq,
		      size_t raw_len, uint8_t fill)
{
	uint8_t raw[1100];
	int n;

	memset(p, 0, sizeof(*p));
	memset(raw, fill, raw_len);
	n = dtt_bep44_string_encode(p->v, sizeof(p->v), raw, raw_len);
	assert_true(n > 0);
	memset(p->salt, 's', salt_len);
	p->m.k = s->pk;
	p->m.sig = p->sig;
	p->m.salt = salt_len ? p->salt : NULL;
	p->m.salt_len = salt_len;
	p->m.seq = seq;
	p->m.v = p->v;
	p->m.v_len = (size_t)n;
	if ((size_t)n <= DTT_BEP44_V_MAX && salt_len <= DTT_BEP44_SALT_MAX)
		assert_int_equal(
		    dtt_bep44_sign(NULL, p->sig, s->sk, p->m.salt, salt_len, seq, p->v, (size_t)n), 0);
	dtt_bep44_mutable_target(p->target, s->pk, p->m.salt, salt_len);
}

static void mput_cas(struct mput *p, int64_t cas)
{
	p->m.has_cas = true;
	p->m.cas = cas;
}

static int put(struct dtt_store *st, const struct mput *p, uint64_t now)
{
	return dtt_store_put_mutable(st, true, p->target, &p->m, now);
}

/* The stored item's v equals p's, with p's seq and sig. */
static void assert_holds(const struct dtt_store *st, const struct mput *p, uint64_t now)
{
	struct dtt_store_item it;

	assert_int_equal(dtt_store_get(st, p->target, false, 0, now, &it), 0);
	assert_true(it.is_mutable);
	assert_false(it.omit_v);
	assert_int_equal(it.seq, p->m.seq);
	assert_int_equal(it.v_len, p->m.v_len);
	assert_memory_equal(it.v, p->v, p->m.v_len);
	assert_memory_equal(it.sig, p->sig, 64);
	assert_memory_equal(it.k, p->m.k, 32);
}

static struct dtt_store_config cfg_with(enum dtt_store_equal_seq eq)
{
	struct dtt_store_config c;

	dtt_store_config_init(&c);
	c.equal_seq = eq;
	return c;
}

static void test_store_config_defaults_and_validation(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c;

	(void)state;
	dtt_store_config_init(&c);
	assert_int_equal(c.item_lifetime_ms, 2 * 60 * 60 * 1000);
	assert_int_equal(c.equal_seq, DTT_STORE_LAST_WRITER_WINS);
	assert_int_equal(c.when_full, DTT_STORE_EVICT_SOONEST);
	assert_int_equal(c.items_max, 700);
	c.items_max = 0;
	assert_int_equal(dtt_store_init(&st, &c), DTT_ERR_INVALID);
	dtt_store_config_init(&c);
	c.item_lifetime_ms = 0;
	assert_int_equal(dtt_store_init(&st, &c), DTT_ERR_INVALID);
	dtt_store_config_init(&c);
	c.burst = 0;
	assert_int_equal(dtt_store_init(&st, &c), DTT_ERR_INVALID);
	c.sources_max = 0; /* no rate limit: burst does not matter */
	assert_int_equal(dtt_store_init(&st, &c), 0);
	dtt_store_deinit(&st);
	dtt_store_config_init(&c);
	c.equal_seq = (enum dtt_store_equal_seq)7;
	assert_int_equal(dtt_store_init(&st, &c), DTT_ERR_INVALID);
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	assert_int_equal(dtt_store_count(&st), 0);
	assert_int_equal(dtt_store_next_expiry_ms(&st), UINT64_MAX);
	dtt_store_deinit(&st);
	dtt_store_deinit(&st);
}

static void test_store_keeps_a_copy_and_returns_it(void **state)
{
	struct dtt_store st;
	struct mput p, orig;
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	mput_make(&p, &alice, 32, INT64_MAX, 604, 'r');
	orig = p;
	assert_int_equal(put(&st, &p, T0), 0);
	assert_int_equal(st.stats.stored, 1);
	/* the caller's buffers are reused: the store must not care */
	memset(p.v, 0, sizeof(p.v));
	memset(p.sig, 0, sizeof(p.sig));
	assert_int_equal(dtt_store_get(&st, orig.target, false, 0, T0, &it), 0);
	assert_int_equal(it.v_len, 608);
	assert_memory_equal(it.v, orig.v, 608);
	assert_memory_equal(it.sig, orig.sig, 64);
	assert_memory_equal(it.k, alice.pk, 32);
	assert_int_equal(it.seq, INT64_MAX);
	assert_int_equal(it.expires_ms, T0 + H2);
	/* unknown target */
	orig.target[0] ^= 1;
	assert_int_equal(dtt_store_get(&st, orig.target, false, 0, T0, &it), DTT_ERR_NOTFOUND);
	dtt_store_deinit(&st);
}

static void test_store_bad_token_is_203_first(void **state)
{
	struct dtt_store st;
	struct mput p;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	/* everything else wrong too: the token is checked first */
	mput_make(&p, &alice, 65, -1, 997, 'x');
	p.sig[0] ^= 1;
	assert_int_equal(dtt_store_put_mutable(&st, false, p.target, &p.m, T0), 203);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_TOKEN], 1);
	mput_make(&p, &alice, 0, 1, 10, 'x');
	assert_int_equal(dtt_store_put_mutable(&st, false, p.target, &p.m, T0), 203);
	assert_int_equal(dtt_store_count(&st), 0);
	/* immutable */
	assert_int_equal(dtt_store_put_immutable(&st, false, p.target, p.v, p.m.v_len, T0), 203);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_TOKEN], 3);
	dtt_store_deinit(&st);
}

static void test_store_validation_order(void **state)
{
	struct dtt_store st;
	struct mput p;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	/* v too big beats salt too big and a bad signature */
	mput_make(&p, &alice, 65, 1, 997, 'x');
	assert_int_equal(put(&st, &p, T0), 205);
	/* salt too big beats a bad signature */
	mput_make(&p, &alice, 65, 1, 10, 'x');
	assert_int_equal(put(&st, &p, T0), 207);
	/* a bad signature beats a negative seq */
	mput_make(&p, &alice, 0, -5, 10, 'x');
	p.sig[10] ^= 4;
	assert_int_equal(put(&st, &p, T0), 206);
	/* a well-signed negative seq */
	mput_make(&p, &alice, 0, -5, 10, 'x');
	assert_int_equal(put(&st, &p, T0), 203);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_NEGATIVE_SEQ], 1);
	/* the signature is over exactly (salt, seq, v) by k */
	mput_make(&p, &alice, 8, 3, 10, 'x');
	p.m.seq = 4;
	assert_int_equal(put(&st, &p, T0), 206);
	mput_make(&p, &alice, 8, 3, 10, 'x');
	p.v[5] ^= 1;
	assert_int_equal(put(&st, &p, T0), 206);
	mput_make(&p, &alice, 8, 3, 10, 'x');
	p.m.k = bob.pk; /* signed by alice, claimed by bob */
	dtt_bep44_mutable_target(p.target, bob.pk, p.salt, 8);
	assert_int_equal(put(&st, &p, T0), 206);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_BAD_SIG], 4);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_V_TOO_BIG], 1);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_SALT_TOO_BIG], 1);
	assert_int_equal(dtt_store_count(&st), 0);
	/* caller bugs are not KRPC errors */
	mput_make(&p, &alice, 0, 1, 10, 'x');
	p.m.k = NULL;
	assert_int_equal(put(&st, &p, T0), DTT_ERR_INVALID);
	dtt_store_deinit(&st);
}

static void test_store_size_boundaries(void **state)
{
	struct dtt_store st;
	struct mput p;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	/* bencoded v of exactly 1000 bytes ("996:" + 996) is fine; 1001 is not */
	mput_make(&p, &alice, 0, 1, 996, 'a');
	assert_int_equal(p.m.v_len, 1000);
	assert_int_equal(put(&st, &p, T0), 0);
	assert_holds(&st, &p, T0);
	mput_make(&p, &bob, 0, 1, 997, 'a');
	assert_int_equal(p.m.v_len, 1001);
	assert_int_equal(put(&st, &p, T0), 205);
	/* salt of 64 is fine, 65 is not */
	mput_make(&p, &alice, 64, 1, 10, 'b');
	assert_int_equal(put(&st, &p, T0), 0);
	assert_holds(&st, &p, T0);
	mput_make(&p, &alice, 65, 1, 10, 'b');
	assert_int_equal(put(&st, &p, T0), 207);
	assert_int_equal(dtt_store_count(&st), 2);
	dtt_store_deinit(&st);
}

static void test_store_target_mismatch_is_rejected(void **state)
{
	struct dtt_store st;
	struct mput p;
	uint8_t t[20];
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	/* the token was checked for another target than the item's */
	mput_make(&p, &alice, 4, 1, 10, 'x');
	p.target[7] ^= 0x20;
	assert_int_equal(put(&st, &p, T0), 203);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_TARGET_MISMATCH], 1);
	/* immutable: the target must be SHA-1(v) */
	dtt_bep44_immutable_target(t, (const uint8_t *)"12:Hello World!", 15);
	t[0] ^= 1;
	assert_int_equal(
	    dtt_store_put_immutable(&st, true, t, (const uint8_t *)"12:Hello World!", 15, T0), 203);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_TARGET_MISMATCH], 2);
	assert_int_equal(dtt_store_get(&st, t, false, 0, T0, &it), DTT_ERR_NOTFOUND);
	assert_int_equal(dtt_store_count(&st), 0);
	dtt_store_deinit(&st);
}

static void test_store_immutable_put_and_get(void **state)
{
	struct dtt_store st;
	struct dtt_store_item it;
	uint8_t t[20], want[20], big[1001];
	const uint8_t *v = (const uint8_t *)"12:Hello World!";

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	dtt_bep44_immutable_target(t, v, 15);
	assert_int_equal(dtt_store_put_immutable(&st, true, t, v, 15, T0), 0);
	assert_int_equal(dtt_store_get(&st, t, false, 0, T0, &it), 0);
	assert_false(it.is_mutable);
	assert_int_equal(it.v_len, 15);
	assert_memory_equal(it.v, v, 15);
	assert_null(it.k);
	assert_null(it.sig);
	/* BEP 44 test 3 target */
	static const uint8_t vec3[20] = {0xe5, 0xf9, 0x6f, 0x6f, 0x38, 0x32, 0x0f,
					 0x0f, 0x33, 0x95, 0x9c, 0xb4, 0xd3, 0xd6,
					 0x56, 0x45, 0x21, 0x17, 0xaa, 0xdb};
	memcpy(want, vec3, 20);
	assert_memory_equal(t, want, 20);
	/* a get's seq does not apply to immutable items */
	assert_int_equal(dtt_store_get(&st, t, true, INT64_MAX, T0, &it), 0);
	assert_false(it.omit_v);
	assert_non_null(it.v);
	/* the same put later refreshes the expiry */
	assert_int_equal(dtt_store_put_immutable(&st, true, t, v, 15, T0 + 1000), 0);
	assert_int_equal(st.stats.refreshed, 1);
	assert_int_equal(dtt_store_get(&st, t, false, 0, T0 + H2, &it), 0);
	assert_int_equal(it.expires_ms, T0 + 1000 + H2);
	/* 1001 bytes: 205 */
	memset(big, '1', sizeof(big));
	dtt_bep44_immutable_target(t, big, sizeof(big));
	assert_int_equal(dtt_store_put_immutable(&st, true, t, big, sizeof(big), T0), 205);
	dtt_bep44_immutable_target(t, big, 1000);
	assert_int_equal(dtt_store_put_immutable(&st, true, t, big, 1000, T0), 0);
	assert_int_equal(dtt_store_count(&st), 2);
	dtt_store_deinit(&st);
}

/* The table of the brief: stored seq 5, then each put against it. */
static void test_store_seq_and_cas_table(void **state)
{
	struct dtt_store st;
	struct mput five, p;
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	/* cas is ignored while nothing is stored */
	mput_make(&five, &alice, 0, 5, 20, 'a');
	mput_cas(&five, 77);
	assert_int_equal(put(&st, &five, T0), 0);
	assert_holds(&st, &five, T0);
	five.m.has_cas = false;

	mput_make(&p, &alice, 0, 4, 20, 'b');
	assert_int_equal(put(&st, &p, T0), 302);
	/* cas is checked before seq */
	mput_cas(&p, 4);
	assert_int_equal(put(&st, &p, T0), 301);
	mput_make(&p, &alice, 0, 6, 20, 'c');
	mput_cas(&p, 4);
	assert_int_equal(put(&st, &p, T0), 301);
	mput_cas(&p, 6);
	assert_int_equal(put(&st, &p, T0), 301);
	assert_holds(&st, &five, T0);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_SEQ_LESS], 1);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_CAS], 3);
	/* seq 5, same value: refresh only */
	assert_int_equal(put(&st, &five, T0 + 500), 0);
	assert_int_equal(st.stats.refreshed, 1);
	assert_int_equal(dtt_store_get(&st, five.target, false, 0, T0 + 500, &it), 0);
	assert_int_equal(it.expires_ms, T0 + 500 + H2);
	/* put 6 with cas 5: accepted */
	mput_make(&p, &alice, 0, 6, 20, 'c');
	mput_cas(&p, 5);
	assert_int_equal(put(&st, &p, T0 + 600), 0);
	assert_holds(&st, &p, T0 + 600);
	assert_int_equal(st.stats.updated, 1);
	/* and now 5 is too low */
	assert_int_equal(put(&st, &five, T0 + 700), 302);
	assert_int_equal(dtt_store_count(&st), 1);
	dtt_store_deinit(&st);
}

static void test_store_equal_seq_last_writer_wins(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c = cfg_with(DTT_STORE_LAST_WRITER_WINS);
	struct mput five, other, longer;
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	mput_make(&five, &alice, 32, 5, 20, 'a');
	assert_int_equal(put(&st, &five, T0), 0);
	/* seq 5, another value of the same size: overwritten in place, expiry reset */
	mput_make(&other, &alice, 32, 5, 20, 'b');
	assert_int_equal(put(&st, &other, T0 + 100), 0);
	assert_holds(&st, &other, T0 + 100);
	assert_int_equal(dtt_store_get(&st, five.target, false, 0, T0 + 100, &it), 0);
	assert_int_equal(it.expires_ms, T0 + 100 + H2);
	/* another size: overwritten too */
	mput_make(&longer, &alice, 32, 5, 600, 'c');
	assert_int_equal(put(&st, &longer, T0 + 200), 0);
	assert_holds(&st, &longer, T0 + 200);
	assert_int_equal(st.stats.updated, 2);
	/* the dtt slot: seq = cas = INT64_MAX, many writers, the last one is served */
	mput_make(&five, &bob, 32, INT64_MAX, 604, '1');
	mput_cas(&five, INT64_MAX);
	assert_int_equal(put(&st, &five, T0), 0);
	mput_make(&other, &bob, 32, INT64_MAX, 604, '2');
	mput_cas(&other, INT64_MAX);
	assert_int_equal(put(&st, &other, T0 + 1), 0);
	assert_holds(&st, &other, T0 + 1);
	assert_int_equal(dtt_store_count(&st), 2);
	dtt_store_deinit(&st);
}

static void test_store_equal_seq_first_writer_wins(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c = cfg_with(DTT_STORE_FIRST_WRITER_WINS);
	struct mput five, other;
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	mput_make(&five, &alice, 32, 5, 20, 'a');
	assert_int_equal(put(&st, &five, T0), 0);
	/* seq 5, another value: answered OK, nothing changes (expiry included) */
	mput_make(&other, &alice, 32, 5, 20, 'b');
	assert_int_equal(put(&st, &other, T0 + 100), 0);
	assert_holds(&st, &five, T0 + 100);
	assert_int_equal(st.stats.kept, 1);
	assert_int_equal(st.stats.updated, 0);
	assert_int_equal(dtt_store_get(&st, five.target, false, 0, T0 + 100, &it), 0);
	assert_int_equal(it.expires_ms, T0 + H2);
	/* seq 5, same value: refresh */
	assert_int_equal(put(&st, &five, T0 + 200), 0);
	assert_int_equal(st.stats.refreshed, 1);
	assert_int_equal(dtt_store_get(&st, five.target, false, 0, T0 + 200, &it), 0);
	assert_int_equal(it.expires_ms, T0 + 200 + H2);
	/* a higher seq still replaces */
	mput_make(&other, &alice, 32, 6, 20, 'b');
	assert_int_equal(put(&st, &other, T0 + 300), 0);
	assert_holds(&st, &other, T0 + 300);
	dtt_store_deinit(&st);
}

static void test_store_get_with_seq_omits_v(void **state)
{
	struct dtt_store st;
	struct mput five;
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	mput_make(&five, &alice, 3, 5, 20, 'a');
	assert_int_equal(put(&st, &five, T0), 0);
	assert_int_equal(dtt_store_get(&st, five.target, true, 5, T0, &it), 0);
	assert_true(it.omit_v);
	assert_int_equal(it.seq, 5);
	assert_null(it.v);
	assert_null(it.k);
	assert_null(it.sig);
	assert_int_equal(dtt_store_get(&st, five.target, true, 6, T0, &it), 0);
	assert_true(it.omit_v);
	assert_int_equal(dtt_store_get(&st, five.target, true, 4, T0, &it), 0);
	assert_false(it.omit_v);
	assert_non_null(it.v);
	assert_int_equal(it.seq, 5);
	assert_int_equal(dtt_store_get(&st, five.target, false, 1000, T0, &it), 0);
	assert_false(it.omit_v);
	dtt_store_deinit(&st);
}

static void test_store_items_expire(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c;
	struct mput a, b;
	struct dtt_store_item it;

	(void)state;
	assert_int_equal(dtt_store_init(&st, NULL), 0);
	mput_make(&a, &alice, 1, 1, 20, 'a');
	mput_make(&b, &alice, 2, 1, 20, 'b');
	assert_int_equal(put(&st, &a, T0), 0);
	assert_int_equal(put(&st, &b, T0 + 10), 0);
	assert_int_equal(dtt_store_next_expiry_ms(&st), T0 + H2);
	assert_int_equal(dtt_store_get(&st, a.target, false, 0, T0 + H2 - 1, &it), 0);
	/* invisible from its expiry on, even before expire runs */
	assert_int_equal(dtt_store_get(&st, a.target, false, 0, T0 + H2, &it), DTT_ERR_NOTFOUND);
	assert_int_equal(dtt_store_expire(&st, T0 + H2 - 1), 0);
	assert_int_equal(dtt_store_expire(&st, T0 + H2), 1);
	assert_int_equal(dtt_store_count(&st), 1);
	assert_int_equal(dtt_store_next_expiry_ms(&st), T0 + 10 + H2);
	assert_int_equal(dtt_store_get(&st, b.target, false, 0, T0 + H2, &it), 0);
	/* an expired item does not count as stored: a lower seq is welcome afterwards */
	mput_make(&b, &alice, 2, 0, 20, 'c');
	assert_int_equal(put(&st, &b, T0 + 10 + H2), 0);
	assert_holds(&st, &b, T0 + 10 + H2);
	assert_int_equal(st.stats.expired, 2);
	assert_int_equal(dtt_store_expire(&st, UINT64_MAX), 1);
	assert_int_equal(dtt_store_count(&st), 0);
	dtt_store_deinit(&st);

	/* the lifetime is configurable */
	dtt_store_config_init(&c);
	c.item_lifetime_ms = 5000;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	assert_int_equal(put(&st, &a, T0), 0);
	assert_int_equal(dtt_store_get(&st, a.target, false, 0, T0 + 4999, &it), 0);
	assert_int_equal(it.expires_ms, T0 + 5000);
	assert_int_equal(dtt_store_get(&st, a.target, false, 0, T0 + 5000, &it), DTT_ERR_NOTFOUND);
	dtt_store_deinit(&st);
}

static void test_store_items_max_evicts_soonest_expiry(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c;
	struct mput p[5];
	struct dtt_store_item it;

	(void)state;
	dtt_store_config_init(&c);
	c.items_max = 3;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	for (int i = 0; i < 5; i++)
		mput_make(&p[i], &alice, (size_t)(i + 1), 1, 20, (uint8_t)('a' + i));
	assert_int_equal(put(&st, &p[0], T0 + 30), 0);
	assert_int_equal(put(&st, &p[1], T0 + 10), 0);
	assert_int_equal(put(&st, &p[2], T0 + 20), 0);
	/* p[1] expires first and goes */
	assert_int_equal(put(&st, &p[3], T0 + 40), 0);
	assert_int_equal(dtt_store_count(&st), 3);
	assert_int_equal(st.stats.evicted, 1);
	assert_int_equal(dtt_store_get(&st, p[1].target, false, 0, T0 + 40, &it), DTT_ERR_NOTFOUND);
	assert_holds(&st, &p[0], T0 + 40);
	assert_holds(&st, &p[2], T0 + 40);
	assert_holds(&st, &p[3], T0 + 40);
	/* an update of a stored target needs no room */
	mput_make(&p[0], &alice, 1, 2, 30, 'z');
	assert_int_equal(put(&st, &p[0], T0 + 50), 0);
	assert_int_equal(st.stats.evicted, 1);
	/* expired items go before anything is evicted */
	assert_int_equal(put(&st, &p[4], T0 + 20 + H2), 0);
	assert_int_equal(st.stats.evicted, 1);
	assert_int_equal(st.stats.expired, 1);
	assert_int_equal(dtt_store_count(&st), 3);
	dtt_store_deinit(&st);
}

static void test_store_items_max_refuses_when_configured(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c;
	struct mput p[3];

	(void)state;
	dtt_store_config_init(&c);
	c.items_max = 2;
	c.when_full = DTT_STORE_REFUSE;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	for (int i = 0; i < 3; i++)
		mput_make(&p[i], &bob, (size_t)(i + 1), 1, 20, 'q');
	assert_int_equal(put(&st, &p[0], T0), 0);
	assert_int_equal(put(&st, &p[1], T0), 0);
	assert_int_equal(put(&st, &p[2], T0), DTT_ERR_FULL);
	assert_int_equal(st.stats.rejected[DTT_STORE_REJECT_FULL], 1);
	assert_int_equal(dtt_store_count(&st), 2);
	assert_holds(&st, &p[0], T0);
	assert_holds(&st, &p[1], T0);
	/* refreshes of stored items are still fine */
	assert_int_equal(put(&st, &p[1], T0 + 1), 0);
	dtt_store_deinit(&st);
}

static struct dtt_addr ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct dtt_addr out;
	uint8_t ip[4] = {a, b, c, d};

	dtt_addr_ipv4(&out, ip, port);
	return out;
}

static void test_store_rate_limit_per_source(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c;
	struct dtt_addr a = ip4(203, 0, 113, 1, 1000), a_other_port = ip4(203, 0, 113, 1, 2000);
	struct dtt_addr b = ip4(203, 0, 113, 2, 1000), lo = ip4(127, 0, 0, 5, 1);

	(void)state;
	dtt_store_config_init(&c);
	c.rate_per_s = 2;
	c.burst = 3;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	/* a burst of 3, then dropped; the port does not matter */
	assert_true(dtt_store_rate_allow(&st, &a, T0));
	assert_true(dtt_store_rate_allow(&st, &a_other_port, T0));
	assert_true(dtt_store_rate_allow(&st, &a, T0));
	assert_false(dtt_store_rate_allow(&st, &a, T0));
	assert_false(dtt_store_rate_allow(&st, &a_other_port, T0));
	assert_int_equal(st.stats.rate_limited, 2);
	/* another source has its own bucket */
	assert_true(dtt_store_rate_allow(&st, &b, T0));
	/* 2 per second: one token after 500 ms, not before */
	assert_false(dtt_store_rate_allow(&st, &a, T0 + 499));
	assert_true(dtt_store_rate_allow(&st, &a, T0 + 500));
	assert_false(dtt_store_rate_allow(&st, &a, T0 + 500));
	/* a long silence refills to the burst, no further */
	for (int i = 0; i < 3; i++)
		assert_true(dtt_store_rate_allow(&st, &a, T0 + 3600000));
	assert_false(dtt_store_rate_allow(&st, &a, T0 + 3600000));
	/* loopback is exempt by default */
	for (int i = 0; i < 100; i++)
		assert_true(dtt_store_rate_allow(&st, &lo, T0));
	dtt_store_deinit(&st);

	c.rate_exempt_loopback = false;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	for (int i = 0; i < 3; i++)
		assert_true(dtt_store_rate_allow(&st, &lo, T0));
	assert_false(dtt_store_rate_allow(&st, &lo, T0));
	dtt_store_deinit(&st);

	c.sources_max = 0; /* off */
	assert_int_equal(dtt_store_init(&st, &c), 0);
	for (int i = 0; i < 100; i++)
		assert_true(dtt_store_rate_allow(&st, &a, T0));
	dtt_store_deinit(&st);
}

static void test_store_rate_table_forgets_least_recent_source(void **state)
{
	struct dtt_store st;
	struct dtt_store_config c;
	struct dtt_addr a = ip4(198, 51, 100, 1, 1), b = ip4(198, 51, 100, 2, 1);
	struct dtt_addr d = ip4(198, 51, 100, 3, 1), v6;

	(void)state;
	dtt_store_config_init(&c);
	c.sources_max = 2;
	c.rate_per_s = 0; /* no refill: only forgetting gives tokens back */
	c.burst = 1;
	assert_int_equal(dtt_store_init(&st, &c), 0);
	assert_true(dtt_store_rate_allow(&st, &a, T0));
	assert_true(dtt_store_rate_allow(&st, &b, T0 + 1));
	assert_false(dtt_store_rate_allow(&st, &a, T0 + 2)); /* a is now the most recent */
	assert_true(dtt_store_rate_allow(&st, &d, T0 + 3));  /* forgets b */
	assert_int_equal(st.stats.sources_forgotten, 1);
	assert_int_equal(st.sources_count, 2);
	assert_false(dtt_store_rate_allow(&st, &a, T0 + 4));
	assert_true(dtt_store_rate_allow(&st, &b, T0 + 5)); /* b starts afresh, forgets d */
	assert_false(dtt_store_rate_allow(&st, &a, T0 + 6));
	/* an IPv6 source with the same leading bytes is another source */
	memset(&v6, 0, sizeof(v6));
	v6.family = DTT_AF_INET6;
	memcpy(v6.addr, a.addr, 4);
	assert_true(dtt_store_rate_allow(&st, &v6, T0 + 7));
	dtt_store_deinit(&st);
}

/* Every allocation of a sequence of puts fails in turn: each put either succeeds or returns
 * DTT_ERR_NOMEM with the store exactly as before, and nothing leaks. */
static void test_store_allocation_failure_leaves_store_consistent(void **state)
{
	struct dtt_alloc_stats before = dtt_alloc_stats(), after;
	struct mput p[12], up;
	struct dtt_addr src = ip4(192, 0, 2, 1, 1);
	uint8_t imm[20];
	const uint8_t *iv = (const uint8_t *)"3:abc";

	(void)state;
	for (int i = 0; i < 12; i++)
		mput_make(&p[i], &alice, (size_t)(i + 1), 1, 20 + (size_t)i, 'm');
	mput_make(&up, &alice, 1, 2, 500, 'u'); /* update of p[0] with another size */
	dtt_bep44_immutable_target(imm, iv, 5);
	for (long n = 0; n < 40; n++) {
		struct dtt_store st;
		struct dtt_store_config c;
		size_t expect = 0;
		int rc;

		dtt_store_config_init(&c);
		c.items_max = 10; /* forces growth 8 -> 10 and then evictions */
		c.rate_exempt_loopback = false;
		assert_int_equal(dtt_store_init(&st, &c), 0);
		dtt_alloc_fail_after(n);
		for (int i = 0; i < 12; i++) {
			rc = put(&st, &p[i], T0 + (uint64_t)i);
			if (rc == 0) {
				expect = expect < 10 ? expect + 1 : 10;
				assert_holds(&st, &p[i], T0 + 12);
			} else {
				struct dtt_store_item it;

				assert_int_equal(rc, DTT_ERR_NOMEM);
				assert_int_equal(
				    dtt_store_get(&st, p[i].target, false, 0, T0 + 12, &it),
				    DTT_ERR_NOTFOUND);
			}
			assert_int_equal(dtt_store_count(&st), expect);
		}
		rc = put(&st, &up, T0 + 20);
		if (rc == 0) {
			assert_holds(&st, &up, T0 + 20);
		} else {
			struct dtt_store_item it;

			assert_int_equal(rc, DTT_ERR_NOMEM);
			/* p[0] was evicted or is still there with its old value */
			if (dtt_store_get(&st, up.target, false, 0, T0 + 20, &it) == 0)
				assert_holds(&st, &p[0], T0 + 20);
		}
		rc = dtt_store_put_immutable(&st, true, imm, iv, 5, T0 + 21);
		assert_true(rc == 0 || rc == DTT_ERR_NOMEM);
		(void)dtt_store_rate_allow(&st, &src, T0 + 22);
		dtt_alloc_fail_after(-1);
		/* all is well again afterwards */
		assert_int_equal(dtt_store_put_immutable(&st, true, imm, iv, 5, T0 + 23), 0);
		assert_true(dtt_store_rate_allow(&st, &src, T0 + 23));
		assert_true(dtt_store_count(&st) <= 10);
		dtt_store_deinit(&st);
	}
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, after.frees - before.frees);
	assert_true(after.failures > before.failures);
}

static int setup(void **state)
{
	(void)state;
	if (dtt_crypto_init() != 0)
		return -1;
	signer_init(&alice, 0xa1);
	signer_init(&bob, 0xb0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_config_defaults_and_validation),
	    cmocka_unit_test(test_store_keeps_a_copy_and_returns_it),
	    cmocka_unit_test(test_store_bad_token_is_203_first),
	    cmocka_unit_test(test_store_validation_order),
	    cmocka_unit_test(test_store_size_boundaries),
	    cmocka_unit_test(test_store_target_mismatch_is_rejected),
	    cmocka_unit_test(test_store_immutable_put_and_get),
	    cmocka_unit_test(test_store_seq_and_cas_table),
	    cmocka_unit_test(test_store_equal_seq_last_writer_wins),
	    cmocka_unit_test(test_store_equal_seq_first_writer_wins),
	    cmocka_unit_test(test_store_get_with_seq_omits_v),
	    cmocka_unit_test(test_store_items_expire),
	    cmocka_unit_test(test_store_items_max_evicts_soonest_expiry),
	    cmocka_unit_test(test_store_items_max_refuses_when_configured),
	    cmocka_unit_test(test_store_rate_limit_per_source),
	    cmocka_unit_test(test_store_rate_table_forgets_least_recent_source),
	    cmocka_unit_test(test_store_allocation_failure_leaves_store_consistent),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
