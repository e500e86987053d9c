/* link.h - authenticated, encrypted links between node identities over the node's UDP port
 * (spec/GOSSIP.md §12): a Noise IK style handshake from the ed25519 identities (X25519 by
 * conversion), ChaCha20-Poly1305 transport with a 64-bit counter nonce and a replay window,
 * keepalives and a dead-peer timeout.
 *
 * Nothing that did not pass authentication ever reaches the callbacks: the layers above
 * (HyParView, PlumTree) only see (peer id, plaintext) from an established session.
 * Every datagram this layer writes starts with a frame type byte that is never 'd' (0x64), so
 * KRPC and gossip share one port (dtt_node dispatches on the first byte).
 *
 * Timers (on the caller's struct dtt_timers): ONE timer per peer, armed at the earliest of its
 * deadlines: handshake retry/timeout, keepalive and liveness deadline (only while the peer is
 * watched), rekey, expiry of an idle unwatched session and of a superseded session. The
 * handshake rate limit works in fixed one-second windows kept per source address and needs no
 * timer. Wire format, handshake and timers: docs/gossip-links.md.
 * Bounded: at most peers_max peers (sessions + address book), a small queue of messages per
 * peer waiting for a handshake; a full table or queue is a counted drop.
 *
 * Callbacks fire from dtt_links_on_datagram, from the timers and (on_down only) from
 * dtt_links_close; never from new, free, set_addr, send or watch. A callback may call any
 * function of this header except dtt_links_free. on_up and on_down follow these rules:
 *   - on_up fires when a peer without a session gets one (not on a rekey);
 *   - on_down fires when a watched peer or a peer that was up loses its session, or when
 *     messages queued for a peer are dropped (so FAILED may come without an on_up), and
 *     always for a close (ours or the peer's) of an existing session or handshake;
 *   - an unwatched session that stays idle for rekey_ms, or an unwatched peer evicted from a
 *     full table, goes away quietly: no on_down, and a later session gives on_up again;
 *   - after on_down the peer is no longer watched.
 * Single-threaded, like the whole core.
 */
#ifndef DTT_GOSSIP_LINK_H
#define DTT_GOSSIP_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "timer.h"

#define DTT_LINK_ID_BYTES     32   /* a peer id: its ed25519 public key */
#define DTT_LINK_DATAGRAM_MAX 1200 /* every datagram this layer sends */
#define DTT_LINK_PAYLOAD_MAX  1100 /* largest plaintext message per dtt_links_send */
/* Receive replay window per session (RFC 6479 bitmap); counters up to WINDOW - 64 behind the
 * newest one are accepted once, in any order. */
#define DTT_LINK_REPLAY_WINDOW_BITS 1024

enum dtt_link_down {
	DTT_LINK_DOWN_TIMED_OUT = 1, /* a watched peer stayed silent past dead_ms */
	DTT_LINK_DOWN_FAILED = 2,    /* the handshake never completed (no answer, bad key) */
	DTT_LINK_DOWN_CLOSED = 3,    /* dtt_links_close by us, or a close frame from the peer */
};

struct dtt_links_config {
	uint32_t peers_max;	       /* default 256 */
	uint32_t queue_max;	       /* messages queued per peer during a handshake, default 8 */
	uint32_t handshake_timeout_ms; /* per attempt, default 1000 */
	uint32_t handshake_attempts;   /* before DTT_LINK_DOWN_FAILED, default 5 (a handshake
					* survives 30% loss 96.5% of the time) */
	uint32_t keepalive_ms;	       /* a watched peer gets a keepalive after this much of our
					* silence, and a ping after this much of its own; a peer
					* that stays silent is pinged every keepalive_ms / 10
					* until dead_ms, default 2000 */
	uint32_t dead_ms;	       /* a watched peer silent this long is down, default 6000 */
	uint32_t rekey_ms;	       /* a session older than this is renewed, default 120000 */
	uint32_t handshakes_per_s;     /* accepted initiations per source address, default 20 */
};

struct dtt_links_callbacks {
	/* An authenticated message from peer (borrowed for the call). */
	void (*on_message)(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES], const uint8_t *msg,
			   size_t len);
	/* A session with peer is established (first time, or again after a down). */
	void (*on_up)(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES]);
	/* The link to peer is gone: reason is enum dtt_link_down. Messages still queued for it
	 * are dropped. */
	void (*on_down)(void *ctx, const uint8_t peer[DTT_LINK_ID_BYTES], int reason);
};

struct dtt_links;

void dtt_links_config_init(struct dtt_links_config *cfg);
/* identity_sk is the node's ed25519 secret key (seed || pk, 64 bytes, copied and wiped on
 * free). env, timers and the callbacks' ctx are borrowed. NULL on a bad config or no memory. */
struct dtt_links *dtt_links_new(const struct dtt_env *env, struct dtt_timers *timers,
				const uint8_t identity_sk[64], const struct dtt_links_config *cfg,
				const struct dtt_links_callbacks *cb, void *ctx);
void dtt_links_free(struct dtt_links *l); /* no callbacks fire */

/* Our own id (the ed25519 public key). */
const uint8_t *dtt_links_id(const struct dtt_links *l);

/* Records where peer can be reached (from a record, an introduction or the command line).
 * An established session follows the address the peer authenticates from: set_addr does not
 * override it while the session lasts, the address given is used once the session is gone.
 * Adding a peer to a full table evicts the least recently used unwatched peer with nothing
 * queued. 0, DTT_ERR_INVALID (our own id, or not a valid ed25519 key), DTT_ERR_FULL,
 * DTT_ERR_NOMEM. */
int dtt_links_set_addr(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES],
		       const struct dtt_addr *addr);
/* The address we know for peer: 0 or DTT_ERR_NOTFOUND. */
/* The share of the peer's datagrams lost on the way to us, per mille (0..1000), estimated
 * from the gaps in its session counters over blocks of 16 received datagrams and smoothed
 * (each block weighs 1/4); -1 before the first block or without a session. A path usually
 * loses in both directions alike, so it also estimates what we send. */
int dtt_links_loss_pm(const struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES]);
int dtt_links_addr(const struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES],
		   struct dtt_addr *out);

/* Sends one message (1 ..= DTT_LINK_PAYLOAD_MAX bytes; an empty message is a keepalive on the
 * wire) to peer over its session; without a session it is queued and a handshake starts (the
 * address must be known). 0, DTT_ERR_TOOBIG, DTT_ERR_INVALID (len 0), DTT_ERR_NOTFOUND (no
 * address), DTT_ERR_FULL (queue full), DTT_ERR_NOMEM. A message that cannot be delivered in the
 * end is lost: the peer then goes down with DTT_LINK_DOWN_FAILED. */
int dtt_links_send(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES], const uint8_t *msg,
		   size_t len);

/* Watching a peer (while it is in an active view) turns on keepalives and the dead-peer
 * timeout for it (dead_ms counted from the later of the watch and the last authenticated
 * datagram), and starts a handshake if there is no session; unwatched sessions expire quietly
 * after rekey_ms of disuse. Watching an unknown peer adds it (without an address it then goes
 * down TIMED_OUT after dead_ms). */
void dtt_links_watch(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES], bool watch);
/* Tells peer we close (best effort) and forgets the session; on_down(CLOSED) fires (if there
 * was a session, a handshake or a queue; the address is kept). */
void dtt_links_close(struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES]);
/* True if peer has an established session we can send on. */
bool dtt_links_has_session(const struct dtt_links *l, const uint8_t peer[DTT_LINK_ID_BYTES]);

/* A datagram whose first byte is a gossip frame type. Never fails: anything that does not
 * authenticate is dropped and counted. */
void dtt_links_on_datagram(struct dtt_links *l, const struct dtt_addr *from, const uint8_t *buf,
			   size_t len);
/* True if buf[0] is one of this layer's frame types. */
bool dtt_links_is_frame(const uint8_t *buf, size_t len);

enum dtt_links_drop {
	DTT_LINKS_DROP_SHORT = 0,     /* too short for its frame type */
	DTT_LINKS_DROP_TYPE,	      /* unknown frame type */
	DTT_LINKS_DROP_HANDSHAKE,     /* malformed or failed handshake (bad key, bad tag) */
	DTT_LINKS_DROP_REPLAY,	      /* replayed handshake or transport counter */
	DTT_LINKS_DROP_UNKNOWN_INDEX, /* no session for the receiver index */
	DTT_LINKS_DROP_AUTH,	      /* transport tag does not verify */
	DTT_LINKS_DROP_RATE,	      /* handshake rate limit */
	DTT_LINKS_DROP_FULL,	      /* peer table or queue full */
	DTT_LINKS_DROP_OVERSIZE,      /* longer than any frame of its type */
	DTT_LINKS_DROP__COUNT,
};

struct dtt_links_stats {
	uint64_t datagrams_out, bytes_out, datagrams_in, bytes_in;
	uint64_t handshakes_started, handshakes_completed, sessions_up, sessions_down;
	uint64_t messages_in, messages_out, keepalives_out;
	uint64_t handshakes_crossed; /* simultaneous initiations resolved by the id order */
	uint64_t rekeys_failed;	     /* rekeys unanswered; the session went on, retried later */
	uint64_t dropped[DTT_LINKS_DROP__COUNT];
};
const struct dtt_links_stats *dtt_links_stats(const struct dtt_links *l);
const char *dtt_links_drop_name(int reason);

#endif
