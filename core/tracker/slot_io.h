/* slot_io.h - reading and publishing the records of a topic's per-minute slot through the DHT
 * (spec/PROTOCOL.md §6.2, §6.4, §7.2), improved where §11 says the reference is weak:
 *   - values are opened as they stream in, and a get that hits its deadline keeps what it
 *     found (no all-or-nothing get);
 *   - one long-lived DHT node: a failed put is retried without rebuilding the routing table.
 *
 * Owns: the operation states below (allocated per operation, freed after their done
 * callback). Borrows: the dht, the timers, the env, the memo and the topic keys, which must
 * outlive every operation started with them.
 * Timers: a publish arms one timer for its put deadline and retry back-off.
 * Callback rules: as dht.h — a start call either fails (no callback) or its done callback
 * fires exactly once, never inside the start call.
 */
#ifndef DTT_TRACKER_SLOT_IO_H
#define DTT_TRACKER_SLOT_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dht.h"
#include "memo.h"
#include "record.h"
#include "timer.h"

#define DTT_SLOT_PUBLISHERS_MAX 32 /* distinct publishers one get remembers */

/* What identifies a topic's records: topic hash, secret hash and the rotation. With
 * has_slot_topic the slot (signing key, salt, target) is derived from slot_topic instead of
 * the topic hash; the records in it stay the same (topic, encryption). */
struct dtt_topic_keys {
	uint8_t topic[DTT_TOPIC_BYTES];
	uint8_t secret_hash[32];
	struct dtt_rotation rotation;
	bool has_slot_topic;
	uint8_t slot_topic[DTT_TOPIC_BYTES];
};

/* The topic hash a slot is derived from. */
static inline const uint8_t *dtt_topic_keys_slot(const struct dtt_topic_keys *tk)
{
	return tk->has_slot_topic ? tk->slot_topic : tk->topic;
}

/* --- get_records(m) --- */
typedef void (*dtt_records_cb)(void *ctx, const struct dtt_peer_record *rec);
/* status: 0 (lookup converged), DTT_ERR_TIMEOUT (deadline; what arrived was delivered),
 * DTT_ERR_NOTFOUND (nothing stored), DTT_ERR_CANCELED; records: distinct publishers. */
typedef void (*dtt_records_done_cb)(void *ctx, int status, size_t records);

struct dtt_records_get;

/* Reads the slot of (topic, minute): every value that opens and verifies, whose publisher is
 * not own_pk (NULL: keep all) and not seen before in this get, goes to record_cb as it
 * arrives. Returns 0 and the operation in *out (for dtt_records_get_cancel), or a negative
 * DTT_ERR_* (no callback). */
int dtt_records_get(struct dtt_records_get **out, struct dtt_dht *dht,
		    const struct dtt_topic_keys *tk, uint64_t minute, const uint8_t *own_pk,
		    struct dtt_record_memo *memo, dtt_records_cb record_cb,
		    dtt_records_done_cb done_cb, void *ctx);
/* done_cb fires inside with DTT_ERR_CANCELED. */
void dtt_records_get_cancel(struct dtt_records_get *g);

/* --- publish_record --- */
struct dtt_publish_config {
	uint32_t max_records;        /* the per-minute cap (max_bootstrap_records), default 5 */
	uint32_t retries;            /* put retries after the first attempt, default 3 */
	uint32_t base_retry_ms;      /* default 5000 */
	uint32_t max_retry_jitter_ms; /* default 10000 */
	uint32_t put_timeout_ms;     /* per attempt, default 10000 */
};
void dtt_publish_config_init(struct dtt_publish_config *cfg);

enum dtt_publish_outcome {
	DTT_PUBLISH_PUT = 0,     /* stored by at least one node */
	DTT_PUBLISH_SKIPPED_CAP, /* the slot already held max_records other publishers */
	DTT_PUBLISH_FAILED,      /* every attempt failed */
	DTT_PUBLISH_CANCELED,
};
const char *dtt_publish_outcome_name(enum dtt_publish_outcome o);

struct dtt_publish_result {
	enum dtt_publish_outcome outcome;
	size_t existing; /* other publishers seen in the slot (or the cached count) */
	size_t stored;   /* nodes that stored the record (last attempt) */
	uint32_t attempts;
};
typedef void (*dtt_publish_done_cb)(void *ctx, const struct dtt_publish_result *res);

struct dtt_publish;

struct dtt_publish_args {
	struct dtt_dht *dht;
	struct dtt_timers *timers;
	const struct dtt_env *env;
	const struct dtt_topic_keys *tk;
	struct dtt_record_memo *memo;
	const struct dtt_publish_config *cfg;
	uint64_t minute;
	const uint8_t *node_sk;  /* the node's ed25519 key (seed || pk), 64 bytes, copied */
	const uint8_t *content;  /* record content (copied), content_len bytes */
	size_t content_len;
	long cached_existing;    /* publishers already seen in this slot, or -1 to read it first */
};

/* §7.2: read the slot (unless cached), skip when the cap is reached, otherwise seal the record
 * and put it with seq = cas = INT64_MAX, retrying as configured. */
int dtt_publish_start(struct dtt_publish **out, const struct dtt_publish_args *args,
		      dtt_publish_done_cb done_cb, void *ctx);
void dtt_publish_cancel(struct dtt_publish *p);

#endif
