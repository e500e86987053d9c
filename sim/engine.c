/* engine.c - the simulator's event loop (SIMULATION.md §3): real dtt_node cores on virtual
 * clocks, the network model, scenario events, the DHT workload and metric samples.
 *
 * Owns the population (one struct simnode per index, O(1) each plus the core's own state:
 * DHT nodes first, then topic members), the queue, the datagram pool, the workload's keys, one
 * BEP 44 signature memo lent to every node (verify_memo.h) and one record-opening memo lent to
 * every member (memo.h): pure-function caches, so they change costs, never results. Borrows
 * the scenario and the results database. Event kinds: DELIVER (a datagram reaches a node),
 * WAKE (a node's next core deadline), JOIN, SCENARIO (partition, heal, churn, ...), SAMPLE,
 * PUT and GET (the DHT workload) and TRAFFIC (a topic's broadcast round, members.c).
 */
#include "engine.h"
#include "engine_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "bep44.h"
#include "crypto.h"
#include "dht.h"
#include "err.h"
#include "log.h"
#include "pool.h"
#include "queue.h"
#include "results.h"
#include "verify_memo.h"
#include "crypto_modelled.h"

#define SIM_OPS_MAX    ((size_t)1 << 22) /* workload operations in flight */
#define SIM_LANES_MAX  64
#define OP_NONE	       UINT32_MAX
#define PICK_TRIES     64
#define PROGRESS_EVERY 4096 /* events between looks at the wall clock */

static const struct dtt_env_ops sim_env_ops;

/* --- small helpers --- */

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rss_now(void)
{
	unsigned long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

static uint64_t rss_peak(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024;
}

static inline void dig(struct simnode *sn, uint64_t v)
{
	sn->digest = sim_mix64(sn->digest ^ v);
}

/* A fast non-cryptographic hash of a payload, little-endian words. */
static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0x243f6a8885a308d3ull ^ n, w;

	while (n >= 8) {
		w = (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
		    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
		    (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
		h = (h ^ w) * 0x9e3779b97f4a7c15ull;
		h ^= h >> 32;
		p += 8;
		n -= 8;
	}
	w = 0;
	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

void sim_node_addr(uint32_t index, struct dtt_addr *a)
{
	uint32_t v = index + 1;
	uint8_t ip[4] = {10, (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	dtt_addr_ipv4(a, ip, SIM_PORT);
}

/* The node index behind an address, or UINT32_MAX when no simulated node has it. */
static uint32_t addr_index(const struct dtt_sim *s, const struct dtt_addr *a)
{
	uint32_t v;

	if (a->family != DTT_AF_INET || a->addr[0] != 10 || a->port != SIM_PORT)
		return UINT32_MAX;
	v = (uint32_t)a->addr[1] << 16 | (uint32_t)a->addr[2] << 8 | a->addr[3];
	if (v == 0 || v > s->n)
		return UINT32_MAX;
	return v - 1;
}

void sim_fatal(struct dtt_sim *s, int err, const char *what)
{
	if (s->status)
		return;
	s->status = err ? err : DTT_ERR_STATE;
	snprintf(s->err, sizeof(s->err), "%s: %s", what, dtt_strerror(s->status));
}

void sim_push(struct dtt_sim *s, uint64_t t_us, uint32_t tag, uint32_t arg)
{
	int err = s->be_ops->schedule(s->be, t_us, tag, arg);
	size_t pending;

	if (err)
		sim_fatal(s, err, "event queue");
	pending = s->be_ops->pending(s->be);
	if (pending > s->queue_peak)
		s->queue_peak = pending;
}

int sim_series_add(struct series *se, uint64_t t, double v, double w)
{
	if (se->n == se->cap) {
		size_t cap = se->cap ? se->cap * 2 : 64;
		uint64_t *nt = dtt_realloc(se->t, cap * sizeof(*nt));
		double *nv, *nw;

		if (!nt)
			return DTT_ERR_NOMEM;
		se->t = nt;
		nv = dtt_realloc(se->v, cap * sizeof(*nv));
		if (!nv)
			return DTT_ERR_NOMEM;
		se->v = nv;
		nw = dtt_realloc(se->w, cap * sizeof(*nw));
		if (!nw)
			return DTT_ERR_NOMEM;
		se->w = nw;
		se->cap = cap;
	}
	se->t[se->n] = t;
	se->v[se->n] = v;
	se->w[se->n++] = w;
	return 0;
}

void sim_series_free(struct series *se)
{
	dtt_free(se->t);
	dtt_free(se->v);
	dtt_free(se->w);
	se->t = NULL;
	se->v = se->w = NULL;
	se->n = se->cap = 0;
}

static void emit(struct dtt_sim *s, enum metric m, uint64_t t_ms, double v, double w)
{
	if (sim_series_add(&s->series[m], t_ms, v, w))
		sim_fatal(s, DTT_ERR_NOMEM, "metric series");
	if (s->res)
		dtt_results_sample(s->res, t_ms, -1, dtt_scenario_metrics[m], v);
}

void sim_event_row(struct dtt_sim *s, int64_t node, const char *kind, int64_t peer, int64_t arg,
		   const char *detail)
{
	if (s->res && !s->closing)
		dtt_results_event(s->res, s->now_us / 1000, node, kind, peer, arg, detail);
}

/* --- the env every simulated node runs on --- */

static uint64_t env_now_ms(void *ctx)
{
	const struct simnode *sn = ctx;

	return sn->sim->now_us / 1000;
}

static int64_t env_wall_ms(void *ctx)
{
	const struct simnode *sn = ctx;

	return sn->sim->sc->start_unix * 1000 + (int64_t)(sn->sim->now_us / 1000) + sn->skew_ms;
}

static void net_send(struct dtt_sim *s, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	s->iv.datagrams++;
	s->iv.bytes += len;
	if (len && buf[0] == 'd') { /* KRPC is bencode; anything else is a gossip link frame */
		s->iv.dgrams_dht++;
		s->iv.bytes_dht += len;
	} else {
		s->iv.dgrams_gossip++;
		s->iv.bytes_gossip += len;
	}
	s->be_ops->send(s->be, from, to, buf, len);
}

/* --- the built-in backend (backend.h): queue.h, pool.h and net.h --- */

static int builtin_open(struct dtt_sim *s, void **be, char *err, size_t err_len)
{
	(void)err;
	(void)err_len;
	*be = s;
	return 0;
}

static void builtin_close(void *be)
{
	(void)be;
}

/* The next queue key of the current origin (engine_priv.h). */
static uint64_t next_key(struct dtt_sim *s)
{
	uint64_t *count =
	    s->origin == ORIGIN_GLOBAL ? &s->scheduled : &s->nodes[s->origin].scheduled;

	if (*count > KEY_COUNT_MASK) {
		sim_fatal(s, DTT_ERR_FULL, "event keys");
		return 0;
	}
	return (uint64_t)s->origin << KEY_COUNT_BITS | (*count)++;
}

/* A node's datagrams and wakes run in its lane; everything else between the windows. */
static inline bool is_node_event(uint32_t tag)
{
	return tag >> TAG_NODE_BITS <= EV_WAKE;
}

static inline uint32_t lane_of(const struct dtt_sim *s, uint32_t node)
{
	return s->lanes_n == 1 ? 0 : node % s->lanes_n;
}

static int builtin_schedule(void *be, uint64_t t_us, uint32_t tag, uint32_t arg)
{
	struct dtt_sim *s = be;
	uint64_t key = next_key(s);
	uint32_t lane;

	if (!is_node_event(tag)) {
		if (s->in_window) { /* it could be earlier than events already run */
			sim_fatal(s, DTT_ERR_STATE, "a node event scheduled a global event");
			return DTT_ERR_STATE;
		}
		return dtt_simq_push(&s->gq, t_us, key, tag, arg);
	}
	lane = lane_of(s, tag & TAG_NODE_MASK);
	if (s->in_window && t_us < s->window_end_us && lane != lane_of(s, s->origin)) {
		sim_fatal(s, DTT_ERR_STATE, "an event for another lane inside the window");
		return DTT_ERR_STATE;
	}
	return dtt_simq_push(&s->lanes[lane], t_us, key, tag, arg);
}

static size_t builtin_pending(void *be)
{
	const struct dtt_sim *s = be;
	size_t n = s->gq.count;

	for (uint32_t i = 0; i < s->lanes_n; i++)
		n += s->lanes[i].count;
	return n;
}

static void builtin_send(void *be, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	struct dtt_sim *s = be;
	uint64_t delay[2];
	int copies;

	if (to == UINT32_MAX || len > DTT_SIMPOOL_DGRAM_MAX) {
		s->net.stats.sent++;
		s->net.stats.undeliverable++;
		return;
	}
	copies = dtt_simnet_route(&s->net, &s->nodes[from].net_rng, from, to, delay);
	for (int i = 0; i < copies; i++) {
		uint32_t p =
		    dtt_simpool_put(&s->pool, from, to, s->nodes[to].incarnation, buf, len);

		if (p == DTT_SIMPOOL_NONE) {
			s->net.stats.undeliverable++;
			continue;
		}
		sim_push(s, s->now_us + delay[i], TAG(EV_DELIVER, to), p);
	}
}

static int env_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	struct simnode *sn = ctx;
	struct dtt_sim *s = sn->sim;

	if (sn->state != NS_UP) /* a node being torn down says nothing */
		return 0;
	net_send(s, sn->index, addr_index(s, to), buf, len);
	return 0;
}

static void env_random(void *ctx, uint8_t *buf, size_t len)
{
	struct simnode *sn = ctx;

	dtt_rng_fill(&sn->rng, buf, len);
}

static void env_log(void *ctx, int level, const char *module, const char *msg)
{
	const struct simnode *sn = ctx;
	uint64_t us = sn->sim->now_us;

	fprintf(stderr, "[%llu.%06llu] node %u %s %s: %s\n", (unsigned long long)(us / 1000000),
		(unsigned long long)(us % 1000000), sn->index, dtt_log_level_name(level), module,
		msg);
}

static const struct dtt_env_ops sim_env_ops = {
    .now_ms = env_now_ms,
    .wall_ms = env_wall_ms,
    .send = env_send,
    .random = env_random,
    .log = env_log,
};

/* --- node lifecycle --- */

void sim_rearm(struct dtt_sim *s, struct simnode *sn)
{
	uint64_t d, t;

	if (sn->state != NS_UP)
		return;
	d = dtt_node_next_deadline_ms(sn->node);
	if (d == UINT64_MAX)
		return;
	t = sim_ms_to_us(d);
	if (t < s->now_us)
		t = s->now_us;
	/* A pending wake that is later than needed is replaced; one that is earlier stays and
	 * simply re-arms when it fires early, which saves a push per deadline change. */
	if (t >= sn->wake_at_us)
		return;
	sn->wake_gen++;
	sn->wake_at_us = t;
	sim_push(s, t, TAG(EV_WAKE, sn->index), sn->wake_gen);
}

static uint64_t node_drops(struct dtt_node *node)
{
	const struct dtt_dht_stats *st = dtt_dht_stats(dtt_node_dht(node));
	uint64_t sum = 0;

	for (int i = 0; i < DTT_NODE_DROP__COUNT; i++)
		sum += node->stats.dropped[i];
	for (int i = 0; i < DTT_DHT_DROP__COUNT; i++)
		sum += st->dropped[i];
	return sum;
}

static void boot_done(void *ctx, int status, size_t nodes)
{
	struct simnode *sn = ctx;
	struct dtt_sim *s = sn->sim;

	if (s->closing || status == DTT_ERR_CANCELED)
		return;
	if (status == 0)
		s->tot.joined++;
	sim_event_row(s, sn->index, status ? "join_failed" : "joined", -1, (int64_t)nodes,
		      status ? dtt_strerror(status) : NULL);
}

static void node_start(struct dtt_sim *s, struct simnode *sn)
{
	struct dtt_addr boot[DTT_DHT_BOOTSTRAP_MAX];
	size_t n = 0;
	int err;

	/* The identity (node id, token secrets) comes from the node's first stream, so a rejoin
	 * replays it and comes back with the same id; later incarnations then switch to a
	 * stream of their own for everything else. */
	dtt_rng_derive(&sn->rng, s->seed, DTT_SIM_RNG_NODE, sn->index);
	sn->state = NS_UP;
	sn->wake_at_us = UINT64_MAX;
	sn->drops_seen = 0;
	sn->queries_seen = 0;
	sn->up_us = s->now_us;
	sn->node = dtt_node_new(&sn->env, sn->member >= 0		   ? &s->mcfg
					  : sim_is_attacker(s, sn->index) ? &s->acfg
									  : &s->cfg);
	if (!sn->node) {
		sn->state = NS_CRASHED;
		sim_fatal(s, DTT_ERR_NOMEM, "node creation");
		return;
	}
	if (sn->incarnation)
		dtt_rng_derive(&sn->rng, s->seed,
			       DTT_SIM_RNG_NODE | (uint64_t)sn->incarnation << 32, sn->index);
	if (sn->join_ms < 0)
		sn->join_ms = (int64_t)(s->now_us / 1000);
	if (sn->member >= 0) { /* members bootstrap (DHT, tracker or peers) in members.c */
		sim_member_started(s, sn);
		sim_rearm(s, sn);
		return;
	}
	for (size_t i = 0; i < s->boot_n && n < DTT_DHT_BOOTSTRAP_MAX; i++)
		if (i != sn->index)
			boot[n++] = s->boot[i];
	if (n) {
		err = dtt_dht_bootstrap(dtt_node_dht(sn->node), boot, n, boot_done, sn);
		if (err)
			sim_event_row(s, sn->index, "join_failed", -1, 0, dtt_strerror(err));
	}
	sim_rearm(s, sn);
}

static void node_stop(struct dtt_sim *s, struct simnode *sn, bool graceful)
{
	if (sn->state != NS_UP)
		return;
	if (sn->member >= 0) /* while still up: a leave's goodbyes go out */
		sim_member_stopping(s, sn, graceful);
	s->drops_pending += node_drops(sn->node) - sn->drops_seen;
	sn->drops_seen = 0;
	/* Down before the free: sends from the teardown go nowhere, its wake is stale. */
	sn->state = graceful ? NS_LEFT : NS_CRASHED;
	sn->wake_gen++;
	sn->wake_at_us = UINT64_MAX;
	sn->leave_ms = (int64_t)(s->now_us / 1000);
	dtt_node_free(sn->node);
	sn->node = NULL;
}

static void node_rejoin(struct dtt_sim *s, struct simnode *sn)
{
	if (sn->state != NS_CRASHED && sn->state != NS_LEFT)
		return;
	sn->incarnation++; /* datagrams sent to the old incarnation are dropped on arrival */
	sn->leave_ms = -1;
	node_start(s, sn);
}

/* --- datagrams and wakes --- */

static void receive(struct dtt_sim *s, uint32_t from, uint32_t to, uint32_t to_inc,
		    const uint8_t *data, size_t len)
{
	struct simnode *sn = &s->nodes[to];
	struct dtt_addr fa;

	if (sn->state != NS_UP || sn->incarnation != to_inc) {
		s->net.stats.undeliverable++;
	} else if (!dtt_simnet_can_reach(&s->net, from, to)) {
		s->net.stats.blocked++;
	} else {
		dig(sn, s->now_us);
		dig(sn, (uint64_t)from << 32 | to);
		dig(sn, len);
		dig(sn, hash_bytes(data, len));
		s->net.stats.delivered++;
		s->delivered++;
		sim_node_addr(from, &fa);
		dtt_node_on_datagram(sn->node, &fa, data, len);
		sim_rearm(s, sn);
	}
}

static void on_deliver(struct dtt_sim *s, uint32_t idx)
{
	const struct dtt_simpkt *k = dtt_simpool_pkt(&s->pool, idx);

	receive(s, k->from, k->to, k->to_inc, dtt_simpool_data(&s->pool, idx), k->len);
	dtt_simpool_release(&s->pool, idx);
}

void dtt_sim_receive(struct dtt_sim *s, uint64_t t_us, uint32_t from, uint32_t to, uint32_t to_inc,
		     const uint8_t *data, size_t len)
{
	if (s->status || to >= s->n || from >= s->n)
		return;
	s->now_us = t_us;
	s->events++; /* an arrival is an event, as a built-in DELIVER is */
	s->iv.events++;
	s->cur_node = to;
	s->origin = to;
	receive(s, from, to, to_inc, data, len);
	s->cur_node = -1;
	s->origin = ORIGIN_GLOBAL;
}

static void on_wake(struct dtt_sim *s, struct simnode *sn, uint32_t gen)
{
	uint64_t d;

	if (sn->state != NS_UP || gen != sn->wake_gen) {
		s->stale++;
		return;
	}
	sn->wake_at_us = UINT64_MAX;
	d = dtt_node_next_deadline_ms(sn->node);
	if (d != UINT64_MAX && sim_ms_to_us(d) <= s->now_us) {
		dig(sn, s->now_us);
		dig(sn, 0xffffffff00000000ull | sn->index);
		s->wakes++;
		dtt_node_on_deadline(sn->node);
	}
	sim_rearm(s, sn);
}

/* --- workload --- */

/* A random alive DHT node (members do not run the DHT workload). */
static uint32_t pick_node(struct dtt_sim *s)
{
	uint32_t start, n = s->n_dht;

	for (int i = 0; i < PICK_TRIES; i++) {
		uint32_t c = (uint32_t)dtt_rng_uniform(&s->wl_rng, n);

		if (s->nodes[c].state == NS_UP)
			return c;
	}
	start = (uint32_t)dtt_rng_uniform(&s->wl_rng, n);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t c = (start + i) % n;

		if (s->nodes[c].state == NS_UP)
			return c;
	}
	return UINT32_MAX;
}

static struct op *op_at(const struct dtt_sim *s, uint32_t i)
{
	return &s->op_chunks[i >> OP_CHUNK_SHIFT][i & (OP_CHUNK - 1)];
}

static struct op *op_new(struct dtt_sim *s, uint8_t kind, uint32_t node, uint32_t key)
{
	struct op *o;
	uint32_t i;

	if (s->ops_free != OP_NONE) {
		i = s->ops_free;
		s->ops_free = op_at(s, i)->next_free;
	} else {
		if (s->ops_n >= SIM_OPS_MAX)
			return NULL;
		if ((s->ops_n >> OP_CHUNK_SHIFT) >= s->op_chunks_n) {
			struct op **a =
			    dtt_realloc(s->op_chunks, (s->op_chunks_n + 1) * sizeof(*a));

			if (!a)
				return NULL;
			s->op_chunks = a;
			a[s->op_chunks_n] = dtt_alloc(OP_CHUNK * sizeof(struct op));
			if (!a[s->op_chunks_n])
				return NULL;
			s->op_chunks_n++;
		}
		i = (uint32_t)s->ops_n++;
	}
	o = op_at(s, i);
	memset(o, 0, sizeof(*o));
	o->sim = s;
	o->index = i;
	o->kind = kind;
	o->node = node;
	o->key = key;
	o->start_us = s->now_us;
	return o;
}

static void op_free(struct dtt_sim *s, struct op *o)
{
	o->kind = OP_FREE;
	o->next_free = s->ops_free;
	s->ops_free = o->index;
}

static void message_row(struct dtt_sim *s, const struct op *o, const char *kind,
			const char *outcome, double latency_ms, int64_t delivered)
{
	struct dtt_results_message m = {
	    .t_ms = o->start_us / 1000,
	    .kind = kind,
	    .node = o->node,
	    .outcome = outcome,
	    .latency_ms = latency_ms,
	    .delivered = delivered,
	    .missed = -1,
	    .datagrams = -1,
	    .rmr = NAN,
	    .ldh = NAN,
	    .p50_ms = NAN,
	    .p99_ms = NAN,
	};

	if (s->res && !s->closing)
		dtt_results_message(s->res, &m);
}

static void lat_add(struct dtt_sim *s, double ms)
{
	struct interval *iv = &s->iv;

	if (iv->lat_n == iv->lat_cap) {
		size_t cap = iv->lat_cap ? iv->lat_cap * 2 : 256;
		double *a = dtt_realloc(iv->lat, cap * sizeof(*a));

		if (!a) {
			sim_fatal(s, DTT_ERR_NOMEM, "latency samples");
			return;
		}
		iv->lat = a;
		iv->lat_cap = cap;
	}
	iv->lat[iv->lat_n++] = ms;
}

static void get_value(void *ctx, const struct dtt_dht_value *v)
{
	struct op *o = ctx;
	struct dtt_sim *s = o->sim;

	if (!o->values++)
		o->first_us = s->now_us;
	if (v->seq >= o->seq)
		o->fresh = true;
}

static void get_done(void *ctx, const struct dtt_dht_get_result *res)
{
	struct op *o = ctx;
	struct dtt_sim *s = o->sim;
	const char *outcome;
	double lat;

	if (s->closing) {
		op_free(s, o);
		return;
	}
	if (res->status == DTT_ERR_CANCELED) {
		s->tot.canceled++;
		message_row(s, o, "get", "canceled", (double)(s->now_us - o->start_us) / 1000.0,
			    o->values);
		op_free(s, o);
		return;
	}
	s->iv.gets++;
	s->tot.gets++;
	if (o->values) {
		/* found, also when the lookup ran into its deadline afterwards */
		outcome = "ok";
		lat = (double)(o->first_us - o->start_us) / 1000.0;
		s->iv.gets_ok++;
		s->tot.gets_ok++;
		if (o->fresh) {
			s->iv.gets_fresh++;
			s->tot.gets_fresh++;
		}
		lat_add(s, lat);
	} else {
		outcome = res->status == DTT_ERR_TIMEOUT			? "timeout"
			  : res->status == 0 || res->status == DTT_ERR_NOTFOUND ? "notfound"
										: "failed";
		lat = (double)(s->now_us - o->start_us) / 1000.0;
	}
	message_row(s, o, "get", outcome, lat, o->values);
	op_free(s, o);
}

static void put_done(void *ctx, const struct dtt_dht_put_result *res)
{
	struct op *o = ctx;
	struct dtt_sim *s = o->sim;
	struct wkey *k = &s->keys[o->key];
	double lat = (double)(s->now_us - o->start_us) / 1000.0;
	const char *outcome;

	if (s->closing) {
		op_free(s, o);
		return;
	}
	if (res->status == DTT_ERR_CANCELED) {
		s->tot.canceled++;
		message_row(s, o, "put", "canceled", lat, (int64_t)res->stored);
		op_free(s, o);
		return;
	}
	s->iv.puts++;
	s->tot.puts++;
	s->iv.put_stored += res->stored;
	if (res->stored) {
		outcome = "ok";
		s->iv.puts_ok++;
		s->tot.puts_ok++;
		if (!k->stored) {
			k->stored = true;
			s->stored_at[s->stored_n].time_us = s->ev_time_us;
			s->stored_at[s->stored_n].key = s->ev_key;
			s->stored_keys[s->stored_n++] = o->key;
		}
		if (o->seq > k->stored_seq)
			k->stored_seq = o->seq;
	} else {
		outcome = res->status == DTT_ERR_TIMEOUT    ? "timeout"
			  : res->status == DTT_ERR_NOTFOUND ? "notfound"
							    : "failed";
	}
	message_row(s, o, "put", outcome, lat, (int64_t)res->stored);
	op_free(s, o);
}

/* A start call refused the operation: it counts, as a failure, in the interval. */
static void op_refused(struct dtt_sim *s, struct op *o, int64_t err)
{
	const char *kind = o->kind == OP_GET ? "get" : "put";

	if (o->kind == OP_GET) {
		s->iv.gets++;
		s->tot.gets++;
	} else {
		s->iv.puts++;
		s->tot.puts++;
	}
	(void)err;
	message_row(s, o, kind, "failed", 0.0, 0);
	op_free(s, o);
}

static void on_put(struct dtt_sim *s)
{
	const struct dtt_scenario *sc = s->sc;
	uint8_t raw[DTT_BEP44_RAW_V_MAX], v[DTT_BEP44_V_MAX];
	uint32_t node, key;
	struct wkey *k;
	struct op *o;
	int64_t id;
	int v_len;
	size_t l;

	if (s->now_us + sim_ms_to_us(sc->workload.put_every_ms) <= s->end_us)
		sim_push(s, s->now_us + sim_ms_to_us(sc->workload.put_every_ms), TAG(EV_PUT, 0), 0);
	node = pick_node(s);
	if (sc->workload.put_keys == DTT_PUT_KEYS_NEXT)
		key = (uint32_t)(s->puts_started++ % sc->workload.keys);
	else
		key = (uint32_t)dtt_rng_uniform(&s->wl_rng, sc->workload.keys);
	if (node == UINT32_MAX) {
		s->tot.skipped++;
		return;
	}
	k = &s->keys[key];
	o = op_new(s, OP_PUT, node, key);
	if (!o) {
		s->tot.skipped++;
		return;
	}
	o->seq = ++k->seq;
	s->cur_node = node;
	/* The value names its key and seq, padded with bytes derived from both. */
	l = (size_t)snprintf((char *)raw, sizeof(raw), "k%u/s%lld/", key, (long long)k->seq);
	if (l > sc->workload.value_size)
		l = sc->workload.value_size;
	for (size_t j = l; j < sc->workload.value_size; j++)
		raw[j] = (uint8_t)sim_mix64((uint64_t)key << 40 ^ (uint64_t)k->seq << 12 ^ j);
	v_len = dtt_bep44_string_encode(v, sizeof(v), raw, sc->workload.value_size);
	if (v_len < 0) {
		op_refused(s, o, v_len);
		return;
	}
	id = dtt_dht_put_mutable(dtt_node_dht(s->nodes[node].node), k->sk, k->salt, k->salt_len,
				 k->seq, NULL, v, (size_t)v_len, put_done, o);
	if (id < 0)
		op_refused(s, o, id);
	sim_rearm(s, &s->nodes[node]);
}

static void on_get(struct dtt_sim *s)
{
	const struct dtt_scenario *sc = s->sc;
	uint32_t node, key;
	struct wkey *k;
	struct op *o;
	int64_t id;

	if (s->now_us + sim_ms_to_us(sc->workload.get_every_ms) <= s->end_us)
		sim_push(s, s->now_us + sim_ms_to_us(sc->workload.get_every_ms), TAG(EV_GET, 0), 0);
	node = pick_node(s);
	if (sc->workload.get_keys == DTT_GET_KEYS_ANY) {
		key = (uint32_t)dtt_rng_uniform(&s->wl_rng, sc->workload.keys);
	} else if (!s->stored_n) {
		key = UINT32_MAX;
	} else if (sc->workload.get_keys == DTT_GET_KEYS_RECENT) {
		size_t w =
		    s->stored_n < DTT_SCENARIO_RECENT_KEYS ? s->stored_n : DTT_SCENARIO_RECENT_KEYS;

		key = s->stored_keys[s->stored_n - w + dtt_rng_uniform(&s->wl_rng, w)];
	} else {
		key = s->stored_keys[dtt_rng_uniform(&s->wl_rng, s->stored_n)];
	}
	if (node == UINT32_MAX || key == UINT32_MAX) {
		s->tot.skipped++;
		return;
	}
	k = &s->keys[key];
	o = op_new(s, OP_GET, node, key);
	if (!o) {
		s->tot.skipped++;
		return;
	}
	s->cur_node = node;
	o->seq = k->stored_seq;
	id = dtt_dht_get_mutable(dtt_node_dht(s->nodes[node].node), k->pk, k->salt, k->salt_len,
				 get_value, get_done, o);
	if (id < 0)
		op_refused(s, o, id);
	sim_rearm(s, &s->nodes[node]);
}

/* --- scenario events --- */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Picks round(fraction * candidates) of the nodes for which want() holds, with the fault
 * stream, in ascending index order. Returns the count (list in *out, to free) or -1. */
/* count >= 0: that many; -1: the fraction; -2: the fraction, at least one. */
static long choose_n(struct dtt_sim *s, double fraction, long count, enum dtt_scenario_who who,
		     bool (*want)(const struct dtt_sim *, const struct simnode *, bool), bool flag,
		     uint32_t **out)
{
	uint32_t *c = dtt_alloc((s->n ? s->n : 1) * sizeof(*c));
	uint32_t lo = who == DTT_WHO_MEMBERS ? s->n_dht : 0,
		 hi = who == DTT_WHO_DHT ? s->n_dht : s->n - s->n_att; /* never attackers */
	size_t m = 0, k;

	if (!c)
		return -1;
	for (uint32_t i = lo; i < hi; i++)
		if (want(s, &s->nodes[i], flag))
			c[m++] = i;
	k = count >= 0 ? (size_t)count : (size_t)llround(fraction * (double)m);
	if (count == -2 && k == 0 && fraction > 0)
		k = 1;
	if (k > m)
		k = m;
	for (size_t i = 0; i < k; i++) { /* partial Fisher-Yates */
		size_t j = i + (size_t)dtt_rng_uniform(&s->fault_rng, m - i);
		uint32_t t = c[i];

		c[i] = c[j];
		c[j] = t;
	}
	qsort(c, k, sizeof(*c), cmp_u32);
	*out = c;
	return (long)k;
}

static long choose(struct dtt_sim *s, double fraction, enum dtt_scenario_who who,
		   bool (*want)(const struct dtt_sim *, const struct simnode *, bool), bool flag,
		   uint32_t **out)
{
	return choose_n(s, fraction, -1, who, want, flag, out);
}

static bool want_up(const struct dtt_sim *s, const struct simnode *sn, bool include_bootstrap)
{
	return sn->state == NS_UP &&
	       (include_bootstrap || sn->member >= 0 || sn->index >= s->sc->dht.bootstrap);
}

static bool want_down(const struct dtt_sim *s, const struct simnode *sn, bool unused)
{
	(void)s;
	(void)unused;
	return sn->state == NS_CRASHED || sn->state == NS_LEFT;
}

static bool want_any(const struct dtt_sim *s, const struct simnode *sn, bool unused)
{
	(void)s;
	(void)sn;
	(void)unused;
	return true;
}

static void on_scenario(struct dtt_sim *s, uint32_t idx)
{
	const struct dtt_scenario_event *ev = &s->sc->events[idx];
	uint32_t *chosen = NULL;
	char detail[64 * 24];
	long k;
	int err;

	switch (ev->kind) {
	case DTT_SCEV_PARTITION: {
		size_t l = 0;

		err = dtt_simnet_partition(&s->net, ev->fractions, ev->groups, &s->fault_rng);
		if (err) {
			sim_fatal(s, err, "partition");
			return;
		}
		detail[0] = 0;
		for (size_t g = 0; g < ev->groups && l < sizeof(detail) - 24; g++)
			l += (size_t)snprintf(detail + l, sizeof(detail) - l, "%s%g", g ? "," : "",
					      ev->fractions[g]);
		sim_event_row(s, -1, "partition", -1, (int64_t)ev->groups, detail);
		return;
	}
	case DTT_SCEV_HEAL:
		dtt_simnet_heal(&s->net);
		sim_event_row(s, -1, "heal", -1, -1, NULL);
		sim_members_on_heal(s);
		return;
	case DTT_SCEV_CRASH:
	case DTT_SCEV_LEAVE:
	case DTT_SCEV_REJOIN:
		k = choose(s, ev->fraction, ev->who,
			   ev->kind == DTT_SCEV_REJOIN ? want_down : want_up, ev->include_bootstrap,
			   &chosen);
		if (k < 0) {
			sim_fatal(s, DTT_ERR_NOMEM, "churn");
			return;
		}
		for (long i = 0; i < k; i++) {
			struct simnode *sn = &s->nodes[chosen[i]];

			if (ev->kind == DTT_SCEV_REJOIN) {
				node_rejoin(s, sn);
				sim_event_row(s, sn->index, "rejoin", -1, sn->incarnation, NULL);
			} else {
				node_stop(s, sn, ev->kind == DTT_SCEV_LEAVE);
				sim_event_row(s, sn->index,
					      ev->kind == DTT_SCEV_LEAVE ? "leave" : "crash", -1,
					      -1, NULL);
			}
		}
		dtt_free(chosen);
		return;
	case DTT_SCEV_LOSS:
		s->net.loss = ev->value;
		snprintf(detail, sizeof(detail), "%g", ev->value);
		sim_event_row(s, -1, "loss", -1, -1, detail);
		return;
	case DTT_SCEV_DUPLICATE:
		s->net.duplicate = ev->value;
		snprintf(detail, sizeof(detail), "%g", ev->value);
		sim_event_row(s, -1, "duplicate", -1, -1, detail);
		return;
	case DTT_SCEV_JITTER:
		s->net.jitter_ms = ev->value_ms;
		snprintf(detail, sizeof(detail), "%gms", ev->value_ms);
		sim_event_row(s, -1, "jitter", -1, -1, detail);
		return;
	case DTT_SCEV_CUT:
		/* a fraction cuts at least one node: 1:1000 of a few hundred is one node */
		k = choose_n(s, ev->fraction, ev->count >= 0 ? ev->count : -2, ev->who, want_up,
			     ev->include_bootstrap, &chosen);
		if (k < 0) {
			sim_fatal(s, DTT_ERR_NOMEM, "cut");
			return;
		}
		err = dtt_simnet_cut(&s->net, chosen, (size_t)k, ev->alone);
		if (err) {
			dtt_free(chosen);
			sim_fatal(s, err, "cut");
			return;
		}
		for (long i = 0; i < k; i++)
			sim_event_row(s, chosen[i], "cut", -1, ev->alone, NULL);
		snprintf(detail, sizeof(detail), "%ld%s", k, ev->alone ? " alone" : "");
		sim_event_row(s, -1, "cut", -1, k, detail);
		dtt_free(chosen);
		return;
	case DTT_SCEV_CLOCK_SKEW: {
		uint64_t max = (uint64_t)ev->value_ms;

		k = choose(s, ev->fraction, ev->who, want_any, false, &chosen);
		if (k < 0) {
			sim_fatal(s, DTT_ERR_NOMEM, "clock_skew");
			return;
		}
		for (long i = 0; i < k; i++) {
			struct simnode *sn = &s->nodes[chosen[i]];

			if (ev->skew_fixed)
				sn->skew_ms = (int64_t)max;
			else
				sn->skew_ms = (int64_t)dtt_rng_uniform(&s->fault_rng, 2 * max + 1) -
					      (int64_t)max;
			sim_event_row(s, sn->index, "clock_skew", -1, sn->skew_ms, NULL);
		}
		dtt_free(chosen);
		return;
	}
	}
}

/* --- samples --- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array. */
static double percentile(const double *v, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);

	return v[r ? r - 1 : 0];
}

double sim_percentile(double *v, size_t n, double p)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	return percentile(v, n, p);
}

static uint64_t node_queries(struct dtt_node *node)
{
	const struct dtt_dht_stats *st = dtt_dht_stats(dtt_node_dht(node));
	uint64_t sum = 0;

	for (int i = 0; i < DTT_KRPC_METHOD__COUNT; i++)
		sum += st->queries_received[i];
	return sum;
}

static void on_sample(struct dtt_sim *s)
{
	struct interval *iv = &s->iv;
	uint64_t t = s->now_us / 1000, alive = 0, rt_sum = 0, drops = s->drops_pending;
	uint64_t every = sim_ms_to_us(s->sc->sample_every_ms), hottest = 0;
	uint64_t dt_ms = (s->now_us - s->last_sample_us) / 1000;
	int64_t hottest_node = -1;
	double wall = wall_now(), dt = wall - iv->wall0;

	for (uint32_t i = 0; i < s->n; i++) {
		struct simnode *sn = &s->nodes[i];
		uint64_t d, q;

		if (sn->state != NS_UP)
			continue;
		alive++;
		rt_sum += dtt_dht_node_count(dtt_node_dht(sn->node));
		d = node_drops(sn->node);
		drops += d - sn->drops_seen;
		sn->drops_seen = d;
		q = node_queries(sn->node);
		if (q - sn->queries_seen > hottest) {
			hottest = q - sn->queries_seen;
			hottest_node = i;
		}
		sn->queries_seen = q;
	}
	s->drops_pending = 0;
	if (iv->gets) {
		emit(s, M_GET_SUCCESS, t, (double)iv->gets_ok / (double)iv->gets, (double)iv->gets);
		emit(s, M_GET_FRESH, t, (double)iv->gets_fresh / (double)iv->gets,
		     (double)iv->gets);
	}
	if (iv->lat_n) {
		qsort(iv->lat, iv->lat_n, sizeof(*iv->lat), cmp_double);
		emit(s, M_GET_P50, t, percentile(iv->lat, iv->lat_n, 0.50), (double)iv->lat_n);
		emit(s, M_GET_P95, t, percentile(iv->lat, iv->lat_n, 0.95), (double)iv->lat_n);
	}
	emit(s, M_GETS, t, (double)iv->gets, 1);
	if (iv->puts) {
		emit(s, M_PUT_STORED_MEAN, t, (double)iv->put_stored / (double)iv->puts,
		     (double)iv->puts);
		emit(s, M_PUT_SUCCESS, t, (double)iv->puts_ok / (double)iv->puts, (double)iv->puts);
	}
	emit(s, M_PUTS, t, (double)iv->puts, 1);
	emit(s, M_ALIVE, t, (double)alive, 1);
	if (alive)
		emit(s, M_RT_MEAN, t, (double)rt_sum / (double)alive, 1);
	emit(s, M_DATAGRAMS, t, (double)iv->datagrams, 1);
	emit(s, M_BYTES, t, (double)iv->bytes, 1);
	emit(s, M_DROPPED, t, (double)drops, 1);
	emit(s, M_NET_LOST, t, (double)(s->net.stats.lost - iv->lost0), 1);
	emit(s, M_NET_BLOCKED, t, (double)(s->net.stats.blocked - iv->blocked0), 1);
	emit(s, M_EVENTS_PER_S, t, dt > 0 ? (double)iv->events / dt : 0, 1);
	emit(s, M_RSS, t, (double)rss_now(), 1);
	if (dt_ms) {
		double rps = (double)hottest * 1000.0 / (double)dt_ms;

		emit(s, M_HOTTEST_RPS, t, rps, 1);
		if (rps > s->tot.hottest_rps) {
			s->tot.hottest_rps = rps;
			s->tot.hottest_node = hottest_node;
		}
	}
	if (s->topics_n) {
		emit(s, M_DGRAMS_DHT, t, (double)iv->dgrams_dht, 1);
		emit(s, M_DGRAMS_GOSSIP, t, (double)iv->dgrams_gossip, 1);
		emit(s, M_BYTES_DHT, t, (double)iv->bytes_dht, 1);
		emit(s, M_BYTES_GOSSIP, t, (double)iv->bytes_gossip, 1);
		sim_members_sample(s, t, dt_ms);
	}
	s->last_sample_us = s->now_us;

	s->tot.datagrams += iv->datagrams;
	s->tot.bytes += iv->bytes;
	iv->gets = iv->gets_ok = iv->gets_fresh = iv->puts = iv->puts_ok = iv->put_stored = 0;
	iv->datagrams = iv->bytes = iv->events = 0;
	iv->dgrams_dht = iv->dgrams_gossip = iv->bytes_dht = iv->bytes_gossip = 0;
	iv->lat_n = 0;
	iv->lost0 = s->net.stats.lost;
	iv->blocked0 = s->net.stats.blocked;
	iv->wall0 = wall;
	if (s->now_us + every <= s->end_us)
		sim_push(s, s->now_us + every, TAG(EV_SAMPLE, 0), 0);
}

/* --- progress line --- */

static void fmt_secs(double secs, char *out, size_t len)
{
	long s = (long)(secs + 0.5);

	if (s >= 3600)
		snprintf(out, len, "%ldh%02ldm%02lds", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(out, len, "%ldm%02lds", s / 60, s % 60);
	else
		snprintf(out, len, "%lds", s);
}

static void progress(struct dtt_sim *s, double now)
{
	double frac = s->end_us ? (double)s->now_us / (double)s->end_us : 1.0;
	double el = now - s->wall_start, eps = el > 0 ? (double)s->events / el : 0;
	char a[32], b[32], c[32];

	fmt_secs((double)s->now_us / 1e6, a, sizeof(a));
	fmt_secs((double)s->end_us / 1e6, b, sizeof(b));
	if (frac > 0.001)
		fmt_secs(el * (1 - frac) / frac, c, sizeof(c));
	else
		snprintf(c, sizeof(c), "?");
	fprintf(stderr, "\r\033[K%s: sim %s / %s (%2.0f%%)  %.2fM events/s  ETA %s", s->sc->name, a,
		b, frac * 100, eps / 1e6, c);
	fflush(stderr);
	s->progress_shown = true;
	s->last_progress = now;
}

/* --- public API --- */

static int setup_workload(struct dtt_sim *s)
{
	const struct dtt_scenario *sc = s->sc;
	uint8_t seed[DTT_ED25519_SEED_BYTES];

	if (!sc->workload.put_every_ms && !sc->workload.get_every_ms)
		return 0;
	s->keys = dtt_alloc(sc->workload.keys * sizeof(*s->keys));
	s->stored_keys = dtt_alloc(sc->workload.keys * sizeof(*s->stored_keys));
	s->stored_at = dtt_alloc(sc->workload.keys * sizeof(*s->stored_at));
	if (!s->keys || !s->stored_keys || !s->stored_at)
		return DTT_ERR_NOMEM;
	for (uint32_t i = 0; i < sc->workload.keys; i++) {
		struct wkey *k = &s->keys[i];

		dtt_rng_fill(&s->wl_rng, seed, sizeof(seed));
		dtt_crypto_seed_keypair_once(&s->crypto, k->pk, k->sk, seed);
		k->salt_len = (size_t)snprintf((char *)k->salt, sizeof(k->salt), "k%u", i);
	}
	if (sc->workload.put_every_ms)
		sim_push(s, sim_ms_to_us(sc->workload.start_ms), TAG(EV_PUT, 0), 0);
	if (sc->workload.get_every_ms)
		sim_push(s, sim_ms_to_us(sc->workload.start_ms), TAG(EV_GET, 0), 0);
	return 0;
}

struct dtt_sim *dtt_sim_new(const struct dtt_scenario *sc, const struct dtt_sim_options *opt,
			    char *err, size_t err_len)
{
	struct dtt_sim *s;
	struct dtt_rng lat_rng;
	int rc;

	if (dtt_init()) { /* main calls it first; again for embedders (the unit tests) */
		snprintf(err, err_len, "crypto initialisation failed");
		return NULL;
	}
	s = dtt_alloc(sizeof(*s));
	if (!s) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	s->rss_start = rss_now();
	s->wall_start = s->last_progress = s->iv.wall0 = wall_now();
	s->sc = sc;
	s->opt = *opt;
	s->res = opt->results;
	s->seed = opt->seed;
	s->n_dht = sc->dht.nodes;
	s->n_att = sc->squat.nodes;
	s->n = sc->dht.nodes + sc->members + s->n_att;
	s->tot.hottest_node = -1;
	s->end_us = sim_ms_to_us(
	    opt->until_ms && opt->until_ms < sc->duration_ms ? opt->until_ms : sc->duration_ms);
	s->ops_free = OP_NONE;
	s->cur_node = -1;
	s->origin = ORIGIN_GLOBAL;
	dtt_simq_init(&s->gq, 0);
	dtt_simpool_init(&s->pool, 0);
	dtt_node_config_init(&s->cfg);
	/* Every node checks the same few signed items again and again (each storing node on a
	 * put, each reader on every reply): one shared memo pays for each distinct item once. */
	s->memo = dtt_verify_memo_new(DTT_VERIFY_MEMO_SLOTS_DEFAULT);
	if (!s->memo) {
		rc = DTT_ERR_NOMEM;
		goto fail;
	}
	s->cfg.dht.verify_memo = s->memo;
	/* X25519 values, key conversions, slot key pairs and key checks are pure functions that
	 * many nodes compute on the same inputs (both ends of every handshake): one memo for all. */
	{
		/* Sized by the population: a DH value is wanted again within a handshake (the
		 * other end, one network latency later) or at the next one between the same
		 * statics (minutes later), a conversion at every contact with a known id. Keeping
		 * values for minutes takes a table 8 times larger, which pays only for real
		 * X25519: a modelled DH costs about what a lookup in it does. */
		struct dtt_crypto_memo_sizes ms = {{0}};
		size_t n = s->n < 64 ? 64 : s->n;
		size_t dh = sc->crypto_modelled ? n * 2 : n * 16;

		ms.slots[DTT_CRYPTO_MEMO_DH] = dh > (1u << 22) ? (1u << 22) : dh;
		ms.slots[DTT_CRYPTO_MEMO_CONV] = n * 8 > (1u << 21) ? (1u << 21) : n * 8;
		ms.slots[DTT_CRYPTO_MEMO_KEYPAIR] = 1024;
		ms.slots[DTT_CRYPTO_MEMO_PKCHECK] = n * 4 > (1u << 20) ? (1u << 20) : n * 4;
		s->crypto.memo = dtt_crypto_memo_new(&ms);
	}
	if (sc->crypto_modelled)
		s->crypto.ops = &dtt_crypto_modelled_ops;
	if (!s->crypto.memo) {
		rc = DTT_ERR_NOMEM;
		goto fail;
	}
	s->cfg.memo_entries = 1; /* DHT nodes join no topic: their record memo stays unused */
	s->cfg.dht.vote_addr = false; /* nor publish an address: no votes to keep */
	/* Members: DHT clients (BEP 43) unless members_are: server, and one record memo for all
	 * (opening a record is a pure function of its inputs: DESIGN.md, "Cost model"). */
	s->mcfg = s->cfg;
	s->mcfg.memo_entries = 0;
	s->mcfg.dht.read_only = !sc->dht.members_are_servers;
	s->mcfg.dht.vote_addr = true; /* they learn their address from the replies' `ip` */
	s->acfg = s->cfg;
	s->acfg.dht.read_only = true;
	if (sc->members) {
		rc = dtt_record_memo_init(&s->rmemo, DTT_RECORD_MEMO_DEFAULT * 16);
		if (rc)
			goto fail;
		s->rmemo_ready = true;
		s->mcfg.shared_memo = &s->rmemo;
	}
	dtt_rng_derive(&s->wl_rng, s->seed, DTT_SIM_RNG_WORKLOAD, 0);
	dtt_rng_derive(&s->fault_rng, s->seed, DTT_SIM_RNG_FAULTS, 0);
	dtt_rng_derive(&s->join_rng, s->seed, DTT_SIM_RNG_JOIN, 0);
	dtt_rng_derive(&lat_rng, s->seed, DTT_SIM_RNG_LATENCY, 0);
	rc = dtt_simnet_init(&s->net, s->n, &sc->network.latency, dtt_rng_next(&lat_rng));
	if (rc)
		goto fail;
	s->net.jitter_ms = sc->network.jitter_ms;
	s->net.loss = sc->network.loss;
	s->net.duplicate = sc->network.duplicate;

	s->nodes = dtt_alloc((size_t)s->n * sizeof(*s->nodes));
	s->boot_n = sc->dht.bootstrap < s->n ? sc->dht.bootstrap : s->n;
	s->boot = dtt_alloc((s->boot_n ? s->boot_n : 1) * sizeof(*s->boot));
	if (!s->nodes || !s->boot) {
		rc = DTT_ERR_NOMEM;
		goto fail;
	}
	for (size_t i = 0; i < s->boot_n; i++)
		sim_node_addr((uint32_t)i, &s->boot[i]);
	for (uint32_t i = 0; i < s->n; i++) {
		struct simnode *sn = &s->nodes[i];

		sn->env.ops = &sim_env_ops;
		sn->env.ctx = sn;
		sn->env.log_level = opt->log_level;
		sn->env.crypto = &s->crypto;
		sn->sim = s;
		dtt_rng_derive(&sn->net_rng, s->seed, DTT_SIM_RNG_NETWORK, i);
		sn->index = i;
		sn->wake_at_us = UINT64_MAX;
		sn->join_ms = -1;
		sn->leave_ms = -1;
		sn->member = -1;
	}
	s->lanes_n = opt->lanes > 1 ? opt->lanes : 1;
	s->lookahead_us = dtt_simnet_min_us(&s->net);
	if (s->lanes_n > 1 &&
	    (opt->backend || !s->lookahead_us || s->lanes_n > SIM_LANES_MAX || s->lanes_n > s->n)) {
		sim_fatal(s, DTT_ERR_INVALID,
			  "lanes (more than one needs the built-in backend, a latency with a lower "
			  "bound above zero and at most one lane per node)");
		rc = DTT_ERR_INVALID;
		goto fail;
	}
	s->lanes = dtt_alloc(s->lanes_n * sizeof(*s->lanes));
	if (!s->lanes) {
		rc = DTT_ERR_NOMEM;
		goto fail;
	}
	for (uint32_t i = 0; i < s->lanes_n; i++)
		dtt_simq_init(&s->lanes[i], 0);
	s->be_ops = opt->backend ? opt->backend : &dtt_sim_builtin_backend;
	rc = s->be_ops->open(s, &s->be, s->err, sizeof(s->err));
	if (rc) {
		s->be_ops = NULL;
		snprintf(err, err_len, "%s backend: %s", opt->backend->name, s->err);
		dtt_sim_free(s);
		return NULL;
	}
	/* Joins: the well-known bootstrap nodes at 0, the others spread over join.over. */
	for (uint32_t i = 0; i < s->n_dht; i++) {
		uint64_t t = 0;

		if (i >= s->boot_n && sc->dht.join_over_ms)
			t = dtt_rng_uniform(&s->join_rng, sim_ms_to_us(sc->dht.join_over_ms));
		sim_push(s, t, TAG(EV_JOIN, i), 0);
	}
	/* Members: their joins (after every DHT node's draw) and their topics' traffic. */
	rc = sim_members_init(s);
	if (rc || s->status)
		goto fail;
	sim_attack_init(s);
	for (size_t i = 0; i < sc->events_count; i++)
		sim_push(s, sim_ms_to_us(sc->events[i].at_ms), TAG(EV_SCENARIO, 0), (uint32_t)i);
	sim_push(s, sim_ms_to_us(sc->sample_every_ms), TAG(EV_SAMPLE, 0), 0);
	rc = setup_workload(s);
	if (rc || s->status)
		goto fail;
	if (s->res) {
		char strategy[DTT_SCENARIO_TOPICS_MAX * (DTT_SCENARIO_STRATEGY_MAX + 1)] = "";
		size_t l = 0;

		for (size_t i = 0; i < sc->topics_count && l < sizeof(strategy); i++)
			l += (size_t)snprintf(strategy + l, sizeof(strategy) - l, "%s%s",
					      i ? "," : "", sc->topics[i].strategy);
		struct dtt_results_run run = {
		    .scenario_name = sc->name,
		    .scenario_path = sc->path,
		    .scenario_text = sc->text,
		    .seed = s->seed,
		    .version = DTT_VERSION,
		    .strategy = strategy,
		    .crypto = dtt_crypto_name(&s->crypto),
		    .start_unix = sc->start_unix,
		    .duration_ms = s->end_us / 1000,
		    .nodes = s->n,
		    .overrides = sc->overrides,
		    .backend = s->be_ops->name,
		};
		int64_t id = dtt_results_run_begin(s->res, &run);

		if (id < 0) {
			rc = (int)id;
			snprintf(err, err_len, "results: cannot start the run: %s",
				 dtt_strerror(rc));
			dtt_sim_free(s);
			return NULL;
		}
		/* Members are known as members from the start (rewritten with their times at
		 * the end), so a run cut short still tells members from DHT nodes. */
		for (uint32_t i = s->n_dht; i < s->n; i++)
			dtt_results_node(s->res, i, sim_is_attacker(s, i) ? "attacker" : "member",
					 -1, -1);
	}
	return s;
fail:
	snprintf(err, err_len, "%s", s->status ? s->err : dtt_strerror(rc ? rc : DTT_ERR_NOMEM));
	dtt_sim_free(s);
	return NULL;
}

void dtt_sim_free(struct dtt_sim *s)
{
	if (!s)
		return;
	s->closing = true; /* canceled operations report to nobody */
	for (uint32_t i = 0; s->nodes && i < s->n; i++) {
		if (s->nodes[i].node) {
			s->nodes[i].state = NS_CRASHED;
			dtt_node_free(s->nodes[i].node);
		}
	}
	if (s->be_ops)
		s->be_ops->close(s->be);
	dtt_free(s->nodes);
	sim_members_free(s);
	dtt_verify_memo_free(s->memo); /* after the nodes, which borrow it */
	dtt_crypto_memo_free(s->crypto.memo);
	if (s->rmemo_ready)
		dtt_record_memo_deinit(&s->rmemo);
	dtt_free(s->boot);
	dtt_free(s->keys);
	dtt_free(s->stored_keys);
	dtt_free(s->stored_at);
	for (size_t i = 0; i < s->op_chunks_n; i++)
		dtt_free(s->op_chunks[i]);
	dtt_free(s->op_chunks);
	dtt_free(s->iv.lat);
	for (int m = 0; m < M__COUNT; m++)
		sim_series_free(&s->series[m]);
	dtt_simnet_deinit(&s->net);
	dtt_simpool_deinit(&s->pool);
	dtt_simq_deinit(&s->gq);
	for (uint32_t i = 0; s->lanes && i < s->lanes_n; i++)
		dtt_simq_deinit(&s->lanes[i]);
	dtt_free(s->lanes);
	dtt_free(s);
}

int dtt_sim_run_until(struct dtt_sim *s, uint64_t t_ms)
{
	uint64_t lim = sim_ms_to_us(t_ms);
	int rc;

	if (lim > s->end_us)
		lim = s->end_us;
	if (s->status)
		return s->status;
	rc = s->be_ops->run_until(s->be, lim);
	if (rc)
		return rc;
	if (lim > s->now_us)
		s->now_us = lim;
	return 0;
}

int dtt_sim_dispatch(struct dtt_sim *s, uint64_t t_us, uint32_t tag, uint32_t arg)
{
	uint32_t node = tag & TAG_NODE_MASK;

	if (s->status)
		return s->status;
	s->now_us = t_us;
	s->events++;
	s->iv.events++;
	s->cur_node = tag >> TAG_NODE_BITS <= EV_JOIN ? (int64_t)node : -1;
	/* a node's own datagrams and wakes schedule as that node; everything else (joins too,
	 * which read other members) as the global origin */
	s->origin = is_node_event(tag) ? node : ORIGIN_GLOBAL;
	switch (tag >> TAG_NODE_BITS) {
	case EV_DELIVER: on_deliver(s, arg); break;
	case EV_WAKE: on_wake(s, &s->nodes[node], arg); break;
	case EV_JOIN:
		if (s->nodes[node].state == NS_NEW)
			node_start(s, &s->nodes[node]);
		break;
	case EV_SCENARIO: on_scenario(s, arg); break;
	case EV_SAMPLE: on_sample(s); break;
	case EV_PUT: on_put(s); break;
	case EV_GET: on_get(s); break;
	case EV_TRAFFIC: sim_members_on_traffic(s, node); break;
	case EV_ATTACK: sim_attack_tick(s); break;
	default: sim_fatal(s, DTT_ERR_STATE, "unknown event kind"); break;
	}
	s->cur_node = -1;
	s->origin = ORIGIN_GLOBAL;
	if (s->status)
		return s->status;
	if (s->events % PROGRESS_EVERY == 0) {
		if (s->opt.stop && *s->opt.stop)
			return DTT_ERR_CANCELED;
		if (s->opt.progress) {
			double now = wall_now();

			if (now - s->last_progress >= 0.5)
				progress(s, now);
		}
	}
	return 0;
}

/* Cache hints, in two steps (nothing depends on them): the nodes are spread over the whole
 * heap, so an event's first reads would otherwise be cache misses one after the other. While
 * an event runs, the one likely to come after the next has its node and its datagram's header
 * requested (prefetch_far), and the next one, whose lines were requested an event ago, the
 * core node and the payload those lines point to (prefetch_near). */
static inline const struct simnode *event_node(const struct dtt_sim *s,
					       const struct dtt_simq_ev *ev)
{
	return ev->tag >> TAG_NODE_BITS <= EV_JOIN ? &s->nodes[ev->tag & TAG_NODE_MASK] : NULL;
}

static inline void prefetch_far(const struct dtt_sim *s, const struct dtt_simq_ev *ev)
{
	const struct simnode *sn = event_node(s, ev);

	if (!sn)
		return;
	for (size_t off = 0; off < sizeof(*sn); off += 64)
		__builtin_prefetch((const char *)sn + off);
	__builtin_prefetch((const char *)sn + sizeof(*sn) - 1);
	if (ev->tag >> TAG_NODE_BITS == EV_DELIVER)
		dtt_simpool_prefetch_header(&s->pool, ev->arg);
}

static inline void prefetch_near(const struct dtt_sim *s, const struct dtt_simq_ev *ev)
{
	const struct simnode *sn = event_node(s, ev);

	if (!sn)
		return;
	if (sn->node)
		dtt_node_prefetch(sn->node);
	if (ev->tag >> TAG_NODE_BITS == EV_DELIVER)
		dtt_simpool_prefetch_data(&s->pool, ev->arg);
}

static int run_event(struct dtt_sim *s, const struct dtt_simq_ev *ev)
{
	s->ev_time_us = ev->time_us;
	s->ev_key = ev->key;
	return dtt_sim_dispatch(s, ev->time_us, ev->tag, ev->arg);
}

/* Runs a lane's events that come before end, in (time, key) order. */
static int run_lane(struct dtt_sim *s, struct dtt_simq *q, const struct dtt_simq_ev *end)
{
	const struct dtt_simq_ev *top, *after;
	struct dtt_simq_ev ev;
	int rc;

	while ((top = dtt_simq_peek(q)) && dtt_simq_ev_less(top, end)) {
		dtt_simq_pop(q, &ev);
		if ((top = dtt_simq_peek(q)))
			prefetch_near(s, top);
		if ((after = dtt_simq_peek_after(q)))
			prefetch_far(s, after);
		rc = run_event(s, &ev);
		if (rc)
			return rc;
	}
	return 0;
}

/* Puts the keys first stored during a window in the order of the events that stored them,
 * as one lane would have (each lane's are in order already; stable, and a window's are few). */
static void stored_keys_in_order(struct dtt_sim *s, size_t from)
{
	for (size_t i = from + 1; i < s->stored_n; i++) {
		struct dtt_simq_ev at = s->stored_at[i];
		uint32_t key = s->stored_keys[i];
		size_t j = i;

		for (; j > from && dtt_simq_ev_less(&at, &s->stored_at[j - 1]); j--) {
			s->stored_at[j] = s->stored_at[j - 1];
			s->stored_keys[j] = s->stored_keys[j - 1];
		}
		s->stored_at[j] = at;
		s->stored_keys[j] = key;
	}
}

/* Window by window (engine.h, dtt_sim_options.lanes): every lane runs its events up to the
 * window's end, then the global event that ends it, if one does. With one lane this is the
 * plain (time, key) order of all events. */
static int builtin_run_until(void *be, uint64_t lim)
{
	struct dtt_sim *s = be;
	const struct dtt_simq_ev *g, *top;
	struct dtt_simq_ev end, ev;
	uint64_t lo;
	size_t stored;
	bool global;
	int rc;

	for (;;) {
		g = dtt_simq_peek(&s->gq);
		lo = UINT64_MAX;
		for (uint32_t i = 0; i < s->lanes_n; i++)
			if ((top = dtt_simq_peek(&s->lanes[i])) && top->time_us < lo)
				lo = top->time_us;
		if ((!g || g->time_us > lim) && lo > lim)
			return 0;
		end.time_us = lim + 1;
		end.key = 0;
		if (s->lanes_n > 1 && lo != UINT64_MAX && lo + s->lookahead_us < end.time_us)
			end.time_us = lo + s->lookahead_us;
		global = g && dtt_simq_ev_less(g, &end);
		if (global)
			end = *g;
		stored = s->stored_n;
		s->in_window = true;
		s->window_end_us = end.time_us;
		for (uint32_t i = 0; i < s->lanes_n; i++) {
			rc = run_lane(s, &s->lanes[i], &end);
			if (rc) {
				s->in_window = false;
				return rc;
			}
		}
		s->in_window = false;
		if (s->lanes_n > 1)
			stored_keys_in_order(s, stored);
		if (global) { /* still the top: nothing global is scheduled in a window */
			dtt_simq_pop(&s->gq, &ev);
			rc = run_event(s, &ev);
			if (rc)
				return rc;
		}
	}
}

const struct dtt_sim_backend_ops dtt_sim_builtin_backend = {
    .name = "dtt-sim",
    .open = builtin_open,
    .close = builtin_close,
    .schedule = builtin_schedule,
    .send = builtin_send,
    .run_until = builtin_run_until,
    .pending = builtin_pending,
};

int dtt_sim_backend_fate(struct dtt_sim *s, uint32_t from, uint32_t to, size_t len,
			 uint64_t jitter_us[2])
{
	uint64_t base;
	int copies;

	if (to >= s->n || len > DTT_SIMPOOL_DGRAM_MAX) { /* as the built-in backend does */
		s->net.stats.sent++;
		s->net.stats.undeliverable++;
		return 0;
	}
	base = dtt_simnet_base_us(&s->net, from, to);
	copies = dtt_simnet_route(&s->net, &s->nodes[from].net_rng, from, to, jitter_us);

	for (int i = 0; i < copies; i++)
		jitter_us[i] = jitter_us[i] > base ? jitter_us[i] - base : 0;
	return copies;
}

void dtt_sim_backend_undeliverable(struct dtt_sim *s)
{
	s->net.stats.undeliverable++;
}

int dtt_sim_backend_status(const struct dtt_sim *s)
{
	return s->status;
}

uint32_t dtt_sim_backend_nodes(const struct dtt_sim *s)
{
	return s->n;
}

uint32_t dtt_sim_backend_incarnation(const struct dtt_sim *s, uint32_t node)
{
	return node < s->n ? s->nodes[node].incarnation : 0;
}

const struct dtt_scenario *dtt_sim_backend_scenario(const struct dtt_sim *s)
{
	return s->sc;
}

uint64_t dtt_sim_backend_seed(const struct dtt_sim *s)
{
	return s->seed;
}

uint64_t dtt_sim_backend_base_us(const struct dtt_sim *s, uint32_t a, uint32_t b)
{
	return dtt_simnet_base_us(&s->net, a, b);
}

void dtt_sim_backend_coordinates(const struct dtt_sim *s, uint32_t a, double *x, double *y)
{
	dtt_simnet_coordinates(&s->net, a, x, y);
}

static void summary(struct dtt_sim *s, const char *name, double v)
{
	dtt_results_summary(s->res, name, v);
}

int dtt_sim_run(struct dtt_sim *s)
{
	struct dtt_sim_bench b;
	char hex[17];
	int rc = dtt_sim_run_until(s, UINT64_MAX / 1000);

	if (!rc) {
		sim_members_finish(s);
		sim_attack_finish(s);
	}
	s->wall_end = wall_now();
	s->finished = true;
	if (s->progress_shown) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
	if (!s->res)
		return rc;
	dtt_sim_bench(s, &b);
	for (uint32_t i = 0; i < s->n; i++) {
		const struct simnode *sn = &s->nodes[i];

		dtt_results_node(s->res, i,
				 sn->member >= 0		 ? "member"
				 : sim_is_attacker(s, i) ? "attacker"
							 : "dht",
				 sn->join_ms,
				 sn->state == NS_UP ? -1 : sn->leave_ms);
	}
	summary(s, "get_success", s->tot.gets ? (double)s->tot.gets_ok / (double)s->tot.gets : NAN);
	summary(s, "get_fresh",
		s->tot.gets ? (double)s->tot.gets_fresh / (double)s->tot.gets : NAN);
	summary(s, "gets", (double)s->tot.gets);
	summary(s, "put_success", s->tot.puts ? (double)s->tot.puts_ok / (double)s->tot.puts : NAN);
	summary(s, "puts", (double)s->tot.puts);
	summary(s, "ops_canceled", (double)s->tot.canceled);
	summary(s, "ops_skipped", (double)s->tot.skipped);
	summary(s, "joined", (double)s->tot.joined);
	summary(s, "datagrams", (double)s->net.stats.sent);
	summary(s, "delivered", (double)s->net.stats.delivered);
	summary(s, "net_lost", (double)s->net.stats.lost);
	summary(s, "net_blocked", (double)s->net.stats.blocked);
	summary(s, "net_duplicated", (double)s->net.stats.duplicated);
	summary(s, "net_undeliverable", (double)s->net.stats.undeliverable);
	summary(s, "wakes", (double)s->wakes);
	summary(s, "wakes_stale", (double)s->stale);
	summary(s, "bytes", (double)(s->tot.bytes + s->iv.bytes));
	summary(s, "events", (double)b.events);
	summary(s, "events_per_s", b.events_per_s);
	summary(s, "wall_s", b.wall_s);
	summary(s, "peak_rss_bytes", (double)b.peak_rss_bytes);
	summary(s, "bytes_per_node", b.bytes_per_node);
	summary(s, "queue_peak", (double)b.queue_peak);
	summary(s, "verify_checks", (double)b.verify_checks);
	summary(s, "verify_memo_hits", (double)b.verify_hits);
	summary(s, "record_memo_hits", (double)b.record_hits);
	summary(s, "record_memo_misses", (double)b.record_misses);
	for (int i = 0; i < DTT_CRYPTO_MEMO__COUNT; i++) {
		const char *tn = dtt_crypto_memo_table_name((enum dtt_crypto_memo_table)i);
		char name[64];

		snprintf(name, sizeof(name), "crypto_memo_%s_lookups", tn);
		summary(s, name, (double)b.crypto[i].lookups);
		snprintf(name, sizeof(name), "crypto_memo_%s_hits", tn);
		summary(s, name, (double)b.crypto[i].hits);
		snprintf(name, sizeof(name), "crypto_memo_%s_evictions", tn);
		summary(s, name, (double)b.crypto[i].evictions);
	}
	summary(s, "dht_hottest_rps", s->tot.hottest_rps);
	summary(s, "dht_hottest_node", (double)s->tot.hottest_node);
	{
		struct dtt_results_run_end end = {
		    .status = rc == DTT_ERR_CANCELED ? "interrupted"
			      : rc		     ? "failed"
						     : "ok",
		    .wall_s = b.wall_s,
		    .events = b.events,
		    .sim_end_ms = b.sim_end_ms,
		    .digest = dtt_sim_digest_hex(s, hex),
		    .events_per_s = b.events_per_s,
		    .peak_rss_bytes = b.peak_rss_bytes,
		    .bytes_per_node = b.bytes_per_node,
		};
		int err = dtt_results_run_end(s->res, &end);

		if (!rc && err)
			rc = err;
	}
	return rc;
}

double dtt_sim_hottest_rps(const struct dtt_sim *s, int64_t *node)
{
	if (node)
		*node = s->tot.hottest_node;
	return s->tot.hottest_rps;
}

uint64_t dtt_sim_digest(const struct dtt_sim *s)
{
	uint64_t h = 0;

	for (uint32_t i = 0; i < s->n; i++)
		h = sim_mix64(h ^ s->nodes[i].digest);
	return h;
}

char *dtt_sim_digest_hex(const struct dtt_sim *s, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)dtt_sim_digest(s));
	return out;
}

void dtt_sim_bench(const struct dtt_sim *s, struct dtt_sim_bench *out)
{
	double end = s->finished ? s->wall_end : wall_now();

	memset(out, 0, sizeof(*out));
	out->events = s->events;
	out->delivered = s->delivered;
	out->wakes = s->wakes;
	out->wall_s = end - s->wall_start;
	out->events_per_s = out->wall_s > 0 ? (double)s->events / out->wall_s : 0;
	out->rss_start_bytes = s->rss_start;
	out->peak_rss_bytes = rss_peak();
	out->bytes_per_node = s->n && out->peak_rss_bytes > s->rss_start
				  ? (double)(out->peak_rss_bytes - s->rss_start) / s->n
				  : 0;
	out->sim_end_ms = s->now_us / 1000;
	out->queue_peak = s->queue_peak;
	out->inflight_peak = s->pool.live_peak;
	out->gets = s->tot.gets;
	out->gets_ok = s->tot.gets_ok;
	out->puts = s->tot.puts;
	out->puts_ok = s->tot.puts_ok;
	out->datagrams = s->net.stats.sent;
	if (s->memo) {
		const struct dtt_verify_memo_stats *vs = dtt_verify_memo_stats(s->memo);

		out->verify_checks = vs->checks;
		out->verify_hits = vs->hits;
		out->verify_replaced = vs->replaced;
	}
	if (s->rmemo_ready) {
		out->record_hits = s->rmemo.hits;
		out->record_misses = s->rmemo.misses;
	}
	if (s->crypto.memo) {
		for (int i = 0; i < DTT_CRYPTO_MEMO__COUNT; i++)
			out->crypto[i] =
			    *dtt_crypto_memo_stats(s->crypto.memo, (enum dtt_crypto_memo_table)i);
		out->crypto_memo_bytes = dtt_crypto_memo_bytes(s->crypto.memo);
	}
}

int64_t dtt_sim_current_node(const struct dtt_sim *s)
{
	return s->cur_node;
}

uint64_t dtt_sim_now_ms(const struct dtt_sim *s)
{
	return s->now_us / 1000;
}

uint64_t dtt_sim_end_ms(const struct dtt_sim *s)
{
	return s->end_us / 1000;
}

bool dtt_sim_series(const struct dtt_sim *s, const char *metric, struct dtt_sim_series *out)
{
	for (int m = 0; m < M__COUNT; m++) {
		if (!strcmp(dtt_scenario_metrics[m], metric)) {
			out->t_ms = s->series[m].t;
			out->value = s->series[m].v;
			out->weight = s->series[m].w;
			out->count = s->series[m].n;
			return true;
		}
	}
	return sim_members_series(s, metric, out);
}

uint32_t dtt_sim_nodes(const struct dtt_sim *s)
{
	return s->n;
}

struct dtt_node *dtt_sim_node(struct dtt_sim *s, uint32_t index)
{
	return index < s->n ? s->nodes[index].node : NULL;
}

int dtt_sim_inject(struct dtt_sim *s, uint32_t from, uint32_t to, const uint8_t *buf, size_t len)
{
	if (from >= s->n || to >= s->n || !len)
		return DTT_ERR_INVALID;
	net_send(s, from, to, buf, len);
	return s->status;
}

const struct dtt_simnet_stats *dtt_sim_net_stats(const struct dtt_sim *s)
{
	return &s->net.stats;
}

uint16_t dtt_sim_partition_label(const struct dtt_sim *s, uint32_t index)
{
	return index < s->n && s->net.partitioned ? s->net.group[index] : 0;
}
