/* test_tracker.c - the topic tracker on a 24-node in-memory DHT with an in-memory overlay
 * standing in for the gossip swarm: members that start apart find each other through the
 * records they publish, the first one publishes into an empty slot, a member with another
 * secret never finds them, and the bubble merge joins a member that has too few neighbours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "dht.h"
#include "err.h"
#include "sim_net.h"
#include "topic.h"

#define DHT_N 24
#define MEMBERS 6
#define N (DHT_N + MEMBERS)
#define T0 (29000000ull * 60000 + 5000)

struct member;

struct fx {
	struct sim_net *net;
	struct dtt_dht *d[N];
	int booted[N];
	struct dtt_record_memo memo;
	struct dtt_topic_keys keys, other_keys;
	struct member {
		struct fx *f;
		size_t idx; /* node index in the net */
		uint8_t pk[32], sk[64];
		struct dtt_tracker_topic *topic;
		bool edge[MEMBERS];
		int joined_events, published, skipped;
		int group; /* while the overlay is split, joins across groups are lost */
	} m[MEMBERS];
	bool split;
};

static void recv_fn(void *user, const struct dtt_addr *from, const uint8_t *buf, size_t len)
{
	dtt_dht_on_datagram(user, from, buf, len);
}

static void boot_done(void *ctx, int status, size_t nodes)
{
	(void)status;
	(void)nodes;
	*(int *)ctx = 1;
}

static bool all_booted(void *ctx)
{
	struct fx *f = ctx;

	for (size_t i = 0; i < N; i++)
		if (!f->booted[i])
			return false;
	return true;
}

static long member_of(struct fx *f, const uint8_t id[32])
{
	for (long i = 0; i < MEMBERS; i++)
		if (memcmp(f->m[i].pk, id, 32) == 0)
			return i;
	return -1;
}

static void link_up(struct member *a, struct member *b)
{
	size_t ia = (size_t)(a - a->f->m), ib = (size_t)(b - b->f->m);

	if (a->edge[ib])
		return;
	a->edge[ib] = b->edge[ia] = true;
	dtt_tracker_topic_on_neighbor(a->topic, true);
	dtt_tracker_topic_on_neighbor(b->topic, true);
}

/* The overlay: a join reaches the peer if it exists and accepts; then both are neighbours. */
static int ov_join(void *ctx, const struct dtt_gossip_peer *peers, size_t n)
{
	struct member *me = ctx;

	for (size_t i = 0; i < n; i++) {
		long j = member_of(me->f, peers[i].id);

		if (j >= 0 && me->f->m[j].topic && &me->f->m[j] != me &&
		    !(me->f->split && me->f->m[j].group != me->group)) {
			assert_true(peers[i].has_addr); /* records carry the publisher's address */
			assert_true(dtt_addr_eq(&peers[i].addr, sim_net_addr(me->f->net, me->f->m[j].idx)));
			link_up(me, &me->f->m[j]);
		}
	}
	return 0;
}

static size_t ov_neighbors(void *ctx, uint8_t (*out)[32], size_t max)
{
	struct member *me = ctx;
	size_t n = 0;

	for (size_t j = 0; j < MEMBERS && n < max; j++)
		if (me->edge[j])
			memcpy(out[n++], me->f->m[j].pk, 32);
	return n;
}

static size_t ov_hashes(void *ctx, uint8_t (*out)[32], size_t max)
{
	(void)ctx;
	(void)out;
	(void)max;
	return 0;
}

static bool ov_own_addr(void *ctx, struct dtt_addr *out)
{
	struct member *me = ctx;

	*out = *sim_net_addr(me->f->net, me->idx);
	return true;
}

static bool ov_peer_addr(void *ctx, const uint8_t peer[32], struct dtt_addr *out)
{
	struct member *me = ctx;
	long j = member_of(me->f, peer);

	if (j < 0)
		return false;
	*out = *sim_net_addr(me->f->net, me->f->m[j].idx);
	return true;
}

static const struct dtt_tracker_swarm_ops ov_ops = {
	.join = ov_join,
	.neighbors = ov_neighbors,
	.recent_hashes = ov_hashes,
	.own_addr = ov_own_addr,
	.peer_addr = ov_peer_addr,
};

static void on_event(void *ctx, enum dtt_tracker_event ev, long arg)
{
	struct member *me = ctx;

	(void)arg;
	if (ev == DTT_TRACKER_EV_JOINED)
		me->joined_events++;
	else if (ev == DTT_TRACKER_EV_PUBLISHED)
		me->published++;
	else if (ev == DTT_TRACKER_EV_PUBLISH_SKIPPED)
		me->skipped++;
}

static int setup(void **state)
{
	static struct fx f;
	uint8_t seed[32];
	bool first_writer = *state != NULL; /* setup_first_writer */

	memset(&f, 0, sizeof(f));
	f.net = sim_net_new(N, 11, T0, 25);
	for (size_t i = 0; i < N; i++) {
		struct dtt_dht_config cfg;

		dtt_dht_config_init(&cfg);
		cfg.read_only = i >= DHT_N; /* members are DHT clients, as most Rust peers are */
		if (first_writer)
			cfg.store.equal_seq = DTT_STORE_FIRST_WRITER_WINS;
		f.d[i] = dtt_dht_new(sim_net_env(f.net, i), sim_net_timers(f.net, i), &cfg);
		sim_net_attach(f.net, i, recv_fn, f.d[i]);
	}
	for (size_t i = 0; i < N; i++) {
		sim_net_run_until(f.net, sim_net_now(f.net) + 50);
		assert_int_equal(dtt_dht_bootstrap(f.d[i], sim_net_addr(f.net, i ? 0 : 1), 1, boot_done,
						   &f.booted[i]), 0);
	}
	assert_true(sim_net_run_until_done(f.net, sim_net_now(f.net) + 30000, all_booted, &f));
	sim_net_run_until(f.net, sim_net_now(f.net) + 3000);
	for (size_t i = 0; i < MEMBERS; i++) {
		f.m[i].f = &f;
		f.m[i].idx = DHT_N + i;
		memset(seed, (int)(0x40 + i), sizeof(seed));
		dtt_ed25519_seed_keypair(f.m[i].pk, f.m[i].sk, seed);
	}
	dtt_topic_hash(f.keys.topic, "my-iroh-gossip-topic", 20);
	dtt_secret_hash(f.keys.secret_hash, "my-initial-secret", 17);
	f.other_keys = f.keys;
	dtt_secret_hash(f.other_keys.secret_hash, "another-secret", 14);
	assert_int_equal(dtt_record_memo_init(&f.memo, 256), 0);
	*state = &f;
	return 0;
}

/* The same on storing nodes that keep the first of equal-seq values (libtorrent-style). */
static int setup_first_writer(void **state)
{
	static int flag;

	*state = &flag;
	return setup(state);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < MEMBERS; i++)
		dtt_tracker_topic_free(f->m[i].topic);
	for (size_t i = 0; i < N; i++)
		dtt_dht_free(f->d[i]);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(dtt_timers_next_ms(sim_net_timers(f->net, i)), UINT64_MAX);
	sim_net_free(f->net);
	dtt_record_memo_deinit(&f->memo);
	return 0;
}

static void start_member(struct fx *f, size_t i, const struct dtt_topic_keys *keys,
			 const struct dtt_tracker_config *cfg)
{
	struct dtt_tracker_observer obs = {.event = on_event, .ctx = &f->m[i]};
	struct dtt_tracker_topic_args a = {
		.env = sim_net_env(f->net, f->m[i].idx),
		.timers = sim_net_timers(f->net, f->m[i].idx),
		.dht = f->d[f->m[i].idx],
		.memo = &f->memo,
		.cfg = cfg,
		.keys = keys,
		.node_sk = f->m[i].sk,
		.ops = &ov_ops,
		.ops_ctx = &f->m[i],
		.observer = &obs,
	};

	f->m[i].topic = dtt_tracker_topic_new(&a);
	assert_non_null(f->m[i].topic);
}

static size_t components(struct fx *f)
{
	size_t label[MEMBERS], n = 0;

	for (size_t i = 0; i < MEMBERS; i++)
		label[i] = i;
	for (int round = 0; round < MEMBERS; round++)
		for (size_t i = 0; i < MEMBERS; i++)
			for (size_t j = 0; j < MEMBERS; j++)
				if (f->m[i].edge[j] && label[j] < label[i])
					label[i] = label[j];
	for (size_t i = 0; i < MEMBERS; i++)
		n += label[i] == i;
	return n;
}

static void test_members_started_apart_all_join_one_component(void **state)
{
	struct fx *f = *state;

	/* staggered starts, 7 s apart: every later member must find an earlier one */
	for (size_t i = 0; i < MEMBERS; i++) {
		start_member(f, i, &f->keys, NULL);
		sim_net_run_until(f->net, sim_net_now(f->net) + 7000);
	}
	sim_net_run_until(f->net, sim_net_now(f->net) + 20000);
	for (size_t i = 0; i < MEMBERS; i++) {
		assert_true(dtt_tracker_topic_is_joined(f->m[i].topic));
		assert_int_equal(f->m[i].joined_events, 1);
	}
	assert_int_equal(components(f), 1);
	/* the first member found an empty slot and published its startup record */
	assert_true(f->m[0].published >= 1);
	assert_true(dtt_tracker_topic_stats(f->m[0].topic)->bootstrap_passes >= 2);
}

static void test_member_with_another_secret_stays_alone(void **state)
{
	struct fx *f = *state;

	start_member(f, 0, &f->keys, NULL);
	sim_net_run_until(f->net, sim_net_now(f->net) + 5000);
	start_member(f, 1, &f->other_keys, NULL);
	sim_net_run_until(f->net, sim_net_now(f->net) + 30000);
	assert_false(dtt_tracker_topic_is_joined(f->m[1].topic));
	assert_false(dtt_tracker_topic_is_joined(f->m[0].topic));
	/* both keep polling: passes go on, and each published into the empty slots */
	assert_true(dtt_tracker_topic_stats(f->m[1].topic)->bootstrap_passes > 5);
	assert_true(f->m[0].published >= 1 && f->m[1].published >= 1);
}

static void test_cap_of_zero_disables_publishing(void **state)
{
	struct fx *f = *state;
	struct dtt_tracker_config cfg;

	dtt_tracker_config_init(&cfg);
	cfg.max_bootstrap_records = 0;
	start_member(f, 0, &f->keys, &cfg);
	start_member(f, 1, &f->keys, &cfg);
	sim_net_run_until(f->net, sim_net_now(f->net) + 90000);
	assert_int_equal(dtt_tracker_topic_stats(f->m[0].topic)->publishes, 0);
	assert_int_equal(dtt_tracker_topic_stats(f->m[1].topic)->publishes, 0);
	assert_false(dtt_tracker_topic_is_joined(f->m[1].topic)); /* nobody can find anybody */
}

static void test_bubble_merge_joins_two_groups_formed_apart(void **state)
{
	struct fx *f = *state;
	uint64_t t_heal;

	/* two groups of two form while joins across groups are lost */
	f->split = true;
	for (size_t i = 0; i < 4; i++) {
		f->m[i].group = (int)(i % 2);
		start_member(f, i, &f->keys, NULL);
		sim_net_run_until(f->net, sim_net_now(f->net) + 4000);
	}
	sim_net_run_until(f->net, sim_net_now(f->net) + 20000);
	for (size_t i = 0; i < 4; i++)
		assert_true(dtt_tracker_topic_is_joined(f->m[i].topic));
	assert_int_equal(components(f), MEMBERS - 4 + 2); /* two bubbles + 2 never started */
	/* the overlay heals; only the bubble merge (1 neighbour < 4) can bring them together,
	 * within its first tick at 30 s or the next one 60-180 s later */
	f->split = false;
	t_heal = sim_net_now(f->net);
	while (components(f) != MEMBERS - 4 + 1 && sim_net_now(f->net) < t_heal + 240000)
		sim_net_run_until(f->net, sim_net_now(f->net) + 1000);
	assert_int_equal(components(f), MEMBERS - 4 + 1);
	assert_true(dtt_tracker_topic_stats(f->m[0].topic)->bubble_ticks +
			    dtt_tracker_topic_stats(f->m[1].topic)->bubble_ticks >= 1);
	assert_true(dtt_tracker_topic_stats(f->m[0].topic)->bubble_joins +
			    dtt_tracker_topic_stats(f->m[1].topic)->bubble_joins +
			    dtt_tracker_topic_stats(f->m[2].topic)->bubble_joins +
			    dtt_tracker_topic_stats(f->m[3].topic)->bubble_joins >= 1);
	assert_true(dtt_tracker_topic_stats(f->m[0].topic)->publishes >= 2);
}

static size_t degree(const struct member *m)
{
	size_t n = 0;

	for (size_t j = 0; j < MEMBERS; j++)
		n += m->edge[j];
	return n;
}

/* Member 0's network goes down: every link to it goes, and its joins reach nobody. While alone
 * it runs the bubble merge 2 s, 4 s, 8 s, ... up to 60 s apart (not a flood), and once the
 * network is back it is a neighbour again within one wait. */
static void test_member_left_alone_keeps_rejoining_with_a_growing_wait(void **state)
{
	struct fx *f = *state;
	uint64_t ticks0, t_back;
	size_t ticks;

	for (size_t i = 0; i < 3; i++) {
		start_member(f, i, &f->keys, NULL);
		sim_net_run_until(f->net, sim_net_now(f->net) + 5000);
	}
	sim_net_run_until(f->net, sim_net_now(f->net) + 20000);
	assert_true(degree(&f->m[0]) >= 1);
	f->split = true;
	f->m[0].group = 1;
	for (size_t j = 0; j < MEMBERS; j++) {
		if (!f->m[0].edge[j])
			continue;
		f->m[0].edge[j] = f->m[j].edge[0] = false;
		dtt_tracker_topic_on_neighbor(f->m[j].topic, false);
		dtt_tracker_topic_on_neighbor(f->m[0].topic, false);
	}
	ticks0 = dtt_tracker_topic_stats(f->m[0].topic)->bubble_ticks;
	sim_net_run_until(f->net, sim_net_now(f->net) + 5 * 60000);
	ticks = (size_t)(dtt_tracker_topic_stats(f->m[0].topic)->bubble_ticks - ticks0);
	/* 2+4+8+16+32 s, then every 60 s: 8 or 9 ticks in 5 minutes (the worker alone: 2 to 5) */
	assert_true(ticks >= 7 && ticks <= 10);
	assert_int_equal(degree(&f->m[0]), 0);
	f->split = false;
	t_back = sim_net_now(f->net);
	while (degree(&f->m[0]) == 0 && sim_net_now(f->net) < t_back + 70000)
		sim_net_run_until(f->net, sim_net_now(f->net) + 1000);
	assert_true(degree(&f->m[0]) >= 1);
}

static void test_dtt_and_reference_members_find_each_other(void **state)
{
	struct fx *f = *state;
	struct dtt_tracker_config dtt;

	assert_int_equal(dtt_tracker_strategy(&dtt, "dtt"), 0);
	assert_int_equal(dtt_tracker_strategy(&dtt, "fast"), DTT_ERR_NOTFOUND);
	/* alternately dtt and reference, staggered: each finds the earlier ones through the
	 * reference slot, whose records every strategy writes and reads the same way */
	for (size_t i = 0; i < MEMBERS; i++) {
		start_member(f, i, &f->keys, i % 2 ? NULL : &dtt);
		sim_net_run_until(f->net, sim_net_now(f->net) + 7000);
	}
	sim_net_run_until(f->net, sim_net_now(f->net) + 20000);
	for (size_t i = 0; i < MEMBERS; i++)
		assert_true(dtt_tracker_topic_is_joined(f->m[i].topic));
	assert_int_equal(components(f), 1);
}

struct squat {
	struct fx *f;
	struct dtt_timer timer;
	int planted;
};

/* An outsider who knows the topic name pre-fills the reference slots of the previous, this
 * and the next two minutes with validly signed junk on every storing node (spec/PROTOCOL.md
 * §11.5), again every 10 s; the nodes keep the first of equal-seq values, so no record gets
 * into those slots. */
static void squat_tick(struct dtt_timer *timer)
{
	struct squat *q = DTT_CONTAINER_OF(timer, struct squat, timer);
	const struct dtt_env *env = sim_net_env(q->f->net, 3);
	uint64_t m = dtt_env_unix_minute(env);
	uint8_t junk[600], v[620], sig[64];
	struct dtt_slot slot;
	int n;

	memset(junk, 0x5a, sizeof(junk));
	for (uint64_t d = 0; d < 4; d++) {
		dtt_slot_derive(NULL, &slot, q->f->keys.topic, m - 1 + d);
		n = dtt_slot_sign_value(NULL, &slot, junk, sizeof(junk), v, sizeof(v), sig);
		assert_true(n > 0);
		for (size_t i = 0; i < DHT_N; i++) {
			struct dtt_store_mutable it = {
				.k = slot.pk,
				.sig = sig,
				.salt = slot.salt,
				.salt_len = sizeof(slot.salt),
				.seq = DTT_SLOT_SEQ,
				.v = v,
				.v_len = (size_t)n,
			};

			if (dtt_store_put_mutable(dtt_dht_store(q->f->d[i]), true, slot.target, &it,
						  dtt_env_now_ms(env)) == 0)
				q->planted++;
		}
	}
	dtt_timer_arm(sim_net_timers(q->f->net, 3), timer, dtt_env_now_ms(env) + 10000);
}

static void test_dtt_members_join_while_the_reference_slot_is_squatted(void **state)
{
	struct fx *f = *state;
	struct dtt_tracker_config dtt;
	struct squat q = {.f = f};

	assert_int_equal(dtt_tracker_strategy(&dtt, "dtt"), 0);
	dtt.ref_publish_every = UINT32_MAX; /* the publisher writes the private slot only */
	dtt.publish_record_on_startup = false;
	dtt_timer_init(&q.timer, squat_tick);
	squat_tick(&q.timer);
	sim_net_run_until(f->net, sim_net_now(f->net) + 3000);
	/* reference members find nothing but junk */
	start_member(f, 4, &f->keys, NULL);
	start_member(f, 5, &f->keys, NULL);
	for (size_t i = 0; i < 4; i++) {
		start_member(f, i, &f->keys, &dtt);
		sim_net_run_until(f->net, sim_net_now(f->net) + 5000);
	}
	sim_net_run_until(f->net, sim_net_now(f->net) + 20000);
	for (size_t i = 0; i < 4; i++)
		assert_true(dtt_tracker_topic_is_joined(f->m[i].topic));
	assert_false(f->m[4].edge[5]);
	assert_false(dtt_tracker_topic_is_joined(f->m[5].topic));
	assert_true(q.planted >= 4 * DHT_N);
	dtt_timer_cancel(sim_net_timers(f->net, 3), &q.timer);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_members_started_apart_all_join_one_component,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_with_another_secret_stays_alone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cap_of_zero_disables_publishing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
		    test_member_left_alone_keeps_rejoining_with_a_growing_wait, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bubble_merge_joins_two_groups_formed_apart,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_dtt_and_reference_members_find_each_other,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_dtt_members_join_while_the_reference_slot_is_squatted, setup_first_writer,
		    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
