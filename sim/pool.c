/* pool.c - chunked size-class slabs for simulated datagrams in flight (SIMULATION.md §3.3). */
#include "pool.h"

#include <string.h>

#include "alloc.h"

#define CHUNK_SHIFT 8
#define CHUNK	    (1u << CHUNK_SHIFT)
#define CLASS_MIN   128

void dtt_simpool_init(struct dtt_simpool *p, size_t packets_max)
{
	memset(p, 0, sizeof(*p));
	p->packets_max = packets_max ? packets_max : ((size_t)1 << 26);
}

void dtt_simpool_deinit(struct dtt_simpool *p)
{
	for (size_t i = 0; i < p->pkt_chunks_count; i++)
		dtt_free(p->pkt_chunks[i]);
	dtt_free(p->pkt_chunks);
	dtt_free(p->free);
	for (int c = 0; c < DTT_SIMPOOL_CLASSES; c++) {
		struct dtt_simpool_slab *s = &p->slabs[c];

		for (size_t i = 0; i < s->chunks_count; i++)
			dtt_free(s->chunks[i]);
		dtt_free(s->chunks);
		dtt_free(s->free);
	}
	memset(p, 0, sizeof(*p));
}

/* Appends a chunk pointer to *chunks (grown one at a time: chunks are rare). */
static int add_chunk(void ***chunks, size_t *count, size_t chunk_bytes)
{
	void **a = dtt_realloc(*chunks, (*count + 1) * sizeof(*a));
	void *c;

	if (!a)
		return -1;
	*chunks = a;
	c = dtt_alloc(chunk_bytes);
	if (!c)
		return -1;
	a[(*count)++] = c;
	return 0;
}

static int push_free(uint32_t **stack, size_t *count, size_t *cap, uint32_t v)
{
	if (*count == *cap) {
		size_t n = *cap ? *cap * 2 : 256;
		uint32_t *a = dtt_realloc(*stack, n * sizeof(*a));

		if (!a)
			return -1;
		*stack = a;
		*cap = n;
	}
	(*stack)[(*count)++] = v;
	return 0;
}

/* Takes a slot from a free stack or extends the high-water mark by one, adding a chunk when
 * needed. Returns the slot or DTT_SIMPOOL_NONE. */
static uint32_t take_slot(uint32_t *stack, size_t *free_count, uint32_t *used, void ***chunks,
			  size_t *chunks_count, size_t chunk_bytes)
{
	if (*free_count)
		return stack[--*free_count];
	if ((*used >> CHUNK_SHIFT) >= *chunks_count && add_chunk(chunks, chunks_count, chunk_bytes))
		return DTT_SIMPOOL_NONE;
	return (*used)++;
}

static int class_of(size_t len)
{
	int c = 0;

	while ((size_t)CLASS_MIN << c < len)
		c++;
	return c;
}

static inline struct dtt_simpkt *pkt_at(const struct dtt_simpool *p, uint32_t idx)
{
	return (struct dtt_simpkt *)p->pkt_chunks[idx >> CHUNK_SHIFT] + (idx & (CHUNK - 1));
}

uint32_t dtt_simpool_put(struct dtt_simpool *p, uint32_t from, uint32_t to, uint32_t to_inc,
			 const uint8_t *buf, size_t len)
{
	struct dtt_simpool_slab *s;
	struct dtt_simpkt *k;
	uint32_t idx, slot;
	int c;

	if (len == 0 || len > DTT_SIMPOOL_DGRAM_MAX || p->live >= p->packets_max)
		return DTT_SIMPOOL_NONE;
	c = class_of(len);
	s = &p->slabs[c];
	slot = take_slot(s->free, &s->free_count, &s->used, &s->chunks, &s->chunks_count,
			 (size_t)CHUNK * ((size_t)CLASS_MIN << c));
	if (slot == DTT_SIMPOOL_NONE)
		return DTT_SIMPOOL_NONE;
	idx = take_slot(p->free, &p->free_count, &p->used, &p->pkt_chunks, &p->pkt_chunks_count,
			CHUNK * sizeof(struct dtt_simpkt));
	if (idx == DTT_SIMPOOL_NONE) {
		/* a failed push only leaks the slot until the end of the run */
		(void)push_free(&s->free, &s->free_count, &s->free_cap, slot);
		return DTT_SIMPOOL_NONE;
	}
	k = pkt_at(p, idx);
	k->from = from;
	k->to = to;
	k->to_inc = to_inc;
	k->slot = slot;
	k->len = (uint16_t)len;
	k->cls = (uint8_t)c;
	memcpy((uint8_t *)s->chunks[slot >> CHUNK_SHIFT] +
		   (size_t)(slot & (CHUNK - 1)) * ((size_t)CLASS_MIN << c),
	       buf, len);
	if (++p->live > p->live_peak)
		p->live_peak = p->live;
	return idx;
}

const struct dtt_simpkt *dtt_simpool_pkt(const struct dtt_simpool *p, uint32_t idx)
{
	return pkt_at(p, idx);
}

const uint8_t *dtt_simpool_data(const struct dtt_simpool *p, uint32_t idx)
{
	const struct dtt_simpkt *k = pkt_at(p, idx);
	const struct dtt_simpool_slab *s = &p->slabs[k->cls];

	return (const uint8_t *)s->chunks[k->slot >> CHUNK_SHIFT] +
	       (size_t)(k->slot & (CHUNK - 1)) * ((size_t)CLASS_MIN << k->cls);
}

void dtt_simpool_prefetch_header(const struct dtt_simpool *p, uint32_t idx)
{
	__builtin_prefetch(pkt_at(p, idx));
}

void dtt_simpool_prefetch_data(const struct dtt_simpool *p, uint32_t idx)
{
	__builtin_prefetch(dtt_simpool_data(p, idx));
}

void dtt_simpool_release(struct dtt_simpool *p, uint32_t idx)
{
	struct dtt_simpkt *k = pkt_at(p, idx);
	struct dtt_simpool_slab *s = &p->slabs[k->cls];

	/* If a free stack cannot grow the slot leaks until the end of the run; the pool stays
	 * consistent either way. */
	(void)push_free(&s->free, &s->free_count, &s->free_cap, k->slot);
	(void)push_free(&p->free, &p->free_count, &p->free_cap, idx);
	p->live--;
}
