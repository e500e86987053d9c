/* fake_env.c - deterministic env for unit tests. */
#include "fake_env.h"

#include <stdio.h>
#include <string.h>

static uint64_t fake_now(void *ctx)
{
	return ((struct fake_env *)ctx)->now_ms;
}

static int64_t fake_wall(void *ctx)
{
	return ((struct fake_env *)ctx)->wall_ms;
}

static int fake_send(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len)
{
	struct fake_env *f = ctx;

	if (f->send_result)
		return f->send_result;
	if (f->sent_count < FAKE_ENV_SENT_MAX && len <= FAKE_ENV_DGRAM_MAX) {
		struct fake_dgram *d = &f->sent[f->sent_count++];

		d->to = *to;
		d->len = len;
		memcpy(d->buf, buf, len);
	}
	return 0;
}

static void fake_random(void *ctx, uint8_t *buf, size_t len)
{
	dtt_rng_fill(&((struct fake_env *)ctx)->rng, buf, len);
}

static void fake_log(void *ctx, int level, const char *module, const char *msg)
{
	struct fake_env *f = ctx;

	f->log_count++;
	snprintf(f->last_log, sizeof(f->last_log), "%s: %s", module, msg);
}

static const struct dtt_env_ops fake_ops = {
	.now_ms = fake_now,
	.wall_ms = fake_wall,
	.send = fake_send,
	.random = fake_random,
	.log = fake_log,
};

void fake_env_init(struct fake_env *f, uint64_t seed, uint64_t now_ms, int64_t wall_ms)
{
	memset(f, 0, sizeof(*f));
	f->env.ops = &fake_ops;
	f->env.ctx = f;
	f->env.log_level = DTT_LOG_DEBUG;
	f->now_ms = now_ms;
	f->wall_ms = wall_ms;
	dtt_rng_seed(&f->rng, seed);
}

void fake_env_advance(struct fake_env *f, uint64_t ms)
{
	f->now_ms += ms;
	f->wall_ms += (int64_t)ms;
}

void fake_env_clear_sent(struct fake_env *f)
{
	f->sent_count = 0;
}
