/* dht.c - the mainline DHT node (BEP 5, BEP 42 `ip`, BEP 43 read-only, BEP 44 get/put):
 * datagram dispatch, outstanding RPCs, the query handlers of a storing node, timers.
 *
 * Owns: the routing table, the token secrets, the item store, the announced-peer store, the
 * RPC slots and (through lookup.c) the operations. Borrows: the env and the timers.
 * Timers:
 *   rpc_timer     - head of the deadline-ordered RPC list -> rpc_timer_expired (timeouts)
 *   refresh_timer - dtt_rt_next_refresh_ms -> refresh_expired (find_node per stale bucket)
 *   token_timer   - dtt_token_next_rotation_ms -> token_expired (secret rotation)
 *   expiry_timer  - earliest item or peer expiry -> expiry_expired
 */
#include "dht.h"
#include "dht_priv.h"

#include <string.h>

#include "alloc.h"
#include "bep44.h"
#include "err.h"
#include "log.h"

#define RPCS_CAP_FIRST	8
#define PEERS_CAP_FIRST 8
#define REPLY_NODES_MAX 16
#define TID_DRAWS	64

/* ---- names ---- */

static const char *const own_drop_names[] = {
    [DTT_DHT_DROP_UNSOLICITED - DTT_KRPC_DROP__COUNT] = "unsolicited",
    [DTT_DHT_DROP_RATE_LIMITED - DTT_KRPC_DROP__COUNT] = "rate_limited",
    [DTT_DHT_DROP_READ_ONLY - DTT_KRPC_DROP__COUNT] = "read_only",
    [DTT_DHT_DROP_OWN_ID - DTT_KRPC_DROP__COUNT] = "own_id",
    [DTT_DHT_DROP_BAD_FROM - DTT_KRPC_DROP__COUNT] = "bad_from",
    [DTT_DHT_DROP_BAD_ITEM - DTT_KRPC_DROP__COUNT] = "bad_item_value",
    [DTT_DHT_DROP_VALUES_FULL - DTT_KRPC_DROP__COUNT] = "values_full",
};
_Static_assert(sizeof(own_drop_names) / sizeof(own_drop_names[0]) ==
		   DTT_DHT_DROP__COUNT - DTT_KRPC_DROP__COUNT,
	       "one name per value");

const char *dtt_dht_method_name(int method)
{
	return dtt_krpc_method_name((enum dtt_krpc_method)method);
}

const char *dtt_dht_drop_name(int reason)
{
	if (reason >= 0 && reason < DTT_KRPC_DROP__COUNT)
		return dtt_krpc_drop_name((enum dtt_krpc_drop)reason);
	if (reason >= DTT_KRPC_DROP__COUNT && reason < DTT_DHT_DROP__COUNT)
		return own_drop_names[reason - DTT_KRPC_DROP__COUNT];
	return "invalid";
}

static const struct {
	int64_t code;
	const char *name;
	const char *text; /* what we send in e = [code, text] */
} codes[] = {
    [DTT_DHT_CODE_GENERIC] = {201, "generic", "Generic Error"},
    [DTT_DHT_CODE_SERVER] = {202, "server", "Server Error"},
    [DTT_DHT_CODE_PROTOCOL] = {203, "protocol", "Protocol Error"},
    [DTT_DHT_CODE_METHOD] = {204, "method", "Method Unknown"},
    [DTT_DHT_CODE_V_TOO_BIG] = {205, "v_too_big", "Message (v field) too big"},
    [DTT_DHT_CODE_BAD_SIG] = {206, "bad_sig", "Invalid signature"},
    [DTT_DHT_CODE_SALT_TOO_BIG] = {207, "salt_too_big", "Salt (salt field) too big"},
    [DTT_DHT_CODE_CAS] = {301, "cas", "CAS mismatch, re-read value and try again"},
    [DTT_DHT_CODE_SEQ_LESS] = {302, "seq_less", "Sequence number less than current"},
    [DTT_DHT_CODE_OTHER] = {0, "other", "Error"},
};
_Static_assert(sizeof(codes) / sizeof(codes[0]) == DTT_DHT_CODE__COUNT, "one entry per code");

const char *dtt_dht_code_name(int code_index)
{
	if (code_index < 0 || code_index >= DTT_DHT_CODE__COUNT)
		return "invalid";
	return codes[code_index].name;
}

enum dtt_dht_code dtt_dht_code_index(int64_t krpc_code)
{
	for (int i = 0; i < DTT_DHT_CODE_OTHER; i++) {
		if (codes[i].code == krpc_code)
			return (enum dtt_dht_code)i;
	}
	return DTT_DHT_CODE_OTHER;
}

/* ---- config, lifecycle ---- */

void dtt_dht_config_init(struct dtt_dht_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->read_only = false;
	cfg->query_timeout_ms = DTT_DHT_QUERY_TIMEOUT_MS;
	cfg->alpha = DTT_DHT_ALPHA;
	cfg->k = DTT_DHT_K;
	cfg->lookup_timeout_ms = DTT_DHT_LOOKUP_TIMEOUT_MS;
	cfg->rpcs_max = DTT_DHT_RPCS_MAX;
	cfg->lookups_max = DTT_DHT_LOOKUPS_MAX;
	cfg->shortlist_max = DTT_DHT_SHORTLIST_MAX;
	cfg->values_max = DTT_DHT_VALUES_MAX;
	cfg->peers_max = DTT_DHT_PEERS_MAX;
	cfg->peer_lifetime_ms = DTT_DHT_PEER_LIFETIME_MS;
	cfg->token_rotate_ms = DTT_DHT_TOKEN_ROTATE_MS;
	cfg->thin_refresh_ms = DTT_DHT_THIN_REFRESH_MS;
	cfg->vote_addr = true;
	dtt_rt_config_init(&cfg->rt);
	dtt_store_config_init(&cfg->store);
}

static bool config_ok(const struct dtt_dht_config *c)
{
	return c->query_timeout_ms > 0 && c->alpha >= 1 && c->k >= 1 && c->shortlist_max >= c->k &&
	       c->lookup_timeout_ms > 0 && c->rpcs_max >= 1 && c->rpcs_max <= DHT_RPCS_LIMIT &&
	       c->lookups_max >= 1 && c->values_max >= 1 && c->peer_lifetime_ms > 0;
}

static void rpc_timer_expired(struct dtt_timer *t);
static void refresh_expired(struct dtt_timer *t);
static void token_expired(struct dtt_timer *t);
static void expiry_expired(struct dtt_timer *t);

/* Thin: fewer than k contacts a lookup can start from. A table whose contacts all failed
 * (the network was down for a while) is thin however many contacts it holds. */
static bool table_thin(const struct dtt_dht *dht)
{
	return dht->cfg.thin_refresh_ms && dtt_rt_usable_count(&dht->rt) < dht->cfg.k;
}

static void refresh_arm(struct dtt_dht *dht)
{
	uint64_t next = dtt_rt_next_refresh_ms(&dht->rt);

	/* The thin check also runs while the table is empty: it costs a wake-up a minute,
	 * and the table may fill from queries alone. */
	if (table_thin(dht)) {
		uint64_t thin = dht_now(dht) + dht->cfg.thin_refresh_ms;

		if (dht->recover_at_ms > dht_now(dht) && dht->recover_at_ms < thin &&
		    dtt_rt_usable_count(&dht->rt) == 0)
			thin = dht->recover_at_ms;
		if (thin < next)
			next = thin;
	}
	dtt_timer_arm(dht->timers, &dht->refresh_timer, next);
}

/* No contact is usable: ask the seeds and a few of the contacts that failed (the network
 * may be back, and they are the ones we knew), then wait 15 s, 30 s, ... up to
 * thin_refresh_ms before the next attempt. An isolated node so sends at most
 * DTT_DHT_BOOTSTRAP_MAX find_node queries per wait. */
static void recover(struct dtt_dht *dht, uint64_t now)
{
	struct dtt_addr addrs[DTT_DHT_BOOTSTRAP_MAX];
	struct dtt_rt_node failed[DHT_RECOVER_CONTACTS];
	size_t n = 0, f;

	if (now < dht->recover_at_ms)
		return;
	for (size_t i = 0; i < dht->seeds_count && n < DTT_DHT_BOOTSTRAP_MAX - DHT_RECOVER_CONTACTS;
	     i++)
		addrs[n++] = dht->seeds[i];
	f = dtt_rt_failed(&dht->rt, (size_t)dht->recover_round * DHT_RECOVER_CONTACTS, failed,
			  DHT_RECOVER_CONTACTS);
	for (size_t i = 0; i < f; i++)
		addrs[n++] = failed[i].addr;
	dht->recover_round++;
	if (n && dtt_dht_op_recover(dht, addrs, n) == 0)
		dht->stats.recoveries++;
	dht->recover_wait_ms =
	    dtt_backoff_next_ms(dht->recover_wait_ms, DHT_RECOVER_MIN_MS, dht->cfg.thin_refresh_ms);
	dht->recover_at_ms = now + dht->recover_wait_ms;
}

struct dtt_dht *dtt_dht_new(const struct dtt_env *env, struct dtt_timers *timers,
			    const struct dtt_dht_config *cfg)
{
	struct dtt_dht *dht;
	uint64_t now;

	if (!env || !timers)
		return NULL;
	dht = dtt_alloc(sizeof(*dht));
	if (!dht)
		return NULL;
	if (cfg)
		dht->cfg = *cfg;
	else
		dtt_dht_config_init(&dht->cfg);
	if (!config_ok(&dht->cfg))
		goto err_free;
	dht->env = env;
	dht->timers = timers;
	dht->cfg.store.verify_memo = dht->cfg.verify_memo;
	dht->cfg.store.crypto = env->crypto;
	now = dtt_env_now_ms(env);
	dtt_env_random(env, dht->id, sizeof(dht->id));
	if (dtt_rt_init(&dht->rt, &dht->cfg.rt, dht->id, now))
		goto err_free;
	if (dtt_store_init(&dht->store, &dht->cfg.store))
		goto err_rt;
	dtt_token_init(&dht->token, env, now, dht->cfg.token_rotate_ms);
	dht->rpc_head = dht->rpc_tail = dht->rpc_free = DHT_RPC_NONE;
	dht->next_op = 1;
	dtt_timer_init(&dht->rpc_timer, rpc_timer_expired);
	dtt_timer_init(&dht->refresh_timer, refresh_expired);
	dtt_timer_init(&dht->token_timer, token_expired);
	dtt_timer_init(&dht->expiry_timer, expiry_expired);
	refresh_arm(dht);
	dtt_timer_arm(timers, &dht->token_timer, dtt_token_next_rotation_ms(&dht->token));
	return dht;

err_rt:
	dtt_rt_deinit(&dht->rt);
err_free:
	dtt_free(dht);
	return NULL;
}

void dtt_dht_free(struct dtt_dht *dht)
{
	if (!dht)
		return;
	dht->closing = true;
	dht->depth++;
	dtt_dht_ops_cancel_all(dht);
	dht->depth--;
	dtt_dht_ops_reap(dht);
	dtt_timer_cancel(dht->timers, &dht->rpc_timer);
	dtt_timer_cancel(dht->timers, &dht->refresh_timer);
	dtt_timer_cancel(dht->timers, &dht->token_timer);
	dtt_timer_cancel(dht->timers, &dht->expiry_timer);
	dtt_free(dht->rpcs);
	dtt_free(dht->peers);
	dtt_store_deinit(&dht->store);
	dtt_token_deinit(&dht->token);
	dtt_rt_deinit(&dht->rt);
	dtt_free(dht->addr_vote);
	dtt_free(dht->seeds);
	dtt_free(dht);
}

void dtt_dht_enter(struct dtt_dht *dht)
{
	dht->depth++;
}

void dtt_dht_leave(struct dtt_dht *dht)
{
	if (--dht->depth == 0)
		dtt_dht_ops_reap(dht);
}

const uint8_t *dtt_dht_id(const struct dtt_dht *dht)
{
	return dht->id;
}

const struct dtt_env *dtt_dht_env(const struct dtt_dht *dht)
{
	return dht->env;
}

const struct dtt_dht_stats *dtt_dht_stats(const struct dtt_dht *dht)
{
	return &dht->stats;
}

bool dtt_dht_public_addr(const struct dtt_dht *dht, uint8_t family, struct dtt_addr *out)
{
	return dht->addr_vote && dtt_addr_vote_get(dht->addr_vote, family, out);
}

uint64_t dtt_dht_public_addr_changes(const struct dtt_dht *dht)
{
	return dht->addr_vote ? dht->addr_vote->changes : 0;
}

const struct dtt_addr_vote *dtt_dht_addr_vote(const struct dtt_dht *dht)
{
	return dht->addr_vote;
}

size_t dtt_dht_node_count(const struct dtt_dht *dht)
{
	return dtt_rt_node_count(&dht->rt);
}

size_t dtt_dht_op_count(const struct dtt_dht *dht)
{
	return dht->ops_count;
}

size_t dtt_dht_rpc_count(const struct dtt_dht *dht)
{
	return dht->rpcs_count;
}

struct dtt_store *dtt_dht_store(struct dtt_dht *dht)
{
	return &dht->store;
}

const struct dtt_rt *dtt_dht_rt(const struct dtt_dht *dht)
{
	return &dht->rt;
}

/* ---- sending ---- */

static void send_datagram(struct dtt_dht *dht, const struct dtt_addr *to, const uint8_t *buf,
			  size_t len)
{
	dht->stats.datagrams_out++;
	dht->stats.bytes_out += len;
	if (dtt_env_send(dht->env, to, buf, len))
		dht->stats.send_failed++;
}

/* ---- outstanding RPCs ---- */

static struct dht_rpc *rpc_at(struct dtt_dht *dht, uint16_t i)
{
	return &dht->rpcs[i];
}

static void rpc_timer_update(struct dtt_dht *dht)
{
	if (dht->rpc_head == DHT_RPC_NONE) {
		dtt_timer_cancel(dht->timers, &dht->rpc_timer);
		return;
	}
	uint64_t d = rpc_at(dht, dht->rpc_head)->deadline_ms;

	if (!dtt_timer_is_armed(&dht->rpc_timer) || dht->rpc_timer.deadline_ms != d)
		dtt_timer_arm(dht->timers, &dht->rpc_timer, d);
}

/* A free slot, growing the array up to rpcs_max. */
static int rpc_slot(struct dtt_dht *dht, uint16_t *out)
{
	if (dht->rpc_free == DHT_RPC_NONE) {
		size_t cap = dht->rpcs_cap ? (size_t)dht->rpcs_cap * 2 : RPCS_CAP_FIRST;
		struct dht_rpc *grown;

		if (dht->rpcs_cap >= dht->cfg.rpcs_max)
			return DTT_ERR_FULL;
		if (cap > dht->cfg.rpcs_max)
			cap = dht->cfg.rpcs_max;
		grown = dtt_realloc(dht->rpcs, cap * sizeof(*grown));
		if (!grown)
			return DTT_ERR_NOMEM;
		dht->rpcs = grown;
		for (size_t i = cap; i-- > dht->rpcs_cap;) {
			memset(&grown[i], 0, sizeof(grown[i]));
			grown[i].next = dht->rpc_free;
			dht->rpc_free = (uint16_t)i;
		}
		dht->rpcs_cap = (uint16_t)cap;
	}
	*out = dht->rpc_free;
	dht->rpc_free = rpc_at(dht, *out)->next;
	return 0;
}

static bool tid_in_use(struct dtt_dht *dht, const uint8_t *tid)
{
	for (uint16_t i = dht->rpc_head; i != DHT_RPC_NONE; i = rpc_at(dht, i)->next) {
		if (memcmp(rpc_at(dht, i)->tid, tid, DHT_TID_BYTES) == 0)
			return true;
	}
	return false;
}

/* A transaction id unique among the outstanding RPCs. At most rpcs_max - 1 of the 65536 are
 * taken, so random draws almost always succeed; the probe after them always terminates. */
static void tid_draw(struct dtt_dht *dht, uint8_t tid[DHT_TID_BYTES])
{
	uint16_t v;

	for (int i = 0; i < TID_DRAWS; i++) {
		dtt_env_random(dht->env, tid, DHT_TID_BYTES);
		if (!tid_in_use(dht, tid))
			return;
	}
	v = (uint16_t)(tid[0] << 8 | tid[1]);
	do {
		v++;
		tid[0] = (uint8_t)(v >> 8);
		tid[1] = (uint8_t)v;
	} while (tid_in_use(dht, tid));
}

/* Links slot i into the outstanding list, ordered by (deadline, insertion). */
static void rpc_link(struct dtt_dht *dht, uint16_t i)
{
	struct dht_rpc *r = rpc_at(dht, i);
	uint16_t after = dht->rpc_tail;

	while (after != DHT_RPC_NONE && rpc_at(dht, after)->deadline_ms > r->deadline_ms)
		after = rpc_at(dht, after)->prev;
	r->prev = after;
	if (after == DHT_RPC_NONE) {
		r->next = dht->rpc_head;
		dht->rpc_head = i;
	} else {
		r->next = rpc_at(dht, after)->next;
		rpc_at(dht, after)->next = i;
	}
	if (r->next == DHT_RPC_NONE)
		dht->rpc_tail = i;
	else
		rpc_at(dht, r->next)->prev = i;
	r->flags |= RPC_F_USED;
	dht->rpcs_count++;
	rpc_timer_update(dht);
}

/* Unlinks slot i, copies it to *out and returns the slot to the free list. */
static void rpc_take(struct dtt_dht *dht, uint16_t i, struct dht_rpc *out)
{
	struct dht_rpc *r = rpc_at(dht, i);

	if (r->prev == DHT_RPC_NONE)
		dht->rpc_head = r->next;
	else
		rpc_at(dht, r->prev)->next = r->next;
	if (r->next == DHT_RPC_NONE)
		dht->rpc_tail = r->prev;
	else
		rpc_at(dht, r->next)->prev = r->prev;
	*out = *r;
	memset(r, 0, sizeof(*r));
	r->next = dht->rpc_free;
	dht->rpc_free = i;
	dht->rpcs_count--;
	rpc_timer_update(dht);
}

static int encode_query(struct dtt_dht *dht, struct dtt_wbuf *w, const struct dtt_krpc_hdr *h,
			const struct dht_query *q)
{
	switch (q->method) {
	case DTT_KRPC_PING: return dtt_krpc_encode_ping(w, h, dht->id);
	case DTT_KRPC_FIND_NODE: return dtt_krpc_encode_find_node(w, h, dht->id, q->target, 0);
	case DTT_KRPC_GET: return dtt_krpc_encode_get(w, h, dht->id, q->target, NULL, 0);
	case DTT_KRPC_PUT:
		return dtt_krpc_encode_put(w, h, dht->id, q->token, q->token_len, q->item);
	default: return DTT_ERR_INVALID;
	}
}

int dtt_dht_rpc_send(struct dtt_dht *dht, const struct dtt_addr *to, const uint8_t *id, int64_t op,
		     uint8_t flags, const struct dht_query *q)
{
	uint8_t buf[DTT_DHT_DATAGRAM_MAX];
	struct dtt_wbuf w;
	struct dtt_krpc_hdr h;
	struct dht_rpc *r;
	uint16_t i;
	int rc;

	rc = rpc_slot(dht, &i);
	if (rc) {
		dht->stats.rpcs_full++;
		return rc;
	}
	r = rpc_at(dht, i);
	tid_draw(dht, r->tid);
	memset(&h, 0, sizeof(h));
	h.t = r->tid;
	h.t_len = DHT_TID_BYTES;
	h.ro = dht->cfg.read_only;
	dtt_wbuf_init(&w, buf, sizeof(buf));
	rc = encode_query(dht, &w, &h, q);
	if (rc) {
		r->next = dht->rpc_free;
		dht->rpc_free = i;
		return rc;
	}
	r->addr = *to;
	if (id) {
		memcpy(r->id, id, DTT_DHT_ID_BYTES);
		flags |= RPC_F_ID;
	}
	r->op = op;
	r->method = q->method;
	r->flags = flags;
	r->deadline_ms = dht_now(dht) + dht->cfg.query_timeout_ms;
	rpc_link(dht, i);
	dht->stats.queries_sent[q->method]++;
	send_datagram(dht, to, buf, w.len);
	return 0;
}

/* The outstanding RPC answered by (tid, from), or DHT_RPC_NONE. */
static uint16_t rpc_match(struct dtt_dht *dht, const uint8_t *t, size_t t_len,
			  const struct dtt_addr *from)
{
	if (t_len != DHT_TID_BYTES)
		return DHT_RPC_NONE;
	for (uint16_t i = dht->rpc_head; i != DHT_RPC_NONE; i = rpc_at(dht, i)->next) {
		struct dht_rpc *r = rpc_at(dht, i);

		if (memcmp(r->tid, t, DHT_TID_BYTES) == 0 && dtt_addr_eq(&r->addr, from))
			return i;
	}
	return DHT_RPC_NONE;
}

/* Sends the pings the routing table asks for; a ping that cannot be sent is reported as a
 * timeout at once (the table's contract), which may ask for the next one. */
static void rt_pings(struct dtt_dht *dht, bool want, struct dtt_rt_node *n)
{
	static const struct dht_query ping = {.method = DTT_KRPC_PING};

	while (want) {
		if (dtt_dht_rpc_send(dht, &n->addr, n->id, 0, RPC_F_PING, &ping) == 0)
			return;
		want = dtt_rt_on_timeout(&dht->rt, n->id, &n->addr, dht_now(dht), n);
	}
}

static void rt_heard(struct dtt_dht *dht, const uint8_t *id, const struct dtt_addr *from,
		     bool responded)
{
	struct dtt_rt_node ping;
	bool want = dtt_rt_on_heard(&dht->rt, id, from, dht_now(dht), responded, &ping);

	rt_pings(dht, want, &ping);
}

static void rt_failed(struct dtt_dht *dht, const uint8_t *id, const struct dtt_addr *addr)
{
	struct dtt_rt_node ping;
	uint64_t now = dht_now(dht);
	bool want = dtt_rt_on_timeout(&dht->rt, id, addr, now, &ping);

	rt_pings(dht, want, &ping);
	/* Failures can leave a full table without a usable contact, and its next bucket
	 * refresh may be 15 minutes away: look again within thin_refresh_ms. */
	if (dht->cfg.thin_refresh_ms && !dht->closing &&
	    (!dtt_timer_is_armed(&dht->refresh_timer) ||
	     dht->refresh_timer.deadline_ms > now + dht->cfg.thin_refresh_ms) &&
	    table_thin(dht))
		refresh_arm(dht);
}

static void rpc_timer_expired(struct dtt_timer *t)
{
	struct dtt_dht *dht = DTT_CONTAINER_OF(t, struct dtt_dht, rpc_timer);
	uint64_t now = dht_now(dht);

	dtt_dht_enter(dht);
	while (dht->rpc_head != DHT_RPC_NONE && rpc_at(dht, dht->rpc_head)->deadline_ms <= now) {
		struct dht_rpc r;

		rpc_take(dht, dht->rpc_head, &r);
		dht->stats.timeouts++;
		if (r.flags & RPC_F_ID)
			rt_failed(dht, r.id, &r.addr);
		if (r.op)
			dtt_dht_op_on_fail(dht, &r, 0);
	}
	rpc_timer_update(dht);
	dtt_dht_leave(dht);
}

/* ---- maintenance timers ---- */

static void refresh_expired(struct dtt_timer *t)
{
	struct dtt_dht *dht = DTT_CONTAINER_OF(t, struct dtt_dht, refresh_timer);
	uint8_t target[DTT_DHT_ID_BYTES];
	uint64_t now = dht_now(dht);
	bool busy = false;
	size_t usable;

	dtt_dht_enter(dht);
	usable = dtt_rt_usable_count(&dht->rt);
	for (;;) {
		if (!dht_internal_room(dht)) {
			busy = true;
			break;
		}
		if (!dtt_rt_bucket_refresh_due(&dht->rt, dht->env, now, target))
			break;
		/* Nobody to ask: the bucket counts as refreshed until someone shows up. */
		if (usable > 0 && dtt_dht_op_refresh(dht, target) == DTT_ERR_NOMEM)
			break;
	}
	if (usable > 0) {
		dht->recover_wait_ms = 0;
		dht->recover_at_ms = 0;
	}
	if (!busy && table_thin(dht)) {
		if (!dht_internal_room(dht))
			busy = true;
		else if (usable > 0)
			dtt_dht_op_refresh(dht, dht->id);
		else
			/* nobody answered (a seed that was not up yet, a network that came later,
			 * an outage that failed every contact): ask the bootstrap addresses and
			 * the failed contacts again, with a growing wait */
			recover(dht, now);
	}
	if (busy)
		dtt_timer_arm(dht->timers, &dht->refresh_timer, now + dht->cfg.query_timeout_ms);
	else
		refresh_arm(dht);
	dtt_dht_leave(dht);
}

static void token_expired(struct dtt_timer *t)
{
	struct dtt_dht *dht = DTT_CONTAINER_OF(t, struct dtt_dht, token_timer);

	dtt_token_tick(&dht->token, dht->env, dht_now(dht));
	dtt_timer_arm(dht->timers, &dht->token_timer, dtt_token_next_rotation_ms(&dht->token));
}

static uint64_t peers_next_expiry(const struct dtt_dht *dht)
{
	uint64_t next = UINT64_MAX;

	for (size_t i = 0; i < dht->peers_count; i++) {
		if (dht->peers[i].expires_ms < next)
			next = dht->peers[i].expires_ms;
	}
	return next;
}

static void peers_expire(struct dtt_dht *dht, uint64_t now)
{
	size_t w = 0;

	for (size_t i = 0; i < dht->peers_count; i++) {
		if (dht->peers[i].expires_ms > now)
			dht->peers[w++] = dht->peers[i];
	}
	dht->peers_count = w;
}

/* Every new item or peer expires after every one already held, so an armed timer is never
 * late; at worst it fires early for an item that was refreshed, and re-arms. */
void dtt_dht_expiry_arm(struct dtt_dht *dht)
{
	uint64_t next, p;

	if (dtt_timer_is_armed(&dht->expiry_timer))
		return;
	next = dtt_store_next_expiry_ms(&dht->store);
	p = peers_next_expiry(dht);
	if (p < next)
		next = p;
	if (next != UINT64_MAX)
		dtt_timer_arm(dht->timers, &dht->expiry_timer, next);
}

static void expiry_expired(struct dtt_timer *t)
{
	struct dtt_dht *dht = DTT_CONTAINER_OF(t, struct dtt_dht, expiry_timer);
	uint64_t now = dht_now(dht);

	dtt_store_expire(&dht->store, now);
	peers_expire(dht, now);
	dtt_dht_expiry_arm(dht);
}

/* ---- answering queries ---- */

struct reply_ctx {
	struct dtt_dht *dht;
	const struct dtt_addr *from;
	const struct dtt_krpc_msg *msg;
	struct dtt_krpc_hdr h;
};

static void send_error(struct reply_ctx *rc, enum dtt_dht_code code)
{
	uint8_t buf[DTT_DHT_DATAGRAM_MAX];
	struct dtt_wbuf w;

	dtt_wbuf_init(&w, buf, sizeof(buf));
	if (dtt_krpc_encode_error(&w, &rc->h, codes[code].code, codes[code].text,
				  strlen(codes[code].text)))
		return;
	rc->dht->stats.errors_sent[code]++;
	send_datagram(rc->dht, rc->from, buf, w.len);
}

static void send_reply(struct reply_ctx *rc, const struct dtt_wbuf *w)
{
	send_datagram(rc->dht, rc->from, w->p, w->len);
}

/* Compact `nodes` (IPv4) and `nodes6` (IPv6) with the k closest contacts to target, for the
 * families the requester wants (BEP 32: `want`, else the requester's own family). */
struct reply_nodes {
	uint8_t n4[REPLY_NODES_MAX * DTT_KRPC_NODE4_BYTES];
	uint8_t n6[REPLY_NODES_MAX * DTT_KRPC_NODE6_BYTES];
	size_t n4_len, n6_len;
	bool want4, want6;
};

static void closest_nodes(struct reply_ctx *rc, const uint8_t *target, struct reply_nodes *out)
{
	struct dtt_rt_node rn[REPLY_NODES_MAX];
	struct dtt_krpc_node kn[REPLY_NODES_MAX];
	size_t k = rc->dht->cfg.k < REPLY_NODES_MAX ? rc->dht->cfg.k : REPLY_NODES_MAX;
	size_t n = dtt_rt_closest(&rc->dht->rt, target, rn, k);
	struct dtt_wbuf w;
	unsigned want = rc->msg->want;

	if (!want)
		want = rc->from->family == DTT_AF_INET6 ? DTT_KRPC_WANT_N6 : DTT_KRPC_WANT_N4;
	out->want4 = want & DTT_KRPC_WANT_N4;
	out->want6 = want & DTT_KRPC_WANT_N6;
	for (size_t i = 0; i < n; i++) {
		memcpy(kn[i].id, rn[i].id, DTT_DHT_ID_BYTES);
		kn[i].addr = rn[i].addr;
	}
	dtt_wbuf_init(&w, out->n4, sizeof(out->n4));
	dtt_krpc_nodes_encode(&w, kn, n, DTT_AF_INET);
	out->n4_len = w.len;
	dtt_wbuf_init(&w, out->n6, sizeof(out->n6));
	dtt_krpc_nodes_encode(&w, kn, n, DTT_AF_INET6);
	out->n6_len = w.len;
}

/* The node lists of a reply, shrunk on each retry: both, then without nodes6, then empty. */
static void nodes_for_try(const struct reply_nodes *rn, int attempt, const uint8_t **n4,
			  size_t *n4_len, const uint8_t **n6, size_t *n6_len)
{
	*n4 = rn->want4 || attempt > 0 ? rn->n4 : NULL;
	*n4_len = rn->want4 && attempt < 2 ? rn->n4_len : 0;
	*n6 = rn->want6 && attempt == 0 ? rn->n6 : NULL;
	*n6_len = *n6 ? rn->n6_len : 0;
}

static void on_ping(struct reply_ctx *rc)
{
	uint8_t buf[DTT_DHT_DATAGRAM_MAX];
	struct dtt_wbuf w;

	dtt_wbuf_init(&w, buf, sizeof(buf));
	if (dtt_krpc_encode_reply(&w, &rc->h, rc->dht->id) == 0)
		send_reply(rc, &w);
}

static void on_find_node(struct reply_ctx *rc)
{
	uint8_t buf[DTT_DHT_DATAGRAM_MAX];
	struct reply_nodes rn;
	const uint8_t *n4, *n6;
	size_t n4_len, n6_len;
	struct dtt_wbuf w;

	if (!(rc->msg->has & DTT_KRPC_HAS_TARGET)) {
		send_error(rc, DTT_DHT_CODE_PROTOCOL);
		return;
	}
	closest_nodes(rc, rc->msg->target, &rn);
	for (int attempt = 0; attempt < 3; attempt++) {
		nodes_for_try(&rn, attempt, &n4, &n4_len, &n6, &n6_len);
		dtt_wbuf_init(&w, buf, sizeof(buf));
		if (dtt_krpc_encode_find_node_reply(&w, &rc->h, rc->dht->id, n4, n4_len, n6,
						    n6_len) == 0) {
			send_reply(rc, &w);
			return;
		}
	}
}

static void make_token(struct reply_ctx *rc, const uint8_t *target, uint8_t tok[DTT_TOKEN_BYTES])
{
	dtt_token_make(&rc->dht->token, rc->dht->env, dht_now(rc->dht), rc->from, target, tok);
}

static bool token_valid(struct reply_ctx *rc, const uint8_t *target)
{
	const struct dtt_krpc_msg *m = rc->msg;

	return (m->has & DTT_KRPC_HAS_TOKEN) &&
	       dtt_token_check(&rc->dht->token, rc->dht->env, dht_now(rc->dht), rc->from, target,
			       m->token, m->token_len);
}

static void on_get_peers(struct reply_ctx *rc)
{
	struct dtt_dht *dht = rc->dht;
	uint8_t buf[DTT_DHT_DATAGRAM_MAX], tok[DTT_TOKEN_BYTES];
	struct dtt_addr values[DTT_DHT_PEER_VALUES_MAX];
	size_t nvalues = 0;
	struct reply_nodes rn;
	const uint8_t *n4, *n6;
	size_t n4_len, n6_len;
	struct dtt_wbuf w;
	uint64_t now = dht_now(dht);

	if (!(rc->msg->has & DTT_KRPC_HAS_INFO_HASH)) {
		send_error(rc, DTT_DHT_CODE_PROTOCOL);
		return;
	}
	for (size_t i = 0; i < dht->peers_count && nvalues < DTT_DHT_PEER_VALUES_MAX; i++) {
		const struct dht_peer *p = &dht->peers[i];

		if (p->expires_ms > now && p->addr.family == rc->from->family &&
		    memcmp(p->info_hash, rc->msg->info_hash, DTT_DHT_ID_BYTES) == 0)
			values[nvalues++] = p->addr;
	}
	make_token(rc, rc->msg->info_hash, tok);
	closest_nodes(rc, rc->msg->info_hash, &rn);
	/* Nodes go along with values: libtorrent bootstraps and refreshes with get_peers. */
	for (int attempt = 0; attempt < 3; attempt++) {
		nodes_for_try(&rn, attempt, &n4, &n4_len, &n6, &n6_len);
		dtt_wbuf_init(&w, buf, sizeof(buf));
		if (dtt_krpc_encode_get_peers_reply(&w, &rc->h, dht->id, tok, sizeof(tok),
						    nvalues ? values : NULL, nvalues, n4, n4_len,
						    n6, n6_len) == 0) {
			send_reply(rc, &w);
			return;
		}
	}
}

static void peer_add(struct dtt_dht *dht, const uint8_t *info_hash, const struct dtt_addr *addr,
		     uint64_t now)
{
	size_t iplen = addr->family == DTT_AF_INET ? 4 : 16;
	struct dht_peer *p = NULL;

	for (size_t i = 0; i < dht->peers_count; i++) {
		struct dht_peer *q = &dht->peers[i];

		if (memcmp(q->info_hash, info_hash, DTT_DHT_ID_BYTES) == 0 &&
		    q->addr.family == addr->family &&
		    memcmp(q->addr.addr, addr->addr, iplen) == 0) {
			p = q; /* one entry per (info_hash, IP): a re-announce moves the port */
			break;
		}
	}
	if (!p && dht->peers_count < dht->peers_cap) {
		p = &dht->peers[dht->peers_count++];
	} else if (!p && dht->peers_cap < dht->cfg.peers_max) {
		size_t cap = dht->peers_cap ? dht->peers_cap * 2 : PEERS_CAP_FIRST;
		struct dht_peer *grown;

		if (cap > dht->cfg.peers_max)
			cap = dht->cfg.peers_max;
		grown = dtt_realloc(dht->peers, cap * sizeof(*grown));
		if (grown) {
			dht->peers = grown;
			dht->peers_cap = cap;
			p = &dht->peers[dht->peers_count++];
		}
	}
	if (!p) {
		size_t soonest = 0;

		if (dht->peers_count == 0)
			return;
		for (size_t i = 1; i < dht->peers_count; i++) {
			if (dht->peers[i].expires_ms < dht->peers[soonest].expires_ms)
				soonest = i;
		}
		p = &dht->peers[soonest];
	}
	memcpy(p->info_hash, info_hash, DTT_DHT_ID_BYTES);
	p->addr = *addr;
	p->expires_ms = now + dht->cfg.peer_lifetime_ms;
	dht->stats.announces_accepted++;
	dtt_dht_expiry_arm(dht);
}

static void on_announce_peer(struct reply_ctx *rc)
{
	const struct dtt_krpc_msg *m = rc->msg;
	struct dtt_addr peer;
	uint8_t buf[DTT_DHT_DATAGRAM_MAX];
	struct dtt_wbuf w;

	if (!(m->has & DTT_KRPC_HAS_INFO_HASH) ||
	    (!(m->has & DTT_KRPC_HAS_PORT) && !m->implied_port) || rc->dht->cfg.peers_max == 0 ||
	    !token_valid(rc, m->info_hash)) {
		send_error(rc, DTT_DHT_CODE_PROTOCOL);
		return;
	}
	peer = *rc->from;
	if (!m->implied_port)
		peer.port = m->port;
	if (peer.port == 0) {
		send_error(rc, DTT_DHT_CODE_PROTOCOL);
		return;
	}
	peer_add(rc->dht, m->info_hash, &peer, dht_now(rc->dht));
	dtt_wbuf_init(&w, buf, sizeof(buf));
	if (dtt_krpc_encode_reply(&w, &rc->h, rc->dht->id) == 0)
		send_reply(rc, &w);
}

static void on_get(struct reply_ctx *rc)
{
	struct dtt_dht *dht = rc->dht;
	const struct dtt_krpc_msg *m = rc->msg;
	uint8_t buf[DTT_DHT_DATAGRAM_MAX], tok[DTT_TOKEN_BYTES];
	struct dtt_store_item it;
	struct dtt_krpc_item ki, *item = NULL;
	struct reply_nodes rn;
	const uint8_t *n4, *n6;
	size_t n4_len, n6_len;
	struct dtt_wbuf w;

	if (!(m->has & DTT_KRPC_HAS_TARGET)) {
		send_error(rc, DTT_DHT_CODE_PROTOCOL);
		return;
	}
	memset(&ki, 0, sizeof(ki));
	if (dtt_store_get(&dht->store, m->target, m->has & DTT_KRPC_HAS_SEQ, m->seq, dht_now(dht),
			  &it) == 0) {
		item = &ki;
		if (it.is_mutable) {
			ki.has_seq = true;
			ki.seq = it.seq;
		}
		if (!it.omit_v) {
			ki.v = it.v;
			ki.v_len = it.v_len;
			ki.k = it.k;
			ki.sig = it.sig;
		}
	}
	make_token(rc, m->target, tok);
	closest_nodes(rc, m->target, &rn);
	for (int attempt = 0; attempt < 3; attempt++) {
		nodes_for_try(&rn, attempt, &n4, &n4_len, &n6, &n6_len);
		dtt_wbuf_init(&w, buf, sizeof(buf));
		if (dtt_krpc_encode_get_reply(&w, &rc->h, dht->id, tok, sizeof(tok), n4, n4_len, n6,
					      n6_len, item) == 0) {
			send_reply(rc, &w);
			return;
		}
	}
}

static void on_put(struct reply_ctx *rc)
{
	struct dtt_dht *dht = rc->dht;
	const struct dtt_krpc_msg *m = rc->msg;
	uint8_t buf[DTT_DHT_DATAGRAM_MAX], target[DTT_DHT_ID_BYTES];
	uint64_t now = dht_now(dht);
	struct dtt_wbuf w;
	int r;

	/* Before any work (token, signature): a flood costs us one table lookup each. */
	if (!dtt_store_rate_allow(&dht->store, rc->from, now)) {
		dht->stats.dropped[DTT_DHT_DROP_RATE_LIMITED]++;
		return;
	}
	if (!(m->has & DTT_KRPC_HAS_V)) {
		r = DTT_BEP44_ERR_PROTOCOL;
	} else if (m->has & DTT_KRPC_HAS_K) {
		struct dtt_store_mutable sm = {
		    .k = m->k,
		    .sig = m->sig,
		    .salt = m->salt,
		    .salt_len = m->salt_len,
		    .seq = m->seq,
		    .has_cas = m->has & DTT_KRPC_HAS_CAS,
		    .cas = m->cas,
		    .v = m->v,
		    .v_len = m->v_len,
		};

		if (!(m->has & DTT_KRPC_HAS_SIG) || !(m->has & DTT_KRPC_HAS_SEQ)) {
			r = DTT_BEP44_ERR_PROTOCOL;
		} else {
			dtt_bep44_mutable_target(target, m->k, m->salt, m->salt_len);
			r = dtt_store_put_mutable(&dht->store, token_valid(rc, target), target, &sm,
						  now);
		}
	} else {
		dtt_bep44_immutable_target(target, m->v, m->v_len);
		r = dtt_store_put_immutable(&dht->store, token_valid(rc, target), target, m->v,
					    m->v_len, now);
	}
	if (r < 0) {
		r = 202; /* out of memory or full: a server error, the writer tries elsewhere */
	} else if (r == 0) {
		dht->stats.puts_accepted++;
		dtt_dht_expiry_arm(dht);
		dtt_wbuf_init(&w, buf, sizeof(buf));
		if (dtt_krpc_encode_reply(&w, &rc->h, dht->id) == 0)
			send_reply(rc, &w);
		return;
	}
	dht->stats.puts_rejected[dtt_dht_code_index(r)]++;
	send_error(rc, dtt_dht_code_index(r));
}

static void on_query(struct dtt_dht *dht, const struct dtt_addr *from, const struct dtt_krpc_msg *m)
{
	struct reply_ctx rc = {.dht = dht, .from = from, .msg = m};

	rc.h.t = m->t;
	rc.h.t_len = m->t_len;
	rc.h.ip = from; /* BEP 42: tell the requester how we see it */
	dht->stats.queries_received[m->method]++;
	switch (m->method) {
	case DTT_KRPC_PING: on_ping(&rc); break;
	case DTT_KRPC_FIND_NODE: on_find_node(&rc); break;
	case DTT_KRPC_GET_PEERS: on_get_peers(&rc); break;
	case DTT_KRPC_ANNOUNCE_PEER: on_announce_peer(&rc); break;
	case DTT_KRPC_GET: on_get(&rc); break;
	case DTT_KRPC_PUT: on_put(&rc); break;
	default: send_error(&rc, DTT_DHT_CODE_METHOD); break;
	}
	/* After the answer, so the reply leaves before any ping the table asks for.
	 * BEP 43: a read-only querier is served but never inserted. */
	if (!m->ro)
		rt_heard(dht, m->id, from, false);
}

/* ---- replies to our queries ---- */

static void vote_addr(struct dtt_dht *dht, const struct dtt_addr *from, const struct dtt_addr *ip)
{
	if (!dht->addr_vote) {
		dht->addr_vote = dtt_alloc(sizeof(*dht->addr_vote));
		if (!dht->addr_vote)
			return; /* this vote is lost; the next reply tries again */
		dtt_addr_vote_init(dht->addr_vote);
	}
	dht->stats.ip_votes++;
	dtt_addr_vote_cast(dht->addr_vote, from, ip);
}

static void on_response(struct dtt_dht *dht, const struct dtt_addr *from,
			const struct dtt_krpc_msg *m)
{
	uint16_t i = rpc_match(dht, m->t, m->t_len, from);
	struct dht_rpc r;

	if (i == DHT_RPC_NONE) {
		dht->stats.dropped[DTT_DHT_DROP_UNSOLICITED]++;
		return;
	}
	rpc_take(dht, i, &r);
	if (m->type == DTT_KRPC_ERROR) {
		int64_t code = m->error_code;

		dht->stats.errors_received[dtt_dht_code_index(code)]++;
		/* It answered, so it is alive (and the ping the rt asked for is settled). */
		if (r.flags & RPC_F_ID)
			rt_heard(dht, r.id, from, true);
		if (r.op)
			dtt_dht_op_on_fail(dht, &r, code ? code : 201);
		return;
	}
	if (memcmp(m->id, dht->id, DTT_DHT_ID_BYTES) == 0) {
		/* Our own id coming back: a reflection or a spoof. The query failed. */
		dht->stats.dropped[DTT_DHT_DROP_OWN_ID]++;
		if (r.flags & RPC_F_ID)
			rt_failed(dht, r.id, &r.addr);
		if (r.op)
			dtt_dht_op_on_fail(dht, &r, 0);
		return;
	}
	dht->stats.responses_received++;
	/* Another id at the address we asked: the node we meant is not there any more. */
	if ((r.flags & RPC_F_ID) && memcmp(r.id, m->id, DTT_DHT_ID_BYTES) != 0)
		rt_failed(dht, r.id, &r.addr);
	rt_heard(dht, m->id, from, true);
	/* BEP 42: a reply to our own query says where we are seen from */
	if ((m->has & DTT_KRPC_HAS_IP) && dht->cfg.vote_addr)
		vote_addr(dht, from, &m->ip);
	if (r.op)
		dtt_dht_op_on_reply(dht, &r, from, m);
}

void dtt_dht_on_datagram(struct dtt_dht *dht, const struct dtt_addr *from, const uint8_t *buf,
			 size_t len)
{
	struct dtt_krpc_msg m;

	dht->stats.datagrams_in++;
	dht->stats.bytes_in += len;
	if ((from->family != DTT_AF_INET && from->family != DTT_AF_INET6) || from->port == 0) {
		dht->stats.dropped[DTT_DHT_DROP_BAD_FROM]++;
		return;
	}
	dtt_dht_enter(dht);
	if (dtt_krpc_decode(&m, buf, len)) {
		dht->stats.dropped[m.drop]++;
		/* A query whose t, y and q were readable but whose arguments were not: answer
		 * 203 as BEP 5 asks (a read-only node answers nothing). */
		if (m.type == DTT_KRPC_QUERY && m.drop >= DTT_KRPC_DROP_BAD_ARGS &&
		    !dht->cfg.read_only) {
			struct reply_ctx rc = {.dht = dht, .from = from, .msg = &m};

			rc.h.t = m.t;
			rc.h.t_len = m.t_len;
			rc.h.ip = from;
			send_error(&rc, DTT_DHT_CODE_PROTOCOL);
		}
		goto out;
	}
	if (m.type == DTT_KRPC_QUERY) {
		if (dht->cfg.read_only)
			dht->stats.dropped[DTT_DHT_DROP_READ_ONLY]++;
		else if (memcmp(m.id, dht->id, DTT_DHT_ID_BYTES) == 0)
			dht->stats.dropped[DTT_DHT_DROP_OWN_ID]++;
		else
			on_query(dht, from, &m);
	} else {
		on_response(dht, from, &m);
	}
out:
	dtt_dht_leave(dht);
}
