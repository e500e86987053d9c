/* hyparview.h - HyParView membership for one topic (Leitao, Pereira, Rodrigues 2007, as
 * iroh-gossip implements it: spec/GOSSIP.md §4, with the UDP changes of §8).
 *
 * A sans-IO state machine: messages and link events come in through dtt_hpv_on_*, messages go
 * out and neighbour events are reported through a small ops table, and time is the borrowed
 * struct dtt_timers (the owner runs them). Every random choice draws from the env.
 *
 * Views: the active view (at most active_max neighbours, each a two-way link) and the passive
 * view (at most passive_max known peers, with the address an introduction gave). Containers are
 * arrays with swap-remove, so a run is a function of the env's random stream.
 *
 * Changes from the reference (spec/GOSSIP.md §4.1 quirk, §4.3, §8):
 *   - every Neighbor we send (request or reply) and every Join is pending with a timer
 *     (neighbor_timeout_ms, join_timeout_ms); an entry is cleared when the peer becomes
 *     active, and a pending entry for an active peer never counts against refill;
 *   - over lossy UDP an unanswered request is sent again at each timeout, request_attempts
 *     copies in all, before the peer is given up; a repeated request from a peer we already
 *     admitted is answered again while our answer is still pending (never otherwise, so two
 *     peers cannot answer each other forever), and a repeated Join is not forwarded again;
 *   - a periodic refill every refill_interval_ms while the active view has room;
 *   - NeighborDown carries a reason (enum dtt_gossip_down);
 *   - a Shuffle answered at the end of its walk is sampled before the received entries are
 *     taken in, so the reply never echoes them back (as in the paper);
 *   - a peer that leaves (Disconnect alive=false) is also dropped from the passive view.
 *
 * Timers (embedded; none allocates):
 *   shuffle_timer - every shuffle_interval_ms -> shuffle_expired (a Shuffle to one neighbour);
 *   pending_timer - earliest pending deadline -> pending_expired (an unanswered request drops
 *                   the peer from the passive view and refills);
 *   refill_timer  - every refill_interval_ms while the active view has room -> refill_expired.
 */
#ifndef DTT_GOSSIP_HYPARVIEW_H
#define DTT_GOSSIP_HYPARVIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "msg.h"
#include "timer.h"

#define DTT_HPV_ACTIVE_MAX	    5
#define DTT_HPV_PASSIVE_MAX	    30
#define DTT_HPV_ARWL		    6
#define DTT_HPV_PRWL		    3
#define DTT_HPV_SHUFFLE_TTL	    6
#define DTT_HPV_SHUFFLE_ACTIVE	    3
#define DTT_HPV_SHUFFLE_PASSIVE	    4
#define DTT_HPV_SHUFFLE_INTERVAL_MS 60000
#define DTT_HPV_NEIGHBOR_TIMEOUT_MS 500
#define DTT_HPV_JOIN_TIMEOUT_MS	    500
#define DTT_HPV_REFILL_INTERVAL_MS  5000
#define DTT_HPV_PENDING_MAX	    16
#define DTT_HPV_REQUEST_ATTEMPTS    4
#define DTT_HPV_ACTIVE_LIMIT	    64	/* config bound of active_max */
#define DTT_HPV_PASSIVE_LIMIT	    256 /* config bound of passive_max */

struct dtt_hpv_config {
	uint16_t active_max;	      /* active view capacity, 1..DTT_HPV_ACTIVE_LIMIT */
	uint16_t passive_max;	      /* passive view capacity, 0..DTT_HPV_PASSIVE_LIMIT */
	uint16_t arwl;		      /* active random walk length: ForwardJoin ttl */
	uint16_t prwl;		      /* the walk inserts the joiner passively at this ttl */
	uint16_t shuffle_ttl;	      /* Shuffle random walk length */
	uint16_t shuffle_active;      /* active entries in a Shuffle (ka) */
	uint16_t shuffle_passive;     /* passive entries in a Shuffle (kp); ka + kp + 1 <= 16 */
	uint32_t shuffle_interval_ms; /* > 0 */
	uint32_t neighbor_timeout_ms; /* an unanswered Neighbor, > 0 */
	uint32_t join_timeout_ms;     /* an unanswered Join, > 0 */
	uint32_t refill_interval_ms;  /* periodic refill; 0 = only on removals (the reference) */
	uint16_t pending_max;	      /* outstanding Neighbor/Join requests, >= 1 */
	uint8_t request_attempts;     /* copies of an unanswered Neighbor/Join request, one per
				       * timeout, before the peer is given up, >= 1 (1: the
				       * reference) */
};

void dtt_hpv_config_init(struct dtt_hpv_config *cfg);
/* 0 or DTT_ERR_INVALID. */
int dtt_hpv_config_check(const struct dtt_hpv_config *cfg);

/* Why a neighbour left the active view. */
enum dtt_gossip_down {
	DTT_GOSSIP_DOWN_EVICTED = 1,	 /* we evicted it for a High-priority peer, or it evicted
					  * or refused us (Disconnect alive=true) */
	DTT_GOSSIP_DOWN_LEFT = 2,	 /* it left the topic (Disconnect alive=false) */
	DTT_GOSSIP_DOWN_TIMED_OUT = 3,	 /* the link's liveness timeout */
	DTT_GOSSIP_DOWN_LINK_FAILED = 4, /* the link failed or was closed under us */
};
const char *dtt_gossip_down_name(int reason);

struct dtt_hpv_ops {
	/* Sends a HyParView message to peer (m is borrowed for the call). 0, or an error when the
	 * message cannot even be queued (e.g. DTT_ERR_NOTFOUND: no address for a new peer). */
	int (*send)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
		    const struct dtt_gossip_msg *m);
	/* This topic needs no session with peer any more (it is neither active nor pending). */
	void (*disconnect)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
	void (*neighbor_up)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
	/* reason: enum dtt_gossip_down. */
	void (*neighbor_down)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES], int reason);
	/* The transport's address book: where to reach a peer we only heard of, and where a
	 * peer we talk to is (for introductions). get_addr may be NULL. */
	void (*set_addr)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			 const struct dtt_addr *addr);
	bool (*get_addr)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			 struct dtt_addr *out);
};

struct dtt_hpv_stats {
	uint64_t joins_sent, joins_received, forward_joins_received;
	uint64_t neighbors_sent, neighbors_received;
	uint64_t rejected; /* Low-priority requests we refused on a full view */
	uint64_t evicted;  /* neighbours we evicted for a High-priority peer */
	uint64_t shuffles_sent, shuffles_received, shuffle_replies_received;
	uint64_t disconnects_received;
	uint64_t pending_timeouts; /* requests unanswered in time */
	uint64_t requests_repeated; /* Neighbor/Join requests sent again after a timeout */
	uint64_t pending_full;	   /* requests not sent: pending_max outstanding */
	uint64_t send_failed;	   /* ops->send refused a message */
	uint64_t passive_evicted;  /* random passive entries dropped for newer ones */
};

struct dtt_hpv_pending {
	uint8_t id[DTT_GOSSIP_PEER_BYTES];
	uint64_t deadline_ms;
	uint8_t type;	  /* DTT_GOSSIP_MSG_NEIGHBOR or _JOIN: what a retry sends again */
	uint8_t priority; /* of a Neighbor */
	uint8_t sent;	  /* copies sent so far */
};

struct dtt_hpv {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	const struct dtt_hpv_config *cfg; /* borrowed */
	const struct dtt_hpv_ops *ops;
	void *ctx;
	struct dtt_hpv_stats *stats; /* borrowed, may be shared by several instances */
	uint8_t self[DTT_GOSSIP_PEER_BYTES];

	struct dtt_gossip_peer *active; /* has_addr unused: the transport knows the address */
	uint16_t active_count;
	struct dtt_gossip_peer *passive;
	uint16_t passive_count;
	struct dtt_hpv_pending *pending;
	uint16_t pending_count;

	struct dtt_timer shuffle_timer, pending_timer, refill_timer;
	bool left;
};

/* Initialises h for one topic; arms the shuffle and refill timers. env, timers, cfg, ops and
 * stats are borrowed and must outlive h. 0, DTT_ERR_INVALID (config), DTT_ERR_NOMEM. */
int dtt_hpv_init(struct dtt_hpv *h, const struct dtt_env *env, struct dtt_timers *timers,
		 const struct dtt_hpv_config *cfg, const uint8_t self[DTT_GOSSIP_PEER_BYTES],
		 const struct dtt_hpv_ops *ops, void *ctx, struct dtt_hpv_stats *stats);
/* Disarms the timers and frees the views; sends nothing and reports nothing. */
void dtt_hpv_deinit(struct dtt_hpv *h);

/* Asks peer to admit us (a Join). Idempotent: nothing is sent when peer is already active or
 * a request to it is pending. 0, DTT_ERR_INVALID (ourselves), DTT_ERR_FULL (pending_max
 * outstanding), DTT_ERR_STATE (after leave) or the error of ops->send. */
int dtt_hpv_join(struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);

/* A HyParView message from an authenticated peer (m borrowed). Other types are ignored. */
void dtt_hpv_on_message(struct dtt_hpv *h, const uint8_t from[DTT_GOSSIP_PEER_BYTES],
			const struct dtt_gossip_msg *m);
/* The link to peer went down; link_reason is enum dtt_link_down. */
void dtt_hpv_on_peer_down(struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			  int link_reason);
/* Leaves the topic: every neighbour gets a ShuffleReply and Disconnect(alive=false) and then
 * ops->disconnect; no neighbour events are reported; the timers stop. */
void dtt_hpv_leave(struct dtt_hpv *h);

bool dtt_hpv_is_active(const struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
bool dtt_hpv_is_passive(const struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
bool dtt_hpv_is_pending(const struct dtt_hpv *h, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);

#endif
