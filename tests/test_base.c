/* test_base.c - core/base: timers, bounded buffers, hex, rng, addresses, allocation, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "buf.h"
#include "env.h"
#include "err.h"
#include "fake_env.h"
#include "hex.h"
#include "log.h"
#include "rng.h"
#include "timer.h"

struct probe {
	struct dtt_timer t;
	int id;
};

static int fired[64];
static size_t fired_count;
static struct dtt_timers *cur_ts;

static void record_fire(struct dtt_timer *t)
{
	fired[fired_count++] = DTT_CONTAINER_OF(t, struct probe, t)->id;
}

static void test_timers_fire_in_deadline_then_arming_order(void **state)
{
	struct dtt_timers ts;
	struct probe p[6];
	const uint64_t deadlines[6] = {30, 10, 20, 10, 30, 5};
	const int expect[6] = {5, 1, 3, 2, 0, 4};

	(void)state;
	dtt_timers_init(&ts);
	fired_count = 0;
	for (int i = 0; i < 6; i++) {
		dtt_timer_init(&p[i].t, record_fire);
		p[i].id = i;
		dtt_timer_arm(&ts, &p[i].t, deadlines[i]);
	}
	assert_int_equal(dtt_timers_next_ms(&ts), 5);
	assert_int_equal(dtt_timers_run(&ts, 4), 0);
	assert_int_equal(dtt_timers_run(&ts, 100), 6);
	assert_int_equal(fired_count, 6);
	assert_memory_equal(fired, expect, sizeof(expect));
	assert_int_equal(dtt_timers_next_ms(&ts), UINT64_MAX);
}

static void test_timers_cancel_and_rearm(void **state)
{
	struct dtt_timers ts;
	struct probe p[4];

	(void)state;
	dtt_timers_init(&ts);
	fired_count = 0;
	for (int i = 0; i < 4; i++) {
		dtt_timer_init(&p[i].t, record_fire);
		p[i].id = i;
		dtt_timer_arm(&ts, &p[i].t, 10 + (uint64_t)i);
	}
	dtt_timer_cancel(&ts, &p[0].t); /* the root */
	assert_int_equal(dtt_timers_next_ms(&ts), 11);
	dtt_timer_cancel(&ts, &p[2].t); /* an inner node */
	dtt_timer_cancel(&ts, &p[2].t); /* twice is a no-op */
	assert_int_equal(dtt_timers_next_ms(&ts), 11);
	dtt_timer_arm(&ts, &p[1].t, 50); /* re-arm moves it behind */
	assert_int_equal(dtt_timers_next_ms(&ts), 13);
	assert_false(dtt_timer_is_armed(&p[0].t));
	assert_int_equal(ts.count, 2);
	dtt_timers_run(&ts, 100);
	assert_int_equal(fired_count, 2);
	assert_int_equal(fired[0], 3);
	assert_int_equal(fired[1], 1);
	/* empty: nothing is due even at the end of time */
	assert_int_equal(dtt_timers_next_ms(&ts), UINT64_MAX);
	assert_int_equal(dtt_timers_run(&ts, UINT64_MAX), 0);
	dtt_timer_arm(&ts, &p[0].t, UINT64_MAX);
	assert_int_equal(dtt_timers_next_ms(&ts), UINT64_MAX);
	assert_int_equal(dtt_timers_run(&ts, UINT64_MAX), 1);
	assert_int_equal(ts.count, 0);
}

static struct probe chain;
static void rearm_once(struct dtt_timer *t)
{
	record_fire(t);
	if (fired_count < 3)
		dtt_timer_arm(cur_ts, t, t->deadline_ms + 1);
}

static void test_timers_callback_may_rearm_itself(void **state)
{
	struct dtt_timers ts;

	(void)state;
	dtt_timers_init(&ts);
	cur_ts = &ts;
	fired_count = 0;
	dtt_timer_init(&chain.t, rearm_once);
	dtt_timer_arm(&ts, &chain.t, 1);
	assert_int_equal(dtt_timers_run(&ts, 2), 2); /* fires at 1 and at 2, not at 3 */
	assert_int_equal(dtt_timers_next_ms(&ts), 3);
	assert_int_equal(dtt_timers_run(&ts, 10), 1);
	assert_int_equal(ts.count, 0);
}

static void test_timers_many_random_match_sorted_order(void **state)
{
	enum { N = 2000 };
	static struct probe p[N];
	static uint64_t order[N];
	struct dtt_timers ts;
	struct dtt_rng rng;
	uint64_t last_deadline = 0, last_seq = 0;
	size_t n = 0;

	(void)state;
	dtt_rng_seed(&rng, 7);
	dtt_timers_init(&ts);
	for (int i = 0; i < N; i++) {
		dtt_timer_init(&p[i].t, record_fire);
		dtt_timer_arm(&ts, &p[i].t, dtt_rng_uniform(&rng, 100));
	}
	for (int i = 0; i < N; i += 3)
		dtt_timer_cancel(&ts, &p[i].t);
	while (ts.root) {
		struct dtt_timer *t = ts.root;

		assert_true(t->deadline_ms > last_deadline ||
			    (t->deadline_ms == last_deadline && t->seq >= last_seq));
		last_deadline = t->deadline_ms;
		last_seq = t->seq;
		dtt_timer_cancel(&ts, t);
		order[n++] = t->deadline_ms;
	}
	assert_int_equal(n, N - (N + 2) / 3);
	(void)order;
}

static void test_buf_reader_is_bounded_and_sticky(void **state)
{
	const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	struct dtt_rbuf r;

	(void)state;
	dtt_rbuf_init(&r, in, sizeof(in));
	assert_int_equal(dtt_rbuf_u8(&r), 1);
	assert_int_equal(dtt_rbuf_be16(&r), 0x0203);
	assert_int_equal(dtt_rbuf_le32(&r), 0x07060504);
	assert_null(dtt_rbuf_get(&r, 4)); /* only 3 left */
	assert_true(r.err);
	assert_int_equal(dtt_rbuf_u8(&r), 0);
	assert_int_equal(dtt_rbuf_left(&r), 0);
}

static void test_buf_writer_is_bounded_and_encodes_endianness(void **state)
{
	uint8_t out[16];
	struct dtt_wbuf w;
	const uint8_t expect[16] = {0x40, 0x81, 0xba, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xba, 0x81, 0x40};

	(void)state;
	dtt_wbuf_init(&w, out, sizeof(out));
	dtt_wbuf_le64(&w, 29000000);
	dtt_wbuf_be64(&w, 29000000);
	assert_false(w.err);
	assert_memory_equal(out, expect, 16);
	dtt_wbuf_u8(&w, 1);
	assert_true(w.err);
	assert_int_equal(w.len, 16);
}

static void test_buf_decimal_covers_extremes(void **state)
{
	uint8_t out[64];
	struct dtt_wbuf w;

	(void)state;
	dtt_wbuf_init(&w, out, sizeof(out));
	dtt_wbuf_dec(&w, INT64_MAX);
	dtt_wbuf_u8(&w, ' ');
	dtt_wbuf_dec(&w, INT64_MIN);
	dtt_wbuf_u8(&w, ' ');
	dtt_wbuf_dec(&w, 0);
	assert_false(w.err);
	assert_int_equal(w.len, strlen("9223372036854775807 -9223372036854775808 0"));
	assert_memory_equal(out, "9223372036854775807 -9223372036854775808 0", w.len);
}

static void test_hex_round_trip_and_rejections(void **state)
{
	uint8_t b[4];
	char s[9];

	(void)state;
	assert_int_equal(dtt_hex_decode(b, 4, " DE ad\nbe\tEF ", 13), 4);
	assert_string_equal(dtt_hex_encode(s, b, 4), "deadbeef");
	assert_int_equal(dtt_hex_decode(b, 4, "abc", 3), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_hex_decode(b, 4, "zz", 2), DTT_ERR_MALFORMED);
	assert_int_equal(dtt_hex_decode(b, 2, "aabbcc", 6), DTT_ERR_TOOBIG);
	assert_int_equal(dtt_hex_decode(b, 4, "", 0), 0);
}

static void test_rng_is_reproducible_and_streams_differ(void **state)
{
	struct dtt_rng a, b, c;
	uint8_t x[32], y[32], z[32];

	(void)state;
	dtt_rng_derive(&a, 1, 2, 3);
	dtt_rng_derive(&b, 1, 2, 3);
	dtt_rng_derive(&c, 1, 2, 4);
	dtt_rng_fill(&a, x, sizeof(x));
	dtt_rng_fill(&b, y, sizeof(y));
	dtt_rng_fill(&c, z, sizeof(z));
	assert_memory_equal(x, y, sizeof(x));
	assert_memory_not_equal(x, z, sizeof(x));
	for (int i = 0; i < 1000; i++)
		assert_true(dtt_rng_uniform(&a, 7) < 7);
	assert_int_equal(dtt_rng_uniform(&a, 0), 0);
}

static void test_addr_parse_format_and_compare(void **state)
{
	struct dtt_addr a, b;
	char s[DTT_ADDR_STR_MAX];

	(void)state;
	assert_int_equal(dtt_addr_parse(&a, "127.0.0.1:6881"), 0);
	assert_string_equal(dtt_addr_str(&a, s), "127.0.0.1:6881");
	assert_int_equal(dtt_addr_parse(&b, "[::1]:80"), 0);
	assert_string_equal(dtt_addr_str(&b, s), "[::1]:80");
	assert_false(dtt_addr_eq(&a, &b));
	assert_int_equal(dtt_addr_parse(&b, "127.0.0.1:6881"), 0);
	assert_true(dtt_addr_eq(&a, &b));
	assert_int_equal(dtt_addr_parse(&a, "127.0.0.1"), DTT_ERR_INVALID);
	assert_int_equal(dtt_addr_parse(&a, "127.0.0.1:70000"), DTT_ERR_INVALID);
	assert_int_equal(dtt_addr_parse(&a, "host:1"), DTT_ERR_INVALID);
	assert_int_equal(dtt_addr_parse(&a, ":1"), DTT_ERR_INVALID);
}

static void test_alloc_fails_on_request_and_counts(void **state)
{
	struct dtt_alloc_stats before = dtt_alloc_stats(), after;
	void *p, *q;

	(void)state;
	dtt_alloc_fail_after(1);
	p = dtt_alloc(8);
	q = dtt_alloc(8);
	dtt_alloc_fail_after(-1);
	assert_non_null(p);
	assert_null(q);
	dtt_free(p);
	dtt_free(NULL);
	after = dtt_alloc_stats();
	assert_int_equal(after.allocs - before.allocs, 1);
	assert_int_equal(after.frees - before.frees, 1);
	assert_int_equal(after.failures - before.failures, 1);
}

static void test_env_minute_and_log_go_through_the_seam(void **state)
{
	struct fake_env f;

	(void)state;
	fake_env_init(&f, 1, 0, 29000000LL * 60000 + 59999);
	assert_int_equal(dtt_env_unix_minute(&f.env), 29000000);
	fake_env_advance(&f, 1);
	assert_int_equal(dtt_env_unix_minute(&f.env), 29000001);
	f.wall_ms = -5;
	assert_int_equal(dtt_env_unix_minute(&f.env), 0);
	dtt_log_info(&f.env, "test", "value %d", 42);
	assert_int_equal(f.log_count, 1);
	assert_string_equal(f.last_log, "test: value 42");
	f.env.log_level = DTT_LOG_WARN;
	dtt_log_debug(&f.env, "test", "hidden");
	assert_int_equal(f.log_count, 1);
	assert_int_equal(dtt_log_level_parse("trace"), DTT_LOG_TRACE);
	assert_int_equal(dtt_log_level_parse("loud"), -1);
}

static void test_strerror_names_every_code(void **state)
{
	(void)state;
	for (int e = 0; e > -DTT_ERR__COUNT; e--)
		assert_string_not_equal(dtt_strerror(e), "unknown error");
	assert_string_equal(dtt_strerror(-1000), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timers_fire_in_deadline_then_arming_order),
		cmocka_unit_test(test_timers_cancel_and_rearm),
		cmocka_unit_test(test_timers_callback_may_rearm_itself),
		cmocka_unit_test(test_timers_many_random_match_sorted_order),
		cmocka_unit_test(test_buf_reader_is_bounded_and_sticky),
		cmocka_unit_test(test_buf_writer_is_bounded_and_encodes_endianness),
		cmocka_unit_test(test_buf_decimal_covers_extremes),
		cmocka_unit_test(test_hex_round_trip_and_rejections),
		cmocka_unit_test(test_rng_is_reproducible_and_streams_differ),
		cmocka_unit_test(test_addr_parse_format_and_compare),
		cmocka_unit_test(test_alloc_fails_on_request_and_counts),
		cmocka_unit_test(test_env_minute_and_log_go_through_the_seam),
		cmocka_unit_test(test_strerror_names_every_code),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
