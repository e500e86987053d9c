/* bencode.c - strict bencode decoder into a token array, and canonical encoder (BEP 3).
 *
 * The decoder keeps no stack of its own: while a container is open, its token's `next` field
 * holds the index of the enclosing open container and its `ival` the index of its last key
 * (dicts), so nesting costs nothing beyond the tokens themselves. Both are overwritten with
 * their final meaning when the container closes.
 */
#include "bencode.h"

#include <limits.h>

#include "err.h"

#define NONE UINT32_MAX

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

int dtt_bencode_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	size_t n = a_len < b_len ? a_len : b_len;
	int c = n ? memcmp(a, b, n) : 0;

	if (c)
		return c;
	return a_len < b_len ? -1 : a_len > b_len;
}

/* i<dec>e starting at in[*pos] == 'i'. */
static int parse_int(const uint8_t *in, size_t len, size_t *pos, int64_t *out)
{
	size_t p = *pos + 1;
	bool neg = false;
	uint64_t u = 0, limit;

	if (p < len && in[p] == '-') {
		neg = true;
		p++;
	}
	if (p >= len || !is_digit(in[p]))
		return DTT_ERR_MALFORMED; /* ie, i-e, truncated */
	if (in[p] == '0') {
		if (neg)
			return DTT_ERR_MALFORMED; /* -0, -01 */
		p++;                              /* the only number starting with 0 is 0 */
	} else {
		limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		while (p < len && is_digit(in[p])) {
			unsigned d = in[p] - '0';

			if (u > (limit - d) / 10)
				return DTT_ERR_MALFORMED; /* does not fit int64 */
			u = u * 10 + d;
			p++;
		}
	}
	if (p >= len || in[p] != 'e')
		return DTT_ERR_MALFORMED;
	*pos = p + 1;
	if (!neg)
		*out = (int64_t)u;
	else if (u == (uint64_t)INT64_MAX + 1)
		*out = INT64_MIN;
	else
		*out = -(int64_t)u;
	return 0;
}

/* <len>:<bytes> starting at a digit. */
static int parse_str(const uint8_t *in, size_t len, size_t *pos, const uint8_t **s, uint32_t *n)
{
	size_t p = *pos;
	uint64_t u = 0;

	if (in[p] == '0' && p + 1 < len && is_digit(in[p + 1]))
		return DTT_ERR_MALFORMED; /* leading zero */
	while (p < len && is_digit(in[p])) {
		u = u * 10 + (unsigned)(in[p] - '0');
		if (u > len)
			return DTT_ERR_MALFORMED; /* longer than the whole input; stops overflow too */
		p++;
	}
	if (p >= len || in[p] != ':')
		return DTT_ERR_MALFORMED;
	p++;
	if (u > len - p)
		return DTT_ERR_MALFORMED; /* truncated */
	*s = in + p;
	*n = (uint32_t)u;
	*pos = p + (size_t)u;
	return 0;
}

int dtt_bencode_decode(const uint8_t *in, size_t len, struct dtt_bencode_tok *toks,
		       size_t toks_max, unsigned depth_max)
{
	size_t pos = 0;
	uint32_t n = 0, open = NONE;
	unsigned depth = 0;
	int rc;

	if (len > UINT32_MAX)
		return DTT_ERR_TOOBIG;
	if (toks_max > INT_MAX)
		toks_max = INT_MAX;

	for (;;) {
		struct dtt_bencode_tok *t;
		uint8_t c;

		if (pos >= len)
			return DTT_ERR_MALFORMED; /* empty or truncated */
		c = in[pos];

		if (c == 'e') {
			uint32_t parent;

			if (open == NONE)
				return DTT_ERR_MALFORMED;
			t = &toks[open];
			if (t->type == DTT_BENCODE_DICT) {
				if (t->len & 1)
					return DTT_ERR_MALFORMED; /* key without a value */
				t->len /= 2;
			}
			parent = t->next;
			t->next = n;
			t->ival = 0;
			t->end = (uint32_t)++pos;
			open = parent;
			depth--;
		} else {
			bool is_key = false;

			if (n >= toks_max)
				return DTT_ERR_TOOBIG;
			if (open != NONE) {
				struct dtt_bencode_tok *o = &toks[open];

				is_key = o->type == DTT_BENCODE_DICT && !(o->len & 1);
				o->len++;
			}
			t = &toks[n];
			t->start = (uint32_t)pos;
			t->len = 0;

			if (c == 'i') {
				if (is_key)
					return DTT_ERR_MALFORMED;
				rc = parse_int(in, len, &pos, &t->ival);
				if (rc)
					return rc;
				t->type = DTT_BENCODE_INT;
				t->next = ++n;
				t->end = (uint32_t)pos;
			} else if (is_digit(c)) {
				rc = parse_str(in, len, &pos, &t->str, &t->len);
				if (rc)
					return rc;
				t->type = DTT_BENCODE_STR;
				t->end = (uint32_t)pos;
				if (is_key) {
					struct dtt_bencode_tok *o = &toks[open];

					if (o->ival >= 0) {
						const struct dtt_bencode_tok *prev = &toks[o->ival];

						if (dtt_bencode_key_cmp(prev->str, prev->len, t->str,
									t->len) >= 0)
							return DTT_ERR_MALFORMED; /* unsorted/dup */
					}
					o->ival = n;
				}
				t->next = ++n;
			} else if (c == 'l' || c == 'd') {
				if (is_key)
					return DTT_ERR_MALFORMED;
				if (depth >= depth_max)
					return DTT_ERR_TOOBIG;
				depth++;
				t->type = c == 'l' ? DTT_BENCODE_LIST : DTT_BENCODE_DICT;
				t->next = open; /* parent link while open */
				t->ival = -1;   /* no key seen yet */
				open = n++;
				pos++;
				continue;
			} else {
				return DTT_ERR_MALFORMED;
			}
		}
		if (open == NONE)
			break; /* the top-level value is complete */
	}
	if (pos != len)
		return DTT_ERR_MALFORMED; /* trailing bytes */
	return (int)n;
}

int dtt_bencode_dict_get(const struct dtt_bencode_tok *toks, int dict, const void *key,
			 size_t key_len)
{
	if (toks[dict].type != DTT_BENCODE_DICT)
		return -1;
	for (int k = dtt_bencode_first(toks, dict); k >= 0;) {
		int v = k + 1; /* a key is a string: its value follows it directly */
		int c = dtt_bencode_key_cmp(toks[k].str, toks[k].len, key, key_len);

		if (c == 0)
			return v;
		if (c > 0)
			return -1; /* sorted: it cannot come later */
		k = dtt_bencode_next(toks, dict, v);
	}
	return -1;
}

int dtt_bencode_list_get(const struct dtt_bencode_tok *toks, int list, size_t i)
{
	int c = list + 1;

	if (toks[list].type != DTT_BENCODE_LIST || i >= toks[list].len)
		return -1;

	while (i--)
		c = (int)toks[c].next;
	return c;
}

void dtt_bencode_int(struct dtt_wbuf *w, int64_t v)
{
	dtt_wbuf_u8(w, 'i');
	dtt_wbuf_dec(w, v);
	dtt_wbuf_u8(w, 'e');
}

void dtt_bencode_str(struct dtt_wbuf *w, const void *p, size_t len)
{
	if (len > INT64_MAX) {
		w->err = true;
		return;
	}
	dtt_wbuf_dec(w, (int64_t)len);
	dtt_wbuf_u8(w, ':');
	dtt_wbuf_put(w, p, len);
}

void dtt_bencode_cstr(struct dtt_wbuf *w, const char *s)
{
	dtt_bencode_str(w, s, strlen(s));
}

void dtt_bencode_list_begin(struct dtt_wbuf *w)
{
	dtt_wbuf_u8(w, 'l');
}

void dtt_bencode_dict_begin(struct dtt_wbuf *w)
{
	dtt_wbuf_u8(w, 'd');
}

void dtt_bencode_end(struct dtt_wbuf *w)
{
	dtt_wbuf_u8(w, 'e');
}

void dtt_bencode_raw(struct dtt_wbuf *w, const void *p, size_t len)
{
	dtt_wbuf_put(w, p, len);
}
