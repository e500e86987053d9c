/* queue.c - binary min-heap of (time, key) events for the simulator (SIMULATION.md §3.2). */
#include "queue.h"

#include "alloc.h"
#include "err.h"

#define SIMQ_EVENTS_MAX_DEFAULT ((size_t)1 << 28)
#define SIMQ_CAP_MIN		1024

void dtt_simq_init(struct dtt_simq *q, size_t events_max)
{
	q->heap = NULL;
	q->count = 0;
	q->cap = 0;
	q->events_max = events_max ? events_max : SIMQ_EVENTS_MAX_DEFAULT;
}

void dtt_simq_deinit(struct dtt_simq *q)
{
	dtt_free(q->heap);
	q->heap = NULL;
	q->count = q->cap = 0;
}

int dtt_simq_push(struct dtt_simq *q, uint64_t time_us, uint64_t key, uint32_t tag,
		  uint32_t arg)
{
	struct dtt_simq_ev ev = {.time_us = time_us, .key = key, .tag = tag, .arg = arg};
	struct dtt_simq_ev *h;
	size_t i;

	if (q->count >= q->events_max)
		return DTT_ERR_FULL;
	if (q->count == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : SIMQ_CAP_MIN;

		if (cap > q->events_max)
			cap = q->events_max;
		h = dtt_realloc(q->heap, cap * sizeof(*h));
		if (!h)
			return DTT_ERR_NOMEM;
		q->heap = h;
		q->cap = cap;
	}
	h = q->heap;
	/* Sift up: move parents down into the hole until ev fits. */
	i = q->count++;
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!dtt_simq_ev_less(&ev, &h[p]))
			break;
		h[i] = h[p];
		i = p;
	}
	h[i] = ev;
	return 0;
}

bool dtt_simq_pop(struct dtt_simq *q, struct dtt_simq_ev *out)
{
	struct dtt_simq_ev *h = q->heap, last;
	size_t i, n;

	if (!q->count)
		return false;
	*out = h[0];
	n = --q->count;
	if (!n)
		return true;
	last = h[n];
	/* Sift down the former last entry from the root. */
	i = 0;
	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && dtt_simq_ev_less(&h[c + 1], &h[c]))
			c++;
		if (!dtt_simq_ev_less(&h[c], &last))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = last;
	return true;
}
