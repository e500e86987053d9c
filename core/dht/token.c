/* token.c - BEP 5 write tokens: keyed BLAKE2b over (IP, target), secret rotated on a grid.
 *
 * Timers: none; rotation happens lazily in make/check (or in dtt_token_tick). */
#include "token.h"

#include <sodium.h>
#include <string.h>

#define MAC_BYTES 16 /* crypto_generichash_BYTES_MIN; the token is its prefix */
#define MSG_MAX	  (1 + 16 + DTT_TOKEN_TARGET_BYTES)

_Static_assert(DTT_TOKEN_SECRET_BYTES == crypto_generichash_KEYBYTES, "secret size");
_Static_assert(MAC_BYTES >= crypto_generichash_BYTES_MIN, "BLAKE2b output too short");
_Static_assert(DTT_TOKEN_BYTES <= MAC_BYTES, "token longer than its MAC");

void dtt_token_init(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms,
		    uint64_t rotate_ms)
{
	memset(t, 0, sizeof(*t));
	t->rotate_ms = rotate_ms ? rotate_ms : DTT_DHT_TOKEN_ROTATE_MS;
	t->epoch_ms = now_ms;
	dtt_env_random(env, t->cur, sizeof(t->cur));
	dtt_env_random(env, t->prev, sizeof(t->prev));
}

void dtt_token_deinit(struct dtt_token *t)
{
	sodium_memzero(t, sizeof(*t));
}

void dtt_token_rotate(struct dtt_token *t, const uint8_t fresh[static DTT_TOKEN_SECRET_BYTES])
{
	memcpy(t->prev, t->cur, sizeof(t->prev));
	memcpy(t->cur, fresh, sizeof(t->cur));
	t->rotations++;
}

uint64_t dtt_token_next_rotation_ms(const struct dtt_token *t)
{
	return t->epoch_ms > UINT64_MAX - t->rotate_ms ? UINT64_MAX : t->epoch_ms + t->rotate_ms;
}

void dtt_token_tick(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms)
{
	uint8_t fresh[DTT_TOKEN_SECRET_BYTES];
	uint64_t due, n;

	if (now_ms < t->epoch_ms || now_ms - t->epoch_ms < t->rotate_ms)
		return;
	due = (now_ms - t->epoch_ms) / t->rotate_ms;
	/* Stay on the grid, so a late call does not stretch the current epoch. */
	t->epoch_ms += due * t->rotate_ms;
	n = due < 2 ? due : 2;
	while (n--) {
		dtt_env_random(env, fresh, sizeof(fresh));
		dtt_token_rotate(t, fresh);
	}
	sodium_memzero(fresh, sizeof(fresh));
}

static void mac(uint8_t out[static DTT_TOKEN_BYTES], const uint8_t secret[DTT_TOKEN_SECRET_BYTES],
		const struct dtt_addr *ip, const uint8_t target[DTT_TOKEN_TARGET_BYTES])
{
	uint8_t msg[MSG_MAX], full[MAC_BYTES];
	size_t iplen = ip->family == DTT_AF_INET ? 4 : 16, n = 0;

	msg[n++] = ip->family;
	memcpy(msg + n, ip->addr, iplen);
	n += iplen;
	memcpy(msg + n, target, DTT_TOKEN_TARGET_BYTES);
	n += DTT_TOKEN_TARGET_BYTES;
	crypto_generichash(full, sizeof(full), msg, n, secret, DTT_TOKEN_SECRET_BYTES);
	memcpy(out, full, DTT_TOKEN_BYTES);
}

void dtt_token_make(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms,
		    const struct dtt_addr *ip, const uint8_t target[static DTT_TOKEN_TARGET_BYTES],
		    uint8_t out[static DTT_TOKEN_BYTES])
{
	dtt_token_tick(t, env, now_ms);
	mac(out, t->cur, ip, target);
}

bool dtt_token_check(struct dtt_token *t, const struct dtt_env *env, uint64_t now_ms,
		     const struct dtt_addr *ip, const uint8_t target[static DTT_TOKEN_TARGET_BYTES],
		     const uint8_t *tok, size_t tok_len)
{
	uint8_t a[DTT_TOKEN_BYTES], b[DTT_TOKEN_BYTES];
	int ok_cur, ok_prev;

	dtt_token_tick(t, env, now_ms);
	if (tok_len != DTT_TOKEN_BYTES)
		return false;
	mac(a, t->cur, ip, target);
	mac(b, t->prev, ip, target);
	ok_cur = sodium_memcmp(a, tok, DTT_TOKEN_BYTES) == 0;
	ok_prev = sodium_memcmp(b, tok, DTT_TOKEN_BYTES) == 0;
	return (ok_cur | ok_prev) != 0;
}
