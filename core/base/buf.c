/* buf.c - bounded byte reader and writer. */
#include "buf.h"

#include <string.h>

const uint8_t *dtt_rbuf_get(struct dtt_rbuf *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

bool dtt_rbuf_copy(struct dtt_rbuf *r, void *out, size_t n)
{
	const uint8_t *p = dtt_rbuf_get(r, n);

	if (!p)
		return false;
	if (n)
		memcpy(out, p, n);
	return true;
}

uint8_t dtt_rbuf_u8(struct dtt_rbuf *r)
{
	const uint8_t *p = dtt_rbuf_get(r, 1);

	return p ? p[0] : 0;
}

uint16_t dtt_rbuf_be16(struct dtt_rbuf *r)
{
	const uint8_t *p = dtt_rbuf_get(r, 2);

	return p ? (uint16_t)((p[0] << 8) | p[1]) : 0;
}

uint32_t dtt_rbuf_le32(struct dtt_rbuf *r)
{
	const uint8_t *p = dtt_rbuf_get(r, 4);

	return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24
		 : 0;
}

uint32_t dtt_rbuf_be32(struct dtt_rbuf *r)
{
	const uint8_t *p = dtt_rbuf_get(r, 4);

	return p ? (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[0] << 24
		 : 0;
}

uint64_t dtt_rbuf_le64(struct dtt_rbuf *r)
{
	const uint8_t *p = dtt_rbuf_get(r, 8);

	return p ? dtt_load_le64(p) : 0;
}

uint64_t dtt_rbuf_be64(struct dtt_rbuf *r)
{
	const uint8_t *p = dtt_rbuf_get(r, 8);

	return p ? dtt_load_be64(p) : 0;
}

uint8_t *dtt_wbuf_reserve(struct dtt_wbuf *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	p = w->p + w->len;
	w->len += n;
	return p;
}

void dtt_wbuf_put(struct dtt_wbuf *w, const void *p, size_t n)
{
	uint8_t *d = dtt_wbuf_reserve(w, n);

	if (d && n)
		memcpy(d, p, n);
}

void dtt_wbuf_u8(struct dtt_wbuf *w, uint8_t v)
{
	dtt_wbuf_put(w, &v, 1);
}

void dtt_wbuf_be16(struct dtt_wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	dtt_wbuf_put(w, b, 2);
}

void dtt_wbuf_le32(struct dtt_wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};

	dtt_wbuf_put(w, b, 4);
}

void dtt_wbuf_be32(struct dtt_wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	dtt_wbuf_put(w, b, 4);
}

void dtt_wbuf_le64(struct dtt_wbuf *w, uint64_t v)
{
	uint8_t b[8];

	dtt_store_le64(b, v);
	dtt_wbuf_put(w, b, 8);
}

void dtt_wbuf_be64(struct dtt_wbuf *w, uint64_t v)
{
	uint8_t b[8];

	dtt_store_be64(b, v);
	dtt_wbuf_put(w, b, 8);
}

void dtt_wbuf_dec(struct dtt_wbuf *w, int64_t v)
{
	char tmp[24];
	size_t n = 0;
	uint64_t u;

	if (v < 0) {
		dtt_wbuf_u8(w, '-');
		u = (uint64_t)(-(v + 1)) + 1; /* no overflow on INT64_MIN */
	} else {
		u = (uint64_t)v;
	}
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		dtt_wbuf_u8(w, (uint8_t)tmp[--n]);
}

void dtt_store_le64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (8 * i));
}

void dtt_store_be64(uint8_t out[8], uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[7 - i] = (uint8_t)(v >> (8 * i));
}

uint64_t dtt_load_le64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | in[i];
	return v;
}

uint64_t dtt_load_be64(const uint8_t in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}
