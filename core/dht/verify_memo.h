/* verify_memo.h - a bounded memo of BEP 44 signature checks (dtt_bep44_verify), so that the
 * same signed item seen again costs a hash instead of an Ed25519 verification (DESIGN.md
 * "Cost model"; spec/DHT.md §4).
 *
 * A check is a pure function of (sig, k, salt, seq, v): the memo stores its outcome, valid or
 * invalid, under a 256-bit key SHA-512(sig || k || signable(salt, seq, v))[0..32]. sig and k
 * have fixed lengths and the BEP 44 signable encodes salt, seq and v unambiguously, so the key
 * covers every input; a wrong hit would need a SHA-512 collision. Size violations
 * (DTT_ERR_TOOBIG) are decided before the table is consulted and never stored.
 *
 * The table is fixed at creation: slots_max entries (a power of two), direct-mapped by the
 * key, a newer outcome replacing the older one in its slot. Nothing is allocated per check.
 * Hits and misses never change a result, only its cost, so one memo may be shared by every
 * node of a process (the simulator hands one to all its nodes); a real node passes none
 * (dtt_dht_config.verify_memo = NULL) and verifies every time.
 *
 * Ownership: the creator frees; nodes borrow it, and it must outlive them. No timers, no
 * clock, no randomness. Single-threaded, like the whole core: nodes sharing a memo must run
 * on one thread.
 */
#ifndef DTT_DHT_VERIFY_MEMO_H
#define DTT_DHT_VERIFY_MEMO_H

#include "bep44.h"

#include <stddef.h>
#include <stdint.h>

#define DTT_VERIFY_MEMO_KEY_BYTES     32
#define DTT_VERIFY_MEMO_SLOTS_DEFAULT 65536
#define DTT_VERIFY_MEMO_SLOTS_MAX     (1u << 24)

struct dtt_verify_memo_stats {
	uint64_t checks;   /* checks that reached the table (sizes within the BEP 44 limits) */
	uint64_t hits;	   /* answered from the table */
	uint64_t verified; /* Ed25519 verifications run (the misses) */
	uint64_t replaced; /* stored outcomes that pushed an older key out of its slot */
};

struct dtt_verify_memo;

/* A memo of slots_max entries rounded down to a power of two (33 bytes each).
 * NULL when slots_max is 0 or above DTT_VERIFY_MEMO_SLOTS_MAX, or when allocation fails. */
struct dtt_verify_memo *dtt_verify_memo_new(size_t slots_max);
/* NULL is a no-op. */
void dtt_verify_memo_free(struct dtt_verify_memo *memo);

/* Exactly dtt_bep44_verify(sig, k, salt, salt_len, seq, v, v_len) (same return values: 0,
 * DTT_ERR_AUTH or DTT_ERR_TOOBIG), answered from the memo when the same inputs were checked
 * before. memo NULL: plain dtt_bep44_verify. All inputs are borrowed. */
struct dtt_crypto;
/* c: the signature provider (provider.h), NULL for the real Ed25519. One memo must only ever
 * see one provider. */
DTT_MUST_CHECK int dtt_verify_memo_check(struct dtt_verify_memo *memo, const struct dtt_crypto *c,
					 const uint8_t sig[static DTT_BEP44_SIG_BYTES],
					 const uint8_t k[static DTT_BEP44_K_BYTES],
					 const uint8_t *salt, size_t salt_len, int64_t seq,
					 const uint8_t *v, size_t v_len);

/* Counters since creation. */
const struct dtt_verify_memo_stats *dtt_verify_memo_stats(const struct dtt_verify_memo *memo);
/* The number of slots (after rounding). */
size_t dtt_verify_memo_slots(const struct dtt_verify_memo *memo);

#endif
