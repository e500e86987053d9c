/* timer.h - the core's timers: an intrusive pairing heap ordered by (deadline, seq).
 *
 * Arming never allocates: the node is embedded in its owner. Two timers with the same
 * deadline fire in the order they were armed, so every backend (poll loop, simulator) fires
 * the core's timers in exactly the same order.
 */
#ifndef DTT_BASE_TIMER_H
#define DTT_BASE_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtt_timer;
typedef void (*dtt_timer_cb)(struct dtt_timer *t);

struct dtt_timer {
	uint64_t deadline_ms;
	uint64_t seq;
	struct dtt_timer *child, *next, *prev; /* prev is the parent for a first child */
	dtt_timer_cb fn;
	bool armed;
};

struct dtt_timers {
	struct dtt_timer *root;
	uint64_t next_ms; /* root->deadline_ms, or UINT64_MAX when nothing is armed */
	uint64_t seq;
	size_t count;
	uint64_t fired; /* timers run so far */
};

#define DTT_CONTAINER_OF(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

void dtt_timers_init(struct dtt_timers *ts);
void dtt_timer_init(struct dtt_timer *t, dtt_timer_cb fn);
/* Arms (or re-arms) t to fire at deadline_ms; a re-armed timer goes behind equal deadlines. */
void dtt_timer_arm(struct dtt_timers *ts, struct dtt_timer *t, uint64_t deadline_ms);
void dtt_timer_cancel(struct dtt_timers *ts, struct dtt_timer *t); /* no-op if not armed */
static inline bool dtt_timer_is_armed(const struct dtt_timer *t)
{
	return t->armed;
}
/* The earliest deadline, or UINT64_MAX when nothing is armed. */
static inline uint64_t dtt_timers_next_ms(const struct dtt_timers *ts)
{
	return ts->next_ms;
}
/* Fires, in (deadline, seq) order, every timer whose deadline is <= now_ms, including timers
 * armed by callbacks for a time <= now_ms. A timer is disarmed before its callback runs, so the
 * callback may re-arm it. Returns how many fired. */
size_t dtt_timers_run(struct dtt_timers *ts, uint64_t now_ms);

/* The next wait of a doubling backoff after the last one: first when there was none (0), else
 * twice the last, and never more than cap. */
static inline uint32_t dtt_backoff_next_ms(uint32_t last_ms, uint32_t first_ms, uint32_t cap_ms)
{
	uint64_t w = last_ms ? 2 * (uint64_t)last_ms : first_ms;

	return (uint32_t)(w < cap_ms ? w : cap_ms);
}

#endif
