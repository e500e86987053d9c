/* rng.c - xoshiro256** (Blackman & Vigna) seeded with SplitMix64. */
#include "rng.h"

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void dtt_rng_seed(struct dtt_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

void dtt_rng_seed_bytes(struct dtt_rng *r, const uint8_t *seed, size_t len)
{
	uint64_t x = 0x6a09e667f3bcc908ull ^ len;

	for (size_t i = 0; i < len; i++) {
		x ^= (uint64_t)seed[i] << (8 * (i % 8));
		if (i % 8 == 7 || i + 1 == len)
			x = splitmix64(&x);
	}
	dtt_rng_seed(r, x);
}

void dtt_rng_derive(struct dtt_rng *r, uint64_t seed, uint64_t purpose, uint64_t index)
{
	uint64_t x = seed;
	uint64_t a = splitmix64(&x);

	x = a ^ (purpose * 0xd1b54a32d192ed03ull);
	a = splitmix64(&x);
	x = a ^ (index * 0x9e3779b97f4a7c15ull);
	dtt_rng_seed(r, splitmix64(&x));
}

uint64_t dtt_rng_next(struct dtt_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

void dtt_rng_fill(struct dtt_rng *r, uint8_t *buf, size_t len)
{
	while (len) {
		uint64_t v = dtt_rng_next(r);
		size_t n = len < 8 ? len : 8;

		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)(v >> (8 * i));
		buf += n;
		len -= n;
	}
}

uint64_t dtt_rng_uniform(struct dtt_rng *r, uint64_t bound)
{
	uint64_t limit, v;

	if (bound == 0)
		return 0;
	limit = UINT64_MAX - UINT64_MAX % bound;
	do
		v = dtt_rng_next(r);
	while (v >= limit);
	return v % bound;
}

double dtt_rng_double(struct dtt_rng *r)
{
	return (double)(dtt_rng_next(r) >> 11) * 0x1.0p-53;
}
