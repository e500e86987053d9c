/* store.c - BEP 44 item store: validation order, seq/CAS rules, expiry, size bound and a
 * per-source token bucket (spec/DHT.md §4; policies in docs/dht-store.md).
 *
 * Owns its items (copies of v, k, sig) and the rate-limit table; borrows every input.
 * Timers: none; the caller drives expiry with dtt_store_expire at dtt_store_next_expiry_ms.
 */
#include "store.h"
#include "alloc.h"
#include "err.h"
#include "verify_memo.h"

#include <string.h>

#define ITEMS_CAP_FIRST	  8
#define SOURCES_CAP_FIRST 8
#define MILLI		  1000u /* token bucket units per request */

struct store_item {
	uint8_t target[DTT_BEP44_TARGET_BYTES];
	uint8_t k[DTT_BEP44_K_BYTES];
	uint8_t sig[DTT_BEP44_SIG_BYTES];
	int64_t seq;
	uint64_t expires_ms;
	bool is_mutable;
	uint16_t v_len;
	uint8_t v[];
};

struct store_source {
	uint8_t family;
	uint8_t ip[16];
	uint64_t last_ms; /* last request (refill origin and LRU key) */
	uint64_t milli;	  /* tokens, in thousandths */
};

_Static_assert(DTT_BEP44_V_MAX <= UINT16_MAX, "v_len is stored in 16 bits");

void dtt_store_config_init(struct dtt_store_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->item_lifetime_ms = DTT_DHT_ITEM_LIFETIME_MS;
	cfg->items_max = DTT_STORE_ITEMS_MAX_DEFAULT;
	cfg->equal_seq = DTT_STORE_LAST_WRITER_WINS;
	cfg->when_full = DTT_STORE_EVICT_SOONEST;
	cfg->sources_max = DTT_STORE_SOURCES_MAX_DEFAULT;
	cfg->rate_per_s = DTT_STORE_RATE_PER_S_DEFAULT;
	cfg->burst = DTT_STORE_BURST_DEFAULT;
	cfg->rate_exempt_loopback = true;
}

int dtt_store_init(struct dtt_store *s, const struct dtt_store_config *cfg)
{
	memset(s, 0, sizeof(*s));
	if (cfg)
		s->cfg = *cfg;
	else
		dtt_store_config_init(&s->cfg);
	if (s->cfg.item_lifetime_ms == 0 || s->cfg.items_max == 0 ||
	    (s->cfg.equal_seq != DTT_STORE_LAST_WRITER_WINS &&
	     s->cfg.equal_seq != DTT_STORE_FIRST_WRITER_WINS) ||
	    (s->cfg.when_full != DTT_STORE_EVICT_SOONEST && s->cfg.when_full != DTT_STORE_REFUSE) ||
	    (s->cfg.sources_max > 0 && s->cfg.burst == 0))
		return DTT_ERR_INVALID;
	return 0;
}

void dtt_store_deinit(struct dtt_store *s)
{
	for (size_t i = 0; i < s->items_count; i++)
		dtt_free(s->items[i]);
	dtt_free(s->items);
	dtt_free(s->sources);
	s->items = NULL;
	s->sources = NULL;
	s->items_count = s->items_cap = 0;
	s->sources_count = s->sources_cap = 0;
}

/* --- rate limit --- */

static bool is_loopback(const struct dtt_addr *a)
{
	static const uint8_t v6_loopback[16] = {[15] = 1};

	if (a->family == DTT_AF_INET)
		return a->addr[0] == 127;
	return a->family == DTT_AF_INET6 && memcmp(a->addr, v6_loopback, 16) == 0;
}

static void refill(const struct dtt_store *s, struct store_source *src, uint64_t now)
{
	uint64_t cap = (uint64_t)s->cfg.burst * MILLI;
	uint64_t dt = now > src->last_ms ? now - src->last_ms : 0;

	/* rate_per_s tokens per second = rate_per_s thousandths per ms. Clamp dt first so the
	 * product cannot overflow. */
	if (s->cfg.rate_per_s > 0) {
		if (dt > cap / s->cfg.rate_per_s + 1)
			dt = cap / s->cfg.rate_per_s + 1;
		src->milli += dt * s->cfg.rate_per_s;
		if (src->milli > cap)
			src->milli = cap;
	}
	if (now > src->last_ms)
		src->last_ms = now;
}

/* A slot for a new source: grows the table up to sources_max, else forgets the least
 * recently active source (lowest index on a tie). NULL only if nothing could be had. */
static struct store_source *source_slot(struct dtt_store *s)
{
	size_t lru = 0;

	if (s->sources_count < s->sources_cap)
		return &s->sources[s->sources_count++];
	if (s->sources_cap < s->cfg.sources_max) {
		size_t cap = s->sources_cap ? s->sources_cap * 2 : SOURCES_CAP_FIRST;
		struct store_source *grown;

		if (cap > s->cfg.sources_max)
			cap = s->cfg.sources_max;
		grown = dtt_realloc(s->sources, cap * sizeof(*grown));
		if (grown) {
			s->sources = grown;
			s->sources_cap = cap;
			return &s->sources[s->sources_count++];
		}
	}
	if (s->sources_count == 0)
		return NULL;
	for (size_t i = 1; i < s->sources_count; i++) {
		if (s->sources[i].last_ms < s->sources[lru].last_ms)
			lru = i;
	}
	s->stats.sources_forgotten++;
	return &s->sources[lru];
}

bool dtt_store_rate_allow(struct dtt_store *s, const struct dtt_addr *from, uint64_t now_ms)
{
	size_t iplen = from->family == DTT_AF_INET ? 4 : 16;
	struct store_source *src = NULL;

	if (s->cfg.sources_max == 0 || (s->cfg.rate_exempt_loopback && is_loopback(from)))
		return true;
	for (size_t i = 0; i < s->sources_count; i++) {
		if (s->sources[i].family == from->family &&
		    memcmp(s->sources[i].ip, from->addr, iplen) == 0) {
			src = &s->sources[i];
			break;
		}
	}
	if (src) {
		refill(s, src, now_ms);
	} else {
		src = source_slot(s);
		if (!src) {
			s->stats.rate_limited++; /* no memory for any entry: fail closed */
			return false;
		}
		memset(src, 0, sizeof(*src));
		src->family = from->family;
		memcpy(src->ip, from->addr, iplen);
		src->last_ms = now_ms;
		src->milli = (uint64_t)s->cfg.burst * MILLI;
	}
	if (src->milli < MILLI) {
		s->stats.rate_limited++;
		return false;
	}
	src->milli -= MILLI;
	return true;
}

/* --- items --- */

/* Position of target in the sorted array; *found tells whether it is there. */
static size_t item_search(const struct dtt_store *s, const uint8_t *target, bool *found)
{
	size_t lo = 0, hi = s->items_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(s->items[mid]->target, target, DTT_BEP44_TARGET_BYTES);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void item_remove(struct dtt_store *s, size_t i)
{
	dtt_free(s->items[i]);
	memmove(&s->items[i], &s->items[i + 1], (s->items_count - i - 1) * sizeof(s->items[0]));
	s->items_count--;
}

static bool is_expired(const struct store_item *it, uint64_t now)
{
	return now >= it->expires_ms;
}

static uint64_t expiry(const struct dtt_store *s, uint64_t now)
{
	return now > UINT64_MAX - s->cfg.item_lifetime_ms ? UINT64_MAX
							  : now + s->cfg.item_lifetime_ms;
}

size_t dtt_store_expire(struct dtt_store *s, uint64_t now_ms)
{
	size_t n = 0, w = 0;

	for (size_t i = 0; i < s->items_count; i++) {
		if (is_expired(s->items[i], now_ms)) {
			dtt_free(s->items[i]);
			n++;
		} else {
			s->items[w++] = s->items[i];
		}
	}
	s->items_count = w;
	s->stats.expired += n;
	return n;
}

uint64_t dtt_store_next_expiry_ms(const struct dtt_store *s)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < s->items_count; i++) {
		if (s->items[i]->expires_ms < next)
			next = s->items[i]->expires_ms;
	}
	return next;
}

size_t dtt_store_count(const struct dtt_store *s)
{
	return s->items_count;
}

static struct store_item *item_new(const uint8_t *target, const uint8_t *v, size_t v_len)
{
	struct store_item *it = dtt_alloc(sizeof(*it) + v_len);

	if (!it)
		return NULL;
	memcpy(it->target, target, DTT_BEP44_TARGET_BYTES);
	if (v_len)
		memcpy(it->v, v, v_len);
	it->v_len = (uint16_t)v_len;
	return it;
}

static int reject(struct dtt_store *s, enum dtt_store_reject why, int code)
{
	s->stats.rejected[why]++;
	return code;
}

/* Adds a new item (target absent). On error the store is unchanged and `it` is freed. */
static int item_insert(struct dtt_store *s, struct store_item *it, uint64_t now)
{
	size_t victim = SIZE_MAX, pos;
	bool found;

	if (s->items_count >= s->cfg.items_max)
		dtt_store_expire(s, now);
	if (s->items_count >= s->cfg.items_max) {
		if (s->cfg.when_full == DTT_STORE_REFUSE) {
			dtt_free(it);
			return reject(s, DTT_STORE_REJECT_FULL, DTT_ERR_FULL);
		}
		victim = 0;
		for (size_t i = 1; i < s->items_count; i++) {
			if (s->items[i]->expires_ms < s->items[victim]->expires_ms)
				victim = i;
		}
	} else if (s->items_count == s->items_cap) {
		size_t cap = s->items_cap ? s->items_cap * 2 : ITEMS_CAP_FIRST;
		struct store_item **grown;

		if (cap > s->cfg.items_max)
			cap = s->cfg.items_max;
		grown = dtt_realloc(s->items, cap * sizeof(*grown));
		if (!grown) {
			dtt_free(it);
			return reject(s, DTT_STORE_REJECT_NOMEM, DTT_ERR_NOMEM);
		}
		s->items = grown;
		s->items_cap = cap;
	}
	/* Nothing can fail from here on. */
	if (victim != SIZE_MAX) {
		item_remove(s, victim);
		s->stats.evicted++;
	}
	pos = item_search(s, it->target, &found);
	memmove(&s->items[pos + 1], &s->items[pos], (s->items_count - pos) * sizeof(s->items[0]));
	s->items[pos] = it;
	s->items_count++;
	s->stats.stored++;
	return 0;
}

/* The live item under target, or NULL; an expired one is removed on the way. *pos is the
 * index (or insertion point). */
static struct store_item *live_item(struct dtt_store *s, const uint8_t *target, uint64_t now,
				    size_t *pos)
{
	bool found;

	*pos = item_search(s, target, &found);
	if (!found)
		return NULL;
	if (is_expired(s->items[*pos], now)) {
		item_remove(s, *pos);
		s->stats.expired++;
		return NULL;
	}
	return s->items[*pos];
}

int dtt_store_put_immutable(struct dtt_store *s, bool token_ok,
			    const uint8_t target[static DTT_BEP44_TARGET_BYTES], const uint8_t *v,
			    size_t v_len, uint64_t now_ms)
{
	struct store_item *it;
	size_t pos;

	if (!v && v_len)
		return DTT_ERR_INVALID;
	if (!token_ok)
		return reject(s, DTT_STORE_REJECT_TOKEN, DTT_BEP44_ERR_PROTOCOL);
	if (!dtt_bep44_immutable_matches(target, v, v_len))
		return reject(s, DTT_STORE_REJECT_TARGET_MISMATCH, DTT_BEP44_ERR_PROTOCOL);
	if (v_len > DTT_BEP44_V_MAX)
		return reject(s, DTT_STORE_REJECT_V_TOO_BIG, DTT_BEP44_ERR_V_TOO_BIG);
	it = live_item(s, target, now_ms, &pos);
	if (it) {
		if (it->is_mutable)
			return reject(s, DTT_STORE_REJECT_KIND, DTT_BEP44_ERR_PROTOCOL);
		/* Same target, so the same bytes: a republish. */
		it->expires_ms = expiry(s, now_ms);
		s->stats.refreshed++;
		return 0;
	}
	it = item_new(target, v, v_len);
	if (!it)
		return reject(s, DTT_STORE_REJECT_NOMEM, DTT_ERR_NOMEM);
	it->expires_ms = expiry(s, now_ms);
	return item_insert(s, it, now_ms);
}

/* Replaces the value of a stored mutable item. On DTT_ERR_NOMEM the old item stays. */
static int item_update(struct dtt_store *s, size_t pos, const struct dtt_store_mutable *m,
		       uint64_t now)
{
	struct store_item *it = s->items[pos];

	if (it->v_len != m->v_len) {
		struct store_item *nit = item_new(it->target, m->v, m->v_len);

		if (!nit)
			return reject(s, DTT_STORE_REJECT_NOMEM, DTT_ERR_NOMEM);
		nit->is_mutable = true;
		memcpy(nit->k, it->k, sizeof(nit->k));
		dtt_free(it);
		s->items[pos] = it = nit;
	} else if (m->v_len) {
		memcpy(it->v, m->v, m->v_len);
	}
	memcpy(it->sig, m->sig, sizeof(it->sig));
	it->seq = m->seq;
	it->expires_ms = expiry(s, now);
	s->stats.updated++;
	return 0;
}

int dtt_store_put_mutable(struct dtt_store *s, bool token_ok,
			  const uint8_t target[static DTT_BEP44_TARGET_BYTES],
			  const struct dtt_store_mutable *m, uint64_t now_ms)
{
	uint8_t t[DTT_BEP44_TARGET_BYTES];
	struct store_item *it;
	size_t pos;

	if (!m || !m->k || !m->sig || (!m->v && m->v_len) || (!m->salt && m->salt_len))
		return DTT_ERR_INVALID;
	/* 1. token, for this very item */
	if (!token_ok)
		return reject(s, DTT_STORE_REJECT_TOKEN, DTT_BEP44_ERR_PROTOCOL);
	dtt_bep44_mutable_target(t, m->k, m->salt, m->salt_len);
	if (memcmp(t, target, sizeof(t)) != 0)
		return reject(s, DTT_STORE_REJECT_TARGET_MISMATCH, DTT_BEP44_ERR_PROTOCOL);
	/* 2., 3. sizes */
	if (m->v_len > DTT_BEP44_V_MAX)
		return reject(s, DTT_STORE_REJECT_V_TOO_BIG, DTT_BEP44_ERR_V_TOO_BIG);
	if (m->salt_len > DTT_BEP44_SALT_MAX)
		return reject(s, DTT_STORE_REJECT_SALT_TOO_BIG, DTT_BEP44_ERR_SALT_TOO_BIG);
	/* 4. signature */
	if (dtt_verify_memo_check(s->cfg.verify_memo, s->cfg.crypto, m->sig, m->k, m->salt,
				  m->salt_len, m->seq, m->v, m->v_len) != 0)
		return reject(s, DTT_STORE_REJECT_BAD_SIG, DTT_BEP44_ERR_BAD_SIG);
	/* 5. never negative */
	if (m->seq < 0)
		return reject(s, DTT_STORE_REJECT_NEGATIVE_SEQ, DTT_BEP44_ERR_PROTOCOL);
	/* 6. against what is stored */
	it = live_item(s, target, now_ms, &pos);
	if (!it) {
		it = item_new(target, m->v, m->v_len);
		if (!it)
			return reject(s, DTT_STORE_REJECT_NOMEM, DTT_ERR_NOMEM);
		it->is_mutable = true;
		memcpy(it->k, m->k, sizeof(it->k));
		memcpy(it->sig, m->sig, sizeof(it->sig));
		it->seq = m->seq;
		it->expires_ms = expiry(s, now_ms);
		return item_insert(s, it, now_ms);
	}
	if (!it->is_mutable)
		return reject(s, DTT_STORE_REJECT_KIND, DTT_BEP44_ERR_PROTOCOL);
	if (m->has_cas && m->cas != it->seq)
		return reject(s, DTT_STORE_REJECT_CAS, DTT_BEP44_ERR_CAS);
	if (m->seq < it->seq)
		return reject(s, DTT_STORE_REJECT_SEQ_LESS, DTT_BEP44_ERR_SEQ_LESS);
	if (m->seq == it->seq) {
		if (it->v_len == m->v_len &&
		    (m->v_len == 0 || memcmp(it->v, m->v, m->v_len) == 0)) {
			it->expires_ms = expiry(s, now_ms);
			s->stats.refreshed++;
			return 0;
		}
		if (s->cfg.equal_seq == DTT_STORE_FIRST_WRITER_WINS) {
			s->stats.kept++;
			return 0;
		}
	}
	return item_update(s, pos, m, now_ms);
}

int dtt_store_get(const struct dtt_store *s, const uint8_t target[static DTT_BEP44_TARGET_BYTES],
		  bool has_seq, int64_t seq, uint64_t now_ms, struct dtt_store_item *out)
{
	const struct store_item *it;
	size_t pos;
	bool found;

	memset(out, 0, sizeof(*out));
	pos = item_search(s, target, &found);
	if (!found || is_expired(s->items[pos], now_ms))
		return DTT_ERR_NOTFOUND;
	it = s->items[pos];
	out->is_mutable = it->is_mutable;
	out->expires_ms = it->expires_ms;
	if (it->is_mutable) {
		out->seq = it->seq;
		if (has_seq && it->seq <= seq) {
			out->omit_v = true;
			return 0;
		}
		out->k = it->k;
		out->sig = it->sig;
	}
	out->v = it->v;
	out->v_len = it->v_len;
	return 0;
}
