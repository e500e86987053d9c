/* timer.c - pairing heap of timers keyed by (deadline, seq). */
#include "timer.h"

static bool before(const struct dtt_timer *a, const struct dtt_timer *b)
{
	return a->deadline_ms < b->deadline_ms ||
	       (a->deadline_ms == b->deadline_ms && a->seq < b->seq);
}

/* Links two heap roots; returns the new root. */
static struct dtt_timer *meld(struct dtt_timer *a, struct dtt_timer *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (before(b, a)) {
		struct dtt_timer *t = a;
		a = b;
		b = t;
	}
	b->prev = a;
	b->next = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	a->next = NULL;
	a->prev = NULL;
	return a;
}

/* Two-pass pairing of a sibling list; returns the merged root. */
static struct dtt_timer *merge_pairs(struct dtt_timer *first)
{
	struct dtt_timer *acc = NULL, *pairs = NULL;

	/* pass 1: meld siblings pairwise, chaining the results in reverse through next */
	while (first) {
		struct dtt_timer *a = first, *b = first->next, *rest = NULL, *m;

		if (b) {
			rest = b->next;
			b->next = b->prev = NULL;
		}
		a->next = a->prev = NULL;
		m = meld(a, b);
		m->next = pairs;
		pairs = m;
		first = rest;
	}
	/* pass 2: meld the results from last to first */
	while (pairs) {
		struct dtt_timer *n = pairs->next;

		pairs->next = NULL;
		acc = meld(acc, pairs);
		pairs = n;
	}
	return acc;
}

/* The root changed: remember its deadline, so the next deadline is read without it. */
static void set_root(struct dtt_timers *ts, struct dtt_timer *root)
{
	ts->root = root;
	ts->next_ms = root ? root->deadline_ms : UINT64_MAX;
}

void dtt_timers_init(struct dtt_timers *ts)
{
	set_root(ts, NULL);
	ts->seq = 0;
	ts->count = 0;
	ts->fired = 0;
}

void dtt_timer_init(struct dtt_timer *t, dtt_timer_cb fn)
{
	t->deadline_ms = 0;
	t->seq = 0;
	t->child = t->next = t->prev = NULL;
	t->fn = fn;
	t->armed = false;
}

void dtt_timer_cancel(struct dtt_timers *ts, struct dtt_timer *t)
{
	if (!t->armed)
		return;
	if (t == ts->root) {
		set_root(ts, merge_pairs(t->child));
	} else {
		/* unlink t from its parent's child list or from its left sibling */
		if (t->prev->child == t)
			t->prev->child = t->next;
		else
			t->prev->next = t->next;
		if (t->next)
			t->next->prev = t->prev;
		t->next = t->prev = NULL;
		set_root(ts, meld(ts->root, merge_pairs(t->child)));
	}
	t->child = t->next = t->prev = NULL;
	t->armed = false;
	ts->count--;
}

void dtt_timer_arm(struct dtt_timers *ts, struct dtt_timer *t, uint64_t deadline_ms)
{
	dtt_timer_cancel(ts, t);
	t->deadline_ms = deadline_ms;
	t->seq = ts->seq++;
	t->child = t->next = t->prev = NULL;
	t->armed = true;
	set_root(ts, meld(ts->root, t));
	ts->count++;
}

size_t dtt_timers_run(struct dtt_timers *ts, uint64_t now_ms)
{
	size_t n = 0;

	while (ts->root && ts->next_ms <= now_ms) {
		struct dtt_timer *t = ts->root;

		dtt_timer_cancel(ts, t);
		n++;
		ts->fired++;
		t->fn(t);
	}
	return n;
}
