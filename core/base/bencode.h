/* bencode.h - strict, allocation-free bencode decoder and canonical encoder (BEP 3, as used by
 * KRPC in BEP 5 and by BEP 44 values).
 *
 * The decoder fills a caller-provided token array (one token per value, in document order, a
 * container before its children) and never allocates. It accepts only the canonical form:
 *   - integers `i<dec>e`: no leading zeros, no `-0`, no empty digits (`ie`, `i-e`), must fit
 *     int64;
 *   - strings `<len>:<bytes>`: no leading zeros in len, len bounded by the input;
 *   - dict keys are byte strings, sorted strictly ascending by raw bytes (so no duplicates);
 *   - exactly one top-level value, with no bytes after it.
 * Tokens borrow the input: str pointers point into it, so the input must outlive the tokens.
 * The byte span [start, end) of every value is recorded, because BEP 44 hashes and signs the
 * verbatim bencoding of `v`.
 *
 * The encoder writes into a struct dtt_wbuf (buf.h) and checks nothing about order: callers
 * must write dict keys in ascending raw-byte order themselves for the output to be canonical
 * (and accepted by this decoder). A failed write sets the wbuf's sticky error flag.
 */
#ifndef DTT_BASE_BENCODE_H
#define DTT_BASE_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"

enum dtt_bencode_type {
	DTT_BENCODE_INT = 1,
	DTT_BENCODE_STR = 2,
	DTT_BENCODE_LIST = 3,
	DTT_BENCODE_DICT = 4,
};

/* One decoded value. Indices are positions in the token array. */
struct dtt_bencode_tok {
	union {
		const uint8_t *str; /* STR: the bytes, borrowed from the input */
		int64_t ival;       /* INT: the value */
	};
	uint32_t start; /* offset of the value's first byte in the input */
	uint32_t end;   /* offset just past its last byte: the verbatim bencoding is [start, end) */
	uint32_t len;   /* STR: byte count; LIST: elements; DICT: key/value pairs */
	uint32_t next;  /* index just past this value and all its descendants (next sibling) */
	uint8_t type;   /* enum dtt_bencode_type */
};

/* Decodes the single value in in[0..len) into toks.
 *
 * toks_max bounds the number of tokens, depth_max the container nesting (a top-level dict is
 * depth 1; depth_max 0 admits only a scalar). A dict with n pairs is followed by its 2n
 * children in the order key, value, key, value...; a list by its elements. Skipping a value
 * and its descendants is `i = toks[i].next`.
 *
 * Returns the number of tokens written (>= 1), DTT_ERR_MALFORMED for anything that is not
 * canonical bencode (including truncation and trailing bytes), or DTT_ERR_TOOBIG when the
 * token or depth limit is hit (or len exceeds UINT32_MAX). Runs in O(len), no recursion. */
int dtt_bencode_decode(const uint8_t *in, size_t len, struct dtt_bencode_tok *toks,
		       size_t toks_max, unsigned depth_max);

/* Compares two byte strings the way dict keys are ordered: raw bytes, then length. */
int dtt_bencode_key_cmp(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

/* The index of the value stored under key in the dict at toks[dict], or -1 (also when
 * toks[dict] is not a dict). Stops early thanks to the sorted keys. */
int dtt_bencode_dict_get(const struct dtt_bencode_tok *toks, int dict, const void *key,
			 size_t key_len);

/* The i-th element (0-based) of the list at toks[list], or -1. O(i). */
int dtt_bencode_list_get(const struct dtt_bencode_tok *toks, int list, size_t i);

/* Iteration over the children of a container: the first child, or -1 when empty... */
static inline int dtt_bencode_first(const struct dtt_bencode_tok *toks, int c)
{
	return toks[c].len ? c + 1 : -1;
}

/* ...and the sibling after child i inside container c, or -1 after the last one. For a dict
 * this steps key -> value -> key; use dtt_bencode_first/next twice per pair. */
static inline int dtt_bencode_next(const struct dtt_bencode_tok *toks, int c, int i)
{
	uint32_t n = toks[i].next;

	return n < toks[c].next ? (int)n : -1;
}

/* for (DTT_BENCODE_EACH(toks, list, i)) { ... toks[i] ... } */
#define DTT_BENCODE_EACH(toks, c, i)                                                               \
	int i = dtt_bencode_first((toks), (c));                                                    \
	i >= 0;                                                                                    \
	i = dtt_bencode_next((toks), (c), i)

/* True if toks[i] is a byte string equal to s (len bytes). */
static inline bool dtt_bencode_str_eq(const struct dtt_bencode_tok *t, const void *s, size_t len)
{
	return t->type == DTT_BENCODE_STR && t->len == len && (len == 0 || memcmp(t->str, s, len) == 0);
}

/* Encoder: appends to w. Integers and lengths in canonical decimal. */
void dtt_bencode_int(struct dtt_wbuf *w, int64_t v);
void dtt_bencode_str(struct dtt_wbuf *w, const void *p, size_t len);
void dtt_bencode_cstr(struct dtt_wbuf *w, const char *s); /* a NUL-terminated string (keys) */
void dtt_bencode_list_begin(struct dtt_wbuf *w);
void dtt_bencode_dict_begin(struct dtt_wbuf *w);
void dtt_bencode_end(struct dtt_wbuf *w);
/* Appends an already-encoded value verbatim (a BEP 44 `v` span); the caller vouches for it. */
void dtt_bencode_raw(struct dtt_wbuf *w, const void *p, size_t len);

#endif
