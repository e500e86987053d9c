/* record.c - DTT 0.3.x records: slot derivations, Record codec and signature, gossip content,
 * and the two-layer HPKE EncryptedRecord (spec/PROTOCOL.md §3-§5).
 *
 * Owns nothing; every function works on caller storage. Secrets held on the stack are wiped
 * before returning.
 */
#include "record.h"

#include <string.h>
#include <sodium.h>

#include "bep44.h"
#include "buf.h"
#include "err.h"
#include "provider.h"

/* ed25519-dalek-hpke's fixed HPKE info and aad (§5.1). */
static const uint8_t hpke_info[] = "arbitrary_info_bytes";
static const uint8_t hpke_aad[] = "arbitrary_seal_bytes";
#define HPKE_INFO_LEN (sizeof(hpke_info) - 1)
#define HPKE_AAD_LEN (sizeof(hpke_aad) - 1)
#define HPKE_ENC_LEN_MAX 128 /* decrypt-side bound on the declared enc length */

void dtt_topic_hash(uint8_t out[DTT_TOPIC_BYTES], const void *name, size_t len)
{
	dtt_hash32(out, name, len);
}

void dtt_secret_hash(uint8_t out[32], const void *secret, size_t len)
{
	dtt_hash32(out, secret, len);
}

void dtt_slot_derive(const struct dtt_crypto *c, struct dtt_slot *s,
		     const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute)
{
	uint8_t buf[4 + DTT_TOPIC_BYTES + 8];

	s->minute = minute;
	memcpy(buf, "salt", 4);
	memcpy(buf + 4, topic, DTT_TOPIC_BYTES);
	dtt_store_le64(buf + 4 + DTT_TOPIC_BYTES, minute);
	dtt_hash32(s->seed, buf + 4, DTT_TOPIC_BYTES + 8);
	dtt_hash32(s->salt, buf, sizeof(buf));
	dtt_crypto_seed_keypair(c, s->pk, s->sk, s->seed);
	dtt_sha1_2(s->target, s->pk, sizeof(s->pk), s->salt, sizeof(s->salt));
}

int dtt_slot_sign_value(const struct dtt_crypto *c, const struct dtt_slot *s,
			const uint8_t *record, size_t record_len, uint8_t *v, size_t cap,
			uint8_t sig[DTT_ED25519_SIG_BYTES])
{
	int n = dtt_bep44_string_encode(v, cap, record, record_len);

	if (n < 0 || n > DTT_BEP44_V_MAX)
		return DTT_ERR_TOOBIG;
	if (dtt_bep44_sign(c, sig, s->sk, s->salt, sizeof(s->salt), DTT_SLOT_SEQ, v, (size_t)n))
		return DTT_ERR_TOOBIG;
	return n;
}

void dtt_rotation_default(void *ctx, uint8_t seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
			  uint64_t minute, const uint8_t secret_hash[32])
{
	uint8_t buf[DTT_TOPIC_BYTES + 8 + 32];

	(void)ctx;
	memcpy(buf, topic, DTT_TOPIC_BYTES);
	dtt_store_be64(buf + DTT_TOPIC_BYTES, minute);
	memcpy(buf + DTT_TOPIC_BYTES + 8, secret_hash, 32);
	dtt_hash32(seed, buf, sizeof(buf));
	sodium_memzero(buf, sizeof(buf));
}

void dtt_rotation_seed(const struct dtt_rotation *rot, uint8_t seed[32],
		       const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute,
		       const uint8_t secret_hash[32])
{
	if (rot && rot->fn)
		rot->fn(rot->ctx, seed, topic, minute, secret_hash);
	else
		dtt_rotation_default(NULL, seed, topic, minute, secret_hash);
}

/* The signed message: every byte of the Record but the signature. */
static size_t signed_part(const struct dtt_record *r, uint8_t *out, size_t cap)
{
	struct dtt_wbuf w;

	dtt_wbuf_init(&w, out, cap);
	dtt_wbuf_put(&w, r->topic, DTT_TOPIC_BYTES);
	dtt_wbuf_le64(&w, r->unix_minute);
	dtt_wbuf_put(&w, r->pub_key, DTT_ED25519_PK_BYTES);
	dtt_wbuf_put(&w, r->content, r->content_len);
	return w.err ? 0 : w.len;
}

int dtt_record_make(const struct dtt_crypto *c, struct dtt_record *r,
		    const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute, const uint8_t *content,
		    size_t content_len, const uint8_t sk[DTT_ED25519_SK_BYTES])
{
	uint8_t msg[DTT_RECORD_HEADER_BYTES + DTT_RECORD_CONTENT_MAX];
	size_t n;

	if (content_len > DTT_RECORD_CONTENT_MAX)
		return DTT_ERR_TOOBIG;
	memcpy(r->topic, topic, DTT_TOPIC_BYTES);
	r->unix_minute = minute;
	memcpy(r->pub_key, sk + DTT_ED25519_SEED_BYTES, DTT_ED25519_PK_BYTES);
	r->content_len = content_len;
	if (content_len)
		memcpy(r->content, content, content_len);
	n = signed_part(r, msg, sizeof(msg));
	dtt_crypto_sign(c, r->signature, msg, n, sk);
	return 0;
}

int dtt_record_encode(const struct dtt_record *r, uint8_t *out, size_t cap)
{
	size_t n;

	if (r->content_len > DTT_RECORD_CONTENT_MAX ||
	    cap < DTT_RECORD_MIN_BYTES + r->content_len)
		return DTT_ERR_TOOBIG;
	n = signed_part(r, out, cap);
	memcpy(out + n, r->signature, DTT_ED25519_SIG_BYTES);
	return (int)(n + DTT_ED25519_SIG_BYTES);
}

int dtt_record_decode(struct dtt_record *r, const uint8_t *buf, size_t len)
{
	struct dtt_rbuf rb;

	if (len < DTT_RECORD_MIN_BYTES || len - DTT_RECORD_MIN_BYTES > DTT_RECORD_CONTENT_MAX)
		return DTT_ERR_MALFORMED;
	dtt_rbuf_init(&rb, buf, len);
	dtt_rbuf_copy(&rb, r->topic, DTT_TOPIC_BYTES);
	r->unix_minute = dtt_rbuf_le64(&rb);
	dtt_rbuf_copy(&rb, r->pub_key, DTT_ED25519_PK_BYTES);
	r->content_len = len - DTT_RECORD_MIN_BYTES;
	dtt_rbuf_copy(&rb, r->content, r->content_len);
	dtt_rbuf_copy(&rb, r->signature, DTT_ED25519_SIG_BYTES);
	return rb.err ? DTT_ERR_MALFORMED : 0;
}

int dtt_record_verify(const struct dtt_crypto *c, const struct dtt_record *r,
		      const uint8_t topic[DTT_TOPIC_BYTES], uint64_t minute)
{
	uint8_t msg[DTT_RECORD_HEADER_BYTES + DTT_RECORD_CONTENT_MAX];
	size_t n;

	if (memcmp(r->topic, topic, DTT_TOPIC_BYTES) != 0 || r->unix_minute != minute)
		return DTT_ERR_MISMATCH;
	if (!dtt_crypto_pk_is_valid(c, r->pub_key))
		return DTT_ERR_AUTH;
	n = signed_part(r, msg, sizeof(msg));
	return dtt_crypto_verify(c, r->signature, msg, n, r->pub_key) == 0 ? 0 : DTT_ERR_AUTH;
}

bool dtt_is_zero32(const uint8_t b[32])
{
	uint8_t acc = 0;

	for (int i = 0; i < 32; i++)
		acc |= b[i];
	return acc == 0;
}

void dtt_gossip_content_encode(const struct dtt_gossip_content *c,
			       uint8_t out[DTT_GOSSIP_CONTENT_BYTES])
{
	memcpy(out, c->peers, sizeof(c->peers));
	memcpy(out + sizeof(c->peers), c->hashes, sizeof(c->hashes));
}

int dtt_gossip_content_decode(struct dtt_gossip_content *c, const uint8_t *buf, size_t len)
{
	if (len < DTT_GOSSIP_CONTENT_BYTES)
		return DTT_ERR_MALFORMED;
	memcpy(c->peers, buf, sizeof(c->peers));
	memcpy(c->hashes, buf + sizeof(c->peers), sizeof(c->hashes));
	return 0;
}

int dtt_record_addrs_encode(const struct dtt_record_addrs *a, uint8_t *out, size_t cap)
{
	struct dtt_wbuf w;
	uint8_t *count;
	uint8_t n = 0;

	for (int i = 0; i < DTT_RECORD_ADDRS_MAX; i++)
		n += a->has[i] && (a->addr[i].family == DTT_AF_INET ||
				   a->addr[i].family == DTT_AF_INET6);
	if (!n)
		return 0;
	dtt_wbuf_init(&w, out, cap);
	dtt_wbuf_put(&w, DTT_RECORD_ADDRS_MAGIC, 4);
	count = dtt_wbuf_reserve(&w, 1);
	if (count)
		*count = n;
	for (int i = 0; i < DTT_RECORD_ADDRS_MAX; i++) {
		const struct dtt_addr *ad = &a->addr[i];

		if (!a->has[i] || (ad->family != DTT_AF_INET && ad->family != DTT_AF_INET6))
			continue;
		dtt_wbuf_u8(&w, (uint8_t)i);
		dtt_wbuf_u8(&w, ad->family);
		dtt_wbuf_put(&w, ad->addr, ad->family == DTT_AF_INET ? 4 : 16);
		dtt_wbuf_be16(&w, ad->port);
	}
	return w.err ? DTT_ERR_TOOBIG : (int)w.len;
}

void dtt_record_addrs_decode(struct dtt_record_addrs *a, const uint8_t *content, size_t len)
{
	struct dtt_rbuf r;
	uint8_t n;

	memset(a, 0, sizeof(*a));
	if (len < DTT_GOSSIP_CONTENT_BYTES + 5 ||
	    memcmp(content + DTT_GOSSIP_CONTENT_BYTES, DTT_RECORD_ADDRS_MAGIC, 4) != 0)
		return;
	dtt_rbuf_init(&r, content + DTT_GOSSIP_CONTENT_BYTES + 4,
		      len - DTT_GOSSIP_CONTENT_BYTES - 4);
	n = dtt_rbuf_u8(&r);
	for (uint8_t k = 0; k < n && k < DTT_RECORD_ADDRS_MAX; k++) {
		uint8_t slot = dtt_rbuf_u8(&r), family = dtt_rbuf_u8(&r);
		struct dtt_addr ad;

		memset(&ad, 0, sizeof(ad));
		if (family != DTT_AF_INET && family != DTT_AF_INET6)
			return;
		ad.family = family;
		dtt_rbuf_copy(&r, ad.addr, family == DTT_AF_INET ? 4 : 16);
		ad.port = dtt_rbuf_be16(&r);
		if (r.err)
			return;
		if (slot < DTT_RECORD_ADDRS_MAX && ad.port != 0) {
			a->has[slot] = true;
			a->addr[slot] = ad;
		}
	}
}

const char *dtt_record_check_name(enum dtt_record_check c)
{
	switch (c) {
	case DTT_RECORD_OK: return "ok";
	case DTT_RECORD_BAD_FRAMING: return "encrypted record framing";
	case DTT_RECORD_BAD_KEY_BLOB:
		return "one-time key does not decrypt (wrong secret, topic or minute, or tampered)";
	case DTT_RECORD_BAD_RECORD_BLOB: return "record layer does not decrypt (tampered)";
	case DTT_RECORD_BAD_RECORD: return "decrypted record too short";
	case DTT_RECORD_WRONG_TOPIC: return "record is for another topic";
	case DTT_RECORD_WRONG_MINUTE: return "record is for another minute";
	case DTT_RECORD_BAD_SIGNATURE: return "record signature invalid";
	}
	return "unknown check";
}

/* HPKE blob (ed25519-dalek-hpke framing, §5.2): LE64(32) || enc || AEAD(pt) || tag, sealed to
 * the X25519 form of an Ed25519 public key. */
static int blob_seal(const struct dtt_crypto *c, uint8_t *out, const uint8_t ed_pk[32],
		     const uint8_t sk_e[32], const uint8_t *pt, size_t pt_len)
{
	struct dtt_hpke_ctx ctx;
	uint8_t pk_r[DTT_X25519_BYTES];
	int err;

	err = dtt_crypto_pk_to_x25519(c, pk_r, ed_pk);
	if (err)
		return err;
	dtt_store_le64(out, DTT_HPKE_ENC_BYTES);
	err = dtt_hpke_setup_base_s(c, &ctx, out + 8, pk_r, hpke_info, HPKE_INFO_LEN, sk_e);
	if (!err)
		err = dtt_hpke_seal(&ctx, out + 8 + DTT_HPKE_ENC_BYTES, hpke_aad, HPKE_AAD_LEN, pt,
				    pt_len);
	dtt_hpke_ctx_wipe(&ctx);
	return err;
}

/* Opens a blob with the X25519 secret derived from an Ed25519 seed. pt receives len - 56. */
static int blob_open(const struct dtt_crypto *c, uint8_t *pt, const uint8_t *blob, size_t len,
		     const uint8_t ed_seed[32])
{
	struct dtt_hpke_ctx ctx;
	uint8_t sk_r[DTT_X25519_BYTES];
	uint64_t enc_len;
	int err;

	/* the acceptance rules of ed25519-dalek-hpke's decrypt */
	if (len < 8)
		return DTT_ERR_MALFORMED;
	enc_len = dtt_load_le64(blob);
	if (enc_len > HPKE_ENC_LEN_MAX || enc_len >= len - 8 || enc_len != DTT_HPKE_ENC_BYTES)
		return DTT_ERR_MALFORMED;
	if (len < DTT_HPKE_BLOB_OVERHEAD)
		return DTT_ERR_MALFORMED;
	dtt_ed25519_seed_to_x25519(sk_r, ed_seed);
	err = dtt_hpke_setup_base_r(c, &ctx, blob + 8, sk_r, hpke_info, HPKE_INFO_LEN);
	sodium_memzero(sk_r, sizeof(sk_r));
	if (!err)
		err = dtt_hpke_open(&ctx, pt, hpke_aad, HPKE_AAD_LEN, blob + 8 + DTT_HPKE_ENC_BYTES,
				    len - 8 - DTT_HPKE_ENC_BYTES);
	dtt_hpke_ctx_wipe(&ctx);
	return err ? DTT_ERR_AUTH : 0;
}

int dtt_record_seal(const struct dtt_env *env, const struct dtt_record *r,
		    const uint8_t enc_seed[32], uint8_t *out, size_t cap)
{
	uint8_t plain[DTT_RECORD_MIN_BYTES + DTT_RECORD_CONTENT_MAX];
	uint8_t ots[DTT_ED25519_SEED_BYTES], ots_pk[32], ots_sk[64], enc_pk[32], enc_sk[64];
	uint8_t sk_e[2][DTT_X25519_BYTES];
	size_t rec_blob, total;
	int n, err;

	n = dtt_record_encode(r, plain, sizeof(plain));
	if (n < 0)
		return n;
	rec_blob = DTT_HPKE_BLOB_OVERHEAD + (size_t)n;
	total = 4 + rec_blob + DTT_ENCRYPTED_KEY_BYTES;
	if (total > DTT_ENCRYPTED_RECORD_MAX || total > cap)
		return DTT_ERR_TOOBIG;

	dtt_env_random(env, ots, sizeof(ots));
	dtt_env_random(env, sk_e, sizeof(sk_e));
	dtt_crypto_seed_keypair_once(env->crypto, ots_pk, ots_sk, ots);
	dtt_crypto_seed_keypair(env->crypto, enc_pk, enc_sk, enc_seed);

	out[0] = (uint8_t)rec_blob;
	out[1] = (uint8_t)(rec_blob >> 8);
	out[2] = (uint8_t)(rec_blob >> 16);
	out[3] = (uint8_t)(rec_blob >> 24);
	err = blob_seal(env->crypto, out + 4, ots_pk, sk_e[0], plain, (size_t)n);
	if (!err)
		err = blob_seal(env->crypto, out + 4 + rec_blob, enc_pk, sk_e[1], ots, sizeof(ots));

	sodium_memzero(ots, sizeof(ots));
	sodium_memzero(ots_sk, sizeof(ots_sk));
	sodium_memzero(enc_sk, sizeof(enc_sk));
	sodium_memzero(sk_e, sizeof(sk_e));
	sodium_memzero(plain, sizeof(plain));
	return err ? err : (int)total;
}

int dtt_record_open(const struct dtt_crypto *cr, struct dtt_record *r, const uint8_t *value,
		    size_t len, const uint8_t enc_seed[32], const uint8_t topic[DTT_TOPIC_BYTES],
		    uint64_t minute, enum dtt_record_check *check)
{
	uint8_t plain[DTT_ENCRYPTED_RECORD_MAX];
	uint8_t ots[DTT_ED25519_SEED_BYTES + DTT_AEAD_TAG_BYTES];
	enum dtt_record_check c = DTT_RECORD_OK;
	size_t rec_blob;
	int err = 0;

	/* EncryptedRecord::from_bytes: LE32 L, L bytes, exactly 88 bytes */
	if (len < 4) {
		c = DTT_RECORD_BAD_FRAMING;
		goto out;
	}
	rec_blob = (size_t)value[0] | (size_t)value[1] << 8 | (size_t)value[2] << 16 |
		   (size_t)value[3] << 24;
	if (rec_blob > DTT_ENCRYPTED_RECORD_MAX || len != 4 + rec_blob + DTT_ENCRYPTED_KEY_BYTES ||
	    rec_blob < DTT_HPKE_BLOB_OVERHEAD) {
		c = DTT_RECORD_BAD_FRAMING;
		goto out;
	}
	if (blob_open(cr, ots, value + 4 + rec_blob, DTT_ENCRYPTED_KEY_BYTES, enc_seed)) {
		c = DTT_RECORD_BAD_KEY_BLOB; /* the plaintext is 32 bytes by construction */
		goto out;
	}
	if (blob_open(cr, plain, value + 4, rec_blob, ots)) {
		c = DTT_RECORD_BAD_RECORD_BLOB;
		goto out;
	}
	if (dtt_record_decode(r, plain, rec_blob - DTT_HPKE_BLOB_OVERHEAD)) {
		c = DTT_RECORD_BAD_RECORD;
		goto out;
	}
	err = dtt_record_verify(cr, r, topic, minute);
	if (err == DTT_ERR_MISMATCH)
		c = memcmp(r->topic, topic, DTT_TOPIC_BYTES) ? DTT_RECORD_WRONG_TOPIC
							     : DTT_RECORD_WRONG_MINUTE;
	else if (err)
		c = DTT_RECORD_BAD_SIGNATURE;
out:
	sodium_memzero(ots, sizeof(ots));
	sodium_memzero(plain, sizeof(plain));
	if (check)
		*check = c;
	switch (c) {
	case DTT_RECORD_OK: return 0;
	case DTT_RECORD_BAD_FRAMING:
	case DTT_RECORD_BAD_RECORD: return DTT_ERR_MALFORMED;
	case DTT_RECORD_WRONG_TOPIC:
	case DTT_RECORD_WRONG_MINUTE: return DTT_ERR_MISMATCH;
	default: return DTT_ERR_AUTH;
	}
}
