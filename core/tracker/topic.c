/* topic.c - bootstrap loop, publisher, bubble merge and message-overlap merge of one topic
 * (spec/PROTOCOL.md §7.2-§7.6).
 *
 * Timers: boot (settle, confirmation, poll and retry waits of the bootstrap loop), and one per
 * worker (publisher, bubble, overlap): first tick at initial_ms, then base + U[0, jitter)
 * after each tick's work has finished (§7.1).
 */
#include "topic.h"

#include <string.h>
#include <sodium.h>

#include "alloc.h"
#include "err.h"
#include "provider.h"
#include "log.h"

#define BG_PUBLISH_MAX	 4 /* bootstrap records being published in the background */
#define BOOT_GETS_MAX	 6 /* reference slot x 2 minutes, private x 2, the widened pair */
#define MERGE_GETS_MAX	 5 /* bubble: 2 slots x 2 minutes; overlap: 1 slot and a probe */
#define STABLE_MIN_MS	 60000 /* dtt: joined this long with enough neighbours = stable */
#define MINUTE_EARLY_MS	 20000 /* dtt: this early in a minute its slot is still sparse */

const char *const dtt_tracker_strategies[] = {"reference", "dtt", NULL};

void dtt_tracker_config_init(struct dtt_tracker_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_bootstrap_records = 5;
	cfg->no_peers_retry_ms = 1500;
	cfg->per_peer_join_settle_ms = 100;
	cfg->join_confirmation_wait_ms = 500;
	cfg->discovery_poll_ms = 2000;
	cfg->publish_record_on_startup = true;
	cfg->check_older_records_first_on_startup = false;
	cfg->publisher = (struct dtt_tracker_worker_config){true, 10000, 10000, 50000};
	cfg->bubble = (struct dtt_tracker_worker_config){true, 30000, 60000, 120000};
	cfg->overlap = (struct dtt_tracker_worker_config){true, 30000, 60000, 120000};
	cfg->bubble_min_neighbors = 4;
	cfg->bubble_max_join_peers = 2;
	cfg->overlap_max_join_peers = 2;
	cfg->lonely_retry_ms = 2000;
	dtt_publish_config_init(&cfg->publish);
}

/* Strategy "dtt" (docs/strategies.md): the reference's records and slots, plus a private
 * slot; reads less once joined; remembers what it received for the overlap judgment; looks
 * beyond the two minutes when it is alone or probing for groups on other clocks. */
static void dtt_config_init(struct dtt_tracker_config *cfg)
{
	dtt_tracker_config_init(cfg);
	cfg->private_slot = true;
	cfg->private_shards = 2;
	cfg->ref_publish_every = 3;
	cfg->read_less_when_stable = true;
	cfg->overlap_memory_ms = 600000;
	cfg->skew_probe_minutes = 4;
	cfg->widen_after_passes = 3;
	cfg->widen_max_minutes = 5;
	cfg->publisher = (struct dtt_tracker_worker_config){true, 10000, 60000, 120000};
	cfg->bubble = (struct dtt_tracker_worker_config){true, 20000, 30000, 60000};
	cfg->overlap = (struct dtt_tracker_worker_config){true, 45000, 60000, 120000};
}

int dtt_tracker_strategy(struct dtt_tracker_config *cfg, const char *name)
{
	if (strcmp(name, "reference") == 0) {
		dtt_tracker_config_init(cfg);
		return 0;
	}
	if (strcmp(name, "dtt") == 0) {
		dtt_config_init(cfg);
		return 0;
	}
	return DTT_ERR_NOTFOUND;
}

const char *dtt_tracker_event_name(int ev)
{
	switch (ev) {
	case DTT_TRACKER_EV_JOINED: return "bootstrap_done";
	case DTT_TRACKER_EV_PUBLISHED: return "publish";
	case DTT_TRACKER_EV_PUBLISH_SKIPPED: return "publish_skipped";
	case DTT_TRACKER_EV_PUBLISH_FAILED: return "publish_failed";
	case DTT_TRACKER_EV_MERGE_BUBBLE: return "merge_bubble";
	case DTT_TRACKER_EV_MERGE_OVERLAP: return "merge_overlap";
	case DTT_TRACKER_EV_DHT_GET: return "dht_get";
	case DTT_TRACKER_EV_DHT_PUT: return "dht_put";
	}
	return "?";
}

enum boot_state {
	BOOT_QUERY,   /* gets running and/or candidates being joined */
	BOOT_SETTLE,  /* timer: per-peer settle after a join call */
	BOOT_CONFIRM, /* timer: join confirmation wait after a pass with records */
	BOOT_WAIT,    /* timer: next pass (no-peers retry or discovery poll) */
	BOOT_DONE,
};

enum merge_kind { MERGE_BUBBLE, MERGE_OVERLAP };

struct merge;

/* One get of a merge tick; probe: a minute beyond the usual two. */
struct merge_get {
	struct merge *mg;
	struct dtt_records_get *op;
	bool probe;
};

struct merge {
	struct dtt_tracker_topic *t;
	enum merge_kind kind;
	struct dtt_timer timer;
	struct merge_get get[MERGE_GETS_MAX];
	int running; /* gets not finished */
	uint64_t ticks;
	size_t records_count;
	struct dtt_peer_record *records; /* DTT_TRACKER_RECORDS_MAX, allocated per tick */
	bool probe[DTT_TRACKER_RECORDS_MAX]; /* records[i] came from a probe */
};

/* What a bootstrap get counts: nothing, or the records of the current minute of the
 * reference (1) or the private slot (2), the cached count of the publish that follows. */
struct boot_get {
	struct dtt_tracker_topic *t;
	struct dtt_records_get *op;
	int current;
};

/* A received hash and when it arrived (overlap_memory_ms). */
struct seen_hash {
	uint8_t id[32];
	uint64_t at_ms;
};

struct dtt_tracker_topic {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	struct dtt_dht *dht;
	struct dtt_record_memo *memo;
	struct dtt_tracker_config cfg;
	struct dtt_topic_keys keys;  /* the reference slot */
	struct dtt_topic_keys pkeys[DTT_TRACKER_SHARDS_MAX]; /* the private slots (private_slot) */
	uint32_t shards;	     /* private slots in use (1..DTT_TRACKER_SHARDS_MAX) */
	uint32_t pass_shard;	     /* the private slot the current bootstrap pass reads */
	uint8_t sk[64];
	const struct dtt_tracker_swarm_ops *ops;
	void *ops_ctx;
	struct dtt_tracker_observer observer;
	struct dtt_tracker_stats stats;
	uint64_t started_ms;
	bool joined, freeing;
	unsigned neighbors; /* as reported through on_neighbor */
	uint32_t lonely_wait_ms; /* the last wait between bubble merges while alone, or 0 */

	/* bootstrap */
	enum boot_state boot;
	struct dtt_timer boot_timer;
	uint64_t last_published, pass_minute;
	unsigned pass_offset;
	struct boot_get boot_get[BOOT_GETS_MAX];
	int boot_running;
	size_t pass_records, pass_current[2];
	uint32_t empty_passes;
	size_t cand_count, cand_next;
	struct dtt_gossip_peer *cand; /* DTT_TRACKER_CANDIDATES_MAX, only until the bootstrap ends */
	bool walking;		      /* in walk_next's join: cand stays */
	struct bg_slot {
		struct dtt_tracker_topic *t;
		struct dtt_publish *op;
	} bg[BG_PUBLISH_MAX];

	/* workers */
	struct dtt_timer pub_timer;
	struct dtt_publish *pub;
	uint64_t pub_count;
	struct merge bubble, overlap;
	uint64_t stable_since; /* ms + 1 since the neighbours reached the bubble minimum (0: not) */

	/* received hashes (overlap_memory_ms): a ring, oldest at mem_head */
	struct seen_hash *mem;
	size_t mem_head, mem_count;
	uint64_t first_msg_ms; /* + 1; 0: nothing received yet */
};

static void emit(struct dtt_tracker_topic *t, enum dtt_tracker_event ev, long arg)
{
	if (t->observer.event && !t->freeing)
		t->observer.event(t->observer.ctx, ev, arg);
}

static uint64_t now_ms(const struct dtt_tracker_topic *t)
{
	return dtt_env_now_ms(t->env);
}

static const uint8_t *own_pk(const struct dtt_tracker_topic *t)
{
	return t->sk + 32;
}

/* The private slot of turn n: each member starts at the shard its key picks, and every
 * successive read or put takes the next one, so the load of a minute spreads over them. */
static const struct dtt_topic_keys *pslot(const struct dtt_tracker_topic *t, uint64_t n)
{
	return &t->pkeys[(own_pk(t)[0] + n) % t->shards];
}

static void arm_in(struct dtt_tracker_topic *t, struct dtt_timer *timer, uint64_t ms)
{
	dtt_timer_arm(t->timers, timer, now_ms(t) + ms);
}

static void arm_worker(struct dtt_tracker_topic *t, struct dtt_timer *timer,
		       const struct dtt_tracker_worker_config *w)
{
	uint64_t base = w->base_ms < 1000 ? 1000 : w->base_ms;

	arm_in(t, timer, base + dtt_env_uniform(t->env, w->jitter_ms));
}

/* --- record content: peers, hashes and the address trailer --- */

static size_t make_content(struct dtt_tracker_topic *t, bool with_peers, uint8_t *out,
			   size_t cap)
{
	struct dtt_gossip_content gc;
	struct dtt_record_addrs addrs;
	size_t np = 0;
	int n;

	memset(&gc, 0, sizeof(gc));
	memset(&addrs, 0, sizeof(addrs));
	if (with_peers) {
		np = t->ops->neighbors(t->ops_ctx, gc.peers, DTT_RECORD_PEERS_MAX);
		t->ops->recent_hashes(t->ops_ctx, gc.hashes, DTT_RECORD_HASHES_MAX);
		for (size_t i = 0; i < np && t->ops->peer_addr; i++)
			addrs.has[1 + i] = t->ops->peer_addr(t->ops_ctx, gc.peers[i], &addrs.addr[1 + i]);
	}
	if (t->ops->own_addr)
		addrs.has[0] = t->ops->own_addr(t->ops_ctx, &addrs.addr[0]);
	dtt_gossip_content_encode(&gc, out);
	n = dtt_record_addrs_encode(&addrs, out + DTT_GOSSIP_CONTENT_BYTES,
				    cap - DTT_GOSSIP_CONTENT_BYTES);
	return DTT_GOSSIP_CONTENT_BYTES + (n > 0 ? (size_t)n : 0);
}

/* --- candidates --- */

static bool is_neighbor(const uint8_t id[32], uint8_t (*nb)[32], size_t nb_count)
{
	for (size_t i = 0; i < nb_count; i++)
		if (memcmp(nb[i], id, 32) == 0)
			return true;
	return false;
}

/* Adds id (with the address the record gives, if any) unless it is ours, invalid, zero or
 * already listed. */
static void cand_add(struct dtt_gossip_peer *cand, size_t *count, size_t max,
		     const struct dtt_tracker_topic *t, const uint8_t id[32],
		     const struct dtt_record_addrs *addrs, int slot)
{
	struct dtt_gossip_peer *p;

	if (dtt_is_zero32(id) || memcmp(id, own_pk(t), 32) == 0 || !dtt_crypto_pk_is_valid(t->env->crypto, id))
		return;
	for (size_t i = 0; i < *count; i++) {
		if (memcmp(cand[i].id, id, 32) == 0) {
			if (!cand[i].has_addr && addrs->has[slot]) {
				cand[i].has_addr = true;
				cand[i].addr = addrs->addr[slot];
			}
			return;
		}
	}
	if (*count == max)
		return;
	p = &cand[(*count)++];
	memcpy(p->id, id, 32);
	p->has_addr = addrs->has[slot];
	if (p->has_addr)
		p->addr = addrs->addr[slot];
}

static void shuffle_keep(struct dtt_tracker_topic *t, struct dtt_gossip_peer *c, size_t *n,
			 size_t keep)
{
	for (size_t i = *n; i > 1; i--) {
		size_t j = (size_t)dtt_env_uniform(t->env, i);
		struct dtt_gossip_peer tmp = c[i - 1];

		c[i - 1] = c[j];
		c[j] = tmp;
	}
	if (*n > keep)
		*n = keep;
}

/* --- publishing --- */

static void bg_done(void *ctx, const struct dtt_publish_result *res);

static void publish_event(struct dtt_tracker_topic *t, const struct dtt_publish_result *res)
{
	switch (res->outcome) {
	case DTT_PUBLISH_PUT:
		t->stats.published++;
		emit(t, DTT_TRACKER_EV_PUBLISHED, (long)res->stored);
		break;
	case DTT_PUBLISH_SKIPPED_CAP:
		t->stats.skipped_cap++;
		emit(t, DTT_TRACKER_EV_PUBLISH_SKIPPED, (long)res->existing);
		break;
	case DTT_PUBLISH_FAILED:
		t->stats.publish_failed++;
		emit(t, DTT_TRACKER_EV_PUBLISH_FAILED, (long)res->attempts);
		break;
	case DTT_PUBLISH_CANCELED: break;
	}
}

static int publish(struct dtt_tracker_topic *t, const struct dtt_topic_keys *tk, uint64_t minute,
		   bool with_peers, long cached, struct dtt_publish **out, dtt_publish_done_cb done,
		   void *ctx)
{
	uint8_t content[DTT_GOSSIP_CONTENT_BYTES + DTT_RECORD_ADDRS_BYTES_MAX];
	struct dtt_publish_args a = {
		.dht = t->dht,
		.timers = t->timers,
		.env = t->env,
		.tk = tk,
		.memo = t->memo,
		.cfg = &t->cfg.publish,
		.minute = minute,
		.node_sk = t->sk,
		.content = content,
		.content_len = make_content(t, with_peers, content, sizeof(content)),
		.cached_existing = cached,
	};
	int err;

	err = dtt_publish_start(out, &a, done, ctx);
	if (!err) {
		t->stats.publishes++;
		if (cached < 0) {
			t->stats.gets++;
			emit(t, DTT_TRACKER_EV_DHT_GET, 0);
		}
		emit(t, DTT_TRACKER_EV_DHT_PUT, 0);
	}
	return err;
}

/* A bootstrap record (all-zero content, §7.3) for minute, in the background. */
static void publish_background(struct dtt_tracker_topic *t, const struct dtt_topic_keys *tk,
			       uint64_t minute, long cached)
{
	for (int i = 0; i < BG_PUBLISH_MAX; i++) {
		struct bg_slot *slot = &t->bg[i];

		if (slot->op)
			continue;
		slot->t = t;
		if (publish(t, tk, minute, false, cached, &slot->op, bg_done, slot))
			slot->op = NULL;
		return;
	}
}

static void bg_done(void *ctx, const struct dtt_publish_result *res)
{
	struct bg_slot *slot = ctx;

	slot->op = NULL;
	publish_event(slot->t, res);
}

/* --- bootstrap (§7.3) --- */

static void boot_pass(struct dtt_tracker_topic *t);
static void workers_start(struct dtt_tracker_topic *t);

/* The bootstrap is over: its candidates go, unless a join of walk_next is reading them (then
 * walk_next frees them when the join returns). */
static void cand_release(struct dtt_tracker_topic *t)
{
	if (t->walking)
		return;
	dtt_free(t->cand);
	t->cand = NULL;
	t->cand_count = t->cand_next = 0;
}

static void boot_success(struct dtt_tracker_topic *t)
{
	t->boot = BOOT_DONE;
	cand_release(t);
	dtt_timer_cancel(t->timers, &t->boot_timer);
	for (int i = 0; i < BOOT_GETS_MAX; i++)
		if (t->boot_get[i].op)
			dtt_records_get_cancel(t->boot_get[i].op); /* boot_get_done clears it */
	emit(t, DTT_TRACKER_EV_JOINED, (long)(now_ms(t) - t->started_ms));
	workers_start(t);
}

static void maybe_publish_current(struct dtt_tracker_topic *t)
{
	long cached;

	if (t->cfg.max_bootstrap_records == 0 || t->pass_minute == t->last_published)
		return;
	t->last_published = t->pass_minute;
	/* with offset 0 the pass read the current minute: its count is the cache */
	cached = t->pass_offset == 0 ? (long)t->pass_current[0] : -1;
	publish_background(t, &t->keys, t->pass_minute, cached);
	if (t->cfg.private_slot)
		publish_background(t, pslot(t, t->pass_shard), t->pass_minute,
				   t->pass_offset == 0 ? (long)t->pass_current[1] : -1);
}

static void pass_end(struct dtt_tracker_topic *t)
{
	if (t->pass_records == 0) {
		t->empty_passes++;
		maybe_publish_current(t);
		t->boot = BOOT_WAIT;
		arm_in(t, &t->boot_timer, t->cfg.no_peers_retry_ms);
	} else {
		t->boot = BOOT_CONFIRM;
		arm_in(t, &t->boot_timer, t->cfg.join_confirmation_wait_ms);
	}
}

/* Joins the next candidate, one at a time with a settle wait (§7.3 step 7). */
static void walk_next(struct dtt_tracker_topic *t)
{
	while (t->cand_next < t->cand_count) {
		struct dtt_gossip_peer *p = &t->cand[t->cand_next++];
		int rc;

		t->walking = true;
		rc = t->ops->join(t->ops_ctx, p, 1);
		t->walking = false;
		if (t->boot == BOOT_DONE) {
			cand_release(t); /* the join answered at once */
			return;
		}
		if (rc == 0) {
			t->boot = BOOT_SETTLE;
			arm_in(t, &t->boot_timer, t->cfg.per_peer_join_settle_ms);
			return;
		}
	}
	t->boot = BOOT_QUERY;
	if (t->boot_running == 0)
		pass_end(t);
}

static void boot_record(struct dtt_tracker_topic *t, const struct dtt_peer_record *r);
static void boot_get_done(struct dtt_tracker_topic *t);

/* The gets of a pass share one handler; the one of the current minute counts its records. */
static void boot_record_cb(void *ctx, const struct dtt_peer_record *r)
{
	struct boot_get *g = ctx;

	if (g->current)
		g->t->pass_current[g->current - 1]++;
	boot_record(g->t, r);
}

static void boot_done_cb(void *ctx, int status, size_t records)
{
	struct boot_get *g = ctx;

	(void)status;
	(void)records;
	g->op = NULL;
	boot_get_done(g->t);
}

static void boot_record(struct dtt_tracker_topic *t, const struct dtt_peer_record *r)
{
	if (t->boot == BOOT_DONE)
		return;
	t->pass_records++;
	cand_add(t->cand, &t->cand_count, DTT_TRACKER_CANDIDATES_MAX, t, r->pub_key, &r->addrs, 0);
	for (int i = 0; i < DTT_RECORD_PEERS_MAX && r->has_content; i++)
		cand_add(t->cand, &t->cand_count, DTT_TRACKER_CANDIDATES_MAX, t,
			 r->content.peers[i], &r->addrs, 1 + i);
	/* records are used as they stream in */
	if (t->boot == BOOT_QUERY)
		walk_next(t);
}

static void boot_get_done(struct dtt_tracker_topic *t)
{
	t->boot_running--;
	if (t->boot == BOOT_QUERY && t->boot_running == 0)
		walk_next(t);
}

/* Starts one get of a pass (no room for it now: skipped). */
static void boot_get(struct dtt_tracker_topic *t, int i, const struct dtt_topic_keys *tk,
		     uint64_t m, int current)
{
	struct boot_get *g = &t->boot_get[i];

	g->t = t;
	g->current = current;
	if (dtt_records_get(&g->op, t->dht, tk, m, own_pk(t), t->memo, boot_record_cb,
			    boot_done_cb, g) == 0) {
		t->boot_running++;
		t->stats.gets++;
		emit(t, DTT_TRACKER_EV_DHT_GET, 0);
	} else {
		g->op = NULL;
	}
}

static void boot_pass(struct dtt_tracker_topic *t)
{
	uint64_t cur = dtt_env_unix_minute(t->env);
	bool older = t->last_published == 0 && t->cfg.check_older_records_first_on_startup;
	uint32_t widen = 0;

	if (t->joined) {
		boot_success(t);
		return;
	}
	t->stats.bootstrap_passes++;
	t->pass_offset = older ? 1 : 0;
	t->pass_minute = cur;
	t->pass_records = t->pass_current[0] = t->pass_current[1] = 0;
	t->cand_count = t->cand_next = 0;
	t->boot = BOOT_QUERY;
	t->boot_running = 0;
	if (!t->cand && !(t->cand = dtt_alloc(DTT_TRACKER_CANDIDATES_MAX * sizeof(*t->cand)))) {
		pass_end(t); /* out of memory: an empty pass */
		return;
	}
	/* minutes cur - offset - 1 and cur - offset; the second one counts for the cache */
	for (int i = 0; i < 2; i++)
		boot_get(t, i, &t->keys, cur - t->pass_offset - 1 + (uint64_t)i, i);
	t->pass_shard = (uint32_t)(t->stats.bootstrap_passes % t->shards);
	if (t->cfg.private_slot)
		for (int i = 0; i < 2; i++)
			boot_get(t, 2 + i, pslot(t, t->pass_shard), cur - t->pass_offset - 1 + (uint64_t)i,
				 i ? 2 : 0);
	/* alone for a while: one more minute on each side, step by step (clock skew) */
	if (t->cfg.widen_after_passes) {
		widen = t->empty_passes / t->cfg.widen_after_passes;
		if (widen > t->cfg.widen_max_minutes)
			widen = t->cfg.widen_max_minutes;
	}
	if (widen) {
		const struct dtt_topic_keys *tk =
		    t->cfg.private_slot ? pslot(t, t->pass_shard + 1) : &t->keys;

		boot_get(t, 4, tk, cur - 1 - widen, 0);
		boot_get(t, 5, tk, cur + widen, 0);
	}
	if (t->boot_running == 0)
		pass_end(t); /* no room for a get now: count it as an empty pass */
}

static void boot_expired(struct dtt_timer *timer)
{
	struct dtt_tracker_topic *t = DTT_CONTAINER_OF(timer, struct dtt_tracker_topic, boot_timer);

	if (t->joined) {
		boot_success(t);
		return;
	}
	switch (t->boot) {
	case BOOT_SETTLE: walk_next(t); break;
	case BOOT_CONFIRM:
		maybe_publish_current(t);
		t->boot = BOOT_WAIT;
		arm_in(t, &t->boot_timer, t->cfg.discovery_poll_ms);
		break;
	case BOOT_WAIT: boot_pass(t); break;
	case BOOT_QUERY:
	case BOOT_DONE: break;
	}
}

/* --- publisher (§7.4) --- */

static void pub_done(void *ctx, const struct dtt_publish_result *res)
{
	struct dtt_tracker_topic *t = ctx;

	t->pub = NULL;
	publish_event(t, res);
	if (res->outcome != DTT_PUBLISH_CANCELED)
		arm_worker(t, &t->pub_timer, &t->cfg.publisher);
}

static void pub_expired(struct dtt_timer *timer)
{
	struct dtt_tracker_topic *t = DTT_CONTAINER_OF(timer, struct dtt_tracker_topic, pub_timer);

	const struct dtt_topic_keys *tk = &t->keys;

	t->pub_count++;
	if (t->cfg.private_slot && t->cfg.ref_publish_every > 1 &&
	    t->pub_count % t->cfg.ref_publish_every != 0)
		tk = pslot(t, t->pub_count);
	if (publish(t, tk, dtt_env_unix_minute(t->env), true, -1, &t->pub, pub_done, t)) {
		t->pub = NULL;
		arm_worker(t, &t->pub_timer, &t->cfg.publisher); /* errors: the next tick comes */
	}
}

/* --- merges (§7.5, §7.6) --- */

/* The next bubble tick: the worker's schedule, or while the member is alone the growing
 * lonely wait (each tick costs two slot reads, so an isolated member stays quiet). */
static void bubble_arm(struct dtt_tracker_topic *t)
{
	uint32_t cap = t->cfg.bubble.base_ms < 1000 ? 1000 : t->cfg.bubble.base_ms;

	if (t->neighbors > 0 || t->cfg.lonely_retry_ms == 0) {
		t->lonely_wait_ms = 0;
		arm_worker(t, &t->bubble.timer, &t->cfg.bubble);
		return;
	}
	t->lonely_wait_ms = dtt_backoff_next_ms(t->lonely_wait_ms, t->cfg.lonely_retry_ms, cap);
	arm_in(t, &t->bubble.timer, t->lonely_wait_ms);
}

/* The hashes to judge a record against: the ring of 5 (reference), or every hash received
 * within overlap_memory_ms. */
static size_t local_hashes(struct dtt_tracker_topic *t, uint8_t (*out)[32], size_t max)
{
	uint64_t now = now_ms(t);
	size_t n = 0;

	if (!t->cfg.overlap_memory_ms || !t->mem)
		return t->ops->recent_hashes(t->ops_ctx, out, max < DTT_RECORD_HASHES_MAX
								? max
								: DTT_RECORD_HASHES_MAX);
	for (size_t i = 0; i < t->mem_count && n < max; i++) {
		const struct seen_hash *h = &t->mem[(t->mem_head + i) % DTT_TRACKER_MEMORY_MAX];

		if (now - h->at_ms <= t->cfg.overlap_memory_ms)
			memcpy(out[n++], h->id, 32);
	}
	return n;
}

/* With overlap_memory_ms: could we have received what the record's publisher had? Its
 * hashes came before the end of its minute; we must have been receiving since a minute
 * before that minute began (by our clock), else a record is not judged at all. */
static bool record_judgeable(struct dtt_tracker_topic *t, const struct dtt_peer_record *rec)
{
	int64_t age;

	if (!t->cfg.overlap_memory_ms)
		return true;
	if (!t->first_msg_ms)
		return false;
	age = dtt_env_wall_ms(t->env) - (int64_t)rec->minute * 60000;
	return (int64_t)(now_ms(t) - (t->first_msg_ms - 1)) >= age + 60000;
}

/* 1: the record lists hashes and none of them is ours; 0: some overlap; -1: no hashes. */
static int record_disjoint(const struct dtt_peer_record *rec, uint8_t (*local)[32], size_t nl)
{
	bool any = false, overlap = false;

	for (int h = 0; rec->has_content && h < DTT_RECORD_HASHES_MAX; h++) {
		if (dtt_is_zero32(rec->content.hashes[h]))
			continue;
		any = true;
		for (size_t l = 0; l < nl; l++)
			overlap |= memcmp(local[l], rec->content.hashes[h], 32) == 0;
	}
	return !any ? -1 : !overlap;
}

static void cand_add_record(struct dtt_tracker_topic *t, struct dtt_gossip_peer *cand, size_t *n,
			    const struct dtt_peer_record *rec)
{
	cand_add(cand, n, DTT_TRACKER_CANDIDATES_MAX, t, rec->pub_key, &rec->addrs, 0);
	for (int i = 0; i < DTT_RECORD_PEERS_MAX; i++)
		cand_add(cand, n, DTT_TRACKER_CANDIDATES_MAX, t, rec->content.peers[i], &rec->addrs,
			 1 + i);
}

static void merge_finish(struct merge *mg)
{
	struct dtt_tracker_topic *t = mg->t;
	struct dtt_gossip_peer cand[DTT_TRACKER_CANDIDATES_MAX];
	uint8_t nb[16][32], local[DTT_TRACKER_MEMORY_MAX][32];
	size_t nb_count = t->ops->neighbors(t->ops_ctx, nb, 16), n = 0, keep;

	if (mg->kind == MERGE_BUBBLE) {
		keep = t->cfg.bubble_max_join_peers;
		if (nb_count < t->cfg.bubble_min_neighbors) {
			for (size_t r = 0; r < mg->records_count; r++) {
				const struct dtt_peer_record *rec = &mg->records[r];

				for (int i = 0; i < DTT_RECORD_PEERS_MAX && rec->has_content; i++) {
					const uint8_t *p = rec->content.peers[i];

					if (!is_neighbor(p, nb, nb_count) &&
					    memcmp(p, rec->pub_key, 32) != 0)
						cand_add(cand, &n, DTT_TRACKER_CANDIDATES_MAX, t, p,
							 &rec->addrs, 1 + i);
				}
				if (!is_neighbor(rec->pub_key, nb, nb_count))
					cand_add(cand, &n, DTT_TRACKER_CANDIDATES_MAX, t,
						 rec->pub_key, &rec->addrs, 0);
			}
		}
	} else {
		size_t nl = local_hashes(t, local, DTT_TRACKER_MEMORY_MAX);

		keep = t->cfg.overlap_max_join_peers;
		for (size_t r = 0; r < mg->records_count; r++) {
			const struct dtt_peer_record *rec = &mg->records[r];
			int d = record_disjoint(rec, local, nl);

			if (mg->probe[r]) {
				/* a minute others cannot see from ours: a group on another clock,
				 * unless it shares our messages (or nobody has any) */
				if (is_neighbor(rec->pub_key, nb, nb_count) || d == 0 ||
				    (d < 0 && nl))
					continue;
			} else if (!nl || d != 1 || !record_judgeable(t, rec)) {
				continue;
			}
			cand_add_record(t, cand, &n, rec);
		}
		/* current neighbours are not joined again */
		for (size_t i = 0; i < n;) {
			if (is_neighbor(cand[i].id, nb, nb_count))
				cand[i] = cand[--n];
			else
				i++;
		}
	}
	dtt_free(mg->records);
	mg->records = NULL;
	if (n) {
		shuffle_keep(t, cand, &n, keep);
		if (t->ops->join(t->ops_ctx, cand, n) == 0) {
			if (mg->kind == MERGE_BUBBLE)
				t->stats.bubble_joins += n;
			else
				t->stats.overlap_joins += n;
			emit(t, mg->kind == MERGE_BUBBLE ? DTT_TRACKER_EV_MERGE_BUBBLE
							 : DTT_TRACKER_EV_MERGE_OVERLAP,
			     (long)n);
		}
	}
	if (mg->kind == MERGE_BUBBLE)
		bubble_arm(t);
	else
		arm_worker(t, &mg->timer, &t->cfg.overlap);
}

static void merge_record(void *ctx, const struct dtt_peer_record *r)
{
	struct merge_get *g = ctx;
	struct merge *mg = g->mg;

	for (size_t i = 0; i < mg->records_count; i++)
		if (memcmp(mg->records[i].pub_key, r->pub_key, 32) == 0)
			return; /* the union of both minutes, by publisher */
	if (mg->records_count < DTT_TRACKER_RECORDS_MAX) {
		mg->probe[mg->records_count] = g->probe;
		mg->records[mg->records_count++] = *r;
	}
}

static void merge_done(void *ctx, int status, size_t records)
{
	struct merge_get *g = ctx;
	struct merge *mg = g->mg;

	(void)records;
	g->op = NULL;
	mg->running--;
	if (status == DTT_ERR_CANCELED) {
		if (mg->running == 0) {
			dtt_free(mg->records);
			mg->records = NULL;
		}
		return;
	}
	if (mg->running == 0)
		merge_finish(mg);
}

static void merge_get(struct merge *mg, int i, const struct dtt_topic_keys *tk, uint64_t m,
		      bool probe)
{
	struct dtt_tracker_topic *t = mg->t;
	struct merge_get *g = &mg->get[i];

	g->mg = mg;
	g->probe = probe;
	if (dtt_records_get(&g->op, t->dht, tk, m, own_pk(t), t->memo, merge_record, merge_done,
			    g) == 0) {
		mg->running++;
		t->stats.gets++;
		emit(t, DTT_TRACKER_EV_DHT_GET, 0);
	} else {
		g->op = NULL;
	}
}

/* dtt: a stable member's overlap tick reads one slot (the private one twice, then the
 * reference one) of the current minute, or of the previous one early in a minute; every
 * other tick it also probes a minute 2..skew_probe_minutes ahead. Only members whose clocks
 * run ahead write there (slots behind us hold our own group's old records), and the groups
 * behind us find us the same way. */
static void overlap_reads_less(struct merge *mg, uint64_t m)
{
	struct dtt_tracker_topic *t = mg->t;
	const struct dtt_topic_keys *tk = &t->keys;
	uint64_t k = mg->ticks;

	if (t->cfg.private_slot && k % 3 != 2)
		tk = pslot(t, k);
	if ((uint64_t)dtt_env_wall_ms(t->env) % 60000 < MINUTE_EARLY_MS)
		m--;
	merge_get(mg, 0, tk, m, false);
	if (t->cfg.skew_probe_minutes >= 2 && k % 2 == 1) {
		uint64_t d = 2 + (k / 2) % (t->cfg.skew_probe_minutes - 1);

		merge_get(mg, 1, t->cfg.private_slot ? pslot(t, k / 2 + 1) : &t->keys, m + d, true);
	}
}

static bool is_stable(const struct dtt_tracker_topic *t)
{
	return t->stable_since && now_ms(t) - (t->stable_since - 1) >= STABLE_MIN_MS;
}

static void merge_expired(struct dtt_timer *timer)
{
	struct merge *mg = DTT_CONTAINER_OF(timer, struct merge, timer);
	struct dtt_tracker_topic *t = mg->t;
	uint64_t m = dtt_env_unix_minute(t->env);

	if (mg->kind == MERGE_BUBBLE)
		t->stats.bubble_ticks++;
	else
		t->stats.overlap_ticks++;
	mg->ticks++;
	if (t->cfg.read_less_when_stable && mg->kind == MERGE_BUBBLE &&
	    t->neighbors >= t->cfg.bubble_min_neighbors) {
		bubble_arm(t); /* nothing to merge: no read */
		return;
	}
	mg->records = dtt_alloc(DTT_TRACKER_RECORDS_MAX * sizeof(*mg->records));
	mg->records_count = 0;
	mg->running = 0;
	if (mg->records && mg->kind == MERGE_OVERLAP && t->cfg.read_less_when_stable &&
	    is_stable(t)) {
		overlap_reads_less(mg, m);
	} else if (mg->records) {
		for (int i = 0; i < 2; i++)
			merge_get(mg, i, &t->keys, m - 1 + (uint64_t)i, false);
		for (int i = 0; t->cfg.private_slot && i < 2; i++)
			merge_get(mg, 2 + i, pslot(t, mg->ticks), m - 1 + (uint64_t)i, false);
	}
	if (mg->running == 0) {
		/* an error aborts the tick (§7.5); the next one comes */
		for (int i = 0; i < MERGE_GETS_MAX; i++)
			if (mg->get[i].op)
				dtt_records_get_cancel(mg->get[i].op);
		dtt_free(mg->records);
		mg->records = NULL;
		if (mg->kind == MERGE_BUBBLE)
			bubble_arm(t);
		else
			arm_worker(t, &mg->timer, &t->cfg.overlap);
	}
}

static void workers_start(struct dtt_tracker_topic *t)
{
	if (t->cfg.publisher.enabled && t->cfg.max_bootstrap_records > 0)
		arm_in(t, &t->pub_timer, t->cfg.publisher.initial_ms);
	if (t->cfg.bubble.enabled)
		arm_in(t, &t->bubble.timer, t->cfg.bubble.initial_ms);
	if (t->cfg.overlap.enabled)
		arm_in(t, &t->overlap.timer, t->cfg.overlap.initial_ms);
}

/* --- life cycle --- */

struct dtt_tracker_topic *dtt_tracker_topic_new(const struct dtt_tracker_topic_args *a)
{
	struct dtt_tracker_topic *t;
	uint64_t m0;

	if (!a->env || !a->timers || !a->dht || !a->keys || !a->node_sk || !a->ops ||
	    !a->ops->join || !a->ops->neighbors || !a->ops->recent_hashes)
		return NULL;
	t = dtt_alloc(sizeof(*t));
	if (!t)
		return NULL;
	t->env = a->env;
	t->timers = a->timers;
	t->dht = a->dht;
	t->memo = a->memo;
	if (a->cfg)
		t->cfg = *a->cfg;
	else
		dtt_tracker_config_init(&t->cfg);
	t->cfg.publish.max_records = t->cfg.max_bootstrap_records;
	t->keys = *a->keys;
	t->keys.has_slot_topic = false;
	t->shards = t->cfg.private_shards < 1 ? 1 : t->cfg.private_shards;
	if (t->shards > DTT_TRACKER_SHARDS_MAX)
		t->shards = DTT_TRACKER_SHARDS_MAX;
	for (uint32_t i = 0; t->cfg.private_slot && i < t->shards; i++) {
		/* H("dtt private slot v1" || topic || secret_hash [|| i for shards after the
		 * first]): only members can compute them */
		uint8_t buf[19 + DTT_TOPIC_BYTES + 32 + 1];

		t->pkeys[i] = t->keys;
		memcpy(buf, "dtt private slot v1", 19);
		memcpy(buf + 19, t->keys.topic, DTT_TOPIC_BYTES);
		memcpy(buf + 19 + DTT_TOPIC_BYTES, t->keys.secret_hash, 32);
		buf[sizeof(buf) - 1] = (uint8_t)i;
		dtt_hash32(t->pkeys[i].slot_topic, buf, sizeof(buf) - (i == 0));
		t->pkeys[i].has_slot_topic = true;
		sodium_memzero(buf, sizeof(buf));
	}
	if (t->cfg.overlap_memory_ms) {
		t->mem = dtt_alloc(DTT_TRACKER_MEMORY_MAX * sizeof(*t->mem));
		if (!t->mem) {
			dtt_free(t);
			return NULL;
		}
	}
	memcpy(t->sk, a->node_sk, 64);
	t->ops = a->ops;
	t->ops_ctx = a->ops_ctx;
	if (a->observer)
		t->observer = *a->observer;
	t->started_ms = now_ms(t);
	dtt_timer_init(&t->boot_timer, boot_expired);
	dtt_timer_init(&t->pub_timer, pub_expired);
	t->bubble.t = t->overlap.t = t;
	t->bubble.kind = MERGE_BUBBLE;
	t->overlap.kind = MERGE_OVERLAP;
	dtt_timer_init(&t->bubble.timer, merge_expired);
	dtt_timer_init(&t->overlap.timer, merge_expired);

	if (t->cfg.publish_record_on_startup && t->cfg.max_bootstrap_records > 0) {
		m0 = dtt_env_unix_minute(t->env);
		if (!t->cfg.check_older_records_first_on_startup)
			t->last_published = m0;
		publish_background(t, &t->keys, m0, -1);
		if (t->cfg.private_slot)
			publish_background(t, pslot(t, 0), m0, -1);
	}
	boot_pass(t);
	return t;
}

void dtt_tracker_topic_free(struct dtt_tracker_topic *t)
{
	if (!t)
		return;
	t->freeing = true;
	t->boot = BOOT_DONE;
	dtt_timer_cancel(t->timers, &t->boot_timer);
	dtt_timer_cancel(t->timers, &t->pub_timer);
	dtt_timer_cancel(t->timers, &t->bubble.timer);
	dtt_timer_cancel(t->timers, &t->overlap.timer);
	for (int i = 0; i < BOOT_GETS_MAX; i++)
		if (t->boot_get[i].op)
			dtt_records_get_cancel(t->boot_get[i].op);
	for (int i = 0; i < MERGE_GETS_MAX; i++) {
		if (t->bubble.get[i].op)
			dtt_records_get_cancel(t->bubble.get[i].op);
		if (t->overlap.get[i].op)
			dtt_records_get_cancel(t->overlap.get[i].op);
	}
	for (int i = 0; i < BG_PUBLISH_MAX; i++)
		if (t->bg[i].op)
			dtt_publish_cancel(t->bg[i].op);
	if (t->pub)
		dtt_publish_cancel(t->pub);
	dtt_free(t->bubble.records);
	dtt_free(t->overlap.records);
	dtt_free(t->cand);
	sodium_memzero(t->sk, sizeof(t->sk));
	sodium_memzero(t->pkeys, sizeof(t->pkeys));
	dtt_free(t->mem);
	dtt_free(t);
}

void dtt_tracker_topic_on_message(struct dtt_tracker_topic *t, const uint8_t id[32])
{
	struct seen_hash *h;

	if (!t || !t->mem)
		return;
	if (!t->first_msg_ms)
		t->first_msg_ms = now_ms(t) + 1;
	if (t->mem_count == DTT_TRACKER_MEMORY_MAX) {
		h = &t->mem[t->mem_head];
		t->mem_head = (t->mem_head + 1) % DTT_TRACKER_MEMORY_MAX;
	} else {
		h = &t->mem[(t->mem_head + t->mem_count++) % DTT_TRACKER_MEMORY_MAX];
	}
	memcpy(h->id, id, 32);
	h->at_ms = now_ms(t);
}

void dtt_tracker_topic_on_neighbor(struct dtt_tracker_topic *t, bool up)
{
	if (up)
		t->neighbors++;
	else if (t->neighbors)
		t->neighbors--;
	/* Alone again after having joined: try to rejoin soon rather than at the bubble
	 * worker's next tick, unless a tick is running or already due sooner. */
	if (!up && t->neighbors == 0 && t->boot == BOOT_DONE && !t->freeing &&
	    t->cfg.bubble.enabled && t->cfg.lonely_retry_ms && t->bubble.running == 0 &&
	    !t->bubble.records && t->lonely_wait_ms == 0 &&
	    (!dtt_timer_is_armed(&t->bubble.timer) ||
	     t->bubble.timer.deadline_ms > now_ms(t) + t->cfg.lonely_retry_ms)) {
		t->lonely_wait_ms = t->cfg.lonely_retry_ms;
		arm_in(t, &t->bubble.timer, t->lonely_wait_ms);
	}
	if (t->neighbors < t->cfg.bubble_min_neighbors)
		t->stable_since = 0;
	else if (!t->stable_since)
		t->stable_since = now_ms(t) + 1;
	if (!up || t->joined)
		return;
	t->joined = true;
	if (t->boot != BOOT_DONE)
		boot_success(t);
}

bool dtt_tracker_topic_is_joined(const struct dtt_tracker_topic *t)
{
	return t->joined;
}

const struct dtt_tracker_stats *dtt_tracker_topic_stats(const struct dtt_tracker_topic *t)
{
	return &t->stats;
}
