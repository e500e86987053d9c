/* backend.h - what a simulation runs on (SIMULATION.md §3.1): a clock, timers and a datagram
 * network, behind one small interface, so the same engine (the same cores, scenarios, faults,
 * metrics and results) runs on the built-in event queue and network model (queue.h, net.h,
 * pool.h: dtt-sim) or on ns-3's Simulator and UDP sockets (sim/ns3/: dtt-sim-ns3).
 *
 * The engine calls the backend to schedule its own events (a node's wake-up, a join, a sample,
 * a scenario event...) and to send a datagram from a node; the backend calls the engine back
 * with dtt_sim_dispatch when an event fires and dtt_sim_receive when a datagram arrives. The
 * engine keeps the simulated time of the event being handled; a backend's clock is the time it
 * passes to those two calls. Node state (up/down, incarnations), partitions (labels checked at
 * send and at delivery), loss, duplication and clock skew stay in the engine and net.h, so they
 * behave the same on every backend; only latency, queueing and the datagram's path differ.
 *
 * Declared with C linkage so the ns-3 shim (C++) can include it.
 */
#ifndef DTT_SIM_BACKEND_H
#define DTT_SIM_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dtt_sim;
struct dtt_scenario;

#define DTT_SIM_NODE_NONE UINT32_MAX /* an address no simulated node has */

struct dtt_sim_backend_ops {
	const char *name; /* recorded as the run row's backend: "dtt-sim", "dtt-sim-ns3" */
	/* Builds the backend for sim's population (dtt_sim_backend_nodes nodes) and stores its
	 * state in *be. 0 or a DTT_ERR_*, with a message in err. */
	int (*open)(struct dtt_sim *sim, void **be, char *err, size_t err_len);
	void (*close)(void *be);
	/* Calls dtt_sim_dispatch(sim, t_us, tag, arg) at simulated time t_us (>= now).
	 * Events of equal time fire in an order fixed by the run alone: the built-in backend's
	 * is the engine's keys (engine_priv.h), ns-3's the order of scheduling. 0 or a DTT_ERR_*. */
	int (*schedule)(void *be, uint64_t t_us, uint32_t tag, uint32_t arg);
	/* Node `from` sends len bytes to node `to` (DTT_SIM_NODE_NONE: an address outside the
	 * simulation) now. The backend delivers each copy that arrives with dtt_sim_receive. */
	void (*send)(void *be, uint32_t from, uint32_t to, const uint8_t *buf, size_t len);
	/* Fires every event with time <= lim_us, in (time, order of scheduling) order, until
	 * a dispatch returns non-zero (whose value it returns). 0 when it reached lim_us. */
	int (*run_until)(void *be, uint64_t lim_us);
	/* Events pending now (for the queue_peak figure). */
	size_t (*pending)(void *be);
};

/* The built-in backend: queue.h's binary heap, pool.h's datagram slabs, net.h's latency. */
extern const struct dtt_sim_backend_ops dtt_sim_builtin_backend;
/* The ns-3 backend (sim/ns3/backend.cc), linked into dtt-sim-ns3 only. */
extern const struct dtt_sim_backend_ops dtt_sim_ns3_backend;

/* --- what the engine offers a backend --- */

/* Handles the engine event (tag, arg) at t_us. 0 to go on; non-zero (the run's status, or
 * DTT_ERR_CANCELED when asked to stop) to end the run. */
int dtt_sim_dispatch(struct dtt_sim *sim, uint64_t t_us, uint32_t tag, uint32_t arg);
/* A datagram from node `from` reaches node `to` at t_us; to_inc is the incarnation of `to`
 * when it was sent (a datagram for an older incarnation is dropped as undeliverable). The
 * engine drops it too when the two are cut apart by a partition now. */
void dtt_sim_receive(struct dtt_sim *sim, uint64_t t_us, uint32_t from, uint32_t to,
		     uint32_t to_inc, const uint8_t *data, size_t len);
/* The fate of one datagram from `from` to `to` under the scenario's loss, duplication,
 * partition (at send) and jitter (net.h, drawn from the sender's network stream): how many copies
 * (0..2) go out, and each copy's jitter in microseconds (added to the backend's own latency).
 * Counts sent, lost, blocked and duplicated in the network stats; a datagram for no node or
 * longer than the built-in pool takes (pool.h) is counted undeliverable and not sent. */
int dtt_sim_backend_fate(struct dtt_sim *sim, uint32_t from, uint32_t to, size_t len,
			 uint64_t jitter_us[2]);
/* Counts a datagram the backend could not deliver (too big, no route, queue overflow). */
void dtt_sim_backend_undeliverable(struct dtt_sim *sim);
/* The run's status: 0, or the error that ends it (a backend stops at the first). */
int dtt_sim_backend_status(const struct dtt_sim *sim);
uint32_t dtt_sim_backend_nodes(const struct dtt_sim *sim);
uint32_t dtt_sim_backend_incarnation(const struct dtt_sim *sim, uint32_t node);
const struct dtt_scenario *dtt_sim_backend_scenario(const struct dtt_sim *sim);
uint64_t dtt_sim_backend_seed(const struct dtt_sim *sim);
/* The base one-way latency of the pair under the scenario's latency model (net.h), µs. */
uint64_t dtt_sim_backend_base_us(const struct dtt_sim *sim, uint32_t a, uint32_t b);
/* The point of node a in the unit square when the latency model is `coordinates`. */
void dtt_sim_backend_coordinates(const struct dtt_sim *sim, uint32_t a, double *x, double *y);

#ifdef __cplusplus
}
#endif

#endif
