/* plumtree.h - PlumTree epidemic broadcast trees for one topic (Leitao, Pereira, Rodrigues
 * 2007, as iroh-gossip implements it: spec/GOSSIP.md §6).
 *
 * A sans-IO state machine over the active view HyParView maintains: neighbours come and go
 * through dtt_plumtree_neighbor_up/down, messages come in through dtt_plumtree_on_message,
 * messages go out and deliveries are reported through a small ops table, time is the borrowed
 * struct dtt_timers. Every neighbour starts eager; a duplicate payload prunes its sender to
 * lazy; lazy neighbours get batched IHave announcements, and a missing payload is grafted
 * from its announcers.
 *
 * Message id = SHA-512(content)[0..32] (dtt_hash32): content identity is message identity, so
 * the same bytes broadcast twice within id_retention_ms are delivered once. A payload whose id
 * is not the hash of its content is refused (DTT_ERR_AUTH) and counted.
 *
 * Changes from the reference:
 *   - no 1 s eviction tick: expired ids and payloads are dropped lazily, on the next access
 *     (spec/GOSSIP.md §8.8);
 *   - the optimisation compares the round a payload arrived with against the announced rounds
 *     (the reference compares the incremented round, one hop early, §6.5);
 *   - a broadcast to Neighbors scope goes to every neighbour, eager and lazy (§6.1 quirk);
 *   - a missing id whose announcers are used up is forgotten at its graft deadline;
 *   - over lossy UDP a Graft (or its answer) may be lost: after one Graft to each announcer
 *     (graft_timeout_2_ms apart, as the reference) come graft_rounds - 1 more rounds over the
 *     same announcers, graft_retry_ms apart, until the payload arrives;
 *   - the originator of a broadcast announces it (IHave) to its eager neighbours too, not only
 *     to the lazy ones: if every first copy is lost, that IHave is what gets it grafted;
 *   - every table is bounded (received_max, cache_max, missing_max; 8 announcers per id).
 *
 * Timers (embedded; none allocates):
 *   dispatch_timer - dispatch_timeout_ms after the first queued IHave -> dispatch_expired
 *                    (flushes every queue, at most DTT_GOSSIP_MSG_IHAVE_MAX ids per message);
 *   graft_timer    - earliest graft deadline of the missing ids -> graft_expired (Graft the
 *                    oldest announcer, then graft_timeout_2_ms to the next).
 */
#ifndef DTT_GOSSIP_PLUMTREE_H
#define DTT_GOSSIP_PLUMTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "msg.h"
#include "timer.h"

#define DTT_PLUMTREE_GRAFT_TIMEOUT_1_MS	    80
#define DTT_PLUMTREE_GRAFT_TIMEOUT_2_MS	    40
#define DTT_PLUMTREE_DISPATCH_TIMEOUT_MS    5
#define DTT_PLUMTREE_OPTIMIZATION_THRESHOLD 7
#define DTT_PLUMTREE_CACHE_RETENTION_MS	    30000
#define DTT_PLUMTREE_ID_RETENTION_MS	    90000
#define DTT_PLUMTREE_MESSAGE_SIZE_MAX	    4096
#define DTT_PLUMTREE_MESSAGE_SIZE_MIN	    512 /* the reference's lower bound */
#define DTT_PLUMTREE_RECEIVED_MAX	    4096
#define DTT_PLUMTREE_CACHE_MAX		    256
#define DTT_PLUMTREE_MISSING_MAX	    256
#define DTT_PLUMTREE_ANNOUNCERS_MAX	    8 /* IHave senders remembered per missing id */
#define DTT_PLUMTREE_GRAFT_ROUNDS	    6
#define DTT_PLUMTREE_GRAFT_RETRY_MS	    500
#define DTT_PLUMTREE_LOSSY_PM		    50 /* 5% */
#define DTT_PLUMTREE_IHAVE_COPIES	    2

struct dtt_plumtree_config {
	uint32_t graft_timeout_1_ms;	 /* IHave -> Graft, > 0 */
	uint32_t graft_timeout_2_ms;	 /* Graft -> Graft to the next announcer, > 0 */
	uint32_t dispatch_timeout_ms;	 /* IHave batching delay */
	uint16_t optimization_threshold; /* hop difference that re-roots a tree branch */
	uint32_t cache_retention_ms;	 /* payloads kept to answer Grafts */
	uint32_t id_retention_ms;	 /* ids remembered against duplicates, >= cache */
	uint32_t max_message_size;	 /* largest content, 512..DTT_GOSSIP_MSG_CONTENT_MAX */
	uint32_t received_max;		 /* ids remembered; the oldest goes first, >= 1 */
	uint32_t cache_max;		 /* payloads kept; the oldest goes first */
	uint32_t missing_max;		 /* announced ids not yet received, >= 1 */
	uint8_t graft_rounds;		 /* Grafts per announcer of a missing id, >= 1 (1: the
					  * reference) */
	uint32_t graft_retry_ms;	 /* between Grafts after the first round, > 0 */
	uint16_t lossy_pm;		 /* a neighbour whose link loses this many datagrams per
					  * mille or more (the transport's estimate) is lossy:
					  * it gets an IHave even when eager, and ihave_copies
					  * datagrams of each batch; 0..1000, 0: none is (the
					  * reference) */
	uint8_t ihave_copies;		 /* datagrams per IHave batch to a lossy neighbour, 1..4
					  * (an id whose every announcement was lost cannot be
					  * grafted) */
};

void dtt_plumtree_config_init(struct dtt_plumtree_config *cfg);
/* 0 or DTT_ERR_INVALID. */
int dtt_plumtree_config_check(const struct dtt_plumtree_config *cfg);

struct dtt_plumtree_ops {
	/* Sends m to peer (m borrowed for the call). A GOSSIP message carries the whole content
	 * (offset 0, chunk_len = total_len, up to max_message_size): the caller fragments it. */
	int (*send)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
		    const struct dtt_gossip_msg *m);
	/* A payload to hand to the application: new (Swarm scope) or any (Neighbors scope).
	 * from is the neighbour it came from, round the round it carried (0: from the origin).
	 * Pointers are valid for the call only. */
	void (*deliver)(void *ctx, const uint8_t from[DTT_GOSSIP_PEER_BYTES],
			const uint8_t id[DTT_GOSSIP_MSGID_BYTES], const uint8_t *content,
			size_t len, int scope, uint16_t round);
	/* May be NULL. The share of datagrams lost between us and peer, per mille, or -1 when
	 * not known. */
	int (*loss_pm)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
};

struct dtt_plumtree_stats {
	uint64_t broadcasts;	  /* our own, both scopes */
	uint64_t gossip_sent;	  /* payload messages (whole contents) sent */
	uint64_t gossip_received; /* payload messages received, duplicates included */
	uint64_t delivered;	  /* handed to the application */
	uint64_t duplicates;	  /* Swarm payloads already received */
	uint64_t bad_id;	  /* payloads whose id is not the hash of their content */
	uint64_t ihave_sent;	  /* IHave messages */
	uint64_t ihave_entries_sent;
	uint64_t ihave_received; /* IHave messages */
	uint64_t graft_sent, graft_received;
	uint64_t graft_missed; /* Grafts for a payload no longer cached */
	uint64_t prune_sent, prune_received;
	uint64_t optimizations;	   /* tree branches re-rooted */
	uint64_t missing_full;	   /* announcements dropped: missing_max ids outstanding */
	uint64_t received_evicted; /* ids forgotten early: received_max */
	uint64_t cache_evicted;	   /* payloads dropped early: cache_max */
	uint64_t graft_exhausted;  /* missing ids given up: every announcer grafted */
	uint16_t max_round;	   /* largest round received */
};

struct dtt_plumtree_peer;
struct dtt_plumtree_seen;
struct dtt_plumtree_cached;
struct dtt_plumtree_missing;

struct dtt_plumtree {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	const struct dtt_plumtree_config *cfg; /* borrowed */
	const struct dtt_plumtree_ops *ops;
	void *ctx;
	struct dtt_plumtree_stats *stats; /* borrowed, may be shared */

	struct dtt_plumtree_peer *peers; /* sorted by id: eager push goes out in that order */
	uint16_t peer_count, peers_max;

	struct dtt_plumtree_seen *seen; /* ring, oldest first */
	uint32_t seen_head, seen_count, seen_cap;
	struct dtt_plumtree_cached *cache; /* ring, oldest first */
	uint32_t cache_head, cache_count, cache_cap;
	struct dtt_plumtree_missing *missing;
	uint32_t missing_count, missing_cap;

	struct dtt_timer dispatch_timer, graft_timer;
};

/* peers_max: the most neighbours at once (HyParView's active_max). env, timers, cfg, ops and
 * stats are borrowed. 0, DTT_ERR_INVALID, DTT_ERR_NOMEM. */
int dtt_plumtree_init(struct dtt_plumtree *pt, const struct dtt_env *env, struct dtt_timers *timers,
		      const struct dtt_plumtree_config *cfg, uint16_t peers_max,
		      const struct dtt_plumtree_ops *ops, void *ctx,
		      struct dtt_plumtree_stats *stats);
/* Disarms the timers and frees everything; sends nothing. */
void dtt_plumtree_deinit(struct dtt_plumtree *pt);

/* Membership from HyParView: a new neighbour is eager; a gone one is forgotten with its
 * queued IHaves and its announcements. */
void dtt_plumtree_neighbor_up(struct dtt_plumtree *pt, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
void dtt_plumtree_neighbor_down(struct dtt_plumtree *pt, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
bool dtt_plumtree_is_neighbor(const struct dtt_plumtree *pt,
			      const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
/* 1 eager, 0 lazy, -1 not a neighbour. */
int dtt_plumtree_is_eager(const struct dtt_plumtree *pt, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);

/* Broadcasts content (borrowed; a Swarm payload is copied into the cache). scope is enum
 * dtt_gossip_scope. id_out (may be NULL) gets the message id. 0 or DTT_ERR_TOOBIG (over
 * max_message_size), DTT_ERR_INVALID, DTT_ERR_NOMEM (the payload could not be cached: it is
 * still sent, only Grafts for it go unanswered). */
int dtt_plumtree_broadcast(struct dtt_plumtree *pt, const uint8_t *content, size_t len, int scope,
			   uint8_t id_out[DTT_GOSSIP_MSGID_BYTES]);

/* A PlumTree message from peer (m borrowed; a GOSSIP must be whole: offset 0, chunk_len =
 * total_len). Returns 0, DTT_ERR_AUTH (a payload whose id is not its hash: dropped),
 * DTT_ERR_TOOBIG (content over max_message_size: dropped), DTT_ERR_STATE (an IHave, Graft or
 * Prune from a peer that is not a neighbour: dropped) or DTT_ERR_INVALID (not a PlumTree
 * message, or a fragment). A payload from a non-neighbour is still delivered and forwarded
 * (it is authentic), but changes no tree link. */
int dtt_plumtree_on_message(struct dtt_plumtree *pt, const uint8_t from[DTT_GOSSIP_PEER_BYTES],
			    const struct dtt_gossip_msg *m);

/* Whether id was received (or broadcast) within the retention window. */
bool dtt_plumtree_has_seen(struct dtt_plumtree *pt, const uint8_t id[DTT_GOSSIP_MSGID_BYTES]);

#endif
