/* fuzz_bencode.c - libFuzzer target for the strict bencode decoder (BEP 3).
 *
 * Properties checked on every input the decoder accepts:
 *   - token invariants: spans nested and inside the input, `next` skips exactly the
 *     descendants, string pointers inside their span, dict keys strictly ascending;
 *   - canonical: re-encoding the tokens gives back the input byte for byte;
 *   - the re-encoding decodes to the same tokens, each token's span decodes on its own to the
 *     same subtree, dict lookups find every key;
 *   - one token fewer than needed gives DTT_ERR_TOOBIG.
 * Rejected inputs must fail with DTT_ERR_MALFORMED or DTT_ERR_TOOBIG only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "bencode.h"
#include "err.h"

#define TOKS_MAX 4096
#define DEPTH_MAX 32
#define OUT_MAX 65536

static struct dtt_bencode_tok toks[TOKS_MAX], toks2[TOKS_MAX], sub[TOKS_MAX];
static uint8_t out[OUT_MAX];

/* Re-encodes toks[i] and its descendants; returns the index after them. */
static int reencode(struct dtt_wbuf *w, int i)
{
	const struct dtt_bencode_tok *t = &toks[i];
	int c = i + 1;

	switch (t->type) {
	case DTT_BENCODE_INT:
		dtt_bencode_int(w, t->ival);
		break;
	case DTT_BENCODE_STR:
		dtt_bencode_str(w, t->str, t->len);
		break;
	case DTT_BENCODE_LIST:
	case DTT_BENCODE_DICT:
		if (t->type == DTT_BENCODE_LIST)
			dtt_bencode_list_begin(w);
		else
			dtt_bencode_dict_begin(w);
		while (c < (int)t->next)
			c = reencode(w, c);
		dtt_bencode_end(w);
		break;
	default:
		abort();
	}
	return c;
}

static void check_tokens(const uint8_t *data, size_t size, int n)
{
	CHECK(toks[0].start == 0 && toks[0].end == size && toks[0].next == (uint32_t)n);
	for (int i = 0; i < n; i++) {
		const struct dtt_bencode_tok *t = &toks[i];
		uint32_t children = 0;

		CHECK(t->start < t->end && t->end <= size);
		CHECK(t->next > (uint32_t)i && t->next <= (uint32_t)n);
		switch (t->type) {
		case DTT_BENCODE_INT:
		case DTT_BENCODE_STR:
			CHECK(t->next == (uint32_t)i + 1);
			if (t->type == DTT_BENCODE_STR) {
				CHECK(t->str == data + t->end - t->len);
				CHECK(t->len < t->end - t->start);
			}
			break;
		case DTT_BENCODE_LIST:
		case DTT_BENCODE_DICT:
			CHECK(data[t->start] == (t->type == DTT_BENCODE_LIST ? 'l' : 'd'));
			CHECK(data[t->end - 1] == 'e');
			for (int c = dtt_bencode_first(toks, i); c >= 0;
			     c = dtt_bencode_next(toks, i, c)) {
				CHECK(toks[c].start >= t->start && toks[c].end < t->end);
				children++;
				if (t->type == DTT_BENCODE_DICT && children % 2 == 1) {
					CHECK(toks[c].type == DTT_BENCODE_STR);
					/* the lookup finds the value right after its key */
					CHECK(dtt_bencode_dict_get(toks, i, toks[c].str,
								   toks[c].len) == c + 1);
				}
			}
			CHECK(children == (t->type == DTT_BENCODE_DICT ? 2 * t->len : t->len));
			if (t->type == DTT_BENCODE_LIST && t->len)
				CHECK(dtt_bencode_list_get(toks, i, t->len - 1) >= 0);
			break;
		default:
			abort();
		}
	}
	/* keys strictly ascending in every dict */
	for (int i = 0; i < n; i++) {
		int prev = -1;

		if (toks[i].type != DTT_BENCODE_DICT)
			continue;
		for (int k = dtt_bencode_first(toks, i); k >= 0;
		     k = dtt_bencode_next(toks, i, k + 1)) {
			if (prev >= 0)
				CHECK(dtt_bencode_key_cmp(toks[prev].str, toks[prev].len, toks[k].str,
							  toks[k].len) < 0);
			prev = k;
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dtt_wbuf w;
	int n, n2;

	n = dtt_bencode_decode(data, size, toks, TOKS_MAX, DEPTH_MAX);
	if (n < 0) {
		CHECK(n == DTT_ERR_MALFORMED || n == DTT_ERR_TOOBIG);
		return 0;
	}
	CHECK(n >= 1);
	check_tokens(data, size, n);

	/* strict means canonical: the re-encoding is the input */
	dtt_wbuf_init(&w, out, sizeof(out));
	CHECK(reencode(&w, 0) == n);
	if (size <= sizeof(out)) {
		CHECK(!w.err && w.len == size && memcmp(out, data, size) == 0);

		n2 = dtt_bencode_decode(out, w.len, toks2, TOKS_MAX, DEPTH_MAX);
		CHECK(n2 == n);
		for (int i = 0; i < n; i++) {
			CHECK(toks2[i].type == toks[i].type && toks2[i].start == toks[i].start &&
			      toks2[i].end == toks[i].end && toks2[i].len == toks[i].len &&
			      toks2[i].next == toks[i].next);
			if (toks[i].type == DTT_BENCODE_INT)
				CHECK(toks2[i].ival == toks[i].ival);
		}
	} else {
		CHECK(w.err);
	}

	/* every span is a value of its own with the same shape */
	for (int i = 0; i < n && i < 256; i++) {
		const struct dtt_bencode_tok *t = &toks[i];
		int m = dtt_bencode_decode(data + t->start, t->end - t->start, sub, TOKS_MAX,
					   DEPTH_MAX);

		CHECK(m == (int)(t->next - (uint32_t)i));
		CHECK(sub[0].type == t->type && sub[0].len == t->len);
	}

	/* one token short */
	CHECK(dtt_bencode_decode(data, size, toks2, (size_t)n - 1, DEPTH_MAX) == DTT_ERR_TOOBIG);
	return 0;
}
