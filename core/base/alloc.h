/* alloc.h - every allocation of the core goes through here, so tests can fail the Nth
 * allocation and count leaks. Single-threaded, like the rest of the core. */
#ifndef DTT_BASE_ALLOC_H
#define DTT_BASE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *dtt_alloc(size_t size);   /* zeroed memory, or NULL */
void *dtt_realloc(void *p, size_t size); /* as realloc; new bytes are not zeroed */
void dtt_free(void *p);         /* NULL is a no-op */
/* Wipes size bytes (secrets) before freeing. */
void dtt_free_secret(void *p, size_t size);

struct dtt_alloc_stats {
	uint64_t allocs;   /* successful allocations */
	uint64_t frees;    /* frees of non-NULL pointers */
	uint64_t failures; /* allocations failed on purpose */
};

/* Test hook: the next n allocations succeed, then every one fails until reset with -1. */
void dtt_alloc_fail_after(long n);
struct dtt_alloc_stats dtt_alloc_stats(void);

#endif
