/* metrics.h - operator metrics of a dtt-node process: the node's counters (dtt_node_stats,
 * dtt.h) as Prometheus text exposition format 0.0.4 or as one JSON object, and an HTTP
 * endpoint serving the Prometheus form on GET /metrics (libmicrohttpd, driven from the poll
 * loop on the loop's thread, so a scrape reads the node between two events, never during one).
 * The HTTP part exists only when the build found libmicrohttpd (DTT_HAVE_MICROHTTPD). */
#ifndef DTT_NODE_METRICS_H
#define DTT_NODE_METRICS_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>

#include "dtt.h"

enum dtt_metrics_format {
	DTT_METRICS_PROMETHEUS, /* # HELP / # TYPE lines, then name{labels} value */
	DTT_METRICS_JSON,	/* "name": value, or "name": [{labels..., "value": v}, ...] */
};

/* Writes every metric of st. JSON writes the members of an object without the braces, so a
 * caller can put its own keys first. */
void dtt_metrics_write(FILE *f, const struct dtt_stats *st, enum dtt_metrics_format fmt);

/* True when this build can serve HTTP (libmicrohttpd was found). */
bool dtt_metrics_http_available(void);

struct dtt_metrics_server;

/* Serves GET /metrics on addr (TCP) with the stats of node (borrowed, outlives the server).
 * NULL after printing why (bind failed, built without libmicrohttpd). */
struct dtt_metrics_server *dtt_metrics_server_start(const struct dtt_addr *addr,
						    struct dtt_node *node);
void dtt_metrics_server_stop(struct dtt_metrics_server *s); /* NULL is a no-op */
/* The descriptors the server waits on, into out (at most max); *timeout_ms is lowered to
 * the server's own deadline. Returns the count. */
size_t dtt_metrics_server_pollfds(struct dtt_metrics_server *s, struct pollfd *out, size_t max,
				  int *timeout_ms);
/* Runs whatever is ready (accepts, reads requests, sends responses); never blocks. */
void dtt_metrics_server_run(struct dtt_metrics_server *s);

#endif
