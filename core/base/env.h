/* env.h - the seam between the core and the world (clocks, datagrams, randomness, logs).
 *
 * The core never reads a clock, opens a socket, draws randomness or prints: every one of those
 * goes through a struct dtt_env that its creator owns and that outlives the core objects using
 * it. Inbound work enters through on_datagram / on_deadline calls of the layer above.
 */
#ifndef DTT_BASE_ENV_H
#define DTT_BASE_ENV_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* An IPv4 or IPv6 UDP endpoint; addr holds the address in network byte order, port is host
 * order. Plain data: compare with dtt_addr_eq, never with memcmp on padding. */
struct dtt_addr {
	uint8_t family; /* DTT_AF_INET or DTT_AF_INET6 */
	uint8_t addr[16];
	uint16_t port;
};

#define DTT_AF_INET 4
#define DTT_AF_INET6 6
#define DTT_ADDR_STR_MAX 64 /* "[v6 address]:65535" and a NUL, with room */

enum dtt_log_level {
	DTT_LOG_ERROR = 0,
	DTT_LOG_WARN = 1,
	DTT_LOG_INFO = 2,
	DTT_LOG_DEBUG = 3,
	DTT_LOG_TRACE = 4,
};

struct dtt_env_ops {
	uint64_t (*now_ms)(void *ctx); /* monotonic; timeouts and timers           */
	int64_t (*wall_ms)(void *ctx); /* unix time; protocol time (minute slots)  */
	int (*send)(void *ctx, const struct dtt_addr *to, const uint8_t *buf, size_t len);
	void (*random)(void *ctx, uint8_t *buf, size_t len);
	void (*log)(void *ctx, int level, const char *module, const char *msg);
};

struct dtt_crypto; /* core/crypto/provider.h */

struct dtt_env {
	const struct dtt_env_ops *ops;
	void *ctx;
	int log_level; /* messages above this level are not formatted at all */
	/* The asymmetric primitives and their memo (provider.h); NULL: the real primitives with
	 * no memo, as every real node runs. Borrowed, outlives the core objects. */
	const struct dtt_crypto *crypto;
};

static inline uint64_t dtt_env_now_ms(const struct dtt_env *env)
{
	return env->ops->now_ms(env->ctx);
}

static inline int64_t dtt_env_wall_ms(const struct dtt_env *env)
{
	return env->ops->wall_ms(env->ctx);
}

/* Returns 0 or a negative DTT_ERR_*; a failed send is the same as a lost datagram. */
static inline int dtt_env_send(const struct dtt_env *env, const struct dtt_addr *to,
			       const uint8_t *buf, size_t len)
{
	return env->ops->send(env->ctx, to, buf, len);
}

static inline void dtt_env_random(const struct dtt_env *env, void *buf, size_t len)
{
	env->ops->random(env->ctx, (uint8_t *)buf, len);
}

/* A uniform value in [0, bound) drawn from env randomness (bound 0 gives 0). */
uint64_t dtt_env_uniform(const struct dtt_env *env, uint64_t bound);

/* The unix minute of the env's wall clock: floor(wall_ms / 60000), never negative. */
uint64_t dtt_env_unix_minute(const struct dtt_env *env);

bool dtt_addr_eq(const struct dtt_addr *a, const struct dtt_addr *b);
/* Writes "a.b.c.d:port" or "[v6]:port" into out (DTT_ADDR_STR_MAX bytes). Returns out. */
char *dtt_addr_str(const struct dtt_addr *a, char out[DTT_ADDR_STR_MAX]);
/* Parses "a.b.c.d:port" or "[v6]:port" (numeric only). Returns 0 or DTT_ERR_INVALID. */
int dtt_addr_parse(struct dtt_addr *out, const char *s);
/* An IPv4 address from 4 network-order bytes and a host-order port. */
void dtt_addr_ipv4(struct dtt_addr *out, const uint8_t ip[4], uint16_t port);

#endif
