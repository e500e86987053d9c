/* gossip.h - the gossip layer of one node: a HyParView + PlumTree swarm per topic
 * (spec/GOSSIP.md) over authenticated links (link.h), and the API the topic tracker uses
 * (spec/GOSSIP.md §9, spec/PROTOCOL.md §7.7).
 *
 * One struct dtt_gossip serves every topic of a node. A topic exists from the first
 * dtt_gossip_join (Join with no peers means "be a member and accept joins") until
 * dtt_gossip_leave; messages for other topics are dropped and counted. Topics are independent
 * swarms (views, trees, caches, timers); they share the links, and a link is closed only when no
 * topic needs it any more.
 *
 * The transport below is an ops table: dtt_gossip_new_links wires it to a struct dtt_links it
 * creates and owns (the deployment and the simulator); dtt_gossip_new takes any transport
 * (tests, or a simulator that models links itself) that then calls dtt_gossip_on_message /
 * _on_peer_up / _on_peer_down.
 *
 * Contents up to max_message_size (4096 by default) are broadcast; a content over 1024 bytes
 * (DTT_GOSSIP_MSG_FRAG_BYTES) travels as several link messages and is reassembled (reasm_max
 * partial messages per node, reasm_peer_max per peer, each dropped after reasm_timeout_ms).
 * The message id is SHA-512(content)[0..32] (dtt_hash32): the same bytes within
 * id_retention_ms are one message.
 *
 * Events go to one callback, in the order they happened, after the state change that caused
 * them and never in the middle of it: a callback may call any function of this header except
 * dtt_gossip_free (leaving a topic from its own callback is fine). Pointers in an event are
 * valid during the callback only.
 *
 * Timers (on the borrowed struct dtt_timers): each topic's HyParView and PlumTree timers
 * (hyparview.h, plumtree.h), the reassembly timeout (earliest partial message), and a reaper
 * that frees topics left from inside a callback. Single-threaded, like the whole core.
 */
#ifndef DTT_GOSSIP_GOSSIP_H
#define DTT_GOSSIP_GOSSIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "hyparview.h"
#include "link.h"
#include "msg.h"
#include "plumtree.h"
#include "timer.h"

#define DTT_GOSSIP_TOPICS_MAX	    16
#define DTT_GOSSIP_REASM_MAX	    16	 /* partial messages being reassembled, per node */
#define DTT_GOSSIP_REASM_PEER_MAX   4	 /* of which from one peer */
#define DTT_GOSSIP_REASM_TIMEOUT_MS 2000 /* a partial message is dropped after this */
#define DTT_GOSSIP_RECENT_MAX	    5	 /* received message hashes kept per topic */
#define DTT_GOSSIP_DOWNS_MAX	    16	 /* link downs queued while the node is busy */

struct dtt_gossip_config {
	struct dtt_hpv_config hpv;	     /* membership (hyparview.h) */
	struct dtt_plumtree_config plumtree; /* broadcast (plumtree.h) */
	uint16_t topics_max;		     /* topics joined at once, >= 1 */
	uint16_t reasm_max;		     /* partial messages per node */
	uint16_t reasm_peer_max;	     /* partial messages per peer, <= reasm_max */
	uint32_t reasm_timeout_ms;	     /* > 0 */
};

/* The reference's values (spec/GOSSIP.md §0) plus the UDP additions (refill every 5 s, a
 * Join timeout of 500 ms, reassembly bounds). */
void dtt_gossip_config_init(struct dtt_gossip_config *cfg);
/* 0 or DTT_ERR_INVALID. */
int dtt_gossip_config_check(const struct dtt_gossip_config *cfg);

enum dtt_gossip_event_type {
	DTT_GOSSIP_EV_JOINED = 1,	 /* the topic's active view became non-empty (reported
					  * after the NEIGHBOR_UP that did it, and again after
					  * every time it had emptied) */
	DTT_GOSSIP_EV_NEIGHBOR_UP = 2,	 /* peer entered the active view */
	DTT_GOSSIP_EV_NEIGHBOR_DOWN = 3, /* peer left it; reason: enum dtt_gossip_down */
	DTT_GOSSIP_EV_RECEIVED = 4,	 /* a message; never our own broadcast */
};

struct dtt_gossip_event {
	int type;	      /* enum dtt_gossip_event_type */
	const uint8_t *topic; /* DTT_GOSSIP_TOPIC_BYTES */
	const uint8_t *peer;  /* the neighbour; for RECEIVED the one it came from */
	int reason;	      /* NEIGHBOR_DOWN: enum dtt_gossip_down */
	/* RECEIVED: */
	const uint8_t *id; /* DTT_GOSSIP_MSGID_BYTES: SHA-512(content)[0..32] */
	const uint8_t *content;
	size_t len;
	int scope;	/* enum dtt_gossip_scope */
	uint16_t round; /* hops before the neighbour: 0 = from the origin itself */
};
typedef void (*dtt_gossip_event_cb)(void *ctx, const struct dtt_gossip_event *ev);

/* What the gossip layer needs from the links below it (ctx is the transport's). */
struct dtt_gossip_transport {
	/* One message (<= DTT_LINK_PAYLOAD_MAX) to peer: 0 or an error (the message is lost). */
	int (*send)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES], const uint8_t *msg,
		    size_t len);
	/* No topic needs the session with peer any more. May report on_peer_down(CLOSED) for
	 * peer from inside the call; that report is ignored. */
	void (*close)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
	/* Liveness checks on (peer is a neighbour in some topic) or off. */
	void (*watch)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES], bool watch);
	/* The address book: 0 or an error. */
	int (*set_addr)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			const struct dtt_addr *addr);
	int (*get_addr)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES], struct dtt_addr *out);
	/* May be NULL. The share of datagrams lost between us and peer, per mille, or -1 when
	 * not known (dtt_links_loss_pm). */
	int (*loss_pm)(void *ctx, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
};

/* The transport over a struct dtt_links (ctx: the struct dtt_links *). */
extern const struct dtt_gossip_transport dtt_gossip_links_transport;

/* Why an inbound message was dropped: the codec's reasons (enum dtt_gossip_msg_drop, same
 * values; DTT_GOSSIP_MSG_DROP_NONE unused) followed by the node's own. Index of
 * dtt_gossip_stats.dropped. */
enum dtt_gossip_drop {
	DTT_GOSSIP_DROP_TOPIC = DTT_GOSSIP_MSG_DROP__COUNT, /* a topic we have not joined */
	DTT_GOSSIP_DROP_BAD_ID,	       /* payload whose id is not SHA-512(content)[0..32] */
	DTT_GOSSIP_DROP_TOOBIG,	       /* content over max_message_size */
	DTT_GOSSIP_DROP_FRAGMENT,      /* a fragment misaligned or inconsistent with the others */
	DTT_GOSSIP_DROP_REASM_FULL,    /* no reassembly slot free (node or peer bound) */
	DTT_GOSSIP_DROP_REASM_TIMEOUT, /* a partial message expired (one count per message) */
	DTT_GOSSIP_DROP_NOT_NEIGHBOR,  /* IHave, Graft or Prune from outside the active view */
	DTT_GOSSIP_DROP_SELF,	       /* a message from our own id */
	DTT_GOSSIP_DROP__COUNT,
};
const char *dtt_gossip_drop_name(int reason);

struct dtt_gossip_stats {
	uint64_t messages_in, bytes_in;	  /* link messages given to on_message */
	uint64_t messages_out, bytes_out; /* link messages handed to the transport */
	uint64_t control_in, control_out; /* every type but GOSSIP (HyParView, IHave, ...) */
	uint64_t data_in, data_out;	  /* GOSSIP messages, one per fragment */
	uint64_t send_failed;		  /* the transport refused a message */
	uint64_t reassembled;		  /* contents rebuilt from several fragments */
	uint64_t disconnect_hints;	  /* Disconnects told to a peer that sent PlumTree
					   * traffic without being our neighbour */
	uint64_t links_up, links_down;	  /* transport reports */
	uint64_t downs_dropped;		  /* link downs lost: DTT_GOSSIP_DOWNS_MAX queued */
	uint64_t events, events_dropped;  /* callbacks made; events lost to a full queue */
	uint64_t dropped[DTT_GOSSIP_DROP__COUNT];
	struct dtt_hpv_stats hpv;	    /* summed over every topic, also the left ones */
	struct dtt_plumtree_stats plumtree; /* idem */
};

struct dtt_gossip;

/* A node with our id `self` over any transport (tr borrowed; tr_ctx its context). env, timers
 * and cfg (NULL: defaults; copied) are borrowed. cb (may be NULL) gets every event. NULL on a
 * bad config or no memory. */
struct dtt_gossip *dtt_gossip_new(const struct dtt_env *env, struct dtt_timers *timers,
				  const uint8_t self[DTT_GOSSIP_PEER_BYTES],
				  const struct dtt_gossip_config *cfg,
				  const struct dtt_gossip_transport *tr, void *tr_ctx,
				  dtt_gossip_event_cb cb, void *cb_ctx);
/* A node over its own struct dtt_links (created here from identity_sk, seed || pk, and
 * links_cfg, NULL: defaults); our id is the public key. Datagrams go in through
 * dtt_gossip_on_datagram. NULL on a bad config or no memory. */
struct dtt_gossip *dtt_gossip_new_links(const struct dtt_env *env, struct dtt_timers *timers,
					const uint8_t identity_sk[64],
					const struct dtt_links_config *links_cfg,
					const struct dtt_gossip_config *cfg, dtt_gossip_event_cb cb,
					void *cb_ctx);
/* Frees every topic (sending nothing: use dtt_gossip_leave first for a clean goodbye) and the
 * links it owns. No callback fires. NULL is a no-op. Never from a callback. */
void dtt_gossip_free(struct dtt_gossip *g);

const uint8_t *dtt_gossip_id(const struct dtt_gossip *g);
/* The links of a node made by dtt_gossip_new_links, else NULL. */
struct dtt_links *dtt_gossip_links(struct dtt_gossip *g);
/* A gossip datagram for the owned links (dtt_links_is_frame); no-op without them. */
void dtt_gossip_on_datagram(struct dtt_gossip *g, const struct dtt_addr *from, const uint8_t *buf,
			    size_t len);

/* From the transport: an authenticated message (borrowed), a session up, a link down
 * (reason: enum dtt_link_down). Never fail: bad input is dropped and counted. */
void dtt_gossip_on_message(struct dtt_gossip *g, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			   const uint8_t *msg, size_t len);
void dtt_gossip_on_peer_up(struct dtt_gossip *g, const uint8_t peer[DTT_GOSSIP_PEER_BYTES]);
void dtt_gossip_on_peer_down(struct dtt_gossip *g, const uint8_t peer[DTT_GOSSIP_PEER_BYTES],
			     int reason);

/* Becomes a member of topic (creating its swarm on first use) and asks each of the n peers
 * (borrowed; an address, when given, goes to the transport's address book first) to admit us.
 * Idempotent per peer: a peer that is already a neighbour, or has a request pending, gets
 * nothing, so re-joining never evicts anyone; our own id is skipped. n = 0 only creates the
 * topic. Returns 0, DTT_ERR_FULL (topics_max topics, or pending_max requests out),
 * DTT_ERR_NOMEM, DTT_ERR_INVALID; or, when the topic exists but a peer could not be asked,
 * the last such error (e.g. DTT_ERR_NOTFOUND: no address for it) after asking the others. */
int dtt_gossip_join(struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
		    const struct dtt_gossip_peer *peers, size_t n);
/* Leaves topic: each neighbour gets a ShuffleReply and Disconnect(alive=false); no neighbour
 * events are reported; the topic's state is dropped. 0 or DTT_ERR_NOTFOUND. */
int dtt_gossip_leave(struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES]);

/* Broadcasts len bytes (borrowed) to the whole topic swarm (PlumTree). id_out (may be NULL)
 * gets the message id. 0, DTT_ERR_NOTFOUND (not a member), DTT_ERR_TOOBIG (over
 * max_message_size), DTT_ERR_NOMEM (sent, but not cached for Grafts). Our own broadcasts are
 * never RECEIVED and never enter the recent hashes. */
int dtt_gossip_broadcast(struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			 const uint8_t *buf, size_t len, uint8_t id_out[DTT_GOSSIP_MSGID_BYTES]);
/* Sends len bytes to every current neighbour, one hop, never forwarded. Same returns. */
int dtt_gossip_broadcast_neighbors(struct dtt_gossip *g,
				   const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES], const uint8_t *buf,
				   size_t len);

bool dtt_gossip_is_member(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES]);
/* True while the topic has at least one neighbour. */
bool dtt_gossip_is_joined(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES]);
/* Copies up to max neighbour ids (active view order) into out; returns how many. */
size_t dtt_gossip_neighbors(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			    uint8_t (*out)[DTT_GOSSIP_PEER_BYTES], size_t max);
/* The topics joined (any way), in join order, into out; returns the count (<= max). */
size_t dtt_gossip_topics(const struct dtt_gossip *g, uint8_t (*out)[DTT_GOSSIP_TOPIC_BYTES],
			 size_t max);
/* Copies up to max passive-view entries into out; returns how many. */
size_t dtt_gossip_passive(const struct dtt_gossip *g, const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
			  struct dtt_gossip_peer *out, size_t max);
/* The hashes SHA-512(content)[0..32] of the last DTT_GOSSIP_RECENT_MAX messages RECEIVED on the
 * topic (both scopes; never our own), oldest first, as records publish them (spec/PROTOCOL.md
 * §7.7). Copies up to max into out; returns how many. */
size_t dtt_gossip_recent_hashes(const struct dtt_gossip *g,
				const uint8_t topic[DTT_GOSSIP_TOPIC_BYTES],
				uint8_t (*out)[DTT_GOSSIP_MSGID_BYTES], size_t max);

const struct dtt_gossip_stats *dtt_gossip_stats(const struct dtt_gossip *g);

#endif
