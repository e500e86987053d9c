/* rng.h - a seeded deterministic stream (xoshiro256** seeded through SplitMix64).
 *
 * Not a source of entropy: it is what the simulator, the fake test env and `--seed` options
 * plug into env->random so that a seed reproduces a run byte for byte.
 */
#ifndef DTT_BASE_RNG_H
#define DTT_BASE_RNG_H

#include <stddef.h>
#include <stdint.h>

struct dtt_rng {
	uint64_t s[4];
};

void dtt_rng_seed(struct dtt_rng *r, uint64_t seed);
/* Seeds from arbitrary bytes (e.g. a 32-byte --seed) by folding them through SplitMix64. */
void dtt_rng_seed_bytes(struct dtt_rng *r, const uint8_t *seed, size_t len);
/* An independent stream for (seed, purpose, index), e.g. one per simulated node. */
void dtt_rng_derive(struct dtt_rng *r, uint64_t seed, uint64_t purpose, uint64_t index);
uint64_t dtt_rng_next(struct dtt_rng *r);
void dtt_rng_fill(struct dtt_rng *r, uint8_t *buf, size_t len);
/* Uniform in [0, bound), without modulo bias; 0 when bound is 0. */
uint64_t dtt_rng_uniform(struct dtt_rng *r, uint64_t bound);
/* Uniform double in [0, 1). */
double dtt_rng_double(struct dtt_rng *r);

#endif
