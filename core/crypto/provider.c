/* provider.c - the asymmetric primitives through an optional memo of pure-function results. */
#include "provider.h"

#include <sodium.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "err.h"

#define SLOTS_LIMIT (1u << 24)

/* A slot: used byte, key, value. */
struct table {
	uint8_t *slots;
	size_t count; /* power of two */
	size_t key_len, val_len;
	struct dtt_crypto_memo_stats st;
};

struct dtt_crypto_memo {
	struct table t[DTT_CRYPTO_MEMO__COUNT];
};

/* key and value bytes: dh (pk pair -> DH value, ok byte), conv (Ed25519 pk -> X25519, ok byte),
 * keypair (seed -> pk), pkcheck (pk -> valid byte). */
static const size_t key_bytes[DTT_CRYPTO_MEMO__COUNT] = {64, 32, 32, 32};
static const size_t val_bytes[DTT_CRYPTO_MEMO__COUNT] = {33, 33, 32, 1};
static const size_t default_slots[DTT_CRYPTO_MEMO__COUNT] = {1u << 16, 1u << 15, 1u << 12,
							     1u << 14};
static const char *const names[] = {"dh", "conv", "keypair", "pkcheck"};
_Static_assert(sizeof(names) / sizeof(names[0]) == DTT_CRYPTO_MEMO__COUNT,
	       "one name per value");

size_t dtt_crypto_memo_slot_bytes(enum dtt_crypto_memo_table t)
{
	return 1 + key_bytes[t] + val_bytes[t];
}

const char *dtt_crypto_memo_table_name(enum dtt_crypto_memo_table t)
{
	return (unsigned)t < DTT_CRYPTO_MEMO__COUNT ? names[t] : "invalid";
}

static size_t round_pow2_down(size_t n)
{
	size_t p = 1;

	while (p <= n / 2)
		p *= 2;
	return p;
}

struct dtt_crypto_memo *dtt_crypto_memo_new(const struct dtt_crypto_memo_sizes *sizes)
{
	struct dtt_crypto_memo *m = dtt_alloc(sizeof(*m));

	if (!m)
		return NULL;
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < DTT_CRYPTO_MEMO__COUNT; i++) {
		size_t n = sizes && sizes->slots[i] ? sizes->slots[i] : default_slots[i];
		struct table *t = &m->t[i];

		if (n > SLOTS_LIMIT) {
			dtt_crypto_memo_free(m);
			return NULL;
		}
		t->count = round_pow2_down(n);
		t->key_len = key_bytes[i];
		t->val_len = val_bytes[i];
		t->slots = dtt_alloc(t->count * dtt_crypto_memo_slot_bytes((enum dtt_crypto_memo_table)i));
		if (!t->slots) {
			dtt_crypto_memo_free(m);
			return NULL;
		}
		memset(t->slots, 0, t->count * dtt_crypto_memo_slot_bytes((enum dtt_crypto_memo_table)i));
	}
	return m;
}

void dtt_crypto_memo_free(struct dtt_crypto_memo *m)
{
	if (!m)
		return;
	for (int i = 0; i < DTT_CRYPTO_MEMO__COUNT; i++)
		if (m->t[i].slots)
			dtt_free_secret(m->t[i].slots,
					m->t[i].count *
					    dtt_crypto_memo_slot_bytes((enum dtt_crypto_memo_table)i));
	dtt_free(m);
}

const struct dtt_crypto_memo_stats *dtt_crypto_memo_stats(const struct dtt_crypto_memo *m,
							  enum dtt_crypto_memo_table t)
{
	return &m->t[t].st;
}

size_t dtt_crypto_memo_bytes(const struct dtt_crypto_memo *m)
{
	size_t n = sizeof(*m);

	for (int i = 0; i < DTT_CRYPTO_MEMO__COUNT; i++)
		n += m->t[i].count * dtt_crypto_memo_slot_bytes((enum dtt_crypto_memo_table)i);
	return n;
}

/* The slot of key: keys are public keys, seeds and hashes, so their first bytes are already
 * well spread; a crafted key only evicts, the full key is compared. */
static uint8_t *slot_of(struct table *t, const uint8_t *key)
{
	uint64_t h = dtt_load_le64(key) ^ (dtt_load_le64(key + t->key_len - 8) * 0x9e3779b97f4a7c15u);

	return t->slots + (h & (t->count - 1)) * (1 + t->key_len + t->val_len);
}

/* The value stored for key, or NULL (counted as a lookup). */
static const uint8_t *lookup(struct table *t, const uint8_t *key, uint8_t **slot)
{
	uint8_t *s = slot_of(t, key);

	t->st.lookups++;
	*slot = s;
	if (s[0] && memcmp(s + 1, key, t->key_len) == 0) {
		t->st.hits++;
		return s + 1 + t->key_len;
	}
	return NULL;
}

static void store(struct table *t, uint8_t *slot, const uint8_t *key, const uint8_t *val)
{
	if (slot[0])
		t->st.evictions++;
	slot[0] = 1;
	memcpy(slot + 1, key, t->key_len);
	memcpy(slot + 1 + t->key_len, val, t->val_len);
}

static struct table *table(const struct dtt_crypto *c, enum dtt_crypto_memo_table t)
{
	return c && c->memo ? &c->memo->t[t] : NULL;
}

const char *dtt_crypto_name(const struct dtt_crypto *c)
{
	return c && c->ops ? c->ops->name : "real";
}

/* ---- the primitives: the provider's, or crypto.h's ---- */

static int p_x25519(const struct dtt_crypto *c, uint8_t out[32], const uint8_t sk[32],
		    const uint8_t pk[32])
{
	return c && c->ops ? c->ops->x25519(out, sk, pk) : dtt_x25519(out, sk, pk);
}

static int p_pk_to_x25519(const struct dtt_crypto *c, uint8_t x[32], const uint8_t pk[32])
{
	return c && c->ops ? c->ops->pk_to_x25519(x, pk) : dtt_ed25519_pk_to_x25519(x, pk);
}

static bool p_pk_is_valid(const struct dtt_crypto *c, const uint8_t pk[32])
{
	return c && c->ops ? c->ops->pk_is_valid(pk) : dtt_ed25519_pk_is_valid(pk);
}

void dtt_crypto_x25519_base(const struct dtt_crypto *c, uint8_t pk[DTT_X25519_BYTES],
			    const uint8_t sk[DTT_X25519_BYTES])
{
	if (c && c->ops)
		c->ops->x25519_base(pk, sk);
	else
		dtt_x25519_base(pk, sk);
}

void dtt_crypto_sign(const struct dtt_crypto *c, uint8_t sig[DTT_ED25519_SIG_BYTES],
		     const uint8_t *msg, size_t len, const uint8_t sk[DTT_ED25519_SK_BYTES])
{
	if (c && c->ops)
		c->ops->sign(sig, msg, len, sk);
	else
		dtt_ed25519_sign(sig, msg, len, sk);
}

int dtt_crypto_verify(const struct dtt_crypto *c, const uint8_t sig[DTT_ED25519_SIG_BYTES],
		      const uint8_t *msg, size_t len, const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	if (c && c->ops)
		return c->ops->verify(sig, msg, len, pk);
	return dtt_ed25519_verify(sig, msg, len, pk);
}

int dtt_crypto_dh(const struct dtt_crypto *c, uint8_t out[DTT_X25519_BYTES],
		  const uint8_t sk[DTT_X25519_BYTES], const uint8_t *own_pub,
		  const uint8_t pk[DTT_X25519_BYTES])
{
	struct table *t = own_pub ? table(c, DTT_CRYPTO_MEMO_DH) : NULL;
	uint8_t key[64], val[33], *slot;
	const uint8_t *v;
	int rc;

	if (!t)
		return p_x25519(c, out, sk, pk);
	if (memcmp(own_pub, pk, 32) <= 0) {
		memcpy(key, own_pub, 32);
		memcpy(key + 32, pk, 32);
	} else {
		memcpy(key, pk, 32);
		memcpy(key + 32, own_pub, 32);
	}
	v = lookup(t, key, &slot);
	if (v) {
		memcpy(out, v, DTT_X25519_BYTES);
		return v[32] ? 0 : DTT_ERR_CRYPTO;
	}
	rc = p_x25519(c, out, sk, pk);
	memcpy(val, out, 32);
	val[32] = rc == 0;
	store(t, slot, key, val);
	sodium_memzero(val, sizeof(val));
	return rc;
}

int dtt_crypto_pk_to_x25519(const struct dtt_crypto *c, uint8_t x[DTT_X25519_BYTES],
			    const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	struct table *t = table(c, DTT_CRYPTO_MEMO_CONV);
	uint8_t val[33], *slot;
	const uint8_t *v;
	int rc;

	if (!t)
		return p_pk_to_x25519(c, x, pk);
	v = lookup(t, pk, &slot);
	if (v) {
		memcpy(x, v, DTT_X25519_BYTES);
		return v[32] ? 0 : DTT_ERR_CRYPTO;
	}
	rc = p_pk_to_x25519(c, x, pk);
	memcpy(val, x, 32);
	val[32] = rc == 0;
	store(t, slot, pk, val);
	return rc;
}

void dtt_crypto_seed_keypair(const struct dtt_crypto *c, uint8_t pk[DTT_ED25519_PK_BYTES],
			     uint8_t sk[DTT_ED25519_SK_BYTES],
			     const uint8_t seed[DTT_ED25519_SEED_BYTES])
{
	struct table *t = table(c, DTT_CRYPTO_MEMO_KEYPAIR);
	const uint8_t *v;
	uint8_t *slot;

	if (!t) {
		dtt_crypto_seed_keypair_once(c, pk, sk, seed);
		return;
	}
	v = lookup(t, seed, &slot);
	if (v) {
		/* libsodium's secret key layout: seed || pk */
		memcpy(pk, v, DTT_ED25519_PK_BYTES);
		memcpy(sk, seed, DTT_ED25519_SEED_BYTES);
		memcpy(sk + DTT_ED25519_SEED_BYTES, v, DTT_ED25519_PK_BYTES);
		return;
	}
	dtt_crypto_seed_keypair_once(c, pk, sk, seed);
	store(t, slot, seed, pk);
}

void dtt_crypto_seed_keypair_once(const struct dtt_crypto *c, uint8_t pk[DTT_ED25519_PK_BYTES],
				  uint8_t sk[DTT_ED25519_SK_BYTES],
				  const uint8_t seed[DTT_ED25519_SEED_BYTES])
{
	if (c && c->ops)
		c->ops->seed_keypair(pk, sk, seed);
	else
		dtt_ed25519_seed_keypair(pk, sk, seed);
}

bool dtt_crypto_pk_is_valid(const struct dtt_crypto *c, const uint8_t pk[DTT_ED25519_PK_BYTES])
{
	struct table *t = table(c, DTT_CRYPTO_MEMO_PKCHECK);
	const uint8_t *v;
	uint8_t *slot, ok;

	if (!t)
		return p_pk_is_valid(c, pk);
	v = lookup(t, pk, &slot);
	if (v)
		return v[0] != 0;
	ok = p_pk_is_valid(c, pk);
	store(t, slot, pk, &ok);
	return ok;
}
