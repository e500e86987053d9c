/* common.c - the run loop of the examples (see common.h). */
#include "common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dtt.h"
#include "loop.h"

struct example {
	struct dtt_loop loop;
	struct dtt_topic *topic;
	struct dtt_record_publisher *pub;
	bool eof;
	char line[1024];
	size_t len;
};

static volatile sig_atomic_t stop;

static void print_peer(const char *what, const uint8_t *peer)
{
	fprintf(stderr, "%s %02x%02x%02x%02x...\n", what, peer[0], peer[1], peer[2], peer[3]);
}

static void on_joined(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "joined the topic\n");
}

static void on_up(void *ctx, const uint8_t *peer)
{
	(void)ctx;
	print_peer("neighbour up", peer);
}

static void on_down(void *ctx, const uint8_t *peer, int reason)
{
	(void)ctx;
	fprintf(stderr, "neighbour down (%s) ", dtt_gossip_down_name(reason));
	print_peer("", peer);
}

static void on_message(void *ctx, const uint8_t *content, size_t len, const uint8_t *from,
		       unsigned round)
{
	(void)ctx;
	printf("[%02x%02x%02x%02x, %u hops] %.*s\n", from[0], from[1], from[2], from[3], round,
	       (int)len, (const char *)content);
	fflush(stdout);
}

static void on_input(void *ctx)
{
	struct example *ex = ctx;
	char buf[512];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		ex->eof = true;
		dtt_loop_watch_input(&ex->loop, -1, NULL, NULL);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] != '\n' && ex->len < sizeof(ex->line)) {
			ex->line[ex->len++] = buf[i];
			continue;
		}
		if (buf[i] == '\n' && ex->len) {
			int err = dtt_topic_broadcast(ex->topic, (const uint8_t *)ex->line, ex->len);

			if (err)
				fprintf(stderr, "broadcast: %s\n", dtt_strerror(err));
		}
		if (buf[i] == '\n')
			ex->len = 0;
	}
}

static void on_bootstrapped(void *ctx, int status, size_t nodes)
{
	struct example *ex = ctx;
	const struct dtt_topic_callbacks cb = {
		.joined = on_joined,
		.neighbor_up = on_up,
		.neighbor_down = on_down,
		.message = on_message,
	};
	int err;

	fprintf(stderr, "DHT bootstrap: %s, %zu nodes\n", status ? dtt_strerror(status) : "ok",
		nodes);
	/* the same call as the Rust crate's subscribe_and_join_with_auto_discovery */
	err = dtt_subscribe_and_join(ex->loop.node, ex->pub, &cb, ex, &ex->topic);
	if (err) {
		fprintf(stderr, "subscribe_and_join: %s\n", dtt_strerror(err));
		stop = 1;
	}
}

int example_run(const char *name, int argc, char **argv, struct dtt_record_publisher *pub)
{
	static struct example ex;
	const char *bootstrap = DTT_PUBLIC_BOOTSTRAP, *bind = "0.0.0.0", *port = "0";
	struct dtt_addr boot[16], local;
	struct dtt_node_config cfg;
	char s[80];
	int n;

	for (int i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--bootstrap"))
			bootstrap = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--bind"))
			bind = argv[++i];
		else if (i + 1 < argc && !strcmp(argv[i], "--port"))
			port = argv[++i];
		else {
			fprintf(stderr,
				"usage: %s [--bootstrap HOST:PORT,...] [--bind ADDR] [--port P]\n"
				"Joins the example topic; stdin lines are broadcast, messages printed.\n",
				name);
			return strcmp(argv[i], "--help") ? 2 : 0;
		}
	}
	snprintf(s, sizeof(s), "%s:%s", bind, port);
	if (dtt_addr_parse(&local, s)) {
		fprintf(stderr, "%s: bad --bind/--port\n", name);
		return 2;
	}
	n = dtt_loop_parse_nodes(bootstrap, boot, 16);
	if (n <= 0)
		return 2;
	if (dtt_init())
		return 1;
	dtt_node_config_init(&cfg);
	cfg.dht.read_only = true;
	if (dtt_loop_init(&ex.loop, &local, &cfg, NULL))
		return 1;
	if (strcmp(bind, "0.0.0.0") != 0)
		dtt_node_set_announce(ex.loop.node, &ex.loop.local);
	ex.pub = pub;
	dtt_loop_catch_signals(&stop);
	if (dtt_dht_bootstrap(dtt_node_dht(ex.loop.node), boot, (size_t)n, on_bootstrapped, &ex)) {
		dtt_loop_deinit(&ex.loop);
		return 1;
	}
	fprintf(stderr, "%s: node %s on %s\n", name, "ready", dtt_addr_str(&ex.loop.local, s));
	dtt_loop_watch_input(&ex.loop, STDIN_FILENO, on_input, &ex);
	while (!stop && !ex.eof)
		dtt_loop_run(&ex.loop, &stop, NULL, NULL, dtt_env_now_ms(&ex.loop.pe.env) + 1000);
	if (ex.topic)
		dtt_topic_leave(ex.topic);
	dtt_loop_run(&ex.loop, NULL, NULL, NULL, dtt_env_now_ms(&ex.loop.pe.env) + 200);
	dtt_loop_deinit(&ex.loop);
	return 0;
}
