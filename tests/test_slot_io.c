/* test_slot_io.c - get_records and publish_record over a 16-node in-memory DHT swarm: records
 * stream in and open, our own record and duplicates are filtered, the memo saves work, the cap
 * skips a put, and a put with nobody to store it fails after its retries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dht.h"
#include "err.h"
#include "memo.h"
#include "sim_net.h"
#include "slot_io.h"

#define N 16
#define T0 (29000000ull * 60000)
#define MINUTE 29000000ull

struct boot {
	int done;
};

struct fx {
	struct sim_net *net;
	struct dtt_dht *d[N];
	struct boot boot[N];
	struct dtt_topic_keys tk;
	struct dtt_record_memo memo;
	uint8_t pk[N][32], sk[N][64];
};

static void recv_fn(void *user, const struct dtt_addr *from, const uint8_t *buf, size_t len)
{
	dtt_dht_on_datagram(user, from, buf, len);
}

static void boot_done(void *ctx, int status, size_t nodes)
{
	(void)status;
	(void)nodes;
	((struct boot *)ctx)->done = 1;
}

static bool all_booted(void *ctx)
{
	struct fx *f = ctx;

	for (size_t i = 0; i < N; i++)
		if (!f->boot[i].done)
			return false;
	return true;
}

static int setup(void **state)
{
	static struct fx f;
	uint8_t seed[32];

	memset(&f, 0, sizeof(f));
	f.net = sim_net_new(N, 3, T0, 20);
	for (size_t i = 0; i < N; i++) {
		f.d[i] = dtt_dht_new(sim_net_env(f.net, i), sim_net_timers(f.net, i), NULL);
		sim_net_attach(f.net, i, recv_fn, f.d[i]);
		memset(seed, (int)(i + 1), sizeof(seed));
		dtt_ed25519_seed_keypair(f.pk[i], f.sk[i], seed);
	}
	for (size_t i = 0; i < N; i++) {
		sim_net_run_until(f.net, sim_net_now(f.net) + 100);
		assert_int_equal(dtt_dht_bootstrap(f.d[i], sim_net_addr(f.net, i ? 0 : 1), 1, boot_done,
						   &f.boot[i]), 0);
	}
	assert_true(sim_net_run_until_done(f.net, sim_net_now(f.net) + 30000, all_booted, &f));
	sim_net_run_until(f.net, sim_net_now(f.net) + 5000);
	dtt_topic_hash(f.tk.topic, "my-topic", 8);
	dtt_secret_hash(f.tk.secret_hash, "my-initial-secret", 17);
	assert_int_equal(dtt_record_memo_init(&f.memo, 64), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < N; i++)
		dtt_dht_free(f->d[i]);
	sim_net_free(f->net);
	dtt_record_memo_deinit(&f->memo);
	return 0;
}

struct pub_rec {
	int done;
	struct dtt_publish_result res;
};

static void pub_done(void *ctx, const struct dtt_publish_result *res)
{
	struct pub_rec *p = ctx;

	p->done++;
	p->res = *res;
}

static bool pub_finished(void *ctx)
{
	return ((struct pub_rec *)ctx)->done > 0;
}

static void publish(struct fx *f, size_t i, long cached, struct pub_rec *p)
{
	struct dtt_gossip_content gc;
	uint8_t content[DTT_GOSSIP_CONTENT_BYTES];
	struct dtt_publish_args a = {
		.dht = f->d[i],
		.timers = sim_net_timers(f->net, i),
		.env = sim_net_env(f->net, i),
		.tk = &f->tk,
		.memo = &f->memo,
		.minute = MINUTE,
		.node_sk = f->sk[i],
		.content = content,
		.content_len = sizeof(content),
		.cached_existing = cached,
	};

	memset(&gc, 0, sizeof(gc));
	memcpy(gc.peers[0], f->pk[(i + 1) % N], 32);
	dtt_gossip_content_encode(&gc, content);
	memset(p, 0, sizeof(*p));
	assert_int_equal(dtt_publish_start(NULL, &a, pub_done, p), 0);
	assert_int_equal(p->done, 0); /* never inside the start call */
	assert_true(sim_net_run_until_done(f->net, sim_net_now(f->net) + 120000, pub_finished, p));
	assert_int_equal(p->done, 1);
}

struct get_rec {
	int done, status;
	size_t records, calls;
	struct dtt_peer_record last[8];
};

static void got_record(void *ctx, const struct dtt_peer_record *r)
{
	struct get_rec *g = ctx;

	if (g->calls < 8)
		g->last[g->calls] = *r;
	g->calls++;
}

static void get_done(void *ctx, int status, size_t records)
{
	struct get_rec *g = ctx;

	g->done++;
	g->status = status;
	g->records = records;
}

static bool get_finished(void *ctx)
{
	return ((struct get_rec *)ctx)->done > 0;
}

static void get_records(struct fx *f, size_t i, const uint8_t *own, struct get_rec *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(dtt_records_get(NULL, f->d[i], &f->tk, MINUTE, own, &f->memo, got_record,
					 get_done, g), 0);
	assert_true(sim_net_run_until_done(f->net, sim_net_now(f->net) + 30000, get_finished, g));
	assert_int_equal(g->done, 1);
}

static void test_published_record_is_read_back_and_opened(void **state)
{
	struct fx *f = *state;
	struct pub_rec p;
	struct get_rec g;

	publish(f, 2, -1, &p);
	assert_int_equal(p.res.outcome, DTT_PUBLISH_PUT);
	assert_int_equal(p.res.existing, 0);
	assert_int_equal(p.res.attempts, 1);
	assert_true(p.res.stored >= 1);

	get_records(f, 9, f->pk[9], &g);
	assert_int_equal(g.status, 0);
	assert_int_equal(g.records, 1);
	assert_int_equal(g.calls, 1); /* one publisher, although several nodes hold the value */
	assert_memory_equal(g.last[0].pub_key, f->pk[2], 32);
	assert_true(g.last[0].has_content);
	assert_memory_equal(g.last[0].content.peers[0], f->pk[3], 32);
	assert_int_equal(g.last[0].minute, MINUTE);
}

static void test_own_record_is_filtered_and_memo_saves_opening(void **state)
{
	struct fx *f = *state;
	struct pub_rec p;
	struct get_rec g;
	uint64_t misses;

	publish(f, 4, -1, &p);
	assert_int_equal(p.res.outcome, DTT_PUBLISH_PUT);
	get_records(f, 4, f->pk[4], &g); /* the publisher itself reads */
	assert_int_equal(g.records, 0);
	assert_int_equal(g.status, 0); /* values arrived, none counted */
	misses = f->memo.misses;
	get_records(f, 7, f->pk[7], &g);
	assert_int_equal(g.records, 1);
	assert_int_equal(f->memo.misses, misses); /* the same bytes: no second opening */
	assert_true(f->memo.hits > 0);
}

static void test_wrong_secret_reads_nothing(void **state)
{
	struct fx *f = *state;
	struct dtt_topic_keys saved = f->tk;
	struct pub_rec p;
	struct get_rec g;

	publish(f, 5, -1, &p);
	dtt_secret_hash(f->tk.secret_hash, "wrong", 5);
	get_records(f, 8, f->pk[8], &g);
	f->tk = saved;
	assert_int_equal(g.records, 0);
	assert_int_equal(g.calls, 0);
}

static void test_cap_reached_skips_the_put(void **state)
{
	struct fx *f = *state;
	struct pub_rec p;

	publish(f, 6, 5, &p);
	assert_int_equal(p.res.outcome, DTT_PUBLISH_SKIPPED_CAP);
	assert_int_equal(p.res.attempts, 0);
	publish(f, 6, 4, &p);
	assert_int_equal(p.res.outcome, DTT_PUBLISH_PUT);
}

static void test_put_with_nobody_reachable_fails_after_retries(void **state)
{
	struct fx *f = *state;
	struct pub_rec p;
	uint64_t t0;

	for (size_t i = 0; i < N; i++)
		if (i != 3)
			sim_net_set_down(f->net, i, true);
	t0 = sim_net_now(f->net);
	publish(f, 3, 0, &p);
	for (size_t i = 0; i < N; i++)
		sim_net_set_down(f->net, i, false);
	assert_int_equal(p.res.outcome, DTT_PUBLISH_FAILED);
	assert_int_equal(p.res.attempts, 4); /* 1 + retries */
	/* three back-offs of 5..15 s between the attempts */
	assert_true(sim_net_now(f->net) - t0 >= 3 * 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_published_record_is_read_back_and_opened, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_own_record_is_filtered_and_memo_saves_opening,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_secret_reads_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_reached_skips_the_put, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_with_nobody_reachable_fails_after_retries,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
