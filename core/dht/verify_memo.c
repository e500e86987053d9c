/* verify_memo.c - a direct-mapped memo of BEP 44 signature checks (spec/DHT.md §4).
 *
 * Owns its two arrays (keys, outcomes), allocated once by dtt_verify_memo_new; borrows every
 * input of a check. Timers: none.
 */
#include "verify_memo.h"
#include "provider.h"
#include "alloc.h"
#include "err.h"

#include <string.h>

enum memo_state {
	SLOT_EMPTY = 0,
	SLOT_VALID = 1,	  /* dtt_bep44_verify returned 0 */
	SLOT_INVALID = 2, /* dtt_bep44_verify returned DTT_ERR_AUTH */
};

struct dtt_verify_memo {
	uint8_t (*keys)[DTT_VERIFY_MEMO_KEY_BYTES];
	uint8_t *state; /* enum memo_state per slot */
	size_t mask;	/* slots - 1 */
	struct dtt_verify_memo_stats stats;
};

struct dtt_verify_memo *dtt_verify_memo_new(size_t slots_max)
{
	struct dtt_verify_memo *memo;
	size_t slots = 1;

	if (slots_max == 0 || slots_max > DTT_VERIFY_MEMO_SLOTS_MAX)
		return NULL;
	while (slots * 2 <= slots_max)
		slots *= 2;
	memo = dtt_alloc(sizeof(*memo));
	if (!memo)
		return NULL;
	memo->keys = dtt_alloc(slots * sizeof(memo->keys[0]));
	memo->state = dtt_alloc(slots);
	if (!memo->keys || !memo->state) {
		dtt_verify_memo_free(memo);
		return NULL;
	}
	memo->mask = slots - 1;
	return memo;
}

void dtt_verify_memo_free(struct dtt_verify_memo *memo)
{
	if (!memo)
		return;
	dtt_free(memo->keys);
	dtt_free(memo->state);
	dtt_free(memo);
}

/* The slot of a key: its first bytes, which are as uniform as SHA-512 output. */
static size_t slot_of(const struct dtt_verify_memo *memo, const uint8_t *key)
{
	uint64_t x = 0;

	for (int i = 0; i < 8; i++)
		x = x << 8 | key[i];
	return (size_t)(x & memo->mask);
}

int dtt_verify_memo_check(struct dtt_verify_memo *memo, const struct dtt_crypto *c,
			  const uint8_t sig[static DTT_BEP44_SIG_BYTES],
			  const uint8_t k[static DTT_BEP44_K_BYTES], const uint8_t *salt,
			  size_t salt_len, int64_t seq, const uint8_t *v, size_t v_len)
{
	uint8_t buf[DTT_BEP44_SIGNABLE_MAX], full[DTT_SHA512_BYTES];
	struct dtt_sha512 h;
	size_t slot;
	int n, r;

	if (!memo)
		return dtt_bep44_verify(c, sig, k, salt, salt_len, seq, v, v_len);
	/* The same steps as dtt_bep44_verify, with the table between signable and verify. */
	if (v_len > DTT_BEP44_V_MAX || salt_len > DTT_BEP44_SALT_MAX)
		return DTT_ERR_TOOBIG;
	n = dtt_bep44_signable(buf, sizeof(buf), salt, salt_len, seq, v, v_len);
	if (n < 0)
		return n;
	dtt_sha512_init(&h);
	dtt_sha512_update(&h, sig, DTT_BEP44_SIG_BYTES);
	dtt_sha512_update(&h, k, DTT_BEP44_K_BYTES);
	dtt_sha512_update(&h, buf, (size_t)n);
	dtt_sha512_final(&h, full);
	slot = slot_of(memo, full);
	memo->stats.checks++;
	if (memo->state[slot] != SLOT_EMPTY &&
	    memcmp(memo->keys[slot], full, DTT_VERIFY_MEMO_KEY_BYTES) == 0) {
		memo->stats.hits++;
		return memo->state[slot] == SLOT_VALID ? 0 : DTT_ERR_AUTH;
	}
	r = dtt_crypto_verify(c, sig, buf, (size_t)n, k) == 0 ? 0 : DTT_ERR_AUTH;
	memo->stats.verified++;
	if (memo->state[slot] != SLOT_EMPTY)
		memo->stats.replaced++;
	memcpy(memo->keys[slot], full, DTT_VERIFY_MEMO_KEY_BYTES);
	memo->state[slot] = r == 0 ? SLOT_VALID : SLOT_INVALID;
	return r;
}

const struct dtt_verify_memo_stats *dtt_verify_memo_stats(const struct dtt_verify_memo *memo)
{
	return &memo->stats;
}

size_t dtt_verify_memo_slots(const struct dtt_verify_memo *memo)
{
	return memo->mask + 1;
}
