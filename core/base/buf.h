/* buf.h - bounded byte reader and writer. Every read or write checks the bound; the first
 * failure sets a sticky error flag, so a codec checks once at the end. */
#ifndef DTT_BASE_BUF_H
#define DTT_BASE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtt_rbuf {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;
};

struct dtt_wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

static inline void dtt_rbuf_init(struct dtt_rbuf *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = false;
}

static inline void dtt_wbuf_init(struct dtt_wbuf *w, uint8_t *p, size_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->err = false;
}

static inline size_t dtt_rbuf_left(const struct dtt_rbuf *r)
{
	return r->err ? 0 : r->len - r->off;
}

/* Readers return 0 (and set err) when the bytes are not there. */
const uint8_t *dtt_rbuf_get(struct dtt_rbuf *r, size_t n); /* n bytes in place, or NULL */
bool dtt_rbuf_copy(struct dtt_rbuf *r, void *out, size_t n);
uint8_t dtt_rbuf_u8(struct dtt_rbuf *r);
uint16_t dtt_rbuf_be16(struct dtt_rbuf *r);
uint32_t dtt_rbuf_le32(struct dtt_rbuf *r);
uint32_t dtt_rbuf_be32(struct dtt_rbuf *r);
uint64_t dtt_rbuf_le64(struct dtt_rbuf *r);
uint64_t dtt_rbuf_be64(struct dtt_rbuf *r);

/* Writers do nothing (and set err) when the bytes do not fit. */
uint8_t *dtt_wbuf_reserve(struct dtt_wbuf *w, size_t n); /* n bytes to fill in, or NULL */
void dtt_wbuf_put(struct dtt_wbuf *w, const void *p, size_t n);
void dtt_wbuf_u8(struct dtt_wbuf *w, uint8_t v);
void dtt_wbuf_be16(struct dtt_wbuf *w, uint16_t v);
void dtt_wbuf_le32(struct dtt_wbuf *w, uint32_t v);
void dtt_wbuf_be32(struct dtt_wbuf *w, uint32_t v);
void dtt_wbuf_le64(struct dtt_wbuf *w, uint64_t v);
void dtt_wbuf_be64(struct dtt_wbuf *w, uint64_t v);
/* Appends the decimal form of v (as bencode writes integers and lengths). */
void dtt_wbuf_dec(struct dtt_wbuf *w, int64_t v);

void dtt_store_le64(uint8_t out[8], uint64_t v);
void dtt_store_be64(uint8_t out[8], uint64_t v);
uint64_t dtt_load_le64(const uint8_t in[8]);
uint64_t dtt_load_be64(const uint8_t in[8]);

#endif
