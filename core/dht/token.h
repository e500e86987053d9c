/* token.h - BEP 5 / BEP 44 write tokens bound to (requester IP, target), rotating secret.
 *
 * token = BLAKE2b-128 keyed with a 32-byte secret over (family, IP bytes, target), first
 * DTT_TOKEN_BYTES bytes. The port is not bound (BEP 5 binds the IP only). Secrets come from
 * env randomness at init and at each rotation; the secret rotates every rotate_ms (default
 * 5 min) on a fixed grid that starts at init, and both the current and the previous secret
 * are accepted, so a token lives between rotate_ms and 2 * rotate_ms.
 *
 * Timers: none of its own. Rotation is lazy: make/check rotate first when due, and
 * dtt_token_next_rotation_ms tells a caller that wants eager rotation when to call
 * dtt_token_tick. Owns its secrets (wiped by deinit); borrows the env during calls.
 */
#ifndef DTT_DHT_TOKEN_H
#define DTT_DHT_TOKEN_H

#include "env.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTT_TOKEN_BYTES		8
#define DTT_TOKEN_SECRET_BYTES	32
#define DTT_TOKEN_TARGET_BYTES	20
#define DTT_DHT_TOKEN_ROTATE_MS (5 * 60 * 1000)

struct dtt_token {
	uint8_t cur[DTT_TOKEN_SECRET_BYTES];
	uint8_t prev[DTT_TOKEN_SECRET_BYTES];
	uint64_t epoch_ms;  /* when cur became current (on the rotation grid) */
	uint64_t rotate_ms; /* rotation period, > 0 */
	uint64_t rotations; /* secrets drawn after init, for stats */
};

/* Draws both secrets from env randomness; the grid starts at now_ms. rotate_ms 0 means
 * DTT_DHT_TOKEN_ROTATE_MS. */
void dtt_token_init(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms,
		    uint64_t rotate_ms);
/* Wipes the secrets. */
void dtt_token_deinit(struct dtt_token *t);

/* Rotates to the given fresh secret now (cur becomes prev) without moving the grid; for a
 * caller that supplies its own random bytes. */
void dtt_token_rotate(struct dtt_token *t, const uint8_t fresh[static DTT_TOKEN_SECRET_BYTES]);

/* Performs every rotation due at now_ms (at most two draw new secrets: older ones would be
 * dropped at once). A clock that goes backwards rotates nothing. */
void dtt_token_tick(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms);

/* When the next rotation is due. */
uint64_t dtt_token_next_rotation_ms(const struct dtt_token *t);

/* Writes the token for (ip, target) under the current secret, after dtt_token_tick.
 * ip's port is ignored. */
void dtt_token_make(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms,
		    const struct dtt_addr *ip, const uint8_t target[static DTT_TOKEN_TARGET_BYTES],
		    uint8_t out[static DTT_TOKEN_BYTES]);

/* True if tok (tok_len bytes, from the network) is the token of (ip, target) under the
 * current or the previous secret, after dtt_token_tick. Constant-time compare; any length
 * other than DTT_TOKEN_BYTES is false. */
bool dtt_token_check(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms,
		     const struct dtt_addr *ip, const uint8_t target[static DTT_TOKEN_TARGET_BYTES],
		     const uint8_t *tok, size_t tok_len);

#endif
