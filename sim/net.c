/* net.c - simulated network model: hashed per-pair latency, jitter, loss, duplication and
 * partition labels (SIMULATION.md §3.5). */
#include "net.h"

#include <math.h>
#include <string.h>

#include "alloc.h"
#include "err.h"

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A double in (0, 1] from 53 bits of h. */
static double unit_open0(uint64_t h)
{
	return (double)((h >> 11) + 1) * 0x1.0p-53;
}

int dtt_simnet_init(struct dtt_simnet *net, uint32_t n, const struct dtt_simnet_latency *lat,
		    uint64_t pair_seed)
{
	memset(net, 0, sizeof(*net));
	net->group = dtt_alloc((n ? n : 1) * sizeof(*net->group));
	if (!net->group)
		return DTT_ERR_NOMEM;
	net->nodes = n;
	net->latency = *lat;
	net->pair_seed = pair_seed;
	return 0;
}

void dtt_simnet_deinit(struct dtt_simnet *net)
{
	dtt_free(net->group);
	net->group = NULL;
}

void dtt_simnet_coordinates(const struct dtt_simnet *net, uint32_t a, double *x, double *y)
{
	/* A constant of its own keeps node hashes apart from the pair hashes. */
	uint64_t h = mix64(net->pair_seed ^ 0xc2b2ae3d27d4eb4full ^ mix64(a));

	*x = (double)(h >> 32) * 0x1.0p-32;
	*y = (double)(h & 0xffffffffu) * 0x1.0p-32;
}

uint64_t dtt_simnet_base_us(const struct dtt_simnet *net, uint32_t a, uint32_t b)
{
	const struct dtt_simnet_latency *l = &net->latency;
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
	uint64_t h1 = mix64(net->pair_seed ^ mix64((lo << 32) | hi));
	uint64_t h2 = mix64(h1 ^ 0x9e3779b97f4a7c15ull);
	double ms;

	switch (l->dist) {
	case DTT_SIMNET_UNIFORM:
		ms = l->min_ms + (l->max_ms - l->min_ms) * (unit_open0(h1) - 0x1.0p-53);
		break;
	case DTT_SIMNET_LOGNORMAL: {
		/* Box-Muller from two hashed uniforms: one N(0,1) draw per pair. */
		double z = sqrt(-2.0 * log(unit_open0(h1))) * cos(2.0 * M_PI * unit_open0(h2));

		ms = l->median_ms * exp(l->sigma * z);
		if (ms < l->min_ms) /* the optional floor (0: none) */
			ms = l->min_ms;
		break;
	}
	case DTT_SIMNET_COORDINATES: {
		double xa, ya, xb, yb;

		dtt_simnet_coordinates(net, a, &xa, &ya);
		dtt_simnet_coordinates(net, b, &xb, &yb);
		ms = l->min_ms + (l->max_ms - l->min_ms) * hypot(xa - xb, ya - yb) * M_SQRT1_2;
		break;
	}
	case DTT_SIMNET_CONSTANT:
	default: ms = l->value_ms; break;
	}
	if (ms < 0)
		ms = 0;
	return (uint64_t)llround(ms * 1000.0);
}

uint64_t dtt_simnet_min_us(const struct dtt_simnet *net)
{
	const struct dtt_simnet_latency *l = &net->latency;
	double ms;

	switch (l->dist) {
	case DTT_SIMNET_UNIFORM:
	case DTT_SIMNET_COORDINATES:
	case DTT_SIMNET_LOGNORMAL: ms = l->min_ms; break;
	case DTT_SIMNET_CONSTANT:
	default: ms = l->value_ms; break;
	}
	/* dtt_simnet_base_us rounds the same way, and rounding keeps the order */
	return ms > 0 ? (uint64_t)llround(ms * 1000.0) : 0;
}

static uint64_t jitter_us(const struct dtt_simnet *net, struct dtt_rng *rng)
{
	if (net->jitter_ms <= 0)
		return 0;
	return (uint64_t)(dtt_rng_double(rng) * net->jitter_ms * 1000.0);
}

int dtt_simnet_route(struct dtt_simnet *net, struct dtt_rng *rng, uint32_t a, uint32_t b,
		     uint64_t delay_us[2])
{
	uint64_t base;
	int n = 1;

	net->stats.sent++;
	if (!dtt_simnet_can_reach(net, a, b)) {
		net->stats.blocked++;
		return 0;
	}
	if (net->loss > 0 && dtt_rng_double(rng) < net->loss) {
		net->stats.lost++;
		return 0;
	}
	base = dtt_simnet_base_us(net, a, b);
	delay_us[0] = base + jitter_us(net, rng);
	if (net->duplicate > 0 && dtt_rng_double(rng) < net->duplicate) {
		delay_us[1] = base + jitter_us(net, rng);
		net->stats.duplicated++;
		n = 2;
	}
	return n;
}

int dtt_simnet_partition(struct dtt_simnet *net, const double *fractions, size_t k,
			 struct dtt_rng *rng)
{
	uint32_t *perm, n = net->nodes, start = 0;
	double acc = 0;

	if (k < 1 || k > DTT_SIMNET_GROUPS_MAX)
		return DTT_ERR_INVALID;
	perm = dtt_alloc((n ? n : 1) * sizeof(*perm));
	if (!perm)
		return DTT_ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		perm[i] = i;
	for (uint32_t i = n; i > 1; i--) { /* Fisher-Yates */
		uint32_t j = (uint32_t)dtt_rng_uniform(rng, i), t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	for (size_t g = 0; g < k; g++) {
		uint32_t end;

		acc += fractions[g];
		end = g + 1 == k ? n : (uint32_t)llround(acc * n);
		if (end > n)
			end = n;
		for (uint32_t i = start; i < end; i++)
			net->group[perm[i]] = (uint16_t)(g + 1);
		if (end > start)
			start = end;
	}
	dtt_free(perm);
	net->partitioned = true;
	return 0;
}

int dtt_simnet_cut(struct dtt_simnet *net, const uint32_t *nodes, size_t n, bool alone)
{
	/* partition labels are 1 .. DTT_SIMNET_GROUPS_MAX: a cut group is 0x7fff, a node alone
	 * 0x8000 + its rank */
	if (alone && n > DTT_SIMNET_ALONE_MAX)
		return DTT_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		net->group[nodes[i]] = alone ? (uint16_t)(0x8000u + i) : (uint16_t)0x7fffu;
	if (n)
		net->partitioned = true;
	return 0;
}

void dtt_simnet_heal(struct dtt_simnet *net)
{
	memset(net->group, 0, (net->nodes ? net->nodes : 1) * sizeof(*net->group));
	net->partitioned = false;
}
