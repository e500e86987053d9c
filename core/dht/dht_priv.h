/* dht_priv.h - private to core/dht/dht.c and lookup.c: the node's state, its RPC slots and
 * its operations (iterative lookups, BEP 5 / BEP 44). Nothing outside core/dht includes it.
 */
#ifndef DTT_DHT_DHT_PRIV_H
#define DTT_DHT_DHT_PRIV_H

#include "addr_vote.h"
#include "dht.h"
#include "token.h"

#define DHT_TID_BYTES  2
#define DHT_RPC_NONE   0xffffu
#define DHT_RPCS_LIMIT 16384 /* rpcs_max ceiling: tids stay easy to find among 65536 */

/* RPC flags */
#define RPC_F_USED  0x01 /* slot in the outstanding list (else in the free list) */
#define RPC_F_ID    0x02 /* the node id is known: outcomes are reported to the rt */
#define RPC_F_PING  0x04 /* a ping the rt asked for */
#define RPC_F_STORE 0x08 /* a put of an operation's store phase */

/* One outstanding query. Slots live in one array grown on demand up to rpcs_max; the used
 * ones form a list ordered by deadline (one shared timer at its head), the rest a free
 * list. Referenced by index, never by pointer (the array moves when it grows). */
struct dht_rpc {
	uint64_t deadline_ms;
	int64_t op; /* the operation that sent it, 0 for none */
	struct dtt_addr addr;
	uint8_t id[DTT_DHT_ID_BYTES];
	uint16_t prev, next;
	uint8_t tid[DHT_TID_BYTES];
	uint8_t method; /* enum dtt_krpc_method */
	uint8_t flags;
};

/* One announced peer (BEP 5 announce_peer). */
struct dht_peer {
	uint8_t info_hash[DTT_DHT_ID_BYTES];
	struct dtt_addr addr;
	uint64_t expires_ms;
};

struct dht_op; /* lookup.c */

struct dtt_dht {
	const struct dtt_env *env;
	struct dtt_timers *timers;
	struct dtt_dht_config cfg;
	uint8_t id[DTT_DHT_ID_BYTES];
	struct dtt_rt rt;
	struct dtt_token token;
	struct dtt_store store;

	struct dht_peer *peers; /* grown on demand up to peers_max */
	size_t peers_count, peers_cap;

	struct dht_rpc *rpcs;
	uint16_t rpcs_cap, rpcs_count;
	uint16_t rpc_head, rpc_tail, rpc_free;

	struct dht_op *ops, *ops_tail; /* running, in start order */
	struct dht_op *zombies;	       /* finished, freed when the outermost call returns */
	size_t ops_count;
	int64_t next_op;
	unsigned depth; /* nesting of entry points (callbacks may re-enter) */
	bool closing;

	struct dtt_timer rpc_timer, refresh_timer, token_timer, expiry_timer;
	struct dtt_dht_stats stats;
	/* our public address from the replies' `ip`: allocated on the first vote (cfg.vote_addr) */
	struct dtt_addr_vote *addr_vote;
	/* the addresses of the last bootstrap: asked again while no contact is usable */
	struct dtt_addr *seeds; /* seeds_count of them (at most DTT_DHT_BOOTSTRAP_MAX) */
	size_t seeds_count;
	/* recovery while no contact is usable: the next attempt, the wait after it (doubling
	 * from DHT_RECOVER_MIN_MS to thin_refresh_ms), and which failed contacts to ask */
	uint64_t recover_at_ms;
	uint32_t recover_wait_ms;
	uint32_t recover_round;
};

#define DHT_RECOVER_MIN_MS   15000 /* first wait between two recovery attempts */
#define DHT_RECOVER_CONTACTS 8	   /* failed contacts asked again per attempt */

/* lookup.c: a bootstrap lookup from addrs (seeds and failed contacts) that does not replace
 * the remembered seeds. 0, or an error as dtt_dht_bootstrap. */
int dtt_dht_op_recover(struct dtt_dht *dht, const struct dtt_addr *addrs, size_t n);

static inline uint64_t dht_now(const struct dtt_dht *dht)
{
	return dtt_env_now_ms(dht->env);
}

/* dht.c: entry-point nesting. A finished operation is only freed when the outermost entry
 * point returns, so a callback may cancel anything without pulling memory from under us. */
void dtt_dht_enter(struct dtt_dht *dht);
void dtt_dht_leave(struct dtt_dht *dht);

/* dht.c: sends a query. id NULL: unknown (bootstrap addresses). The query is encoded by
 * method from the arguments in q (only the fields the method needs). Returns 0 (sent or
 * lost: a failed env send is a lost datagram, the RPC times out), DTT_ERR_FULL (rpcs_max
 * outstanding) or DTT_ERR_INVALID / DTT_ERR_TOOBIG (could not encode). */
struct dht_query {
	uint8_t method;
	const uint8_t *target; /* find_node, get */
	const uint8_t *token;  /* put */
	size_t token_len;
	const struct dtt_krpc_item *item; /* put */
};
int dtt_dht_rpc_send(struct dtt_dht *dht, const struct dtt_addr *to, const uint8_t *id, int64_t op,
		     uint8_t flags, const struct dht_query *q);

/* dht.c: the peer store and item store changed; arm the expiry timer if needed. */
void dtt_dht_expiry_arm(struct dtt_dht *dht);

/* lookup.c: outcomes of an RPC that belongs to operation rpc->op (already unlinked).
 * msg is the matched response (NULL for a timeout or an error; code is the KRPC error
 * code of an error reply, 0 for a timeout). */
void dtt_dht_op_on_reply(struct dtt_dht *dht, const struct dht_rpc *rpc,
			 const struct dtt_addr *from, const struct dtt_krpc_msg *msg);
void dtt_dht_op_on_fail(struct dtt_dht *dht, const struct dht_rpc *rpc, int64_t code);
/* Internal lookups (refreshes) may take at most half of lookups_max (at least one), so
 * the caller's gets and puts always find room. */
static inline bool dht_internal_room(const struct dtt_dht *dht)
{
	size_t cap = dht->cfg.lookups_max / 2;

	return dht->ops_count < (cap ? cap : 1);
}

/* lookup.c: starts an internal find_node lookup (bucket refresh). 0 or DTT_ERR_*. */
int dtt_dht_op_refresh(struct dtt_dht *dht, const uint8_t target[static DTT_DHT_ID_BYTES]);
/* lookup.c: cancels every operation (callbacks with DTT_ERR_CANCELED), then frees them. */
void dtt_dht_ops_cancel_all(struct dtt_dht *dht);
void dtt_dht_ops_reap(struct dtt_dht *dht);

#endif
