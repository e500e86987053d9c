/* rt.c - BEP 5 routing table: prefix-indexed K-buckets, node states, replacement caches.
 *
 * Owns its buckets; borrows ids and addresses during calls (copied when kept).
 * Timers: none; bucket refresh times are reported through dtt_rt_next_refresh_ms.
 */
#include "rt.h"
#include "alloc.h"
#include "err.h"

#include <string.h>

#define F_REPLIED 0x01 /* has answered one of our queries at least once */
#define F_PING	  0x02 /* a ping we asked for has not been reported yet */
#define FAILS_SAT 255

struct contact {
	uint8_t id[DTT_RT_ID_BYTES];
	struct dtt_addr addr;
	uint8_t fails;
	uint8_t flags;
	uint64_t last_seen_ms;
	uint64_t last_reply_ms;
};

_Static_assert(sizeof(struct contact) <= 64, "a contact should stay within 64 bytes");

/* c[0, count) are bucket entries; c[k, k + cache_count) the replacement cache. */
struct rt_bucket {
	uint64_t changed_ms;
	uint8_t count;
	uint8_t cache_count;
	struct contact c[];
};

void dtt_rt_config_init(struct dtt_rt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->k = DTT_RT_K_DEFAULT;
	cfg->replacements_max = DTT_RT_REPLACEMENTS_DEFAULT;
	cfg->fails_bad = DTT_RT_FAILS_BAD_DEFAULT;
	cfg->buckets_max = DTT_RT_BUCKETS_MAX;
	cfg->contacts_max = DTT_RT_CONTACTS_MAX_DEFAULT;
	cfg->questionable_ms = DTT_DHT_NODE_QUESTIONABLE_MS;
	cfg->refresh_ms = DTT_DHT_BUCKET_REFRESH_MS;
}

/* --- ids and distances --- */

static size_t common_prefix_bits(const uint8_t *a, const uint8_t *b)
{
	for (size_t i = 0; i < DTT_RT_ID_BYTES; i++) {
		uint8_t x = a[i] ^ b[i];

		if (x) {
			size_t n = i * 8;

			while (!(x & 0x80)) {
				x <<= 1;
				n++;
			}
			return n;
		}
	}
	return DTT_RT_ID_BYTES * 8;
}

int dtt_rt_distance_cmp(const uint8_t target[static DTT_RT_ID_BYTES],
			const uint8_t a[static DTT_RT_ID_BYTES],
			const uint8_t b[static DTT_RT_ID_BYTES])
{
	for (size_t i = 0; i < DTT_RT_ID_BYTES; i++) {
		uint8_t da = a[i] ^ target[i], db = b[i] ^ target[i];

		if (da != db)
			return da < db ? -1 : 1;
	}
	return 0;
}

static bool id_eq(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, DTT_RT_ID_BYTES) == 0;
}

static size_t bucket_of(const struct dtt_rt *rt, const uint8_t *id)
{
	size_t cpl = common_prefix_bits(id, rt->own_id);

	return cpl < rt->buckets_count - 1 ? cpl : rt->buckets_count - 1;
}

static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static enum dtt_rt_state state_of(const struct dtt_rt *rt, const struct contact *c, uint64_t now)
{
	if (c->fails >= rt->cfg.fails_bad)
		return DTT_RT_BAD;
	if ((c->flags & F_REPLIED) && c->fails == 0 &&
	    since(now, c->last_seen_ms) < rt->cfg.questionable_ms)
		return DTT_RT_GOOD;
	return DTT_RT_QUESTIONABLE;
}

static struct contact *cache_at(const struct dtt_rt *rt, struct rt_bucket *b, size_t i)
{
	return &b->c[rt->cfg.k + i];
}

static int find_main(const struct rt_bucket *b, const uint8_t *id)
{
	for (int i = 0; i < b->count; i++) {
		if (id_eq(b->c[i].id, id))
			return i;
	}
	return -1;
}

static int find_cache(const struct dtt_rt *rt, struct rt_bucket *b, const uint8_t *id)
{
	for (int i = 0; i < b->cache_count; i++) {
		if (id_eq(cache_at(rt, b, (size_t)i)->id, id))
			return i;
	}
	return -1;
}

static void to_node(struct dtt_rt_node *out, const struct contact *c)
{
	memcpy(out->id, c->id, DTT_RT_ID_BYTES);
	out->addr = c->addr;
}

/* Ranks replacement candidates: replied before beats never replied, then the more recently
 * seen, then fewer failures. Positive when a is the better one. */
static int candidate_cmp(const struct contact *a, const struct contact *b)
{
	int ra = !!(a->flags & F_REPLIED), rb = !!(b->flags & F_REPLIED);

	if (ra != rb)
		return ra - rb;
	if (a->last_seen_ms != b->last_seen_ms)
		return a->last_seen_ms > b->last_seen_ms ? 1 : -1;
	if (a->fails != b->fails)
		return a->fails < b->fails ? 1 : -1;
	return 0;
}

static void cache_remove(const struct dtt_rt *rt, struct rt_bucket *b, size_t i)
{
	struct contact *base = cache_at(rt, b, 0);

	memmove(&base[i], &base[i + 1], (b->cache_count - i - 1) * sizeof(*base));
	b->cache_count--;
}

/* Index of the best cache entry, or -1 when the cache is empty. Ties keep the lower index. */
static int cache_best(const struct dtt_rt *rt, struct rt_bucket *b)
{
	int best = -1;

	for (int i = 0; i < b->cache_count; i++) {
		if (cache_at(rt, b, (size_t)i)->fails >= rt->cfg.fails_bad)
			continue;
		if (best < 0 ||
		    candidate_cmp(cache_at(rt, b, (size_t)i), cache_at(rt, b, (size_t)best)) > 0)
			best = i;
	}
	return best;
}

/* Moves cache entries into free bucket slots while the table has room. */
static void fill_from_cache(struct dtt_rt *rt, struct rt_bucket *b, uint64_t now)
{
	int i;

	while (b->count < rt->cfg.k && rt->contacts_count < rt->cfg.contacts_max &&
	       (i = cache_best(rt, b)) >= 0) {
		b->c[b->count++] = *cache_at(rt, b, (size_t)i);
		rt->contacts_count++;
		cache_remove(rt, b, (size_t)i);
		rt->stats.promoted++;
		b->changed_ms = now;
	}
}

static struct rt_bucket *bucket_new(const struct dtt_rt *rt, uint64_t now)
{
	size_t slots = (size_t)rt->cfg.k + rt->cfg.replacements_max;
	struct rt_bucket *b = dtt_alloc(sizeof(*b) + slots * sizeof(struct contact));

	if (b)
		b->changed_ms = now;
	return b;
}

/* Splits the last bucket (the one holding our id) in two. 0 or DTT_ERR_NOMEM. */
static int split_last(struct dtt_rt *rt, uint64_t now)
{
	size_t n = rt->buckets_count;
	struct rt_bucket **grown, *old = rt->buckets[n - 1], *nb;
	size_t i;

	nb = bucket_new(rt, now);
	if (!nb)
		return DTT_ERR_NOMEM;
	grown = dtt_realloc(rt->buckets, (n + 1) * sizeof(*grown));
	if (!grown) {
		dtt_free(nb);
		return DTT_ERR_NOMEM;
	}
	rt->buckets = grown;
	/* Old bucket n-1 keeps the ids sharing exactly n-1 bits; the rest move to bucket n. */
	for (i = 0; i < old->count;) {
		if (common_prefix_bits(old->c[i].id, rt->own_id) >= n) {
			nb->c[nb->count++] = old->c[i];
			memmove(&old->c[i], &old->c[i + 1],
				(old->count - i - 1) * sizeof(old->c[0]));
			old->count--;
		} else {
			i++;
		}
	}
	for (i = 0; i < old->cache_count;) {
		struct contact *c = cache_at(rt, old, i);

		if (common_prefix_bits(c->id, rt->own_id) >= n) {
			*cache_at(rt, nb, nb->cache_count++) = *c;
			cache_remove(rt, old, i);
		} else {
			i++;
		}
	}
	rt->buckets[n] = nb;
	rt->buckets_count = n + 1;
	rt->stats.splits++;
	fill_from_cache(rt, old, now);
	fill_from_cache(rt, nb, now);
	return 0;
}

/* The least recently seen questionable contact without a pending ping, or -1. */
static int pick_ping(const struct dtt_rt *rt, const struct rt_bucket *b, uint64_t now)
{
	int best = -1;

	for (int i = 0; i < b->count; i++) {
		const struct contact *c = &b->c[i];

		if ((c->flags & F_PING) || state_of(rt, c, now) != DTT_RT_QUESTIONABLE)
			continue;
		if (best < 0 || c->last_seen_ms < b->c[best].last_seen_ms)
			best = i;
	}
	return best;
}

static bool want_ping(struct dtt_rt *rt, struct contact *c, struct dtt_rt_node *ping)
{
	c->flags |= F_PING;
	to_node(ping, c);
	rt->stats.pings_wanted++;
	return true;
}

static bool ask_ping_in(struct dtt_rt *rt, struct rt_bucket *b, uint64_t now,
			struct dtt_rt_node *ping)
{
	int i = pick_ping(rt, b, now);

	return i >= 0 ? want_ping(rt, &b->c[i], ping) : false;
}

static void contact_set(struct contact *c, const uint8_t *id, const struct dtt_addr *addr,
			uint64_t now, bool responded)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->id, id, DTT_RT_ID_BYTES);
	c->addr = *addr;
	c->last_seen_ms = now;
	if (responded) {
		c->flags = F_REPLIED;
		c->last_reply_ms = now;
	}
}

/* A known contact heard again. Returns false when the sighting is refused (address). */
static bool contact_heard(struct dtt_rt *rt, struct contact *c, const struct dtt_addr *addr,
			  uint64_t now, bool responded)
{
	if (!dtt_addr_eq(&c->addr, addr)) {
		/* An id moves only when it proves the new address by answering, and only if the
		 * old address has stopped working: otherwise anyone could hijack a good contact. */
		if (!responded || state_of(rt, c, now) == DTT_RT_GOOD) {
			rt->stats.dropped[DTT_RT_DROP_ADDR_CHANGED]++;
			return false;
		}
		c->addr = *addr;
	}
	if (now > c->last_seen_ms)
		c->last_seen_ms = now;
	if (responded) {
		c->flags = (uint8_t)((c->flags | F_REPLIED) & ~F_PING);
		c->fails = 0;
		c->last_reply_ms = now;
	}
	return true;
}

/* Puts a newcomer in the bucket's cache; evicts the worst entry if the newcomer beats it. */
static void cache_add(struct dtt_rt *rt, struct rt_bucket *b, const struct contact *nc)
{
	int worst = -1;

	if (rt->cfg.replacements_max == 0) {
		rt->stats.dropped[DTT_RT_DROP_BUCKET_FULL]++;
		return;
	}
	if (b->cache_count < rt->cfg.replacements_max) {
		*cache_at(rt, b, b->cache_count++) = *nc;
		rt->stats.cached++;
		return;
	}
	for (int i = 0; i < b->cache_count; i++) {
		if (worst < 0 ||
		    candidate_cmp(cache_at(rt, b, (size_t)i), cache_at(rt, b, (size_t)worst)) < 0)
			worst = i;
	}
	if (candidate_cmp(nc, cache_at(rt, b, (size_t)worst)) <= 0) {
		rt->stats.dropped[DTT_RT_DROP_BUCKET_FULL]++;
		return;
	}
	*cache_at(rt, b, (size_t)worst) = *nc;
	rt->stats.cache_evicted++;
	rt->stats.cached++;
}

/* The bad contact to replace first (most failures, then least recently seen), or -1. */
static int pick_bad(const struct dtt_rt *rt, const struct rt_bucket *b)
{
	int worst = -1;

	for (int i = 0; i < b->count; i++) {
		const struct contact *c = &b->c[i];

		if (c->fails < rt->cfg.fails_bad)
			continue;
		if (worst < 0 || c->fails > b->c[worst].fails ||
		    (c->fails == b->c[worst].fails && c->last_seen_ms < b->c[worst].last_seen_ms))
			worst = i;
	}
	return worst;
}

bool dtt_rt_on_heard(struct dtt_rt *rt, const uint8_t id[static DTT_RT_ID_BYTES],
		     const struct dtt_addr *addr, uint64_t now_ms, bool responded,
		     struct dtt_rt_node *ping)
{
	struct contact nc;

	if (id_eq(id, rt->own_id)) {
		rt->stats.dropped[DTT_RT_DROP_OWN_ID]++;
		return false;
	}
	for (;;) {
		size_t bi = bucket_of(rt, id);
		struct rt_bucket *b = rt->buckets[bi];
		int i = find_main(b, id);

		if (i >= 0) {
			if (contact_heard(rt, &b->c[i], addr, now_ms, responded)) {
				rt->stats.refreshed++;
				if (responded)
					b->changed_ms = now_ms;
			}
			return false;
		}
		i = find_cache(rt, b, id);
		if (i >= 0) {
			if (contact_heard(rt, cache_at(rt, b, (size_t)i), addr, now_ms, responded))
				rt->stats.refreshed++;
			fill_from_cache(rt, b, now_ms);
			return ask_ping_in(rt, b, now_ms, ping);
		}
		if (b->count < rt->cfg.k) {
			if (rt->contacts_count < rt->cfg.contacts_max) {
				struct contact *c = &b->c[b->count++];

				contact_set(c, id, addr, now_ms, responded);
				rt->contacts_count++;
				rt->stats.inserted++;
				b->changed_ms = now_ms;
				return responded ? false : want_ping(rt, c, ping);
			}
			/* The table is at contacts_max: the newcomer waits in the cache. */
		} else if (bi == rt->buckets_count - 1 && rt->buckets_count < rt->cfg.buckets_max) {
			if (split_last(rt, now_ms) == 0)
				continue;
			rt->stats.dropped[DTT_RT_DROP_NOMEM]++;
		}
		contact_set(&nc, id, addr, now_ms, responded);
		i = pick_bad(rt, b);
		if (i >= 0) {
			b->c[i] = nc;
			rt->stats.replaced_bad++;
			b->changed_ms = now_ms;
			return responded ? false : want_ping(rt, &b->c[i], ping);
		}
		cache_add(rt, b, &nc);
		return ask_ping_in(rt, b, now_ms, ping);
	}
}

bool dtt_rt_on_timeout(struct dtt_rt *rt, const uint8_t id[static DTT_RT_ID_BYTES],
		       const struct dtt_addr *addr, uint64_t now_ms, struct dtt_rt_node *ping)
{
	struct rt_bucket *b = rt->buckets[bucket_of(rt, id)];
	struct contact *c;
	int i = find_main(b, id), j;

	if (i >= 0) {
		c = &b->c[i];
		if (!dtt_addr_eq(&c->addr, addr))
			return false;
		c->flags &= (uint8_t)~F_PING;
		if (c->fails < FAILS_SAT)
			c->fails++;
		if (c->fails < rt->cfg.fails_bad || (j = cache_best(rt, b)) < 0)
			return false;
		b->c[i] = *cache_at(rt, b, (size_t)j);
		cache_remove(rt, b, (size_t)j);
		rt->stats.promoted++;
		b->changed_ms = now_ms;
		c = &b->c[i];
		return (c->flags & F_REPLIED) ? false : want_ping(rt, c, ping);
	}
	i = find_cache(rt, b, id);
	if (i >= 0) {
		c = cache_at(rt, b, (size_t)i);
		if (!dtt_addr_eq(&c->addr, addr))
			return false;
		c->flags &= (uint8_t)~F_PING;
		if (c->fails < FAILS_SAT)
			c->fails++;
		if (c->fails >= rt->cfg.fails_bad)
			cache_remove(rt, b, (size_t)i);
	}
	return false;
}

static bool closest_eligible(const struct dtt_rt *rt, const struct contact *c)
{
	return (c->flags & F_REPLIED) && c->fails < rt->cfg.fails_bad;
}

/* Appends the eligible contacts of bucket b to out[0, count), the appended part sorted
 * nearest first, and cuts at n. Everything already in out is nearer than anything in b (see
 * dtt_rt_closest), so only this bucket's entries are compared. Returns the new count. */
static size_t closest_take(const struct dtt_rt *rt, const struct rt_bucket *b,
			   const uint8_t *target, struct dtt_rt_node *out, size_t count, size_t n)
{
	const size_t base = count;

	for (size_t i = 0; i < b->count; i++) {
		const struct contact *c = &b->c[i];
		size_t pos;

		if (!closest_eligible(rt, c))
			continue;
		/* Insertion into the sorted tail; ids are unique, so no ties. */
		pos = count;
		while (pos > base && dtt_rt_distance_cmp(target, c->id, out[pos - 1].id) < 0)
			pos--;
		if (pos >= n)
			continue;
		if (count < n)
			count++;
		memmove(&out[pos + 1], &out[pos], (count - 1 - pos) * sizeof(out[0]));
		to_node(&out[pos], c);
	}
	return count;
}

/* Bit i (0 = most significant) of a XOR b. */
static unsigned xor_bit(const uint8_t *a, const uint8_t *b, size_t i)
{
	return ((unsigned)(a[i / 8] ^ b[i / 8]) >> (7 - i % 8)) & 1u;
}

/* Walks the buckets nearest first instead of sorting the whole table. With D = own ^ target,
 * a contact x of bucket j < last has x ^ own = 0...01?... (first set bit j), so its distance
 * x ^ target = D ^ (x ^ own) agrees with D above bit j, has bit j = !D[j], and anything
 * below. The last bucket's distances agree with D on bits 0..last-1. Each bucket is thus one
 * prefix interval of the distance space, and the intervals are ordered by their first
 * differing bit: bucket j comes before every deeper bucket (and the last) when D[j] = 1,
 * after them when D[j] = 0. Nearest first: the buckets j with D[j] = 1 by increasing j (the
 * first is the target's own bucket), the last bucket, then the buckets j with D[j] = 0 by
 * decreasing j. A bucket's contacts are all nearer than the next bucket's, so the walk stops
 * once n contacts are taken at a bucket boundary, and the result is exactly that of a full
 * sort (test_rt checks it against one). */
size_t dtt_rt_closest(const struct dtt_rt *rt, const uint8_t target[static DTT_RT_ID_BYTES],
		      struct dtt_rt_node *out, size_t n)
{
	size_t last, count = 0;

	if (n == 0 || rt->buckets_count == 0)
		return 0;
	last = rt->buckets_count - 1;
	for (size_t j = 0; j < last; j++) {
		if (!xor_bit(rt->own_id, target, j))
			continue;
		count = closest_take(rt, rt->buckets[j], target, out, count, n);
		if (count == n)
			return count;
	}
	count = closest_take(rt, rt->buckets[last], target, out, count, n);
	for (size_t j = last; j-- > 0 && count < n;) {
		if (!xor_bit(rt->own_id, target, j))
			count = closest_take(rt, rt->buckets[j], target, out, count, n);
	}
	return count;
}

size_t dtt_rt_node_count(const struct dtt_rt *rt)
{
	return rt->contacts_count;
}

size_t dtt_rt_usable_count(const struct dtt_rt *rt)
{
	size_t n = 0;

	for (size_t bi = 0; bi < rt->buckets_count; bi++) {
		const struct rt_bucket *b = rt->buckets[bi];

		for (size_t i = 0; i < b->count; i++)
			n += closest_eligible(rt, &b->c[i]);
	}
	return n;
}

static bool failed_once_good(const struct dtt_rt *rt, const struct contact *c)
{
	return (c->flags & F_REPLIED) && c->fails >= rt->cfg.fails_bad;
}

size_t dtt_rt_failed(const struct dtt_rt *rt, size_t skip, struct dtt_rt_node *out, size_t max)
{
	size_t total = 0, seen = 0, n = 0;

	for (size_t bi = 0; bi < rt->buckets_count; bi++) {
		const struct rt_bucket *b = rt->buckets[bi];

		for (size_t i = 0; i < b->count; i++)
			total += failed_once_good(rt, &b->c[i]);
	}
	if (total == 0 || max == 0)
		return 0;
	skip %= total;
	/* two passes: from the skip-th one to the end, then from the start */
	for (int pass = 0; pass < 2 && n < max; pass++) {
		seen = 0;
		for (size_t bi = 0; bi < rt->buckets_count && n < max; bi++) {
			const struct rt_bucket *b = rt->buckets[bi];

			for (size_t i = 0; i < b->count && n < max; i++) {
				if (!failed_once_good(rt, &b->c[i]))
					continue;
				if ((pass == 0) == (seen >= skip))
					to_node(&out[n++], &b->c[i]);
				seen++;
			}
		}
	}
	return n;
}

size_t dtt_rt_good_count(const struct dtt_rt *rt, uint64_t now_ms)
{
	size_t n = 0;

	for (size_t bi = 0; bi < rt->buckets_count; bi++) {
		const struct rt_bucket *b = rt->buckets[bi];

		for (size_t i = 0; i < b->count; i++)
			n += state_of(rt, &b->c[i], now_ms) == DTT_RT_GOOD;
	}
	return n;
}

size_t dtt_rt_bucket_count(const struct dtt_rt *rt)
{
	return rt->buckets_count;
}

static void fill_info(const struct dtt_rt *rt, const struct contact *c, uint64_t now, size_t bucket,
		      bool in_cache, struct dtt_rt_info *out)
{
	memset(out, 0, sizeof(*out));
	to_node(&out->node, c);
	out->state = state_of(rt, c, now);
	out->in_cache = in_cache;
	out->confirmed = (c->flags & F_REPLIED) != 0;
	out->ping_pending = (c->flags & F_PING) != 0;
	out->fails = c->fails;
	out->bucket = bucket;
	out->last_seen_ms = c->last_seen_ms;
	out->last_reply_ms = c->last_reply_ms;
}

bool dtt_rt_get(const struct dtt_rt *rt, const uint8_t id[static DTT_RT_ID_BYTES], uint64_t now_ms,
		struct dtt_rt_info *out)
{
	size_t bi = bucket_of(rt, id);
	struct rt_bucket *b = rt->buckets[bi];
	int i = find_main(b, id);

	if (i >= 0) {
		fill_info(rt, &b->c[i], now_ms, bi, false, out);
		return true;
	}
	i = find_cache(rt, b, id);
	if (i >= 0) {
		fill_info(rt, cache_at(rt, b, (size_t)i), now_ms, bi, true, out);
		return true;
	}
	return false;
}

uint64_t dtt_rt_next_refresh_ms(const struct dtt_rt *rt)
{
	uint64_t next = UINT64_MAX;

	for (size_t bi = 0; bi < rt->buckets_count; bi++) {
		uint64_t ch = rt->buckets[bi]->changed_ms;
		uint64_t due =
		    ch > UINT64_MAX - rt->cfg.refresh_ms ? UINT64_MAX : ch + rt->cfg.refresh_ms;

		if (due < next)
			next = due;
	}
	return next;
}

bool dtt_rt_bucket_refresh_due(struct dtt_rt *rt, const struct dtt_env *env, uint64_t now_ms,
			       uint8_t target[static DTT_RT_ID_BYTES])
{
	for (size_t bi = 0; bi < rt->buckets_count; bi++) {
		struct rt_bucket *b = rt->buckets[bi];
		bool last = bi == rt->buckets_count - 1;

		if (since(now_ms, b->changed_ms) < rt->cfg.refresh_ms)
			continue;
		/* Bucket bi: the first bi bits are ours; bit bi is flipped unless this is the
		 * last bucket (which holds every id sharing >= bi bits); the rest is random. */
		dtt_env_random(env, target, DTT_RT_ID_BYTES);
		for (size_t bit = 0; bit <= bi && bit < DTT_RT_ID_BYTES * 8; bit++) {
			uint8_t mask = (uint8_t)(0x80 >> (bit % 8));
			uint8_t own = rt->own_id[bit / 8] & mask;

			if (bit == bi) {
				if (last)
					break;
				own ^= mask;
			}
			target[bit / 8] = (uint8_t)((target[bit / 8] & ~mask) | own);
		}
		b->changed_ms = now_ms;
		return true;
	}
	return false;
}

size_t dtt_rt_export(const struct dtt_rt *rt, struct dtt_rt_node *out, size_t max)
{
	size_t n = 0;

	for (size_t bi = 0; bi < rt->buckets_count; bi++) {
		const struct rt_bucket *b = rt->buckets[bi];

		for (size_t i = 0; i < b->count && n < max; i++) {
			if (closest_eligible(rt, &b->c[i]))
				to_node(&out[n++], &b->c[i]);
		}
	}
	return n;
}

int dtt_rt_init(struct dtt_rt *rt, const struct dtt_rt_config *cfg,
		const uint8_t own_id[static DTT_RT_ID_BYTES], uint64_t now_ms)
{
	memset(rt, 0, sizeof(*rt));
	if (cfg)
		rt->cfg = *cfg;
	else
		dtt_rt_config_init(&rt->cfg);
	if (rt->cfg.k == 0 || rt->cfg.k > DTT_RT_K_MAX ||
	    rt->cfg.replacements_max > DTT_RT_REPLACEMENTS_MAX || rt->cfg.fails_bad == 0 ||
	    rt->cfg.buckets_max == 0 || rt->cfg.buckets_max > DTT_RT_BUCKETS_MAX)
		return DTT_ERR_INVALID;
	memcpy(rt->own_id, own_id, DTT_RT_ID_BYTES);
	rt->buckets = dtt_alloc(sizeof(*rt->buckets));
	if (!rt->buckets)
		return DTT_ERR_NOMEM;
	rt->buckets[0] = bucket_new(rt, now_ms);
	if (!rt->buckets[0]) {
		dtt_free(rt->buckets);
		rt->buckets = NULL;
		return DTT_ERR_NOMEM;
	}
	rt->buckets_count = 1;
	return 0;
}

void dtt_rt_deinit(struct dtt_rt *rt)
{
	for (size_t i = 0; i < rt->buckets_count; i++)
		dtt_free(rt->buckets[i]);
	dtt_free(rt->buckets);
	rt->buckets = NULL;
	rt->buckets_count = 0;
	rt->contacts_count = 0;
}
