/* pool.h - storage for datagrams in flight in the simulator (SIMULATION.md §3.2, §3.3).
 *
 * The event queue holds 24-byte entries; a delivery event refers to its datagram by an index
 * into this pool. Payload bytes live in size-class slabs (128, 256, ... 2048 bytes) allocated in
 * fixed chunks that never move, so a payload pointer stays valid while the receiving node runs
 * and sends (which may grow the pool). Freed slots are reused LIFO; nothing depends on pointer
 * values. Bounded by packets_max live datagrams.
 */
#ifndef DTT_SIM_POOL_H
#define DTT_SIM_POOL_H

#include <stddef.h>
#include <stdint.h>

#define DTT_SIMPOOL_DGRAM_MAX 2048 /* largest datagram the simulated network carries */
#define DTT_SIMPOOL_CLASSES   5	   /* 128 << 0 .. 128 << 4 */
#define DTT_SIMPOOL_NONE      UINT32_MAX

struct dtt_simpkt {
	uint32_t from;	 /* sender node index */
	uint32_t to;	 /* receiver node index */
	uint32_t to_inc; /* receiver incarnation when sent: a rejoined node never sees it */
	uint32_t slot;	 /* payload slot in its size class */
	uint16_t len;
	uint8_t cls;
};

struct dtt_simpool_slab {
	void **chunks; /* chunks_count chunks of 256 slots each */
	size_t chunks_count;
	uint32_t *free; /* free slot stack */
	size_t free_count, free_cap;
	uint32_t used; /* slots handed out so far (high-water mark) */
};

struct dtt_simpool {
	void **pkt_chunks; /* chunks of 256 struct dtt_simpkt */
	size_t pkt_chunks_count;
	uint32_t *free;
	size_t free_count, free_cap;
	uint32_t used;
	size_t live, live_peak, packets_max;
	struct dtt_simpool_slab slabs[DTT_SIMPOOL_CLASSES];
};

void dtt_simpool_init(struct dtt_simpool *p, size_t packets_max);
void dtt_simpool_deinit(struct dtt_simpool *p);
/* Copies a datagram in. Returns its index, or DTT_SIMPOOL_NONE when len is 0 or above
 * DTT_SIMPOOL_DGRAM_MAX, the pool is full, or memory ran out. */
uint32_t dtt_simpool_put(struct dtt_simpool *p, uint32_t from, uint32_t to, uint32_t to_inc,
			 const uint8_t *buf, size_t len);
/* The header and payload of a live datagram (valid until it is released). */
const struct dtt_simpkt *dtt_simpool_pkt(const struct dtt_simpool *p, uint32_t idx);
const uint8_t *dtt_simpool_data(const struct dtt_simpool *p, uint32_t idx);
/* Hints that a live datagram will be read soon: start loading its header, or the first bytes
 * of its payload (which reads the header). Change nothing. */
void dtt_simpool_prefetch_header(const struct dtt_simpool *p, uint32_t idx);
void dtt_simpool_prefetch_data(const struct dtt_simpool *p, uint32_t idx);
void dtt_simpool_release(struct dtt_simpool *p, uint32_t idx);

#endif
