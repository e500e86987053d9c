/* loop.h - the POSIX poll loop around one dtt_node: recvfrom -> on_datagram, timeout ->
 * on_deadline, until a stop flag, a completion predicate or a deadline. Library dtt_posix
 * (with posix_env.h): what dtt-node and the examples run a node on. Errors are printed to
 * stderr prefixed with "dtt: ". */
#ifndef DTT_NODE_LOOP_H
#define DTT_NODE_LOOP_H

#include <signal.h>
#include <stdbool.h>

#include "dtt.h"
#include "posix_env.h"

struct dtt_metrics_server;

struct dtt_loop {
	struct dtt_posix_env pe;
	struct dtt_node *node;
	struct dtt_addr local; /* the bound address */
	int input_fd;          /* an extra descriptor to watch (stdin), or -1 */
	void (*on_input)(void *ctx);
	void *input_ctx;
	struct dtt_metrics_server *metrics; /* --metrics HOST:PORT, or NULL */
};

/* Binds the UDP socket and creates the node. seed NULL for real randomness. Prints its own
 * errors (naming the address); returns 0 or a negative DTT_ERR_*. */
int dtt_loop_init(struct dtt_loop *l, const struct dtt_addr *bind_addr,
		  const struct dtt_node_config *cfg, const uint8_t *seed);
void dtt_loop_deinit(struct dtt_loop *l);

/* Runs until *stop becomes non-zero, done(ctx) returns true (checked after every event) or the
 * monotonic clock passes deadline_ms (UINT64_MAX: none). Returns 0, or DTT_ERR_TIMEOUT when the
 * deadline ended it. */
int dtt_loop_run(struct dtt_loop *l, volatile sig_atomic_t *stop, bool (*done)(void *ctx),
		 void *ctx, uint64_t deadline_ms);

/* Also watches fd for input: on_input(ctx) runs when it is readable (or at end of file);
 * fd -1 stops watching. */
void dtt_loop_watch_input(struct dtt_loop *l, int fd, void (*on_input)(void *ctx), void *ctx);

/* SIGINT and SIGTERM set *flag (and nothing else). SIGUSR1 makes the running loop print the
 * node's metrics as one JSON line on stderr ({"event":"stats",...}, metrics.h). */
void dtt_loop_catch_signals(volatile sig_atomic_t *flag);

/* Serves the node's metrics over HTTP on hostport (metrics.h) while the loop runs. Prints
 * its own errors; 0 or a negative DTT_ERR_*. */
int dtt_loop_serve_metrics(struct dtt_loop *l, const char *hostport);

/* Prints the node's metrics as one JSON line on stderr. */
void dtt_loop_print_stats(struct dtt_loop *l);

/* Parses "host:port,host:port" (names resolved, IPv4). Returns the count, or -1 after
 * printing which entry is bad. */
int dtt_loop_parse_nodes(const char *list, struct dtt_addr *out, int max);

#define DTT_PUBLIC_BOOTSTRAP "router.bittorrent.com:6881,dht.transmissionbt.com:6881,router.utorrent.com:6881"

#endif
