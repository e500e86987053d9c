/* net.h - the simulated network: per-pair latency, jitter, loss, duplication and partitions
 * (SIMULATION.md §3.5). O(1) state per node: a u16 partition label.
 *
 * Latency of the pair {a, b} (symmetric) is a base value drawn once from the configured
 * distribution by hashing (seed, min(a,b), max(a,b)), so no per-pair table exists, or, with
 * DTT_SIMNET_COORDINATES, the distance of the two nodes' points, each hashed from (seed, node)
 * (so latencies obey the triangle inequality, as geography does), plus a per-datagram jitter
 * drawn uniformly in [0, jitter). Loss and duplication are Bernoulli draws
 * per datagram from a random stream the caller passes (the engine's: the sender's own, so what
 * happens to one node's datagrams does not depend on the order nodes send in). Two nodes can reach each other when their
 * partition labels are equal; the engine checks this at send and again at delivery, so
 * datagrams in flight when a cut happens are lost. A heal resets every label to 0.
 */
#ifndef DTT_SIM_NET_H
#define DTT_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define DTT_SIMNET_GROUPS_MAX 64 /* partition groups per partition event */

enum dtt_simnet_dist {
	DTT_SIMNET_CONSTANT = 0,  /* value_ms */
	DTT_SIMNET_UNIFORM = 1,	  /* min_ms .. max_ms */
	DTT_SIMNET_LOGNORMAL = 2, /* median_ms * exp(sigma * N(0,1)), at least min_ms (0: no floor) */
	/* Each node sits at a point of the unit square; min_ms + (max_ms - min_ms) * d / sqrt(2)
	 * for the distance d of the pair (min_ms at one spot, max_ms across the diagonal). */
	DTT_SIMNET_COORDINATES = 3,
};

struct dtt_simnet_latency {
	enum dtt_simnet_dist dist;
	double value_ms;
	double min_ms, max_ms;
	double median_ms, sigma;
};

struct dtt_simnet_stats {
	uint64_t sent;		/* datagrams handed to the network */
	uint64_t lost;		/* dropped by the loss draw */
	uint64_t blocked;	/* dropped by a partition, at send or at delivery */
	uint64_t duplicated;	/* extra copies made */
	uint64_t undeliverable; /* receiver down or rejoined (old incarnation), or too big */
	uint64_t delivered;
};

struct dtt_simnet {
	struct dtt_simnet_latency latency;
	double jitter_ms, loss, duplicate;
	uint64_t pair_seed; /* keys the per-pair base latency */
	uint16_t *group;    /* partition label per node */
	uint32_t nodes;
	bool partitioned;
	struct dtt_simnet_stats stats;
};

/* A network of n nodes, fully connected, with the given latency model. pair_seed keys the
 * per-pair latencies. 0 or DTT_ERR_NOMEM. */
int dtt_simnet_init(struct dtt_simnet *net, uint32_t n, const struct dtt_simnet_latency *lat,
		    uint64_t pair_seed);
void dtt_simnet_deinit(struct dtt_simnet *net);

/* The point of node a in the unit square under DTT_SIMNET_COORDINATES (deterministic). */
void dtt_simnet_coordinates(const struct dtt_simnet *net, uint32_t a, double *x, double *y);

/* The smallest base latency any pair can have under the model, in microseconds: a lower
 * bound on every delay dtt_simnet_route returns (0 for a lognormal without a floor). */
uint64_t dtt_simnet_min_us(const struct dtt_simnet *net);

/* The base one-way latency of the pair, in microseconds (symmetric, deterministic). */
uint64_t dtt_simnet_base_us(const struct dtt_simnet *net, uint32_t a, uint32_t b);

static inline bool dtt_simnet_can_reach(const struct dtt_simnet *net, uint32_t a, uint32_t b)
{
	return !net->partitioned || net->group[a] == net->group[b];
}

/* Decides the fate of one datagram from a to b, drawing loss, duplication and jitter from rng:
 * returns how many copies arrive (0, 1 or 2) and writes their one-way delays (microseconds) to
 * delay_us. Counts sent/lost/blocked/duplicated. */
int dtt_simnet_route(struct dtt_simnet *net, struct dtt_rng *rng, uint32_t a, uint32_t b,
		     uint64_t delay_us[2]);

/* Splits all nodes into k groups of the given fractions (which add up to 1): a permutation of
 * the node indexes drawn from rng is cut into consecutive runs; group g gets label g + 1.
 * Returns 0 or DTT_ERR_INVALID (k out of 1..DTT_SIMNET_GROUPS_MAX) / DTT_ERR_NOMEM. */
int dtt_simnet_partition(struct dtt_simnet *net, const double *fractions, size_t k,
			 struct dtt_rng *rng);
/* Cuts the nodes nodes[0, n) off from everyone else: together (they reach each other) or,
 * with alone, each on its own (its network is down). The other nodes keep their labels, so
 * a cut adds to a partition in force; the next partition or heal replaces it. Returns 0 or
 * DTT_ERR_INVALID (more than DTT_SIMNET_ALONE_MAX alone). */
#define DTT_SIMNET_ALONE_MAX 32767
int dtt_simnet_cut(struct dtt_simnet *net, const uint32_t *nodes, size_t n, bool alone);
void dtt_simnet_heal(struct dtt_simnet *net);

#endif
