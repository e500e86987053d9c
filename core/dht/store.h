/* store.h - bounded BEP 44 item store of a storing node: immutable and mutable items by
 * target, expiry, a size bound and a per-source rate limit (spec/DHT.md §4, docs/dht-store.md).
 *
 * Validation of a put, in this order (spec/DHT.md §4 "Validation on a storing node"):
 *   1. the token: the caller checks it (dtt_token_check against the item's target) and passes
 *      the verdict as token_ok; the store also checks that the target the token was checked
 *      against is the item's target (SHA-1(v), or SHA-1(k || salt))      -> 203
 *   2. bencoded v longer than DTT_BEP44_V_MAX (1000)                      -> 205
 *   3. salt longer than DTT_BEP44_SALT_MAX (64)                           -> 207
 *   4. the signature over the BEP 44 signable                             -> 206
 *   5. a negative seq                                                     -> 203
 *   6. with an item stored under the target: cas present and != stored seq -> 301;
 *      seq < stored seq -> 302; seq == stored seq: see "equal seq" below. Without a stored
 *      item, cas is ignored. (A mutable put on an immutable item or back   -> 203.)
 *
 * Equal seq (the BEP says reject; implementations differ, spec/DHT.md §6). dtt's records
 * all use seq = cas = INT64_MAX in one shared slot per topic and minute (spec/PROTOCOL.md
 * §6.3), so this choice decides which record a storing node hands out:
 *   - same seq, same v: refresh the expiry (both policies; this is the owner's republish);
 *   - same seq, different v: DTT_STORE_LAST_WRITER_WINS (default) overwrites v and sig and
 *     resets the expiry, as the Rust mainline crate that distributed-topic-tracker peers run
 *     does, so every fresh record gets served by someone; DTT_STORE_FIRST_WRITER_WINS keeps
 *     the stored item untouched (expiry included) and still answers success, as libtorrent
 *     does. Both answer success, never an error, so writers cannot tell them apart.
 *
 * Full (items_max items, after dropping expired ones): DTT_STORE_EVICT_SOONEST (default)
 * evicts the item closest to expiry (lowest target on a tie) to make room, as libtorrent
 * evicts to make room; DTT_STORE_REFUSE answers DTT_ERR_FULL. Updates of a stored target
 * never need room.
 *
 * Rate limit: dtt_store_rate_allow is a token bucket per source IP (port ignored) in a table
 * of sources_max entries; when the table is full the least recently active source is
 * forgotten. The caller asks it before any work on a put (before the token check and the
 * signature), and drops a refused request silently (counted), as STYLE says.
 *
 * Ownership: inputs are borrowed; the store copies what it keeps. dtt_store_get returns views
 * into the store, valid until the next call that changes the store (put, expire, deinit).
 * Timers: none of its own. Time is the now_ms the caller passes (monotonic ms; no clock
 * reads): dtt_store_next_expiry_ms says when to call dtt_store_expire. Items past their
 * expiry are invisible to get even before expire runs. Single-threaded.
 */
#ifndef DTT_DHT_STORE_H
#define DTT_DHT_STORE_H

#include "bep44.h"
#include "env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtt_verify_memo; /* verify_memo.h */

#define DTT_DHT_ITEM_LIFETIME_MS      (2 * 60 * 60 * 1000) /* BEP 44: MAY expire after 2 h */
#define DTT_STORE_ITEMS_MAX_DEFAULT   700		   /* libtorrent's dht_max_dht_items */
#define DTT_STORE_SOURCES_MAX_DEFAULT 256
#define DTT_STORE_RATE_PER_S_DEFAULT  5	 /* puts per second per source, sustained */
#define DTT_STORE_BURST_DEFAULT	      20 /* puts per source in a burst */

enum dtt_store_equal_seq {
	DTT_STORE_LAST_WRITER_WINS = 0,	 /* mainline: overwrite */
	DTT_STORE_FIRST_WRITER_WINS = 1, /* libtorrent: keep the stored value, answer OK */
};

enum dtt_store_when_full {
	DTT_STORE_EVICT_SOONEST = 0, /* evict the item closest to expiry */
	DTT_STORE_REFUSE = 1,	     /* DTT_ERR_FULL */
};

struct dtt_store_config {
	uint64_t item_lifetime_ms; /* > 0 */
	uint32_t items_max;	   /* > 0 */
	enum dtt_store_equal_seq equal_seq;
	enum dtt_store_when_full when_full;
	uint32_t sources_max;	   /* rate-limit table size; 0 turns rate limiting off */
	uint32_t rate_per_s;	   /* token refill per second per source */
	uint32_t burst;		   /* bucket depth, >= 1 when sources_max > 0 */
	bool rate_exempt_loopback; /* 127/8 and ::1 are never limited (local test swarms) */
	/* Borrowed, optional: the memo that answers step 4 for signatures checked before
	 * (verify_memo.h); NULL verifies every time. A dht sets it from its own config. */
	struct dtt_verify_memo *verify_memo;
	/* Borrowed, optional: the signature provider (provider.h); NULL is the real Ed25519. A
	 * dht sets it from its env. */
	const struct dtt_crypto *crypto;
};

/* A mutable put's arguments, all borrowed. v is the verbatim bencoded value. */
struct dtt_store_mutable {
	const uint8_t *k;   /* DTT_BEP44_K_BYTES */
	const uint8_t *sig; /* DTT_BEP44_SIG_BYTES */
	const uint8_t *salt;
	size_t salt_len; /* 0: no salt */
	int64_t seq;
	bool has_cas;
	int64_t cas;
	const uint8_t *v;
	size_t v_len;
};

/* A stored item as get returns it: views into the store (see the ownership note above). */
struct dtt_store_item {
	bool is_mutable;
	bool omit_v;	  /* the get's seq was >= the stored seq: answer seq only */
	const uint8_t *v; /* NULL when omit_v */
	size_t v_len;
	const uint8_t *k;   /* mutable and !omit_v, else NULL */
	const uint8_t *sig; /* mutable and !omit_v, else NULL */
	int64_t seq;	    /* mutable only */
	uint64_t expires_ms;
};

/* Why a put was refused, one counter each. */
enum dtt_store_reject {
	DTT_STORE_REJECT_TOKEN = 0,	      /* 203 */
	DTT_STORE_REJECT_TARGET_MISMATCH = 1, /* 203: token target is not the item's */
	DTT_STORE_REJECT_V_TOO_BIG = 2,	      /* 205 */
	DTT_STORE_REJECT_SALT_TOO_BIG = 3,    /* 207 */
	DTT_STORE_REJECT_BAD_SIG = 4,	      /* 206 */
	DTT_STORE_REJECT_NEGATIVE_SEQ = 5,    /* 203 */
	DTT_STORE_REJECT_CAS = 6,	      /* 301 */
	DTT_STORE_REJECT_SEQ_LESS = 7,	      /* 302 */
	DTT_STORE_REJECT_KIND = 8,	      /* 203: mutable vs immutable under one target */
	DTT_STORE_REJECT_FULL = 9,	      /* DTT_ERR_FULL (REFUSE policy) */
	DTT_STORE_REJECT_NOMEM = 10,	      /* DTT_ERR_NOMEM */
	DTT_STORE_REJECT__COUNT = 11,
};

struct dtt_store_stats {
	uint64_t stored;    /* new targets */
	uint64_t updated;   /* higher seq, or equal seq and another v under LAST_WRITER_WINS */
	uint64_t refreshed; /* same item again: expiry extended */
	uint64_t kept;	    /* equal seq, another v, FIRST_WRITER_WINS: answered OK, not stored */
	uint64_t evicted;   /* removed to make room */
	uint64_t expired;
	uint64_t rejected[DTT_STORE_REJECT__COUNT];
	uint64_t rate_limited;	    /* requests refused by dtt_store_rate_allow */
	uint64_t sources_forgotten; /* rate-limit entries evicted from a full table */
};

struct store_item;   /* private to store.c */
struct store_source; /* private to store.c */

struct dtt_store {
	struct dtt_store_config cfg;
	struct store_item **items; /* sorted by target; grown on demand up to items_max */
	size_t items_count;
	size_t items_cap;
	struct store_source *sources; /* grown on demand up to sources_max */
	size_t sources_count;
	size_t sources_cap;
	struct dtt_store_stats stats;
};

/* Fills cfg with the defaults above (2 h, 700 items, LAST_WRITER_WINS, EVICT_SOONEST,
 * 256 sources, 5/s with bursts of 20, loopback exempt). */
void dtt_store_config_init(struct dtt_store_config *cfg);

/* cfg NULL means defaults; it is copied. Allocates nothing until the first put.
 * Returns 0 or DTT_ERR_INVALID (a config out of range). */
int dtt_store_init(struct dtt_store *s, const struct dtt_store_config *cfg);
/* Frees every item. Safe on a zeroed or already deinitialised store. */
void dtt_store_deinit(struct dtt_store *s);

/* Token bucket of from's IP at now_ms: true (and one token spent) if this request may be
 * served, false if it must be dropped. Always true when rate limiting is off or from is an
 * exempt loopback address. */
bool dtt_store_rate_allow(struct dtt_store *s, const struct dtt_addr *from, uint64_t now_ms);

/* Immutable put: token_ok is the caller's token verdict for target, v the verbatim bencoded
 * value. Returns 0 when accepted (stored or refreshed; answer r = {id}), a positive KRPC
 * error code to answer with (203, 205), or a negative DTT_ERR_NOMEM / DTT_ERR_FULL (the
 * store is unchanged; answer 202 or nothing) / DTT_ERR_INVALID (NULL arguments). */
int dtt_store_put_immutable(struct dtt_store *s, bool token_ok,
			    const uint8_t target[static DTT_BEP44_TARGET_BYTES], const uint8_t *v,
			    size_t v_len, uint64_t now_ms);

/* Mutable put, validated in the order above. Returns as dtt_store_put_immutable, with the
 * KRPC codes 203, 205, 206, 207, 301 and 302. */
int dtt_store_put_mutable(struct dtt_store *s, bool token_ok,
			  const uint8_t target[static DTT_BEP44_TARGET_BYTES],
			  const struct dtt_store_mutable *m, uint64_t now_ms);

/* The item under target at now_ms. has_seq/seq are the get's optional `seq`: when the item
 * is mutable and its seq <= seq, out->omit_v is set and only out->seq is meaningful.
 * Returns 0 or DTT_ERR_NOTFOUND (also for an item past its expiry). */
int dtt_store_get(const struct dtt_store *s, const uint8_t target[static DTT_BEP44_TARGET_BYTES],
		  bool has_seq, int64_t seq, uint64_t now_ms, struct dtt_store_item *out);

/* Removes every item whose expiry is <= now_ms. Returns how many. */
size_t dtt_store_expire(struct dtt_store *s, uint64_t now_ms);
/* The earliest expiry of a stored item, UINT64_MAX when empty. */
uint64_t dtt_store_next_expiry_ms(const struct dtt_store *s);
size_t dtt_store_count(const struct dtt_store *s);

#endif
