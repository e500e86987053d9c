/* alloc.c - allocation wrapper with failure injection and counters. */
#include "alloc.h"

#include <stdlib.h>
#include <string.h>
#include <sodium.h>

static struct dtt_alloc_stats stats;
static long fail_after = -1;

static int should_fail(void)
{
	if (fail_after < 0)
		return 0;
	if (fail_after == 0) {
		stats.failures++;
		return 1;
	}
	fail_after--;
	return 0;
}

void *dtt_alloc(size_t size)
{
	void *p;

	if (should_fail())
		return NULL;
	p = calloc(1, size ? size : 1);
	if (p)
		stats.allocs++;
	return p;
}

void *dtt_realloc(void *p, size_t size)
{
	void *q;

	if (should_fail())
		return NULL;
	q = realloc(p, size ? size : 1);
	if (q && !p)
		stats.allocs++;
	return q;
}

void dtt_free(void *p)
{
	if (!p)
		return;
	stats.frees++;
	free(p);
}

void dtt_free_secret(void *p, size_t size)
{
	if (!p)
		return;
	sodium_memzero(p, size);
	dtt_free(p);
}

void dtt_alloc_fail_after(long n)
{
	fail_after = n;
}

struct dtt_alloc_stats dtt_alloc_stats(void)
{
	return stats;
}
