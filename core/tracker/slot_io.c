/* slot_io.c - get_records and publish_record over the DHT (spec/PROTOCOL.md §6, §7.2). */
#include "slot_io.h"

#include <string.h>
#include <sodium.h>

#include "alloc.h"
#include "bep44.h"
#include "err.h"
#include "provider.h"

/* --- get_records --- */

struct dtt_records_get {
	struct dtt_dht *dht;
	int64_t op;
	struct dtt_topic_keys tk;
	uint64_t minute;
	bool has_own;
	uint8_t own[32];
	uint8_t enc_seed[32];
	struct dtt_record_memo *memo;
	dtt_records_cb record_cb;
	dtt_records_done_cb done_cb;
	void *ctx;
	size_t seen_count;
	uint8_t seen[DTT_SLOT_PUBLISHERS_MAX][32];
};

static bool seen_before(struct dtt_records_get *g, const uint8_t pk[32])
{
	for (size_t i = 0; i < g->seen_count; i++)
		if (memcmp(g->seen[i], pk, 32) == 0)
			return true;
	return false;
}

static void get_value(void *ctx, const struct dtt_dht_value *v)
{
	struct dtt_records_get *g = ctx;
	struct dtt_peer_record rec;

	if (!v->str) /* records travel as bencoded byte strings */
		return;
	if (dtt_record_memo_open(g->memo, dtt_dht_env(g->dht)->crypto, v->str, v->str_len,
				 g->enc_seed, g->tk.topic, g->minute, &rec, NULL))
		return;
	if ((g->has_own && memcmp(rec.pub_key, g->own, 32) == 0) || seen_before(g, rec.pub_key) ||
	    g->seen_count == DTT_SLOT_PUBLISHERS_MAX)
		return;
	memcpy(g->seen[g->seen_count++], rec.pub_key, 32);
	if (g->record_cb)
		g->record_cb(g->ctx, &rec);
}

static void get_done(void *ctx, const struct dtt_dht_get_result *res)
{
	struct dtt_records_get *g = ctx;
	int status = res->status;

	if (status == DTT_ERR_NOTFOUND && g->seen_count)
		status = 0;
	g->done_cb(g->ctx, status, g->seen_count);
	sodium_memzero(g->enc_seed, sizeof(g->enc_seed));
	dtt_free(g);
}

int dtt_records_get(struct dtt_records_get **out, struct dtt_dht *dht,
		    const struct dtt_topic_keys *tk, uint64_t minute, const uint8_t *own_pk,
		    struct dtt_record_memo *memo, dtt_records_cb record_cb,
		    dtt_records_done_cb done_cb, void *ctx)
{
	struct dtt_records_get *g;
	struct dtt_slot slot;

	if (!done_cb)
		return DTT_ERR_INVALID;
	g = dtt_alloc(sizeof(*g));
	if (!g)
		return DTT_ERR_NOMEM;
	g->dht = dht;
	g->tk = *tk;
	g->minute = minute;
	if (own_pk) {
		g->has_own = true;
		memcpy(g->own, own_pk, 32);
	}
	g->memo = memo;
	g->record_cb = record_cb;
	g->done_cb = done_cb;
	g->ctx = ctx;
	dtt_rotation_seed(&tk->rotation, g->enc_seed, tk->topic, minute, tk->secret_hash);
	dtt_slot_derive(dtt_dht_env(dht)->crypto, &slot, dtt_topic_keys_slot(tk), minute);
	g->op = dtt_dht_get_mutable(dht, slot.pk, slot.salt, sizeof(slot.salt), get_value, get_done,
				    g);
	sodium_memzero(&slot, sizeof(slot));
	if (g->op < 0) {
		int err = (int)g->op;

		dtt_free(g);
		return err;
	}
	if (out)
		*out = g;
	return 0;
}

void dtt_records_get_cancel(struct dtt_records_get *g)
{
	dtt_dht_cancel(g->dht, g->op);
}

/* --- publish_record --- */

void dtt_publish_config_init(struct dtt_publish_config *cfg)
{
	cfg->max_records = 5;
	cfg->retries = 3;
	cfg->base_retry_ms = 5000;
	cfg->max_retry_jitter_ms = 10000;
	cfg->put_timeout_ms = 10000;
}

const char *dtt_publish_outcome_name(enum dtt_publish_outcome o)
{
	switch (o) {
	case DTT_PUBLISH_PUT: return "published";
	case DTT_PUBLISH_SKIPPED_CAP: return "skipped_cap";
	case DTT_PUBLISH_FAILED: return "failed";
	case DTT_PUBLISH_CANCELED: return "canceled";
	}
	return "?";
}

enum publish_state {
	PUB_DECIDE,   /* timer: compare the cached count with the cap */
	PUB_READING,  /* records get running */
	PUB_PUTTING,  /* put running, timer = its deadline */
	PUB_BACKOFF,  /* timer = next attempt */
};

struct dtt_publish {
	struct dtt_dht *dht;
	struct dtt_timers *timers;
	const struct dtt_env *env;
	struct dtt_topic_keys tk;
	struct dtt_record_memo *memo;
	struct dtt_publish_config cfg;
	uint64_t minute;
	uint8_t sk[64];
	uint8_t *content;
	size_t content_len;
	enum publish_state state;
	struct dtt_timer timer;
	struct dtt_records_get *get;
	int64_t put_op;
	bool canceled;
	struct dtt_publish_result res;
	size_t v_len;
	uint8_t v[DTT_BEP44_V_MAX];
	dtt_publish_done_cb done_cb;
	void *ctx;
};

static void publish_finish(struct dtt_publish *p, enum dtt_publish_outcome outcome)
{
	p->res.outcome = outcome;
	dtt_timer_cancel(p->timers, &p->timer);
	p->done_cb(p->ctx, &p->res);
	sodium_memzero(p->sk, sizeof(p->sk));
	dtt_free(p->content);
	dtt_free(p);
}

/* Seals the record once (all attempts put the same bytes). 0 or a negative DTT_ERR_*. */
static int publish_seal(struct dtt_publish *p)
{
	uint8_t enc_seed[32], sealed[DTT_ENCRYPTED_RECORD_MAX];
	struct dtt_record rec;
	int n;

	n = dtt_record_make(p->env->crypto, &rec, p->tk.topic, p->minute, p->content, p->content_len, p->sk);
	if (n)
		return n;
	dtt_rotation_seed(&p->tk.rotation, enc_seed, p->tk.topic, p->minute, p->tk.secret_hash);
	n = dtt_record_seal(p->env, &rec, enc_seed, sealed, sizeof(sealed));
	sodium_memzero(enc_seed, sizeof(enc_seed));
	if (n < 0)
		return n;
	n = dtt_bep44_string_encode(p->v, sizeof(p->v), sealed, (size_t)n);
	if (n < 0)
		return DTT_ERR_TOOBIG;
	p->v_len = (size_t)n;
	return 0;
}

static void put_done(void *ctx, const struct dtt_dht_put_result *res);

static void publish_attempt(struct dtt_publish *p)
{
	const int64_t cas = DTT_SLOT_SEQ;
	struct dtt_slot slot;

	p->res.attempts++;
	if (!p->v_len && publish_seal(p)) {
		publish_finish(p, DTT_PUBLISH_FAILED);
		return;
	}
	dtt_slot_derive(p->env->crypto, &slot, dtt_topic_keys_slot(&p->tk), p->minute);
	p->put_op = dtt_dht_put_mutable(p->dht, slot.sk, slot.salt, sizeof(slot.salt), DTT_SLOT_SEQ,
					&cas, p->v, p->v_len, put_done, p);
	sodium_memzero(&slot, sizeof(slot));
	if (p->put_op < 0) {
		/* no room for an operation now: count it as a failed attempt */
		struct dtt_dht_put_result none = {.status = (int)p->put_op};

		p->put_op = 0;
		put_done(p, &none);
		return;
	}
	p->state = PUB_PUTTING;
	dtt_timer_arm(p->timers, &p->timer, dtt_env_now_ms(p->env) + p->cfg.put_timeout_ms);
}

static void put_done(void *ctx, const struct dtt_dht_put_result *res)
{
	struct dtt_publish *p = ctx;

	p->put_op = 0;
	dtt_timer_cancel(p->timers, &p->timer);
	p->res.stored = res->stored;
	if (res->status == 0) {
		publish_finish(p, DTT_PUBLISH_PUT);
		return;
	}
	if (p->canceled) {
		publish_finish(p, DTT_PUBLISH_CANCELED);
		return;
	}
	if (p->res.attempts > p->cfg.retries) {
		publish_finish(p, DTT_PUBLISH_FAILED);
		return;
	}
	p->state = PUB_BACKOFF;
	dtt_timer_arm(p->timers, &p->timer,
		      dtt_env_now_ms(p->env) + p->cfg.base_retry_ms +
			      dtt_env_uniform(p->env, p->cfg.max_retry_jitter_ms));
}

static void publish_decide(struct dtt_publish *p)
{
	if (p->res.existing >= p->cfg.max_records)
		publish_finish(p, DTT_PUBLISH_SKIPPED_CAP);
	else
		publish_attempt(p);
}

static void read_done(void *ctx, int status, size_t records)
{
	struct dtt_publish *p = ctx;

	p->get = NULL;
	if (status == DTT_ERR_CANCELED) {
		publish_finish(p, DTT_PUBLISH_CANCELED);
		return;
	}
	/* a failed read counts what it saw (an empty slot if nothing answered) */
	p->res.existing = records;
	publish_decide(p);
}

static void publish_expired(struct dtt_timer *t)
{
	struct dtt_publish *p = DTT_CONTAINER_OF(t, struct dtt_publish, timer);

	switch (p->state) {
	case PUB_DECIDE: publish_decide(p); break;
	case PUB_PUTTING:
		/* put_timeout: end this attempt; put_done decides on a retry */
		dtt_dht_cancel(p->dht, p->put_op);
		break;
	case PUB_BACKOFF: publish_attempt(p); break;
	case PUB_READING: break;
	}
}

int dtt_publish_start(struct dtt_publish **out, const struct dtt_publish_args *a,
		      dtt_publish_done_cb done_cb, void *ctx)
{
	struct dtt_publish *p;
	int err;

	if (!done_cb || !a->node_sk || a->content_len > DTT_RECORD_CONTENT_MAX)
		return DTT_ERR_INVALID;
	p = dtt_alloc(sizeof(*p));
	if (!p)
		return DTT_ERR_NOMEM;
	p->content = dtt_alloc(a->content_len);
	if (!p->content) {
		dtt_free(p);
		return DTT_ERR_NOMEM;
	}
	if (a->content_len)
		memcpy(p->content, a->content, a->content_len);
	p->content_len = a->content_len;
	p->dht = a->dht;
	p->timers = a->timers;
	p->env = a->env;
	p->tk = *a->tk;
	p->memo = a->memo;
	if (a->cfg)
		p->cfg = *a->cfg;
	else
		dtt_publish_config_init(&p->cfg);
	p->minute = a->minute;
	memcpy(p->sk, a->node_sk, 64);
	p->done_cb = done_cb;
	p->ctx = ctx;
	dtt_timer_init(&p->timer, publish_expired);
	if (a->cached_existing >= 0) {
		p->res.existing = (size_t)a->cached_existing;
		p->state = PUB_DECIDE;
		dtt_timer_arm(p->timers, &p->timer, dtt_env_now_ms(p->env));
	} else {
		p->state = PUB_READING;
		err = dtt_records_get(&p->get, p->dht, &p->tk, p->minute, p->sk + 32, p->memo, NULL,
				      read_done, p);
		if (err) {
			sodium_memzero(p->sk, sizeof(p->sk));
			dtt_free(p->content);
			dtt_free(p);
			return err;
		}
	}
	if (out)
		*out = p;
	return 0;
}

void dtt_publish_cancel(struct dtt_publish *p)
{
	p->canceled = true;
	switch (p->state) {
	case PUB_READING: dtt_records_get_cancel(p->get); break;
	case PUB_PUTTING: dtt_dht_cancel(p->dht, p->put_op); break;
	case PUB_DECIDE:
	case PUB_BACKOFF: publish_finish(p, DTT_PUBLISH_CANCELED); break;
	}
}
