/* sim_net.c - in-memory multi-node network for DHT tests (see sim_net.h). */
#include "sim_net.h"

#include <stdlib.h>
#include <string.h>

#include "rng.h"

#define SIM_PORT   6881
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME  0x100000001b3ull

struct sim_node {
	struct dtt_env env;
	struct sim_net *net;
	size_t index;
	struct dtt_addr addr;
	struct dtt_rng rng;
	struct dtt_timers timers;
	bool down, cut;
	uint64_t sent;
	sim_net_recv_fn recv;
	void *user;
};

struct sim_pkt {
	uint64_t at_ms;
	struct dtt_addr from;
	size_t to;
	size_t len;
	uint8_t *buf;
};

struct sim_net {
	struct sim_node *nodes;
	size_t n;
	uint64_t now_ms;
	struct dtt_rng rng; /* loss */
	uint32_t latency_ms;
	uint32_t loss_permille;
	struct sim_pkt *q; /* FIFO: equal latency keeps it in delivery-time order */
	size_t q_head, q_len, q_cap;
	struct sim_net_stats stats;
	sim_net_tap_fn tap;
	void *tap_ctx;
};

static uint64_t sim_now(void *ctx)
{
	return ((struct sim_node *)ctx)->net->now_ms;
}

static int64_t sim_wall(void *ctx)
{
	return (int64_t)((struct sim_node *)ctx)->net->now_ms;
}

static void sim_random(void *ctx, uint8_t *buf, size_t len)
{
	dtt_rng_fill(&((struct sim_node *)ctx)->rng, buf, len);
}

static void sim_log(void *ctx, int level, const char *module, const char *msg)
{
}

static void fnv(uint64_t *h, const void *p, size_t len)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < len; i++) {
		*h ^= b[i];
		*h *= FNV_PRIME;
	}
}

static void fnv_u64(uint64_t *h, uint64_t v)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	fnv(h, b, sizeof(b));
}

static void enqueue(struct sim_net *net, const struct dtt_addr *from, size_t to, const uint8_t *buf,
		    size_t len)
{
	struct sim_pkt *p;

	if (net->q_head + net->q_len == net->q_cap) {
		if (net->q_head > 0) {
			memmove(net->q, net->q + net->q_head, net->q_len * sizeof(*net->q));
			net->q_head = 0;
		}
		if (net->q_len == net->q_cap) {
			net->q_cap = net->q_cap ? net->q_cap * 2 : 64;
			net->q = realloc(net->q, net->q_cap * sizeof(*net->q));
			if (!net->q)
				abort();
		}
	}
	p = &net->q[net->q_head + net->q_len++];
	p->at_ms = net->now_ms + net->latency_ms;
	p->from = *from;
	p->to = to;
	p->len = len;
	p->buf = malloc(len ? len : 1);
	if (!p->buf)
		abort();
	memcpy(p->buf, buf, len);
}

static int sim_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	struct sim_node *node = ctx;
	struct sim_net *net = node->net;
	long dst;

	if (node->down)
		return 0;
	node->sent++;
	if (node->cut) {
		net->stats.lost++;
		return 0;
	}
	net->stats.sent++;
	if (len > net->stats.max_len)
		net->stats.max_len = len;
	dst = sim_net_index(net, to);
	if (dst < 0 ||
	    (net->loss_permille && dtt_rng_uniform(&net->rng, 1000) < net->loss_permille)) {
		net->stats.lost++;
		return 0;
	}
	enqueue(net, &node->addr, (size_t)dst, buf, len);
	return 0;
}

static const struct dtt_env_ops sim_ops = {
    .now_ms = sim_now,
    .wall_ms = sim_wall,
    .send = sim_send,
    .random = sim_random,
    .log = sim_log,
};

struct sim_net *sim_net_new(size_t n, uint64_t seed, uint64_t start_ms, uint32_t latency_ms)
{
	struct sim_net *net = calloc(1, sizeof(*net));

	if (!net)
		return NULL;
	net->nodes = calloc(n ? n : 1, sizeof(*net->nodes));
	if (!net->nodes) {
		free(net);
		return NULL;
	}
	net->n = n;
	net->now_ms = start_ms;
	net->latency_ms = latency_ms;
	net->stats.digest = FNV_OFFSET;
	dtt_rng_derive(&net->rng, seed, 2, 0);
	for (size_t i = 0; i < n; i++) {
		struct sim_node *node = &net->nodes[i];
		/* The last byte runs 1..255 (never 0), carrying into the two above. */
		uint8_t ip[4] = {10, (uint8_t)(i / 255 / 256), (uint8_t)((i / 255) % 256),
				 (uint8_t)((i % 255) + 1)};

		node->env.ops = &sim_ops;
		node->env.ctx = node;
		node->env.log_level = DTT_LOG_ERROR;
		node->net = net;
		node->index = i;
		dtt_addr_ipv4(&node->addr, ip, SIM_PORT);
		dtt_rng_derive(&node->rng, seed, 1, i);
		dtt_timers_init(&node->timers);
	}
	return net;
}

void sim_net_free(struct sim_net *net)
{
	if (!net)
		return;
	for (size_t i = 0; i < net->q_len; i++)
		free(net->q[net->q_head + i].buf);
	free(net->q);
	free(net->nodes);
	free(net);
}

size_t sim_net_size(const struct sim_net *net)
{
	return net->n;
}

const struct dtt_env *sim_net_env(struct sim_net *net, size_t i)
{
	return &net->nodes[i].env;
}

struct dtt_timers *sim_net_timers(struct sim_net *net, size_t i)
{
	return &net->nodes[i].timers;
}

const struct dtt_addr *sim_net_addr(const struct sim_net *net, size_t i)
{
	return &net->nodes[i].addr;
}

long sim_net_index(const struct sim_net *net, const struct dtt_addr *a)
{
	size_t i;

	if (a->family != DTT_AF_INET || a->addr[0] != 10 || a->port != SIM_PORT || a->addr[3] == 0)
		return -1;
	i = ((size_t)a->addr[1] * 256 + a->addr[2]) * 255 + (size_t)(a->addr[3] - 1);
	return i < net->n ? (long)i : -1;
}

void sim_net_attach(struct sim_net *net, size_t i, sim_net_recv_fn fn, void *user)
{
	net->nodes[i].recv = fn;
	net->nodes[i].user = user;
}

void sim_net_set_down(struct sim_net *net, size_t i, bool down)
{
	net->nodes[i].down = down;
}

bool sim_net_is_down(const struct sim_net *net, size_t i)
{
	return net->nodes[i].down;
}

void sim_net_set_cut(struct sim_net *net, size_t i, bool cut)
{
	net->nodes[i].cut = cut;
}

uint64_t sim_net_sent_by(const struct sim_net *net, size_t i)
{
	return net->nodes[i].sent;
}

void sim_net_set_loss(struct sim_net *net, uint32_t permille)
{
	net->loss_permille = permille;
}

void sim_net_set_tap(struct sim_net *net, sim_net_tap_fn fn, void *ctx)
{
	net->tap = fn;
	net->tap_ctx = ctx;
}

void sim_net_inject(struct sim_net *net, const struct dtt_addr *from, size_t to, const uint8_t *buf,
		    size_t len)
{
	enqueue(net, from, to, buf, len);
}

uint64_t sim_net_now(const struct sim_net *net)
{
	return net->now_ms;
}

const struct sim_net_stats *sim_net_stats(const struct sim_net *net)
{
	return &net->stats;
}

static uint64_t next_event(const struct sim_net *net)
{
	uint64_t t = net->q_len ? net->q[net->q_head].at_ms : UINT64_MAX;

	for (size_t i = 0; i < net->n; i++) {
		uint64_t d;

		if (net->nodes[i].down)
			continue;
		d = dtt_timers_next_ms(&net->nodes[i].timers);
		if (d < t)
			t = d;
	}
	return t;
}

/* One step at the time of the next event: every due delivery in order, then every node's
 * due timers in node order. */
static void step(struct sim_net *net, uint64_t t)
{
	if (t > net->now_ms)
		net->now_ms = t;
	while (net->q_len && net->q[net->q_head].at_ms <= net->now_ms) {
		struct sim_pkt p = net->q[net->q_head];
		struct sim_node *dst = &net->nodes[p.to];

		net->q_head++;
		net->q_len--;
		if (dst->down || dst->cut || !dst->recv) {
			net->stats.lost++;
		} else {
			long from = sim_net_index(net, &p.from);

			net->stats.delivered++;
			fnv_u64(&net->stats.digest, net->now_ms);
			fnv_u64(&net->stats.digest, (uint64_t)from);
			fnv_u64(&net->stats.digest, p.to);
			fnv_u64(&net->stats.digest, p.len);
			fnv(&net->stats.digest, p.buf, p.len);
			if (net->tap)
				net->tap(net->tap_ctx, from, p.to, p.buf, p.len);
			dst->recv(dst->user, &p.from, p.buf, p.len);
		}
		free(p.buf);
	}
	for (size_t i = 0; i < net->n; i++) {
		if (!net->nodes[i].down)
			dtt_timers_run(&net->nodes[i].timers, net->now_ms);
	}
}

bool sim_net_run_until_done(struct sim_net *net, uint64_t until_ms, bool (*done)(void *ctx),
			    void *ctx)
{
	for (;;) {
		uint64_t t;

		if (done && done(ctx))
			return true;
		t = next_event(net);
		if (t > until_ms)
			break;
		step(net, t);
	}
	if (until_ms > net->now_ms)
		net->now_ms = until_ms;
	return done ? done(ctx) : false;
}

void sim_net_run_until(struct sim_net *net, uint64_t until_ms)
{
	sim_net_run_until_done(net, until_ms, NULL, NULL);
}
