/* sim_net.h - a tiny in-memory network for multi-node DHT tests: N envs on one manual clock,
 * datagrams delivered after a fixed latency in send order, optional loss and dead nodes, a
 * digest of every delivery. Deterministic: one seed drives node randomness and loss.
 *
 * Node i has the address 10.<i/255/256>.<i/255 % 256>.<i % 255 + 1>:6881 (never 127/8, so
 * nothing is exempt from rate limits by accident), its own env (random stream derived from
 * (seed, 1, i)) and its own struct dtt_timers, which the net runs. The node's owner attaches
 * a receive function; datagrams to unknown addresses or dead nodes vanish (counted).
 */
#ifndef DTT_TESTS_SIM_NET_H
#define DTT_TESTS_SIM_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "timer.h"

typedef void (*sim_net_recv_fn)(void *user, const struct dtt_addr *from, const uint8_t *buf,
				size_t len);

struct sim_net;

/* n nodes, both clocks at start_ms, a fixed latency per datagram. */
struct sim_net *sim_net_new(size_t n, uint64_t seed, uint64_t start_ms, uint32_t latency_ms);
void sim_net_free(struct sim_net *net);

size_t sim_net_size(const struct sim_net *net);
const struct dtt_env *sim_net_env(struct sim_net *net, size_t i);
struct dtt_timers *sim_net_timers(struct sim_net *net, size_t i);
const struct dtt_addr *sim_net_addr(const struct sim_net *net, size_t i);
/* The node index of an address, or -1. */
long sim_net_index(const struct sim_net *net, const struct dtt_addr *a);
void sim_net_attach(struct sim_net *net, size_t i, sim_net_recv_fn fn, void *user);

/* A down node neither sends nor receives, and its timers do not run. */
void sim_net_set_down(struct sim_net *net, size_t i, bool down);
bool sim_net_is_down(const struct sim_net *net, size_t i);
/* A cut node runs its timers and sends, but everything it sends and everything sent to it
 * is lost (its network is down); sent_by counts the datagrams it handed to the net. */
void sim_net_set_cut(struct sim_net *net, size_t i, bool cut);
uint64_t sim_net_sent_by(const struct sim_net *net, size_t i);
/* Each datagram is lost with probability permille / 1000 (drawn from the net's stream). */
void sim_net_set_loss(struct sim_net *net, uint32_t permille);

/* Called for every delivered datagram, before the receiver sees it (from is -1 for an
 * injected datagram from outside the net). */
typedef void (*sim_net_tap_fn)(void *ctx, long from, size_t to, const uint8_t *buf, size_t len);
void sim_net_set_tap(struct sim_net *net, sim_net_tap_fn fn, void *ctx);

/* Queues a datagram from an arbitrary address (e.g. a hand-made query) to node i. */
void sim_net_inject(struct sim_net *net, const struct dtt_addr *from, size_t to, const uint8_t *buf,
		    size_t len);

uint64_t sim_net_now(const struct sim_net *net);
/* Delivers datagrams and runs timers, in time order, up to and including until_ms; the
 * clock ends at until_ms. */
void sim_net_run_until(struct sim_net *net, uint64_t until_ms);
/* As run_until, but stops as soon as done(ctx) is true after an event. Returns done(ctx). */
bool sim_net_run_until_done(struct sim_net *net, uint64_t until_ms, bool (*done)(void *ctx),
			    void *ctx);

struct sim_net_stats {
	uint64_t sent; /* datagrams handed to send by live nodes */
	uint64_t delivered;
	uint64_t lost;	 /* loss, dead or unknown destination */
	size_t max_len;	 /* largest datagram sent */
	uint64_t digest; /* FNV-1a over (time, from, to, len, bytes) of every delivery */
};
const struct sim_net_stats *sim_net_stats(const struct sim_net *net);

#endif
