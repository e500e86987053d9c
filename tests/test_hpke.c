/* test_hpke.c - RFC 9180 HPKE base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 /
 * ChaCha20-Poly1305, against RFC 9180 Appendix A.2.1 (tests/vectors/rfc9180-a2-base.txt),
 * plus round trips, tampering, limits and the Ed25519-keyed use of spec/PROTOCOL.md §5.1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "crypto.h"
#include "err.h"
#include "hex.h"
#include "rng.h"

#define VECTOR_FILE DTT_VECTORS_DIR "/rfc9180-a2-base.txt"
#define LINE_MAX_BYTES 512
#define ENC_MAX 8
#define EXP_MAX 8
#define FIELD_MAX 128

struct field {
	uint8_t b[FIELD_MAX];
	size_t len;
	bool set;
};

struct encryption {
	uint64_t seq;
	struct field pt, aad, nonce, ct;
};

struct export {
	struct field context, value;
	size_t len;
	bool len_set;
};

struct a2 {
	long mode, kem_id, kdf_id, aead_id;
	struct field info, ikm_e, pk_em, sk_em, ikm_r, pk_rm, sk_rm, enc, shared_secret, key,
		base_nonce, exporter_secret;
	struct encryption encs[ENC_MAX];
	size_t encs_count;
	struct export exps[EXP_MAX];
	size_t exps_count;
};

static struct a2 v;

static void set_field(struct field *f, const char *value)
{
	long n = dtt_hex_decode(f->b, sizeof(f->b), value, strlen(value));

	assert_true(n >= 0);
	assert_false(f->set); /* each name once per block */
	f->len = (size_t)n;
	f->set = true;
}

static long parse_decimal(const char *value)
{
	char *end;
	long n = strtol(value, &end, 10);

	assert_true(end != value && *end == '\0' && n >= 0);
	return n;
}

static struct field *setup_field(const char *name)
{
	static const struct {
		const char *name;
		size_t offset;
	} names[] = {
		{ "info", offsetof(struct a2, info) },
		{ "ikmE", offsetof(struct a2, ikm_e) },
		{ "pkEm", offsetof(struct a2, pk_em) },
		{ "skEm", offsetof(struct a2, sk_em) },
		{ "ikmR", offsetof(struct a2, ikm_r) },
		{ "pkRm", offsetof(struct a2, pk_rm) },
		{ "skRm", offsetof(struct a2, sk_rm) },
		{ "enc", offsetof(struct a2, enc) },
		{ "shared_secret", offsetof(struct a2, shared_secret) },
		{ "key", offsetof(struct a2, key) },
		{ "base_nonce", offsetof(struct a2, base_nonce) },
		{ "exporter_secret", offsetof(struct a2, exporter_secret) },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i].name) == 0)
			return (struct field *)(void *)((uint8_t *)&v + names[i].offset);
	}
	return NULL;
}

static void parse_line(char *line)
{
	char *colon = strchr(line, ':');
	char *value;
	struct encryption *e = v.encs_count ? &v.encs[v.encs_count - 1] : NULL;
	struct export *x = v.exps_count ? &v.exps[v.exps_count - 1] : NULL;
	struct field *f;

	assert_non_null(colon);
	*colon = '\0';
	value = colon + 1;
	while (*value == ' ')
		value++;

	if (strcmp(line, "mode") == 0) {
		v.mode = parse_decimal(value);
	} else if (strcmp(line, "kem_id") == 0) {
		v.kem_id = parse_decimal(value);
	} else if (strcmp(line, "kdf_id") == 0) {
		v.kdf_id = parse_decimal(value);
	} else if (strcmp(line, "aead_id") == 0) {
		v.aead_id = parse_decimal(value);
	} else if (strcmp(line, "key_schedule_context") == 0 || strcmp(line, "secret") == 0) {
		/* Internal to KeySchedule; key, base_nonce and exporter_secret cover them. */
	} else if (strcmp(line, "seq") == 0) {
		assert_true(v.encs_count < ENC_MAX);
		v.encs[v.encs_count++].seq = (uint64_t)parse_decimal(value);
	} else if (strcmp(line, "pt") == 0 && e) {
		set_field(&e->pt, value);
	} else if (strcmp(line, "aad") == 0 && e) {
		set_field(&e->aad, value);
	} else if (strcmp(line, "nonce") == 0 && e) {
		set_field(&e->nonce, value);
	} else if (strcmp(line, "ct") == 0 && e) {
		set_field(&e->ct, value);
	} else if (strcmp(line, "exporter_context") == 0) {
		assert_true(v.exps_count < EXP_MAX);
		set_field(&v.exps[v.exps_count++].context, value);
	} else if (strcmp(line, "L") == 0 && x) {
		x->len = (size_t)parse_decimal(value);
		x->len_set = true;
	} else if (strcmp(line, "exported_value") == 0 && x) {
		set_field(&x->value, value);
	} else if ((f = setup_field(line)) != NULL && v.encs_count == 0) {
		set_field(f, value);
	} else {
		fail_msg("unexpected line in %s: %s", VECTOR_FILE, line);
	}
}

static void assert_len(const struct field *f, size_t len)
{
	assert_true(f->set);
	assert_int_equal(f->len, len);
}

static int load_vectors(void **state)
{
	char line[LINE_MAX_BYTES];
	FILE *fp;

	(void)state;
	if (dtt_crypto_init() != 0)
		return -1;
	memset(&v, 0, sizeof(v));
	fp = fopen(VECTOR_FILE, "r");
	if (!fp)
		return -1;
	while (fgets(line, sizeof(line), fp)) {
		size_t n = strlen(line);

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		parse_line(line);
	}
	fclose(fp);
	return 0;
}

static void test_vector_file_is_complete(void **state)
{
	(void)state;
	assert_int_equal(v.mode, 0);
	assert_int_equal(v.kem_id, 0x20);
	assert_int_equal(v.kdf_id, 0x01);
	assert_int_equal(v.aead_id, 0x03);
	assert_len(&v.info, 20);
	assert_len(&v.ikm_e, 32);
	assert_len(&v.pk_em, 32);
	assert_len(&v.sk_em, 32);
	assert_len(&v.ikm_r, 32);
	assert_len(&v.pk_rm, 32);
	assert_len(&v.sk_rm, 32);
	assert_len(&v.enc, 32);
	assert_len(&v.shared_secret, 32);
	assert_len(&v.key, DTT_AEAD_KEY_BYTES);
	assert_len(&v.base_nonce, DTT_AEAD_NONCE_BYTES);
	assert_len(&v.exporter_secret, 32);
	/* Sequence numbers 0, 1, 2, 4, 255, 256 and three exports. */
	assert_int_equal(v.encs_count, 6);
	for (size_t i = 0; i < v.encs_count; i++) {
		const struct encryption *e = &v.encs[i];

		assert_true(e->pt.set && e->aad.set);
		assert_len(&e->nonce, DTT_AEAD_NONCE_BYTES);
		assert_len(&e->ct, e->pt.len + DTT_AEAD_TAG_BYTES);
	}
	assert_int_equal(v.encs[4].seq, 255);
	assert_int_equal(v.encs[5].seq, 256);
	assert_int_equal(v.exps_count, 3);
	for (size_t i = 0; i < v.exps_count; i++) {
		assert_true(v.exps[i].len_set);
		assert_len(&v.exps[i].value, v.exps[i].len);
	}
}

static void test_derive_keypair_matches_skem_pkem_skrm_pkrm(void **state)
{
	uint8_t sk[32], pk[32];

	(void)state;
	dtt_hpke_derive_keypair(sk, pk, v.ikm_e.b, v.ikm_e.len);
	assert_memory_equal(sk, v.sk_em.b, 32);
	assert_memory_equal(pk, v.pk_em.b, 32);
	dtt_hpke_derive_keypair(sk, pk, v.ikm_r.b, v.ikm_r.len);
	assert_memory_equal(sk, v.sk_rm.b, 32);
	assert_memory_equal(pk, v.pk_rm.b, 32);
}

static void test_encap_and_decap_give_the_vector_shared_secret(void **state)
{
	uint8_t ss[32], enc[32];

	(void)state;
	assert_int_equal(dtt_hpke_encap(NULL, ss, enc, v.pk_rm.b, v.sk_em.b), 0);
	assert_memory_equal(enc, v.enc.b, 32);
	assert_memory_equal(ss, v.shared_secret.b, 32);
	memset(ss, 0, sizeof(ss));
	assert_int_equal(dtt_hpke_decap(NULL, ss, v.enc.b, v.sk_rm.b), 0);
	assert_memory_equal(ss, v.shared_secret.b, 32);
}

static void assert_ctx_matches(const struct dtt_hpke_ctx *ctx)
{
	assert_memory_equal(ctx->key, v.key.b, sizeof(ctx->key));
	assert_memory_equal(ctx->base_nonce, v.base_nonce.b, sizeof(ctx->base_nonce));
	assert_memory_equal(ctx->exporter_secret, v.exporter_secret.b,
			    sizeof(ctx->exporter_secret));
	assert_int_equal(ctx->seq, 0);
}

static void test_setup_gives_the_vector_key_schedule(void **state)
{
	struct dtt_hpke_ctx s, r, k;
	uint8_t enc[32];

	(void)state;
	memset(&s, 0xaa, sizeof(s));
	assert_int_equal(dtt_hpke_setup_base_s(NULL, &s, enc, v.pk_rm.b, v.info.b, v.info.len, v.sk_em.b),
			 0);
	assert_memory_equal(enc, v.enc.b, 32);
	assert_ctx_matches(&s);
	memset(&r, 0x55, sizeof(r));
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &r, v.enc.b, v.sk_rm.b, v.info.b, v.info.len), 0);
	assert_ctx_matches(&r);
	dtt_hpke_key_schedule(&k, v.shared_secret.b, v.info.b, v.info.len);
	assert_ctx_matches(&k);
}

static void setup_sender(struct dtt_hpke_ctx *ctx)
{
	uint8_t enc[32];

	assert_int_equal(
		dtt_hpke_setup_base_s(NULL, ctx, enc, v.pk_rm.b, v.info.b, v.info.len, v.sk_em.b), 0);
}

static void setup_receiver(struct dtt_hpke_ctx *ctx)
{
	assert_int_equal(dtt_hpke_setup_base_r(NULL, ctx, v.enc.b, v.sk_rm.b, v.info.b, v.info.len), 0);
}

static void test_seal_gives_the_vector_ciphertexts(void **state)
{
	struct dtt_hpke_ctx ctx;
	uint8_t ct[FIELD_MAX], pt[FIELD_MAX];

	(void)state;
	setup_sender(&ctx);
	for (size_t i = 0; i < v.encs_count; i++) {
		const struct encryption *e = &v.encs[i];

		/* 0, 1, 2 follow from the counter itself; the later ones are jumped to. */
		if (e->seq > 2)
			ctx.seq = e->seq;
		assert_int_equal(ctx.seq, e->seq);
		assert_int_equal(dtt_hpke_seal(&ctx, ct, e->aad.b, e->aad.len, e->pt.b, e->pt.len),
				 0);
		assert_memory_equal(ct, e->ct.b, e->ct.len);
		assert_int_equal(ctx.seq, e->seq + 1);
		/* The vector's nonce with the vector's key opens it: base_nonce XOR seq. */
		assert_int_equal(dtt_aead_open(pt, e->ct.b, e->ct.len, e->aad.b, e->aad.len,
					       e->nonce.b, v.key.b),
				 0);
		assert_memory_equal(pt, e->pt.b, e->pt.len);
	}
	dtt_hpke_ctx_wipe(&ctx);
}

static void test_open_recovers_the_vector_plaintexts(void **state)
{
	struct dtt_hpke_ctx ctx;
	uint8_t pt[FIELD_MAX];

	(void)state;
	setup_receiver(&ctx);
	for (size_t i = 0; i < v.encs_count; i++) {
		const struct encryption *e = &v.encs[i];

		if (e->seq > 2)
			ctx.seq = e->seq;
		assert_int_equal(dtt_hpke_open(&ctx, pt, e->aad.b, e->aad.len, e->ct.b, e->ct.len),
				 0);
		assert_memory_equal(pt, e->pt.b, e->pt.len);
		assert_int_equal(ctx.seq, e->seq + 1);
	}
	dtt_hpke_ctx_wipe(&ctx);
}

static void test_export_gives_the_vector_values(void **state)
{
	struct dtt_hpke_ctx s, r;
	uint8_t out[FIELD_MAX];

	(void)state;
	setup_sender(&s);
	setup_receiver(&r);
	for (size_t i = 0; i < v.exps_count; i++) {
		const struct export *x = &v.exps[i];

		assert_int_equal(dtt_hpke_export(&s, out, x->len, x->context.b, x->context.len), 0);
		assert_memory_equal(out, x->value.b, x->len);
		memset(out, 0, sizeof(out));
		assert_int_equal(dtt_hpke_export(&r, out, x->len, x->context.b, x->context.len), 0);
		assert_memory_equal(out, x->value.b, x->len);
	}
	/* The exporter does not depend on seq. */
	s.seq = 77;
	assert_int_equal(dtt_hpke_export(&s, out, 32, NULL, 0), 0);
	assert_memory_equal(out, v.exps[0].value.b, 32);
}

static void test_export_refuses_more_than_255_blocks(void **state)
{
	static uint8_t big[255 * 32 + 1];
	struct dtt_hpke_ctx ctx;

	(void)state;
	setup_sender(&ctx);
	assert_int_equal(dtt_hpke_export(&ctx, big, sizeof(big), NULL, 0), DTT_ERR_INVALID);
	assert_int_equal(dtt_hpke_export(&ctx, big, sizeof(big) - 1, NULL, 0), 0);
	/* L is part of the labeled info, so a longer export does not extend a shorter one. */
	assert_memory_not_equal(big, v.exps[0].value.b, 32);
}

static void test_open_rejects_tampering_and_keeps_seq(void **state)
{
	const struct encryption *e = &v.encs[0];
	struct dtt_hpke_ctx ctx;
	uint8_t ct[FIELD_MAX], aad[FIELD_MAX], pt[FIELD_MAX];

	(void)state;
	setup_receiver(&ctx);
	memcpy(ct, e->ct.b, e->ct.len);
	memcpy(aad, e->aad.b, e->aad.len);
	for (size_t i = 0; i < e->ct.len; i++) {
		ct[i] ^= 0x40;
		assert_int_equal(dtt_hpke_open(&ctx, pt, aad, e->aad.len, ct, e->ct.len),
				 DTT_ERR_AUTH);
		ct[i] ^= 0x40;
	}
	aad[e->aad.len - 1] ^= 1;
	assert_int_equal(dtt_hpke_open(&ctx, pt, aad, e->aad.len, ct, e->ct.len), DTT_ERR_AUTH);
	aad[e->aad.len - 1] ^= 1;
	assert_int_equal(dtt_hpke_open(&ctx, pt, aad, e->aad.len, ct, e->ct.len - 1), DTT_ERR_AUTH);
	assert_int_equal(dtt_hpke_open(&ctx, pt, aad, e->aad.len, ct, 15), DTT_ERR_AUTH);
	assert_int_equal(ctx.seq, 0);
	/* The message for seq 1 does not open at seq 0. */
	assert_int_equal(dtt_hpke_open(&ctx, pt, v.encs[1].aad.b, v.encs[1].aad.len, v.encs[1].ct.b,
				       v.encs[1].ct.len),
			 DTT_ERR_AUTH);
	assert_int_equal(ctx.seq, 0);
	/* Untouched, it still opens, and only then does seq advance. */
	assert_int_equal(dtt_hpke_open(&ctx, pt, aad, e->aad.len, ct, e->ct.len), 0);
	assert_memory_equal(pt, e->pt.b, e->pt.len);
	assert_int_equal(ctx.seq, 1);
}

static void test_open_fails_with_other_info_or_key(void **state)
{
	const struct encryption *e = &v.encs[0];
	struct dtt_hpke_ctx ctx;
	uint8_t pt[FIELD_MAX], info[FIELD_MAX], sk[32];

	(void)state;
	memcpy(info, v.info.b, v.info.len);
	info[0] ^= 1;
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &ctx, v.enc.b, v.sk_rm.b, info, v.info.len), 0);
	assert_int_equal(dtt_hpke_open(&ctx, pt, e->aad.b, e->aad.len, e->ct.b, e->ct.len),
			 DTT_ERR_AUTH);
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &ctx, v.enc.b, v.sk_rm.b, NULL, 0), 0);
	assert_int_equal(dtt_hpke_open(&ctx, pt, e->aad.b, e->aad.len, e->ct.b, e->ct.len),
			 DTT_ERR_AUTH);
	/* The ephemeral secret is not the receiver's secret. */
	memcpy(sk, v.sk_em.b, 32);
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &ctx, v.enc.b, sk, v.info.b, v.info.len), 0);
	assert_int_equal(dtt_hpke_open(&ctx, pt, e->aad.b, e->aad.len, e->ct.b, e->ct.len),
			 DTT_ERR_AUTH);
}

static void test_setup_refuses_small_order_keys(void **state)
{
	static const uint8_t zero[32];
	struct dtt_hpke_ctx ctx;
	uint8_t enc[32], ss[32];

	(void)state;
	memset(&ctx, 0xaa, sizeof(ctx));
	assert_int_equal(dtt_hpke_setup_base_s(NULL, &ctx, enc, zero, NULL, 0, v.sk_em.b), DTT_ERR_CRYPTO);
	assert_true(sodium_is_zero((const uint8_t *)&ctx, sizeof(ctx)));
	memset(&ctx, 0xaa, sizeof(ctx));
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &ctx, zero, v.sk_rm.b, NULL, 0), DTT_ERR_CRYPTO);
	assert_true(sodium_is_zero((const uint8_t *)&ctx, sizeof(ctx)));
	memset(ss, 0xaa, sizeof(ss));
	assert_int_equal(dtt_hpke_decap(NULL, ss, zero, v.sk_rm.b), DTT_ERR_CRYPTO);
	assert_true(sodium_is_zero(ss, sizeof(ss)));
}

static void test_seal_and_open_stop_at_the_message_limit(void **state)
{
	struct dtt_hpke_ctx s, r;
	const uint8_t pt[] = "last";
	uint8_t ct[sizeof(pt) + DTT_AEAD_TAG_BYTES], out[sizeof(pt)];

	(void)state;
	setup_sender(&s);
	setup_receiver(&r);
	s.seq = UINT64_MAX - 1;
	r.seq = UINT64_MAX - 1;
	assert_int_equal(dtt_hpke_seal(&s, ct, NULL, 0, pt, sizeof(pt)), 0);
	assert_int_equal(dtt_hpke_open(&r, out, NULL, 0, ct, sizeof(ct)), 0);
	assert_memory_equal(out, pt, sizeof(pt));
	assert_int_equal(s.seq, UINT64_MAX);
	assert_int_equal(dtt_hpke_seal(&s, ct, NULL, 0, pt, sizeof(pt)), DTT_ERR_STATE);
	assert_int_equal(dtt_hpke_open(&r, out, NULL, 0, ct, sizeof(ct)), DTT_ERR_STATE);
	assert_int_equal(s.seq, UINT64_MAX);
}

static void test_ctx_wipe_clears_everything(void **state)
{
	struct dtt_hpke_ctx ctx;

	(void)state;
	setup_sender(&ctx);
	ctx.seq = 9;
	dtt_hpke_ctx_wipe(&ctx);
	assert_true(sodium_is_zero((const uint8_t *)&ctx, sizeof(ctx)));
}

/* spec/PROTOCOL.md §5.1: the recipient is an Ed25519 key; the sender maps its public key, the
 * receiver uses SHA-512(seed)[0..32]; one message per context, info and aad fixed. */
static void test_round_trip_to_an_ed25519_recipient(void **state)
{
	static const char info[] = "arbitrary_info_bytes";
	static const char aad[] = "arbitrary_seal_bytes";
	struct dtt_rng rng;
	struct dtt_hpke_ctx s, r;
	uint8_t seed[32], ed_pk[32], ed_sk[64], pk_r[32], sk_r[32], sk_e[32], enc[32];
	uint8_t pt[32], ct[32 + DTT_AEAD_TAG_BYTES], out[32];

	(void)state;
	assert_int_equal(dtt_hex_decode(seed, sizeof(seed),
					"3b9b3b0d2f1f100bc948bb6f78556181851aec518e8846c5bae77990ef46099a",
					64),
			 32);
	dtt_ed25519_seed_keypair(ed_pk, ed_sk, seed);
	assert_int_equal(dtt_ed25519_pk_to_x25519(pk_r, ed_pk), 0);
	dtt_ed25519_seed_to_x25519(sk_r, seed);
	dtt_rng_seed(&rng, 9180);
	dtt_rng_fill(&rng, sk_e, sizeof(sk_e));
	dtt_rng_fill(&rng, pt, sizeof(pt));

	assert_int_equal(dtt_hpke_setup_base_s(NULL, &s, enc, pk_r, (const uint8_t *)info,
					       sizeof(info) - 1, sk_e),
			 0);
	assert_int_equal(dtt_hpke_seal(&s, ct, (const uint8_t *)aad, sizeof(aad) - 1, pt, sizeof(pt)),
			 0);
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &r, enc, sk_r, (const uint8_t *)info,
					       sizeof(info) - 1),
			 0);
	assert_memory_equal(r.key, s.key, sizeof(s.key));
	assert_int_equal(dtt_hpke_open(&r, out, (const uint8_t *)aad, sizeof(aad) - 1, ct, sizeof(ct)),
			 0);
	assert_memory_equal(out, pt, sizeof(pt));
	/* One context per message: base_nonce is the AEAD nonce. */
	{
		uint8_t direct[32];

		assert_int_equal(dtt_aead_open(direct, ct, sizeof(ct), (const uint8_t *)aad,
					       sizeof(aad) - 1, s.base_nonce, s.key),
				 0);
		assert_memory_equal(direct, pt, sizeof(pt));
	}
	/* Another Ed25519 recipient cannot open it. */
	seed[0] ^= 1;
	dtt_ed25519_seed_to_x25519(sk_r, seed);
	assert_int_equal(dtt_hpke_setup_base_r(NULL, &r, enc, sk_r, (const uint8_t *)info,
					       sizeof(info) - 1),
			 0);
	assert_int_equal(dtt_hpke_open(&r, out, (const uint8_t *)aad, sizeof(aad) - 1, ct, sizeof(ct)),
			 DTT_ERR_AUTH);
	dtt_hpke_ctx_wipe(&s);
	dtt_hpke_ctx_wipe(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vector_file_is_complete),
		cmocka_unit_test(test_derive_keypair_matches_skem_pkem_skrm_pkrm),
		cmocka_unit_test(test_encap_and_decap_give_the_vector_shared_secret),
		cmocka_unit_test(test_setup_gives_the_vector_key_schedule),
		cmocka_unit_test(test_seal_gives_the_vector_ciphertexts),
		cmocka_unit_test(test_open_recovers_the_vector_plaintexts),
		cmocka_unit_test(test_export_gives_the_vector_values),
		cmocka_unit_test(test_export_refuses_more_than_255_blocks),
		cmocka_unit_test(test_open_rejects_tampering_and_keeps_seq),
		cmocka_unit_test(test_open_fails_with_other_info_or_key),
		cmocka_unit_test(test_setup_refuses_small_order_keys),
		cmocka_unit_test(test_seal_and_open_stop_at_the_message_limit),
		cmocka_unit_test(test_ctx_wipe_clears_everything),
		cmocka_unit_test(test_round_trip_to_an_ed25519_recipient),
	};

	return cmocka_run_group_tests(tests, load_vectors, NULL);
}
