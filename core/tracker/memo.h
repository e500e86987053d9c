/* memo.h - a pure-function cache of record opening (DESIGN.md, "Cost model").
 *
 * Opening an EncryptedRecord (two HPKE layers and a strict signature check) is a pure function
 * of (value, topic, minute, encryption seed), and the same 604-byte value reaches a member many
 * times: from every storing node, on every poll, from both minutes queried. The memo keys each
 * result by SHA-512/256 of all those inputs, so a member never opens the same bytes twice; the
 * simulator may hand one memo to every member of a topic (results stay identical, only the
 * work is shared). Fixed size, direct-mapped: a new entry replaces the one in its slot.
 * Memory: entries_max * ~370 bytes, allocated once.
 */
#ifndef DTT_TRACKER_MEMO_H
#define DTT_TRACKER_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define DTT_RECORD_MEMO_DEFAULT 1024

/* What the tracker keeps of an opened record. */
struct dtt_peer_record {
	uint64_t minute;
	uint8_t pub_key[32];
	bool has_content; /* content decoded as GossipRecordContent (>= 320 bytes) */
	struct dtt_gossip_content content;
	struct dtt_record_addrs addrs; /* from the dtt trailer, when present */
};

struct dtt_record_memo {
	size_t entries_max;
	struct dtt_record_memo_entry *entries;
	uint64_t hits, misses;
};

/* entries_max 0 means DTT_RECORD_MEMO_DEFAULT. 0 or DTT_ERR_NOMEM. */
int dtt_record_memo_init(struct dtt_record_memo *m, size_t entries_max);
void dtt_record_memo_deinit(struct dtt_record_memo *m);

/* Opens value for (topic, minute, enc_seed) through the memo (m may be NULL: no caching) with
 * the crypto provider c (provider.h; NULL: real). One memo must only ever see one provider.
 * Returns 0 and fills out, or the error of dtt_record_open (*check names the failed check). */
int dtt_record_memo_open(struct dtt_record_memo *m, const struct dtt_crypto *c,
			 const uint8_t *value, size_t len,
			 const uint8_t enc_seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
			 uint64_t minute, struct dtt_peer_record *out, enum dtt_record_check *check);

#endif
