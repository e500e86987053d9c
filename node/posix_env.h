/* posix_env.h - the real world behind struct dtt_env: monotonic and wall clocks, libsodium
 * randomness (or a seeded stream for reproducible runs), stderr logging and one UDP socket. */
#ifndef DTT_NODE_POSIX_ENV_H
#define DTT_NODE_POSIX_ENV_H

#include <stdbool.h>

#include "env.h"
#include "rng.h"

struct dtt_posix_env {
	struct dtt_env env;
	int fd; /* the UDP socket, -1 until dtt_posix_env_bind */
	bool seeded;
	struct dtt_rng rng; /* used instead of libsodium when seeded */
	uint64_t send_errors;
};

/* Sets up clocks, randomness and logging. The log level comes from $DTT_LOG (error, warn,
 * info, debug, trace; default warn). seed is NULL for real randomness, or 32 bytes that make
 * every random byte of this process reproducible. Returns 0 or DTT_ERR_CRYPTO. */
int dtt_posix_env_init(struct dtt_posix_env *pe, const uint8_t *seed);
/* Opens and binds the UDP socket (non-blocking). 0 or DTT_ERR_IO (errno is kept). */
int dtt_posix_env_bind(struct dtt_posix_env *pe, const struct dtt_addr *local);
/* The bound address (after bind with port 0, the port the kernel chose). */
int dtt_posix_env_local(const struct dtt_posix_env *pe, struct dtt_addr *out);
void dtt_posix_env_deinit(struct dtt_posix_env *pe);

/* Resolves "host:port" (names allowed) to an IPv4 address. 0 or DTT_ERR_INVALID. */
int dtt_posix_resolve(struct dtt_addr *out, const char *hostport);

#endif
