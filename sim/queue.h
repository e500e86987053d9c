/* queue.h - the simulator's event queue: a binary min-heap of small entries ordered by
 * (time, key), SIMULATION.md §3.2.
 *
 * An entry is 24 bytes: the event time (simulated microseconds), a key the caller chooses,
 * unique among the entries (so the order is total and the run deterministic; the engine's keys
 * name who scheduled the event and how many it had scheduled before, engine_priv.h), and 8
 * bytes of payload the engine interprets (a kind, a node index and an argument such as a wake
 * generation or an index into the packet pool). Payload data lives out of the heap. The heap
 * grows by doubling up to events_max; it never shrinks during a run.
 */
#ifndef DTT_SIM_QUEUE_H
#define DTT_SIM_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtt_simq_ev {
	uint64_t time_us;
	uint64_t key; /* breaks ties among equal times: unique */
	uint32_t tag; /* kind (top 4 bits) and node index (low 28 bits), see engine.c */
	uint32_t arg;
};

struct dtt_simq {
	struct dtt_simq_ev *heap;
	size_t count;
	size_t cap;
	size_t events_max; /* bound on pending events; a push beyond it fails */
};

/* The queue's order: time, then key. */
static inline bool dtt_simq_ev_less(const struct dtt_simq_ev *a, const struct dtt_simq_ev *b)
{
	return a->time_us < b->time_us || (a->time_us == b->time_us && a->key < b->key);
}

/* An empty queue holding at most events_max entries (0: the default, 2^28). */
void dtt_simq_init(struct dtt_simq *q, size_t events_max);
void dtt_simq_deinit(struct dtt_simq *q);
/* Inserts an event; key must differ from every pending entry's. 0, DTT_ERR_FULL at
 * events_max, or DTT_ERR_NOMEM. */
int dtt_simq_push(struct dtt_simq *q, uint64_t time_us, uint64_t key, uint32_t tag,
		  uint32_t arg);
/* Removes the smallest (time, key) entry into *out. false when empty. */
bool dtt_simq_pop(struct dtt_simq *q, struct dtt_simq_ev *out);
/* The smallest entry without removing it, or NULL when empty. */
static inline const struct dtt_simq_ev *dtt_simq_peek(const struct dtt_simq *q)
{
	return q->count ? &q->heap[0] : NULL;
}

/* The second smallest entry (the smaller of the root's children): the one that pops after
 * the top unless a smaller one is pushed in between. NULL with fewer than two entries. */
static inline const struct dtt_simq_ev *dtt_simq_peek_after(const struct dtt_simq *q)
{
	const struct dtt_simq_ev *h = q->heap;

	if (q->count < 3)
		return q->count == 2 ? &h[1] : NULL;
	return dtt_simq_ev_less(&h[2], &h[1]) ? &h[2] : &h[1];
}

#endif
