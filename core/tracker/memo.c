/* memo.c - direct-mapped cache of record opening results. */
#include "memo.h"

#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "err.h"

struct dtt_record_memo_entry {
	uint8_t key[32];
	bool used;
	int8_t err;   /* dtt_record_open's result */
	uint8_t check; /* enum dtt_record_check */
	struct dtt_peer_record rec;
};

int dtt_record_memo_init(struct dtt_record_memo *m, size_t entries_max)
{
	memset(m, 0, sizeof(*m));
	m->entries_max = entries_max ? entries_max : DTT_RECORD_MEMO_DEFAULT;
	m->entries = dtt_alloc(m->entries_max * sizeof(*m->entries));
	if (!m->entries)
		return DTT_ERR_NOMEM;
	return 0;
}

void dtt_record_memo_deinit(struct dtt_record_memo *m)
{
	dtt_free(m->entries);
	m->entries = NULL;
}

static void memo_key(uint8_t key[32], const uint8_t *value, size_t len, const uint8_t enc_seed[32],
		     const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute)
{
	struct dtt_sha512 s;
	uint8_t full[DTT_SHA512_BYTES], le[8];

	dtt_store_le64(le, minute);
	dtt_sha512_init(&s);
	dtt_sha512_update(&s, topic, DTT_TOPIC_BYTES);
	dtt_sha512_update(&s, le, sizeof(le));
	dtt_sha512_update(&s, enc_seed, 32);
	dtt_sha512_update(&s, value, len);
	dtt_sha512_final(&s, full);
	memcpy(key, full, 32);
}

static int open_record(const struct dtt_crypto *c, const uint8_t *value, size_t len, const uint8_t enc_seed[32],
		       const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute,
		       struct dtt_peer_record *out, enum dtt_record_check *check)
{
	struct dtt_record r;
	int err = dtt_record_open(c, &r, value, len, enc_seed, topic, minute, check);

	memset(out, 0, sizeof(*out));
	if (err)
		return err;
	out->minute = minute;
	memcpy(out->pub_key, r.pub_key, 32);
	out->has_content = dtt_gossip_content_decode(&out->content, r.content, r.content_len) == 0;
	dtt_record_addrs_decode(&out->addrs, r.content, r.content_len);
	return 0;
}

int dtt_record_memo_open(struct dtt_record_memo *m, const struct dtt_crypto *cr,
			 const uint8_t *value, size_t len,
			 const uint8_t enc_seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
			 uint64_t minute, struct dtt_peer_record *out, enum dtt_record_check *check)
{
	struct dtt_record_memo_entry *e;
	enum dtt_record_check c;
	uint8_t key[32];
	int err;

	if (!m || !m->entries)
		return open_record(cr, value, len, enc_seed, topic, minute, out, check);
	memo_key(key, value, len, enc_seed, topic, minute);
	e = &m->entries[dtt_load_le64(key) % m->entries_max];
	if (e->used && memcmp(e->key, key, sizeof(key)) == 0) {
		m->hits++;
		*out = e->rec;
		if (check)
			*check = (enum dtt_record_check)e->check;
		return e->err;
	}
	m->misses++;
	err = open_record(cr, value, len, enc_seed, topic, minute, out, &c);
	memcpy(e->key, key, sizeof(key));
	e->used = true;
	e->err = (int8_t)err;
	e->check = (uint8_t)c;
	e->rec = *out;
	if (check)
		*check = c;
	return err;
}
