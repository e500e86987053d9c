/* dht.h - the mainline DHT node and client (BEP 5, BEP 43 read-only, BEP 44 mutable items,
 * BEP 42 `ip` in replies, sent and voted on) on the env seam (spec/DHT.md).
 *
 * One struct dtt_dht is one DHT node: it answers queries (unless read-only), keeps a routing
 * table (rt.h), hands out write tokens (token.h), stores BEP 44 items (store.h) and announced
 * peers, and runs iterative Kademlia lookups for bootstrap, bucket refresh, get and put.
 *
 * Inputs: datagrams through dtt_dht_on_datagram; time through the borrowed timers (the
 * caller runs dtt_timers_run at dtt_timers_next_ms, as for every core timer). Outputs:
 * datagrams through env->send and the callbacks of the operations below. Nothing reads a
 * clock or draws randomness except through the env, so a run is a pure function of the env.
 *
 * Timers (all dtt_timer nodes embedded in the dht or its operations; none allocates to arm):
 *   rpc      - one shared timer at the earliest deadline of the outstanding RPCs
 *              (query_timeout_ms after each send): RPC timeouts, reported to the rt;
 *   refresh  - at dtt_rt_next_refresh_ms: a find_node lookup per bucket due (BEP 5, 15 min);
 *              every thin_refresh_ms while the table has fewer than k usable contacts
 *              (replied once, not bad): an own-id lookup (nodes that bootstrapped together
 *              from one empty router find each other); with none usable (an outage failed
 *              them all, or nobody answered yet) a bootstrap from the seeds and a few failed
 *              contacts instead, 15 s, 30 s, ... up to thin_refresh_ms apart;
 *   token    - at dtt_token_next_rotation_ms: write-token secret rotation (5 min);
 *   expiry   - at the earliest item / announced-peer expiry: store and peer-store expiry;
 *   per op   - the operation's deadline (lookup_timeout_ms, then query_timeout_ms for the
 *              put phase); also used to complete an operation that has nobody to ask.
 *
 * Callback rules (every operation): the start call either returns an error and never calls
 * back, or returns an op id and later calls its done callback EXACTLY ONCE: at the end, on
 * timeout, on dtt_dht_cancel, or from dtt_dht_free (status DTT_ERR_CANCELED). A done
 * callback never fires inside the call that started the operation. Callbacks may call any
 * function of this header on the same dht (start, cancel, stats) except dtt_dht_free.
 * Pointers handed to callbacks are valid only during the callback.
 *
 * Memory: every table is bounded by the config; the RPC slots, the peer store and the item
 * store grow lazily, so a quiet node costs a few KB. Single-threaded, like the whole core.
 */
#ifndef DTT_DHT_DHT_H
#define DTT_DHT_DHT_H

#include "addr_vote.h"
#include "env.h"
#include "krpc.h"
#include "rt.h"
#include "store.h"
#include "timer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dtt_verify_memo; /* verify_memo.h */

#define DTT_DHT_ID_BYTES	  20
#define DTT_DHT_QUERY_TIMEOUT_MS  2000
#define DTT_DHT_ALPHA		  3
#define DTT_DHT_K		  8
#define DTT_DHT_LOOKUP_TIMEOUT_MS 10000
#define DTT_DHT_RPCS_MAX	  256
#define DTT_DHT_LOOKUPS_MAX	  32
#define DTT_DHT_SHORTLIST_MAX	  64  /* candidates per lookup */
#define DTT_DHT_VALUES_MAX	  32  /* distinct values a get remembers for de-duplication */
#define DTT_DHT_PEERS_MAX	  256 /* announce_peer entries over all info_hashes */
#define DTT_DHT_PEER_VALUES_MAX	  32  /* peers returned per get_peers reply */
#define DTT_DHT_PEER_LIFETIME_MS  (30 * 60 * 1000)
#define DTT_DHT_BOOTSTRAP_MAX	  32 /* addresses given to one bootstrap */
#define DTT_DHT_THIN_REFRESH_MS	  (60 * 1000)
#define DTT_DHT_DATAGRAM_MAX	  1500 /* every datagram we send fits */
#define DTT_DHT_PUT_V_BENCODE_MAX 512  /* bencode values inside one put v */

struct dtt_dht_config {
	bool read_only;		    /* BEP 43 client: never answers queries, sends ro=1 */
	uint32_t query_timeout_ms;  /* per RPC, > 0 */
	uint8_t alpha;		    /* queries in flight per lookup, >= 1 */
	uint8_t k;		    /* lookup width and put fan-out, 1..shortlist_max */
	uint32_t lookup_timeout_ms; /* overall deadline of a lookup phase, > 0 */
	uint32_t rpcs_max;	    /* outstanding RPCs, 1..16384; full -> DTT_ERR_FULL */
	uint32_t lookups_max;	    /* concurrent operations, >= 1; refreshes take at most half */
	uint16_t shortlist_max;	    /* candidates kept per lookup, >= k */
	uint16_t values_max;	    /* distinct values per get; further ones are dropped */
	uint32_t peers_max;	    /* announced peers kept (0: announce_peer is refused) */
	uint32_t peer_lifetime_ms;  /* an announced peer is forgotten after this */
	uint64_t token_rotate_ms;   /* write-token secret rotation (0: 5 min) */
	uint32_t thin_refresh_ms;   /* while the table holds fewer than k contacts, look up our
				     * own id this often (0: only the 15 min bucket refresh) */
	bool vote_addr;		    /* learn our public address from the replies' BEP 42 `ip`
				     * (addr_vote.h; default true; < 2 KB once the first
				     * vote arrives) */
	struct dtt_rt_config rt;    /* routing table (its k is independent of the lookup k) */
	struct dtt_store_config store; /* BEP 44 items: lifetime, bound, equal-seq policy, rate */
	/* Borrowed, optional (default NULL: verify every signature): a memo of BEP 44 signature
	 * checks (verify_memo.h) used for the puts we store and the values our gets receive;
	 * must outlive the dht. It changes no outcome, only the cost, so the simulator hands
	 * one to all its nodes. dtt_dht_new copies it into store.verify_memo. */
	struct dtt_verify_memo *verify_memo;
};

/* Fills cfg with the defaults above and the rt/store defaults of their headers. */
void dtt_dht_config_init(struct dtt_dht_config *cfg);

/* Why an inbound datagram was dropped: the KRPC decoder's reasons (same values, see krpc.h)
 * followed by the node's own. Index of dtt_dht_stats.dropped. */
enum dtt_dht_drop {
	/* 0 .. DTT_KRPC_DROP__COUNT - 1: enum dtt_krpc_drop (DTT_KRPC_DROP_NONE unused) */
	DTT_DHT_DROP_UNSOLICITED = DTT_KRPC_DROP__COUNT, /* response/error matching no RPC */
	DTT_DHT_DROP_RATE_LIMITED, /* put over the per-source rate (store.h) */
	DTT_DHT_DROP_READ_ONLY,	   /* a query reached a read-only node */
	DTT_DHT_DROP_OWN_ID,	   /* a message carrying our own node id */
	DTT_DHT_DROP_BAD_FROM,	   /* source address of an unknown family or port 0 */
	DTT_DHT_DROP_BAD_ITEM,	   /* a get reply item: wrong k, too big or bad signature */
	DTT_DHT_DROP_VALUES_FULL,  /* a new distinct value beyond values_max */
	DTT_DHT_DROP__COUNT,
};

/* KRPC error codes as a dense index (stats, put results). */
enum dtt_dht_code {
	DTT_DHT_CODE_GENERIC = 0,  /* 201 */
	DTT_DHT_CODE_SERVER,	   /* 202 */
	DTT_DHT_CODE_PROTOCOL,	   /* 203 (bad token, missing arguments, negative seq) */
	DTT_DHT_CODE_METHOD,	   /* 204 */
	DTT_DHT_CODE_V_TOO_BIG,	   /* 205 */
	DTT_DHT_CODE_BAD_SIG,	   /* 206 */
	DTT_DHT_CODE_SALT_TOO_BIG, /* 207 */
	DTT_DHT_CODE_CAS,	   /* 301 */
	DTT_DHT_CODE_SEQ_LESS,	   /* 302 */
	DTT_DHT_CODE_OTHER,	   /* any other code */
	DTT_DHT_CODE__COUNT,
};

struct dtt_dht_stats {
	uint64_t datagrams_out, bytes_out; /* handed to env->send (also failed ones) */
	uint64_t send_failed;		   /* env->send returned an error */
	uint64_t datagrams_in, bytes_in;   /* everything given to on_datagram */
	uint64_t queries_received[DTT_KRPC_METHOD__COUNT]; /* answered or not, by method */
	uint64_t queries_sent[DTT_KRPC_METHOD__COUNT];
	uint64_t responses_received;		       /* matched replies */
	uint64_t errors_received[DTT_DHT_CODE__COUNT]; /* matched error replies */
	uint64_t errors_sent[DTT_DHT_CODE__COUNT];
	uint64_t timeouts;  /* RPCs that got no answer in time */
	uint64_t rpcs_full; /* sends refused: rpcs_max outstanding */
	uint64_t dropped[DTT_DHT_DROP__COUNT];
	uint64_t puts_accepted;			     /* BEP 44 puts stored or refreshed */
	uint64_t puts_rejected[DTT_DHT_CODE__COUNT]; /* by the code answered */
	uint64_t announces_accepted;
	uint64_t lookups_started, lookups_finished; /* every operation, refreshes included */
	uint64_t values_delivered;		    /* distinct verified values to value_cb */
	uint64_t ip_votes; /* matched replies that carried BEP 42 `ip` (addr_vote.h) */
	uint64_t recoveries; /* bootstraps from the seeds and failed contacts: no usable contact */
};

struct dtt_dht;

/* Creates a node. env and timers are borrowed and must outlive the dht; the node id (and
 * the token secrets) come from env randomness. cfg NULL means defaults; it is copied.
 * Returns NULL on a config out of range or when allocation fails. */
struct dtt_dht *dtt_dht_new(const struct dtt_env *env, struct dtt_timers *timers,
			    const struct dtt_dht_config *cfg);
/* Cancels every operation (done callbacks fire with DTT_ERR_CANCELED, in start order),
 * disarms every timer and frees everything. NULL is a no-op. Never call it from a callback. */
void dtt_dht_free(struct dtt_dht *dht);

const uint8_t *dtt_dht_id(const struct dtt_dht *dht); /* DTT_DHT_ID_BYTES */

/* One inbound UDP datagram from `from` (borrowed, like buf: nothing is kept after return).
 * Never fails: anything unusable is dropped and counted in stats.dropped. */
void dtt_dht_on_datagram(struct dtt_dht *dht, const struct dtt_addr *from, const uint8_t *buf,
			 size_t len);

/* Queries each of the n addresses (borrowed, copied; at most DTT_DHT_BOOTSTRAP_MAX are
 * used) with find_node(own id) and looks up our own id through every node learned, like an
 * iterative lookup. cb(ctx, status, nodes) fires once: status 0 when the routing table
 * holds at least one node at the end (converged or deadline), DTT_ERR_TIMEOUT when nobody
 * answered, DTT_ERR_CANCELED from dtt_dht_free; nodes is dtt_dht_node_count then.
 * On success it also starts (without callbacks) one find_node lookup on a random id in each
 * bucket below our own, as a Kademlia join does, so the table learns the far side of the id
 * space; those run after cb and count as operations (see dtt_dht_op_count).
 * Returns 0, or DTT_ERR_INVALID (n == 0 without any known node, NULL cb), DTT_ERR_FULL
 * (lookups_max operations running), DTT_ERR_NOMEM, DTT_ERR_STATE (the dht is being freed);
 * on error cb never fires. */
int dtt_dht_bootstrap(struct dtt_dht *dht, const struct dtt_addr *nodes, size_t n,
		      void (*cb)(void *ctx, int status, size_t nodes), void *ctx);

/* A verified BEP 44 value as a get hands it out. Every pointer is valid only during the
 * value callback. */
struct dtt_dht_value {
	int64_t seq;
	const uint8_t *v; /* verbatim bencoding of v, as signed */
	size_t v_len;
	const uint8_t *str; /* if v is one bencoded byte string: its bytes, else NULL */
	size_t str_len;
	const uint8_t *k;     /* DTT_BEP44_K_BYTES: the public key asked for */
	const uint8_t *sig;   /* DTT_BEP44_SIG_BYTES */
	struct dtt_addr from; /* the storing node that returned it */
};
typedef void (*dtt_dht_value_cb)(void *ctx, const struct dtt_dht_value *value);

struct dtt_dht_get_result {
	int status;	  /* 0, DTT_ERR_NOTFOUND, DTT_ERR_TIMEOUT, DTT_ERR_CANCELED */
	size_t values;	  /* distinct values delivered */
	size_t responded; /* nodes that answered a get query */
	size_t queried;	  /* get queries sent */
	uint64_t elapsed_ms;
};
typedef void (*dtt_dht_get_done_cb)(void *ctx, const struct dtt_dht_get_result *res);

/* Iterative BEP 44 get of the mutable item at target SHA-1(pk || salt) (salt_len 0: no
 * salt). pk and salt are borrowed during the call (copied). Each reply's item is checked
 * (k == pk, v within 1000 bytes, signature over the signable with this salt); every
 * DISTINCT verified value (distinct by (seq, v), at most values_max) is handed to value_cb
 * (may be NULL) as soon as it arrives, possibly several times per operation, always before
 * done_cb. done_cb fires exactly once at the end: lookup converged -> status 0 if any value
 * was delivered, else DTT_ERR_NOTFOUND (also at once, through a timer, when the routing
 * table is empty); deadline (lookup_timeout_ms) -> DTT_ERR_TIMEOUT (values already delivered
 * stay delivered); cancel/free -> DTT_ERR_CANCELED.
 * Returns an op id (> 0), or DTT_ERR_INVALID (NULL pk/done_cb, salt over 64 bytes),
 * DTT_ERR_FULL, DTT_ERR_NOMEM or DTT_ERR_STATE; then no callback fires. */
int64_t dtt_dht_get_mutable(struct dtt_dht *dht, const uint8_t pk[32], const uint8_t *salt,
			    size_t salt_len, dtt_dht_value_cb value_cb, dtt_dht_get_done_cb done_cb,
			    void *ctx);

struct dtt_dht_put_result {
	/* 0: stored by >= 1 node; DTT_ERR_NOTFOUND: no node returned a token; DTT_ERR_STATE:
	 * nobody stored it and some answered with an error (see errors); DTT_ERR_TIMEOUT:
	 * nobody answered the puts (or no token before the deadline); DTT_ERR_CANCELED. */
	int status;
	size_t stored;			    /* put acknowledged */
	size_t failed;			    /* put not answered in time (or not sent) */
	size_t errors[DTT_DHT_CODE__COUNT]; /* put answered with a KRPC error, by code */
	size_t responded;		    /* nodes that answered the lookup's get queries */
	uint64_t elapsed_ms;
};
typedef void (*dtt_dht_put_done_cb)(void *ctx, const struct dtt_dht_put_result *res);

/* BEP 44 mutable put: signs (salt, seq, v) with sk (libsodium layout seed || pk; the public
 * key is its second half), looks up target SHA-1(pk || salt) with get queries collecting
 * tokens, then sends put to the k closest nodes that returned a token; cas (if non-NULL) is
 * sent only to nodes that returned a value, as BEP 44 says. v is the verbatim canonical
 * bencoding of the value (1..1000 bytes, at most DTT_DHT_PUT_V_BENCODE_MAX values); sk, salt,
 * cas and v are borrowed during the call (copied). When the lookup deadline hits, the put
 * phase starts with the tokens collected so far. The put phase lasts at most
 * query_timeout_ms. done_cb fires exactly once (see struct dtt_dht_put_result).
 * Returns an op id (> 0), or DTT_ERR_INVALID (NULL sk/v/done_cb, v not canonical bencode or
 * out of bounds, salt over 64 bytes, negative seq), DTT_ERR_FULL, DTT_ERR_NOMEM or
 * DTT_ERR_STATE; then no callback fires. */
int64_t dtt_dht_put_mutable(struct dtt_dht *dht, const uint8_t sk[64], const uint8_t *salt,
			    size_t salt_len, int64_t seq, const int64_t *cas, const uint8_t *v,
			    size_t v_len, dtt_dht_put_done_cb done_cb, void *ctx);

/* Ends a get, put or bootstrap now: its done callback fires inside this call with
 * DTT_ERR_CANCELED. Unknown or finished ids are ignored. Outstanding RPCs of the operation
 * still complete for the routing table's sake, but report to nobody. */
void dtt_dht_cancel(struct dtt_dht *dht, int64_t op);

const struct dtt_dht_stats *dtt_dht_stats(const struct dtt_dht *dht);
/* The env the node was created on (borrowed). */
const struct dtt_env *dtt_dht_env(const struct dtt_dht *dht);
/* Static names for counters and logs: "bencode", ..., "unsolicited", "rate_limited". */
const char *dtt_dht_drop_name(int reason);
/* "ping", "find_node", ...: the KRPC method of dtt_dht_stats.queries_received/sent[m]. */
const char *dtt_dht_method_name(int method);
/* "generic" (201) ... "seq_less" (302), "other". */
const char *dtt_dht_code_name(int code_index);
/* The index of a KRPC error code (DTT_DHT_CODE_OTHER for unknown codes). */
enum dtt_dht_code dtt_dht_code_index(int64_t krpc_code);

/* Our public address of a family (DTT_AF_INET or DTT_AF_INET6) as the replies to our
 * queries voted it (BEP 42 `ip`, addr_vote.h): true and *out once a quorum agrees. */
bool dtt_dht_public_addr(const struct dtt_dht *dht, uint8_t family, struct dtt_addr *out);
/* How many times a public address appeared or changed (both families): a caller notices a
 * change by comparing this with the value it saw last. */
uint64_t dtt_dht_public_addr_changes(const struct dtt_dht *dht);
/* The votes themselves, for inspection (stats, tests); NULL before the first vote. */
const struct dtt_addr_vote *dtt_dht_addr_vote(const struct dtt_dht *dht);

/* Contacts in the routing table (any state). */
size_t dtt_dht_node_count(const struct dtt_dht *dht);
/* Operations running (refreshes included). */
size_t dtt_dht_op_count(const struct dtt_dht *dht);
/* Outstanding RPCs. */
size_t dtt_dht_rpc_count(const struct dtt_dht *dht);
/* The node's item store and routing table, for inspection (simulator, tests). The store may
 * be written directly (e.g. a test planting an item); the dht keeps no view into it. */
struct dtt_store *dtt_dht_store(struct dtt_dht *dht);
const struct dtt_rt *dtt_dht_rt(const struct dtt_dht *dht);

#endif
