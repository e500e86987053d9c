/* lookup.c - iterative Kademlia lookups of the DHT node (BEP 5 find_node, BEP 44 get/put):
 * bootstrap, bucket refresh, get_mutable and put_mutable, with cancel.
 *
 * An operation owns its shortlist (shortlist_max candidates sorted by XOR distance to the
 * target), its copies of the caller's inputs and, for a get, the digests of the values it
 * delivered. Its RPCs live in the node's RPC slots and name the operation by id, so a
 * finished operation simply stops receiving their outcomes.
 * Timers: one per operation (op->timer -> op_timer_expired): first a "kick" at start time
 * (the queries go out from the timer, so no callback can fire inside a start call), then the
 * lookup deadline (lookup_timeout_ms), then the put phase deadline (query_timeout_ms).
 */
#include "dht.h"
#include "dht_priv.h"

#include <string.h>

#include "alloc.h"
#include "bencode.h"
#include "bep44.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "log.h"
#include "verify_memo.h"

#define REPLY_NODES_TAKE 16 /* nodes taken from one reply, per family */

enum op_kind { OP_GET, OP_PUT, OP_BOOTSTRAP, OP_REFRESH };
enum op_phase { PH_KICK, PH_LOOKUP, PH_STORE };
enum entry_state { E_NEW, E_INFLIGHT, E_ANSWERED, E_FAILED };

#define E_F_TOKEN 0x01 /* put: returned a token */
#define E_F_VALUE 0x02 /* put: returned a value (so cas goes to it) */

struct op_entry {
	uint8_t id[DTT_DHT_ID_BYTES];
	struct dtt_addr addr;
	uint8_t state;
	uint8_t flags;
	uint8_t token_len;
};

struct op_token {
	uint8_t b[DTT_KRPC_TOKEN_MAX];
};

struct dht_op {
	struct dht_op *next;
	struct dtt_dht *dht;
	struct dtt_timer timer;
	int64_t id;
	uint8_t kind, phase;
	bool finished;
	bool deadline_hit;
	uint8_t target[DTT_DHT_ID_BYTES];
	uint64_t started_ms;
	uint16_t count;		 /* entries in e[] */
	uint16_t inflight;	 /* lookup queries outstanding (bootstrap addresses included) */
	uint16_t store_inflight; /* puts outstanding */
	struct op_entry *e;	 /* shortlist_max, nearest first */
	struct op_token *tok;	 /* put only, parallel to e[] */
	size_t responded, queried;
	void *ctx;
	dtt_dht_value_cb value_cb;
	dtt_dht_get_done_cb get_done;
	dtt_dht_put_done_cb put_done;
	void (*boot_done)(void *ctx, int status, size_t nodes);

	/* get */
	uint8_t (*seen)[DTT_SHA1_BYTES]; /* values_max digests of (seq, v) delivered */
	uint16_t seen_count;
	size_t values;
	uint8_t pk[DTT_BEP44_K_BYTES];
	uint8_t salt[DTT_BEP44_SALT_MAX];
	uint8_t salt_len;

	/* put */
	int64_t seq, cas;
	bool has_cas;
	uint8_t sig[DTT_BEP44_SIG_BYTES];
	size_t stored, failed, errors[DTT_DHT_CODE__COUNT];
	uint16_t v_len;
	uint8_t *v;

	/* bootstrap */
	struct dtt_addr *seeds;
	uint16_t seeds_count;
};

static void op_timer_expired(struct dtt_timer *t);

/* ---- bookkeeping ---- */

static struct dht_op *op_find(struct dtt_dht *dht, int64_t id)
{
	for (struct dht_op *op = dht->ops; op; op = op->next) {
		if (op->id == id)
			return op;
	}
	return NULL;
}

static void op_unlink(struct dtt_dht *dht, struct dht_op *op)
{
	struct dht_op **pp = &dht->ops, *prev = NULL;

	while (*pp && *pp != op) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = op->next;
	if (dht->ops_tail == op)
		dht->ops_tail = prev;
	dht->ops_count--;
}

static uint64_t elapsed(const struct dht_op *op)
{
	uint64_t now = dht_now(op->dht);

	return now > op->started_ms ? now - op->started_ms : 0;
}

/* Ends the operation: its done callback fires now, exactly once; the memory waits in the
 * zombie list until the outermost entry point returns. */
static void op_finish(struct dht_op *op, int status)
{
	struct dtt_dht *dht = op->dht;

	if (op->finished)
		return;
	op->finished = true;
	dtt_timer_cancel(dht->timers, &op->timer);
	op_unlink(dht, op);
	op->next = dht->zombies;
	dht->zombies = op;
	dht->stats.lookups_finished++;
	dtt_log_debug(dht->env, "dht", "op %lld kind %u done: %s, %zu responded", (long long)op->id,
		      op->kind, dtt_strerror(status), op->responded);

	switch (op->kind) {
	case OP_GET: {
		struct dtt_dht_get_result res = {
		    .status = status,
		    .values = op->values,
		    .responded = op->responded,
		    .queried = op->queried,
		    .elapsed_ms = elapsed(op),
		};

		op->get_done(op->ctx, &res);
		break;
	}
	case OP_PUT: {
		struct dtt_dht_put_result res = {
		    .status = status,
		    .stored = op->stored,
		    .failed = op->failed,
		    .responded = op->responded,
		    .elapsed_ms = elapsed(op),
		};

		memcpy(res.errors, op->errors, sizeof(res.errors));
		op->put_done(op->ctx, &res);
		break;
	}
	case OP_BOOTSTRAP: op->boot_done(op->ctx, status, dtt_rt_node_count(&dht->rt)); break;
	default: break;
	}
}

void dtt_dht_ops_reap(struct dtt_dht *dht)
{
	while (dht->zombies) {
		struct dht_op *op = dht->zombies;

		dht->zombies = op->next;
		dtt_free(op->seen);
		dtt_free(op);
	}
}

void dtt_dht_ops_cancel_all(struct dtt_dht *dht)
{
	/* A callback may cancel others or (while not closing) start more: always take the
	 * oldest still running. */
	while (dht->ops)
		op_finish(dht->ops, DTT_ERR_CANCELED);
}

void dtt_dht_cancel(struct dtt_dht *dht, int64_t id)
{
	struct dht_op *op = op_find(dht, id);

	if (!op)
		return;
	dtt_dht_enter(dht);
	op_finish(op, DTT_ERR_CANCELED);
	dtt_dht_leave(dht);
}

/* ---- the shortlist ---- */

static bool addr_usable(const struct dtt_addr *a)
{
	return (a->family == DTT_AF_INET || a->family == DTT_AF_INET6) && a->port != 0;
}

static int entry_find(const struct dht_op *op, const uint8_t *id)
{
	for (int i = 0; i < op->count; i++) {
		if (memcmp(op->e[i].id, id, DTT_DHT_ID_BYTES) == 0)
			return i;
	}
	return -1;
}

/* Inserts (id, addr) in distance order unless known, our own id or too far to keep (the
 * farthest entry makes room). Returns the entry's index or -1. */
static int entry_add(struct dht_op *op, const uint8_t *id, const struct dtt_addr *addr)
{
	const size_t max = op->dht->cfg.shortlist_max;
	int pos, found = entry_find(op, id);

	if (found >= 0)
		return found;
	if (memcmp(id, op->dht->id, DTT_DHT_ID_BYTES) == 0 || !addr_usable(addr))
		return -1;
	pos = op->count;
	while (pos > 0 && dtt_rt_distance_cmp(op->target, id, op->e[pos - 1].id) < 0)
		pos--;
	if ((size_t)pos >= max)
		return -1;
	if (op->count == max)
		op->count--; /* the farthest goes; its RPC, if any, still ends the normal way */
	memmove(&op->e[pos + 1], &op->e[pos], (size_t)(op->count - pos) * sizeof(op->e[0]));
	if (op->tok)
		memmove(&op->tok[pos + 1], &op->tok[pos],
			(size_t)(op->count - pos) * sizeof(op->tok[0]));
	memset(&op->e[pos], 0, sizeof(op->e[0]));
	memcpy(op->e[pos].id, id, DTT_DHT_ID_BYTES);
	op->e[pos].addr = *addr;
	op->e[pos].state = E_NEW;
	op->count++;
	return pos;
}

static void entries_from_rt(struct dht_op *op)
{
	struct dtt_rt_node rn[DTT_DHT_SHORTLIST_MAX];
	size_t want = (size_t)op->dht->cfg.k * 2;
	size_t n;

	if (want > op->dht->cfg.shortlist_max)
		want = op->dht->cfg.shortlist_max;
	if (want > DTT_DHT_SHORTLIST_MAX)
		want = DTT_DHT_SHORTLIST_MAX;
	n = dtt_rt_closest(&op->dht->rt, op->target, rn, want);
	for (size_t i = 0; i < n; i++)
		entry_add(op, rn[i].id, &rn[i].addr);
}

static void entries_from_reply(struct dht_op *op, const struct dtt_krpc_msg *m)
{
	struct dtt_krpc_node kn[REPLY_NODES_TAKE];
	int n;

	if (m->has & DTT_KRPC_HAS_NODES) {
		n = dtt_krpc_nodes_decode(kn, REPLY_NODES_TAKE, m->nodes, m->nodes_len,
					  DTT_AF_INET);
		for (int i = 0; i < n; i++)
			entry_add(op, kn[i].id, &kn[i].addr);
	}
	if (m->has & DTT_KRPC_HAS_NODES6) {
		n = dtt_krpc_nodes_decode(kn, REPLY_NODES_TAKE, m->nodes6, m->nodes6_len,
					  DTT_AF_INET6);
		for (int i = 0; i < n; i++)
			entry_add(op, kn[i].id, &kn[i].addr);
	}
}

/* ---- the lookup phase ---- */

static void op_store_phase(struct dht_op *op);

static int op_query(struct dht_op *op, struct op_entry *e)
{
	struct dht_query q = {.target = op->target};
	int rc;

	q.method = (op->kind == OP_GET || op->kind == OP_PUT) ? DTT_KRPC_GET : DTT_KRPC_FIND_NODE;
	rc = dtt_dht_rpc_send(op->dht, &e->addr, e->id, op->id, 0, &q);
	if (rc == 0) {
		e->state = E_INFLIGHT;
		op->inflight++;
		op->queried++;
	}
	return rc;
}

/* After a bootstrap: one find_node lookup on a random id in each bucket below our own
 * (Kademlia's join), so the table knows the far side of the id space, not only our
 * neighbourhood; lookups started from there then converge on the true K closest. */
static void bootstrap_refresh(struct dtt_dht *dht)
{
	size_t buckets = dtt_rt_bucket_count(&dht->rt);
	uint8_t target[DTT_DHT_ID_BYTES];

	for (size_t i = 0; i + 1 < buckets && dht_internal_room(dht); i++) {
		size_t byte = i / 8;
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));
		uint8_t keep = (uint8_t) ~(bit | (bit - 1)); /* the i bits before this one */

		/* the first i bits are ours, bit i differs, the rest is random */
		dtt_env_random(dht->env, target, sizeof(target));
		memcpy(target, dht->id, byte);
		target[byte] = (uint8_t)((dht->id[byte] & keep) | (~dht->id[byte] & bit) |
					 (target[byte] & (bit - 1)));
		if (dtt_dht_op_refresh(dht, target))
			break;
	}
}

static void op_converged(struct dht_op *op)
{
	size_t nodes = dtt_rt_node_count(&op->dht->rt);

	switch (op->kind) {
	case OP_GET: op_finish(op, op->values ? 0 : DTT_ERR_NOTFOUND); break;
	case OP_PUT: op_store_phase(op); break;
	case OP_BOOTSTRAP:
		if (nodes)
			bootstrap_refresh(op->dht);
		op_finish(op, nodes ? 0 : DTT_ERR_TIMEOUT);
		break;
	default: op_finish(op, 0); break;
	}
}

/* Keeps alpha queries in flight to the nearest unqueried candidates among the k nearest
 * that have not failed; converged when none is in flight and none of those is unqueried. */
static void op_step(struct dht_op *op)
{
	const struct dtt_dht_config *cfg = &op->dht->cfg;
	size_t live = 0;

	if (op->finished || op->phase != PH_LOOKUP)
		return;
	for (int i = 0; i < op->count && live < cfg->k; i++) {
		struct op_entry *e = &op->e[i];

		if (e->state == E_FAILED)
			continue;
		if (e->state == E_NEW) {
			if (op->inflight >= cfg->alpha)
				break;
			/* No RPC slot (rpcs_max outstanding): nothing would wake this lookup
			 * up again, so the candidate counts as failed. */
			if (op_query(op, e)) {
				e->state = E_FAILED;
				continue;
			}
		}
		live++;
	}
	if (op->inflight == 0)
		op_converged(op);
}

/* ---- get: checking and streaming values ---- */

static void value_digest(uint8_t out[DTT_SHA1_BYTES], int64_t seq, const uint8_t *v, size_t v_len)
{
	uint8_t s[8];

	dtt_store_be64(s, (uint64_t)seq);
	dtt_sha1_2(out, s, sizeof(s), v, v_len);
}

static void op_take_value(struct dht_op *op, const struct dtt_addr *from,
			  const struct dtt_krpc_msg *m)
{
	struct dtt_dht *dht = op->dht;
	const uint32_t need = DTT_KRPC_HAS_K | DTT_KRPC_HAS_SIG | DTT_KRPC_HAS_SEQ;
	uint8_t d[DTT_SHA1_BYTES];
	struct dtt_dht_value val;

	if (!(m->has & DTT_KRPC_HAS_V))
		return; /* nothing stored there (or only seq, which we never ask for) */
	if ((m->has & need) != need || memcmp(m->k, op->pk, sizeof(op->pk)) != 0 ||
	    m->v_len > DTT_BEP44_V_MAX) {
		dht->stats.dropped[DTT_DHT_DROP_BAD_ITEM]++;
		return;
	}
	/* Digest first: a value already delivered was verified then, so an identical copy
	 * costs a hash, not a signature check (DESIGN.md cost model). */
	value_digest(d, m->seq, m->v, m->v_len);
	for (uint16_t i = 0; i < op->seen_count; i++) {
		if (memcmp(op->seen[i], d, sizeof(d)) == 0)
			return;
	}
	if (op->seen_count >= dht->cfg.values_max) {
		dht->stats.dropped[DTT_DHT_DROP_VALUES_FULL]++;
		return;
	}
	if (dtt_verify_memo_check(dht->cfg.verify_memo, dht->env->crypto, m->sig, m->k, op->salt,
				  op->salt_len, m->seq, m->v, m->v_len)) {
		dht->stats.dropped[DTT_DHT_DROP_BAD_ITEM]++;
		return;
	}
	memcpy(op->seen[op->seen_count++], d, sizeof(d));
	op->values++;
	dht->stats.values_delivered++;
	if (!op->value_cb)
		return;
	memset(&val, 0, sizeof(val));
	val.seq = m->seq;
	val.v = m->v;
	val.v_len = m->v_len;
	if (dtt_bep44_string_decode(m->v, m->v_len, &val.str, &val.str_len)) {
		val.str = NULL;
		val.str_len = 0;
	}
	val.k = op->pk;
	val.sig = m->sig;
	val.from = *from;
	op->value_cb(op->ctx, &val);
}

/* ---- RPC outcomes ---- */

static void op_put_done(struct dht_op *op)
{
	int status;
	size_t errs = 0;

	for (int i = 0; i < DTT_DHT_CODE__COUNT; i++)
		errs += op->errors[i];
	if (op->stored)
		status = 0;
	else if (errs)
		status = DTT_ERR_STATE;
	else
		status = DTT_ERR_TIMEOUT;
	op_finish(op, status);
}

static void op_store_outcome(struct dht_op *op, int64_t code, bool ok)
{
	if (op->phase != PH_STORE || op->store_inflight == 0)
		return;
	op->store_inflight--;
	if (ok)
		op->stored++;
	else if (code)
		op->errors[dtt_dht_code_index(code)]++;
	else
		op->failed++;
	if (op->store_inflight == 0)
		op_put_done(op);
}

void dtt_dht_op_on_reply(struct dtt_dht *dht, const struct dht_rpc *rpc,
			 const struct dtt_addr *from, const struct dtt_krpc_msg *m)
{
	struct dht_op *op = op_find(dht, rpc->op);
	int i;

	if (!op)
		return;
	if (rpc->flags & RPC_F_STORE) {
		op_store_outcome(op, 0, true);
		return;
	}
	if (op->phase != PH_LOOKUP || op->inflight == 0)
		return; /* a late reply after the deadline moved on */
	op->inflight--;
	op->responded++;
	/* A bootstrap address (no id known) enters the shortlist as it answers. */
	i = (rpc->flags & RPC_F_ID) ? entry_find(op, rpc->id) : entry_add(op, m->id, from);
	if (i >= 0) {
		struct op_entry *e = &op->e[i];

		e->state = E_ANSWERED;
		if (op->tok && (m->has & DTT_KRPC_HAS_TOKEN)) {
			e->flags |= E_F_TOKEN;
			e->token_len = m->token_len;
			memcpy(op->tok[i].b, m->token, m->token_len);
		}
		if (m->has & (DTT_KRPC_HAS_V | DTT_KRPC_HAS_SEQ))
			e->flags |= E_F_VALUE;
	}
	if (op->kind == OP_GET) {
		op_take_value(op, from, m);
		if (op->finished)
			return; /* the value callback canceled it */
	}
	entries_from_reply(op, m);
	op_step(op);
}

void dtt_dht_op_on_fail(struct dtt_dht *dht, const struct dht_rpc *rpc, int64_t code)
{
	struct dht_op *op = op_find(dht, rpc->op);
	int i;

	if (!op)
		return;
	if (rpc->flags & RPC_F_STORE) {
		op_store_outcome(op, code, false);
		return;
	}
	if (op->phase != PH_LOOKUP || op->inflight == 0)
		return;
	op->inflight--;
	if (rpc->flags & RPC_F_ID) {
		i = entry_find(op, rpc->id);
		if (i >= 0)
			op->e[i].state = E_FAILED;
	}
	op_step(op);
}

/* ---- put: the store phase ---- */

static void op_store_phase(struct dht_op *op)
{
	struct dtt_dht *dht = op->dht;
	struct dtt_krpc_item item = {
	    .v = op->v,
	    .v_len = op->v_len,
	    .k = op->pk,
	    .sig = op->sig,
	    .has_seq = true,
	    .seq = op->seq,
	    .salt = op->salt,
	    .salt_len = op->salt_len,
	};
	struct dht_query q = {.method = DTT_KRPC_PUT, .item = &item};
	size_t chosen = 0;

	op->phase = PH_STORE;
	dtt_timer_cancel(dht->timers, &op->timer);
	for (int i = 0; i < op->count && chosen < dht->cfg.k; i++) {
		struct op_entry *e = &op->e[i];

		if (e->state != E_ANSWERED || !(e->flags & E_F_TOKEN))
			continue;
		chosen++;
		/* BEP 44: cas only where a value was seen; elsewhere it would be ignored or,
		 * worse, refused against an item stored meanwhile. */
		item.has_cas = op->has_cas && (e->flags & E_F_VALUE);
		item.cas = op->cas;
		q.token = op->tok[i].b;
		q.token_len = e->token_len;
		if (dtt_dht_rpc_send(dht, &e->addr, e->id, op->id, RPC_F_STORE, &q) == 0)
			op->store_inflight++;
		else
			op->failed++;
	}
	if (chosen == 0) {
		op_finish(op, op->deadline_hit ? DTT_ERR_TIMEOUT : DTT_ERR_NOTFOUND);
		return;
	}
	if (op->store_inflight == 0) {
		op_put_done(op);
		return;
	}
	dtt_timer_arm(dht->timers, &op->timer, dht_now(dht) + dht->cfg.query_timeout_ms);
}

/* ---- the operation timer ---- */

static void op_kick(struct dht_op *op)
{
	struct dtt_dht *dht = op->dht;
	static const struct dht_query boot_q = {.method = DTT_KRPC_FIND_NODE};
	struct dht_query q = boot_q;

	op->phase = PH_LOOKUP;
	dtt_timer_arm(dht->timers, &op->timer, op->started_ms + dht->cfg.lookup_timeout_ms);
	entries_from_rt(op);
	q.target = dht->id;
	for (uint16_t i = 0; i < op->seeds_count; i++) {
		if (dtt_dht_rpc_send(dht, &op->seeds[i], NULL, op->id, 0, &q) == 0) {
			op->inflight++;
			op->queried++;
		}
	}
	op_step(op);
}

static void op_timer_expired(struct dtt_timer *t)
{
	struct dht_op *op = DTT_CONTAINER_OF(t, struct dht_op, timer);
	struct dtt_dht *dht = op->dht;

	dtt_dht_enter(dht);
	if (op->phase == PH_KICK) {
		op_kick(op);
	} else if (op->phase == PH_STORE) {
		op->failed += op->store_inflight;
		op->store_inflight = 0;
		op_put_done(op);
	} else {
		op->deadline_hit = true;
		switch (op->kind) {
		case OP_GET: op_finish(op, DTT_ERR_TIMEOUT); break;
		case OP_PUT:
			op_store_phase(op); /* with the tokens gathered so far */
			break;
		case OP_BOOTSTRAP:
			if (dtt_rt_node_count(&dht->rt))
				bootstrap_refresh(dht);
			op_finish(op, dtt_rt_node_count(&dht->rt) ? 0 : DTT_ERR_TIMEOUT);
			break;
		default: op_finish(op, 0); break;
		}
	}
	dtt_dht_leave(dht);
}

/* ---- starting operations ---- */

/* Allocates an operation with extra bytes behind its arrays, links it and arms its kick.
 * Returns NULL with *err set. */
static struct dht_op *op_new(struct dtt_dht *dht, uint8_t kind, const uint8_t *target, size_t extra,
			     int *err)
{
	size_t n = dht->cfg.shortlist_max;
	size_t size = sizeof(struct dht_op) + n * sizeof(struct op_entry);
	size_t tok_off = 0, extra_off;
	struct dht_op *op;

	if (dht->closing) {
		*err = DTT_ERR_STATE;
		return NULL;
	}
	if (dht->ops_count >= dht->cfg.lookups_max) {
		*err = DTT_ERR_FULL;
		return NULL;
	}
	if (kind == OP_PUT) {
		size = (size + 7) & ~(size_t)7;
		tok_off = size;
		size += n * sizeof(struct op_token);
	}
	extra_off = size;
	size += extra;
	op = dtt_alloc(size);
	if (!op) {
		*err = DTT_ERR_NOMEM;
		return NULL;
	}
	if (kind == OP_GET) {
		op->seen = dtt_alloc((size_t)dht->cfg.values_max * sizeof(op->seen[0]));
		if (!op->seen) {
			dtt_free(op);
			*err = DTT_ERR_NOMEM;
			return NULL;
		}
	}
	op->dht = dht;
	op->kind = kind;
	op->phase = PH_KICK;
	op->id = dht->next_op++;
	memcpy(op->target, target, DTT_DHT_ID_BYTES);
	op->started_ms = dht_now(dht);
	op->e = (struct op_entry *)(void *)(op + 1);
	if (tok_off)
		op->tok = (struct op_token *)(void *)((uint8_t *)op + tok_off);
	if (extra)
		op->v = (uint8_t *)op + extra_off; /* put: v; bootstrap: seeds */
	dtt_timer_init(&op->timer, op_timer_expired);
	if (dht->ops_tail)
		dht->ops_tail->next = op;
	else
		dht->ops = op;
	dht->ops_tail = op;
	dht->ops_count++;
	dht->stats.lookups_started++;
	dtt_timer_arm(dht->timers, &op->timer, op->started_ms);
	return op;
}

int dtt_dht_op_refresh(struct dtt_dht *dht, const uint8_t target[static DTT_DHT_ID_BYTES])
{
	int err = 0;

	return op_new(dht, OP_REFRESH, target, 0, &err) ? 0 : err;
}

static void recover_done(void *ctx, int status, size_t nodes)
{
	(void)ctx;
	(void)status;
	(void)nodes;
}

static int bootstrap_start(struct dtt_dht *dht, const struct dtt_addr *nodes, size_t n,
			   bool remember, void (*cb)(void *ctx, int status, size_t nodes),
			   void *ctx)
{
	struct dht_op *op;
	size_t use = n < DTT_DHT_BOOTSTRAP_MAX ? n : DTT_DHT_BOOTSTRAP_MAX;
	int err = 0;

	op = op_new(dht, OP_BOOTSTRAP, dht->id, use * sizeof(struct dtt_addr), &err);
	if (!op)
		return err;
	op->seeds = (struct dtt_addr *)(void *)op->v;
	op->v = NULL;
	for (size_t i = 0; i < use; i++) {
		if (addr_usable(&nodes[i]))
			op->seeds[op->seeds_count++] = nodes[i];
	}
	if (remember && op->seeds_count) {
		struct dtt_addr *seeds = dtt_realloc(dht->seeds, op->seeds_count * sizeof(*seeds));

		/* out of memory: the seeds of the bootstrap before stay */
		if (seeds) {
			memcpy(seeds, op->seeds, op->seeds_count * sizeof(*op->seeds));
			dht->seeds = seeds;
			dht->seeds_count = op->seeds_count;
		}
	}
	op->boot_done = cb;
	op->ctx = ctx;
	return 0;
}

int dtt_dht_bootstrap(struct dtt_dht *dht, const struct dtt_addr *nodes, size_t n,
		      void (*cb)(void *ctx, int status, size_t nodes), void *ctx)
{
	if (!cb || (n && !nodes) || (n == 0 && dtt_rt_node_count(&dht->rt) == 0))
		return DTT_ERR_INVALID;
	return bootstrap_start(dht, nodes, n, true, cb, ctx);
}

int dtt_dht_op_recover(struct dtt_dht *dht, const struct dtt_addr *addrs, size_t n)
{
	if (n == 0)
		return DTT_ERR_INVALID;
	return bootstrap_start(dht, addrs, n, false, recover_done, NULL);
}

int64_t dtt_dht_get_mutable(struct dtt_dht *dht, const uint8_t pk[32], const uint8_t *salt,
			    size_t salt_len, dtt_dht_value_cb value_cb, dtt_dht_get_done_cb done_cb,
			    void *ctx)
{
	uint8_t target[DTT_DHT_ID_BYTES];
	struct dht_op *op;
	int err = 0;

	if (!pk || !done_cb || salt_len > DTT_BEP44_SALT_MAX || (!salt && salt_len))
		return DTT_ERR_INVALID;
	dtt_bep44_mutable_target(target, pk, salt, salt_len);
	op = op_new(dht, OP_GET, target, 0, &err);
	if (!op)
		return err;
	memcpy(op->pk, pk, sizeof(op->pk));
	if (salt_len)
		memcpy(op->salt, salt, salt_len);
	op->salt_len = (uint8_t)salt_len;
	op->value_cb = value_cb;
	op->get_done = done_cb;
	op->ctx = ctx;
	return op->id;
}

/* True if v is exactly one canonical bencoded value within the token budget. */
static bool v_is_bencode(const uint8_t *v, size_t v_len)
{
	struct dtt_bencode_tok toks[DTT_DHT_PUT_V_BENCODE_MAX];

	return dtt_bencode_decode(v, v_len, toks, DTT_DHT_PUT_V_BENCODE_MAX,
				  DTT_KRPC_DEPTH_MAX - 2) > 0;
}

int64_t dtt_dht_put_mutable(struct dtt_dht *dht, const uint8_t sk[64], const uint8_t *salt,
			    size_t salt_len, int64_t seq, const int64_t *cas, const uint8_t *v,
			    size_t v_len, dtt_dht_put_done_cb done_cb, void *ctx)
{
	const uint8_t *pk = sk ? sk + DTT_ED25519_SEED_BYTES : NULL;
	uint8_t target[DTT_DHT_ID_BYTES], sig[DTT_BEP44_SIG_BYTES];
	struct dht_op *op;
	int err = 0;

	if (!sk || !v || !done_cb || v_len == 0 || v_len > DTT_BEP44_V_MAX ||
	    salt_len > DTT_BEP44_SALT_MAX || (!salt && salt_len) || seq < 0 ||
	    !v_is_bencode(v, v_len))
		return DTT_ERR_INVALID;
	if (dht->closing)
		return DTT_ERR_STATE;
	if (dht->ops_count >= dht->cfg.lookups_max)
		return DTT_ERR_FULL; /* before paying for the signature */
	if (dtt_bep44_sign(dht->env->crypto, sig, sk, salt, salt_len, seq, v, v_len))
		return DTT_ERR_INVALID;
	dtt_bep44_mutable_target(target, pk, salt, salt_len);
	op = op_new(dht, OP_PUT, target, v_len, &err);
	if (!op)
		return err;
	memcpy(op->pk, pk, sizeof(op->pk));
	if (salt_len)
		memcpy(op->salt, salt, salt_len);
	op->salt_len = (uint8_t)salt_len;
	op->seq = seq;
	op->has_cas = cas != NULL;
	op->cas = cas ? *cas : 0;
	memcpy(op->v, v, v_len);
	op->v_len = (uint16_t)v_len;
	memcpy(op->sig, sig, sizeof(sig));
	op->put_done = done_cb;
	op->ctx = ctx;
	return op->id;
}
