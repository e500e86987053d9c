/* rt.h - the BEP 5 routing table: K-buckets over the 160-bit XOR metric, node states,
 * per-bucket replacement caches and refresh times (spec/DHT.md §3).
 *
 * Shape: buckets are indexed by the length of the prefix an id shares with our own id.
 * Bucket i < n-1 holds the ids that share exactly i leading bits with ours; the last bucket
 * (n-1) holds every id sharing at least n-1 bits, so it is the only one that contains our own
 * id and the only one that splits. The table starts with one bucket covering the whole space
 * and allocates a bucket per split (lazily), at most buckets_max (<= 160).
 *
 * Node states at time now (BEP 5):
 *   bad          - failed fails_bad (default 3) of our queries in a row;
 *   good         - not bad, has answered one of our queries, no failure since, and was heard
 *                  from (a reply, or a query after having replied once) in the last
 *                  questionable_ms (default 15 min);
 *   questionable - everything else, including a contact that has never replied
 *                  ("unconfirmed": it only queried us, or was restored from disk).
 * A full bucket that cannot split takes a newcomer in place of a bad contact; otherwise the
 * newcomer waits in the bucket's small replacement cache, and the caller is asked to ping the
 * least recently seen questionable contact. When a contact turns bad, the best cache entry
 * (replied before, then most recently seen) takes its slot.
 *
 * Ping requests: on_heard and on_timeout may ask the caller to ping one contact (returning
 * true and filling *ping). The table marks it "ping pending" and asks again only after the
 * caller reported the outcome: on_heard(responded = true) for the reply, on_timeout for a
 * timeout or a failed send. Every requested ping must be reported exactly once.
 *
 * What the caller does (not the table):
 *   - never call on_heard for a query that carried ro=1 (BEP 43 read-only nodes must not be
 *     inserted; they never answer, so they never reach on_heard through a response);
 *   - report nodes learned from `nodes`/`nodes6` lists only once they answer a query: those
 *     lists are hearsay, and a lookup queries them anyway;
 *   - keep one table per address family if it wants BEP 32's separate IPv4/IPv6 tables (a
 *     table accepts either, one address per contact);
 *   - enforce BEP 42 id rules before insertion, if it wants them.
 *
 * Timers: none of its own. dtt_rt_next_refresh_ms says when a bucket goes 15 min without a
 * change; dtt_rt_bucket_refresh_due hands out the due buckets. All times are now_ms values
 * the caller passes (monotonic ms); nothing here reads a clock. Single-threaded.
 * Memory: a contact is 64 bytes; a bucket holds k + replacements_max of them.
 * Nothing depends on pointer values: ids are unique in a table, so XOR distances to a target
 * never tie, and every scan runs in bucket/slot order.
 */
#ifndef DTT_DHT_RT_H
#define DTT_DHT_RT_H

#include "env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTT_RT_ID_BYTES		     20
#define DTT_RT_K_DEFAULT	     8
#define DTT_RT_K_MAX		     64
#define DTT_RT_BUCKETS_MAX	     160
#define DTT_RT_REPLACEMENTS_DEFAULT  3
#define DTT_RT_REPLACEMENTS_MAX	     16
#define DTT_RT_FAILS_BAD_DEFAULT     3
#define DTT_RT_CONTACTS_MAX_DEFAULT  (DTT_RT_K_DEFAULT * DTT_RT_BUCKETS_MAX)
#define DTT_DHT_NODE_QUESTIONABLE_MS (15 * 60 * 1000)
#define DTT_DHT_BUCKET_REFRESH_MS    (15 * 60 * 1000)

struct dtt_rt_config {
	uint8_t k;		  /* contacts per bucket, 1..DTT_RT_K_MAX */
	uint8_t replacements_max; /* replacement cache per bucket, 0..DTT_RT_REPLACEMENTS_MAX */
	uint8_t fails_bad;	  /* consecutive failed queries that make a contact bad, >= 1 */
	uint8_t buckets_max;	  /* 1..DTT_RT_BUCKETS_MAX */
	uint32_t contacts_max;	  /* bucket entries over the whole table (caches not counted) */
	uint64_t questionable_ms; /* silence after which a good contact is questionable */
	uint64_t refresh_ms;	  /* a bucket unchanged this long needs a refresh */
};

enum dtt_rt_state {
	DTT_RT_GOOD = 0,
	DTT_RT_QUESTIONABLE = 1,
	DTT_RT_BAD = 2,
};

/* A contact as handed to the caller. */
struct dtt_rt_node {
	uint8_t id[DTT_RT_ID_BYTES];
	struct dtt_addr addr;
};

/* Everything the table knows about one id (inspection and tests). */
struct dtt_rt_info {
	struct dtt_rt_node node;
	enum dtt_rt_state state;
	bool in_cache;	/* waiting in the replacement cache, not in the bucket */
	bool confirmed; /* has replied at least once */
	bool ping_pending;
	uint8_t fails;
	size_t bucket;
	uint64_t last_seen_ms;	/* last reply or query */
	uint64_t last_reply_ms; /* last reply (meaningful when confirmed) */
};

enum dtt_rt_drop {
	DTT_RT_DROP_OWN_ID = 0,	      /* someone claims our id */
	DTT_RT_DROP_ADDR_CHANGED = 1, /* known id at another address, old one kept */
	DTT_RT_DROP_BUCKET_FULL = 2,  /* full bucket, nothing bad, no room in the cache */
	DTT_RT_DROP_NOMEM = 3,	      /* a split could not allocate (then as for a full bucket) */
	DTT_RT_DROP__COUNT = 4,
};

struct dtt_rt_stats {
	uint64_t inserted;	/* new contacts placed in a bucket */
	uint64_t refreshed;	/* known contacts heard again */
	uint64_t replaced_bad;	/* newcomers that took a bad contact's slot */
	uint64_t promoted;	/* cache entries moved into a bucket */
	uint64_t cached;	/* newcomers put in a replacement cache */
	uint64_t cache_evicted; /* cache entries pushed out by a better newcomer */
	uint64_t splits;
	uint64_t pings_wanted;
	uint64_t dropped[DTT_RT_DROP__COUNT];
};

struct rt_bucket; /* private to rt.c */

struct dtt_rt {
	struct dtt_rt_config cfg;
	uint8_t own_id[DTT_RT_ID_BYTES];
	struct rt_bucket **buckets; /* buckets_count entries, grown by one per split */
	size_t buckets_count;
	size_t contacts_count; /* bucket entries, caches not counted */
	struct dtt_rt_stats stats;
};

/* Fills cfg with the defaults above (K = 8, 3 failures, 15 min, ...). */
void dtt_rt_config_init(struct dtt_rt_config *cfg);

/* Sets up an empty table (one bucket) for our own id (drawn by the caller from env
 * randomness, or derived per BEP 42). cfg NULL means defaults; it is copied.
 * Returns 0, DTT_ERR_INVALID for a config out of range, or DTT_ERR_NOMEM. */
int dtt_rt_init(struct dtt_rt *rt, const struct dtt_rt_config *cfg,
		const uint8_t own_id[static DTT_RT_ID_BYTES], uint64_t now_ms);
/* Frees every bucket. Safe on a zeroed or already deinitialised table. */
void dtt_rt_deinit(struct dtt_rt *rt);

/* We heard from (id, addr) at now_ms: responded = true for a reply to our query, false for a
 * query it sent us. Inserts or refreshes the contact (or caches it when its bucket is full).
 * A known id at a new address moves only on a reply and only if the old contact is not good.
 * Returns true and fills *ping when the caller should ping a contact: a newly inserted one
 * that has never replied, or the least recently seen questionable contact of the full bucket
 * the newcomer wants to enter. addr is copied. *ping is written last, so it may share
 * storage with id and addr. */
bool dtt_rt_on_heard(struct dtt_rt *rt, const uint8_t id[static DTT_RT_ID_BYTES],
		     const struct dtt_addr *addr, uint64_t now_ms, bool responded,
		     struct dtt_rt_node *ping);

/* Our query to (id, addr) timed out or could not be sent. Counts a failure (ignored when the
 * contact now has another address); a contact that turns bad is replaced by its bucket's best
 * cache entry, if any. Returns true and fills *ping if that promoted entry has never replied
 * (*ping is written last: it may be the node that timed out, as in a retry loop). */
bool dtt_rt_on_timeout(struct dtt_rt *rt, const uint8_t id[static DTT_RT_ID_BYTES],
		       const struct dtt_addr *addr, uint64_t now_ms, struct dtt_rt_node *ping);

/* Writes up to n contacts closest to target (XOR, big-endian), nearest first, into out:
 * only contacts in buckets (not caches) that have replied at least once and are not bad.
 * Returns the count written. Visits the buckets nearest first (each bucket is one interval
 * of distances from target) and stops at the first bucket boundary with n taken, so it
 * costs a few buckets, not the whole table. */
size_t dtt_rt_closest(const struct dtt_rt *rt, const uint8_t target[static DTT_RT_ID_BYTES],
		      struct dtt_rt_node *out, size_t n);

/* Contacts in buckets, any state. */
size_t dtt_rt_node_count(const struct dtt_rt *rt);
/* Contacts a lookup can start from: in buckets, replied at least once, not bad (the ones
 * dtt_rt_closest hands out). A table full of contacts that all failed (the network was down)
 * has a node count of K * buckets and none usable. */
size_t dtt_rt_usable_count(const struct dtt_rt *rt);
/* Writes up to max contacts that replied once and have turned bad since (in buckets, bucket
 * order), starting at the skip-th such contact and wrapping around: the ones to ask again
 * when nothing else is left (a node back from an outage). Returns the count written. */
size_t dtt_rt_failed(const struct dtt_rt *rt, size_t skip, struct dtt_rt_node *out, size_t max);
/* Contacts that are good at now_ms. */
size_t dtt_rt_good_count(const struct dtt_rt *rt, uint64_t now_ms);
size_t dtt_rt_bucket_count(const struct dtt_rt *rt);

/* Looks an id up in buckets and caches. Returns false if unknown. */
bool dtt_rt_get(const struct dtt_rt *rt, const uint8_t id[static DTT_RT_ID_BYTES], uint64_t now_ms,
		struct dtt_rt_info *out);

/* The earliest time at which some bucket has been unchanged for refresh_ms. */
uint64_t dtt_rt_next_refresh_ms(const struct dtt_rt *rt);

/* If some bucket has been unchanged for refresh_ms at now_ms, takes the lowest-index one,
 * writes a random id inside its range (drawn from env) to target, counts the bucket as
 * changed now (so it is not handed out again while the lookup runs) and returns true.
 * The caller starts a find_node lookup on target; call again until it returns false. */
bool dtt_rt_bucket_refresh_due(struct dtt_rt *rt, const struct dtt_env *env, uint64_t now_ms,
			       uint8_t target[static DTT_RT_ID_BYTES]);

/* Writes up to max confirmed, non-bad contacts in bucket order (to persist the table; restore
 * with on_heard(responded = false), which pings them again). Returns the count written. */
size_t dtt_rt_export(const struct dtt_rt *rt, struct dtt_rt_node *out, size_t max);

/* XOR distance of a and b compared to target: <0 if a is closer, >0 if b is, 0 if a == b. */
int dtt_rt_distance_cmp(const uint8_t target[static DTT_RT_ID_BYTES],
			const uint8_t a[static DTT_RT_ID_BYTES],
			const uint8_t b[static DTT_RT_ID_BYTES]);

#endif
