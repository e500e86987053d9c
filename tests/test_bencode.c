/* test_bencode.c - the strict bencode decoder and canonical encoder (BEP 3; BEP 44 spans). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "bencode.h"
#include "err.h"

#define TOKS_MAX 64
#define DEPTH_MAX 16

static struct dtt_bencode_tok toks[TOKS_MAX];

static int decode_n(const char *s, size_t len)
{
	return dtt_bencode_decode((const uint8_t *)s, len, toks, TOKS_MAX, DEPTH_MAX);
}

static int decode(const char *s)
{
	return decode_n(s, strlen(s));
}

/* Writes toks[i] (and its descendants) back with the encoder; returns the next index. */
static int reencode(struct dtt_wbuf *w, int i)
{
	const struct dtt_bencode_tok *t = &toks[i];
	int c;

	switch (t->type) {
	case DTT_BENCODE_INT:
		dtt_bencode_int(w, t->ival);
		return i + 1;
	case DTT_BENCODE_STR:
		dtt_bencode_str(w, t->str, t->len);
		return i + 1;
	default:
		if (t->type == DTT_BENCODE_LIST)
			dtt_bencode_list_begin(w);
		else
			dtt_bencode_dict_begin(w);
		for (c = i + 1; c < (int)t->next;)
			c = reencode(w, c);
		dtt_bencode_end(w);
		return c;
	}
}

static void test_bencode_decodes_integers_across_the_int64_range(void **state)
{
	static const struct {
		const char *in;
		int64_t v;
	} cases[] = {
		{"i0e", 0},
		{"i7e", 7},
		{"i-7e", -7},
		{"i1234567890e", 1234567890},
		{"i9223372036854775807e", INT64_MAX},
		{"i-9223372036854775808e", INT64_MIN},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(decode(cases[i].in), 1);
		assert_int_equal(toks[0].type, DTT_BENCODE_INT);
		assert_true(toks[0].ival == cases[i].v);
		assert_int_equal(toks[0].start, 0);
		assert_int_equal(toks[0].end, strlen(cases[i].in));
		assert_int_equal(toks[0].next, 1);
	}
}

static void test_bencode_rejects_noncanonical_integers(void **state)
{
	static const char *const bad[] = {
		"i01e",  "i00e", "i-0e", "i-01e", "i-e", "ie", "i+1e", "i 1e", "i1 e", "i1",
		"i-",	 "i",	 "i1.0e", "i0x1e", "i--1e",
		"i9223372036854775808e",  /* INT64_MAX + 1 */
		"i-9223372036854775809e", /* INT64_MIN - 1 */
		"i99999999999999999999e",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i]), DTT_ERR_MALFORMED);
}

static void test_bencode_decodes_byte_strings_with_any_bytes(void **state)
{
	assert_int_equal(decode("0:"), 1);
	assert_int_equal(toks[0].type, DTT_BENCODE_STR);
	assert_int_equal(toks[0].len, 0);
	assert_int_equal(toks[0].end, 2);

	assert_int_equal(decode_n("5:a\0b\xffz", 7), 1);
	assert_int_equal(toks[0].len, 5);
	assert_memory_equal(toks[0].str, "a\0b\xffz", 5);
	assert_int_equal(toks[0].start, 0);
	assert_int_equal(toks[0].end, 7);
}

static void test_bencode_rejects_bad_string_lengths(void **state)
{
	static const char *const bad[] = {
		"01:a",			 /* leading zero */
		"00:",			 /* leading zero on empty */
		"5:spam",		 /* truncated */
		"99999999999999999999:", /* length overflow */
		"4294967296:x",		 /* longer than the input */
		"4spam",		 /* no colon */
		":",
		"-1:a",
		"1",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(decode(bad[i]), DTT_ERR_MALFORMED);
}

static void test_bencode_rejects_unsorted_and_duplicate_dict_keys(void **state)
{
	assert_int_equal(decode("d1:bi1e1:ai2ee"), DTT_ERR_MALFORMED);  /* unsorted */
	assert_int_equal(decode("d1:ai1e1:ai2ee"), DTT_ERR_MALFORMED);  /* duplicate */
	assert_int_equal(decode("d2:abi1e1:ai2ee"), DTT_ERR_MALFORMED); /* longer before prefix */
	assert_int_equal(decode("d1:\xffi1e1:ai1ee"), DTT_ERR_MALFORMED); /* raw bytes, unsigned */
	/* duplicate keys one level down are caught as well */
	assert_int_equal(decode("d1:ad1:xi1e1:xi1eee"), DTT_ERR_MALFORMED);

	assert_int_equal(decode("d1:ai1e2:abi2ee"), 5);	/* prefix sorts first */
	assert_int_equal(decode("d1:Zi1e1:ai1ee"), 5);	/* 'Z' < 'a' as bytes */
	assert_int_equal(decode("d1:ai1e1:\xffi1ee"), 5);
	assert_int_equal(decode("d0:i0e1:ai1ee"), 5);	/* the empty key is the smallest */
	/* each dict has its own key order */
	assert_int_equal(decode("d1:bd1:zi1ee1:cd1:ai1eee"), 9);
}

static void test_bencode_rejects_non_string_keys_and_missing_values(void **state)
{
	assert_int_equal(decode("di1ei2ee"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("dlei1ee"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("ddei1ee"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("d1:ae"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("d1:ai1e1:be"), DTT_ERR_MALFORMED);
}

static void test_bencode_rejects_trailing_bytes_and_stray_ends(void **state)
{
	assert_int_equal(decode("i1ei2e"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("dex"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("4:spam "), DTT_ERR_MALFORMED);
	assert_int_equal(decode("lee"), DTT_ERR_MALFORMED);
	assert_int_equal(decode("e"), DTT_ERR_MALFORMED);
	assert_int_equal(decode(""), DTT_ERR_MALFORMED);
	assert_int_equal(decode("x"), DTT_ERR_MALFORMED);
	assert_int_equal(decode_n("i1e\0", 4), DTT_ERR_MALFORMED);
}

static void test_bencode_rejects_every_truncation_of_a_message(void **state)
{
	const char *msg = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	size_t len = strlen(msg);

	assert_int_equal(decode_n(msg, len), 11);
	for (size_t n = 0; n < len; n++)
		assert_int_equal(decode_n(msg, n), DTT_ERR_MALFORMED);
}

static void test_bencode_limits_nesting_depth(void **state)
{
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"llllleeeee", 10, toks, TOKS_MAX, 5), 5);
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"llllleeeee", 10, toks, TOKS_MAX, 4),
			 DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"d1:ad1:ali1eeee", 15, toks, TOKS_MAX, 3),
			 6);
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"d1:ad1:ali1eeee", 15, toks, TOKS_MAX, 2),
			 DTT_ERR_TOOBIG);
	/* depth 0 admits only scalars */
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"i1e", 3, toks, TOKS_MAX, 0), 1);
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"le", 2, toks, TOKS_MAX, 0),
			 DTT_ERR_TOOBIG);
	/* siblings do not add up: depth counts nesting, not containers */
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"llelelee", 8, toks, TOKS_MAX, 2), 4);
}

static void test_bencode_limits_token_count(void **state)
{
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"li1ei2ee", 8, toks, 3, 4), 3);
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"li1ei2ee", 8, toks, 2, 4),
			 DTT_ERR_TOOBIG);
	assert_int_equal(dtt_bencode_decode((const uint8_t *)"i1e", 3, toks, 0, 4), DTT_ERR_TOOBIG);
}

static void test_bencode_records_spans_and_skips_of_nested_values(void **state)
{
	const char *in = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	static const struct {
		uint8_t type;
		uint32_t start, end, len, next;
	} want[] = {
		{DTT_BENCODE_DICT, 0, 56, 4, 11}, /* 0 the message */
		{DTT_BENCODE_STR, 1, 4, 1, 2},	  /* 1 "a" */
		{DTT_BENCODE_DICT, 4, 33, 1, 5},  /* 2 {id} */
		{DTT_BENCODE_STR, 5, 9, 2, 4},	  /* 3 "id" */
		{DTT_BENCODE_STR, 9, 32, 20, 5},  /* 4 the id */
		{DTT_BENCODE_STR, 33, 36, 1, 6},  /* 5 "q" */
		{DTT_BENCODE_STR, 36, 42, 4, 7},  /* 6 "ping" */
		{DTT_BENCODE_STR, 42, 45, 1, 8},  /* 7 "t" */
		{DTT_BENCODE_STR, 45, 49, 2, 9},  /* 8 "aa" */
		{DTT_BENCODE_STR, 49, 52, 1, 10}, /* 9 "y" */
		{DTT_BENCODE_STR, 52, 55, 1, 11}, /* 10 "q" */
	};

	assert_int_equal(decode(in), 11);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(toks[i].type, want[i].type);
		assert_int_equal(toks[i].start, want[i].start);
		assert_int_equal(toks[i].end, want[i].end);
		assert_int_equal(toks[i].len, want[i].len);
		assert_int_equal(toks[i].next, want[i].next);
	}
	assert_memory_equal(in + toks[2].start, "d2:id20:abcdefghij0123456789e", 29);
	assert_memory_equal(toks[4].str, "abcdefghij0123456789", 20);
	assert_memory_equal(toks[8].str, "aa", 2);
}

static void test_bencode_records_spans_in_lists_of_containers(void **state)
{
	const char *in = "l4:spamli1eli2eeed1:xi3eee";

	assert_int_equal(decode(in), 9);
	assert_int_equal(toks[0].type, DTT_BENCODE_LIST);
	assert_int_equal(toks[0].len, 3);
	assert_int_equal(toks[0].next, 9);
	assert_int_equal(toks[1].next, 2); /* "spam" */
	assert_int_equal(toks[2].type, DTT_BENCODE_LIST);
	assert_int_equal(toks[2].len, 2);
	assert_int_equal(toks[2].next, 6); /* skips i1e and [i2e] */
	assert_int_equal(toks[2].end - toks[2].start, 10);
	assert_memory_equal(in + toks[2].start, "li1eli2eee", 10);
	assert_int_equal(toks[4].type, DTT_BENCODE_LIST);
	assert_int_equal(toks[4].len, 1);
	assert_int_equal(toks[4].next, 6);
	assert_memory_equal(in + toks[4].start, "li2ee", 5);
	assert_int_equal(toks[6].type, DTT_BENCODE_DICT);
	assert_int_equal(toks[6].len, 1);
	assert_int_equal(toks[6].next, 9);
	assert_int_equal(toks[6].end - toks[6].start, 8);
	assert_memory_equal(in + toks[6].start, "d1:xi3ee", 8);
	assert_true(toks[8].ival == 3);
	assert_int_equal(toks[8].end, strlen(in) - 2);
}

static void test_bencode_dict_get_finds_keys_by_raw_bytes(void **state)
{
	assert_int_equal(decode("d1:ai1e2:abi2e1:bi3e2:idli4eee"), 10);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "a", 1), 2);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "ab", 2), 4);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "b", 1), 6);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "id", 2), 8);
	assert_true(toks[6].ival == 3);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "aa", 2), -1);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "z", 1), -1);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "", 0), -1);
	assert_int_equal(dtt_bencode_dict_get(toks, 8, "a", 1), -1); /* not a dict */
	assert_int_equal(decode("de"), 1);
	assert_int_equal(dtt_bencode_dict_get(toks, 0, "a", 1), -1);
}

static void test_bencode_list_helpers_visit_each_element_once(void **state)
{
	int seen[8], n = 0;

	assert_int_equal(decode("li1eld1:ai2eeei3ee"), 7); /* [1, [{a: 2}], 3] */
	for (DTT_BENCODE_EACH(toks, 0, i))
		seen[n++] = i;
	assert_int_equal(n, 3);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 6);
	assert_int_equal(dtt_bencode_list_get(toks, 0, 0), 1);
	assert_int_equal(dtt_bencode_list_get(toks, 0, 1), 2);
	assert_int_equal(dtt_bencode_list_get(toks, 0, 2), 6);
	assert_int_equal(dtt_bencode_list_get(toks, 0, 3), -1);
	assert_int_equal(dtt_bencode_list_get(toks, 1, 0), -1); /* not a list */

	assert_int_equal(decode("le"), 1);
	assert_int_equal(dtt_bencode_first(toks, 0), -1);
	assert_int_equal(dtt_bencode_list_get(toks, 0, 0), -1);
}

static void test_bencode_encoder_writes_canonical_forms(void **state)
{
	uint8_t buf[256];
	struct dtt_wbuf w;
	const char *want = "d3:bar4:spam3:fooi42e4:listli0ei-1ei9223372036854775807e"
			   "i-9223372036854775808e0:lee1:v3:rawe";

	dtt_wbuf_init(&w, buf, sizeof(buf));
	dtt_bencode_dict_begin(&w);
	dtt_bencode_cstr(&w, "bar");
	dtt_bencode_str(&w, "spam", 4);
	dtt_bencode_cstr(&w, "foo");
	dtt_bencode_int(&w, 42);
	dtt_bencode_cstr(&w, "list");
	dtt_bencode_list_begin(&w);
	dtt_bencode_int(&w, 0);
	dtt_bencode_int(&w, -1);
	dtt_bencode_int(&w, INT64_MAX);
	dtt_bencode_int(&w, INT64_MIN);
	dtt_bencode_str(&w, "", 0);
	dtt_bencode_list_begin(&w);
	dtt_bencode_end(&w);
	dtt_bencode_end(&w);
	dtt_bencode_cstr(&w, "v");
	dtt_bencode_raw(&w, "3:raw", 5);
	dtt_bencode_end(&w);
	assert_false(w.err);
	assert_int_equal(w.len, strlen(want));
	assert_memory_equal(buf, want, w.len);
	assert_int_equal(decode_n((const char *)buf, w.len), 15);
}

static void test_bencode_encoder_sets_error_when_buffer_is_full(void **state)
{
	uint8_t buf[6];
	struct dtt_wbuf w;

	dtt_wbuf_init(&w, buf, sizeof(buf));
	dtt_bencode_str(&w, "spam", 4); /* 6 bytes: fits exactly */
	assert_false(w.err);
	dtt_bencode_end(&w);
	assert_true(w.err);

	dtt_wbuf_init(&w, buf, sizeof(buf));
	dtt_bencode_int(&w, 1234567); /* 9 bytes */
	assert_true(w.err);
}

static void test_bencode_reencodes_canonical_inputs_byte_for_byte(void **state)
{
	static const char *const vectors[] = {
		"i0e",
		"i-42e",
		"0:",
		"4:spam",
		"le",
		"de",
		"l4:spam4:eggse",
		"d3:cow3:moo4:spam4:eggse",
		"d4:spaml1:a1:bee",
		"d9:publisher3:bob17:publisher-webpage15:www.example.com18:publisher.location4:homee",
		"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe",
		"d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re",
		"d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee",
		"lllleeedeli-9223372036854775808eee",
	};
	uint8_t buf[256];
	struct dtt_wbuf w;

	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		size_t len = strlen(vectors[i]);

		assert_true(decode(vectors[i]) > 0);
		dtt_wbuf_init(&w, buf, sizeof(buf));
		assert_int_equal(reencode(&w, 0), (int)toks[0].next);
		assert_false(w.err);
		assert_int_equal(w.len, len);
		assert_memory_equal(buf, vectors[i], len);
	}
}

static void test_bencode_key_cmp_orders_by_bytes_then_length(void **state)
{
	assert_true(dtt_bencode_key_cmp((const uint8_t *)"a", 1, (const uint8_t *)"b", 1) < 0);
	assert_true(dtt_bencode_key_cmp((const uint8_t *)"a", 1, (const uint8_t *)"ab", 2) < 0);
	assert_true(dtt_bencode_key_cmp((const uint8_t *)"ab", 2, (const uint8_t *)"a", 1) > 0);
	assert_true(dtt_bencode_key_cmp((const uint8_t *)"\x80", 1, (const uint8_t *)"\x7f", 1) > 0);
	assert_int_equal(dtt_bencode_key_cmp((const uint8_t *)"id", 2, (const uint8_t *)"id", 2), 0);
	assert_true(dtt_bencode_key_cmp(NULL, 0, (const uint8_t *)"a", 1) < 0);
	assert_int_equal(dtt_bencode_key_cmp(NULL, 0, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bencode_decodes_integers_across_the_int64_range),
		cmocka_unit_test(test_bencode_rejects_noncanonical_integers),
		cmocka_unit_test(test_bencode_decodes_byte_strings_with_any_bytes),
		cmocka_unit_test(test_bencode_rejects_bad_string_lengths),
		cmocka_unit_test(test_bencode_rejects_unsorted_and_duplicate_dict_keys),
		cmocka_unit_test(test_bencode_rejects_non_string_keys_and_missing_values),
		cmocka_unit_test(test_bencode_rejects_trailing_bytes_and_stray_ends),
		cmocka_unit_test(test_bencode_rejects_every_truncation_of_a_message),
		cmocka_unit_test(test_bencode_limits_nesting_depth),
		cmocka_unit_test(test_bencode_limits_token_count),
		cmocka_unit_test(test_bencode_records_spans_and_skips_of_nested_values),
		cmocka_unit_test(test_bencode_records_spans_in_lists_of_containers),
		cmocka_unit_test(test_bencode_dict_get_finds_keys_by_raw_bytes),
		cmocka_unit_test(test_bencode_list_helpers_visit_each_element_once),
		cmocka_unit_test(test_bencode_encoder_writes_canonical_forms),
		cmocka_unit_test(test_bencode_encoder_sets_error_when_buffer_is_full),
		cmocka_unit_test(test_bencode_reencodes_canonical_inputs_byte_for_byte),
		cmocka_unit_test(test_bencode_key_cmp_orders_by_bytes_then_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
